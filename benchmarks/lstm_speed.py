"""LSTM language-model training step on PTB: words/s of tinygrad_nlp's op-composed Rnnlm against
a hand-fused numpy LSTM LM (forward and backward written by hand below, same maths) and torch
(nn.LSTM, 2 threads), all measured in this run with the same batches.

Setting (the textbook's): vocab 10,000, wordvec 100, hidden 100, batch 20, time 35, SGD lr 20,
clip 0.25, state carried between windows.

    python benchmarks/lstm_speed.py [--steps 60] [--hidden 100] [--wordvec 100]
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
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.data.batches import sequential_batches  # noqa: E402
from tinygrad_nlp.heap import keep_freed_memory  # noqa: E402
from step_cost import lm_training_step  # noqa: E402  (benchmarks/: the step both scripts time)


def sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)


class NumpyLstmLm:
    """Embedding -> LSTM -> Affine -> softmax cross-entropy, forward and backward by hand
    (gate order f, g, i, o as in tinygrad_nlp.nn.LSTMCell)."""

    def __init__(self, params: dict[str, np.ndarray]):
        self.p = {k: v.copy() for k, v in params.items()}
        self.h = self.c = None

    def step(self, xs, ts, lr, clip):
        E, Wx, Wh, b, W, bo = (self.p[k] for k in ("E", "Wx", "Wh", "b", "W", "bo"))
        N, T = xs.shape
        H = Wh.shape[0]
        h = np.zeros((N, H), np.float32) if self.h is None else self.h
        c = np.zeros((N, H), np.float32) if self.c is None else self.c
        x = E[xs]  # (N, T, D)
        cache = []
        hs = np.empty((N, T, H), np.float32)
        for t in range(T):
            A = x[:, t] @ Wx + h @ Wh + b
            f, g, i, o = sigmoid(A[:, :H]), np.tanh(A[:, H:2 * H]), sigmoid(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
            c_prev, h_prev = c, h
            c = f * c_prev + g * i
            tc = np.tanh(c)
            h = o * tc
            hs[:, t] = h
            cache.append((h_prev, c_prev, f, g, i, o, tc))
        self.h, self.c = h, c
        s = hs.reshape(N * T, H) @ W + bo
        s -= s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        tf = ts.reshape(-1)
        loss = -np.log(p[np.arange(tf.size), tf] + 1e-7).mean()
        p[np.arange(tf.size), tf] -= 1
        ds = p / tf.size
        grads = {"W": hs.reshape(N * T, H).T @ ds, "bo": ds.sum(axis=0)}
        dhs = (ds @ W.T).reshape(N, T, H)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        dx = np.empty_like(x)
        dh = np.zeros((N, H), np.float32)
        dc = np.zeros((N, H), np.float32)
        for t in reversed(range(T)):
            h_prev, c_prev, f, g, i, o, tc = cache[t]
            dh = dh + dhs[:, t]
            ds_c = dc + dh * o * (1 - tc * tc)
            dA = np.hstack([ds_c * c_prev * f * (1 - f), ds_c * i * (1 - g * g), ds_c * g * i * (1 - i), dh * tc * o * (1 - o)])
            dWx += x[:, t].T @ dA
            dWh += h_prev.T @ dA
            db += dA.sum(axis=0)
            dx[:, t] = dA @ Wx.T
            dh = dA @ Wh.T
            dc = ds_c * f
        dE = np.zeros_like(E)
        np.add.at(dE, xs.reshape(-1), dx.reshape(-1, x.shape[2]))
        grads.update(E=dE, Wx=dWx, Wh=dWh, b=db)
        norm = np.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        rate = clip / (norm + 1e-6)
        for k, g in grads.items():
            self.p[k] -= lr * (g * rate if rate < 1 else g)
        return loss


def run(fn, batches):
    t0 = time.perf_counter()
    losses = [fn(xs, ts) for xs, ts in batches]
    return time.perf_counter() - t0, losses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--wordvec", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--time", type=int, default=35)
    args = ap.parse_args()
    kept = keep_freed_memory()  # as the training commands do: the step's 28 MB arrays stay mapped
    corpus, vocab = load_ptb("train")
    V = len(vocab)
    batches = []
    for k, b in enumerate(sequential_batches(corpus, args.batch, args.time)):
        if k >= args.steps + 2:
            break
        batches.append(b)
    warm, batches = batches[:2], batches[2:]
    words = args.steps * args.batch * args.time

    model = Rnnlm(V, args.wordvec, args.hidden, generator=0)
    opt = tg.optim.SGD(model.parameters(), lr=20.0)
    cell = model.rnn.cell_l0
    params = dict(E=model.embed.W.data, Wx=cell.Wx.data, Wh=cell.Wh.data, b=cell.b.data, W=model.out.W.data, bo=model.out.b.data)
    ref = NumpyLstmLm(params)

    ours = lm_training_step(model, opt)
    for xs, ts in warm:
        ours(xs, ts)
        ref.step(xs, ts, 20.0, 0.25)
    rows = []
    seconds, ref_losses = run(lambda xs, ts: ref.step(xs, ts, 20.0, 0.25), batches)
    rows.append(("hand-fused numpy LSTM LM (reference)", words / seconds, seconds / args.steps))
    seconds, our_losses = run(ours, batches)
    rows.append(("tinygrad_nlp Rnnlm (composed ops)", words / seconds, seconds / args.steps))
    np.testing.assert_allclose(our_losses[0], ref_losses[0], rtol=1e-4)  # same maths
    np.testing.assert_allclose(np.mean(our_losses), np.mean(ref_losses), rtol=0.01)  # lr 20 amplifies float32 rounding
    try:
        import torch

        torch.set_num_threads(2)

        class TorchLm(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = torch.nn.Embedding(V, args.wordvec)
                self.lstm = torch.nn.LSTM(args.wordvec, args.hidden, batch_first=True)
                self.out = torch.nn.Linear(args.hidden, V)

        tm = TorchLm()
        topt = torch.optim.SGD(tm.parameters(), lr=20.0)
        state = [None]

        def theirs(xs, ts):
            out, st = tm.lstm(tm.embed(torch.from_numpy(xs)), state[0])
            state[0] = tuple(s.detach() for s in st)
            loss = torch.nn.functional.cross_entropy(tm.out(out).reshape(-1, V), torch.from_numpy(ts.reshape(-1)))
            topt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.25)
            topt.step()
            return loss.item()

        for xs, ts in warm:
            theirs(xs, ts)
        seconds, _ = run(theirs, batches)
        rows.append((f"torch {torch.__version__} nn.LSTM (2 threads)", words / seconds, seconds / args.steps))
    except ImportError:
        pass

    print(f"LSTM LM training step on PTB: vocab {V}, wordvec {args.wordvec}, hidden {args.hidden}, "
          f"batch {args.batch} x time {args.time}, {args.steps} steps; freed memory kept (tinygrad_nlp.heap): {kept}")
    print(f"{'implementation':<44} {'words/s':>9} {'s/step':>8} {'vs numpy':>9}")
    for name, rate, per_step in rows:
        print(f"{name:<44} {rate:9,.0f} {per_step:8.4f} {rate / rows[0][1]:8.2f}x")


if __name__ == "__main__":
    main()
