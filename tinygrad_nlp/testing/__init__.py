"""Gradient checking: compare analytic gradients with central differences.

Public API so that users can property-test their own ops:

    >>> from tinygrad_nlp.testing import gradcheck
    >>> gradcheck(lambda x, y: (x * y).tanh(), [np.random.randn(3, 4), np.random.randn(3, 4)])

Hypothesis strategies for shapes and arrays live in `tinygrad_nlp.testing.strategies`.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..engine import grad
from ..engine import Tensor, no_grad
from ..engine.tensor import wrap


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def _leaves(inputs: Sequence[Any]) -> list[Tensor]:
    out = []
    for x in inputs:
        arr = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)
        out.append(wrap(np.array(arr, dtype=np.float64), requires_grad=True))
    return out


def _projection(fn: Callable[..., Tensor], xs: list[Tensor], seed: int) -> tuple[Tensor, np.ndarray]:
    """A random weighting v so that the scalar sum(fn(x) * v) exercises every output element."""
    out = fn(*xs)
    v = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape) * np.random.default_rng(seed + 1).choice([-1, 1], size=out.shape)
    return out, v


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps for every element of x, changed in place."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        hi = f()
        flat[i] = orig - eps
        lo = f()
        flat[i] = orig
        gflat[i] = (hi - lo) / (2 * eps)
    return g


def _compare(name: str, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float, i: int) -> None:
    if analytic.shape != numeric.shape:
        raise GradcheckError(f"{name}: gradient of input {i} has shape {analytic.shape}, expected {numeric.shape}")
    if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
        err = np.abs(analytic - numeric)
        j = np.unravel_index(np.argmax(err), err.shape) if err.ndim else ()
        raise GradcheckError(
            f"{name}: gradient of input {i} (shape {analytic.shape}) differs at {tuple(int(k) for k in j)}: "
            f"analytic {analytic[j]:.8g} vs numerical {numeric[j]:.8g} (max abs error {err.max():.3g})"
        )


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, seed: int = 0) -> bool:
    """Check fn's analytic gradients against central differences, in float64.

    `fn` takes Tensors and returns a Tensor; `inputs` are arrays or Tensors (copied to float64).
    Raises GradcheckError naming the input and element that disagree; returns True otherwise.
    """
    xs = _leaves(inputs)
    out, v = _projection(fn, xs, seed)
    if out.size == 0:
        return True
    analytic = grad((out * v).sum(), xs, allow_unused=True)

    def f() -> float:
        with no_grad():
            return float((fn(*xs).data * v).sum())

    for i, (x, a) in enumerate(zip(xs, analytic)):
        a_arr = np.zeros_like(x.data) if a is None else a.data
        _compare("gradcheck", a_arr, numerical_grad(f, x.data, eps), atol, rtol, i)
    return True


def gradgradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-4,
                  rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check second derivatives: the gradient of <grad fn(x), w> (built with create_graph=True)
    against central differences of the first-order analytic gradient."""
    xs = _leaves(inputs)
    out, v = _projection(fn, xs, seed)
    if out.size == 0:
        return True
    rng = np.random.default_rng(seed + 7)
    ws = [rng.uniform(-1, 1, size=x.shape) for x in xs]

    def inner(create_graph: bool) -> Tensor:
        gs = grad((fn(*xs) * v).sum(), xs, create_graph=create_graph, allow_unused=True)
        total = None
        for g, w in zip(gs, ws):
            if g is not None:
                term = (g * w).sum()
                total = term if total is None else total + term
        return total

    h = inner(create_graph=True)
    if h is None or not h.requires_grad:  # first derivatives are constant: second derivatives are 0
        analytic = [None] * len(xs)
    else:
        analytic = grad(h, xs, allow_unused=True)

    def f() -> float:
        value = inner(create_graph=False)
        return 0.0 if value is None else float(value.data)

    for i, (x, a) in enumerate(zip(xs, analytic)):
        a_arr = np.zeros_like(x.data) if a is None else a.data
        _compare("gradgradcheck", a_arr, numerical_grad(f, x.data, eps), atol, rtol, i)
    return True


def gradcheck_module(loss_fn: Callable[[], Tensor], module: Any, eps: float = 1e-6, atol: float = 1e-5,
                     rtol: float = 1e-4) -> bool:
    """Check the gradients of every parameter of `module` (which must be float64) for the scalar
    `loss_fn()`, which must be deterministic (fix the seeds of any sampling inside it)."""
    for name, p in module.named_parameters():
        if p.dtype != np.float64:
            raise TypeError(f"gradcheck_module: parameter {name} is {p.dtype}; build the module under tg.default_dtype(np.float64)")
    module.zero_grad()
    loss_fn().backward()

    def f() -> float:
        with no_grad():
            return float(loss_fn().data)

    for i, (name, p) in enumerate(module.named_parameters()):
        g = p.grad
        analytic = np.zeros_like(p.data) if g is None else (g.to_dense() if hasattr(g, "to_dense") else g.data)
        try:
            _compare("gradcheck_module", analytic, numerical_grad(f, p.data, eps), atol, rtol, i)
        except GradcheckError as e:
            raise GradcheckError(f"{e} [parameter {name}]") from None
    return True


__all__ = ["GradcheckError", "gradcheck", "gradcheck_module", "gradgradcheck", "numerical_grad"]
