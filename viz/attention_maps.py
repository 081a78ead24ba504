"""Attention maps of a Transformer: one heatmap per layer (rows) and head (columns), positions as columns.

    cross = model.attention_maps()["cross"]              # after a forward pass: (L, N, h, T, S)
    viz.plot_attention_heads(cross[:, 0], src_tokens, out_tokens, "cross.png")   # example 0
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .plots import plot_attention


def _shown(tokens: Sequence[str]) -> list[str]:
    return ["␣" if t == " " else str(t) for t in tokens]


def plot_attention_heads(weights: Any, src_tokens: Sequence[str], tgt_tokens: Sequence[str], path: str | os.PathLike,
                         title: str | None = None, layer_names: Sequence[str] | None = None) -> Path:
    """weights (L, h, T, S): row l, column i is head i of layer l, queries (outputs) down, keys (sources)
    across, as `plot_attention` draws one map. A causal self-attention shows its mask as the empty upper triangle."""
    w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
    if w.ndim == 2:
        return plot_attention(w, src_tokens, tgt_tokens, path, title)
    if w.ndim != 4 or w.shape[2:] != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(f"plot_attention_heads: weights {w.shape} need (layers, heads, {len(tgt_tokens)}, {len(src_tokens)})")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tinygrad_nlp.files import atomic_open

    L, h, T, S = w.shape
    cell = (max(2.2, 0.22 * S + 1.0), max(1.8, 0.22 * T + 0.9))
    fig, axes = plt.subplots(L, h, figsize=(cell[0] * h, cell[1] * L + (0.4 if title else 0)), squeeze=False)
    for l in range(L):
        for i in range(h):
            ax = axes[l][i]
            im = ax.imshow(w[l, i], cmap="Greys", vmin=0, vmax=1, aspect="auto")
            ax.set_xticks(range(S), _shown(src_tokens), fontsize=6)
            ax.set_yticks(range(T), _shown(tgt_tokens), fontsize=6)
            ax.set_title(f"{layer_names[l] if layer_names else f'layer {l + 1}'}, head {i + 1}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.02)
    path = Path(path)
    with atomic_open(path, "wb") as f:
        fig.savefig(f, dpi=120, format=path.suffix.lstrip(".") or "png", bbox_inches="tight")
    plt.close(fig)
    return path


__all__ = ["plot_attention_heads"]
