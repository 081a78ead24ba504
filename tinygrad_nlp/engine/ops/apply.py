"""How Tensor methods apply nodes to operands of mixed kinds: the dtype rules (`promote`, one
function for every binary op, `where` and matmul) and the explicit Repeat node on an operand that
is broadcast."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..modes import state
from ..tensor import Tensor, wrap
from .elementwise import Where
from .textbook import MatMul

NUMBERS = (int, float, bool)


def promote(op: str, *xs: Any) -> list[Any]:
    """The operands of `op` with torch's dtype rules applied, each a Tensor or a constant:

    - a Python or numpy scalar becomes a Python number, weakly typed: it takes the tensor's dtype
      (float32 * np.float64(2) is float32); an array or a list takes the float dtype (so an ndarray
      never silently turns a float32 model into float64);
    - an integer or bool tensor meeting a float becomes float: the float tensor's dtype, or the
      default dtype when the float is a constant ("div" always makes floats: true division);
    - two float tensors promote as numpy (float32 + float64 is float64); matmul refuses (as torch).
    """
    floats = [x.data.dtype for x in xs if isinstance(x, Tensor) and x.data.dtype.kind == "f"]
    if op == "matmul" and len(set(floats)) > 1:
        shapes = " @ ".join(f"{x.shape} {x.dtype}" for x in xs)
        raise TypeError(f"matmul: {shapes}: the operands' float dtypes differ; convert one with .float() or .double()")
    out = []
    for x in xs:
        if not isinstance(x, Tensor) and type(x) not in NUMBERS:  # (numpy's scalars are not: np.float64 is a float)
            x = np.asarray(x)
            if x.dtype.kind not in "fiub":
                raise TypeError(f"{op}: cannot combine a Tensor with {type(x).__name__} of dtype {x.dtype}")
            x = x.item() if x.ndim == 0 else x
        out.append(x)
    if floats:
        dtype = np.result_type(*floats)
    elif op == "div" or any(type(x) is float or (type(x) is np.ndarray and x.dtype.kind == "f") for x in out):
        dtype = state.default_dtype
    else:
        return out
    return [wrap(x.data.astype(dtype)) if isinstance(x, Tensor) and x.data.dtype.kind != "f" else
            x.astype(dtype) if type(x) is np.ndarray and x.dtype != dtype else x for x in out]


def binary(op: type, a: Any, b: Any) -> Tensor:
    """An elementwise node of two operands after the dtype rules; an operand that is broadcast and
    needs a gradient gets an explicit Repeat node (the textbook's bias add)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.dtype is b.data.dtype and a.data.shape == b.data.shape:
        return op()(a, b)  # the common case: no rule to apply, nothing to broadcast
    if not (isinstance(a, Tensor) and _fits(b, a.data.dtype)):
        a, b = promote(op.__name__.lower(), a, b)
    if not isinstance(a, NUMBERS) and not isinstance(b, NUMBERS) and a.shape != b.shape:
        a, b = broadcast(op.__name__.lower(), a, b)
    return op()(a, b)


def _fits(b: Any, dtype: np.dtype) -> bool:
    """No dtype rule applies to `b` beside a tensor of `dtype` (the common cases, kept fast): a tensor
    or an array of that dtype, an int, or a float beside a float tensor."""
    b = b.data if isinstance(b, Tensor) else b
    return b.dtype is dtype if type(b) is np.ndarray else type(b) is int or type(b) is float and dtype.kind == "f"


def broadcast(op: str, *xs: Any, shape: tuple[int, ...] = ()) -> list[Any]:
    """Operands of different shapes: check they broadcast; expand (Repeat) a Tensor that needs a gradient."""
    try:
        shape = np.broadcast_shapes(shape, *(np.shape(x) for x in xs))
    except ValueError:
        raise ValueError(f"{op}: shapes {' and '.join(str(np.shape(x)) for x in xs)} cannot be broadcast together") from None
    return [x.expand(shape) if isinstance(x, Tensor) and x.requires_grad and state.grad_enabled else x for x in xs]


def reciprocal(c: float) -> float:
    """1 / c for a Python number, ±inf for ±0 (as torch's true division)."""
    if c == 0:
        return math.copysign(math.inf, c) if isinstance(c, float) else math.inf
    return 1.0 / c


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Select x where condition else y (a Where node, like torch.where).

    A selection, not arithmetic: inf or NaN in the branch that is not chosen never reaches the
    result, and the gradient goes to the chosen branch only (zero to the other).
    """
    c = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if c.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {c.dtype}")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x, y = np.asarray(x), np.asarray(y)
        out = np.where(c, x, y)
        return wrap(out.astype(state.default_dtype) if out.dtype.kind == "f" and x.ndim + y.ndim == 0 else out)
    x, y = broadcast("where", *promote("where", x, y), shape=c.shape)
    return Where(c)(x, y)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product: (..., n, k) @ (k, m) or batched (B..., n, k) @ (B..., k, m); a 1-D operand
    is a row (left) or a column (right) vector whose axis is dropped from the result, as in torch.

    Batch dimensions that broadcast get an explicit Repeat node.
    """
    a, b = (x if isinstance(x, Tensor) else wrap(np.asarray(x)) for x in promote("matmul", a, b))
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
