"""The Transformer's layers (Vaswani et al. 2017; d2l ch. 11), composed from the same nodes as everything else.

PositionalEncoding:        X + P,  P[t, 2j] = sin(t / 10000^(2j/d)),  P[t, 2j+1] = cos(t / 10000^(2j/d))
LearnedPositionalEncoding: X + E_pos[t]
PositionwiseFeedForward:   FFN(x) = max(0, x W₁ + b₁) W₂ + b₂, the same at every position
TransformerEncoderLayer:   post-norm (the paper, d2l):  x = LN(x + MHA(x, x, x));  x = LN(x + FFN(x))
                           pre-norm (norm_first=True): x = x + MHA(LN(x));  x = x + FFN(LN(x))
TransformerDecoderLayer:   masked self-attention, then attention over the encoder's memory, then FFN, each with Add & Norm
TransformerEncoder/Decoder: stacks of copies of one layer, with an optional final LayerNorm (as torch's)

The layers take torch's arguments and names (self_attn, multihead_attn, norm1..3; forward's src_mask,
src_key_padding_mask, tgt_mask, memory_key_padding_mask, tgt_is_causal...), `batch_first=True` by
default; `nn.transformer_torch` converts their weights to and from torch's.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..engine import Tensor, get_default_dtype
from .attention import MultiheadAttention
from .layers import Dropout, Embedding, LayerNorm, Linear, one_stream
from .module import Module

_ACTIVATIONS = ("relu",)


def sinusoidal_table(max_len: int, d_model: int, dtype: Any = None) -> np.ndarray:
    """P (max_len, d_model): P[t, 2j] = sin(t / 10000^(2j/d)), P[t, 2j+1] = cos(t / 10000^(2j/d)) (a constant)."""
    t = np.arange(max_len)[:, None]
    angle = t / np.power(10000.0, np.arange(0, d_model, 2) / d_model)
    P = np.zeros((max_len, d_model))
    P[:, 0::2] = np.sin(angle)
    P[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return P.astype(dtype or get_default_dtype())


class PositionalEncoding(Module):
    """y = dropout(x + P[:T]) for x (N, T, d): the fixed sinusoids, drawn as the input "P (positions)"."""

    textbook_name = "Positional Encoding"

    def __init__(self, d_model: int, dropout: float = 0.0, max_len: int = 1000, generator: Any = None):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.table = sinusoidal_table(max_len, d_model)
        self.dropout = Dropout(dropout, generator)

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        T = _check_positions(self, x, start)
        return self.dropout(x + Tensor(self.table[start:start + T], dtype=x.dtype, name="P (positions)"))


class LearnedPositionalEncoding(Module):
    """y = dropout(x + E_pos[start:start + T]): one trained vector per position (BERT's, GPT's)."""

    textbook_name = "Positional Encoding"

    def __init__(self, d_model: int, dropout: float = 0.0, max_len: int = 512, generator: Any = None):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        generator = one_stream(generator)
        self.embed = Embedding(max_len, d_model, init_std=0.02, generator=generator)
        self.dropout = Dropout(dropout, generator)

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        T = _check_positions(self, x, start)
        return self.dropout(x + self.embed(np.arange(start, start + T)))


def _check_positions(layer: Module, x: Tensor, start: int) -> int:
    if x.ndim != 3 or x.shape[-1] != layer.d_model:
        raise ValueError(f"{type(layer).__name__}: expected input (N, T, {layer.d_model}), got {x.shape}")
    if start + x.shape[1] > layer.max_len:
        raise ValueError(f"{type(layer).__name__}: positions {start}..{start + x.shape[1] - 1} exceed max_len={layer.max_len}")
    return x.shape[1]


class PositionwiseFeedForward(Module):
    """FFN(x) = max(0, x W₁ + b₁) W₂ + b₂ at every position (d2l's PositionWiseFFN; torch's linear1, linear2)."""

    textbook_name = "Feed Forward"

    def __init__(self, d_model: int, dim_feedforward: int, dropout: float = 0.0, activation: str = "relu",
                 init: str = "xavier", generator: Any = None):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"PositionwiseFeedForward: activation must be one of {_ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        generator = one_stream(generator)
        self.linear1 = Linear(d_model, dim_feedforward, init=init, generator=generator)
        self.dropout = Dropout(dropout, generator)
        self.linear2 = Linear(dim_feedforward, d_model, init=init, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(self.linear1(x).relu()))


class _Sublayers(Module):
    """What encoder and decoder layers share: sizes, the FFN, dropout, and the Add & Norm wiring."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float, activation: str, layer_norm_eps: float,
                 batch_first: bool, norm_first: bool, init: str, generator: Any, norms: int):
        super().__init__()
        generator = one_stream(generator)
        self.d_model, self.nhead, self.norm_first, self.batch_first = d_model, nhead, norm_first, batch_first
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, init=init, generator=generator)
        self.ff = PositionwiseFeedForward(d_model, dim_feedforward, dropout, activation, init, generator)
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps))
            setattr(self, f"dropout{i}", Dropout(dropout, generator))

    def add_norm(self, x: Tensor, i: int, sublayer: Any) -> Tensor:
        """Sublayer i with its residual: LN(x + dropout(f(x))) post-norm, x + dropout(f(LN(x))) pre-norm."""
        norm, drop = getattr(self, f"norm{i}"), getattr(self, f"dropout{i}")
        if self.norm_first:
            return x + drop(sublayer(norm(x)))
        return norm(x + drop(sublayer(x)))

    def layout_in(self, *xs: Tensor) -> tuple[Tensor, ...]:
        return xs if self.batch_first else tuple(None if x is None else x.transpose(0, 1) for x in xs)


