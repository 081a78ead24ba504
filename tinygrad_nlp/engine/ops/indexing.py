"""Shape and indexing nodes: Reshape, Transpose, GetItem and its backward ScatterAdd, Gather, Concat."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..sparse import RowSparse, Scatter
from .function import Function


class Reshape(Function, symbol="reshape"):
    """z = x.reshape(shape);  dx = g.reshape(x.shape)"""
    __slots__ = ("shape",)
    def __init__(self, shape: tuple[int, ...]): self.shape = shape
    def forward(self, x): return x.reshape(self.shape)
    def backward(self, g, out, x): return (g.reshape(x.shape),)


class Transpose(Function, symbol="T"):
    """z = x.transpose(axes);  dx = g.transpose(inverse axes)"""
    __slots__ = ("axes",)
    def __init__(self, axes: tuple[int, ...]): self.axes = axes
    def forward(self, x): return x.transpose(self.axes)
    def backward(self, g, out, x): return (g.transpose(tuple(np.argsort(self.axes))),)


class GetItem(Function, symbol="[]"):
    """z = x[index] (slices or integer arrays);  dx = g scatter-added into zeros (repeats accumulate)"""
    __slots__ = ("index",)
    def __init__(self, index: Any): self.index = index
    def forward(self, x): return x[self.index]
    def backward(self, g, out, x): return (ScatterAdd(self.index, x.shape)(g),)


class ScatterAdd(Function, symbol="scatter"):
    """z = zeros(shape) with x added at [index] (repeated indices accumulate);  dx = g[index]

    The backward of GetItem and Gather. Its output is lazy (`sparse.py`): a Scatter, or with rows=True a
    RowSparse, that the backward loop adds straight into the other gradients of the same tensor.
    """
    __slots__ = ("index", "shape", "rows")

    def __init__(self, index: Any, shape: tuple[int, ...], rows: bool = False):
        self.index, self.shape, self.rows = index, shape, rows

    def forward(self, x): return (RowSparse if self.rows else Scatter)(self.index, x, self.shape)
    def backward(self, g, out, x): return (g[self.index],)


class Gather(Function, symbol="Gather"):
    """z = table[ids] (rows of a table: the embedding lookup);  dtable = g rows scatter-added at ids
    (with sparse=True a RowSparse, the rows used, up to the optimizer)"""
    __slots__ = ("ids", "sparse")

    def __init__(self, ids: np.ndarray, sparse: bool = False):
        self.ids, self.sparse = ids, sparse

    def forward(self, table): return table[self.ids]
    def backward(self, g, out, table): return (ScatterAdd(self.ids, table.shape, self.sparse)(g),)


class Concat(Function, symbol="concat"):
    """z = concatenate(xs, axis);  dxᵢ = the slice of g that came from xᵢ"""
    __slots__ = ("axis",)
    def __init__(self, axis: int): self.axis = axis
    def forward(self, *xs): return np.concatenate(xs, axis=self.axis)

    def backward(self, g, out, *xs):
        ends = np.cumsum([x.shape[self.axis] for x in xs]).tolist()
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (slice(end - x.shape[self.axis], end),)] if need else None
                     for x, end, need in zip(xs, ends, self.needs_input_grad))
