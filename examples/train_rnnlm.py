"""The textbook's Rnnlm on Penn Treebank (DLFS2 ch06/train_rnnlm.py), written out: the
hyper-parameters, the data, the model, the loop with gradient clipping, the test perplexity.

    python examples/train_rnnlm.py                   # 4 epochs, ~8 min here: test perplexity ~136
    python examples/train_rnnlm.py --max-steps 50    # a quick look

The same recipe with validation, checkpoints, --resume, a progress bar, presets (GRU, BetterRnnlm,
character LMs) and generated text is the command `tinygrad-nlp train-lm` (tinygrad_nlp/cli/train_lm.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from models import Rnnlm  # noqa: E402
from tinygrad_nlp.data.batches import num_sequential_batches, sequential_batches  # noqa: E402
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.evaluation.perplexity import perplexity  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402

# the textbook's hyper-parameters
batch_size = 20
wordvec_size = 100
hidden_size = 100
time_size = 35  # the window of truncated BPTT
lr = 20.0
max_epoch = 4
max_grad = 0.25


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=max_epoch, help="epochs (default: %(default)s)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop each epoch after this many steps (default: all)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    ap.add_argument("--data", help="the PTB folder (default: $TINYGRAD_NLP_DATA, ../shared/data, else downloaded)")
    args = ap.parse_args()

    tg.manual_seed(args.seed)
    corpus, vocab = load_ptb("train", args.data)
    corpus_test = load_ptb("test", args.data).ids
    model = Rnnlm(len(vocab), wordvec_size, hidden_size, generator=args.seed)
    optimizer = tg.optim.SGD(model.parameters(), lr=lr)
    steps = min(num_sequential_batches(corpus, batch_size, time_size), args.max_steps or np.inf)

    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        total = 0.0
        # the stream and the LSTM state go on from one epoch to the next, as in the textbook's RnnlmTrainer
        for step, (xs, ts) in enumerate(sequential_batches(corpus, batch_size, time_size, epoch=epoch), start=1):
            loss = F.cross_entropy(model(xs), ts)  # softmax with loss, averaged over the N×T words
            optimizer.zero_grad()
            loss.backward()  # through the 35 time steps of the window
            tg.nn.clip_grad_norm_(model.parameters(), max_grad)
            optimizer.step()
            total += loss.item()
            if step % 100 == 0 or step == steps:
                print(f"| epoch {epoch + 1} | iter {step} / {steps} | time {time.perf_counter() - t0:.0f}[s] | "
                      f"perplexity {np.exp(total / step):.2f}", flush=True)
            if step == steps:
                break

    model.reset_state()
    print(f"test perplexity: {perplexity(model, corpus_test):.2f}")


if __name__ == "__main__":
    main()
