"""How Tensor methods apply nodes: torch's type rules for constants and mixed dtypes, and the
explicit Repeat node on an operand that is broadcast."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..modes import state
from ..tensor import Tensor, wrap
from .textbook import MatMul


def as_float(t: Tensor) -> Tensor:
    """Integer and bool tensors (which never need gradients) as the default float dtype."""
    return t if t.data.dtype.kind == "f" else wrap(t.data.astype(state.default_dtype))


def reciprocal(c: float) -> float:
    """1 / c for a Python number, ±inf for ±0 (as torch's true division)."""
    if c == 0:
        return math.copysign(math.inf, c) if isinstance(c, float) else math.inf
    return 1.0 / c


def constant_operand(x: Any, like: Tensor) -> Any:
    """A non-Tensor operand. Python and numpy scalars become Python numbers, weakly typed as in
    torch (float32 * np.float64(2) is float32); arrays are cast to the tensor's float dtype."""
    if type(x) is np.ndarray and x.ndim and (x.dtype is like.data.dtype or like.data.dtype.kind != "f"):
        return x  # the common array constant: nothing to convert
    if type(x) is float or type(x) is int or type(x) is bool:
        return x
    if isinstance(x, (np.generic, np.ndarray)) and np.ndim(x) == 0:
        return x.item()
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"cannot combine a Tensor with {type(x).__name__} of dtype {arr.dtype}")
    if like.dtype.kind == "f" and arr.dtype != like.dtype:
        arr = arr.astype(like.dtype)
    return arr


def binary(op: type, a: Any, b: Any) -> Tensor:
    """Elementwise binary op with torch's type rules; a broadcast operand that needs a gradient
    gets an explicit Repeat node."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.data.dtype is not b.data.dtype:
            a, b = _promote(a, b)
        if a.data.shape == b.data.shape:  # the common case: nothing to broadcast
            return op()(a, b)
    elif isinstance(a, Tensor):
        if type(b) is not float:
            b = constant_operand(b, a)
        if type(b) is float:  # a Python number: weakly typed (keeps a float tensor's dtype), broadcast by numpy
            return op()(a if a.data.dtype.kind == "f" else as_float(a), b)
        if type(b) is int or type(b) is bool or b.shape == a.data.shape:
            return op()(a, b)
    else:
        if type(a) is not float:
            a = constant_operand(a, b)
        if type(a) is float:
            return op()(a, b if b.data.dtype.kind == "f" else as_float(b))
        if type(a) is int or type(a) is bool or a.shape == b.data.shape:
            return op()(a, b)
    return op()(*_broadcast(op.__name__.lower(), a, b))


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """An integer or bool tensor meeting a float one takes its dtype (int64 * float32 is float32);
    two float dtypes promote as numpy does (float32 + float64 is float64, as in torch)."""
    fa, fb = a.data.dtype.kind == "f", b.data.dtype.kind == "f"
    if fa and not fb:
        return a, wrap(b.data.astype(a.dtype))
    if fb and not fa:
        return wrap(a.data.astype(b.dtype)), b
    return a, b


def _broadcast(op: str, a: Any, b: Any) -> tuple[Any, Any]:
    """Operands of different shapes: check they broadcast; expand (Repeat) a Tensor that needs a gradient."""
    sa, sb = np.shape(a), np.shape(b)
    try:
        shape = np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(f"{op}: shapes {sa} and {sb} cannot be broadcast together") from None
    if state.grad_enabled:
        if sa != shape and isinstance(a, Tensor) and a.requires_grad:
            a = a.expand(shape)
        if sb != shape and isinstance(b, Tensor) and b.requires_grad:
            b = b.expand(shape)
    return a, b


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product: (..., n, k) @ (k, m) or batched (B..., n, k) @ (B..., k, m); a 1-D operand
    is a row (left) or a column (right) vector whose axis is dropped from the result, as in torch.

    Batch dimensions that broadcast get an explicit Repeat node.
    """
    a = a if isinstance(a, Tensor) else Tensor(a, dtype=b.dtype if b.dtype.kind == "f" and np.asarray(a).dtype.kind == "f" else None)
    b = b if isinstance(b, Tensor) else Tensor(b, dtype=a.dtype if a.dtype.kind == "f" and np.asarray(b).dtype.kind == "f" else None)
    if a.dtype != b.dtype and a.dtype.kind == b.dtype.kind == "f":  # no silent float64 model, as torch refuses too
        raise TypeError(f"matmul: {a.shape} {a.dtype} @ {b.shape} {b.dtype}: the operands' float dtypes differ; "
                        "convert one with .float() or .double()")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: both operands need at least 1 dimension")
    if a.ndim == 1 or b.ndim == 1:
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        out = matmul(a2, b2)
        shape = out.shape[:-2] + (() if a.ndim == 1 else out.shape[-2:-1]) + (() if b.ndim == 1 else out.shape[-1:])
        return out.reshape(shape)
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
