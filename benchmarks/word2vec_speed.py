"""CBOW with negative sampling, training-step speed (targets/s) on PTB.

Rows, all measured in this run with the same batches and the same negatives:
  * tinygrad_nlp: models.CBOW (op-composed, sparse embedding gradients, lazy Adam)
  * hand-fused numpy: the same maths with forward and backward written by hand, lazy Adam on rows
  * torch (when installed): nn.Embedding + dense Adam, 2 threads

    python benchmarks/word2vec_speed.py [--steps 300] [--batch 100] [--window 5] [--hidden 100]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from models import CBOW  # noqa: E402
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.data.contexts import UnigramSampler, create_contexts_target  # noqa: E402
from tinygrad_nlp.heap import keep_freed_memory  # noqa: E402


class FixedNegatives:
    """Replays pre-drawn negatives so that every implementation sees the same ones."""

    def __init__(self, batches: list[np.ndarray]):
        self.batches, self.i = batches, 0

    def get_negative_sample(self, target: np.ndarray) -> np.ndarray:
        neg = self.batches[self.i % len(self.batches)]
        self.i += 1
        return neg


def lazy_adam_rows(W, m, v, ids, g, t, lr=0.001, b1=0.9, b2=0.999, eps=1e-8):
    uniq, inv = np.unique(ids, return_inverse=True)
    gs = np.zeros((uniq.size, W.shape[1]), dtype=W.dtype)
    np.add.at(gs, inv, g)
    m[uniq] = b1 * m[uniq] + (1 - b1) * gs
    v[uniq] = b2 * v[uniq] + (1 - b2) * gs * gs
    W[uniq] -= lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m[uniq] / (np.sqrt(v[uniq]) + eps)  # torch.optim.SparseAdam's rule


def run_numpy(W_in, W_out, batches, negs):
    """Hand-written forward and backward of CBOW-NS (mean of contexts, dot with 1+K rows, BCE)."""
    W_in, W_out = W_in.copy(), W_out.copy()
    state = [np.zeros_like(W_in), np.zeros_like(W_in), np.zeros_like(W_out), np.zeros_like(W_out)]
    for t, ((ctx, tgt), neg) in enumerate(zip(batches, negs), start=1):
        n = len(tgt)
        h = W_in[ctx].mean(axis=1)  # (N, H)
        ids = np.concatenate([tgt[:, None], neg], axis=1)  # (N, 1+K)
        w = W_out[ids]  # (N, 1+K, H)
        s = np.einsum("nkh,nh->nk", w, h)
        y = np.zeros_like(s)
        y[:, 0] = 1
        p = 0.5 * (np.tanh(0.5 * s) + 1)
        ds = (p - y) / n
        dw = ds[:, :, None] * h[:, None, :]
        dh = np.einsum("nk,nkh->nh", ds, w)
        dctx = np.repeat(dh[:, None, :] / ctx.shape[1], ctx.shape[1], axis=1)
        lazy_adam_rows(W_out, state[2], state[3], ids.reshape(-1), dw.reshape(-1, w.shape[2]), t)
        lazy_adam_rows(W_in, state[0], state[1], ctx.reshape(-1), dctx.reshape(-1, h.shape[1]), t)
    return W_in


def run_ours(model, batches):
    opt = tg.optim.Adam(model.parameters(), lr=0.001)
    for ctx, tgt in batches:
        loss = model(ctx, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.embed_in.W.data


def run_torch(torch, W_in, W_out, batches, negs):
    emb_in = torch.nn.Embedding.from_pretrained(torch.tensor(W_in), freeze=False)
    emb_out = torch.nn.Embedding.from_pretrained(torch.tensor(W_out), freeze=False)
    opt = torch.optim.Adam(list(emb_in.parameters()) + list(emb_out.parameters()), lr=0.001)
    for (ctx, tgt), neg in zip(batches, negs):
        h = emb_in(torch.from_numpy(ctx)).mean(dim=1)
        ids = torch.from_numpy(np.concatenate([tgt[:, None], neg], axis=1))
        s = (emb_out(ids) * h[:, None, :]).sum(dim=2)
        y = torch.zeros_like(s)
        y[:, 0] = 1
        loss = torch.nn.functional.binary_cross_entropy_with_logits(s, y, reduction="sum") / len(tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return emb_in.weight.detach().numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--negatives", type=int, default=5)
    args = ap.parse_args()
    keep_freed_memory()  # as the training commands do (tinygrad_nlp/heap.py)

    corpus, vocab = load_ptb("train")
    contexts, target = create_contexts_target(corpus, args.window)
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(args.steps):
        idx = rng.integers(0, len(target), args.batch)
        batches.append((contexts[idx], target[idx]))
    sampler = UnigramSampler(corpus, sample_size=args.negatives, generator=0)
    negs = [sampler.get_negative_sample(t) for _, t in batches]

    model = CBOW(len(vocab), args.hidden, args.window, corpus, sample_size=args.negatives, generator=0)
    model.ns_loss.sampler = FixedNegatives(negs)
    W_in0, W_out0 = model.embed_in.W.data.copy(), model.ns_loss.embed_dot.embed.W.data.copy()

    targets = args.steps * args.batch
    rows = []
    t0 = time.perf_counter()
    ref = run_numpy(W_in0, W_out0, batches, negs)
    rows.append(("hand-fused numpy (reference)", targets / (time.perf_counter() - t0)))
    t0 = time.perf_counter()
    ours = run_ours(model, batches)
    rows.append(("tinygrad_nlp CBOW (sparse grads, lazy Adam)", targets / (time.perf_counter() - t0)))
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-4)  # same maths, same updates
    try:
        import torch

        torch.set_num_threads(2)
        t0 = time.perf_counter()
        run_torch(torch, W_in0, W_out0, batches, negs)
        rows.append((f"torch {torch.__version__} (nn.Embedding, dense Adam, 2 threads)", targets / (time.perf_counter() - t0)))
    except ImportError:
        pass

    ref_rate = rows[0][1]
    print(f"CBOW-NS on PTB: window {args.window}, hidden {args.hidden}, batch {args.batch}, {args.negatives} negatives, "
          f"Adam, {args.steps} steps")
    print(f"{'implementation':<58} {'targets/s':>10} {'vs numpy':>9} {'s/PTB epoch':>12}")
    for name, rate in rows:
        print(f"{name:<58} {rate:10,.0f} {rate / ref_rate:8.2f}x {len(target) / rate:12.0f}")
    ours_rate = rows[1][1]
    if len(rows) > 2:
        print(f"tinygrad_nlp / torch = {ours_rate / rows[2][1]:.2f}x; tinygrad_nlp / textbook code (1,900 targets/s) = {ours_rate / 1900:.1f}x")


if __name__ == "__main__":
    main()
