"""Helpers for backward code that runs on numpy arrays (fast path) and on Tensors (create_graph)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def is_array(v: Any) -> bool:
    return isinstance(v, (np.ndarray, np.generic))


def data(v: Any) -> Any:
    """The array of a Tensor (backward runs on Tensors under create_graph), or v itself."""
    return v.data if isinstance(v, Tensor) else v


def expand(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast g to shape (a Repeat node when g is a Tensor)."""
    return np.broadcast_to(g, shape) if is_array(g) else g.expand(shape)


def reduce_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum g over the axes along which `shape` was broadcast (Repeat's backward)."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)
