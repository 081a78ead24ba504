"""Activations and losses, each a composition of the engine's primitive ops (no hand-written backward).

Imported as `F`, like torch's: `from tinygrad_nlp.nn import functional as F`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.ops import Gather
from ..creation import as_generator, concat, zeros
from ..engine import Tensor, group, where
from ..engine.shapes import torch_names
from ..engine.tensor import wrap

_REDUCTIONS = ("mean", "sum", "none")


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + exp(-x)) = 0.5 * (tanh(x / 2) + 1), stable for any |x|."""
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0 else negative_slope·x (a Where);  dx = g where x > 0 else negative_slope·g, as torch's."""
    return where(x.data > 0, x, x * negative_slope)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x·Φ(x) = x/2 · (1 + erf(x/√2)) (an Erf node; dx = g·(Φ(x) + x·φ(x))), or with
    approximate="tanh" x/2 · (1 + tanh(√(2/π)·(x + 0.044715x³))) (Tanh), as torch's gelu."""
    if approximate == "none":
        return x * 0.5 * ((x * (1 / math.sqrt(2))).erf() + 1.0)
    if approximate == "tanh":
        return x * 0.5 * (((x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)).tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of a and b per element (torch.maximum, also `tg.maximum`): a Where selection, so the
    gradient goes to the larger one; a tie gives (a + b)/2, sharing g/2 each, and a NaN gives a + b (NaN,
    g to each), as torch."""
    x, y = np.asarray(getattr(a, "data", a)), np.asarray(getattr(b, "data", b))
    return where(x > y, a, where(x < y, b, where(x == y, (a + b) * 0.5, a + b)))


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of a and b per element (torch.minimum, `tg.minimum`): -maximum(-a, -b)."""
    return -maximum(-a, -b)


_SAFE_EXP = 60.0  # e^±60 and a 10⁶-word sum of them are comfortably inside float32's range


def _shift_if_needed(x: Tensor, axis: int) -> Tensor:
    """x - max(x) only where exp could overflow or underflow: when every row's max lies in
    [-60, 60], log Σ exp(x) is computed exactly without the shift, and a vocabulary-sized pass is saved."""
    m = x.data.max(axis=axis, keepdims=True)
    if np.all(np.abs(m) <= _SAFE_EXP):
        return x
    return x - m


@torch_names
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """softmax(x)ᵢ = exp(xᵢ - m) / Σⱼ exp(xⱼ - m)  (`Tensor.softmax`)"""
    return x.softmax(axis)


@torch_names
def logsumexp(x: Tensor, axis: Any = -1, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) = m + log Σ exp(x - m), stable for huge logits  (`Tensor.logsumexp`)"""
    return x.logsumexp(axis, keepdims)


@torch_names
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log softmax(x) = x - logsumexp(x)  (`Tensor.log_softmax`)"""
    return x.log_softmax(axis)


def _reduce(loss: Tensor, reduction: str, count: int | None = None) -> Tensor:
    """"none", "sum", or "mean" over `count` terms (all of them by default); the mean of no terms is NaN, as in torch."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    count = loss.size if count is None else count
    return total * (1.0 / count if count else math.nan)


def check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_targets(op: str, scores: Tensor, targets: Any, ignore_index: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The one validation of class-id targets for scores of shape (..., V): returns (ids, keep),
    flat, with ignored positions pointing at class 0 and keep False there."""
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be integer class ids, got dtype {t.dtype}")
    if scores.ndim < 2 or t.shape != scores.shape[:-1]:
        raise ValueError(f"{op}: scores {scores.shape} need targets of shape {scores.shape[:-1]}, got {t.shape}")
    V = scores.shape[-1]
    keep = np.ones(t.shape, dtype=bool) if ignore_index is None else t != ignore_index
    bad = keep & ((t < 0) | (t >= V))
    if bad.any():
        raise IndexError(f"{op}: target ids must be in [0, {V}), got {t[bad].min()}..{t[bad].max()}")
    return np.where(keep, t, 0).reshape(-1), keep.reshape(-1)


@group("cross_entropy", "Softmax with Loss", loss=True)
def cross_entropy(logits: Tensor, targets: Any, weight: Any = None, ignore_index: int | None = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax-with-loss: L = -log softmax(logits)[target] = logsumexp(logits) - logits[target].
    Float targets of the logits' shape are class probabilities t: L = -Σ_k weight[k]·t_k·log softmax(logits)_k
    (as torch's; "mean" divides by the number of rows, and a target tensor gets its gradient).

    logits (N, V) or (N, T, V) (classes on the last axis); targets integer ids (N,) or (N, T).
    Targets equal to `ignore_index` (-100 by default, as in torch) add nothing: their rows are left
    out of the computation (zero gradient, even if they hold inf or NaN); "mean" divides by the
    number of counted targets (NaN when there are none, as in torch). `weight` (V,), as in torch,
    scales each target's loss by weight[target], and "mean" then divides by the sum of those weights.
    `label_smoothing` ε aims at (1 - ε)·one-hot + ε/V everywhere, as torch's: L = (1 - ε)·L_target +
    ε/V · Σ_k weight[k]·(-log softmax(logits)[k]).
    """
    check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    t = np.asarray(getattr(targets, "data", targets))
    if t.dtype.kind == "f" and t.shape == logits.shape:
        return _cross_entropy_probabilities(logits, targets, weight, reduction, label_smoothing)
    ids, keep = _class_targets("cross_entropy", logits, targets, ignore_index)
    V = logits.shape[-1]
    rows = logits.reshape(-1, V)
    if not keep.all():
        rows, ids = rows[np.flatnonzero(keep)], ids[keep]
    z = _shift_if_needed(rows, axis=-1)  # the loss is shift-invariant; exp must not overflow
    lse = z.exp().sum(axis=-1).log()
    loss = lse - z[np.arange(ids.size), ids]
    count = None
    classes = None if weight is None else _class_weights("cross_entropy", weight, V, logits.dtype)
    if classes is not None:
        w = classes[ids]
        loss, count = loss * w, float(w.sum())
    if label_smoothing:  # Σ_k w_k·(lse - z_k) / V, that is lse - mean(z) without weights
        spread = lse - z.mean(axis=-1) if classes is None else (lse * float(classes.sum()) - z @ classes) * (1.0 / V)
        loss = loss * (1.0 - label_smoothing) + spread * label_smoothing
    if reduction != "none":
        return _reduce(loss, reduction, count)
    return loss.reshape(logits.shape[:-1]) if keep.all() else _scatter_rows(loss, keep, logits.shape[:-1])


def _cross_entropy_probabilities(logits: Tensor, targets: Any, weight: Any, reduction: str, label_smoothing: float) -> Tensor:
    """L = -Σ_k weight[k]·t_k·log softmax(logits)_k, t smoothed to (1 - ε)·t + ε/V (see cross_entropy)."""
    t = _float_targets("cross_entropy", logits, targets)
    V = logits.shape[-1]
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / V
    terms = logits.log_softmax(-1) * t
    if weight is not None:
        terms = terms * _class_weights("cross_entropy", weight, V, logits.dtype)
    return _reduce(-terms.sum(-1), reduction)


def _float_targets(op: str, scores: Tensor, targets: Any) -> Any:
    """Float targets of the scores' shape in their dtype: a Tensor stays one (it gets a gradient)."""
    t = targets.to(scores.dtype) if isinstance(targets, Tensor) else np.asarray(targets, dtype=scores.dtype)
    if t.shape != scores.shape:
        raise ValueError(f"{op}: inputs {scores.shape} and targets {t.shape} must have the same shape")
    return t


def _class_weights(op: str, weight: Any, V: int, dtype: np.dtype) -> np.ndarray:
    """The per-class `weight` argument as a constant array of shape (V,) in the scores' dtype."""
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.shape != (V,):
        raise ValueError(f"{op}: weight must have one entry per class, shape ({V},), got {w.shape}")
    if w.dtype.kind not in "fiu":
        raise TypeError(f"{op}: weight must be numeric, got dtype {w.dtype}")
    return w.astype(dtype, copy=False)


def _scatter_rows(values: Tensor, keep: np.ndarray, shape: tuple[int, ...]) -> Tensor:
    """`values` at the kept positions of a zero tensor of `shape` (composed: concat a zero, then index)."""
    padded = concat([values, zeros(1, dtype=values.dtype)])
    index = np.full(keep.size, values.size)
    index[keep] = np.arange(values.size)
    return padded[index].reshape(shape)


@group("nll_loss", "NLL Loss", loss=True)
def nll_loss(log_probs: Tensor, targets: Any, weight: Any = None, ignore_index: int | None = -100,
             reduction: str = "mean") -> Tensor:
    """L = -weight[target]·log_probs[target]  (log_probs (N, V) or (N, T, V); targets, ignore_index
    and weight as in cross_entropy)"""
    check_reduction("nll_loss", reduction)
    ids, keep = _class_targets("nll_loss", log_probs, targets, ignore_index)
    V = log_probs.shape[-1]
    picked = log_probs.reshape(-1, V)[np.arange(ids.size), ids]
    w = keep.astype(log_probs.dtype)  # each target's weight; 0 where ignored
    loss = -picked
    if weight is not None:
        w = w * _class_weights("nll_loss", weight, V, log_probs.dtype)[ids]
        loss = loss * w
    if not keep.all():
        loss = where(keep, loss, 0.0)  # not a product: an ignored row may hold -inf
    return _reduce(loss.reshape(log_probs.shape[:-1]), reduction, float(w.sum()))


@group("softplus", "softplus")
def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) = (x where x ≥ 0 else 0) + log(1 + exp(x·s)) with s = -1 where x ≥ 0 else +1;
    dx = σ(x).

    The exponent is never positive (stable for any |x|); the first term is a selection (Where), so
    softplus(-∞) = 0 (not -∞ · 0); s is a constant, so the gradient is σ(x) everywhere, including x = 0.
    """
    m = x.data >= 0
    s = np.where(m, -1.0, 1.0).astype(x.dtype)
    return x.masked_fill(~m, 0.0) + ((x * s).exp() + 1.0).log()


@group("binary_cross_entropy_with_logits", "Sigmoid with Loss", loss=True)
def binary_cross_entropy_with_logits(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Sigmoid-with-loss: L = -t·log σ(x) - (1-t)·log(1-σ(x)) = softplus(x) - x·t, computed as
    x·(1 - t) + log(1 + e⁻ˣ) where x ≥ 0 and -x·t + log(1 + eˣ) elsewhere (the linear part of softplus
    joined with -x·t, so L(+∞, t < 1) = +∞, not ∞ - ∞); dx = σ(x) - t, dt = -x (a target tensor gets it, as in torch)."""
    check_reduction("binary_cross_entropy_with_logits", reduction)
    t = _float_targets("binary_cross_entropy_with_logits", logits, targets)
    m = logits.data >= 0
    s = np.where(m, -1.0, 1.0).astype(logits.dtype)
    coef = where(m, 1 - t, -t) if isinstance(t, Tensor) else np.where(m, 1 - t, -t)  # constant targets: a constant, not an input
    return _reduce(logits * coef + ((logits * s).exp() + 1.0).log(), reduction)


@group("binary_cross_entropy", "Binary Cross Entropy", loss=True)
def binary_cross_entropy(probs: Tensor, targets: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """L = -weight·(t·log p + (1 - t)·log(1 - p)) for probabilities p in [0, 1], each log clamped at -100
    as torch's (so p = 0 or 1 gives a finite loss);  dp = (p - t) / (p·(1 - p)), dt = log(1 - p) - log p.
    At p = 0 or 1 the clamp is a selection: those gradients are the clamp's (see the README's differences)."""
    check_reduction("binary_cross_entropy", reduction)
    t = _float_targets("binary_cross_entropy", probs, targets)
    if probs.data.size and not ((probs.data >= 0) & (probs.data <= 1)).all():
        raise ValueError("binary_cross_entropy: every input must be a probability in [0, 1] (for logits use "
                         "binary_cross_entropy_with_logits)")
    loss = -(t * probs.log().clamp(min=-100) + (1 - t) * (1 - probs).log().clamp(min=-100))
    return _reduce(loss if weight is None else loss * weight, reduction)


@group("mse_loss", "MSE Loss", loss=True)
def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """L = (pred - target)²"""
    check_reduction("mse_loss", reduction)
    target_shape = np.shape(target.data if isinstance(target, Tensor) else target)
    if target_shape != pred.shape:
        raise ValueError(f"mse_loss: pred {pred.shape} and target {target_shape} must have the same shape")
    return _reduce((pred - target) ** 2, reduction)


def check_ids(op: str, ids: Any, num_ids: int, ndim: int | None = None, min_length: int = 0) -> np.ndarray:
    """`ids` as an integer array of values in [0, num_ids), else an error naming `op`, the shape or
    the range. `ndim`: the rank required ((N, T) is 2); `min_length`: the least size of the last axis."""
    arr = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: ids must be integers, got dtype {arr.dtype}")
    if ndim is not None and (arr.ndim != ndim or (ndim and arr.shape[-1] < min_length)):
        expected = {1: "(N,)", 2: "(N, T)"}.get(ndim, f"{ndim} dimensions")
        extra = f" with T > {min_length - 1}" if min_length else ""
        raise ValueError(f"{op}: expected ids of shape {expected}{extra}, got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_ids):
        raise IndexError(f"{op}: ids must be in [0, {num_ids}), got {arr.min()}..{arr.max()}")
    return arr


def embedding(ids: Any, weight: Tensor, sparse: bool = False, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` at integer `ids` (any shape): a Gather node, whose backward scatter-adds
    (into a RowSparse gradient when sparse=True). Positions holding `padding_idx` read that row as a
    constant (a Where selection), so the padding row never gets a gradient, as in torch."""
    if weight.ndim != 2:
        raise ValueError(f"embedding: the table must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    arr = check_ids(f"embedding (table {weight.shape})", ids, weight.shape[0])
    out = Gather(arr, sparse)(weight)
    if padding_idx is None or not (arr == padding_idx).any():
        return out
    return where((arr != padding_idx)[..., None], out, weight.data[padding_idx])


@group("dropout", "Dropout")
def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator: Any = None) -> Tensor:
    """Inverted dropout: keep each unit with probability 1-p and scale it by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:  # every unit dropped: zeros (x·0, as torch's)
        return x * 0.0
    keep = as_generator(generator).random(x.shape) >= p
    return x * (keep.astype(x.dtype) * (1.0 / (1.0 - p)))


@group("layer_norm", "LayerNorm")
def layer_norm(x: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / √(var + eps) · weight + bias over the last len(normalized_shape) axes
    (biased variance, as torch's layer_norm)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape:
        raise ValueError("layer_norm: normalized_shape must name at least one axis, got ()")
    if x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centred = x - x.mean(axes, keepdims=True)
    y = centred * ((centred * centred).mean(axes, keepdims=True) + eps) ** -0.5
    y = y * weight if weight is not None else y
    return y + bias if bias is not None else y


def one_hot(ids: Any, num_classes: int = -1, dtype: Any = np.int64) -> Tensor:
    """ids (...) -> (..., num_classes) with a 1 at each id, as torch's (int64; num_classes=-1: max id + 1).
    A model that multiplies it by weights asks for their dtype (`dtype=W.dtype`)."""
    arr = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if num_classes == -1:
        num_classes = int(arr.max()) + 1 if arr.size else 0
    return wrap(np.eye(num_classes, dtype=dtype)[check_ids("one_hot", arr, num_classes)])


__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "check_ids", "cross_entropy", "dropout", "embedding", "gelu",
    "layer_norm", "leaky_relu", "log_softmax", "logsumexp",
    "mse_loss", "nll_loss", "one_hot", "relu", "sigmoid", "softmax", "softplus", "tanh",
]
