"""Ng's many-to-one and many-to-many recurrent models (Sequence Models, week 1).

SentenceClassifier (many-to-one):  average: s = mean over the valid steps of E[x] @ W + b;
                                   gru / bigru: s = h_last @ W + b, the last valid GRU state
                                   (both directions' final states, concatenated, for bigru)
Tagger (many-to-many):             h = BiLSTM(E[x]);  s_t = h_t @ W + b  (one tag per word)
"""
from __future__ import annotations

from typing import Any

from tinygrad_nlp import Tensor, concat, nn
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.nn.utils import last_valid, masked_mean

KINDS = ("average", "gru", "bigru")


class SentenceClassifier(nn.Module):
    """ids (N, T) padded with id 0, lengths (N,) (or None: no padding) -> class scores (N, num_classes)"""

    def __init__(self, vocab_size: int, kind: str = "gru", wordvec_size: int = 32, hidden_size: int = 64, num_classes: int = 2,
                 generator: Any = None):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"SentenceClassifier: kind must be one of {KINDS}, got {kind!r}")
        generator = nn.one_stream(generator)
        self.vocab_size, self.kind = vocab_size, kind
        self.embed = nn.Embedding(vocab_size, wordvec_size, padding_idx=0, generator=generator)
        if kind != "average":
            self.rnn = nn.GRU(wordvec_size, hidden_size, bidirectional=kind == "bigru", generator=generator)
        width = wordvec_size if kind == "average" else hidden_size * (2 if kind == "bigru" else 1)
        self.out = nn.Linear(width, num_classes, generator=generator)

    def forward(self, ids: Any, lengths: Any = None) -> Tensor:
        """lengths None: every sentence fills its row (no padding, no masks in the graph)."""
        x = self.embed(F.check_ids(type(self).__name__, ids, self.vocab_size, ndim=2, min_length=1))
        if self.kind == "average":
            return self.out(x.mean(axis=1) if lengths is None else masked_mean(x, lengths))
        hs, _ = self.rnn(x, lengths=lengths)
        H = self.rnn.hidden_size
        forward_last = hs[:, -1, :H] if lengths is None else last_valid(hs[:, :, :H], lengths)
        if self.kind == "gru":
            return self.out(forward_last)
        return self.out(concat([forward_last, hs[:, 0, H:]], axis=1))  # the backward direction ends at t = 0


class Tagger(nn.Module):
    """h = BiLSTM(E[x]);  scores_t = h_t @ W + b:  ids (N, T) -> (N, T, num_tags)"""

    def __init__(self, vocab_size: int, wordvec_size: int = 32, hidden_size: int = 64, num_tags: int = 5, generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, wordvec_size, generator=generator)
        self.rnn = nn.LSTM(wordvec_size, hidden_size, bidirectional=True, generator=generator)
        self.out = nn.Linear(2 * hidden_size, num_tags, generator=generator)

    def forward(self, ids: Any) -> Tensor:
        hs, _ = self.rnn(self.embed(F.check_ids(type(self).__name__, ids, self.vocab_size, ndim=2, min_length=1)))
        return self.out(hs)
