"""Elementwise nodes: Neg, Pow, Where, Exp, Log, Tanh, Sin, Cos, Erf, ReLU, Cast, and the Max reduction."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .function import Function
from .arrays import data
from .textbook import Sum


class Neg(Function):
    """z = -x;  dx = -g"""

    symbol = "−"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return -x

    def backward(self, g, out, x):
        return (-g,)


class Pow(Function):
    """z = x ** y;  dx = g * y * x ** (y - 1), dy = g * z * log(x)

    As in torch: dx = 0 where y = 0 (also at x = 0), dy = 0 where x = 0 and y ≥ 0 (at x = 0, y < 0 it is
    z·log 0 = -∞). The exponent is usually
    a number (a constant); a Tensor exponent gets its gradient too.
    """

    symbol = "**"
    elementwise = True
    __slots__ = ()

    def forward(self, x, y):
        return x ** y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        dx = dy = None
        if need_x:
            if isinstance(y, (int, float)):  # common exponents from the output (numpy's x ** -2 is slow)
                if y == 0:
                    dx = g * 0
                elif y == 2:
                    dx = g * (x * 2)
                elif y == -1:
                    dx = g * -(out * out)  # d(1/x) = -1/x²
                elif y == 0.5:
                    dx = g * (0.5 / out)  # d√x = 1 / (2√x)
                else:
                    dx = g * (x ** (y - 1) * y)
            else:
                nonzero = (data(y) != 0).astype(g.dtype)  # y - nonzero is y - 1, or 0 where y = 0
                dx = g * (y * x ** (y - nonzero))
        if need_y:
            zero = ((data(x) == 0) & (data(y) >= 0)).astype(data(g).dtype)  # log(x + 1) = 0 there
            dy = g * out * ((x + zero).log() if isinstance(x, Tensor) else np.log(x + zero))
        return dx, dy


class Where(Function):
    """z = x where c else y (c a constant boolean mask);  dx = g where c else 0, dy = g where not c else 0

    A selection: what the mask does not choose never reaches z, and gets a zero gradient.
    """

    symbol = "where"
    elementwise = True
    __slots__ = ("c",)

    def __init__(self, c: np.ndarray):
        self.c = c

    def forward(self, x, y):
        return np.where(self.c, x, y)

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        zero = np.zeros((), dtype=data(g).dtype)
        dx = Where(self.c)(g, zero) if need_x and isinstance(g, Tensor) else (np.where(self.c, g, zero) if need_x else None)
        dy = Where(self.c)(zero, g) if need_y and isinstance(g, Tensor) else (np.where(self.c, zero, g) if need_y else None)
        return dx, dy


class Exp(Function):
    """z = exp(x);  dx = g * z"""

    symbol = "exp"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.exp(x)

    def backward(self, g, out, x):
        return (g * out,)


class Log(Function):
    """z = log(x);  dx = g / x"""

    symbol = "log"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.log(x)

    def backward(self, g, out, x):
        return (g / x,)


class Tanh(Function):
    """z = tanh(x);  dx = g * (1 - z²)"""

    symbol = "tanh"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, out, x):
        return (g * (1 - out * out),)


class Sin(Function):
    """z = sin(x);  dx = g * cos(x)"""

    symbol = "sin"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.sin(x)

    def backward(self, g, out, x):
        return (g * (x.cos() if isinstance(x, Tensor) else np.cos(x)),)


class Cos(Function):
    """z = cos(x);  dx = -g * sin(x)"""

    symbol = "cos"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.cos(x)

    def backward(self, g, out, x):
        return (-g * (x.sin() if isinstance(x, Tensor) else np.sin(x)),)


class Erf(Function):
    """z = erf(x) = 2/√π ∫₀ˣ exp(-t²) dt (math.erf per element);  dx = g * 2/√π * exp(-x²)"""

    symbol = "erf"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.vectorize(math.erf, otypes=[x.dtype if x.dtype.kind == "f" else np.float64])(x)

    def backward(self, g, out, x):
        return (g * ((x * x * -1.0).exp() if isinstance(x, Tensor) else np.exp(-x * x)) * (2 / math.sqrt(math.pi)),)


class ReLU(Function):
    """z = max(x, 0);  dx = g where not x ≤ 0 (so NaN passes g on, as torch)"""

    symbol = "ReLU"
    elementwise = True
    __slots__ = ()

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):
        return (g * np.logical_not(data(x) <= 0).astype(g.dtype),)


class Cast(Function):
    """z = x as a float of another dtype (a copy, so Cast(x.dtype) is torch's clone);  dx = g as x's dtype"""

    symbol = "cast"
    elementwise = True
    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, g, out, x):
        return (Cast(data(x).dtype)(g) if isinstance(g, Tensor) else g.astype(x.dtype, copy=False),)


class Max(Function):
    """z = max(x, axis);  dx = g at the maxima (shared evenly between ties)"""

    symbol = "max"
    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool = False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        xd = data(x)
        top = xd.max(axis=self.axis, keepdims=True)
        mask = (xd == top).astype(xd.dtype)
        mask /= mask.sum(axis=self.axis, keepdims=True)
        return (Sum(self.axis, self.keepdims).backward(g, out, x)[0] * mask,)
