"""Attention as the Transformer draws it, composed from MatMul, Mul, Add and softmax (no hand-written backward).

scaled dot-product attention:  A = softmax(Q Kᵀ / √d + M);  out = A V
MultiheadAttention:            headᵢ = Attention(Q Wᵢ^Q, K Wᵢ^K, V Wᵢ^V);  out = [head₁, ..., head_h] W^O

Masks follow torch: a boolean mask is True where attention is NOT allowed (it becomes -inf in M), a
float mask is added to the scores; `key_padding_mask` (N, S) is True at padded keys. The mask enters
the graph as a named input ("mask", "causal mask") added to the scores, so a drawing shows it.
Drawn boxes: "QKᵀ/√d", "Softmax", "Attention Weight" (the two with the mask), "Weight Sum" (A V),
each head a "Scaled Dot-Product Attention" box in its own cluster "head i", the layer "Multi-Head Attention".
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import concat
from ..engine import Tensor, group, scope
from . import functional as F
from .layers import Linear, one_stream
from .module import Module


def causal_mask(T: int, S: int | None = None) -> np.ndarray:
    """(T, S) booleans, True above the diagonal: query t may not look at keys after t (torch's
    `nn.Transformer.generate_square_subsequent_mask`, as booleans)."""
    return np.triu(np.ones((T, T if S is None else S), dtype=bool), k=1)


def _additive(mask: Any, dtype: np.dtype, what: str) -> np.ndarray:
    """A boolean mask as 0 / -inf, a float mask as it is."""
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype == bool:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"attention: {what} must be boolean or float, got dtype {m.dtype}")
    return m.astype(dtype)


def combine_masks(N: int, T: int, S: int, dtype: Any, attn_mask: Any = None, key_padding_mask: Any = None,
                  is_causal: bool = False, heads: int = 1) -> tuple[np.ndarray | None, str]:
    """The additive mask M of shape (N, heads, T, S) (or (T, S) when it is the same for every example)
    or None, and the name it is drawn with. attn_mask: (T, S) or (N·heads, T, S); is_causal without
    attn_mask builds the causal one."""
    if attn_mask is None and is_causal:
        attn_mask = causal_mask(T, S)
    name = "causal mask" if is_causal else "mask"
    parts = []
    if attn_mask is not None:
        m = _additive(attn_mask, dtype, "attn_mask")
        if m.shape == (N * heads, T, S):
            m = m.reshape(N, heads, T, S)
        elif m.shape != (T, S):
            raise ValueError(f"attention: attn_mask must have shape {(T, S)} or {(N * heads, T, S)}, got {m.shape}")
        parts.append(m)
    if key_padding_mask is not None:
        p = _additive(key_padding_mask, dtype, "key_padding_mask")
        if p.shape != (N, S):
            raise ValueError(f"attention: key_padding_mask must have shape {(N, S)}, got {p.shape}")
        parts.append(p.reshape(N, 1, 1, S))
        name = "padding mask" if attn_mask is None else f"{name} + padding"
    if not parts:
        return None, name
    total = parts[0] if len(parts) == 1 else parts[0] + parts[1]
    return total, name


@group("attention_scores", "QKᵀ/√d")
def attention_scores(query: Tensor, key: Tensor, scale: float | None = None) -> Tensor:
    """S = Q Kᵀ · scale, scale = 1/√d by default: (..., T, d) and (..., S, d) give (..., T, S)."""
    d = query.shape[-1]
    return (query @ key.transpose(-2, -1)) * (1.0 / np.sqrt(d) if scale is None else scale)


@group("attention_weight", "Attention Weight")
def attention_weights(query: Tensor, key: Tensor, mask: Tensor | None = None, scale: float | None = None) -> Tensor:
    """A = softmax(Q Kᵀ/√d + M) over the keys (the textbook's Attention Weight, for all queries at once)."""
    s = attention_scores(query, key, scale)
    if mask is not None:
        s = s + mask
    return s.softmax(axis=-1)


@group("weight_sum", "Weight Sum")
def weight_sum(weights: Tensor, value: Tensor) -> Tensor:
    """out = A V: each query's average of the values, weighted by its attention (the textbook's Weight Sum)."""
    return weights @ value


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None, training: bool = True,
                                 generator: Any = None) -> Tensor:
    """softmax(Q Kᵀ/√d + M) V for query (..., T, d), key (..., S, d), value (..., S, d_v), as torch's
    F.scaled_dot_product_attention (a boolean attn_mask is True where attention IS allowed there, as
    torch's; is_causal masks the keys after each query)."""
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {query.shape}, key {key.shape}, value {value.shape}: "
                         "query and key need the same last size, key and value the same number of positions")
    T, S = query.shape[-2], key.shape[-2]
    if attn_mask is not None and np.asarray(getattr(attn_mask, "data", attn_mask)).dtype == bool:
        attn_mask = ~np.asarray(getattr(attn_mask, "data", attn_mask))  # torch's sdpa: True = may attend
    mask = None
    if attn_mask is not None or is_causal:
        m = _additive(attn_mask if attn_mask is not None else causal_mask(T, S), query.dtype, "attn_mask")
        if attn_mask is not None and is_causal:
            m = m + _additive(causal_mask(T, S), query.dtype, "attn_mask")
        mask = Tensor(m, dtype=query.dtype, name="causal mask" if is_causal else "mask")
    with group("scaled_dot_product_attention", "Scaled Dot-Product Attention"):
        a = F.dropout(attention_weights(query, key, mask, scale), dropout_p, training, generator)
        return weight_sum(a, value)


