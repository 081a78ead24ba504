"""Gradients that touch only part of a tensor, kept without building the dense zeros array.

RowSparse: rows of a table (embeddings); optimizers update just those rows.
Scatter:   GetItem's gradient (values to add at an index); it is added straight into the other
           gradients of the same tensor, or made dense when a backward needs an array.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class RowSparse:
    """Rows `values[i]` to be added at row `ids[i]` of a (V, D...) table; ids may repeat."""

    __slots__ = ("ids", "values", "shape")
    __array_ufunc__ = None  # ndarray + RowSparse defers to RowSparse.__radd__

    def __init__(self, ids: np.ndarray, values: np.ndarray, shape: tuple[int, ...]):
        self.ids = np.asarray(ids).reshape(-1)
        self.values = np.asarray(values).reshape((self.ids.size,) + tuple(shape[1:]))
        self.shape = tuple(shape)

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def data(self) -> "RowSparse":  # so that `p.grad.data` works as for a dense gradient Tensor
        return self

    def coalesce(self) -> "RowSparse":
        """Sum the rows of repeated ids: afterwards every id appears once, sorted."""
        uniq, inverse = np.unique(self.ids, return_inverse=True)
        if uniq.size == self.ids.size:
            order = np.argsort(self.ids)
            return RowSparse(self.ids[order], self.values[order], self.shape)
        values = np.zeros((uniq.size,) + self.shape[1:], dtype=self.values.dtype)
        np.add.at(values, inverse, self.values)
        return RowSparse(uniq, values, self.shape)

    def to_dense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.values.dtype)
        np.add.at(out, self.ids, self.values)
        return out

    def numpy(self) -> np.ndarray:
        return self.to_dense()

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Scatter):
            other = other.to_dense()
        if isinstance(other, RowSparse):
            return RowSparse(np.concatenate([self.ids, other.ids]), np.concatenate([self.values, other.values]), self.shape)
        return np.asarray(other) + self.to_dense()

    __radd__ = __add__

    def __mul__(self, scale: float) -> "RowSparse":
        return RowSparse(self.ids, self.values * scale, self.shape)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"RowSparse({self.ids.size} rows of a table of shape {self.shape})"


class Scatter:
    """dense = zeros(shape); dense[index] += values  (repeated integer indices accumulate)."""

    __slots__ = ("index", "values", "shape", "basic")
    __array_ufunc__ = None

    def __init__(self, index: Any, values: np.ndarray, shape: tuple[int, ...], basic: bool):
        self.index, self.values, self.shape, self.basic = index, values, shape, basic

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    def add_to(self, out: np.ndarray) -> np.ndarray:
        """out[index] += values, in place."""
        if self.basic:
            out[self.index] += self.values
        else:
            np.add.at(out, self.index, self.values)
        return out

    def to_dense(self) -> np.ndarray:
        return self.add_to(np.zeros(self.shape, dtype=self.values.dtype))

    def __add__(self, other: Any) -> np.ndarray:
        if isinstance(other, (Scatter, RowSparse)):
            return other.__radd__(self.to_dense())
        return self.add_to(np.array(other, dtype=np.result_type(other, self.values)))

    __radd__ = __add__
