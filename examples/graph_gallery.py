"""Regenerate the textbook's computation-graph figures from real computations.

    python examples/graph_gallery.py [--out runs/gallery] [--format png]

Each figure shows forward values on the edges and, in red against the flow, the gradients that
came back (small numbers so that they can be checked by hand). Also renders a 2-layer LSTM
unrolled over 35 steps with the time steps collapsed, and prints how long that took.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
import viz  # noqa: E402
from models import Attention  # noqa: E402
from tinygrad_nlp import nn  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402


def t(values, name, grad=True):
    return tg.tensor(np.array(values, dtype=np.float64), requires_grad=grad, dtype=np.float64, name=name)


def figures():
    """(file name, loss, names, draw options) for each figure."""
    x, y = t(2.0, "x"), t(3.0, "y")
    yield "add", x + y, None, {}
    x, y = t(2.0, "x"), t(3.0, "y")
    yield "mul", x * y, None, {}
    x = t([1.0, 2.0], "x")
    yield "branch", (x * 3 + x * 5).sum(), None, {}  # x feeds two ops: a Branch node
    b = t([[1.0, 2.0, 3.0]], "b")
    yield "repeat", (b.repeat(2, axis=0) * t([[1, 1, 1], [2, 2, 2]], "w", grad=False)).sum(), None, {}
    x = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x")
    yield "sum", x.sum(axis=0).sum(), None, {}
    x, W = t([[1.0, 2.0]], "x"), t([[0.5, -1.0, 0.2], [0.3, 0.1, -0.4]], "W")
    yield "matmul", (x @ W).sum(), None, {}

    with tg.default_dtype(np.float64):
        net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 2, generator=1))
    xs = tg.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=np.float64, name="x")
    h = net[0](xs).sigmoid()
    yield "two_layer_net", F.cross_entropy(net[1](h), np.array([0, 1])), net, {}

    with tg.default_dtype(np.float64):
        rnn_cell = nn.RNNCell(2, 2, generator=0)
        lstm_cell = nn.LSTMCell(2, 2, generator=0)
        rnn = nn.RNN(2, 2, generator=0)
    x_t = tg.tensor([[1.0, -0.5]], dtype=np.float64, name="x_t")
    h_prev = tg.tensor([[0.1, 0.2]], dtype=np.float64, name="h_prev")
    yield "rnn_step", rnn_cell(x_t, h_prev).sum(), rnn_cell, {}
    c_prev = tg.tensor([[0.3, -0.1]], dtype=np.float64, name="c_prev")
    h, c = lstm_cell(x_t, (h_prev, c_prev))
    yield "lstm_cell", (h.sum() + c.sum()), lstm_cell, {}
    xs = tg.tensor(np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]]), dtype=np.float64, name="xs")
    out, _ = rnn(xs)
    yield "rnn_unrolled_3_steps", out.sum(), rnn, {}

    hs = t([[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]], "hs")
    hq = t([[2.0, 1.0]], "h")
    yield "attention", Attention()(hs, hq).sum(), None, {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/gallery")
    ap.add_argument("--format", choices=["png", "svg", "pdf"], default="png")
    args = ap.parse_args()
    out = Path(args.out)
    for name, loss, names, opts in figures():
        loss.backward(retain_graph=True)
        path = viz.save(viz.draw(loss, show="both", names=names, **opts), out / f"{name}.{args.format}")
        print("wrote", path)

    lstm = nn.LSTM(100, 100, num_layers=2, generator=0)
    x = tg.randn(20, 35, 100, generator=1)
    loss = lstm(x)[0].sum()
    t0 = time.perf_counter()
    path = viz.save(viz.draw(loss, names=lstm, collapse=2, rankdir="TB", values=False), out / f"lstm_2x35_collapsed.{args.format}")
    print(f"wrote {path}: 2-layer LSTM unrolled over 35 steps, one node per cell and time step, drawn and rendered in "
          f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
