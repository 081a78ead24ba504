"""The gradients that reach each tensor during one backward sweep (PyTorch's input buffer).

A tensor used by several ops receives one gradient from each of them, and their sum is its
gradient (the Branch rule, `Branch.accumulate`). Summing is where a fast engine saves memory
traffic: instead of allocating `g1 + g2`, add `g2` into `g1` in place. That is only safe when
nothing else refers to `g1`'s memory, which is the one rule of this file:

    add in place only into a buffer nothing else refers to.

A stored array qualifies when the buffer allocated it itself (a sum it made), or when it is a
plain, writable array that owns its memory and is referenced by nothing but the buffer (CPython's
reference count says so: an op that kept it, a view of it, the user's own array, or an edge
gradient kept for viz all raise the count). Ops therefore declare nothing about buffers.

A Scatter (the gradient of a slice) waits in `pending` until it can be added into a dense total:
the logits of a language model get a Scatter from picking the targets and a dense gradient from
the softmax, and the Scatter is added into that dense array rather than into a new zeros array.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .ops import Branch
from .sparse import RowSparse, Scatter


class GradBuffer:
    """Gradients by tensor. `add` sums what arrives; `pop` hands a node's total to its backward;
    `take` hands a leaf's total to the caller as an array it may keep (copied if shared).
    The caller must not hold references to stored arrays between calls (the sweep drops its own)."""

    def __init__(self, in_place: bool = True):
        self.in_place = in_place  # False under create_graph: gradients are Tensors of a recorded graph
        self.grads: dict[int, Any] = {}
        self.owned: set[int] = set()  # ids whose stored array nothing else refers to
        self.pending: dict[int, list[Scatter]] = {}  # Scatters to add into the stored dense total

    def add(self, t: Any, g: Any) -> None:
        k = id(t)
        if k not in self.grads:
            self.grads[k] = g
            return
        if not self.in_place:
            self.grads[k] = Branch.accumulate(self.grads[k], g)
            return
        if type(self.grads[k]) is Scatter:
            if type(g) is np.ndarray:  # the dense one becomes the total; the Scatter waits
                self.pending.setdefault(k, []).append(self.grads[k])
                self.grads[k] = g
                return
            self.grads[k] = self.grads[k].to_dense()  # two Scatters: dense, in an array of our own
            self.owned.add(k)
        if type(g) is Scatter and k not in self.owned and type(self.grads[k]) is np.ndarray:
            self.pending.setdefault(k, []).append(g)  # added when the total is ours (or copied)
            return
        if self._claim(k) and _addable(self.grads[k], g):
            Branch.accumulate(self.grads[k], g, in_place=True)
        else:
            self.grads[k] = Branch.accumulate(self._settled(k), g)
            if type(self.grads[k]) is np.ndarray:
                self.owned.add(k)

    def pop(self, t: Any) -> Any:
        """The total gradient of a node's output, dense (a backward works on arrays), or None."""
        k = id(t)
        g = self._settled(k) if k in self.grads else None
        self.grads.pop(k, None)
        self.owned.discard(k)
        return g.to_dense() if type(g) is Scatter else g

    def take(self, t: Any, dtype: np.dtype) -> Any:
        """A leaf's total gradient with the leaf's dtype, safe to keep as `.grad` (None if none came):
        the stored array itself when nothing else refers to it, else a copy."""
        k = id(t)
        if k not in self.grads:
            return None
        if not self.in_place or isinstance(self.grads[k], RowSparse):
            return self.grads.pop(k)
        if type(self.grads[k]) is Scatter:
            scatter = self.grads.pop(k)
            return scatter.add_to(np.zeros(scatter.shape, dtype=dtype))
        if not (self._claim(k) and self.grads[k].dtype == dtype):
            self.grads[k] = np.array(self.grads[k], dtype=dtype)
            self.owned.add(k)
        self._settled(k)
        return self.grads.pop(k)

    # -- ownership ---------------------------------------------------------------------------
    def _claim(self, k: int) -> bool:
        """Is the stored array ours to modify? Claims it when nothing else refers to it."""
        if k not in self.owned and self._alone(k):
            self.owned.add(k)
        return k in self.owned

    def _settled(self, k: int) -> Any:
        """The stored total with its pending Scatters added (into a copy if it is not ours)."""
        scatters = self.pending.pop(k, None)
        if scatters:
            if not self._claim(k):
                self.grads[k] = np.array(self.grads[k], dtype=np.result_type(self.grads[k], scatters[0].dtype))
                self.owned.add(k)
            for s in scatters:
                s.add_to(self.grads[k])
        return self.grads[k]

    def _alone(self, k: int) -> bool:
        """A plain, writable array that owns its memory and is referenced by nothing but the buffer."""
        if type(self.grads[k]) is not np.ndarray or self.grads[k].base is not None or not self.grads[k].flags.writeable:
            return False
        return self._refcount(k) <= _ALONE  # no local name may hold the array while counting

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
