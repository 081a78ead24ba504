"""Count-based language models (d2l 8.3): unigram, bigram, trigram, ... with add-k smoothing, and
interpolated Kneser–Ney.

    lm = NGramLM(3, k=0.01).fit(train_ids)       # ids of a corpus, e.g. load_ptb("train").ids
    lm.perplexity(test_ids)                      # exp(mean -log P(w_t | w_{t-n+1} .. w_{t-1}))
    KneserNeyLM(3, discount=0.75).fit(train_ids).perplexity(test_ids)

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


def window_keys(ids: np.ndarray, width: int, V: int, first: int | None = None) -> np.ndarray:
    """One integer per position t = first .. len-1 for the `width` ids ending at t:
    Σ_i ids[t-width+1+i] · V^(width-1-i) (first defaults to width-1, every full window)."""
    first = width - 1 if first is None else first
    count = ids.size - first
    key = np.zeros(max(count, 0), dtype=np.int64)
    for i in range(width):
        start = first - width + 1 + i
        key = key * V + ids[start: start + count]
    return key


class KneserNeyLM(NGramLM):
    """Interpolated Kneser–Ney (Chen & Goodman 1998), with one absolute `discount` D:

        P(w | h) = max(c(h w) − D, 0) / c(h)  +  D · N₁₊(h •) / c(h) · P(w | h⁻)

    where h⁻ is h without its first word and N₁₊(h •) the number of different words seen after h.
    The lower orders count *continuations* instead, c(g) → N₁₊(• g), the number of different words
    seen before g ("Francisco" is frequent but follows only "San", so it is a poor guess after a new
    word); the unigram is interpolated with the uniform 1/V, so every word keeps some probability,
    and a context never seen passes all its mass to the order below."""

    def __init__(self, n: int, discount: float = 0.75, vocab_size: int | None = None):
        super().__init__(n, 1.0, vocab_size)
        if not 0 < discount < 1:
            raise ValueError(f"KneserNeyLM: discount must be in (0, 1), got {discount}")
        self.discount = discount
        self.tables: list[tuple[np.ndarray, ...]] = []

    def fit(self, corpus: Any) -> KneserNeyLM:
        """Count the n-grams, then the continuation counts of every lower order."""
        ids = self._ids(corpus, "fit")
        if self.vocab_size is None:
            self.vocab_size = int(ids.max()) + 1
        V = self.vocab_size
        if V ** self.n >= 2 ** 62:
            raise ValueError(f"KneserNeyLM: V^n = {V}^{self.n} does not fit in an int64 key")
        grams = {self.n: np.unique(window_keys(ids, self.n, V), return_counts=True)}
        for m in range(self.n - 1, 0, -1):  # N1+(• g): distinct (m+1)-grams whose last m ids are g
            grams[m] = np.unique(grams[m + 1][0] % V ** m, return_counts=True)
        self.tables = []
        for m in range(1, self.n + 1):
            keys, counts = grams[m]
            contexts, starts = np.unique(keys // V, return_index=True)  # keys are sorted, so are their contexts
            self.tables.append((keys, counts, contexts, np.add.reduceat(counts, starts), np.diff(np.append(starts, keys.size))))
        self.keys, self.counts = grams[self.n]
        return self

    def probs(self, contexts: list[Any], words: np.ndarray) -> np.ndarray:
        """P(words | contexts), where contexts[m-1] holds the key of the last m-1 history ids
        (0 for m = 1), from the uniform distribution up through every order."""
        D = self.discount
        p = np.full(words.shape, 1.0 / self.vocab_size)
        for (keys, counts, ctx_keys, totals, types), ctx in zip(self.tables, contexts):
            c = self._lookup(keys, counts, ctx * self.vocab_size + words)
            total = self._lookup(ctx_keys, totals, ctx)
            kinds = self._lookup(ctx_keys, types, ctx)
            p = np.where(total > 0, (np.maximum(c - D, 0) + D * kinds * p) / np.maximum(total, 1), p)
        return p

    def log_prob(self, corpus: Any) -> np.ndarray:
        if not self.tables:
            raise RuntimeError("KneserNeyLM: call fit(corpus) first")
        ids = self._ids(corpus, "log_prob")
        contexts = [window_keys(ids[:-1], m - 1, self.vocab_size, first=self.n - 2) if m > 1 else np.zeros(ids.size - self.n + 1, np.int64)
                    for m in range(1, self.n + 1)]
        return np.log(self.probs(contexts, ids[self.n - 1:]))

    def next_word_probs(self, history: Any) -> np.ndarray:
        if not self.tables:
            raise RuntimeError("KneserNeyLM: call fit(corpus) first")
        h = np.asarray(history, dtype=np.int64).reshape(-1)
        if h.size < self.n - 1:
            raise ValueError(f"KneserNeyLM.next_word_probs: need {self.n - 1} history ids, got {h.size}")
        contexts = [window_keys(h, m - 1, self.vocab_size, first=h.size - 1)[-1:] if m > 1 else np.zeros(1, np.int64)
                    for m in range(1, self.n + 1)]
        return self.probs(contexts, np.arange(self.vocab_size))
