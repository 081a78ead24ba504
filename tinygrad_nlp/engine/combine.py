"""Functions of several tensors: concat (also `cat`, torch's name), stack, where."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .modes import state
from .ops import Concat, Where, constant_operand
from .shapes import normalize_axes, torch_names
from .tensor import Tensor, wrap


@torch_names
def concat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (Concat node)."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("concat: expected at least one tensor")
    ndim = ts[0].ndim
    if ndim == 0:
        raise ValueError("concat: zero-dimensional tensors cannot be concatenated; use stack")
    ax = normalize_axes(axis, ndim, "concat")[0]
    for t in ts:
        if t.ndim != ndim or t.shape[:ax] + t.shape[ax + 1:] != ts[0].shape[:ax] + ts[0].shape[ax + 1:]:
            shapes = ", ".join(str(x.shape) for x in ts)
            raise ValueError(f"concat: shapes {shapes} must match except along axis {ax}")
    if len(ts) == 1:
        return ts[0]
    return Concat(ax)(*ts)


cat = concat


@torch_names
def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis: reshape each, then concat."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: expected at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack: all shapes must be equal, got {', '.join(str(t.shape) for t in ts)}")
    ax = normalize_axes(axis, ts[0].ndim + 1, "stack")[0]
    shape = ts[0].shape[:ax] + (1,) + ts[0].shape[ax:]
    return concat([t.reshape(shape) for t in ts], axis=ax)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Select x where condition else y (a Where node, like torch.where).

    A selection, not arithmetic: inf or NaN in the branch that is not chosen never reaches the
    result, and the gradient goes to the chosen branch only (zero to the other).
    """
    c = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if c.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {c.dtype}")
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    if like is None:
        x, y = np.asarray(x), np.asarray(y)
        out = np.where(c, x, y)
        return wrap(out.astype(state.default_dtype) if out.dtype.kind == "f" and x.ndim + y.ndim == 0 else out)
    x = x if isinstance(x, Tensor) else constant_operand(x, like)
    y = y if isinstance(y, Tensor) else constant_operand(y, like)
    if any(type(v) is float or (isinstance(v, (Tensor, np.ndarray)) and v.dtype.kind == "f") for v in (x, y)):
        x, y = (_float(v) for v in (x, y))
    try:
        shape = np.broadcast_shapes(c.shape, np.shape(x), np.shape(y))
    except ValueError:
        raise ValueError(f"where: condition {c.shape}, x {np.shape(x)} and y {np.shape(y)} cannot be broadcast together") from None
    if state.grad_enabled:
        x, y = (v.expand(shape) if isinstance(v, Tensor) and v.requires_grad else v for v in (x, y))
    return Where(c)(x, y)


def _float(v: Any) -> Any:
    """Integer tensors and arrays as the default float dtype (so that a float branch decides the dtype)."""
    if isinstance(v, Tensor) and v.dtype.kind != "f":
        return wrap(v.data.astype(state.default_dtype))
    if isinstance(v, np.ndarray) and v.dtype.kind != "f":
        return v.astype(state.default_dtype)
    return v
