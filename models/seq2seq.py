"""Encoder-decoder models of the textbook, composed from layers (no hand-written backward).

Seq2seq:          Encoder(LSTM) -> final h -> Decoder(LSTM initialised with h) -> Linear
PeekySeq2seq:     the encoder's h is also concatenated to every decoder input and to the Linear's input
AttentionSeq2seq: the decoder attends over all encoder states at every step: c = Σ a·hs, s = [c, h] @ W

Training: `model(xs, ts)` returns the mean cross-entropy of predicting ts[:, 1:] from ts[:, :-1]
(teacher forcing). Decoding: `greedy`, `sample` and `beam_search` in tinygrad_nlp.evaluation.decoding use
`encode` and `decode_step`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, concat, nn, scope, zeros_like
from tinygrad_nlp.nn import functional as F

from .attention import Attention

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def _decoder_start(state: Any) -> Any:
    """As the textbook: the decoder starts from the encoder's last h, with an LSTM's c at zero."""
    if isinstance(state, tuple):
        h, c = state
        c0 = zeros_like(c)
        c0.name = "c0"  # drawn with its name (an unnamed input of a rolled cell would be its x_t)
        return h, c0
    return state


def _first(state: Any) -> Tensor:
    return state[0] if isinstance(state, tuple) else state


class Encoder(nn.Module):
    """hs, state = RNN(E[xs]);  the final state summarises the source"""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm", bidirectional: bool = False,
                 generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        if bidirectional and hidden_size % 2:
            raise ValueError(f"Encoder: a bidirectional encoder needs an even hidden_size, got {hidden_size}")
        self.vocab_size, self.bidirectional = vocab_size, bidirectional
        self.embed = nn.Embedding(vocab_size, wordvec_size, generator=generator)
        self.rnn = _CELLS[cell](wordvec_size, hidden_size // 2 if bidirectional else hidden_size, bidirectional=bidirectional,
                                generator=generator)

    def forward(self, xs: Any, lengths: Any = None) -> tuple[Tensor, Any]:
        xs = F.check_ids("Encoder", xs, self.vocab_size, ndim=2, min_length=1)
        hs, state = self.rnn(self.embed(xs), lengths=lengths)
        if self.bidirectional:  # (2, N, H/2) per part -> (1, N, H): forward and backward halves side by side
            join = (lambda s: concat([s[0], s[1]], axis=1).reshape(1, s.shape[1], -1))
            state = tuple(join(s) for s in state) if isinstance(state, tuple) else join(state)
        return hs, state


class Decoder(nn.Module):
    """h_t = RNN(E[y_{t-1}], state from the encoder);  s_t = h_t @ W + b"""

    peeky = False

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm", generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size = vocab_size
        extra = hidden_size if self.peeky else 0
        self.embed = nn.Embedding(vocab_size, wordvec_size, generator=generator)
        self.rnn = _CELLS[cell](wordvec_size + extra, hidden_size, generator=generator)
        self.out = nn.Linear(hidden_size + extra, vocab_size, generator=generator)

    def forward(self, ys: Any, state: Any, enc: Any = None) -> tuple[Tensor, Any]:
        """Logits (N, T, V) for decoder inputs ys, and the state after them."""
        x = self.embed(F.check_ids(type(self).__name__, ys, self.vocab_size, ndim=2, min_length=1))
        h_enc = None
        if self.peeky:
            h_enc = _first(enc).reshape(x.shape[0], 1, -1).expand(x.shape[0], x.shape[1], _first(enc).shape[-1])
            x = concat([h_enc, x], axis=2)
        hs, state = self.rnn(x, state)
        if self.peeky:
            hs = concat([h_enc, hs], axis=2)
        return self.out(hs), state


class PeekyDecoder(Decoder):
    """The encoder's final h is concatenated to every decoder input and to the output layer's input."""

    peeky = True


class AttentionDecoder(nn.Module):
    """h_t = RNN(E[y_{t-1}]);  c_t = Attention(hs_enc, h_t);  s_t = [c_t, h_t] @ W + b"""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm", score: str = "dot",
                 generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, wordvec_size, generator=generator)
        self.rnn = _CELLS[cell](wordvec_size, hidden_size, generator=generator)
        self.attention = Attention(score, hidden_size, generator=generator)
        self.out = nn.Linear(2 * hidden_size, vocab_size, generator=generator)
        self.weights: list[Tensor] = []

    def forward(self, ys: Any, state: Any, enc: Any = None) -> tuple[Tensor, Any]:
        enc_hs, mask = enc
        x = self.embed(F.check_ids("AttentionDecoder", ys, self.vocab_size, ndim=2, min_length=1))
        dec_hs, state = self.rnn(x, state)
        contexts, self.weights = [], []
        for t in range(dec_hs.shape[1]):
            with scope(f"t={t}"):
                contexts.append(self.attention(enc_hs, dec_hs[:, t], mask))
                self.weights.append(self.attention.last_weights)
        c = concat([ctx.reshape(ctx.shape[0], 1, -1) for ctx in contexts], axis=1)
        return self.out(concat([c, dec_hs], axis=2)), state


class Seq2seq(nn.Module):
    """Encoder -> Decoder. `model(xs, ts)` is the training loss; see tinygrad_nlp.evaluation.decoding for inference."""

    decoder_class: type = Decoder

    def __init__(self, vocab_size: int, wordvec_size: int = 16, hidden_size: int = 128, cell: str = "lstm",
                 bidirectional: bool = False, generator: Any = None, **decoder_kwargs: Any):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size = vocab_size
        self.encoder = Encoder(vocab_size, wordvec_size, hidden_size, cell, bidirectional, generator)
        self.decoder = self.decoder_class(vocab_size, wordvec_size, hidden_size, cell, generator=generator, **decoder_kwargs)

    def encode(self, xs: Any, lengths: Any = None) -> tuple[Any, Any]:
        """(decoder's initial state, what every decoder step may look at)"""
        hs, state = self.encoder(xs, lengths)
        state = _decoder_start(state)
        return state, state

    def decode_step(self, ys: Any, state: Any, enc: Any) -> tuple[Tensor, Any]:
        return self.decoder(ys, state, enc)

    def forward(self, xs: Any, ts: Any, lengths: Any = None, ignore_index: int | None = None) -> Tensor:
        ts = F.check_ids(type(self).__name__ + " targets", ts, self.vocab_size, ndim=2, min_length=1)
        if ts.shape[1] < 2:
            raise ValueError(f"{type(self).__name__}: targets need a start symbol and at least one token, got shape {ts.shape}")
        state, enc = self.encode(xs, lengths)
        logits, _ = self.decoder(ts[:, :-1], state, enc)
        return F.cross_entropy(logits, ts[:, 1:], ignore_index=ignore_index)


class PeekySeq2seq(Seq2seq):
    decoder_class = PeekyDecoder


class AttentionSeq2seq(Seq2seq):
    """Encoder states hs are attended to at every decoder step (score: "dot", "scaled_dot" or "additive").
    With `lengths`, padded source positions get zero attention."""

    decoder_class = AttentionDecoder

    def encode(self, xs: Any, lengths: Any = None) -> tuple[Any, Any]:
        hs, state = self.encoder(xs, lengths)
        state = _decoder_start(state)
        mask = None if lengths is None else np.arange(hs.shape[1])[None, :] < np.asarray(lengths)[:, None]
        return state, (hs, mask)


__all__ = ["AttentionDecoder", "AttentionSeq2seq", "Decoder", "Encoder", "PeekyDecoder",
           "PeekySeq2seq", "Seq2seq"]
