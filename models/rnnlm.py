"""RNN language models: Embedding -> recurrent layer(s) -> Linear, trained with softmax cross-entropy.

`model(xs)` returns logits (N, T, V); the recurrent layers are stateful (truncated BPTT: the state
is carried between calls, the graph is cut). `reset_state()` starts afresh.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, group, nn
from tinygrad_nlp.nn import functional as F



class Rnnlm(nn.Module):
    """x = E[ids];  h = LSTM(x);  s = h @ W + b   (the textbook's Rnnlm; cell="rnn" gives SimpleRnnlm, "gru" a GRU LM,
    "sgru" one with Ng's simplified GRU, the update gate only)"""

    cells = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "sgru": partial(nn.GRU, simplified=True)}

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100, cell: str = "lstm",
                 num_layers: int = 1, dropout: float = 0.0, tie_weights: bool = False, generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        if tie_weights and wordvec_size != hidden_size:
            raise ValueError(f"tie_weights needs wordvec_size == hidden_size, got {wordvec_size} and {hidden_size}")
        self.vocab_size, self.tie_weights = vocab_size, tie_weights
        # untied, the embedding's gradient is row-sparse: the step touches only the rows of the batch's words
        self.embed = nn.Embedding(vocab_size, wordvec_size, sparse=not tie_weights, generator=generator)
        self.drop = nn.Dropout(dropout, generator) if dropout else None
        self.rnn = self.cells[cell](wordvec_size, hidden_size, num_layers=num_layers, dropout=dropout, stateful=True,
                                    generator=generator)
        if tie_weights:
            self.out_b = nn.Parameter(np.zeros(vocab_size, dtype=self.embed.W.dtype))
        else:
            self.out = nn.Linear(hidden_size, vocab_size, generator=generator)

    def forward(self, xs: Any) -> Tensor:
        x = self.embed(F.check_ids(type(self).__name__, xs, self.vocab_size, ndim=2))
        if self.drop is not None:
            x = self.drop(x)
        h, _ = self.rnn(x)
        if self.drop is not None:
            h = self.drop(h)
        if self.tie_weights:  # s = h @ Eᵀ + b: the output layer (one Affine box) shares the embedding matrix
            tied = self.embed.W.T  # outside the box: its weight is drawn as embed.Wᵀ, read by Embedding and Affine
            with group("linear", "Affine", "layer", "out"):
                return h @ tied + self.out_b
        return self.out(h)

    def reset_state(self) -> None:
        self.rnn.reset_state()


class OneHotRnnlm(nn.Module):
    """d2l's RNN from scratch (8.5), no embedding: each character enters as a one-hot vector.
    x = one_hot(ids);  h = tanh(h_prev @ Wh + x @ Wx + b);  s = h @ W + b"""

    def __init__(self, vocab_size: int = 28, hidden_size: int = 512, generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size = vocab_size
        self.rnn = nn.RNN(vocab_size, hidden_size, stateful=True, generator=generator)
        self.out = nn.Linear(hidden_size, vocab_size, generator=generator)

    def forward(self, xs: Any) -> Tensor:
        x = F.one_hot(F.check_ids("OneHotRnnlm", xs, self.vocab_size, ndim=2), self.vocab_size, dtype=self.out.W.dtype)
        h, _ = self.rnn(x)
        return self.out(h)

    def reset_state(self) -> None:
        self.rnn.reset_state()


class SimpleRnnlm(Rnnlm):
    """Embedding -> RNN (tanh) -> Linear"""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100, generator: Any = None):
        super().__init__(vocab_size, wordvec_size, hidden_size, cell="rnn", generator=generator)


class BetterRnnlm(Rnnlm):
    """The textbook's BetterRnnlm: 2-layer LSTM, dropout 0.5, embedding and output weights tied."""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 650, hidden_size: int = 650, dropout: float = 0.5,
                 generator: Any = None):
        super().__init__(vocab_size, wordvec_size, hidden_size, cell="lstm", num_layers=2, dropout=dropout,
                         tie_weights=True, generator=generator)
