"""The gradients that reach each tensor during one backward sweep (PyTorch's input buffer).

A tensor used by several ops receives one gradient from each of them, and their sum is its
gradient (the Branch rule, `Branch.accumulate`). Summing is where a fast engine saves memory
traffic: instead of allocating `g1 + g2`, add `g2` into `g1` in place. That is only safe when
nothing else refers to `g1`'s memory, which is the one rule of this file:

    add in place only into a buffer nothing else refers to.

So the first gradient that reaches a tensor is stored as it came, and the sum the buffer
allocates at the second one is its own: later gradients are added into it in place. A leaf's
total becomes its `.grad` without a copy when it is the buffer's own sum, or a plain array
referenced by nothing else (CPython's reference count says so). Ops declare nothing about buffers.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .ops import Branch
from .sparse import RowSparse, Scatter


class GradBuffer:
    """Gradients by tensor. `add` sums what arrives; `pop` hands a node's total to its backward;
    `take` hands a leaf's total to the caller as an array it may keep (copied if shared)."""

    def __init__(self, in_place: bool = True):
        self.in_place = in_place  # False under create_graph: gradients are Tensors of a recorded graph
        self.grads: dict[int, Any] = {}
        self.owned: set[int] = set()  # ids of the sums this sweep allocated: nothing else refers to them

    def add(self, t: Any, g: Any) -> None:
        k = id(t)
        total = self.grads.get(k)
        if total is None:  # the first gradient is kept as it came: an op or viz may still refer to it
            self.grads[k] = g
            return
        if self.in_place and type(total) is Scatter:  # made dense into a buffer of our own
            total = self.grads[k] = total.to_dense()
            self.owned.add(k)
        if k in self.owned and _addable(total, g):
            Branch.accumulate(total, g, in_place=True)
        else:
            self.grads[k] = total = Branch.accumulate(total, g)
            if self.in_place and type(total) is np.ndarray:
                self.owned.add(k)

    def pop(self, t: Any) -> Any:
        """The total gradient of a node's output, dense (a backward works on arrays), or None."""
        self.owned.discard(id(t))
        g = self.grads.pop(id(t), None)
        return g.to_dense() if type(g) is Scatter else g

    def take(self, t: Any, dtype: np.dtype) -> Any:
        """A leaf's total gradient with the leaf's dtype, safe to keep as `.grad` (None if none came):
        the array itself when nothing else refers to it, else a copy."""
        k = id(t)
        if k not in self.grads:
            return None
        if not self.in_place or isinstance(self.grads[k], RowSparse):
            return self.grads.pop(k)
        if type(self.grads[k]) is Scatter:
            scatter = self.grads.pop(k)
            return scatter.add_to(np.zeros(scatter.shape, dtype=dtype))
        keep = (k in self.owned or self._alone(k)) and self.grads[k].dtype == dtype
        g = self.grads.pop(k)
        return g if keep else np.array(g, dtype=dtype)

    def _alone(self, k: int) -> bool:
        """Is the stored array a plain, writable array that owns its memory and is referenced by
        nothing but this buffer? (An op that kept it, a view of it, the user's own array, or an
        edge gradient kept for viz all raise its reference count.)"""
        a = self.grads[k]
        return type(a) is np.ndarray and a.base is None and a.flags.writeable and self._refcount(k) <= _ALONE

    def _refcount(self, k: int) -> int:
        a = self.grads[k]
        return sys.getrefcount(a)


def _addable(total: Any, g: Any) -> bool:
    return (type(total) is np.ndarray and (type(g) is np.ndarray or type(g) is Scatter)
            and total.shape == g.shape and total.dtype == np.result_type(total.dtype, g.dtype))


def _calibrate() -> int:
    """The reference count `_refcount` sees for an array referenced by nothing but the buffer,
    measured through the same code path (the number differs between Python versions)."""
    buffer = GradBuffer()
    buffer.grads[0] = np.zeros(1)
    return buffer._refcount(0)


_ALONE = _calibrate()
