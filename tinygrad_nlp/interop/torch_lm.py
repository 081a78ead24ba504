"""The course's language models and recurrent classifiers as plain torch.nn code.

Each class takes the constructor arguments of its namesake in `models/` (without `generator`; torch
seeds with torch.manual_seed) and keeps them in `self.args`, so a checkpoint can rebuild it. Inputs are
batch-first, as ours. Two things differ from a stock torch model, both to stay the same model as ours:
the textbook's RNN and LSTM have one bias per gate, so torch's second bias (bias_hh) stays at zero and
frozen (`recurrent`); and Ng's simplified GRU, which torch lacks, is the small `SimplifiedGRU` below.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


def constructor_args(local: dict[str, Any]) -> dict[str, Any]:
    """The arguments an __init__ was called with, from its `locals()` (JSON-like values)."""
    return {k: v for k, v in local.items() if k not in ("self", "__class__")}


class SimplifiedGRU(nn.Module):
    """Ng's simplified GRU, the update gate only, per layer l:
    u = σ(x W_iu + h W_hu + b_u),  c̃ = tanh(x W_ic + h W_hc + b_c),  h = u ⊙ c̃ + (1 - u) ⊙ h_prev
    (weight_ih_l{l} stacks W_iu, W_ic as nn.GRU stacks its gates; `out, h_n = sgru(x, h_0)`, batch-first)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        bound = 1.0 / math.sqrt(hidden_size)  # nn.GRU's initialisation
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size
            for name, shape in ((f"weight_ih_l{layer}", (2 * hidden_size, size)), (f"weight_hh_l{layer}", (2 * hidden_size, hidden_size)),
                                (f"bias_l{layer}", (2 * hidden_size,))):
                self.register_parameter(name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        N, T, _ = x.shape
        H = self.hidden_size
        finals = []
        for layer in range(self.num_layers):
            h = x.new_zeros(N, H) if h0 is None else h0[layer]
            W_ih, W_hh, b = (getattr(self, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias"))
            gx = x @ W_ih.T + b  # the input part of every step at once
            outs = []
            for t in range(T):
                a = gx[:, t] + h @ W_hh.T
                u, c_tilde = torch.sigmoid(a[:, :H]), torch.tanh(a[:, H:])
                h = u * c_tilde + (1 - u) * h
                outs.append(h)
            finals.append(h)
            x = torch.stack(outs, dim=1)
            if layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        return x, torch.stack(finals)


def recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
              bidirectional: bool = False) -> nn.Module:
    """nn.LSTM / nn.GRU / nn.RNN (batch-first) or SimplifiedGRU for our cell names lstm, gru, rnn, sgru.
    The LSTM's and RNN's bias_hh are zero and frozen: one bias per gate, the textbook's b (= bias_ih)."""
    if cell == "sgru":
        if bidirectional:
            raise ValueError("recurrent: the simplified GRU has no bidirectional form")
        return SimplifiedGRU(input_size, hidden_size, num_layers, dropout)
    layers = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
    if cell not in layers:
        raise ValueError(f"recurrent: cell must be one of {sorted(layers) + ['sgru']}, got {cell!r}")
    rnn = layers[cell](input_size, hidden_size, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0,
                       bidirectional=bidirectional)
    if cell != "gru":
        for name, p in rnn.named_parameters():
            if name.startswith("bias_hh"):
                p.data.zero_()
                p.requires_grad_(False)
    return rnn


def detached(state: Any) -> Any:
    """The state carried to the next window, cut from this window's graph (truncated BPTT)."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


class Rnnlm(nn.Module):
    """x = E[ids];  h = LSTM(x);  s = h @ Wᵀ + b  (logits (N, T, V)). The state is carried from one call to
    the next, detached, until `reset_state()`; with tie_weights the output layer's weight is the embedding."""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100, cell: str = "lstm",
                 num_layers: int = 1, dropout: float = 0.0, tie_weights: bool = False):
        super().__init__()
        self.args = constructor_args(locals())
        if tie_weights and wordvec_size != hidden_size:
            raise ValueError(f"tie_weights needs wordvec_size == hidden_size, got {wordvec_size} and {hidden_size}")
        self.embed = nn.Embedding(vocab_size, wordvec_size)
        self.drop = nn.Dropout(dropout)
        self.rnn = recurrent(cell, wordvec_size, hidden_size, num_layers, dropout)
        self.out = nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            self.out.weight = self.embed.weight
        self.state: Any = None

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        h, state = self.rnn(self.drop(self.embed(xs)), self.state)
        self.state = detached(state)
        return self.out(self.drop(h))

    def reset_state(self) -> None:
        self.state = None


class SimpleRnnlm(Rnnlm):
    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100):
        super().__init__(vocab_size, wordvec_size, hidden_size, cell="rnn")
        self.args = constructor_args(locals())