class MultiheadAttention(Module):
    """torch's nn.MultiheadAttention with `batch_first=True` by default (our recurrent layers' layout):
    forward(query (N, T, E), key (N, S, E), value (N, S, E)) -> (out (N, T, E), weights (N, T, S) averaged
    over heads, or (N, h, T, S), or None). Q, K and V are projected by one Affine each (q_proj, k_proj,
    v_proj, W stored (in, out)); head i reads columns i·d ... (i+1)·d of them, d = E / h."""

    textbook_name = "Multi-Head Attention"

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, batch_first: bool = True,
                 init: str = "xavier", generator: Any = None):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.generator = generator = one_stream(generator)
        self.q_proj = Linear(embed_dim, embed_dim, bias, init, generator)
        self.k_proj = Linear(embed_dim, embed_dim, bias, init, generator)
        self.v_proj = Linear(embed_dim, embed_dim, bias, init, generator)
        self.out_proj = Linear(embed_dim, embed_dim, bias, init, generator)
        self.last_weights: np.ndarray | None = None  # (N, h, T, S) of the last call, for plots

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any = None, need_weights: bool = True,
                attn_mask: Any = None, average_attn_weights: bool = True, is_causal: bool = False) -> tuple[Tensor, Any]:
        if not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        self._check(query, key, value)
        (N, T, E), S, h, d = query.shape, key.shape[1], self.num_heads, self.head_dim
        mask, name = combine_masks(N, T, S, query.dtype, attn_mask, key_padding_mask, is_causal, h)
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        heads, weights = [], []
        shared = None if mask is None or mask.ndim != 2 else Tensor(mask, dtype=q.dtype, name=name)  # one input, read by every head
        for i in range(h):
            cols = slice(i * d, (i + 1) * d)
            m = shared if mask is None or mask.ndim == 2 else Tensor(mask[:, i if mask.shape[1] > 1 else 0], dtype=q.dtype, name=name)
            with scope(f"head {i + 1}"), group("scaled_dot_product_attention", "Scaled Dot-Product Attention", title=f"head {i + 1}"):
                a = attention_weights(q[:, :, cols], k[:, :, cols], m)
                weights.append(a)
                a = F.dropout(a, self.dropout, self.training, self.generator)
                heads.append(weight_sum(a, v[:, :, cols]))
        out = self.out_proj(concat(heads, axis=-1) if h > 1 else heads[0])
        self.last_weights = np.stack([a.data for a in weights], axis=1)
        if not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            return out, sum(weights[1:], weights[0]) * (1.0 / h)
        return out, concat([a.reshape(N, 1, T, S) for a in weights], axis=1)

    def _check(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        E = self.embed_dim
        if query.ndim != 3 or key.ndim != 3 or value.ndim != 3 or query.shape[-1] != E or key.shape[-1] != E \
                or value.shape[-1] != E or key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(f"MultiheadAttention: expected query (N, T, {E}), key and value (N, S, {E}) "
                             f"(batch_first={self.batch_first}), got {query.shape}, {key.shape}, {value.shape}")

    def __repr__(self) -> str:
        return f"MultiheadAttention({self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout})"


__all__ = ["MultiheadAttention", "attention_scores", "attention_weights", "causal_mask", "combine_masks",
           "scaled_dot_product_attention", "weight_sum"]
