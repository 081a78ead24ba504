"""Tensor: an ndarray that records the computation graph that produced it.

Every differentiable operation is a `Function` node (see `ops.py`): calling a node runs its
`forward` on numpy arrays and, when gradients are wanted, links the output tensor to the node
(`tensor._ctx`) and the node to its input tensors (`node.parents`). `loss.backward()` walks that
graph in reverse (see `autograd.py`).
"""
from __future__ import annotations

import contextlib
import numbers
from typing import Any, Iterator, Sequence

import numpy as np

# ---------------------------------------------------------------------------------------------
# global modes: grad recording, anomaly detection, default dtype, viz scope
# ---------------------------------------------------------------------------------------------
_grad_enabled = True
_anomaly = False
_default_dtype = np.dtype(np.float32)
_scope: tuple[str, ...] = ()
_seq = 0  # creation counter of recorded nodes: sorting by it gives a topological order


@contextlib.contextmanager
def _set_grad_enabled(mode: bool) -> Iterator[None]:
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, mode
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad() -> contextlib.AbstractContextManager:
    """Context in which operations build no graph (inference, optimizer updates)."""
    return _set_grad_enabled(False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Context that turns graph recording back on inside a `no_grad` block."""
    return _set_grad_enabled(True)


def is_grad_enabled() -> bool:
    return _grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError naming the first op whose forward or backward made NaN/inf."""
    global _anomaly
    previous, _anomaly = _anomaly, True
    try:
        yield
    finally:
        _anomaly = previous


def is_anomaly_enabled() -> bool:
    return _anomaly


@contextlib.contextmanager
def scope(name: str) -> Iterator[None]:
    """Label the nodes created inside the block (viz draws each scope as a cluster)."""
    global _scope
    previous, _scope = _scope, _scope + (str(name),)
    try:
        yield
    finally:
        _scope = previous


def current_scope() -> tuple[str, ...]:
    return _scope


def set_default_dtype(dtype: Any) -> None:
    """Float dtype given to float data that does not ask for one (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    return _default_dtype


@contextlib.contextmanager
def default_dtype(dtype: Any) -> Iterator[None]:
    """Context that sets the default float dtype (e.g. float64 for gradient checks)."""
    previous = _default_dtype
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(previous)


# ---------------------------------------------------------------------------------------------
# Function: a node of the graph
# ---------------------------------------------------------------------------------------------
class Function:
    """A graph node: `forward(*arrays)` computes the output, `backward(g, out, *inputs)` returns
    one gradient per input (None where an input gets none).

    `backward` sees numpy arrays on the fast path and Tensors under `create_graph=True`, so it is
    written with operations both understand; that is what makes higher-order gradients work.
    `parents` holds the inputs as given (Tensors, or raw constants), `args` their arrays.
    After a `backward(retain_graph=True)` a node keeps `grad_out` (dL/d output) and
    `grad_inputs` (dL/d each input along this edge) for viz.
    """

    symbol = "?"
    fresh_grads = False  # True when backward always returns newly allocated arrays (the engine may add into them)
    __slots__ = ("parents", "args", "scope", "seq", "grad_out", "grad_inputs")

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *xs: Any) -> tuple:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs: Any) -> "Tensor":
        """Run forward on the inputs' arrays; record this node as the output's creator if any
        input requires grad (and recording is on). Non-Tensor inputs are constants."""
        global _seq
        args = []
        track = False
        for x in inputs:
            if isinstance(x, Tensor):
                args.append(x.data)
                track = track or x.requires_grad
            else:
                args.append(x)
        data = self.forward(*args)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = out.name = None
        if track and _grad_enabled:
            out.requires_grad = True
            out._ctx = self
            self.parents = inputs
            self.args = args
            self.scope = _scope
            _seq += 1
            self.seq = _seq
        else:
            out.requires_grad = False
            out._ctx = None
        if _anomaly:
            _check_finite(self, "forward", (data,))
        return out

    def __repr__(self) -> str:
        return f"<{self.name} node>"


def _check_finite(fn: Function, phase: str, arrays: Sequence[Any]) -> None:
    for a in arrays:
        a = a.data if isinstance(a, Tensor) else a
        a = getattr(a, "values", a)  # RowSparse gradients
        if a is not None and np.issubdtype(np.asarray(a).dtype, np.floating) and not np.isfinite(a).all():
            where = "/".join(getattr(fn, "scope", ()) or ()) or "top level"
            raise FloatingPointError(f"detect_anomaly: {fn.name} ({where}) produced NaN or inf in its {phase}")


# ---------------------------------------------------------------------------------------------
# Tensor
# ---------------------------------------------------------------------------------------------
def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data)
    if arr.dtype.kind == "f" and arr.dtype != _default_dtype:
        arr = arr.astype(_default_dtype)
    elif arr.dtype.kind not in "fiub":
        raise TypeError(f"Tensor: unsupported data of dtype {arr.dtype} (expected numbers)")
    return arr


class Tensor:
    """A node value in the computation graph (like `torch.Tensor`).

    Float data is stored as float32 unless `dtype` says otherwise (or `set_default_dtype`).
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
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        return self._ctx

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
        extra = ""
        if self._ctx is not None:
            extra = f", grad_fn=<{self._ctx.name}>"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"tensor({body}, dtype={self.dtype}{extra})"

    # -- graph handling ------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad: only float tensors can require gradients, got dtype {self.dtype} "
                f"(shape {self.shape}); integer tensors hold ids or counts"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> "Tensor":
        """A new leaf sharing the data, cut from the graph."""
        t = wrap(self.data)
        t.name = self.name
        return t

    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Reverse-mode autodiff: accumulate d(self)/d(leaf) into every leaf's `.grad`."""
        from .autograd import backward

        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self) -> None:
        self.grad = None

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return _binary(Add, self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _binary(Add, other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _binary(Mul, self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _binary(Mul, other, self)

    def __neg__(self) -> "Tensor":
        return Neg()(self)

    def __sub__(self, other: Any) -> "Tensor":
        """a - b = a + (-b)"""
        return self + (-other if isinstance(other, Tensor) else -_as_const(other, self))

    def __rsub__(self, other: Any) -> "Tensor":
        return (-self) + other

    def __truediv__(self, other: Any) -> "Tensor":
        """a / b = a * b**-1"""
        if isinstance(other, Tensor):
            return self * other ** -1
        return self * (1.0 / _as_const(other, self))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return self ** -1 * other

    def __pow__(self, exponent: Any) -> "Tensor":
        if isinstance(exponent, Tensor):
            return (exponent * self.log()).exp()  # x**y = exp(y log x)
        if not isinstance(exponent, numbers.Number):
            raise TypeError(f"pow: exponent must be a number or a Tensor, got {type(exponent).__name__}")
        return Pow(exponent)(self)

    def __rpow__(self, base: Any) -> "Tensor":
        return (self * float(np.log(base))).exp()  # b**x = exp(x log b)

    def __matmul__(self, other: Any) -> "Tensor":
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return matmul(Tensor(other, dtype=self.dtype), self)

    # comparisons give boolean tensors that carry no gradient
    def __lt__(self, other: Any) -> "Tensor":
        return wrap(self.data < _raw(other))

    def __le__(self, other: Any) -> "Tensor":
        return wrap(self.data <= _raw(other))

    def __gt__(self, other: Any) -> "Tensor":
        return wrap(self.data > _raw(other))

    def __ge__(self, other: Any) -> "Tensor":
        return wrap(self.data >= _raw(other))

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return wrap(self.data == _raw(other))

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return wrap(self.data != _raw(other))

    # -- elementwise ---------------------------------------------------------------------------
    def exp(self) -> "Tensor":
        return Exp()(self)

    def log(self) -> "Tensor":
        return Log()(self)

    def tanh(self) -> "Tensor":
        return Tanh()(self)

    def relu(self) -> "Tensor":
        return ReLU()(self)

    def sigmoid(self) -> "Tensor":
        """sigmoid(x) = 0.5 * (tanh(x / 2) + 1), stable for any |x|."""
        return (self * 0.5).tanh() * 0.5 + 0.5

    def sqrt(self) -> "Tensor":
        return self ** 0.5

    def abs(self) -> "Tensor":
        return self * np.sign(self.data)

    # -- reductions ----------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return Sum(_norm_axis(axis, self.ndim, "sum"), keepdims)(self)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """mean = sum / count"""
        axes = _norm_axis(axis, self.ndim, "mean")
        count = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axes, keepdims) * (1.0 / max(count, 1))

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        if self.data.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {self.shape}")
        return Max(_norm_axis(axis, self.ndim, "max"), keepdims)(self)

    # -- shape ---------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        target = _resolve_shape(self.shape, shape)
        if target == self.shape:
            return self
        return Reshape(target)(self)

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)) or len(axes) != self.ndim:
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}")
        return Transpose(tuple(a % self.ndim for a in axes))(self)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    @property
    def mT(self) -> "Tensor":
        """Swap the last two axes (matrix transpose of a batch)."""
        if self.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self.shape}")
        axes = list(range(self.ndim))
        axes[-1], axes[-2] = axes[-2], axes[-1]
        return Transpose(tuple(axes))(self)

    def expand(self, *shape: Any) -> "Tensor":
        """Broadcast to `shape` (the textbook's Repeat node; its backward is a Sum)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = tuple(int(s) for s in shape)
        if shape == self.shape:
            return self
        try:
            if np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(f"repeat: cannot broadcast shape {self.shape} to {shape}") from None
        return Repeat(shape)(self)

    def repeat(self, n: int, axis: int = 0) -> "Tensor":
        """Repeat each element `n` times along `axis` (numpy.repeat), composed from Repeat."""
        if self.ndim == 0:
            return self.reshape(1).repeat(n, 0)
        axis = _norm_axis(axis, self.ndim, "repeat")[0]
        shape = self.shape
        if shape[axis] == 1:
            return self.expand(shape[:axis] + (n,) + shape[axis + 1:])
        spread = self.reshape(shape[: axis + 1] + (1,) + shape[axis + 1:])
        spread = spread.expand(shape[: axis + 1] + (n,) + shape[axis + 1:])
        return spread.reshape(shape[:axis] + (shape[axis] * n,) + shape[axis + 1:])

    def __getitem__(self, index: Any) -> "Tensor":
        index = _norm_index(index)
        try:
            self.data[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {_describe_index(index)} is out of range for shape {self.shape}: {e}") from None
        return GetItem(index)(self)

    def softmax(self, axis: int = -1) -> "Tensor":
        from .nn import functional as F

        return F.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        from .nn import functional as F

        return F.log_softmax(self, axis)


# ---------------------------------------------------------------------------------------------
# helpers used by the Tensor methods
# ---------------------------------------------------------------------------------------------
def wrap(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A leaf Tensor around `data` exactly as it is (no dtype conversion, no copy)."""
    t = Tensor.__new__(Tensor)
    t.data = data if type(data) is np.ndarray else np.asarray(data)
    t.grad = None
    t.name = None
    t._ctx = None
    t.requires_grad = False
    if requires_grad:
        t.requires_grad_(True)
    return t


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _as_const(x: Any, like: Tensor) -> Any:
    """A non-Tensor operand: Python numbers stay numbers (numpy keeps the tensor's dtype);
    arrays of floats are cast to the tensor's float dtype so that float64 does not creep in."""
    if isinstance(x, numbers.Number) and not isinstance(x, np.ndarray):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "f" and like.dtype.kind == "f" and arr.dtype != like.dtype:
        arr = arr.astype(like.dtype)
    elif arr.dtype.kind not in "fiub":
        raise TypeError(f"cannot combine a Tensor with {type(x).__name__} of dtype {arr.dtype}")
    return arr


