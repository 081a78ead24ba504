"""The textbook's addition task with a peeky seq2seq and reversed questions (DLFS2
ch07/train_seq2seq.py), written out: the data, the model, Adam with clipping, and the test accuracy
of greedy decoding after every epoch, with three answers in the book's style.

    python examples/train_seq2seq.py                  # 25 epochs, ~10 s each here: ~98% at the end
    python examples/train_seq2seq.py --epochs 3

The baseline, attention and the date task, beam search, checkpoints and attention maps are the
command `tinygrad-nlp train-seq2seq` (tinygrad_nlp/cli/train_seq2seq.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from models import PeekySeq2seq  # noqa: E402
from tinygrad_nlp.data.datasets import load_addition  # noqa: E402
from tinygrad_nlp.evaluation.decoding import greedy  # noqa: E402
from tinygrad_nlp.evaluation.metrics import accuracy  # noqa: E402

# the textbook's hyper-parameters
wordvec_size = 16
hidden_size = 128
batch_size = 128
max_epoch = 25
max_grad = 5.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=max_epoch, help="epochs (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    ap.add_argument("--data", help="addition.txt or its folder (default: $TINYGRAD_NLP_DATA, ../shared/data, else downloaded)")
    args = ap.parse_args()

    tg.manual_seed(args.seed)
    data = load_addition(args.data)  # "16+75  _91  ": questions and answers as character ids
    vocab = data.vocab
    x_train, x_test = data.x_train[:, ::-1].copy(), data.x_test[:, ::-1].copy()  # reversed questions
    t_train, t_test = data.t_train, data.t_test
    model = PeekySeq2seq(len(vocab), wordvec_size, hidden_size, generator=args.seed)
    optimizer = tg.optim.Adam(model.parameters(), eps=1e-7, eps_before_correction=True)  # the textbook's Adam
    rng = np.random.default_rng(args.seed)
    start_id, answer_len = vocab["_"], t_test.shape[1] - 1

    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        for i in range(len(x_train) // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            loss = model(x_train[idx], t_train[idx])  # teacher forcing: the decoder reads "_" + the answer
            optimizer.zero_grad()
            loss.backward()
            tg.nn.clip_grad_norm_(model.parameters(), max_grad)
            optimizer.step()
        guess = greedy(model, x_test, start_id, answer_len)  # the decoder reads its own output
        for k in range(3):
            question, answer = "".join(vocab.decode(data.x_test[k])), "".join(vocab.decode(t_test[k, 1:]))
            print(f"Q {question} T {answer} {'☑' if (guess[k] == t_test[k, 1:]).all() else '☒'} {''.join(vocab.decode(guess[k]))}")
        print(f"epoch {epoch + 1}: val acc {accuracy(guess, t_test[:, 1:]):.3%} (last loss {loss.item():.3f})", flush=True)


if __name__ == "__main__":
    main()
