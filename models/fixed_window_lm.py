"""Bengio et al.'s fixed-window neural language model (Ng's Sequence Models, week 2):
the embeddings of the previous `context` words, concatenated, through a tanh layer to a softmax.

    e = [E[w_{t-n}], ..., E[w_{t-1}]];  h = tanh(e @ W1 + b1);  s = h @ W2 + b2
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, nn
from tinygrad_nlp.nn import functional as F


class FixedWindowLM(nn.Module):
    """Scores of the next word from the `context` words before it: ids (N, context) -> (N, V)."""

    def __init__(self, vocab_size: int = 10000, context: int = 3, wordvec_size: int = 100, hidden_size: int = 200,
                 generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size, self.context = vocab_size, context
        self.embed = nn.Embedding(vocab_size, wordvec_size, sparse=True, generator=generator)
        self.hidden = nn.Linear(context * wordvec_size, hidden_size, generator=generator)
        self.out = nn.Linear(hidden_size, vocab_size, generator=generator)

    def forward(self, ids: Any) -> Tensor:
        ids = F.check_ids(type(self).__name__, ids, self.vocab_size, ndim=2)
        if ids.shape[1] != self.context:
            raise ValueError(f"FixedWindowLM: expected {self.context} context words per row, got {ids.shape[1]}")
        e = self.embed(ids)  # (N, context, D)
        h = self.hidden(e.reshape(ids.shape[0], -1)).tanh()
        return self.out(h)


def windows(corpus: Any, context: int) -> tuple[np.ndarray, np.ndarray]:
    """(contexts (M, context), next words (M,)) for every position of a corpus of ids."""
    corpus = np.asarray(corpus)
    M = corpus.size - context
    if M < 1:
        raise ValueError(f"windows: {corpus.size} words are too few for a context of {context}")
    idx = np.arange(M)[:, None] + np.arange(context)[None, :]
    return corpus[idx], corpus[context:]
