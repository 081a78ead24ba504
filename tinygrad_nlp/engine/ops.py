"""The primitive graph nodes. Each one keeps its forward and its local backward side by side.

The textbook's six: Add, Mul, Repeat (broadcast), Sum, MatMul, Branch (fan-out). Plus the
elementwise and shape nodes a real model needs. Everything else in the library (sub, div, mean,
sigmoid, softmax, cross-entropy, every layer) is a composition of these.

`backward(g, out, *xs)` gets the gradient of the loss w.r.t. the output (`g`), the output and the
inputs, and returns dL/d(input) for each input, None for an input that needs none
(`self.needs_input_grad`). On the fast path these are numpy arrays; under `create_graph=True` they
are Tensors, and the same lines record a graph of the backward pass.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .sparse import RowSparse, Scatter
from .tensor import Function, Tensor


def _is_array(v: Any) -> bool:
    return isinstance(v, (np.ndarray, np.generic))


def _data(v: Any) -> Any:
    """The array of a Tensor (backward runs on Tensors under create_graph), or v itself."""
    return v.data if isinstance(v, Tensor) else v


def expand(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast g to shape (a Repeat node when g is a Tensor)."""
    return np.broadcast_to(g, shape) if _is_array(g) else g.expand(shape)


def reduce_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum g over the axes along which `shape` was broadcast (Repeat's backward)."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _is_basic_index(index: Any) -> bool:
    """Ints, slices, None and Ellipsis select every position at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def scatter_add(g: Any, index: Any, shape: tuple[int, ...], lazy: bool = False) -> Any:
    """zeros(shape) with g added at x[index]; repeated indices accumulate (GetItem's backward).
    lazy=True returns a Scatter that the engine adds straight into the other gradients."""
    if not _is_array(g):
        return ScatterAdd(index, shape)(g)
    scatter = Scatter(index, np.asarray(g), shape, _is_basic_index(index))
    return scatter if lazy else scatter.to_dense()


# ---------------------------------------------------------------------------------------------
# the textbook's node types
# ---------------------------------------------------------------------------------------------
class Add(Function):
    """z = x + y;  dx = g, dy = g"""

    symbol = "+"
    __slots__ = ()

    def forward(self, x, y):
        return x + y

    def backward(self, g, out, x, y):
        return g, g


class Mul(Function):
    """z = x * y;  dx = g * y, dy = g * x"""

    symbol = "×"
    __slots__ = ()

    def forward(self, x, y):
        return x * y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        return (g * y if need_x else None), (g * x if need_y else None)


class Repeat(Function):
    """Broadcast x to `shape` (copies along new or size-1 axes);  dx = sum of g over the copies."""

    symbol = "Repeat"
    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, g, out, x):
        return (reduce_to(g, x.shape),)


class Sum(Function):
    """z = sum(x, axis);  dx = g repeated back over the summed axes"""

    symbol = "Σ"
    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool = False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        if not self.keepdims:
            axes = range(x.ndim) if self.axis is None else self.axis
            kept = list(x.shape)
            for a in axes:
                kept[a] = 1
            g = g.reshape(tuple(kept))
        return (expand(g, x.shape),)


class MatMul(Function):
    """z = x @ y;  dx = g @ yᵀ, dy = xᵀ @ g  (x may carry leading batch axes over a 2-D y)

    With a 2-D y, x's leading axes are folded into its rows: one large GEMM is several times
    faster than numpy's stacked matmul.
    """

    symbol = "MatMul"
    __slots__ = ()

    def forward(self, x, y):
        if y.ndim == 2 and x.ndim > 2:
            return (x.reshape(-1, x.shape[-1]) @ y).reshape(x.shape[:-1] + (y.shape[1],))
        return x @ y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        if y.ndim == 2 and x.ndim > 2:
            g2 = g.reshape((-1, g.shape[-1]))
            gx = (g2 @ y.mT).reshape(x.shape) if need_x else None
            gy = x.reshape((-1, x.shape[-1])).mT @ g2 if need_y else None
            return gx, gy
        return (g @ y.mT if need_x else None), (x.mT @ g if need_y else None)


class Branch:
    """Fan-out (the textbook's copy node): x goes to n consumers;  dx = g₁ + g₂ + … + gₙ

    Its forward is the identity, so the engine records no node for it: the gradient buffer
    (`gradbuffer.py`) applies `accumulate` whenever one more gradient reaches a tensor, and
    `graph.trace` draws a Branch node on every tensor with more than one consumer.
    """

    symbol = "Branch"

    @staticmethod
    def accumulate(total: Any, g: Any, in_place: bool = False) -> Any:
        """total + g; with in_place=True (the caller owns `total`'s buffer) g is added into it."""
        if not in_place:
            return total + g
        if type(g) is Scatter:
            return g.add_to(total)
        total += g
        return total


# ---------------------------------------------------------------------------------------------
# elementwise
# ---------------------------------------------------------------------------------------------
class Neg(Function):
    """z = -x;  dx = -g"""

    symbol = "−"
    __slots__ = ()

    def forward(self, x):
        return -x

    def backward(self, g, out, x):
        return (-g,)


class Pow(Function):
    """z = x ** y;  dx = g * y * x ** (y - 1), dy = g * z * log(x)

    As in torch: dx = 0 where y = 0 (also at x = 0), dy = 0 where x = 0. The exponent is usually
    a number (a constant); a Tensor exponent gets its gradient too.
    """

    symbol = "**"
    __slots__ = ()

    def forward(self, x, y):
        return x ** y

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        dx = dy = None
        if need_x:
            if isinstance(y, (int, float)):
                dx = g * 0 if y == 0 else (g * (x * 2) if y == 2 else g * (x ** (y - 1) * y))
            else:
                nonzero = (_data(y) != 0).astype(g.dtype)  # y - nonzero is y - 1, or 0 where y = 0
                dx = g * (y * x ** (y - nonzero))
        if need_y:
            if isinstance(x, (int, float)):
                dy = g * out * float(np.log(x)) if x != 0 else g * 0
            else:
                zero = (_data(x) == 0).astype(g.dtype)  # log(x + 1) = 0 where x = 0
                dy = g * out * (x + zero).log() if isinstance(x, Tensor) else g * out * np.log(x + zero)
        return dx, dy


class Where(Function):
    """z = x where c else y (c a constant boolean mask);  dx = g where c else 0, dy = g where not c else 0

    A selection: what the mask does not choose never reaches z, and gets a zero gradient.
    """

    symbol = "where"
    __slots__ = ("c",)

    def __init__(self, c: np.ndarray):
        self.c = c

    def forward(self, x, y):
        return np.where(self.c, x, y)

    def backward(self, g, out, x, y):
        need_x, need_y = self.needs_input_grad
        zero = np.zeros((), dtype=_data(g).dtype)
        dx = Where(self.c)(g, zero) if need_x and isinstance(g, Tensor) else (np.where(self.c, g, zero) if need_x else None)
        dy = Where(self.c)(zero, g) if need_y and isinstance(g, Tensor) else (np.where(self.c, zero, g) if need_y else None)
        return dx, dy


class Exp(Function):
    """z = exp(x);  dx = g * z"""

    symbol = "exp"
    __slots__ = ()

    def forward(self, x):
        return np.exp(x)

    def backward(self, g, out, x):
        return (g * out,)


class Log(Function):
    """z = log(x);  dx = g / x"""

    symbol = "log"
    __slots__ = ()

    def forward(self, x):
        return np.log(x)

    def backward(self, g, out, x):
        return (g / x,)


class Tanh(Function):
    """z = tanh(x);  dx = g * (1 - z²)"""

    symbol = "tanh"
    __slots__ = ()

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, out, x):
        return (g * (1 - out * out),)


class ReLU(Function):
    """z = max(x, 0);  dx = g where x > 0"""

    symbol = "ReLU"
    __slots__ = ()

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):
        return (g * (_data(x) > 0).astype(g.dtype),)


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
        xd = _data(x)
        top = xd.max(axis=self.axis, keepdims=True)
        mask = (xd == top).astype(xd.dtype)
        mask /= mask.sum(axis=self.axis, keepdims=True)
        return (Sum(self.axis, self.keepdims).backward(g, out, x)[0] * mask,)


# ---------------------------------------------------------------------------------------------
# shape and indexing
# ---------------------------------------------------------------------------------------------
class Reshape(Function):
    """z = x.reshape(shape);  dx = g.reshape(x.shape)"""

    symbol = "reshape"
    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, g, out, x):
        return (g.reshape(x.shape),)


class Transpose(Function):
    """z = x.transpose(axes);  dx = g.transpose(inverse axes)"""

    symbol = "T"
    __slots__ = ("axes",)

    def __init__(self, axes: tuple[int, ...]):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, g, out, x):
        return (g.transpose(tuple(np.argsort(self.axes))),)


