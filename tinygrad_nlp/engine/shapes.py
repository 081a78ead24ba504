"""Argument normalising shared by the Tensor methods and constructors: shapes, axes, indices.

Each function raises an error naming the op, the shapes and what was expected.
"""
from __future__ import annotations

import functools
import inspect
import numbers
from typing import Any, Callable

import numpy as np


_TORCH_NAMES = {"dim": "axis", "keepdim": "keepdims"}


def torch_names(f: Callable) -> Callable:
    """`f` also taking torch's `dim=` and `keepdim=` for its `axis=` and `keepdims=` (`f` itself if it takes
    no axis=, or a dim= of its own). `tensor_methods.install` applies it to every Tensor method."""
    params = inspect.signature(f).parameters
    if "axis" not in params or "dim" in params:
        return f

    @functools.wraps(f)
    def taking_torch_names(*args: Any, **kwargs: Any) -> Any:
        for torch_name, name in _TORCH_NAMES.items():
            if torch_name in kwargs:
                if name in kwargs:
                    raise TypeError(f"{f.__name__}: got both {name}= and {torch_name}= (they are the same argument)")
                kwargs[name] = kwargs.pop(torch_name)
        return f(*args, **kwargs)
    return taking_torch_names


def shape_args(args: tuple) -> tuple[int, ...]:
    """`f(2, 3)` and `f((2, 3))` both mean shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(s) for s in args)


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """None (every axis), or the sorted, non-negative axes named by an int or a sequence of ints.
    An empty sequence means every axis, as in torch (numpy would reduce none); so does axis 0 or -1 of a
    0-d tensor (torch's rule: a scalar's only axis is the scalar itself)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    if not axes:
        return None
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else None


def one_axis(axis: Any, ndim: int, op: str) -> int:
    """The non-negative axis named by the int `axis`, for an op that works along one axis of a tensor
    with at least one (ops that take a 0-d tensor treat it as their 1-element vector before this)."""
    if ndim == 0:
        raise ValueError(f"{op}: needs a tensor with at least one dimension, got a 0-d tensor")
    return normalize_axes(axis, ndim, op)[0]


def reduced_count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    """How many elements a reduction over `axes` (normalized; None: all) takes together."""
    return int(np.prod(shape if axes is None else [shape[a] for a in axes]))


def resolve_shape(old: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...]:
    """The shape `new` (which may hold one -1) that keeps the element count of `old`."""
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


def expand_shape(old: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...]:
    """The shape `new` with -1 meaning "keep this size" (torch's expand); checked to broadcast."""
    lead = len(new) - len(old)
    if lead < 0:
        raise ValueError(f"repeat: cannot broadcast shape {old} to {new} (fewer dimensions)")
    if any(s == -1 for s in new[:lead]):
        raise ValueError(f"repeat: -1 is not allowed for the new leading dimensions in {new}")
    new = tuple(old[i - lead] if s == -1 else s for i, s in enumerate(new))
    try:
        if np.broadcast_shapes(old, new) != new:
            raise ValueError
    except ValueError:
        raise ValueError(f"repeat: cannot broadcast shape {old} to {new}") from None
    return new


def normalize_index(index: Any) -> Any:
    """Tensors and lists inside an index become arrays; float index arrays are refused."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if hasattr(index, "requires_grad"):  # a Tensor of ids or a mask
        index = index.data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "iub":
        raise IndexError(f"getitem: index arrays must be integer or boolean, got dtype {index.dtype}")
    if isinstance(index, np.ndarray) and index.ndim == 0 and index.dtype.kind in "iu":
        return int(index)  # a 0-d integer tensor indexes as an integer, as in torch (see ints_first)
    return index


def is_integer(i: Any) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def ints_first(index: Any) -> tuple[Any, Any] | None:
    """torch applies an index's integers before its index arrays: `x[0, :, [0, 1]]` of a (2, 3, 4) tensor is
    `x[0][:, [0, 1]]`, of shape (3, 2), where numpy, which counts the 0 among the arrays, gives (2, 3).
    Returns (the integers, every other axis kept; the rest) when the two orders can differ, else None."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(map(is_integer, items)) or not any(isinstance(i, np.ndarray) and i.ndim for i in items):
        return None
    first = []
    for i in items:
        if is_integer(i) or i is Ellipsis:
            first.append(i)
        elif isinstance(i, np.ndarray) and i.dtype == bool:  # a mask spans i.ndim axes
            first.extend([slice(None)] * i.ndim)
        elif i is not None:
            first.append(slice(None))
    return tuple(first), tuple(i for i in items if not is_integer(i))


def describe_index(index: Any) -> str:
    if isinstance(index, tuple):
        return "(" + ", ".join(describe_index(i) for i in index) + ")"
    if isinstance(index, np.ndarray):
        return f"array{index.shape}[{index.min() if index.size else ''}..{index.max() if index.size else ''}]"
    return repr(index)
