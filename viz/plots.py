"""Plots with matplotlib: attention heatmaps, training curves, 2-D embeddings."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tinygrad_nlp.files import atomic_open


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike) -> Path:
    path = Path(path)
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, dpi=120, format=path.suffix.lstrip(".") or "png")
    _pyplot().close(fig)
    return path


def plot_attention(weights: Any, src_tokens: Sequence[str], tgt_tokens: Sequence[str], path: str | os.PathLike,
                   title: str | None = None) -> Path:
    """Heatmap of attention weights (target steps x source positions)."""
    w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
    if w.shape != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(f"plot_attention: weights {w.shape} need (len(tgt_tokens), len(src_tokens)) = "
                         f"{(len(tgt_tokens), len(src_tokens))}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(3, 0.35 * len(src_tokens) + 1.5), max(2.5, 0.35 * len(tgt_tokens) + 1)))
    im = ax.imshow(w, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(src_tokens)), ["␣" if t == " " else t for t in src_tokens])
    ax.set_yticks(range(len(tgt_tokens)), list(tgt_tokens))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _save(fig, path)


def plot_curves(curves: dict[str, Sequence[float]], path: str | os.PathLike, xlabel: str = "epoch", ylabel: str = "",
                title: str | None = None, ylim: tuple[float, float] | None = None, x_step: float = 1, x_start: float = 1,
                points: dict[str, dict[float, float]] | None = None, logy: bool = False, dashed: Sequence[str] = ()) -> Path:
    """One line per named series, at x = x_start, x_start + x_step, ... (epochs 1, 2, ... by default);
    the series named in `dashed` are drawn dashed (e.g. a reference implementation's); `points` adds
    named sets of reference points {x: y} as markers (e.g. the textbook's figures)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, ys in curves.items():
        ax.plot(x_start + np.arange(len(ys)) * x_step, ys, marker="o", markersize=3, label=name,
                linestyle="--" if name in dashed else "-")
    for (name, xy), marker in zip((points or {}).items(), "*DsP^v"):
        ax.plot(list(xy), list(xy.values()), "k" + marker, markersize=9, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if float(x_step).is_integer() and float(x_start).is_integer():
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))  # epochs 1, 2, 3, not 1.5
    if ylim:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


def embedding_map(vectors: Any, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(N, D) word vectors -> (N, 2) map coordinates, after scaling each vector to unit length (cosine
    geometry: unscaled, the long vectors of frequent words would fill the picture). method "pca": SVD
    of the centred vectors, keeps the global directions (e.g. analogies' parallel offsets); "tsne":
    scikit-learn's t-SNE (the `tsne` extra), keeps each word's near neighbours, so clusters show."""
    X = np.asarray(vectors, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"embedding_map: need vectors of shape (N >= 2, D), got {X.shape}")
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    if method == "pca":
        X = X - X.mean(axis=0)
        U, S, _ = np.linalg.svd(X, full_matrices=False)
        return U[:, :2] * S[:2]
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError as e:
            raise ImportError("embedding_map(method='tsne') needs scikit-learn: pip install 'tinygrad_nlp[tsne]'") from e
        perplexity = min(30.0, (len(X) - 1) / 3)  # t-SNE needs perplexity < the number of points
        return TSNE(2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed).fit_transform(X)
    raise ValueError(f"embedding_map: method must be 'pca' or 'tsne', got {method!r}")


def plot_embeddings(vectors: Any, words: Sequence[str], path: str | os.PathLike, title: str | None = None,
                    method: str = "pca", seed: int = 0) -> Path:
    """The labelled `embedding_map` of word vectors (PCA or t-SNE), saved to `path`."""
    if np.shape(vectors)[:1] != (len(words),):
        raise ValueError(f"plot_embeddings: need one vector per word, {len(words)} words, got vectors of shape {np.shape(vectors)}")
    xy = embedding_map(vectors, method, seed)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.scatter(xy[:, 0], xy[:, 1], s=8)
    for (x, y), w in zip(xy, words):
        ax.annotate(w, (x, y), fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or {"pca": "word vectors, PCA", "tsne": "word vectors, t-SNE"}[method])
    return _save(fig, path)
