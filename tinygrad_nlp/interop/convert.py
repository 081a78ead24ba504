"""to_torch(model) and from_torch(module): the same model, weights and all, in the other engine.

Every layer pairs with its torch namesake at the same path (`embed`, `rnn`, `out`, ...):
    Linear     W (in, out)                 <-> weight (out, in)            (transposed)
    Embedding  W                           <-> weight
    LSTM       Wx, Wh (gates f, g, i, o)   <-> weight_ih_l*, weight_hh_l*  (transposed, gates i, f, g, o)
    RNN, LSTM  b (one bias per gate)       <-> bias_ih_l* (+ bias_hh_l*, kept at zero and frozen)
    GRU        Wx, Wh, bx, bh              <-> weight_ih, weight_hh, bias_ih, bias_hh
`pairs(model, module)` lists them; both directions and the tests' gradient checks read that one list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

import models
import tinygrad_nlp as tg
from tinygrad_nlp import nn as ours_nn
from tinygrad_nlp.nn.rnn import GRUCell, LSTMCell, SimplifiedGRUCell

from . import torch_lm, torch_seq2seq, torch_word2vec

OUR_GATES, TORCH_GATES = "fgio", "ifgo"


def reorder_gates(W: np.ndarray, source: str, target: str) -> np.ndarray:
    """The gate blocks of the last axis, ordered as `source`, reordered as `target` (e.g. "fgio" -> "ifgo")."""
    blocks = dict(zip(source, np.split(W, len(source), axis=-1)))
    return np.concatenate([blocks[g] for g in target], axis=-1)


@dataclass
class Pair:
    """Our parameter and the torch parameter it becomes: `there(ours) -> theirs`, `back(theirs) -> ours`.
    `zero`: a torch bias that stays zero (bias_hh of an RNN or LSTM), added to ours on the way back."""

    ours: ours_nn.Parameter
    theirs: str
    there: Callable[[np.ndarray], np.ndarray]
    back: Callable[[np.ndarray], np.ndarray]
    zero: str | None = None


def same(a: np.ndarray) -> np.ndarray:
    return a


def transposed(a: np.ndarray) -> np.ndarray:
    return a.T


def torch_gate_order(a: np.ndarray) -> np.ndarray:
    return reorder_gates(a, OUR_GATES, TORCH_GATES)


def our_gate_order(a: np.ndarray) -> np.ndarray:
    return reorder_gates(a, TORCH_GATES, OUR_GATES)


def recurrent_pairs(layer: Any, path: str) -> list[Pair]:
    """Each cell's Wx, Wh and biases with torch's per-layer (and `_reverse`) weights."""
    out = []
    for k, row in enumerate(layer.cells):
        for d, cell in enumerate(row):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            if isinstance(cell, LSTMCell):
                bias_there, bias_back = torch_gate_order, our_gate_order
                there, back = (lambda a: torch_gate_order(a).T), (lambda a: our_gate_order(a.T))
            else:
                there, back, bias_there, bias_back = transposed, transposed, same, same
            out += [Pair(cell.Wx, f"{path}.weight_ih{sfx}", there, back), Pair(cell.Wh, f"{path}.weight_hh{sfx}", there, back)]
            if isinstance(cell, GRUCell):
                out += [Pair(cell.bx, f"{path}.bias_ih{sfx}", same, same), Pair(cell.bh, f"{path}.bias_hh{sfx}", same, same)]
            elif isinstance(cell, SimplifiedGRUCell):
                out.append(Pair(cell.b, f"{path}.bias{sfx}", same, same))
            else:
                out.append(Pair(cell.b, f"{path}.bias_ih{sfx}", bias_there, bias_back, zero=f"{path}.bias_hh{sfx}"))
    return out


def layer_pairs(model: ours_nn.Module, renames: dict[str, str]) -> list[Pair]:
    """Every Linear, Embedding and recurrent layer of ours with the torch layer at the same path
    (`renames` maps our path prefixes to torch's where they differ)."""
    out = []
    for path, m in model.named_modules():
        theirs = path
        for old, new in renames.items():
            theirs = theirs.replace(old, new)
        if isinstance(m, ours_nn.Linear):
            out.append(Pair(m.W, f"{theirs}.weight", transposed, transposed))
            if m.b is not None:
                out.append(Pair(m.b, f"{theirs}.bias", same, same))
        elif isinstance(m, ours_nn.Embedding):
            out.append(Pair(m.W, f"{theirs}.weight", same, same))
        elif isinstance(m, (ours_nn.RNN, ours_nn.LSTM, ours_nn.GRU)):
            out += recurrent_pairs(m, theirs)
    return out


def cell_name(layer: Any) -> str:
    if isinstance(layer, ours_nn.LSTM):
        return "lstm"
    if isinstance(layer, ours_nn.GRU):
        return "sgru" if layer.cell_class is SimplifiedGRUCell else "gru"
    return "rnn"


def rnnlm_args(m: Any) -> dict:
    return dict(vocab_size=m.vocab_size, wordvec_size=m.embed.embedding_dim, hidden_size=m.rnn.hidden_size, cell=cell_name(m.rnn),
                num_layers=m.rnn.num_layers, dropout=m.drop.p if m.drop is not None else 0.0, tie_weights=m.tie_weights)


def seq2seq_args(m: Any) -> dict:
    args = dict(vocab_size=m.vocab_size, wordvec_size=m.encoder.embed.embedding_dim, hidden_size=m.decoder.rnn.hidden_size,
                cell=cell_name(m.encoder.rnn), bidirectional=m.encoder.bidirectional)
    if isinstance(m, models.AttentionSeq2seq):
        weight = m.decoder.attention.attention_weight
        args["score"] = "additive" if isinstance(weight, models.AdditiveAttentionWeight) else "scaled_dot" if weight.scaled else "dot"
    return args


def word2vec_args(m: Any) -> dict:
    return dict(vocab_size=m.vocab_size, hidden_size=m.embed_in.embedding_dim, window_size=m.window_size,
                counts=[int(c) for c in m.counts], sample_size=m.sample_size, power=m.power, output=m.output)


@dataclass
class Spec:
    """How one of our classes maps to its torch twin: the twin's constructor arguments read off our
    model, path renames, and parameters outside the standard layers (our name -> torch name)."""

    torch_class: type
    args: Callable[[Any], dict]
    renames: dict[str, str] | None = None
    extra: dict[str, str] | None = None


SPECS: dict[type, Spec] = {
    models.Rnnlm: Spec(torch_lm.Rnnlm, rnnlm_args, extra={"out_b": "out.bias"}),
    models.SimpleRnnlm: Spec(torch_lm.SimpleRnnlm, lambda m: {k: v for k, v in rnnlm_args(m).items() if k in ("vocab_size", "wordvec_size", "hidden_size")}),
    models.BetterRnnlm: Spec(torch_lm.BetterRnnlm, lambda m: {k: v for k, v in rnnlm_args(m).items() if k in ("vocab_size", "wordvec_size", "hidden_size", "dropout")},
                             extra={"out_b": "out.bias"}),
    models.OneHotRnnlm: Spec(torch_lm.OneHotRnnlm, lambda m: dict(vocab_size=m.vocab_size, hidden_size=m.rnn.hidden_size)),
    models.FixedWindowLM: Spec(torch_lm.FixedWindowLM, lambda m: dict(vocab_size=m.vocab_size, context=m.context, wordvec_size=m.embed.embedding_dim,
                                                                      hidden_size=m.hidden.out_features)),
    models.SentenceClassifier: Spec(torch_lm.SentenceClassifier, lambda m: dict(
        vocab_size=m.vocab_size, kind=m.kind, wordvec_size=m.embed.embedding_dim,
        hidden_size=m.rnn.hidden_size if m.kind != "average" else m.out.in_features, num_classes=m.out.out_features)),
    models.Tagger: Spec(torch_lm.Tagger, lambda m: dict(vocab_size=m.vocab_size, wordvec_size=m.embed.embedding_dim, hidden_size=m.rnn.hidden_size,
                                                        num_tags=m.out.out_features)),
    models.Seq2seq: Spec(torch_seq2seq.Seq2seq, seq2seq_args),
    models.PeekySeq2seq: Spec(torch_seq2seq.PeekySeq2seq, seq2seq_args),
    models.AttentionSeq2seq: Spec(torch_seq2seq.AttentionSeq2seq, seq2seq_args, renames={".attention_weight": ""}),
    models.CBOW: Spec(torch_word2vec.CBOW, word2vec_args, renames={"ns_loss.embed_dot.embed": "embed_out", "hs_loss.nodes": "nodes"}),
    models.SkipGram: Spec(torch_word2vec.SkipGram, word2vec_args, renames={"ns_loss.embed_dot.embed": "embed_out", "hs_loss.nodes": "nodes"}),
}
OURS_BY_TORCH = {spec.torch_class: ours for ours, spec in SPECS.items()}


def spec_of(model: Any) -> Spec:
    if type(model) not in SPECS:
        raise TypeError(f"to_torch: no torch twin for {type(model).__name__}; one of {sorted(c.__name__ for c in SPECS)}")
    return SPECS[type(model)]


def pairs(model: ours_nn.Module, module: torch.nn.Module) -> list[Pair]:
    """Each of our parameters with the torch parameter that holds it; every parameter on both sides
    is paired (a model that would lose one is an error, not a silent half-copy)."""
    spec = spec_of(model)
    own = dict(model.named_parameters())
    out = layer_pairs(model, spec.renames or {}) + [Pair(own[a], b, same, same) for a, b in (spec.extra or {}).items() if a in own]
    theirs = dict(module.named_parameters())
    unpaired_ours = set(map(id, own.values())) - {id(p.ours) for p in out}
    unpaired_theirs = set(theirs) - {p.theirs for p in out} - {p.zero for p in out}
    if unpaired_ours or unpaired_theirs or any(p.theirs not in theirs for p in out):
        raise ValueError(f"{type(model).__name__} <-> {type(module).__name__}: parameters do not pair up "
                         f"(ours left: {sorted(n for n, p in own.items() if id(p) in unpaired_ours)}, torch's left: {sorted(unpaired_theirs)}, "
                         f"missing in torch: {sorted(p.theirs for p in out if p.theirs not in theirs)})")
    return out


def torch_dtype(dtype: Any) -> torch.dtype:
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def to_torch(model: ours_nn.Module) -> torch.nn.Module:
    """The torch.nn twin of one of our models, with our weights (in our dtype), in our train/eval mode."""
    spec = spec_of(model)
    dtype = model.parameters()[0].dtype
    module = spec.torch_class(**spec.args(model)).to(torch_dtype(dtype))
    params = dict(module.named_parameters())
    with torch.no_grad():
        for p in pairs(model, module):
            params[p.theirs].copy_(torch.from_numpy(np.ascontiguousarray(p.there(p.ours.data))))
            if p.zero:
                params[p.zero].zero_()
    return module.train(model.training)


def from_torch(module: torch.nn.Module) -> ours_nn.Module:
    """One of our models built from a torch twin (made by `to_torch` or by the classes of
    `tinygrad_nlp.interop`): its constructor arguments, weights (summing the two biases torch keeps
    where we keep one), dtype and train/eval mode."""
    if type(module) not in OURS_BY_TORCH:
        raise TypeError(f"from_torch: {type(module).__name__} is not one of the torch twins "
                        f"({sorted(c.__name__ for c in OURS_BY_TORCH)}); build one and load_state_dict into it")
    dtype = next(module.parameters()).detach().cpu().numpy().dtype
    with tg.default_dtype(dtype):
        model = OURS_BY_TORCH[type(module)](**our_args(module))
    params = {k: v.detach().cpu().numpy() for k, v in module.named_parameters()}
    for p in pairs(model, module):
        value = p.back(params[p.theirs] + params[p.zero] if p.zero else params[p.theirs])
        p.ours.data = np.ascontiguousarray(value, dtype=dtype)
    return model.train(module.training)


def our_args(module: torch.nn.Module) -> dict:
    """Our constructor's arguments from the twin's: word2vec models take a corpus, rebuilt from the counts."""
    args = dict(module.args)
    if "counts" in args:
        counts = np.asarray(args.pop("counts"))
        args["corpus"] = np.repeat(np.arange(counts.size), counts)
    return args
