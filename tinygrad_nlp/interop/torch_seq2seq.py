"""The textbook's encoder-decoder models as plain torch.nn code (same constructor arguments as
`models.Seq2seq`, `PeekySeq2seq`, `AttentionSeq2seq`, without `generator`).

`model(xs, ts, lengths=None)` is the teacher-forced loss of predicting ts[:, 1:] from ts[:, :-1];
`encode(xs, lengths)` and `decode_step(ys, state, enc)` are the two halves a decoder loop needs.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .torch_lm import constructor_args, packed, recurrent


class Encoder(nn.Module):
    """hs, state = RNN(E[xs]) (packed by `lengths` when given); a bidirectional encoder's final state is
    its two directions side by side, (1, N, H)."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm", bidirectional: bool = False):
        super().__init__()
        self.bidirectional = bidirectional
        self.embed = nn.Embedding(vocab_size, wordvec_size)
        self.rnn = recurrent(cell, wordvec_size, hidden_size // 2 if bidirectional else hidden_size, bidirectional=bidirectional)

    def forward(self, xs: torch.Tensor, lengths: Any = None) -> tuple[torch.Tensor, Any]:
        x = self.embed(xs)
        if lengths is None:
            hs, state = self.rnn(x)
        else:
            hs, state = self.rnn(packed(x, lengths))
            hs, _ = nn.utils.rnn.pad_packed_sequence(hs, batch_first=True, total_length=xs.shape[1])
        if self.bidirectional:
            join = (lambda s: torch.cat([s[0], s[1]], dim=1).unsqueeze(0))
            state = tuple(join(s) for s in state) if isinstance(state, tuple) else join(state)
        return hs, state


def decoder_start(state: Any) -> Any:
    """As the textbook: the decoder starts from the encoder's last h, with an LSTM's c at zero."""
    return (state[0], torch.zeros_like(state[1])) if isinstance(state, tuple) else state


def first(state: Any) -> torch.Tensor:
    return state[0] if isinstance(state, tuple) else state


class Decoder(nn.Module):
    """h_t = RNN(E[y_{t-1}]) from the encoder's state;  s_t = h_t Wᵀ + b.  Peeky: the encoder's h is
    concatenated to every input and to the output layer's input."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm", peeky: bool = False):
        super().__init__()
        self.peeky = peeky
        extra = hidden_size if peeky else 0
        self.embed = nn.Embedding(vocab_size, wordvec_size)
        self.rnn = recurrent(cell, wordvec_size + extra, hidden_size)
        self.out = nn.Linear(hidden_size + extra, vocab_size)

    def forward(self, ys: torch.Tensor, state: Any, enc: Any = None) -> tuple[torch.Tensor, Any]:
        x = self.embed(ys)
        if self.peeky:
            h_enc = first(enc)[0].unsqueeze(1).expand(-1, x.shape[1], -1)
            x = torch.cat([h_enc, x], dim=2)
        hs, state = self.rnn(x, state)
        if self.peeky:
            hs = torch.cat([h_enc, hs], dim=2)
        return self.out(hs), state


class Attention(nn.Module):
    """Scores of every decoder state h_t against every encoder state hs_s: dot hs_s · h_t (÷ √H when
    scaled) or additive v · tanh(hs_s W_k + h_t W_q);  a = softmax over s (masked);  c_t = Σ_s a_ts hs_s."""

    def __init__(self, score: str = "dot", hidden_size: int | None = None):
        super().__init__()
        self.score = score
        if score == "additive":
            self.key = nn.Linear(hidden_size, hidden_size, bias=False)
            self.query = nn.Linear(hidden_size, hidden_size, bias=False)
            self.v = nn.Linear(hidden_size, 1, bias=False)

    def forward(self, hs: torch.Tensor, h: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """hs (N, S, H) encoder states, h (N, T, H) decoder states -> contexts (N, T, H), weights (N, T, S)."""
        if self.score == "additive":
            s = self.v(torch.tanh(self.key(hs).unsqueeze(1) + self.query(h).unsqueeze(2))).squeeze(-1)
        else:
            s = h @ hs.transpose(1, 2)
            if self.score == "scaled_dot":
                s = s * (1.0 / math.sqrt(hs.shape[-1]))
        if mask is not None:  # padded source positions: -1e9 before the softmax, as ours
            s = s + torch.where(mask, 0.0, -1e9).to(s.dtype).unsqueeze(1)
        a = torch.softmax(s, dim=-1)
        return a @ hs, a


class AttentionDecoder(nn.Module):
    """h_t = RNN(E[y_{t-1}]);  c_t = Attention(hs_enc, h_t);  s_t = [c_t, h_t] Wᵀ + b"""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm", score: str = "dot"):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, wordvec_size)
        self.rnn = recurrent(cell, wordvec_size, hidden_size)
        self.attention = Attention(score, hidden_size)
        self.out = nn.Linear(2 * hidden_size, vocab_size)

    def forward(self, ys: torch.Tensor, state: Any, enc: Any = None) -> tuple[torch.Tensor, Any]:
        enc_hs, mask = enc
        dec_hs, state = self.rnn(self.embed(ys), state)
        c, self.weights = self.attention(enc_hs, dec_hs, mask)
        return self.out(torch.cat([c, dec_hs], dim=2)), state


class PeekyDecoder(Decoder):
    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, cell: str = "lstm"):
        super().__init__(vocab_size, wordvec_size, hidden_size, cell, peeky=True)


class Seq2seq(nn.Module):
    """Encoder -> Decoder; `model(xs, ts)` is the training loss (mean cross-entropy of the next tokens)."""

    decoder_class: type = Decoder

    def __init__(self, vocab_size: int, wordvec_size: int = 16, hidden_size: int = 128, cell: str = "lstm",
                 bidirectional: bool = False, **decoder_kwargs: Any):
        super().__init__()
        self.args = {**constructor_args(locals()), **decoder_kwargs}
        del self.args["decoder_kwargs"]
        self.encoder = Encoder(vocab_size, wordvec_size, hidden_size, cell, bidirectional)
        self.decoder = self.decoder_class(vocab_size, wordvec_size, hidden_size, cell, **decoder_kwargs)

    def encode(self, xs: torch.Tensor, lengths: Any = None) -> tuple[Any, Any]:
        """(decoder's initial state, what every decoder step may look at)"""
        _, state = self.encoder(xs, lengths)
        state = decoder_start(state)
        return state, state

    def decode_step(self, ys: torch.Tensor, state: Any, enc: Any) -> tuple[torch.Tensor, Any]:
        return self.decoder(ys, state, enc)

    def forward(self, xs: torch.Tensor, ts: torch.Tensor, lengths: Any = None, ignore_index: int | None = None) -> torch.Tensor:
        state, enc = self.encode(xs, lengths)
        logits, _ = self.decoder(ts[:, :-1], state, enc)
        return F.cross_entropy(logits.flatten(0, 1), ts[:, 1:].flatten(), ignore_index=-100 if ignore_index is None else ignore_index)


class PeekySeq2seq(Seq2seq):
    decoder_class = PeekyDecoder


class AttentionSeq2seq(Seq2seq):
    """The decoder attends over all encoder states (score="dot", "scaled_dot" or "additive"); with
    `lengths`, padded source positions get zero attention."""

    decoder_class = AttentionDecoder

    def encode(self, xs: torch.Tensor, lengths: Any = None) -> tuple[Any, Any]:
        hs, state = self.encoder(xs, lengths)
        mask = None if lengths is None else torch.arange(hs.shape[1], device=hs.device)[None, :] < torch.as_tensor(lengths, device=hs.device)[:, None]
        return decoder_start(state), (hs, mask)
