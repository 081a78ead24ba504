"""Transformer models: an encoder-decoder for the seq2seq tasks and a decoder-only language model.

TransformerSeq2seq:  memory = Encoder(PE(E_src[xs]·√d));  s = Decoder(PE(E_tgt[ys]·√d), memory, causal) @ W + b
TransformerLM:       s = Decoder-only(PE(E[xs]·√d), causal) @ W + b   (GPT's shape: self-attention layers only)

Both are compositions of `nn.TransformerEncoderLayer` / `TransformerDecoderLayer`. The seq2seq model
has the recurrent models' interface (`model(xs, ts)` is the teacher-forced loss; `encode` and
`decode_step` for greedy and beam search: its decoder "state" is the ids decoded so far, shaped
(1, N, t) like a recurrent state so that beam search reorders it, and each step reruns the decoder
over them). The LM carries the last `max_len - 1` ids between calls as its state (`reset_state()`
forgets them), so a window of T tokens attends to up to max_len - T tokens before it (a longer
window is read in pieces of max_len / 2), and
`generate` continues text one token at a time, as with the stateful RNN LMs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import Tensor, concat, nn
from tinygrad_nlp.nn import functional as F


def _embedding(vocab_size: int, d_model: int, generator: Any, sparse: bool = False) -> nn.Embedding:
    """Rows N(0, 1/d): multiplied by √d (the paper's) they enter at unit scale, like the positional encoding."""
    return nn.Embedding(vocab_size, d_model, init_std=d_model ** -0.5, sparse=sparse, generator=generator)


def _positions(d_model: int, dropout: float, max_len: int, positional: str, generator: Any) -> nn.Module:
    if positional not in ("sinusoidal", "learned"):
        raise ValueError(f"positional must be 'sinusoidal' or 'learned', got {positional!r}")
    cls = nn.PositionalEncoding if positional == "sinusoidal" else nn.LearnedPositionalEncoding
    return cls(d_model, dropout, max_len, generator=generator)


def _maps(stack: nn.Module, attribute: str) -> np.ndarray:
    """The attention weights (L, N, h, T, S) of every layer's `attribute` in the last forward pass."""
    return np.stack([getattr(layer, attribute).last_weights for layer in stack.layers])


class TransformerSeq2seq(nn.Module):
    """The paper's encoder-decoder, small: the tasks' characters in, the answer's characters out."""

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_encoder_layers: int = 2,
                 num_decoder_layers: int = 2, dim_feedforward: int = 256, dropout: float = 0.1, max_len: int = 64,
                 norm_first: bool = False, positional: str = "sinusoidal", generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size, self.d_model = vocab_size, d_model
        self.src_embed = _embedding(vocab_size, d_model, generator)
        self.tgt_embed = _embedding(vocab_size, d_model, generator)
        self.pos = _positions(d_model, dropout, max_len, positional, generator)
        layer = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout, norm_first=norm_first,
                     generator=generator)
        final = (lambda: nn.LayerNorm(d_model)) if norm_first else (lambda: None)  # pre-norm ends with a LayerNorm
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(**layer), num_encoder_layers, final())
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer), num_decoder_layers, final())
        self.out = nn.Linear(d_model, vocab_size, generator=generator)

    def embed(self, table: nn.Embedding, ids: Any, what: str) -> Tensor:
        ids = F.check_ids(f"{type(self).__name__} {what}", ids, self.vocab_size, ndim=2, min_length=1)
        return self.pos(table(ids) * np.sqrt(self.d_model))

    def encode(self, xs: Any, lengths: Any = None) -> tuple[np.ndarray, tuple[Tensor, Any]]:
        """(no ids decoded yet, (memory (N, S, d), mask (N, S) True at real source positions or None))."""
        src = self.embed(self.src_embed, xs, "source")
        N, S = src.shape[:2]
        valid = None if lengths is None else np.arange(S)[None, :] < np.asarray(lengths)[:, None]
        memory = self.encoder(src, src_key_padding_mask=None if valid is None else ~valid)
        return np.zeros((1, N, 0), dtype=np.int64), (memory, valid)

    def decode(self, ys: Any, enc: tuple[Tensor, Any]) -> Tensor:
        """Logits (N, T, V) for decoder inputs ys (N, T), each position seeing itself and those before."""
        memory, valid = enc
        y = self.embed(self.tgt_embed, ys, "targets")
        h = self.decoder(y, memory, memory_key_padding_mask=None if valid is None else ~valid, tgt_is_causal=True)
        return self.out(h)

    def decode_step(self, ys: Any, state: np.ndarray, enc: tuple[Tensor, Any]) -> tuple[Tensor, np.ndarray]:
        ids = np.concatenate([state[0], np.asarray(ys)], axis=1)
        return self.decode(ids, enc)[:, -np.shape(ys)[1]:], ids[None]

    def attention_maps(self) -> dict[str, np.ndarray]:
        """After a pass (training, or decoding: the last step's): the weights (L, N, h, T, S) of the encoder's
        self-attention, the decoder's masked self-attention and its attention over the source ("cross")."""
        return {"encoder": _maps(self.encoder, "self_attn"), "decoder": _maps(self.decoder, "self_attn"),
                "cross": _maps(self.decoder, "multihead_attn")}

    def forward(self, xs: Any, ts: Any, lengths: Any = None, ignore_index: int | None = None) -> Tensor:
        ts = F.check_ids(type(self).__name__ + " targets", ts, self.vocab_size, ndim=2, min_length=2)
        _, enc = self.encode(xs, lengths)
        return F.cross_entropy(self.decode(ts[:, :-1], enc), ts[:, 1:], ignore_index=ignore_index)


