"""The primitive graph nodes. Each one keeps its forward and its local backward side by side.

The textbook's six: Add, Mul, Repeat (broadcast), Sum, MatMul, Branch (fan-out). Plus the
elementwise and shape nodes a real model needs. Everything else in the library (sub, div, mean,
sigmoid, softmax, cross-entropy, every layer) is a composition of these.

`backward(g, out, *xs)` gets the gradient of the loss w.r.t. the output (`g`), the output and the
inputs, and returns dL/d(input) for each input. On the fast path these are numpy arrays; under
`create_graph=True` they are Tensors, and the same lines record a graph of the backward pass.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .sparse import RowSparse, Scatter
from .tensor import Function, Tensor


def _is_array(v: Any) -> bool:
    return isinstance(v, (np.ndarray, np.generic))


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
    fresh_grads = True
    __slots__ = ()

    def forward(self, x, y):
        return x * y

    def backward(self, g, out, x, y):
        return g * y, g * x


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
    fresh_grads = True
    __slots__ = ()

    def forward(self, x, y):
        if y.ndim == 2 and x.ndim > 2:
            return (x.reshape(-1, x.shape[-1]) @ y).reshape(x.shape[:-1] + (y.shape[1],))
        return x @ y

    def backward(self, g, out, x, y):
        if y.ndim == 2 and x.ndim > 2:
            g2 = g.reshape((-1, g.shape[-1]))
            gx = (g2 @ y.mT).reshape(x.shape)
            gy = x.reshape((-1, x.shape[-1])).mT @ g2
            return gx, gy
        return g @ y.mT, x.mT @ g


class Branch(Function):
    """Fan-out (the textbook's copy node): x goes to several consumers; dx = sum of their gradients.

    The engine applies `Branch.accumulate` whenever a second gradient reaches a tensor, and
    `tinygrad_nlp.graph.trace` shows a Branch node on every tensor with more than one consumer.
    """

    symbol = "Branch"
    __slots__ = ("n",)

    def __init__(self, n: int = 2):
        self.n = n

    def forward(self, x):
        return x

    def backward(self, g, out, x):
        return (g,)

    @staticmethod
    def accumulate(g_sum: Any, g: Any) -> Any:
        return g_sum + g


# ---------------------------------------------------------------------------------------------
# elementwise
# ---------------------------------------------------------------------------------------------
class Neg(Function):
    """z = -x;  dx = -g"""

    symbol = "−"
    fresh_grads = True
    __slots__ = ()

    def forward(self, x):
        return -x

    def backward(self, g, out, x):
        return (-g,)


class Pow(Function):
    """z = x ** p (p a number);  dx = g * p * x ** (p - 1)"""

    symbol = "**"
    fresh_grads = True
    __slots__ = ("p",)

    def __init__(self, p: float):
        self.p = p

    def forward(self, x):
        return x ** self.p

    def backward(self, g, out, x):
        if self.p == 2:
            return (g * (x * 2),)
        return (g * (x ** (self.p - 1) * self.p),)


class Exp(Function):
    """z = exp(x);  dx = g * z"""

    symbol = "exp"
    fresh_grads = True
    __slots__ = ()

    def forward(self, x):
        return np.exp(x)

    def backward(self, g, out, x):
        return (g * out,)


class Log(Function):
    """z = log(x);  dx = g / x"""

    symbol = "log"
    fresh_grads = True
    __slots__ = ()

    def forward(self, x):
        return np.log(x)

    def backward(self, g, out, x):
        return (g / x,)


class Tanh(Function):
    """z = tanh(x);  dx = g * (1 - z²)"""

    symbol = "tanh"
    fresh_grads = True
    __slots__ = ()

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, out, x):
        return (g * (1 - out * out),)


class ReLU(Function):
    """z = max(x, 0);  dx = g where x > 0"""

    symbol = "ReLU"
    fresh_grads = True
    __slots__ = ()

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):
        mask = (x.data if isinstance(x, Tensor) else x) > 0
        return (g * mask.astype(g.dtype),)


class Max(Function):
    """z = max(x, axis);  dx = g at the maxima (shared evenly between ties)"""

    symbol = "max"
    fresh_grads = True
    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool = False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        xd = x.data if isinstance(x, Tensor) else x
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
        for x in xs:
            stop = start + x.shape[self.axis]
            grads.append(g[lead + (slice(start, stop),)])
            start = stop
        return tuple(grads)
