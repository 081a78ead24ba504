"""The Tensor methods made of other Tensor methods (mean, softmax, var, topk ...): no node of their own,
so the graph of a composition shows its primitive nodes, grouped under its name where viz should fold
them (`@group`)."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..creation import concat
from ..engine.modes import group
from ..engine.ops import Max
from ..engine.shapes import normalize_axes, one_axis, reduced_count
from ..engine.tensor import Tensor, wrap


class ValuesIndices(NamedTuple):
    """What x.max(dim=d) and x.min(dim=d) return, as torch's."""

    values: Tensor
    indices: Tensor


def sqrt_or_zero(x: Tensor) -> Tensor:
    """√x, with x = 0 selected as the constant 0 (masked_fill): the gradient there is 0, not ∞
    (torch's rule for norm and std, whose derivative at 0 is 0 / 0)."""
    zero = x.data == 0
    return x.masked_fill(zero, 1.0).sqrt().masked_fill(zero, 0.0)


class Compositions:
    """Installed onto Tensor (see tensor_methods/__init__.py): `self` is always a Tensor."""

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

    # -- torch's method names for the operators -------------------------------------------------
    def add(self, other: Any, alpha: float = 1) -> Tensor:
        """x + alpha·y (torch's add): Add (and Mul);  dx = g, dy = alpha·g"""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: float = 1) -> Tensor:
        """x - alpha·y (torch's sub): Add of the negation;  dx = g, dy = -alpha·g"""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        """x · y: Mul;  dx = g·y, dy = g·x"""
        return self * other

    def div(self, other: Any) -> Tensor:
        """x / y = x · y⁻¹: Mul and Pow;  dx = g / y, dy = -g·x / y²"""
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        """x ** p: Pow;  dx = g·p·x^(p-1), dp = g·x^p·log x"""
        return self ** exponent

    def neg(self) -> Tensor:
        """-x: Neg;  dx = -g"""
        return -self

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
        """|x| = x · sign(x), sign a constant (0 at 0 and at NaN, as torch's gradient);  dx = g · sign(x)"""
        return self * np.nan_to_num(np.sign(self.data))

    __abs__ = abs

    # -- reductions -------------------------------------------------------------------------------
    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return wrap(np.all(self.data, axis=normalize_axes(axis, self.ndim, "all"), keepdims=keepdims))

    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return wrap(np.any(self.data, axis=normalize_axes(axis, self.ndim, "any"), keepdims=keepdims))

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the largest value (flat when axis is None, as torch); carries no gradient."""
        return wrap(np.argmax(self.data, axis=axis, keepdims=keepdims))

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return wrap(np.argmin(self.data, axis=axis, keepdims=keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """mean = sum / count"""
        axes = normalize_axes(axis, self.ndim, "mean")
        count = reduced_count(self.shape, axes)
        return self.sum(axes, keepdims) * (1.0 / count if count else math.nan)  # the mean of nothing is NaN, as in torch

    def max(self, axis: Any = None, keepdims: bool = False, *, dim: int | None = None, keepdim: bool = False) -> Any:
        """The largest values along `axis`: a Max node (gradient shared by tied maxima). With torch's `dim=`,
        torch's answer: (values, indices), the gradient to each index (see `extremes`)."""
        if dim is not None:
            return self.extremes(np.argmax, dim, keepdim)
        axes = normalize_axes(axis, self.ndim, "max")
        if self.data.size == 0 and reduced_count(self.shape, axes) == 0:
            raise ValueError(f"max: cannot reduce an axis of size 0 (shape {self.shape}, axis {axis})")
        return Max(axes, keepdims or keepdim)(self)

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: int | None = None, keepdim: bool = False) -> Any:
        """min(x) = -max(-x); with torch's `dim=`, (values, indices) as torch's"""
        if dim is not None:
            return self.extremes(np.argmin, dim, keepdim)
        return -(-self).max(axis, keepdims or keepdim)

    def gather(self, axis: int, index: Any) -> Tensor:
        """`out[i][j] = x[i][index[i][j]]` for axis 1 (torch.gather, numpy's take_along_axis): a GetItem,
        so the gradient is scattered back to the picked positions (repeated ones add up)."""
        index = np.asarray(index.data if hasattr(index, "requires_grad") else index)
        if self.ndim == index.ndim == 0:  # a scalar is its 1-element vector (torch)
            return self.reshape(1).gather(axis, index.reshape(1)).reshape(())
        if index.ndim != self.ndim or index.dtype.kind not in "iu":
            raise ValueError(f"gather: index must be integer with {self.ndim} dimensions like the input {self.shape}, "
                             f"got {index.dtype} {index.shape}")
        a = one_axis(axis, self.ndim, "gather")
        grid = list(np.indices(index.shape, sparse=True))
        grid[a] = index
        return self[tuple(grid)]

    def extremes(self, arg: Any, dim: int, keepdim: bool = False) -> ValuesIndices:
        """(values, indices) of the element `arg` (np.argmax, np.argmin) picks along `dim`, as torch's
        x.max(dim): values = x[indices] (a GetItem), so the gradient goes to each picked index only."""
        if self.ndim == 0:  # a scalar is its own extreme, at index 0 (torch)
            normalize_axes(dim, 0, arg.__name__)
            return ValuesIndices(self, wrap(np.zeros((), dtype=np.int64)))
        d = one_axis(dim, self.ndim, arg.__name__)
        if self.shape[d] == 0:
            raise ValueError(f"{arg.__name__}: cannot reduce axis {d} of size 0 (shape {self.shape})")
        picked = arg(self.data, axis=d, keepdims=True)
        values = self.gather(d, picked)
        return ValuesIndices(values, wrap(picked)) if keepdim else \
            ValuesIndices(values.squeeze(d), wrap(picked.squeeze(d)))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
        """The k largest (smallest) values along `dim`, in order, and their indices, as torch's topk (NaN
        counts as the largest): values = x.gather(indices), so the gradient goes to the picked positions."""
        if self.ndim == 0:
            values, indices = self.reshape(1).topk(k, dim, largest)
            return ValuesIndices(values.reshape(()) if k else values, wrap(indices.data.reshape(()) if k else indices.data))
        d = one_axis(dim, self.ndim, "topk")
        if not 0 <= k <= self.shape[d]:
            raise ValueError(f"topk: k = {k} is out of range for axis {d} of size {self.shape[d]} (shape {self.shape})")
        order = np.argsort(self.data, axis=d, kind="stable")  # ascending, NaN last
        picked = np.take(np.flip(order, d) if largest else order, np.arange(k), axis=d)
        return ValuesIndices(self.gather(d, picked), wrap(picked))

    def prod(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Π of the elements along `axis` (all by default), multiplied pairwise in a tree of Mul nodes, so
        dxᵢ = g · Π_{j≠i} xⱼ exactly, also where some xⱼ = 0 (no division by x). The product of nothing is 1."""
        if axis is None or self.ndim == 0:
            normalize_axes(axis, self.ndim, "prod")
            out = self.reshape(-1).prod(0)
            return out.reshape((1,) * self.ndim) if keepdims else out
        a = one_axis(axis, self.ndim, "prod")
        lead, x = (slice(None),) * a, self
        while x.shape[a] > 1:
            half = x.shape[a] // 2
            pairs = x[lead + (slice(0, half),)] * x[lead + (slice(half, 2 * half),)]
            x = concat([pairs, x[lead + (slice(2 * half, None),)]], a) if x.shape[a] % 2 else pairs
        if x.shape[a] == 0:
            x = x.sum(a, keepdims=True) * 0.0 + 1.0
        return x if keepdims else x.squeeze(a)

    def var(self, axis: Any = None, keepdims: bool = False, unbiased: bool = True, correction: int | None = None) -> Tensor:
        """Σ (x - mean)² / (n - correction): correction 1 (unbiased, torch's default) or 0 (unbiased=False)."""
        axes = normalize_axes(axis, self.ndim, "var")
        d = self - self.mean(axes, keepdims=True)
        dof = reduced_count(self.shape, axes) - (int(unbiased) if correction is None else correction)
        return (d * d).sum(axes, keepdims) * (1.0 / dof if dof > 0 else math.nan)

    def std(self, axis: Any = None, keepdims: bool = False, unbiased: bool = True, correction: int | None = None) -> Tensor:
        """√var; where var = 0 a selection of 0, so the gradient there is 0 as torch's, not 0 · ∞."""
        return sqrt_or_zero(self.var(axis, keepdims, unbiased, correction))

    def dot(self, other: Tensor) -> Tensor:
        """Σᵢ xᵢ·yᵢ of two vectors (torch's dot): a MatMul of a row and a column."""
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ValueError(f"dot: expects two vectors of the same length, got {self.shape} and {other.shape}")
        return self @ other

    def norm(self, p: float = 2, axis: Any = None, keepdims: bool = False) -> Tensor:
        """‖x‖_p over `axis` (all by default): p = 2 is √Σx², p = 1 Σ|x|, p = inf max |x|, as torch's norm
        for these p. Where Σx² = 0 the 2-norm is a selection of 0 (masked_fill), so its gradient there is 0
        as torch's, not 0 · ∞."""
        if p == 2:
            return sqrt_or_zero((self * self).sum(axis, keepdims))
        if p == 1:
            return self.abs().sum(axis, keepdims)
        if p == math.inf:
            return self.abs().max(axis, keepdims)
        raise ValueError(f"norm: p must be 1, 2 or inf, got {p}")

    def cumsum(self, axis: int = 0) -> Tensor:
        """Running sums yᵢ = Σ_{j ≤ i} xⱼ along `axis`: x repeated to (..., i, j, ...) (Repeat), the
        terms j > i selected away (Where, so an inf or NaN never reaches an earlier sum as 0 · ∞ would),
        then a Sum over j;  dxⱼ = Σ_{i ≥ j} gᵢ."""
        if self.ndim == 0:
            normalize_axes(axis, 0, "cumsum")
            return self
        a = one_axis(axis, self.ndim, "cumsum")
        n = self.shape[a]
        rows = self.unsqueeze(a).expand(self.shape[:a] + (n,) + self.shape[a:])
        later = ~np.tril(np.ones((n, n), dtype=bool)).reshape((n, n) + (1,) * (self.ndim - a - 1))
        return rows.masked_fill(later, 0.0).sum(a + 1)

    @group("logsumexp", "LogSumExp")
    def logsumexp(self, axis: Any = -1, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) = m + log Σ exp(x - m) with m = max(x) as a constant, stable for huge logits;
        a row that is all -inf (fully masked) gives -inf, as in torch."""
        axes = normalize_axes(axis, self.ndim, "logsumexp")
        m = self.data.max(axis=axes, keepdims=True, initial=-np.inf)  # -inf over nothing: the sum is 0, its log -inf
        m = np.where(np.isfinite(m), m, 0).astype(m.dtype)
        out = (self - m).exp().sum(axes, keepdims=True).log() + m
        return out if keepdims else out.reshape(np.squeeze(out.data, axis=axes).shape)

    @group("softmax", "Softmax")
    def softmax(self, axis: int = -1) -> Tensor:
        """softmax(x)ᵢ = exp(xᵢ - m) / Σⱼ exp(xⱼ - m) with m = max(x) as a constant"""
        axes = normalize_axes(axis, self.ndim, "softmax")
        e = (self - self.data.max(axis=axes, keepdims=True, initial=-np.inf)).exp()
        return e / e.sum(axes, keepdims=True)

    @group("log_softmax", "LogSoftmax")
    def log_softmax(self, axis: int = -1) -> Tensor:
        """log softmax(x) = x - logsumexp(x)"""
        return self - self.logsumexp(axis, keepdims=True)
