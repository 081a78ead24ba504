"""Tensor: an ndarray that records the computation graph that produced it; Function: a graph node.

Calling a node runs its `forward` on numpy arrays and, when gradients are wanted, links the output
tensor to the node (`tensor._ctx`) and the node to its input tensors (`node.parents`).
`loss.backward()` walks that graph in reverse (see `autograd.py`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .modes import check_finite, group, state
from .shapes import describe_index, expand_shape, normalize_axes, normalize_index, resolve_shape, shape_args


class Function:
    """A graph node: `forward(*arrays)` computes the output; `backward(g, out, *inputs)` returns one
    gradient per input, or None for an input that needs none (`self.needs_input_grad[i]` is False).

    `backward` sees numpy arrays on the fast path and Tensors under `create_graph=True`, so it is
    written with operations both understand; that is what makes higher-order gradients work.
    `parents` holds the inputs as given (Tensors, or raw constants), `args` their arrays.
    After `backward(keep_edge_grads=True)` a node keeps `grad_out` (dL/d output) and `grad_inputs`
    (dL/d each input along this edge) for viz.
    """

    symbol = "?"
    __slots__ = ("parents", "args", "needs_input_grad", "scope", "seq", "grad_out", "grad_inputs")

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *xs: Any) -> tuple:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs: Any) -> Tensor:
        """Run forward on the inputs' arrays; record this node as the output's creator if any input
        requires grad (and recording is on). Non-Tensor inputs are constants."""
        args, needs = [], []
        for x in inputs:
            if isinstance(x, Tensor):
                args.append(x.data)
                needs.append(x.requires_grad)
            else:
                args.append(x)
                needs.append(False)
        out = Tensor.__new__(Tensor)
        out.data = data = self.forward(*args)
        if type(data) is not np.ndarray:
            out.data = np.asarray(data)
        out.grad = out.name = None
        if True in needs and state.grad_enabled:
            out.requires_grad, out._ctx = True, self
            self.parents, self.args, self.needs_input_grad, self.scope = inputs, args, needs, state.scope
            state.seq = self.seq = state.seq + 1
        else:
            out.requires_grad, out._ctx = False, None
        if state.anomaly:
            check_finite(self.name, state.scope, "forward", (out.data,))
        return out

    def __repr__(self) -> str:
        return f"<{self.name} node>"


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
    grad_fn = property(lambda self: self._ctx)

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
        return a * (_reciprocal(c) if isinstance(c, (int, float)) else np.reciprocal(np.asarray(c, dtype=a.dtype)))

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


def as_float(t: Tensor) -> Tensor:
    """Integer and bool tensors (which never need gradients) as the default float dtype."""
    return t if t.data.dtype.kind == "f" else wrap(t.data.astype(state.default_dtype))


def _reciprocal(c: float) -> float:
    if c == 0:
        return math.copysign(math.inf, c) if isinstance(c, float) else math.inf
    return 1.0 / c


from .ops import Add, Exp, GetItem, Log, Max, Mul, Neg, Pow, ReLU, Repeat, Reshape, Sum, Tanh, Transpose, binary, constant_operand, matmul  # noqa: E402,I001
