"""Elementwise nodes (Neg, Pow, Where, Exp, Log, Tanh, Sin, Cos, Erf, ReLU, Cast) and the Max reduction."""
from __future__ import annotations

import math

import numpy as np

from .function import Function
from .textbook import Sum


class Neg(Function, symbol="−", elementwise=True):
    """z = -x;  dx = -g"""
    __slots__ = ()
    def forward(self, x): return -x
    def backward(self, g, out, x): return (-g,)


class Pow(Function, symbol="**", elementwise=True):
    """z = x ** y;  dx = g * y * x ** (y - 1), dy = g * z * log(x)

    As in torch: dx = 0 where y = 0 (also at x = 0), dy = 0 where x = 0 and y ≥ 0 (at x = 0, y < 0 it is
    z·log 0 = -∞). The exponent is usually a number (a constant); a Tensor exponent gets its gradient too.
    """
    __slots__ = ()
    def forward(self, x, y): return x ** y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        dx = dy = None
        if need_x and isinstance(y, (int, float)):  # a constant: common exponents from the output (x ** -2 is slow)
            dx = (g * 0 if y == 0 else g * (x * 2) if y == 2 else g * -(out * out) if y == -1  # d(1/x) = -1/x²
                  else g * (0.5 / out) if y == 0.5 else g * (x ** (y - 1) * y))  # d√x = 1 / (2√x)
        elif need_x:
            dx = g * (y * x ** (y - np.not_equal(y, 0).astype(g.dtype)))  # y - 1, or 0 where y = 0
        if need_y:
            zero = (np.equal(x, 0) & np.greater_equal(y, 0)).astype(g.dtype)  # log(x + 1) = 0 there
            dy = g * out * Log()(x + zero)
        return dx, dy


class Where(Function, symbol="where", elementwise=True):
    """z = x where c else y (c a constant boolean mask);  dx = g where c else 0, dy = g where not c else 0

    A selection: what the mask does not choose never reaches z, and gets a zero gradient.
    """
    __slots__ = ("c",)
    def __init__(self, c: np.ndarray): self.c = c
    def forward(self, x, y): return np.where(self.c, x, y)

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        return (Where(self.c)(g, 0) if need_x else None), (Where(self.c)(0, g) if need_y else None)


class Exp(Function, symbol="exp", elementwise=True):
    """z = exp(x);  dx = g * z"""
    __slots__ = ()
    def forward(self, x): return np.exp(x)
    def backward(self, g, out, x): return (g * out,)


class Log(Function, symbol="log", elementwise=True):
    """z = log(x);  dx = g / x"""
    __slots__ = ()
    def forward(self, x): return np.log(x)
    def backward(self, g, out, x): return (g / x,)


class Tanh(Function, symbol="tanh", elementwise=True):
    """z = tanh(x);  dx = g * (1 - z²)"""
    __slots__ = ()
    def forward(self, x): return np.tanh(x)
    def backward(self, g, out, x): return (g * (1 - out * out),)


class Sin(Function, symbol="sin", elementwise=True):
    """z = sin(x);  dx = g * cos(x)"""
    __slots__ = ()
    def forward(self, x): return np.sin(x)
    def backward(self, g, out, x): return (g * Cos()(x),)


class Cos(Function, symbol="cos", elementwise=True):
    """z = cos(x);  dx = -g * sin(x)"""
    __slots__ = ()
    def forward(self, x): return np.cos(x)
    def backward(self, g, out, x): return (-g * Sin()(x),)


class Erf(Function, symbol="erf", elementwise=True):
    """z = erf(x) = 2/√π ∫₀ˣ exp(-t²) dt (math.erf per element);  dx = g * 2/√π * exp(-x²)"""
    __slots__ = ()
    def forward(self, x): return np.vectorize(math.erf, otypes=[x.dtype if x.dtype.kind == "f" else np.float64])(x)
    def backward(self, g, out, x): return (g * Exp()(x * x * -1.0) * (2 / math.sqrt(math.pi)),)


class ReLU(Function, symbol="ReLU", elementwise=True):
    """z = max(x, 0);  dx = g where not x ≤ 0 (so NaN passes g on, as torch)"""
    __slots__ = ()
    def forward(self, x): return np.maximum(x, 0)
    def backward(self, g, out, x): return (g * np.logical_not(np.less_equal(x, 0)),)


class Cast(Function, symbol="cast", elementwise=True):
    """z = x as a float of another dtype (a copy, so Cast(x.dtype) is torch's clone);  dx = g as x's dtype"""
    __slots__ = ("dtype",)
    def __init__(self, dtype: np.dtype): self.dtype = dtype
    def forward(self, x): return x.astype(self.dtype)
    def backward(self, g, out, x): return (Cast(x.dtype)(g),)


class Max(Function, symbol="max"):
    """z = max(x, axis);  dx = g at the maxima (shared evenly between ties)"""
    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x): return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        xd = np.asarray(x)
        mask = (xd == xd.max(axis=self.axis, keepdims=True)).astype(xd.dtype)
        mask /= mask.sum(axis=self.axis, keepdims=True)
        return (Sum(self.axis, self.keepdims).backward(g, out, x)[0] * mask,)
