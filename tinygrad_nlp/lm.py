"""Count-based language models (d2l 8.3): unigram, bigram, trigram, ... with add-k smoothing.

    lm = NGramLM(3, k=0.01).fit(train_ids)       # ids of a corpus, e.g. load_ptb("train").ids
    lm.perplexity(test_ids)                      # exp(mean -log P(w_t | w_{t-n+1} .. w_{t-1}))

P(w | h) = (count(h, w) + k) / (count(h) + k·V): every word of the vocabulary keeps some probability,
so an n-gram never seen in training does not make the perplexity infinite. Counting is vectorised:
an n-gram is one integer key, the counts come from np.unique, lookups from np.searchsorted.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class NGramLM:
    """An n-gram model over integer ids in [0, vocab_size) with add-k smoothing."""

    def __init__(self, n: int, k: float = 1.0, vocab_size: int | None = None):
        if n < 1:
            raise ValueError(f"NGramLM: n must be >= 1, got {n}")
        if k <= 0:
            raise ValueError(f"NGramLM: k must be > 0 (add-k smoothing), got {k}")
        self.n, self.k, self.vocab_size = n, k, vocab_size
        self.keys: np.ndarray | None = None  # sorted keys of the n-grams seen
        self.counts: np.ndarray | None = None
        self.context_keys: np.ndarray | None = None  # sorted keys of the (n-1)-gram contexts seen
        self.context_counts: np.ndarray | None = None

    def _ids(self, corpus: Any, name: str) -> np.ndarray:
        ids = np.asarray(getattr(corpus, "ids", corpus))
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"NGramLM.{name}: expected a 1-D array of integer ids, got shape {ids.shape} dtype {ids.dtype}")
        if ids.size < self.n:
            raise ValueError(f"NGramLM.{name}: {ids.size} tokens are fewer than n = {self.n}")
        if self.vocab_size is not None and ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise IndexError(f"NGramLM.{name}: ids must be in [0, {self.vocab_size}), got {ids.min()}..{ids.max()}")
        return ids.astype(np.int64)

    def _keys(self, ids: np.ndarray, order: int) -> np.ndarray:
        """For every n-gram window of the corpus, one integer for its first `order` ids:
        Σ id_i · V^(order-1-i) (order n: the n-gram; order n-1: its context)."""
        V = self.vocab_size
        if V ** max(order, 1) >= 2 ** 62:
            raise ValueError(f"NGramLM: V^{order} = {V}^{order} does not fit in an int64 key")
        key = np.zeros(ids.size - self.n + 1, dtype=np.int64)
        for i in range(order):
            key = key * V + ids[i: ids.size - self.n + 1 + i]
        return key

    def fit(self, corpus: Any) -> NGramLM:
        """Count the n-grams and their (n-1)-gram contexts of a corpus of ids."""
        ids = self._ids(corpus, "fit")
        if self.vocab_size is None:
            self.vocab_size = int(ids.max()) + 1
        self.keys, self.counts = np.unique(self._keys(ids, self.n), return_counts=True)
        self.context_keys, self.context_counts = np.unique(self._keys(ids, self.n - 1), return_counts=True)
        self.total = ids.size - self.n + 1
        return self

    @staticmethod
    def _lookup(sorted_keys: np.ndarray, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
        return np.where(sorted_keys[pos] == keys, counts[pos], 0)

    def log_prob(self, corpus: Any) -> np.ndarray:
        """log P(w_t | previous n-1 words) for every position t ≥ n-1 of a corpus of ids."""
        if self.keys is None:
            raise RuntimeError("NGramLM: call fit(corpus) first")
        ids = self._ids(corpus, "log_prob")
        joint = self._lookup(self.keys, self.counts, self._keys(ids, self.n))
        if self.n == 1:
            context = np.full(joint.shape, self.total)
        else:
            context = self._lookup(self.context_keys, self.context_counts, self._keys(ids, self.n - 1))
        return np.log(joint + self.k) - np.log(context + self.k * self.vocab_size)

    def perplexity(self, corpus: Any) -> float:
        """exp(mean -log P) over the corpus."""
        return float(np.exp(-self.log_prob(corpus).mean()))

    def next_word_probs(self, history: Any) -> np.ndarray:
        """P(w | history) for every word w (the last n-1 ids of `history`): a distribution summing to 1."""
        if self.keys is None:
            raise RuntimeError("NGramLM: call fit(corpus) first")
        h = list(np.asarray(history, dtype=np.int64).reshape(-1))[len(history) - (self.n - 1):] if self.n > 1 else []
        if len(h) != self.n - 1:
            raise ValueError(f"NGramLM.next_word_probs: need {self.n - 1} history ids, got {len(history)}")
        context_key = 0
        for x in h:
            context_key = context_key * self.vocab_size + int(x)
        joint = self._lookup(self.keys, self.counts, context_key * self.vocab_size + np.arange(self.vocab_size))
        context = self.total if self.n == 1 else self._lookup(self.context_keys, self.context_counts, np.array([context_key]))[0]
        return (joint + self.k) / (context + self.k * self.vocab_size)
