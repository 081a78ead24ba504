"""Self-describing checkpoints: the model's class and constructor arguments beside its weights, so
that `load_model(path)` rebuilds it with nothing else (no pickle: a JSON header and arrays)."""
from __future__ import annotations

import os
from typing import Any

import tinygrad_nlp as tg
from tinygrad_nlp.nn import Module

from .classifiers import SentenceClassifier, Tagger
from .fixed_window_lm import FixedWindowLM
from .rnnlm import BetterRnnlm, OneHotRnnlm, Rnnlm, SimpleRnnlm
from .seq2seq import AttentionSeq2seq, PeekySeq2seq, Seq2seq
from .word2vec import SimpleCBOW, SimpleSkipGram

CLASSES = {cls.__name__: cls for cls in (FixedWindowLM, Rnnlm, SimpleRnnlm, BetterRnnlm, OneHotRnnlm, Seq2seq, PeekySeq2seq, AttentionSeq2seq,
                                         SimpleCBOW, SimpleSkipGram, SentenceClassifier, Tagger)}


def build_model(class_name: str, **args: Any) -> tuple[Module, dict]:
    """A models/ class built from its name and constructor arguments, and the config that describes it."""
    if class_name not in CLASSES:
        raise ValueError(f"build_model: unknown model class {class_name!r}; one of {sorted(CLASSES)}")
    return CLASSES[class_name](**args), {"class": class_name, "args": dict(args)}


def save_model(path: str | os.PathLike, model: Module, config: dict, **extra: Any) -> None:
    """Write the weights with their `config` (from `build_model`) and anything else JSON-like or
    array-like (vocabulary, settings, optimizer state, history), atomically."""
    tg.save({"model": model, "config": config, **extra}, path)


def load_model(path: str | os.PathLike) -> tuple[Module, dict]:
    """(model, checkpoint) from a file written by `save_model`: the model rebuilt from its config
    with its weights loaded, in eval mode; the checkpoint holds everything else that was saved."""
    ckpt = tg.load(path)
    config = ckpt.get("config") if isinstance(ckpt, dict) else None
    if not isinstance(config, dict) or "class" not in config:
        raise ValueError(f"load_model: {path} does not describe its model (no config); it was not written by save_model")
    model, _ = build_model(config["class"], **config.get("args", {}))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt
