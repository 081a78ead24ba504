"""The Tensor methods that move elements around, composed of Reshape, Transpose, GetItem, Repeat
and Where nodes (flatten, squeeze, split, tile, tril ...): no node of their own, like compositions.py."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.shapes import normalize_axes, one_axis, reduced_count, shape_args
from ..engine.tensor import Tensor


def triangle(shape: tuple[int, ...], k: int, op: str) -> np.ndarray:
    """The mask j ≤ i + k over the last two axes of `shape` (numpy's tri)."""
    if len(shape) < 2:
        raise ValueError(f"{op}: needs at least 2 dimensions, got shape {shape}")
    return np.tri(*shape[-2:], k=k, dtype=bool)


class Shaping:
    """Installed onto Tensor (see tensor_methods/__init__.py): `self` is always a Tensor."""

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Axes start_dim..end_dim merged into one (all by default; a 0-d tensor becomes (1,)), as torch's:
        a Reshape, so dx = g reshaped back."""
        if self.ndim == 0:
            return self.reshape(1)
        a, b = (one_axis(d, self.ndim, "flatten") for d in (start_dim, end_dim))
        if a > b:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {self.shape})")
        return self.reshape(self.shape[:a] + (reduced_count(self.shape, tuple(range(a, b + 1))),) + self.shape[b + 1:])

    def flip(self, *dims: Any) -> Tensor:
        """The order along `dims` reversed (torch's flip): a GetItem with step -1, so dx = g flipped back."""
        dims = shape_args(dims)
        axes = (normalize_axes(dims, self.ndim, "flip") or ()) if dims else ()
        return self[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(self.ndim))]

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (column j ≤ row i + diagonal) kept, the rest 0: a Where,
        so dx = g inside the triangle, 0 outside (torch's tril; the causal mask of attention)."""
        return self.masked_fill(~triangle(self.shape, diagonal, "tril"), 0.0)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (j ≥ i + diagonal) kept, the rest 0, as torch's triu: a Where,
        so dx = g inside the triangle, 0 outside."""
        return self.masked_fill(triangle(self.shape, diagonal - 1, "triu"), 0.0)

    def unsqueeze(self, axis: int) -> Tensor:
        """A new axis of size 1 at `axis` (negative counts from the end of the result)."""
        a = one_axis(axis, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:a] + (1,) + self.shape[a:])

    def squeeze(self, axis: int | None = None) -> Tensor:
        """Drop the axes of size 1 (only `axis`, if given and of size 1, as torch)."""
        if axis is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        if self.ndim == 0:
            normalize_axes(axis, 0, "squeeze")
            return self
        a = one_axis(axis, self.ndim, "squeeze")
        return self if self.shape[a] != 1 else self.reshape(self.shape[:a] + self.shape[a + 1:])

    def permute(self, *axes: Any) -> Tensor:
        return self.transpose(shape_args(axes))

    def split(self, size: Any, axis: int = 0) -> tuple[Tensor, ...]:
        """Pieces of `size` along `axis` (the last may be smaller), or of the sizes in a list that add
        up to the axis, as torch.split."""
        a = one_axis(axis, self.ndim, "split")
        if isinstance(size, (list, tuple)):
            if sum(size) != self.shape[a] or min(size, default=0) < 0:
                raise ValueError(f"split: sizes {list(size)} must be >= 0 and add up to {self.shape[a]} "
                                 f"(axis {a} of {self.shape})")
            ends = np.cumsum(size).tolist()
            starts = [0] + ends[:-1]
        else:
            if size < 1:
                raise ValueError(f"split: size must be >= 1, got {size}")
            starts = list(range(0, self.shape[a], size)) or [0]  # an empty axis: one empty piece, as torch
            ends = [s + size for s in starts]
        lead = (slice(None),) * a
        return tuple(self[lead + (slice(i, j),)] for i, j in zip(starts, ends))

    def chunk(self, n: int, axis: int = 0) -> tuple[Tensor, ...]:
        """At most `n` pieces of equal size (the last may be smaller), as torch.chunk."""
        if n < 1:
            raise ValueError(f"chunk: n must be >= 1, got {n}")
        if self.ndim and self.shape[one_axis(axis, self.ndim, "chunk")] == 0:  # n empty pieces, as torch
            return self.split([0] * n, axis)
        return self.split(max(1, -(-self.shape[one_axis(axis, self.ndim, "chunk")] // n)), axis)

    def t(self) -> Tensor:
        """The transpose of a matrix (a vector or a scalar stays as it is), as torch's t()."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {self.shape}; use transpose or mT")
        return self.transpose() if self.ndim == 2 else self

    def repeat(self, n: int, axis: int = 0) -> Tensor:
        """Each element `n` times along `axis`: numpy's repeat, the textbook's Repeat node
        (`repeat_interleave`; torch's x.repeat(2, 3), which tiles, is `tile` here)."""
        return self.repeat_interleave(n, axis if self.ndim else None)  # a scalar becomes a vector

    def tile(self, *sizes: Any) -> Tensor:
        """The tensor tiled sizes[i] times along axis i (`x.tile(2, 3)`; extra sizes add leading axes),
        as torch's tile and torch's x.repeat(*sizes): Reshape, Repeat (broadcast), Reshape."""
        sizes = shape_args(sizes)
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        sizes = (1,) * (len(shape) - len(sizes)) + sizes  # fewer sizes than axes: the leading ones stay
        tiled = self.reshape(tuple(v for d in shape for v in (1, d)))
        tiled = tiled.expand(tuple(v for s, d in zip(sizes, shape) for v in (s, d)))
        return tiled.reshape(tuple(s * d for s, d in zip(sizes, shape)))

    def repeat_interleave(self, repeats: int, axis: int | None = None) -> Tensor:
        """Each element `repeats` times along `axis` (flattened first if axis is None), as numpy.repeat
        and torch's repeat_interleave; on an axis of size 1 it is one Repeat node (the textbook's)."""
        if axis is None:
            return self.reshape(-1).repeat_interleave(repeats, 0)
        axis = one_axis(axis, self.ndim, "repeat_interleave")
        shape = self.shape
        if shape[axis] == 1:
            return self.expand(shape[:axis] + (repeats,) + shape[axis + 1:])
        spread = self.reshape(shape[: axis + 1] + (1,) + shape[axis + 1:])
        spread = spread.expand(shape[: axis + 1] + (repeats,) + shape[axis + 1:])
        return spread.reshape(shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1:])
