"""Attention, the textbook's way, composed from Repeat, Mul, Sum and softmax.

AttentionWeight:          s_t = hs_t · h (÷ √H when scaled);  a = softmax(s)      (N, T)
AdditiveAttentionWeight:  s_t = v · tanh(hs_t @ W_k + h @ W_q)   (Bahdanau)
WeightSum:                c = Σ_t a_t hs_t                                         (N, H)
Source positions where `mask` is False get weight 0.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, nn
from tinygrad_nlp.nn import functional as F

SCORES = ("dot", "scaled_dot", "additive")


def _masked_softmax(s: Tensor, mask: Any) -> Tensor:
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != s.shape:
            raise ValueError(f"attention: mask of shape {mask.shape} does not match the scores {s.shape}")
        s = s + np.where(mask, 0.0, -1e9).astype(s.dtype)
    return F.softmax(s, axis=1)


class AttentionWeight(nn.Module):
    """s_t = Σ_h hs_t ⊙ repeat(h) (repeat h over time, multiply, sum over the hidden axis);  a = softmax(s)"""

    textbook_name = "Attention Weight"

    def __init__(self, scaled: bool = False):
        super().__init__()
        self.scaled = scaled

    def forward(self, hs: Tensor, h: Tensor, mask: Any = None) -> Tensor:
        N, T, H = hs.shape
        hr = h.reshape(N, 1, H).repeat(T, axis=1)
        s = (hs * hr).sum(axis=2)
        if self.scaled:
            s = s * (1.0 / np.sqrt(H))
        return _masked_softmax(s, mask)


class AdditiveAttentionWeight(nn.Module):
    """s_t = v · tanh(hs_t @ W_k + h @ W_q);  a = softmax(s)"""

    textbook_name = "Attention Weight (additive)"

    def __init__(self, hidden_size: int, generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.key = nn.Linear(hidden_size, hidden_size, bias=False, generator=generator)
        self.query = nn.Linear(hidden_size, hidden_size, bias=False, generator=generator)
        self.v = nn.Linear(hidden_size, 1, bias=False, generator=generator)

    def forward(self, hs: Tensor, h: Tensor, mask: Any = None) -> Tensor:
        N, T, H = hs.shape
        e = (self.key(hs) + self.query(h).reshape(N, 1, H).repeat(T, axis=1)).tanh()
        return _masked_softmax(self.v(e).reshape(N, T), mask)


class WeightSum(nn.Module):
    """c = Σ_t hs_t ⊙ repeat(a_t) (repeat a over the hidden axis, multiply, sum over time)"""

    textbook_name = "Weight Sum"

    def forward(self, hs: Tensor, a: Tensor) -> Tensor:
        N, T, H = hs.shape
        ar = a.reshape(N, T, 1).repeat(H, axis=2)
        return (hs * ar).sum(axis=1)


class Attention(nn.Module):
    """One decoder step: a = AttentionWeight(hs, h), c = WeightSum(hs, a). `last_weights` keeps a.
    Drawn as one box "Attention" (DLFS2's Attention layer), opened by expand={"Attention"}."""

    textbook_name = "Attention"

    def __init__(self, score: str = "dot", hidden_size: int | None = None, generator: Any = None):
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"Attention: score must be one of {SCORES}, got {score!r}")
        if score == "additive":
            if hidden_size is None:
                raise ValueError("Attention: additive attention needs hidden_size")
            self.attention_weight = AdditiveAttentionWeight(hidden_size, generator)
        else:
            self.attention_weight = AttentionWeight(scaled=score == "scaled_dot")
        self.weight_sum = WeightSum()
        self.last_weights: Tensor | None = None

    def forward(self, hs: Tensor, h: Tensor, mask: Any = None) -> Tensor:
        a = self.attention_weight(hs, h, mask)
        self.last_weights = a
        return self.weight_sum(hs, a)