def _binary(op: type, a: Any, b: Any) -> Tensor:
    """Elementwise binary op; a broadcast operand that needs a gradient gets a Repeat node."""
    if not isinstance(b, Tensor):
        if type(b) is float or type(b) is int:  # the common scalar constant: no shape work
            return op()(a, b)
        b = _as_const(b, a)
    elif not isinstance(a, Tensor):
        a = _as_const(a, b)
    sa, sb = np.shape(a), np.shape(b)
    if sa != sb:
        try:
            shape = np.broadcast_shapes(sa, sb)
        except ValueError:
            raise ValueError(f"{op.__name__.lower()}: shapes {sa} and {sb} cannot be broadcast together") from None
        if _grad_enabled:
            if sa != shape and isinstance(a, Tensor) and a.requires_grad:
                a = a.expand(shape)
            if sb != shape and isinstance(b, Tensor) and b.requires_grad:
                b = b.expand(shape)
    return op()(a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product: (..., n, k) @ (k, m) or batched (B..., n, k) @ (B..., k, m).

    Batch dimensions that broadcast get an explicit Repeat node.
    """
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b, dtype=a.dtype if a.dtype.kind == "f" else None)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: both operands need at least 2 dimensions (reshape vectors to (1, n) or (n, 1))")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: inner dimensions {a.shape[-1]} != {b.shape[-2]}")
    if b.ndim > 2 and a.shape[:-2] != b.shape[:-2]:
        try:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: {a.shape} @ {b.shape}: batch dimensions {a.shape[:-2]} and {b.shape[:-2]} do not broadcast") from None
        a = a.expand(batch + a.shape[-2:])
        b = b.expand(batch + b.shape[-2:])
    return MatMul()(a, b)


def _norm_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _resolve_shape(old: tuple[int, ...], new: tuple) -> tuple[int, ...]:
    """The shape `new` (which may hold one -1) that keeps the element count of `old`."""
    new = tuple(int(s) for s in new)
    size = int(np.prod(old))
    known = int(np.prod([s for s in new if s != -1]))
    if new.count(-1) > 1 or any(s < -1 for s in new):
        raise ValueError(f"reshape: invalid target shape {new}")
    if -1 in new:
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape {old} ({size} elements) into {new}")
        new = tuple(size // known if s == -1 else s for s in new)
    elif known != size:
        raise ValueError(f"reshape: cannot reshape {old} ({size} elements) into {new}")
    return new


def _norm_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_norm_index(i) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "iub":
        raise IndexError(f"getitem: index arrays must be integer or boolean, got dtype {index.dtype}")
    return index


def _describe_index(index: Any) -> str:
    if isinstance(index, tuple):
        return "(" + ", ".join(_describe_index(i) for i in index) + ")"
    if isinstance(index, np.ndarray):
        return f"array{index.shape}[{index.min() if index.size else ''}..{index.max() if index.size else ''}]"
    return repr(index)


# ---------------------------------------------------------------------------------------------
# module-level constructors
# ---------------------------------------------------------------------------------------------
def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Create a Tensor (like `torch.tensor`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return wrap(np.zeros(_shape_arg(shape), dtype=dtype or _default_dtype), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return wrap(np.ones(_shape_arg(shape), dtype=dtype or _default_dtype), requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad)


_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the default generator used wherever no `generator` is passed (init, dropout, sampling)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def as_generator(generator: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed, or None (the default one, see `manual_seed`)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        return _rng
    return np.random.default_rng(generator)


def randn(*shape: Any, generator: np.random.Generator | int | None = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples; `generator` is a numpy Generator or an int seed."""
    rng = as_generator(generator)
    data = rng.standard_normal(_shape_arg(shape)).astype(dtype or _default_dtype)
    return wrap(data, requires_grad)


def rand(*shape: Any, generator: np.random.Generator | int | None = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    rng = as_generator(generator)
    data = rng.random(_shape_arg(shape)).astype(dtype or _default_dtype)
    return wrap(data, requires_grad)


def concat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (Concat node)."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("concat: expected at least one tensor")
    ndim = ts[0].ndim
    if ndim == 0:
        raise ValueError("concat: zero-dimensional tensors cannot be concatenated; use stack")
    ax = _norm_axis(axis, ndim, "concat")[0]
    for t in ts:
        if t.ndim != ndim or t.shape[:ax] + t.shape[ax + 1:] != ts[0].shape[:ax] + ts[0].shape[ax + 1:]:
            shapes = ", ".join(str(x.shape) for x in ts)
            raise ValueError(f"concat: shapes {shapes} must match except along axis {ax}")
    if len(ts) == 1:
        return ts[0]
    return Concat(ax)(*ts)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis: reshape each, then concat."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: expected at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack: all shapes must be equal, got {', '.join(str(t.shape) for t in ts)}")
    ax = _norm_axis(axis, ts[0].ndim + 1, "stack")[0]
    shape = ts[0].shape[:ax] + (1,) + ts[0].shape[ax:]
    return concat([t.reshape(shape) for t in ts], axis=ax)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Select x where condition else y: composed as x * m + y * (1 - m)."""
    mask = np.asarray(_raw(condition), dtype=bool)
    like = x if isinstance(x, Tensor) else y
    m = mask.astype(like.dtype)
    return x * m + y * (1.0 - m)


from .ops import Add, Concat, Exp, GetItem, Log, MatMul, Max, Mul, Neg, Pow, ReLU, Repeat, Reshape, Sum, Tanh, Transpose  # noqa: E402
