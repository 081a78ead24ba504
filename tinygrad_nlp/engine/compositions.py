"""The Tensor methods that are compositions of other Tensor methods: no node of their own.

`Tensor` (tensor.py) inherits them; each is written with the methods whose nodes it is made of
(`mean` is a Sum times a constant, `softmax` an Exp over a Sum, `squeeze` a Reshape ...), so the
graph of a composition shows the primitive nodes, grouped under the composition's name where viz
should fold them (`@group`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .modes import group
from .shapes import normalize_axes, reduced_count, shape_args, torch_names

if TYPE_CHECKING:
    from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """What x.max(dim=d) and x.min(dim=d) return, as torch's."""

    values: Tensor
    indices: Tensor


class Compositions:
    """Mixed into Tensor (it has no state: `self` is always a Tensor)."""

    __slots__ = ()

    # -- sizes, as torch names them ---------------------------------------------------------------
    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    # -- dtype (see Tensor.to) --------------------------------------------------------------------
    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    # -- elementwise ------------------------------------------------------------------------------
    @group("sigmoid", "σ")
    def sigmoid(self) -> Tensor:
        """σ(x) = 1 / (1 + exp(-x)), the textbook's chain ×(-1) → exp → +1 → / (dσ/dx = σ(1 - σ)).

        Stable in both tails, with full relative precision. For x ≥ 0, exp(-x) ≤ 1; for x < 0 the
        chain stays exact until 1/u (u = 1 + exp(-x)) is so small that the / node's derivative
        -1/u² underflows: below x = -42.7 (float32), -353 (float64). Only when some x is below that
        does the chain take a constant shift k = max(-x, 0) (as softmax subtracts its max):
        σ = 1 / (e⁻ᵏ + exp(-x - k)) · e⁻ᵏ, the same nodes with -k before exp, e⁻ᵏ for the +1 and a
        × e⁻ᵏ after the /, where every value and derivative is in range (exp(-x - k) ≤ 1)."""
        limit = -0.5 * math.log(np.finfo(self.dtype).tiny) - 1
        if not np.max(-self.data, initial=-np.inf) > limit:
            return ((self * -1.0).exp() + 1.0) ** -1
        k = np.minimum(np.maximum(-self.data, 0), np.finfo(self.dtype).max / 2)  # x = -inf: e⁻ᵏ = 0, no inf - inf
        s = np.exp(-k)
        return ((self * -1.0 - k).exp() + s) ** -1 * s

    def sqrt(self) -> Tensor:
        return self ** 0.5

    def abs(self) -> Tensor:
        return self * np.sign(self.data)

    __abs__ = abs

    # -- reductions -------------------------------------------------------------------------------
    @torch_names
    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """mean = sum / count"""
        axes = normalize_axes(axis, self.ndim, "mean")
        count = reduced_count(self.shape, axes)
        return self.sum(axes, keepdims) * (1.0 / count if count else math.nan)  # the mean of nothing is NaN, as in torch

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: int | None = None, keepdim: bool = False) -> Any:
        """min(x) = -max(-x); with torch's `dim=`, (values, indices) as torch's"""
        if dim is not None:
            return self.extremes(np.argmin, dim, keepdim)
        return -(-self).max(axis, keepdims or keepdim)

    @torch_names
    def gather(self, axis: int, index: Any) -> Tensor:
        """out[i][j] = x[i][index[i][j]] for axis 1 (torch.gather, numpy's take_along_axis): a GetItem,
        so the gradient is scattered back to the picked positions (repeated ones add up)."""
        index = np.asarray(index.data if hasattr(index, "requires_grad") else index)
        if index.ndim != self.ndim or index.dtype.kind not in "iu":
            raise ValueError(f"gather: index must be integer with {self.ndim} dimensions like the input {self.shape}, "
                             f"got {index.dtype} {index.shape}")
        a = normalize_axes(axis, self.ndim, "gather")[0]
        grid = list(np.indices(index.shape, sparse=True))
        grid[a] = index
        return self[tuple(grid)]

    def extremes(self, arg: Any, dim: int, keepdim: bool = False) -> ValuesIndices:
        """(values, indices) of the element `arg` (np.argmax, np.argmin) picks along `dim`, as torch's
        x.max(dim): values = x[indices] (a GetItem), so the gradient goes to each picked index only."""
        from .tensor import wrap  # tensor.py imports this module first

        d = normalize_axes(dim, self.ndim, arg.__name__)[0]
        if self.shape[d] == 0:
            raise ValueError(f"{arg.__name__}: cannot reduce axis {d} of size 0 (shape {self.shape})")
        picked = arg(self.data, axis=d, keepdims=True)
        values = self.gather(d, picked)
        return ValuesIndices(values, wrap(picked)) if keepdim else \
            ValuesIndices(values.squeeze(d), wrap(picked.squeeze(d)))

    @torch_names
    def var(self, axis: Any = None, keepdims: bool = False, unbiased: bool = True, correction: int | None = None) -> Tensor:
        """Σ (x - mean)² / (n - correction): correction 1 (unbiased, torch's default) or 0 (unbiased=False)."""
        axes = normalize_axes(axis, self.ndim, "var")
        d = self - self.mean(axes, keepdims=True)
        dof = reduced_count(self.shape, axes) - (int(unbiased) if correction is None else correction)
        return (d * d).sum(axes, keepdims) * (1.0 / dof if dof > 0 else math.nan)

    @torch_names
    def std(self, axis: Any = None, keepdims: bool = False, unbiased: bool = True, correction: int | None = None) -> Tensor:
        return self.var(axis, keepdims, unbiased, correction).sqrt()

    def dot(self, other: Tensor) -> Tensor:
        """Σᵢ xᵢ·yᵢ of two vectors (torch's dot): a MatMul of a row and a column."""
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ValueError(f"dot: expects two vectors of the same length, got {self.shape} and {other.shape}")
        return self @ other

    @torch_names
    def norm(self, p: float = 2, axis: Any = None, keepdims: bool = False) -> Tensor:
        """‖x‖_p over `axis` (all by default): p = 2 is √Σx², p = 1 Σ|x|, p = inf max |x|, as torch's norm
        for these p. Where Σx² = 0 the 2-norm is a selection of 0 (masked_fill), so its gradient there is 0
        as torch's, not 0 · ∞."""
        if p == 2:
            squares = (self * self).sum(axis, keepdims)
            zero = squares.data == 0
            return squares.masked_fill(zero, 1.0).sqrt().masked_fill(zero, 0.0)
        if p == 1:
            return self.abs().sum(axis, keepdims)
        if p == math.inf:
            return self.abs().max(axis, keepdims)
        raise ValueError(f"norm: p must be 1, 2 or inf, got {p}")

    @torch_names
    def cumsum(self, axis: int = 0) -> Tensor:
        """Running sums along `axis`, composed as a MatMul with an upper-triangular matrix of ones."""
        axis = normalize_axes(axis, self.ndim, "cumsum")[0]
        order = tuple(a for a in range(self.ndim) if a != axis) + (axis,)
        ones = np.triu(np.ones((self.shape[axis],) * 2, dtype=self.dtype))
        return (self.transpose(order) @ ones).transpose(tuple(np.argsort(order)))

    @torch_names
    @group("logsumexp", "LogSumExp")
    def logsumexp(self, axis: Any = -1, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) = m + log Σ exp(x - m) with m = max(x) as a constant, stable for huge logits;
        a row that is all -inf (fully masked) gives -inf, as in torch."""
        axes = normalize_axes(axis, self.ndim, "logsumexp")
        m = self.data.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(m.dtype)
        out = (self - m).exp().sum(axes, keepdims=True).log() + m
        return out if keepdims else out.reshape(np.squeeze(out.data, axis=axes).shape)

    @torch_names
    @group("softmax", "Softmax")
    def softmax(self, axis: int = -1) -> Tensor:
        """softmax(x)ᵢ = exp(xᵢ - m) / Σⱼ exp(xⱼ - m) with m = max(x) as a constant"""
        e = (self - self.data.max(axis=axis, keepdims=True)).exp()
        return e / e.sum(axis=axis, keepdims=True)

    @torch_names
    @group("log_softmax", "LogSoftmax")
    def log_softmax(self, axis: int = -1) -> Tensor:
        """log softmax(x) = x - logsumexp(x)"""
        return self - self.logsumexp(axis, keepdims=True)

    # -- shape ------------------------------------------------------------------------------------
    def flatten(self) -> Tensor:
        return self.reshape(-1)

    @torch_names
    def unsqueeze(self, axis: int) -> Tensor:
        """A new axis of size 1 at `axis` (negative counts from the end of the result)."""
        a = normalize_axes(axis, self.ndim + 1, "unsqueeze")[0]
        return self.reshape(self.shape[:a] + (1,) + self.shape[a:])

    @torch_names
    def squeeze(self, axis: int | None = None) -> Tensor:
        """Drop the axes of size 1 (only `axis`, if given and of size 1, as torch)."""
        if axis is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        a = normalize_axes(axis, self.ndim, "squeeze")[0]
        return self if self.shape[a] != 1 else self.reshape(self.shape[:a] + self.shape[a + 1:])

    def permute(self, *axes: Any) -> Tensor:
        return self.transpose(shape_args(axes))

    @torch_names
    def split(self, size: Any, axis: int = 0) -> tuple[Tensor, ...]:
        """Pieces of `size` along `axis` (the last may be smaller), or of the sizes in a list that add
        up to the axis, as torch.split."""
        a = normalize_axes(axis, self.ndim, "split")[0]
        if isinstance(size, (list, tuple)):
            if sum(size) != self.shape[a] or min(size, default=0) < 0:
                raise ValueError(f"split: sizes {list(size)} must be >= 0 and add up to {self.shape[a]} "
                                 f"(axis {a} of {self.shape})")
            ends = np.cumsum(size).tolist()
            starts = [0] + ends[:-1]
        else:
            if size < 1:
                raise ValueError(f"split: size must be >= 1, got {size}")
            starts = list(range(0, self.shape[a], size))
            ends = [s + size for s in starts]
        lead = (slice(None),) * a
        return tuple(self[lead + (slice(i, j),)] for i, j in zip(starts, ends))

    @torch_names
    def chunk(self, n: int, axis: int = 0) -> tuple[Tensor, ...]:
        """At most `n` pieces of equal size (the last may be smaller), as torch.chunk."""
        if n < 1:
            raise ValueError(f"chunk: n must be >= 1, got {n}")
        return self.split(max(1, -(-self.shape[normalize_axes(axis, self.ndim, "chunk")[0]] // n)), axis)

    def t(self) -> Tensor:
        """The transpose of a matrix (a vector or a scalar stays as it is), as torch's t()."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {self.shape}; use transpose or mT")
        return self.transpose() if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        return self.transpose()

    @property
    def mT(self) -> Tensor:
        """Swap the last two axes (matrix transpose of a batch)."""
        if self.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self.shape}")
        return self.transpose(tuple(range(self.ndim - 2)) + (self.ndim - 1, self.ndim - 2))

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

    @torch_names
    def repeat_interleave(self, repeats: int, axis: int | None = None) -> Tensor:
        """Each element `repeats` times along `axis` (flattened first if axis is None), as numpy.repeat
        and torch's repeat_interleave; on an axis of size 1 it is one Repeat node (the textbook's)."""
        if axis is None:
            return self.reshape(-1).repeat_interleave(repeats, 0)
        axis = normalize_axes(axis, self.ndim, "repeat_interleave")[0]
        shape = self.shape
        if shape[axis] == 1:
            return self.expand(shape[:axis] + (repeats,) + shape[axis + 1:])
        spread = self.reshape(shape[: axis + 1] + (1,) + shape[axis + 1:])
        spread = spread.expand(shape[: axis + 1] + (repeats,) + shape[axis + 1:])
        return spread.reshape(shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1:])
