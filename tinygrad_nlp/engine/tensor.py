"""Tensor: an ndarray that records the computation graph that produced it.

Every operation is a graph node (a `Function`, see `ops/function.py`): calling a node runs its
`forward` on numpy arrays and, when gradients are wanted, links the output tensor to the node
(`tensor._ctx`) and the node to its input tensors (`node.parents`). `loss.backward()` walks that
graph in reverse (see `autograd.py`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .modes import group, state
from .shapes import describe_index, expand_shape, normalize_axes, normalize_index, resolve_shape, shape_args


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
    """A node value in the computation graph (like `torch.Tensor`).

    The data is copied, as `torch.tensor` does; float data is stored as float32 unless `dtype` says
    otherwise (or `set_default_dtype`).
    """

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

    # -- basic properties ----------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)  # the Function that made it (None for a leaf)

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, prefix="tensor(")
        extra = f", grad_fn=<{self._ctx.name}>" if self._ctx is not None else (", requires_grad=True" if self.requires_grad else "")
        if self.name:
            extra += f", name={self.name!r}"
        return f"tensor({body}, dtype={self.dtype}{extra})"

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
                 keep_edge_grads: bool | None = None) -> None:
        """Reverse-mode autodiff: accumulate d(self)/d(leaf) into every leaf's `.grad` (see autograd.backward)."""
        from .autograd import backward

        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph, keep_edge_grads=keep_edge_grads)

    def zero_grad(self) -> None:
        self.grad = None

    # -- arithmetic: sub and div are compositions -------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return binary(Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return binary(Add, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return binary(Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return binary(Mul, other, self)

    def __neg__(self) -> Tensor:
        return Neg()(self)

    def __sub__(self, other: Any) -> Tensor:
        """a - b = a + (-b)"""
        return self + (-other if isinstance(other, Tensor) else -constant_operand(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return (-self) + other

    def __truediv__(self, other: Any) -> Tensor:
        """a / b = a * b**-1 (true division: integers give floats; x / 0 gives ±inf or nan)"""
        a = as_float(self)
        if isinstance(other, Tensor):
            return a * as_float(other) ** -1
        c = constant_operand(other, a)
        return a * (reciprocal(c) if isinstance(c, (int, float)) else np.reciprocal(np.asarray(c, dtype=a.dtype)))

    def __rtruediv__(self, other: Any) -> Tensor:
        return as_float(self) ** -1 * other

    def __pow__(self, exponent: Any) -> Tensor:
        """x ** p: a Pow node (the exponent may be a number or a Tensor)"""
        if isinstance(exponent, Tensor):
            return binary(Pow, self, exponent)
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"pow: exponent must be a number or a Tensor, got {type(exponent).__name__}")
        return Pow()(self, exponent.item() if isinstance(exponent, np.number) else exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return binary(Pow, base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    # comparisons give boolean tensors that carry no gradient
    def __lt__(self, other: Any) -> Tensor:
        return wrap(self.data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return wrap(self.data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return wrap(self.data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return wrap(self.data >= _raw(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return wrap(self.data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return wrap(self.data != _raw(other))

    # -- elementwise -----------------------------------------------------------------------------
    def exp(self) -> Tensor:
        return Exp()(self)

    def log(self) -> Tensor:
        return Log()(self)

    def tanh(self) -> Tensor:
        return Tanh()(self)

    def relu(self) -> Tensor:
        return ReLU()(self)

    @group("sigmoid", "σ")
    def sigmoid(self) -> Tensor:
        """σ(x) = 1 / (1 + e⁻ˣ) = eˣ / (1 + eˣ): with e = exp(-|x|), which never overflows, and the
        constant mask m = [x ≥ 0], σ = (m + (1 - m)·e) / (1 + e) — full relative precision in both
        tails (e is finite, so the masked blend is exact)."""
        m = (self.data >= 0).astype(self.dtype)
        e = (self * (1 - 2 * m)).exp()
        return (e * (1 - m) + m) * (e + 1.0) ** -1

    def sqrt(self) -> Tensor:
        return self ** 0.5

    def abs(self) -> Tensor:
        return self * np.sign(self.data)

    __abs__ = abs

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """x limited to [min, max]: a selection (Where), so dx = g inside the range, 0 outside (torch's rule)."""
        lo = -math.inf if min is None else min
        hi = math.inf if max is None else max
        return Where((self.data >= lo) & (self.data <= hi))(self, np.clip(self.data, lo, hi))

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """`value` where mask is True, x elsewhere (a Where node: dx = 0 where filled)."""
        mask = np.broadcast_to(np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool), self.shape)
        return Where(mask)(self.dtype.type(value), self)

    # -- reductions ------------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Sum(normalize_axes(axis, self.ndim, "sum"), keepdims)(self)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """mean = sum / count"""
        axes = normalize_axes(axis, self.ndim, "mean")
        count = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axes, keepdims) * (1.0 / count if count else math.nan)  # the mean of nothing is NaN, as in torch

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        if self.data.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {self.shape}")
        return Max(normalize_axes(axis, self.ndim, "max"), keepdims)(self)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """min(x) = -max(-x)"""
        return -(-self).max(axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the largest value (flat when axis is None, as torch); carries no gradient."""
        return wrap(np.argmax(self.data, axis=axis, keepdims=keepdims))

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return wrap(np.argmin(self.data, axis=axis, keepdims=keepdims))

    def var(self, axis: Any = None, keepdims: bool = False, unbiased: bool = True) -> Tensor:
        """Σ (x - mean)² / (n - 1), or / n with unbiased=False (torch's default is unbiased)."""
        axes = normalize_axes(axis, self.ndim, "var")
        n = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        d = self - self.mean(axes, keepdims=True)
        dof = n - 1 if unbiased else n
        return (d * d).sum(axes, keepdims) * (1.0 / dof if dof > 0 else math.nan)

    def std(self, axis: Any = None, keepdims: bool = False, unbiased: bool = True) -> Tensor:
        return self.var(axis, keepdims, unbiased).sqrt()

    def cumsum(self, axis: int = 0) -> Tensor:
        """Running sums along `axis`, composed as a MatMul with an upper-triangular matrix of ones."""
        axis = normalize_axes(axis, self.ndim, "cumsum")[0]
        order = tuple(a for a in range(self.ndim) if a != axis) + (axis,)
        ones = np.triu(np.ones((self.shape[axis],) * 2, dtype=self.dtype))
        return (self.transpose(order) @ ones).transpose(tuple(np.argsort(order)))

    @group("logsumexp", "LogSumExp")
    def logsumexp(self, axis: Any = -1, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) = m + log Σ exp(x - m) with m = max(x) as a constant, stable for huge logits;
        a row that is all -inf (fully masked) gives -inf, as in torch."""
        axes = normalize_axes(axis, self.ndim, "logsumexp")
        m = self.data.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(m.dtype)
        out = (self - m).exp().sum(axes, keepdims=True).log() + m
        return out if keepdims else out.reshape(np.squeeze(out.data, axis=axes).shape)

    @group("softmax", "Softmax")
    def softmax(self, axis: int = -1) -> Tensor:
        """softmax(x)ᵢ = exp(xᵢ - m) / Σⱼ exp(xⱼ - m) with m = max(x) as a constant"""
        e = (self - self.data.max(axis=axis, keepdims=True)).exp()
        return e / e.sum(axis=axis, keepdims=True)

    @group("log_softmax", "LogSoftmax")
    def log_softmax(self, axis: int = -1) -> Tensor:
        """log softmax(x) = x - logsumexp(x)"""
        return self - self.logsumexp(axis, keepdims=True)

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        target = resolve_shape(self.shape, shape_args(shape))
        return self if target == self.shape else Reshape(target)(self)

    def flatten(self) -> Tensor:
        return self.reshape(-1)

    view = reshape

    def unsqueeze(self, axis: int) -> Tensor:
        """A new axis of size 1 at `axis` (negative counts from the end of the result)."""
        a = normalize_axes(axis, self.ndim + 1, "unsqueeze")[0]
        return self.reshape(self.shape[:a] + (1,) + self.shape[a:])

    def squeeze(self, axis: int | None = None) -> Tensor:
        """Drop the axes of size 1 (only `axis`, if given and of size 1, as torch)."""
        if axis is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        a = normalize_axes(axis, self.ndim, "squeeze")[0]
        return self if self.shape[a] != 1 else self.reshape(self.shape[:a] + self.shape[a + 1:])

    def permute(self, *axes: Any) -> Tensor:
        return self.transpose(*axes)

    def split(self, size: int, axis: int = 0) -> tuple[Tensor, ...]:
        """Pieces of `size` along `axis` (the last may be smaller), as torch.split with an int."""
        if size < 1:
            raise ValueError(f"split: size must be >= 1, got {size}")
        a = normalize_axes(axis, self.ndim, "split")[0]
        lead = (slice(None),) * a
        return tuple(self[lead + (slice(i, i + size),)] for i in range(0, self.shape[a], size))

    def chunk(self, n: int, axis: int = 0) -> tuple[Tensor, ...]:
        """At most `n` pieces of equal size (the last may be smaller), as torch.chunk."""
        if n < 1:
            raise ValueError(f"chunk: n must be >= 1, got {n}")
        return self.split(max(1, -(-self.shape[normalize_axes(axis, self.ndim, "chunk")[0]] // n)), axis)

    def transpose(self, *axes: Any) -> Tensor:
        axes = shape_args(axes) or tuple(reversed(range(self.ndim)))
        if len(axes) != self.ndim or sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}")
        return Transpose(tuple(a % self.ndim for a in axes))(self)

    @property
    def T(self) -> Tensor:
        return self.transpose()

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

    def repeat(self, n: int, axis: int = 0) -> Tensor:
        """Repeat each element `n` times along `axis` (numpy.repeat), composed from Repeat."""
        if self.ndim == 0:
            return self.reshape(1).repeat(n, 0)
        axis = normalize_axes(axis, self.ndim, "repeat")[0]
        shape = self.shape
        if shape[axis] == 1:
            return self.expand(shape[:axis] + (n,) + shape[axis + 1:])
        spread = self.reshape(shape[: axis + 1] + (1,) + shape[axis + 1:])
        spread = spread.expand(shape[: axis + 1] + (n,) + shape[axis + 1:])
        return spread.reshape(shape[:axis] + (shape[axis] * n,) + shape[axis + 1:])

    def __getitem__(self, index: Any) -> Tensor:
        index = normalize_index(index)
        try:
            self.data[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {describe_index(index)} is out of range for shape {self.shape}: {e}") from None
        return GetItem(index)(self)


# ---------------------------------------------------------------------------------------------
# helpers of the Tensor methods (type promotion, broadcasting and matmul are in ops/apply.py)
# ---------------------------------------------------------------------------------------------
def wrap(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A leaf Tensor around `data` exactly as it is (no dtype conversion, no copy)."""
    t = Tensor.__new__(Tensor)
    t.data = data if type(data) is np.ndarray else np.asarray(data)
    t.grad = t.name = t._ctx = None
    t.requires_grad = False
    return t.requires_grad_(True) if requires_grad else t


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


from .ops import (Add, Exp, GetItem, Log, Max, Mul, Neg, Pow, ReLU, Repeat, Reshape, Sum, Tanh, Transpose, Where,  # noqa: E402,I001
                  as_float, binary, constant_operand, matmul, reciprocal)