class TransformerLM(nn.Module):
    """Decoder-only: masked self-attention layers over the words so far (torch's encoder layer with a causal mask)."""

    def __init__(self, vocab_size: int = 10000, d_model: int = 100, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 200, dropout: float = 0.1, max_len: int = 70, norm_first: bool = True,
                 positional: str = "sinusoidal", tie_weights: bool = False, generator: Any = None):
        super().__init__()
        generator = nn.one_stream(generator)
        self.vocab_size, self.d_model, self.max_len, self.tie_weights = vocab_size, d_model, max_len, tie_weights
        # untied, the embedding's gradient is row-sparse: the step touches only the rows of the batch's words
        self.embed = _embedding(vocab_size, d_model, generator, sparse=not tie_weights)
        self.pos = _positions(d_model, dropout, max_len, positional, generator)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, norm_first=norm_first, generator=generator)
        self.layers = nn.TransformerEncoder(layer, num_layers, nn.LayerNorm(d_model) if norm_first else None)
        if tie_weights:
            self.out_b = nn.Parameter(np.zeros(vocab_size, dtype=self.embed.W.dtype))
        else:
            self.out = nn.Linear(d_model, vocab_size, generator=generator)
        self.state: np.ndarray | None = None  # the last ids seen, (N, ≤ max_len - 1)

    def forward(self, xs: Any) -> Tensor:
        xs = F.check_ids(type(self).__name__, xs, self.vocab_size, ndim=2, min_length=1)
        N, T = xs.shape
        if T > self.max_len:  # in pieces of max_len / 2, each attending to the one before
            step = max(self.max_len // 2, 1)
            return concat([self.forward(xs[:, i:i + step]) for i in range(0, T, step)], axis=1)
        before = self.state if self.state is not None and self.state.shape[0] == N else xs[:, :0]
        ids = np.concatenate([before[:, before.shape[1] - min(before.shape[1], self.max_len - T):], xs], axis=1)
        self.state = ids[:, -(self.max_len - 1):] if self.max_len > 1 else ids[:, :0]
        h = self.layers(self.pos(self.embed(ids) * np.sqrt(self.d_model)), is_causal=True)[:, ids.shape[1] - T:]
        if self.tie_weights:  # s = h @ Eᵀ + b: the output layer shares the embedding matrix
            return h @ self.embed.W.T + self.out_b
        return self.out(h)

    def reset_state(self) -> None:
        self.state = None

    def attention_maps(self) -> np.ndarray:
        """The masked self-attention weights (L, N, h, T, T) of the last call, over the context and the window."""
        return _maps(self.layers, "self_attn")


__all__ = ["TransformerLM", "TransformerSeq2seq"]
