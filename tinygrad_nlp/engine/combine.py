"""Functions of several tensors: concat (also `cat`, torch's name), stack."""
from __future__ import annotations

from typing import Any, Sequence

from .ops import Concat
from .shapes import normalize_axes, torch_names
from .tensor import Tensor


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
