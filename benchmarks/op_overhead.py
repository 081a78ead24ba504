"""Per-op overhead of the engine: a chain of elementwise ops, forward + backward.

    y = y + c1; y = y * c2; y = tanh(y)   (repeated; 2,000 ops) on a (20, 100) float32 array,
    then sum and backward.

Two variants, each with its own numpy reference: c1, c2 Python scalars, and c1, c2 constant
(20, 100) arrays (a tensor that needs no gradient: ours gets it as a Tensor and as a plain ndarray,
torch as a torch.Tensor). Prints microseconds per op and the ratio to the bare numpy forward of
the same chain, measured in this run, with rows for a hand-written numpy forward+backward and
PyTorch eager (2 threads) when installed.
Usage: python benchmarks/op_overhead.py [--ops 2000] [--repeats 15] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402



def numpy_forward(x: np.ndarray, n: int, c1, c2) -> float:
    y = x
    for i in range(n):
        k = i % 3
        y = y + c1 if k == 0 else (y * c2 if k == 1 else np.tanh(y))
    return float(y.sum())


def numpy_forward_backward(x: np.ndarray, n: int, c1, c2) -> np.ndarray:
    """The same chain with the backward written by hand (what a fused implementation would do)."""
    y, saved = x, []
    for i in range(n):
        k = i % 3
        if k == 0:
            y = y + c1
        elif k == 1:
            y = y * c2
        else:
            y = np.tanh(y)
            saved.append(y)
    g = np.ones_like(y)
    for i in reversed(range(n)):
        k = i % 3
        if k == 1:
            g = g * c2
        elif k == 2:
            out = saved.pop()
            g = g * (1 - out * out)
    return g


def ours_forward_backward(x: np.ndarray, n: int, c1, c2) -> np.ndarray:
    leaf = tg.Tensor(x, requires_grad=True)
    y = leaf
    for i in range(n):
        k = i % 3
        y = y + c1 if k == 0 else (y * c2 if k == 1 else y.tanh())
    y.sum().backward()
    return leaf.grad.data


def torch_forward_backward(torch, x: np.ndarray, n: int, c1, c2) -> np.ndarray:
    leaf = torch.tensor(x, requires_grad=True)
    y = leaf
    for i in range(n):
        k = i % 3
        y = y + c1 if k == 0 else (y * c2 if k == 1 else torch.tanh(y))
    y.sum().backward()
    return leaf.grad.numpy()


def best_times(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Best time of each function over `repeats` rounds; each round runs every function once, in
    turn, so that all of them see the same machine load."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def variant(title: str, x: np.ndarray, n: int, repeats: int, consts: dict) -> None:
    """Time one chain. `consts` maps an implementation name to its (c1, c2)."""
    c1, c2 = consts["numpy"]
    reference = numpy_forward_backward(x, n, c1, c2)
    names = ["numpy forward (reference)", "numpy forward+backward by hand"]
    fns = [lambda: numpy_forward(x, n, c1, c2), lambda: numpy_forward_backward(x, n, c1, c2)]
    for name in ("tinygrad_nlp", "tinygrad_nlp (ndarray constants)"):
        if name in consts:
            a, b = consts[name]
            np.testing.assert_allclose(ours_forward_backward(x, n, a, b), reference, rtol=1e-5, atol=1e-6)
            names.append(f"{name} forward+backward")
            fns.append(lambda a=a, b=b: ours_forward_backward(x, n, a, b))
    if "torch" in consts:
        torch, (a, b) = consts["torch"]
        np.testing.assert_allclose(torch_forward_backward(torch, x, n, a, b), reference, rtol=1e-4, atol=1e-5)
        names.append(f"torch {torch.__version__} eager autograd (2 threads)")
        fns.append(lambda a=a, b=b: torch_forward_backward(torch, x, n, a, b))
    rows = list(zip(names, best_times(fns, repeats)))
    if "torch" not in consts:
        rows.append(("torch (not installed)", float("nan")))
    base = rows[0][1]
    print(f"\n{title}: chain of {n} elementwise ops on (20, 100) float32, best of {repeats}")
    print(f"{'implementation':<48} {'µs/op':>8} {'ratio':>7}")
    for name, seconds in rows:
        print(f"{name:<48} {seconds / n * 1e6:8.2f} {seconds / base:6.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of our forward+backward (tensor constants)")
    args = ap.parse_args()
    n = args.ops
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 100)).astype(np.float32)
    a1 = (0.01 * rng.standard_normal((20, 100))).astype(np.float32)
    a2 = (0.99 + 0.01 * rng.standard_normal((20, 100))).astype(np.float32)
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:
        torch = None

    scalars = {"numpy": (0.01, 0.99), "tinygrad_nlp": (0.01, 0.99)}
    arrays = {"numpy": (a1, a2), "tinygrad_nlp": (tg.tensor(a1), tg.tensor(a2)), "tinygrad_nlp (ndarray constants)": (a1, a2)}
    if torch is not None:
        scalars["torch"] = (torch, (0.01, 0.99))
        arrays["torch"] = (torch, (torch.tensor(a1), torch.tensor(a2)))
    variant("scalar constants", x, n, args.repeats, scalars)
    variant("tensor constants", x, n, args.repeats, arrays)

    if args.profile:
        c1, c2 = arrays["tinygrad_nlp"]
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(5):
            ours_forward_backward(x, n, c1, c2)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())


if __name__ == "__main__":
    main()
