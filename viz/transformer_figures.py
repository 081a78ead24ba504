"""The Transformer chapter's figures, from tiny layers with fixed seeds (d_model 4, 2 heads, 3 positions):

    attention_head   one Multi-Head Attention, head 1 opened: Q, K, V projections (Affine), each head's slice [],
                     QKᵀ/√d, + mask, Softmax (the Attention Weight), Weight Sum; head 2 folded beside it; concat, Affine
    encoder          a 2-layer encoder folded, inputs below: Multi-Head Attention, +, LayerNorm, Feed Forward, +, LayerNorm
    causal_mask      a decoder layer with its masked self-attention opened: the "causal mask" input (0 / -∞) added to
                     the scores, the attention over the encoder's memory and the feed-forward network folded

    loss, module, options = transformer_example("causal_mask")
    viz.save(viz.draw(loss, show="both", names=module, **options), "causal.png")
    viz.explore(loss, "causal.html", names=module)
"""
from __future__ import annotations

from typing import Any

import tinygrad_nlp as tg
from tinygrad_nlp import nn

from .draw import draw

OPEN_HEAD = {"Multi-Head Attention", "head 1", "Attention Weight"}
EXAMPLES = ("attention_head", "encoder", "causal_mask")


def _input(name: str, T: int, seed: int) -> tg.Tensor:
    x = tg.randn(1, T, 4, generator=seed, requires_grad=True)
    x.name = name
    return x


def transformer_example(kind: str) -> tuple[tg.Tensor, nn.Module, dict]:
    """(loss = Σ y², the module, the draw options of the figure) with the backward pass done and kept."""
    if kind == "attention_head":
        module = nn.MultiheadAttention(4, 2, generator=0)
        x = _input("x", 3, 1)
        y, _ = module(x, x, x, is_causal=True)
        options: dict[str, Any] = dict(expand=OPEN_HEAD)
    elif kind == "encoder":
        module = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, generator=0), 2)
        y = module(_input("x", 3, 1))
        options = dict(rankdir="BT")
    elif kind == "causal_mask":
        module = nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, generator=0)
        y = module(_input("y", 3, 3), _input("memory", 2, 2), tgt_is_causal=True)
        options = dict(expand={"self_attn", "head 1", "Attention Weight"}, rankdir="BT")
    else:
        raise ValueError(f"transformer_example: kind must be one of {EXAMPLES}, got {kind!r}")
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    return loss, module, options


def transformer_figure(kind: str, show: str = "both", **overrides: Any):
    """The figure `kind` as a graphviz.Digraph (values forward, gradients in red)."""
    loss, module, options = transformer_example(kind)
    return draw(loss, show=show, names=module, **{**options, **overrides})


__all__ = ["EXAMPLES", "transformer_example", "transformer_figure"]
