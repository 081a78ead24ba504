"""Shape and indexing nodes: Reshape, Transpose, GetItem and its backward ScatterAdd, Gather, Concat."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..sparse import RowSparse, Scatter
from .function import Function
from .arrays import is_array


def is_basic_index(index: Any) -> bool:
    """Ints, slices, None and Ellipsis select every position at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def scatter_add(g: Any, index: Any, shape: tuple[int, ...], lazy: bool = False) -> Any:
    """zeros(shape) with g added at x[index]; repeated indices accumulate (GetItem's backward).
    lazy=True returns a Scatter that the engine adds straight into the other gradients."""
    if not is_array(g):
        return ScatterAdd(index, shape)(g)
    scatter = Scatter(index, np.asarray(g), shape, is_basic_index(index))
    return scatter if lazy else scatter.to_dense()


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
        if self.sparse and is_array(g):
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