class BetterRnnlm(Rnnlm):
    """2-layer LSTM, dropout, embedding and output weights tied (PyTorch's word_language_model, the book's ch06)."""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 650, hidden_size: int = 650, dropout: float = 0.5):
        super().__init__(vocab_size, wordvec_size, hidden_size, cell="lstm", num_layers=2, dropout=dropout, tie_weights=True)
        self.args = constructor_args(locals())


class OneHotRnnlm(nn.Module):
    """x = one_hot(ids);  h = tanh(x W_ihᵀ + h_prev W_hhᵀ + b);  s = h Wᵀ + b  (stateful as Rnnlm)"""

    def __init__(self, vocab_size: int = 28, hidden_size: int = 512):
        super().__init__()
        self.args = constructor_args(locals())
        self.vocab_size = vocab_size
        self.rnn = recurrent("rnn", vocab_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)
        self.state: Any = None

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        h, self.state = self.rnn(F.one_hot(xs, self.vocab_size).to(self.out.weight.dtype), self.state)
        self.state = self.state.detach()
        return self.out(h)

    def reset_state(self) -> None:
        self.state = None


class FixedWindowLM(nn.Module):
    """e = [E[w_{t-n}], ..., E[w_{t-1}]];  h = tanh(e W1ᵀ + b1);  s = h W2ᵀ + b2:  ids (N, context) -> (N, V)"""

    def __init__(self, vocab_size: int = 10000, context: int = 3, wordvec_size: int = 100, hidden_size: int = 200):
        super().__init__()
        self.args = constructor_args(locals())
        self.embed = nn.Embedding(vocab_size, wordvec_size)
        self.hidden = nn.Linear(context * wordvec_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(self.embed(ids).flatten(1))))


def packed(x: torch.Tensor, lengths: Any) -> nn.utils.rnn.PackedSequence:
    """A padded batch-first batch packed by its lengths (a recurrent layer then stops at each one's end)."""
    return nn.utils.rnn.pack_padded_sequence(x, torch.as_tensor(lengths).cpu(), batch_first=True, enforce_sorted=False)


class SentenceClassifier(nn.Module):
    """average: s = (mean over the valid steps of E[x]) Wᵀ + b;  gru / bigru: s = h_n Wᵀ + b, the final
    state(s) of a GRU over the packed sentence.  ids (N, T) padded with 0, lengths (N,) or None -> (N, num_classes)"""

    def __init__(self, vocab_size: int, kind: str = "gru", wordvec_size: int = 32, hidden_size: int = 64, num_classes: int = 2):
        super().__init__()
        self.args = constructor_args(locals())
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, wordvec_size, padding_idx=0)
        if kind != "average":
            self.rnn = nn.GRU(wordvec_size, hidden_size, batch_first=True, bidirectional=kind == "bigru")
        self.out = nn.Linear(wordvec_size if kind == "average" else hidden_size * (2 if kind == "bigru" else 1), num_classes)

    def forward(self, ids: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        x = self.embed(ids)
        lengths = torch.full((x.shape[0],), x.shape[1]) if lengths is None else lengths
        lengths = torch.as_tensor(lengths, device=x.device)
        if self.kind == "average":
            mask = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]).unsqueeze(-1)
            return self.out(torch.where(mask, x, 0.0).sum(1) / lengths.clamp(min=1)[:, None].to(x.dtype))
        _, h_n = self.rnn(packed(x, lengths))  # (directions, N, H): forward's last valid state, backward's at t = 0
        return self.out(torch.cat(list(h_n), dim=1))


class Tagger(nn.Module):
    """h = BiLSTM(E[x]);  s_t = h_t Wᵀ + b:  ids (N, T) -> (N, T, num_tags)"""

    def __init__(self, vocab_size: int, wordvec_size: int = 32, hidden_size: int = 64, num_tags: int = 5):
        super().__init__()
        self.args = constructor_args(locals())
        self.embed = nn.Embedding(vocab_size, wordvec_size)
        self.rnn = recurrent("lstm", wordvec_size, hidden_size, bidirectional=True)
        self.out = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        hs, _ = self.rnn(self.embed(ids))
        return self.out(hs)
