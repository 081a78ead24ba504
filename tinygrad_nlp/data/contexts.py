"""Word-vector data tools: contexts/targets, co-occurrence, PPMI, randomized SVD, negative sampler.

All vectorised: no Python loop over corpus positions or samples.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import as_generator


def _check_corpus(corpus: Any, name: str = "corpus") -> np.ndarray:
    arr = np.asarray(corpus)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of word ids, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer word ids, got dtype {arr.dtype}")
    if arr.min() < 0:
        raise ValueError(f"{name} holds negative ids ({arr.min()})")
    return arr


def subsample(corpus: Any, t: float = 1e-4, generator: Any = None) -> np.ndarray:
    """Mikolov's subsampling of frequent words: each occurrence of word w is kept with probability
    min(1, (√(f(w)/t) + 1) · t/f(w)), f(w) its relative frequency (word2vec's C code and gensim).
    Frequent words ("the", "<eos>") lose most of their occurrences; rare words keep all of theirs."""
    corpus = _check_corpus(corpus)
    if not t > 0:
        raise ValueError(f"subsample: the threshold t must be > 0, got {t}")
    f = np.bincount(corpus) / corpus.size
    ratio = np.divide(t, f, out=np.zeros_like(f), where=f > 0)
    keep = np.minimum(1.0, (np.sqrt(np.divide(1.0, ratio, out=np.zeros_like(f), where=ratio > 0)) + 1) * ratio)
    return corpus[as_generator(generator).random(corpus.size) < keep[corpus]]


def create_contexts_target(corpus: Any, window_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """contexts (N, 2·window) and targets (N,): every position with a full window on both sides."""
    corpus = _check_corpus(corpus)
    if window_size < 1:
        raise ValueError(f"window_size must be >= 1, got {window_size}")
    if 2 * window_size >= corpus.size:
        raise ValueError(f"window_size {window_size} needs a corpus longer than {2 * window_size} words, got {corpus.size}")
    target = corpus[window_size:-window_size]
    offsets = np.concatenate([np.arange(-window_size, 0), np.arange(1, window_size + 1)])
    positions = np.arange(window_size, corpus.size - window_size)[:, None] + offsets
    return corpus[positions], target


def co_occurrence(corpus: Any, vocab_size: int, window_size: int = 1) -> np.ndarray:
    """C[w, c] = how often c appears within `window_size` words of w."""
    corpus = _check_corpus(corpus)
    if corpus.max() >= vocab_size:
        raise ValueError(f"co_occurrence: corpus ids reach {corpus.max()} but vocab_size is {vocab_size}")
    C = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    for d in range(1, window_size + 1):
        a, b = corpus[:-d], corpus[d:]
        np.add.at(C, (a, b), 1)
        np.add.at(C, (b, a), 1)
    return C


def ppmi(C: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """PPMI(x, y) = max(0, log₂(C(x,y)·N / (C(x)·C(y)))) with N = ΣC, C(x) = row sums."""
    C = np.asarray(C, dtype=np.float64)
    N = C.sum()
    S = C.sum(axis=0)
    with np.errstate(divide="ignore"):
        pmi = np.log2(C * N / (S[:, None] * S[None, :] + eps) + eps)
    return np.maximum(pmi, 0).astype(np.float32)


def randomized_svd(M: np.ndarray, k: int, n_oversamples: int = 10, n_iter: int = 4, seed: Any = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truncated SVD by random projection (Halko et al.): U (m, k), S (k,), Vt (k, n)."""
    rng = as_generator(seed)
    M = np.asarray(M, dtype=np.float32)
    Q = rng.standard_normal((M.shape[1], k + n_oversamples)).astype(np.float32)
    Q, _ = np.linalg.qr(M @ Q)
    for _ in range(n_iter):  # power iterations sharpen the spectrum
        Q, _ = np.linalg.qr(M.T @ Q)
        Q, _ = np.linalg.qr(M @ Q)
    U_small, S, Vt = np.linalg.svd(Q.T @ M, full_matrices=False)
    return (Q @ U_small)[:, :k], S[:k], Vt[:k]


class UnigramSampler:
    """Draw negative word ids from P(w) ∝ count(w)^power, never equal to the target of their row."""

    def __init__(self, corpus: Any, power: float = 0.75, sample_size: int = 5, generator: Any = None):
        corpus = _check_corpus(corpus)
        counts = np.bincount(corpus).astype(np.float64)
        p = counts ** power
        self.p = p / p.sum()
        self.cdf = np.cumsum(self.p)
        self.cdf[-1] = 1.0
        self.start = np.concatenate([[0.0], self.cdf[:-1]])
        self.vocab_size = counts.size
        self.last = int(np.flatnonzero(counts)[-1])  # the highest id that can be drawn
        self.top, self.second = (list(np.argsort(-self.p, kind="stable")[:2]) + [0])[:2]
        if sample_size < 1:
            raise ValueError(f"UnigramSampler: sample_size must be >= 1, got {sample_size}")
        self.sample_size = sample_size
        self.rng = as_generator(generator)

    def get_negative_sample(self, target: Any) -> np.ndarray:
        """(N, sample_size) ids for target ids of shape (N,) (or (N, ...) -> (N, ..., sample_size)),
        drawn from P with each row's target removed (and renormalised), without any redraw loop:
        u ~ U[0, 1 - p_t) is mapped through the cdf, skipping the target's interval."""
        target = np.asarray(target)
        if target.size and (target.min() < 0 or target.max() >= self.vocab_size):
            raise IndexError(f"UnigramSampler: target ids must be in [0, {self.vocab_size}), got {target.min()}..{target.max()}")
        p_t = self.p[target][..., None]
        if np.any(p_t >= 1.0):
            raise ValueError("UnigramSampler: the corpus has a single distinct word, so no negative sample can differ from the target")
        start = self.start[target][..., None]  # where the target's interval begins in the cdf
        u = self.rng.random(target.shape + (self.sample_size,)) * (1.0 - p_t)
        neg = np.searchsorted(self.cdf, np.where(u < start, u, u + p_t), side="right")
        neg = np.minimum(neg, self.last)
        clash = neg == target[..., None]  # only by rounding at an interval's edge
        if clash.any():
            neg[clash] = np.where(target[..., None] == self.top, self.second, self.top)[clash]
        return neg
