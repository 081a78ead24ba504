"""Attention, the textbook's way, composed from Repeat, Mul, Sum and softmax.

AttentionWeight:  a = softmax(Σ_h hs ⊙ repeat(h))         (N, T) weights over the encoder states
WeightSum:        c = Σ_t hs ⊙ repeat(a)                   (N, H) the context vector
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, nn
from tinygrad_nlp.nn import functional as F


class AttentionWeight(nn.Module):
    """s_t = hs_t · h (repeat h over time, multiply, sum over the hidden axis);  a = softmax(s).
    Source positions where `mask` is 0 get weight 0."""

    def forward(self, hs: Tensor, h: Tensor, mask: Any = None) -> Tensor:
        N, T, H = hs.shape
        hr = h.reshape(N, 1, H).repeat(T, axis=1)
        s = (hs * hr).sum(axis=2)
        if mask is not None:
            s = s + np.where(np.asarray(mask, dtype=bool), 0.0, -1e9).astype(s.dtype)
        return F.softmax(s, axis=1)


class WeightSum(nn.Module):
    """c = Σ_t a_t hs_t (repeat a over the hidden axis, multiply, sum over time)."""

    def forward(self, hs: Tensor, a: Tensor) -> Tensor:
        N, T, H = hs.shape
        ar = a.reshape(N, T, 1).repeat(H, axis=2)
        return (hs * ar).sum(axis=1)


class Attention(nn.Module):
    """Dot-product attention for one decoder step: a = AttentionWeight(hs, h), c = WeightSum(hs, a)."""

    def __init__(self) -> None:
        super().__init__()
        self.attention_weight = AttentionWeight()
        self.weight_sum = WeightSum()
        self.last_weights: Tensor | None = None

    def forward(self, hs: Tensor, h: Tensor, mask: Any = None) -> Tensor:
        a = self.attention_weight(hs, h, mask)
        self.last_weights = a
        return self.weight_sum(hs, a)
