"""Hypothesis strategies for property-testing ops: shapes, broadcastable pairs, float64 arrays.

    >>> from hypothesis import given
    >>> from tinygrad_nlp.testing import gradcheck
    >>> from tinygrad_nlp.testing.strategies import arrays, shapes
    >>> @given(arrays(shapes()))
    ... def test_my_op(x):
    ...     gradcheck(my_op, [x])
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes; use min_side=0 to include empty dimensions."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def arrays(shape: Any, low: float = -2.0, high: float = 2.0, dtype: Any = np.float64) -> st.SearchStrategy:
    """Float arrays of `shape` (a tuple or a strategy of shapes) with finite values in [low, high]."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=np.dtype(dtype).itemsize * 8)
    return hnp.arrays(dtype, shape, elements=elements)


def positive_arrays(shape: Any, low: float = 0.2, high: float = 3.0) -> st.SearchStrategy:
    """Float64 arrays with values in [low, high] (for log, sqrt, division)."""
    return arrays(shape, low, high)


@st.composite
def broadcast_pairs(draw: Any, max_dims: int = 3, max_side: int = 4, min_side: int = 1) -> tuple[tuple, tuple]:
    """Two shapes that broadcast together (size-1 axes and missing leading axes included)."""
    shape = draw(shapes(1, max_dims, min_side, max_side))
    bshape = draw(hnp.broadcastable_shapes(shape, min_dims=0, max_dims=len(shape), min_side=min_side, max_side=max_side))
    return (shape, bshape) if draw(st.booleans()) else (bshape, shape)


@st.composite
def array_pairs(draw: Any, same_shape: bool = False, low: float = -2.0, high: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 arrays whose shapes broadcast together (or are equal)."""
    if same_shape:
        a_shape = b_shape = draw(shapes(0, 3))
    else:
        a_shape, b_shape = draw(broadcast_pairs())
    return draw(arrays(a_shape, low, high)), draw(arrays(b_shape, low, high))


@st.composite
def matmul_shapes(draw: Any, batched: bool | None = None, max_side: int = 4) -> tuple[tuple, tuple]:
    """Shapes (..., n, k) and (..., k, m) for a matrix product; leading batch axes optional."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    batched = draw(st.booleans()) if batched is None else batched
    if not batched:
        return (n, k), (k, m)
    batch = draw(shapes(1, 2, 1, 3))
    if draw(st.booleans()):
        return batch + (n, k), (k, m)  # a 2-D right operand shared by the batch (Linear on 3-D input)
    return batch + (n, k), batch + (k, m)


__all__ = ["array_pairs", "arrays", "broadcast_pairs", "matmul_shapes", "positive_arrays", "shapes"]
