"""Self-describing checkpoints: the model's class and constructor arguments beside its weights, so
that `load_model(path)` rebuilds it with nothing else (no pickle: a JSON header and arrays)."""
from __future__ import annotations

import inspect
import os
from typing import Any

import tinygrad_nlp as tg
from tinygrad_nlp.nn import Module

from .classifiers import SentenceClassifier, Tagger
from .fixed_window_lm import FixedWindowLM
from .rnnlm import BetterRnnlm, OneHotRnnlm, Rnnlm, SimpleRnnlm
from .seq2seq import AttentionSeq2seq, PeekySeq2seq, Seq2seq
from .transformer import TransformerLM, TransformerSeq2seq
from .word2vec import SimpleCBOW, SimpleSkipGram

CLASSES = {cls.__name__: cls for cls in (FixedWindowLM, Rnnlm, SimpleRnnlm, BetterRnnlm, OneHotRnnlm, Seq2seq, PeekySeq2seq, AttentionSeq2seq,
                                         SimpleCBOW, SimpleSkipGram, SentenceClassifier, Tagger, TransformerSeq2seq,
                                         TransformerLM)}


def build_model(class_name: str, **args: Any) -> tuple[Module, dict]:
    """A models/ class built from its name and constructor arguments, and the config that describes it."""
    if class_name not in CLASSES:
        raise ValueError(f"build_model: unknown model class {class_name!r}; one of {sorted(CLASSES)}")
    return CLASSES[class_name](**args), {"class": class_name, "args": dict(args)}


def save_model(path: str | os.PathLike, model: Module, config: dict, **extra: Any) -> None:
    """Write the weights with their `config` (from `build_model`) and anything else JSON-like or
    array-like (vocabulary, settings, optimizer state, history), atomically."""
    tg.save({"model": model, "config": config, **extra}, path)


def check_header(ckpt: dict, path: Any = "checkpoint") -> None:
    """Raise one ValueError naming the field when the header cannot rebuild its model: an unknown
    class, constructor arguments the class does not take (or lacks), or a vocabulary whose size is
    not the model's `vocab_size`."""
    config = ckpt.get("config")
    if not isinstance(config, dict) or "class" not in config:
        raise ValueError(f"load_model: {path} does not describe its model (no config); it was not written by save_model")
    if config["class"] not in CLASSES:
        raise ValueError(f"load_model: {path}: config.class {config['class']!r} is not one of {sorted(CLASSES)}")
    args = config.get("args", {})
    if not isinstance(args, dict):
        raise ValueError(f"load_model: {path}: config.args must be a mapping, got {type(args).__name__}")
    params = inspect.signature(CLASSES[config["class"]]).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    unknown = [] if takes_any else sorted(set(args) - set(params))
    missing = sorted(n for n, p in params.items() if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD and n not in args)
    if unknown or missing:
        field = f"config.args.{(unknown or missing)[0]}"
        raise ValueError(f"load_model: {path}: {field} {'is not an argument of' if unknown else 'is missing for'} "
                         f"{config['class']}({', '.join(params)})")
    vocab = ckpt.get("vocab")
    words = vocab.get("id_to_word") if isinstance(vocab, dict) else None
    if words is not None and "vocab_size" in args and len(words) != args["vocab_size"]:
        raise ValueError(f"load_model: {path}: vocab holds {len(words)} tokens but config.args.vocab_size is {args['vocab_size']}")


def load_model(path: str | os.PathLike) -> tuple[Module, dict]:
    """(model, checkpoint) from a file written by `save_model`: the model rebuilt from its config
    with its weights loaded, in eval mode; the checkpoint holds everything else that was saved.
    A header that cannot rebuild its model is one ValueError naming the field (`check_header`)."""
    ckpt = tg.load(path)
    if not isinstance(ckpt, dict):
        raise ValueError(f"load_model: {path} does not describe its model (no config); it was not written by save_model")
    check_header(ckpt, path)
    config = ckpt["config"]
    try:
        model, _ = build_model(config["class"], **config.get("args", {}))
        model.load_state_dict(ckpt["model"])
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise ValueError(f"load_model: {path}: config.args or model does not rebuild {config['class']}: {e}") from None
    model.eval()
    return model, ckpt
