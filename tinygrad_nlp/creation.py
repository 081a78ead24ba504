"""Making tensors: from data, filled, random (and the default random generator), joined (concat, stack)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .engine.modes import state
from .engine.ops import Concat
from .engine.shapes import normalize_axes, shape_args, torch_names
from .engine.tensor import Tensor, wrap


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Create a Tensor (like `torch.tensor`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return wrap(np.zeros(shape_args(shape), dtype=dtype or state.default_dtype), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return wrap(np.ones(shape_args(shape), dtype=dtype or state.default_dtype), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` filled with `fill_value`; its dtype follows the value, as in torch."""
    return Tensor(np.full(shape_args((shape,)), fill_value), requires_grad=requires_grad, dtype=dtype)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... below end (`arange(n)` is 0 .. n-1); integers unless a bound is a float."""
    values = np.arange(start) if end is None else np.arange(start, end, step)
    return Tensor(values, requires_grad=requires_grad, dtype=dtype)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (n×n by default)."""
    return wrap(np.eye(n, m, dtype=dtype or state.default_dtype), requires_grad)


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
    data = as_generator(generator).standard_normal(shape_args(shape)).astype(dtype or state.default_dtype)
    return wrap(data, requires_grad)


def rand(*shape: Any, generator: np.random.Generator | int | None = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    data = as_generator(generator).random(shape_args(shape)).astype(dtype or state.default_dtype)
    return wrap(data, requires_grad)


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