class TransformerEncoderLayer(_Sublayers):
    """Self-attention and a feed-forward network, each with a residual and a LayerNorm (torch's signature)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1, activation: str = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = True, norm_first: bool = False, init: str = "xavier",
                 generator: Any = None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, init,
                         generator, norms=2)

    def forward(self, src: Tensor, src_mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool = False) -> Tensor:
        (x,) = self.layout_in(src)
        x = self.add_norm(x, 1, lambda y: self.self_attn(y, y, y, src_key_padding_mask, False, src_mask, is_causal=is_causal)[0])
        x = self.add_norm(x, 2, self.ff)
        return self.layout_in(x)[0]


class TransformerDecoderLayer(_Sublayers):
    """Masked self-attention, attention over the encoder's output (memory), a feed-forward network,
    each with a residual and a LayerNorm (torch's signature)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1, activation: str = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = True, norm_first: bool = False, init: str = "xavier",
                 generator: Any = None):
        generator = one_stream(generator)
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, init,
                         generator, norms=3)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout, init=init, generator=generator)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x, mem = self.layout_in(tgt, memory)
        x = self.add_norm(x, 1, lambda y: self.self_attn(y, y, y, tgt_key_padding_mask, False, tgt_mask,
                                                         is_causal=tgt_is_causal)[0])
        x = self.add_norm(x, 2, lambda y: self.multihead_attn(y, mem, mem, memory_key_padding_mask, False, memory_mask,
                                                              is_causal=memory_is_causal)[0])
        x = self.add_norm(x, 3, self.ff)
        return self.layout_in(x)[0]


class _Stack(Module):
    """num_layers deep copies of one layer (as torch's: they start equal), then an optional LayerNorm."""

    def __init__(self, layer: Module, num_layers: int, norm: Module | None):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        self.num_layers = num_layers
        for i in range(num_layers):
            setattr(self, f"layers.{i}", copy.deepcopy(layer))
        self.norm = norm

    @property
    def layers(self) -> list[Module]:
        return [getattr(self, f"layers.{i}") for i in range(self.num_layers)]

    def finish(self, x: Tensor) -> Tensor:
        return x if self.norm is None else self.norm(x)


class TransformerEncoder(_Stack):
    """x → layer₁ → ... → layer_L (→ norm): torch's nn.TransformerEncoder(encoder_layer, num_layers, norm)."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None):
        super().__init__(encoder_layer, num_layers, norm)

    def forward(self, src: Tensor, mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool = False) -> Tensor:
        for layer in self.layers:
            src = layer(src, mask, src_key_padding_mask, is_causal)
        return self.finish(src)


class TransformerDecoder(_Stack):
    """y → layer₁(y, memory) → ... (→ norm): torch's nn.TransformerDecoder(decoder_layer, num_layers, norm)."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None):
        super().__init__(decoder_layer, num_layers, norm)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Any = None, memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        for layer in self.layers:
            tgt = layer(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal,
                        memory_is_causal)
        return self.finish(tgt)


__all__ = ["LearnedPositionalEncoding", "PositionalEncoding", "PositionwiseFeedForward", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer", "sinusoidal_table"]
