"""Tensor: an ndarray that records the graph that produced it. Each operator applies one node (a `Function`,
`ops/`), which links the output to itself (`tensor._ctx`, public as `grad_fn`) and itself to its inputs
(`node.parents`); `loss.backward()` walks that graph in reverse (`autograd.py`)."""
from __future__ import annotations

import math
import numbers
import weakref
from typing import Any

import numpy as np

from .modes import state
from .shapes import describe_index, expand_shape, ints_first, normalize_axes, normalize_index, resolve_shape, shape_args


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A copy of `data` (as torch.tensor copies: a Tensor never shares memory with the caller's array)."""
    if isinstance(data, Tensor):
        data = data.data
    arr = np.array(data, dtype=dtype)
    if dtype is None and arr.dtype.kind == "f" and arr.dtype != state.default_dtype:
        arr = arr.astype(state.default_dtype)
    elif arr.dtype.kind not in "fiub":
        raise TypeError(f"Tensor: unsupported data of dtype {arr.dtype} (expected numbers)")
    return arr


class Tensor:
    """A node value in the computation graph (like `torch.Tensor`). The data is copied, as `torch.tensor`
    does; float data is stored as float32 unless `dtype` says otherwise (or `set_default_dtype`)."""

    __slots__ = ("data", "grad", "requires_grad", "name", "_ctx", "__weakref__")
    __array_priority__ = 100  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.name = name
        self._ctx: Function | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- basic properties and conversions ------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._ctx is None)
    retains_grad = property(lambda self: id(self) in state.retaining)  # see retain_grad
    grad_fn = property(lambda self: self._ctx)  # the Function that made it (None for a leaf)

    def __len__(self) -> int: return len(self.data)
    def numpy(self) -> np.ndarray: return self.data
    def tolist(self) -> Any: return self.data.tolist()
    def __float__(self) -> float: return float(self.item())
    def __int__(self) -> int: return int(self.item())
    __hash__ = object.__hash__

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, got shape {self.shape}")
        return self.data.item()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, prefix="tensor(")
        extra = f", grad_fn=<{self._ctx.name}>" if self._ctx is not None else (", requires_grad=True" if self.requires_grad else "")
        return f"tensor({body}, dtype={self.dtype}{extra}{f', name={self.name!r}' if self.name else ''})"

    def to(self, dtype: Any) -> Tensor:
        """This tensor as `dtype` (itself if it already is, as torch): a float copy stays in the graph (Cast)."""
        dtype = np.dtype(dtype)
        return self if dtype == self.dtype else Cast(dtype)(self) if dtype.kind == "f" else wrap(self.data.astype(dtype))

    def clone(self) -> Tensor:
        """A copy that stays in the graph (torch's clone): dx = g."""
        return Cast(self.dtype)(self) if self.dtype.kind == "f" else wrap(self.data.copy())

    # -- graph handling ------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only float tensors can require gradients, got dtype {self.dtype} "
                            f"(shape {self.shape}); integer tensors hold ids or counts")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A new leaf sharing the data, cut from the graph."""
        t = wrap(self.data)
        t.name = self.name
        return t

    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False,
                 keep_edge_grads: bool | None = None, *, gradient: Any = None) -> None:
        """Reverse-mode autodiff: accumulate d(self)/d(leaf) into every leaf's `.grad` (see autograd.backward).
        `gradient=` is torch's name for `grad`."""
        from .autograd import backward

        backward(self, grad if gradient is None else gradient, retain_graph, create_graph, keep_edge_grads)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` at the next backward() (leaves always do)."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: tensor of shape {self.shape} does not require grad")
        if self._ctx is not None and id(self) not in state.retaining:
            state.retaining.add(id(self))
            weakref.finalize(self, state.retaining.discard, id(self))

    def zero_grad(self) -> None: self.grad = None

    # -- arithmetic (sub and div are compositions) and comparisons (no gradient) ------------------
    def __add__(self, other: Any) -> Tensor: return binary(Add, self, other)
    def __radd__(self, other: Any) -> Tensor: return binary(Add, other, self)
    def __mul__(self, other: Any) -> Tensor: return binary(Mul, self, other)
    def __rmul__(self, other: Any) -> Tensor: return binary(Mul, other, self)
    def __neg__(self) -> Tensor: return Neg()(self)
    def __rsub__(self, other: Any) -> Tensor: return (-self) + other
    def __rpow__(self, base: Any) -> Tensor: return binary(Pow, base, self)
    def __matmul__(self, other: Any) -> Tensor: return matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return matmul(other, self)

    def __sub__(self, other: Any) -> Tensor:
        """a - b = a + (-b)"""
        return self + -(other if isinstance(other, Tensor) or type(other) in NUMBERS else promote("sub", self, other)[1])

    def __truediv__(self, other: Any) -> Tensor:
        """a / b = a * b**-1 (true division: integers give floats; x / 0 gives ±inf or nan)"""
        a, b = promote("div", self, other)
        return a * (b ** -1 if isinstance(b, Tensor) else reciprocal(b) if type(b) in NUMBERS else np.reciprocal(b))

    def __rtruediv__(self, other: Any) -> Tensor:
        b, a = promote("div", self, other)
        return b ** -1 * a

    def __pow__(self, exponent: Any) -> Tensor:
        """x ** p: a Pow node (the exponent may be a number or a Tensor)"""
        if isinstance(exponent, Tensor):
            return binary(Pow, self, exponent)
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"pow: exponent must be a number or a Tensor, got {type(exponent).__name__}")
        return Pow()(self, exponent.item() if isinstance(exponent, np.number) else exponent)

    def __lt__(self, other: Any) -> Tensor: return wrap(self.data < raw(other))
    def __le__(self, other: Any) -> Tensor: return wrap(self.data <= raw(other))
    def __gt__(self, other: Any) -> Tensor: return wrap(self.data > raw(other))
    def __ge__(self, other: Any) -> Tensor: return wrap(self.data >= raw(other))
    def __eq__(self, other: Any) -> Tensor: return wrap(self.data == raw(other))  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return wrap(self.data != raw(other))  # type: ignore[override]

    # -- one node each -----------------------------------------------------------------------------
    def exp(self) -> Tensor: return Exp()(self)
    def log(self) -> Tensor: return Log()(self)
    def tanh(self) -> Tensor: return Tanh()(self)
    def relu(self) -> Tensor: return ReLU()(self)
    def sin(self) -> Tensor: return Sin()(self)
    def cos(self) -> Tensor: return Cos()(self)
    def erf(self) -> Tensor: return Erf()(self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Sum(normalize_axes(axis, self.ndim, "sum"), keepdims)(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """x limited to [min, max]: a selection (Where), so dx = g inside the range, 0 outside (torch's rule)."""
        lo, hi = -math.inf if min is None else min, math.inf if max is None else max
        return Where((self.data >= lo) & (self.data <= hi))(self, np.clip(self.data, lo, hi))

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """`value` where mask is True, x elsewhere (a Where node: dx = 0 where filled)."""
        mask = np.broadcast_to(np.asarray(raw(mask), dtype=bool), self.shape)
        return Where(mask)(self.dtype.type(value), self)

    def reshape(self, *shape: Any) -> Tensor:
        target = resolve_shape(self.shape, shape_args(shape))
        return self if target == self.shape else Reshape(target)(self)

    view = reshape

    def transpose(self, *axes: Any) -> Tensor:
        """transpose(d0, d1) swaps two axes (torch's); transpose() reverses them all (numpy's, `.T`);
        transpose((a, b, c, ...)) puts them in that order (numpy's, torch's permute)."""
        if len(axes) == 2 and all(isinstance(a, numbers.Integral) for a in axes):
            a, b = normalize_axes(axes[0], self.ndim, "transpose"), normalize_axes(axes[1], self.ndim, "transpose")
            if self.ndim == 0:  # a scalar's only axis is the scalar (torch)
                return self
            order = list(range(self.ndim))
            order[a[0]], order[b[0]] = order[b[0]], order[a[0]]
            axes = (order,)
        axes = shape_args(axes) or tuple(reversed(range(self.ndim)))
        if len(axes) != self.ndim or sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}")
        return Transpose(tuple(a % self.ndim for a in axes))(self)

    T = property(lambda self: self.transpose())

    @property
    def mT(self) -> Tensor:
        """Swap the last two axes (matrix transpose of a batch)."""
        if self.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self.shape}")
        return self.transpose(tuple(range(self.ndim - 2)) + (self.ndim - 1, self.ndim - 2))

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to `shape`, -1 keeping a size (the textbook's Repeat node; its backward is a Sum)."""
        shape = expand_shape(self.shape, shape_args(shape))
        return self if shape == self.shape else Repeat(shape)(self)

    def __getitem__(self, index: Any) -> Tensor:
        index = normalize_index(index)
        if steps := ints_first(index):  # torch's order, see shapes.ints_first
            return self[steps[0]][steps[1]]
        try:
            self.data[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {describe_index(index)} is out of range for shape {self.shape}: {e}") from None
        return GetItem(index)(self)


def wrap(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A leaf Tensor around `data` exactly as it is (no dtype conversion, no copy)."""
    t = Tensor.__new__(Tensor)
    t.data = data if type(data) is np.ndarray else np.asarray(data)
    t.grad = t.name = t._ctx = None
    t.requires_grad = False
    return t.requires_grad_(True) if requires_grad else t


def raw(x: Any) -> Any:
    """A Tensor's array; anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


from .ops import (Add, Cast, Cos, Erf, Exp, GetItem, Log, Mul, Neg, Pow, ReLU, Repeat, Reshape, Sin,  # noqa: E402,I001
                  Sum, Tanh, Transpose, Where,
                  NUMBERS, binary, matmul, promote, reciprocal)
