"""Training-step time of the Transformer models against the recurrent ones they are compared with in the
README, measured in this run with the same batches, the two models' steps alternating (so that a busy
machine slows both alike); prints the median seconds per step and their ratio.

    date:  AttentionSeq2seq (hidden 256, reversed: the README's date recipe) vs TransformerSeq2seq (its preset)
    addition: AttentionSeq2seq (hidden 128, reversed) vs TransformerSeq2seq (its preset)
    ptb:   Rnnlm (LSTM 100/100, SGD) vs TransformerLM (d 100, feed-forward 200, 2 layers, 4 heads, Adam)

    OPENBLAS_NUM_THREADS=1 python benchmarks/transformer_speed.py [--task date|addition|ptb] [--steps 30]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from models import AttentionSeq2seq, Rnnlm, TransformerLM, TransformerSeq2seq  # noqa: E402
from tinygrad_nlp.data.batches import sequential_batches  # noqa: E402
from tinygrad_nlp.data.datasets import load_addition, load_date, load_ptb  # noqa: E402
from tinygrad_nlp.heap import keep_freed_memory  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402


def seq2seq_pair(task: str):
    data = (load_date if task == "date" else load_addition)()
    V, hidden = len(data.vocab), 256 if task == "date" else 128
    rnn = AttentionSeq2seq(V, 16, hidden, generator=0)
    transformer = TransformerSeq2seq(V, d_model=64, nhead=4, dim_feedforward=256, dropout=0.0,
                                     max_len=data.x_train.shape[1], generator=0)
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, len(data.x_train), 128) for _ in range(8)]
    x_rev = data.x_train[:, ::-1].copy()

    def rnn_loss(i):
        idx = batches[i % len(batches)]
        return rnn(x_rev[idx], data.t_train[idx])

    def transformer_loss(i):
        idx = batches[i % len(batches)]
        return transformer(data.x_train[idx], data.t_train[idx])

    return (f"AttentionSeq2seq {hidden}", rnn, rnn_loss, tg.optim.Adam(rnn.parameters(), lr=0.001)), \
           ("TransformerSeq2seq", transformer, transformer_loss, tg.optim.Adam(transformer.parameters(), lr=0.002))


def lm_pair():
    train, vocab = load_ptb("train")
    batches = [b for _, b in zip(range(8), sequential_batches(train, 20, 35))]
    rnn = Rnnlm(len(vocab), 100, 100, generator=0)
    transformer = TransformerLM(len(vocab), d_model=100, dim_feedforward=200, dropout=0.1, max_len=70, generator=0)
    loss = (lambda model: lambda i: F.cross_entropy(model(batches[i % len(batches)][0]), batches[i % len(batches)][1]))
    return ("Rnnlm (LSTM 100/100)", rnn, loss(rnn), tg.optim.SGD(rnn.parameters(), lr=20.0)), \
           ("TransformerLM", transformer, loss(transformer), tg.optim.Adam(transformer.parameters(), lr=0.001))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=["date", "addition", "ptb"], default="date")
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    keep_freed_memory()  # as the training commands do (tinygrad_nlp/heap.py)
    pair = lm_pair() if args.task == "ptb" else seq2seq_pair(args.task)
    times: dict[str, list[float]] = {name: [] for name, *_ in pair}
    for i in range(args.steps + 2):  # the first two steps warm up
        for name, model, loss_of, optimizer in pair:
            t0 = time.perf_counter()
            loss = loss_of(i)
            optimizer.zero_grad()
            loss.backward()
            tg.nn.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if i >= 2:
                times[name].append(time.perf_counter() - t0)
    medians = {name: float(np.median(t)) for name, t in times.items()}
    for (name, model, *_), m in zip(pair, medians.values()):
        print(f"{name:<24} {model.num_parameters():>10,} parameters  {m * 1000:8.1f} ms/step (median of {args.steps})")
    (a, ma), (b, mb) = medians.items()
    print(f"{b} / {a}: {mb / ma:.2f}x the time per step")


if __name__ == "__main__":
    main()
