"""word2vec models, written as the textbook's equations over engine ops (no hand-written backward).

SimpleCBOW / SimpleSkipGram use a full softmax over the vocabulary; CBOW / SkipGram use
negative sampling by default: each (context, target) pair becomes a binary "is this the real word?"
task against `sample_size` words drawn from the unigram distribution ** 0.75; with
`output="hierarchical_softmax"` they use Mikolov's other output layer instead, a Huffman tree over
the word counts (`nn.HierarchicalSoftmax`: O(log V) dot products per word, a true distribution).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, nn, scope
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.data.contexts import UnigramSampler



class _FullSoftmax(nn.Module):
    """Shared parts of SimpleCBOW and SimpleSkipGram: W_in (the word vectors) and W_out, scored
    against the whole vocabulary with a softmax."""

    def __init__(self, vocab_size: int, hidden_size: int, generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size = vocab_size
        self.embed_in = nn.Embedding(vocab_size, hidden_size, generator=generator)
        self.out = nn.Linear(hidden_size, vocab_size, bias=False, generator=generator)
        self.word_vecs = self.embed_in.W


class SimpleCBOW(_FullSoftmax):
    """h = mean of W_in[contexts];  s = h @ W_out;  L = cross_entropy(s, target)"""

    def forward(self, contexts: Any, target: Any) -> Tensor:
        contexts = F.check_ids("SimpleCBOW contexts", contexts, self.vocab_size, ndim=2)
        h = self.embed_in(contexts).mean(axis=1)
        return F.cross_entropy(self.out(h), F.check_ids("SimpleCBOW target", target, self.vocab_size, ndim=1))


class SimpleSkipGram(_FullSoftmax):
    """h = W_in[target];  s = h @ W_out;  L = Σ over context positions of cross_entropy(s, context)"""

    def forward(self, contexts: Any, target: Any) -> Tensor:
        contexts = F.check_ids("SimpleSkipGram contexts", contexts, self.vocab_size, ndim=2)
        s = self.out(self.embed_in(F.check_ids("SimpleSkipGram target", target, self.vocab_size, ndim=1)))
        n, c = contexts.shape
        s = s.reshape(n, 1, -1).expand(n, c, self.vocab_size)
        return F.cross_entropy(s, contexts, reduction="sum") * (1.0 / n)


class EmbeddingDot(nn.Module):
    """score = Σ_d W[idx]_d · h_d  (gather, then mul and sum over the hidden axis)"""

    textbook_name = "Embedding Dot"

    def __init__(self, vocab_size: int, hidden_size: int, sparse: bool = True, generator: Any = None):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, hidden_size, sparse=sparse, generator=generator)

    def forward(self, h: Tensor, idx: np.ndarray) -> Tensor:
        w = self.embed(idx)  # (N, ..., K, H)
        h = h.reshape(h.shape[:-1] + (1,) * (w.ndim - h.ndim) + h.shape[-1:])
        return (w * h).sum(axis=-1)


class NegativeSamplingLoss(nn.Module):
    """L = -log σ(score(target)) - Σ_k log σ(-score(negative_k)), averaged over the batch.

    The scores of the target and its K negatives are one Embedding Dot and one Sigmoid with Loss
    over (N, ..., 1 + K) ids (fast). `split_samples=True` computes the same loss as the textbook
    writes it, for drawings: one Embedding Dot → Sigmoid with Loss path per sample ("positive",
    "negative 1" ... "negative K", each a scope), the losses summed."""

    def __init__(self, vocab_size: int, hidden_size: int, corpus: Any, power: float = 0.75, sample_size: int = 5,
                 sparse: bool = True, generator: Any = None, split_samples: bool = False):
        super().__init__()
        generator = nn.one_stream(generator)
        self.sampler = UnigramSampler(corpus, power, sample_size, generator)
        self.embed_dot = EmbeddingDot(vocab_size, hidden_size, sparse, generator)
        self.split_samples = split_samples

    def forward(self, h: Tensor, target: np.ndarray) -> Tensor:
        negatives = self.sampler.get_negative_sample(target)
        if self.split_samples:
            return self.per_sample(h, target, negatives)
        ids = np.concatenate([target[..., None], negatives], axis=-1)  # (N, ..., 1 + K)
        scores = self.embed_dot(h, ids)
        labels = np.zeros(ids.shape, dtype=scores.dtype)
        labels[..., 0] = 1
        return F.binary_cross_entropy_with_logits(scores, labels, reduction="sum") * (1.0 / target.shape[0])

    def per_sample(self, h: Tensor, target: np.ndarray, negatives: np.ndarray) -> Tensor:
        """The textbook's loop: the target (label 1) and each negative (label 0) on its own path."""
        samples = [("positive", target, 1.0)] + [(f"negative {k + 1}", negatives[..., k], 0.0) for k in range(negatives.shape[-1])]
        losses = []
        for name, ids, label in samples:
            with scope(name):
                score = self.embed_dot(h, ids)
                losses.append(F.binary_cross_entropy_with_logits(score, np.full(score.shape, label, score.dtype), reduction="sum"))
        return sum(losses[1:], losses[0]) * (1.0 / target.shape[0])