class GetItem(Function):
    """z = x[index] (slices or integer arrays);  dx = g scatter-added into zeros (repeats accumulate)"""

    symbol = "[]"
    __slots__ = ("index",)

    def __init__(self, index: Any):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, g, out, x):
        return (scatter_add(g, self.index, x.shape, lazy=True),)


class ScatterAdd(Function):
    """z = zeros(shape) with x added at [index];  dx = g[index]  (GetItem's backward as a node)"""

    symbol = "scatter"
    __slots__ = ("index", "shape")

    def __init__(self, index: Any, shape: tuple[int, ...]):
        self.index = index
        self.shape = shape

    def forward(self, x):
        return scatter_add(x, self.index, self.shape)

    def backward(self, g, out, x):
        return (g[self.index],)


class Gather(Function):
    """z = table[ids] (rows of a table; the embedding lookup);  dtable = g rows scatter-added at ids

    With sparse=True the fast path returns the rows as a RowSparse instead of a dense table.
    """

    symbol = "Gather"
    __slots__ = ("ids", "sparse")

    def __init__(self, ids: np.ndarray, sparse: bool = False):
        self.ids = ids
        self.sparse = sparse

    def forward(self, table):
        return table[self.ids]

    def backward(self, g, out, table):
        if self.sparse and _is_array(g):
            return (RowSparse(self.ids, g, table.shape),)
        return (scatter_add(g, self.ids, table.shape),)


class Concat(Function):
    """z = concatenate(xs, axis);  dxᵢ = the slice of g that came from xᵢ"""

    symbol = "concat"
    __slots__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g, out, *xs):
        grads, start = [], 0
        lead = (slice(None),) * self.axis
        for x, need in zip(xs, self.needs_input_grad):
            stop = start + x.shape[self.axis]
            grads.append(g[lead + (slice(start, stop),)] if need else None)
            start = stop
        return tuple(grads)
