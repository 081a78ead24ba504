"""The textbook's node types: Add, Mul, Repeat (broadcast), Sum, MatMul, Branch (fan-out)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .function import Function


class Add(Function, symbol="+", elementwise=True):
    """z = x + y;  dx = g, dy = g"""
    __slots__ = ()
    def forward(self, x, y): return x + y
    def backward(self, g, out, x, y): return g, g


class Mul(Function, symbol="×", elementwise=True):
    """z = x * y;  dx = g * y, dy = g * x"""
    __slots__ = ()
    def forward(self, x, y): return x * y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        return (g * y if need_x else None), (g * x if need_y else None)


class Repeat(Function, symbol="Repeat"):
    """Broadcast x to `shape` (copies along new or size-1 axes);  dx = sum of g over the copies."""
    __slots__ = ("shape",)
    def __init__(self, shape: tuple[int, ...]): self.shape = shape
    def forward(self, x): return np.broadcast_to(x, self.shape)

    def backward(self, g, out, x):
        lead = g.ndim - x.ndim
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(x.shape) if s == 1 and g.shape[lead + i] != 1)
        return ((g.sum(axis=axes, keepdims=True) if axes else g).reshape(x.shape),)


class Sum(Function, symbol="Σ"):
    """z = sum(x, axis);  dx = g repeated back over the summed axes"""
    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x): return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        if not self.keepdims:  # g gets back the summed axes, as size 1
            g = g.reshape(tuple(1 if self.axis is None or a in self.axis else s for a, s in enumerate(x.shape)))
        return (Repeat(x.shape)(g),)


class MatMul(Function, symbol="MatMul"):
    """z = x @ y;  dx = g @ yᵀ, dy = xᵀ @ g  (x may carry leading batch axes over a 2-D y: they are
    folded into its rows, as one large GEMM is several times faster than numpy's stacked matmul)"""
    __slots__ = ()

    def forward(self, x, y):
        return (rows(x) @ y).reshape(x.shape[:-1] + (y.shape[1],)) if y.ndim == 2 and x.ndim > 2 else x @ y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        if y.ndim == 2 and x.ndim > 2:
            return ((rows(g) @ y.mT).reshape(x.shape) if need_x else None), (rows(x).mT @ rows(g) if need_y else None)
        return (g @ y.mT if need_x else None), (x.mT @ g if need_y else None)


def rows(a: Any) -> Any:
    """(..., k) as a matrix (n, k) of its rows (an explicit n: reshape(-1, 0) is undefined)."""
    return a.reshape((math.prod(a.shape[:-1]), a.shape[-1]))


class Branch:
    """Fan-out (the textbook's copy node): x goes to n consumers;  dx = g₁ + g₂ + … + gₙ

    Its forward is the identity, so the engine records no node for it: the backward loop
    (`autograd.sweep`) sums the gradients that reach a tensor, and `viz.trace.trace` draws a Branch
    node on every tensor with more than one consumer.
    """
    symbol = "Branch"
