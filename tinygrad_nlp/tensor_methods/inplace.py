"""Changing a tensor in place: x += y, x[i] = v, x.add_(y), x.mul_(y), x.fill_(v), x.zero_(),
allowed where no graph is recorded (an optimizer step under no_grad, `p.grad.zero_()`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.modes import state
from ..engine.shapes import ints_first, normalize_index
from ..engine.tensor import Tensor, wrap


class InPlace:
    """Installed onto Tensor (see tensor_methods/__init__.py): `self` is always a Tensor."""

    def _in_place(self, op: str, result: Tensor, rebinds: bool = False) -> Tensor:
        """x op= y. Outside a graph (no_grad, or nothing requires grad: an optimizer step,
        `p.grad.zero_()`) x stays the same object and takes the result's values in a new array, so
        a graph that saved x's old values still differentiates correctly. When the result is recorded
        in a graph, `x += y` makes x the result (x = x + y; torch's rule refuses a leaf that requires
        grad), and a method such as `x.add_(y)`, which cannot rebind x, refuses."""
        if result.requires_grad or (self.requires_grad and state.grad_enabled):
            if self.requires_grad and self.is_leaf:
                raise RuntimeError(f"{op}: a leaf tensor that requires grad (shape {self.shape}) cannot be changed in "
                                   "place while the graph is recorded; do it under tg.no_grad() or write x = x + y")
            if not rebinds:
                raise RuntimeError(f"{op}: cannot change a tensor of a recorded graph in place (shape {self.shape}); "
                                   "write x = x + y, or x += y")
            return result
        if result.shape != self.shape:
            raise ValueError(f"{op}: the result has shape {result.shape}, which does not fit in place in shape {self.shape}")
        if not np.can_cast(result.dtype, self.dtype, "same_kind"):
            raise TypeError(f"{op}: a {result.dtype} result cannot be stored in place in a {self.dtype} tensor")
        self.data = result.data.astype(self.dtype)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """x[index] = value, in place where no graph is recorded (the rules of `_in_place`)."""
        if isinstance(value, Tensor) and value.requires_grad and state.grad_enabled:
            raise RuntimeError(f"setitem: cannot record assigning a tensor that requires grad into shape {self.shape}; "
                               "build the result with where, concat or masked_fill")
        new, index = self.data.copy(), normalize_index(index)
        steps, value = ints_first(index), value.data if isinstance(value, Tensor) else value
        (new[steps[0]] if steps else new)[steps[1] if steps else index] = value  # a view, then the rest
        self._in_place("setitem", wrap(new))

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place("+=", self + other, rebinds=True)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place("-=", self - other, rebinds=True)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place("*=", self * other, rebinds=True)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place("/=", self / other, rebinds=True)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._in_place("add_", self + (other if alpha == 1 else other * alpha))

    def mul_(self, other: Any) -> Tensor:
        return self._in_place("mul_", self * other)

    def fill_(self, value: Any) -> Tensor:
        return self._in_place("fill_", wrap(np.full_like(self.data, value)))

    def zero_(self) -> Tensor:
        return self.fill_(0)

