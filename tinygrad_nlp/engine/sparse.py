"""Gradients that touch only part of a tensor, kept without building the dense zeros array
(the lazy outputs of `ScatterAdd`, the backward of indexing).

RowSparse: rows of a table (embeddings, `sparse=True`); optimizers update just those rows.
Scatter:   values to add at an index (the gradient of x[index]); the backward loop adds it straight
           into the other gradients of the same tensor, or makes it dense when an array is needed.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class Scatter:
    """dense = zeros(shape); dense[index] += values  (repeated integer indices accumulate)."""

    __slots__ = ("index", "values", "shape")
    __array_ufunc__ = None  # ndarray + Scatter defers to Scatter.__radd__

    def __init__(self, index: Any, values: Any, shape: tuple[int, ...]):
        self.index, self.values, self.shape = index, np.asarray(values), tuple(shape)

    dtype = property(lambda self: self.values.dtype)
    ndim = property(lambda self: len(self.shape))

    def add_to(self, out: np.ndarray) -> np.ndarray:
        """out[index] += values, in place (np.add.at where an integer index may repeat)."""
        items = self.index if isinstance(self.index, tuple) else (self.index,)
        if all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items):
            out[self.index] += self.values
        else:
            np.add.at(out, self.index, self.values)
        return out

    def to_dense(self) -> np.ndarray:
        return self.add_to(np.zeros(self.shape, dtype=self.dtype))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.to_dense() if dtype is None else self.to_dense().astype(dtype)

    numpy = to_dense

    def __add__(self, other: Any) -> Any:
        """A new dense array (a copy of `other` with the values added), or a RowSparse of both."""
        if isinstance(other, Scatter):
            return other.add_to(self.to_dense())
        return self.add_to(np.array(other, dtype=np.result_type(other, self.values)))

    __radd__ = __add__


class RowSparse(Scatter):
    """Rows `values[i]` to be added at row `ids[i]` of a (V, D...) table; ids may repeat."""

    __slots__ = ()

    def __init__(self, ids: Any, values: Any, shape: tuple[int, ...]):
        ids = np.asarray(ids).reshape(-1)
        super().__init__(ids, np.asarray(values).reshape((ids.size,) + tuple(shape[1:])), shape)

    ids = property(lambda self: self.index)

    @property
    def data(self) -> RowSparse:  # so that `p.grad.data` works as for a dense gradient Tensor
        return self

    def coalesce(self) -> RowSparse:
        """Sum the rows of repeated ids: afterwards every id appears once, sorted."""
        uniq, inverse = np.unique(self.ids, return_inverse=True)
        if uniq.size == self.ids.size:
            order = np.argsort(self.ids)
            return RowSparse(self.ids[order], self.values[order], self.shape)
        values = np.zeros((uniq.size,) + self.shape[1:], dtype=self.dtype)
        np.add.at(values, inverse, self.values)
        return RowSparse(uniq, values, self.shape)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, RowSparse):
            return RowSparse(np.concatenate([self.ids, other.ids]), np.concatenate([self.values, other.values]), self.shape)
        return super().__add__(other)

    __radd__ = __add__

    def __mul__(self, scale: float) -> RowSparse:
        return RowSparse(self.ids, self.values * scale, self.shape)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"RowSparse({self.ids.size} rows of a table of shape {self.shape})"