class _Word2vec(nn.Module):
    """Shared parts of CBOW and SkipGram: the input embedding W_in (the word vectors) and the output
    layer, negative sampling (`ns_loss`, the textbook's) or hierarchical softmax (`hs_loss`)."""

    OUTPUTS = ("negative_sampling", "hierarchical_softmax")

    def __init__(self, vocab_size: int, hidden_size: int, window_size: int, corpus: Any, sample_size: int = 5,
                 power: float = 0.75, sparse: bool = True, generator: Any = None, output: str = "negative_sampling",
                 split_samples: bool = False):
        super().__init__()
        generator = nn.one_stream(generator)
        if output not in self.OUTPUTS:
            raise ValueError(f"{type(self).__name__}: output must be one of {self.OUTPUTS}, got {output!r}")
        self.vocab_size, self.window_size, self.output = vocab_size, window_size, output
        self.sample_size, self.power = sample_size, power
        self.counts = np.bincount(np.asarray(corpus).reshape(-1), minlength=vocab_size)  # all the model keeps of the corpus
        self.embed_in = nn.Embedding(vocab_size, hidden_size, sparse=sparse, generator=generator)
        if output == "negative_sampling":
            self.ns_loss = NegativeSamplingLoss(vocab_size, hidden_size, corpus, power, sample_size, sparse, generator, split_samples)
        else:
            self.hs_loss = nn.HierarchicalSoftmax(self.counts, hidden_size, sparse=sparse, generator=generator)
        self.word_vecs = self.embed_in.W

    def loss(self, h: Tensor, targets: np.ndarray) -> Tensor:
        """-log P(targets | h) for h (N, H) and targets (N,) or, skip-gram, (N, C): summed over the
        C positions, averaged over the batch."""
        n = targets.shape[0]
        c = targets.size // n
        if self.output == "negative_sampling":
            return self.ns_loss(h if targets.ndim == 1 else h.reshape(n, 1, h.shape[-1]), targets)
        h = h if c == 1 else h[np.repeat(np.arange(n), c)]  # each context position scored from its own copy
        return self.hs_loss(h, targets.reshape(-1)) * float(c)


class CBOW(_Word2vec):
    """h = mean of W_in[contexts];  L = NegativeSamplingLoss(h, target) (or HierarchicalSoftmax)"""

    def forward(self, contexts: Any, target: Any) -> Tensor:
        contexts = F.check_ids("CBOW contexts", contexts, self.vocab_size, ndim=2)
        if contexts.shape[1] != 2 * self.window_size:
            raise ValueError(f"CBOW: contexts of shape {contexts.shape} need {2 * self.window_size} columns (window {self.window_size})")
        h = self.embed_in(contexts).mean(axis=1)
        return self.loss(h, F.check_ids("CBOW target", target, self.vocab_size, ndim=1))


class SkipGram(_Word2vec):
    """h = W_in[target];  L = Σ over context positions of NegativeSamplingLoss(h, context) (or HierarchicalSoftmax)"""

    def forward(self, contexts: Any, target: Any) -> Tensor:
        contexts = F.check_ids("SkipGram contexts", contexts, self.vocab_size, ndim=2)
        h = self.embed_in(F.check_ids("SkipGram target", target, self.vocab_size, ndim=1))  # (N, H)
        return self.loss(h, contexts)
