"""Self-describing PyTorch checkpoints, readable with `torch.load(path, weights_only=True)` (no pickled
objects: a dict of tensors, strings, numbers and lists):

    {"format": "tinygrad_nlp-torch", "version": 1,
     "class": "BetterRnnlm", "args": {...},          # the torch twin: tinygrad_nlp.interop.<class>(**args)
     "state_dict": {...},                            # its weights under torch.nn's names
     "config": {"class": ..., "args": {...}},        # our model, as models.build_model takes it
     "vocab": {"id_to_word": [...], "unk": ...}, ...}  # and whatever else our checkpoint described (level, settings, history)

A training run adds "optimizer" (torch's state_dict) and its progress (epoch, best_ppl, ...).
"""
from __future__ import annotations

import os
import zipfile
from typing import Any

import torch

import models
from ..files import atomic_open
from .convert import SPECS, from_torch, to_torch

FORMAT, VERSION = "tinygrad_nlp-torch", 1
TWINS = {spec.torch_class.__name__: spec.torch_class for spec in SPECS.values()}


HEADER = ("model", "optimizer", "plateau", "config", "format", "version", "class", "args", "state_dict")  # not descriptions


def json_like(value: Any) -> bool:
    """Strings, numbers, bools, None and lists / string-keyed dicts of those (what a checkpoint header holds)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(json_like(v) for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) and json_like(v) for k, v in value.items())


def description(ckpt: dict) -> dict:
    """What a checkpoint (ours or torch's) says beside its weights, model and optimizer state:
    vocabulary, level, settings, history..."""
    return {k: v for k, v in ckpt.items() if k not in HEADER and json_like(v)}


def save_torch_checkpoint(path: str | os.PathLike, module: torch.nn.Module, config: dict, **extra: Any) -> None:
    """Write a twin's weights, its constructor arguments, our model's config and `extra`, atomically."""
    twin = getattr(module, "module", module)  # the model inside a DistributedDataParallel wrapper
    state = {k: v.detach().cpu() for k, v in twin.state_dict().items()}
    ckpt = {"format": FORMAT, "version": VERSION, "class": type(twin).__name__, "args": twin.args, "state_dict": state,
            "config": config, **extra}
    with atomic_open(path, "wb") as f:
        torch.save(ckpt, f)


def load_torch_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> tuple[torch.nn.Module, dict]:
    """(the twin rebuilt with its weights, the checkpoint) from a file written by `save_torch_checkpoint`,
    read with weights_only=True; anything else is a ValueError naming the file."""
    if zipfile.is_zipfile(path) and "__header__.npy" in zipfile.ZipFile(path).namelist():
        raise ValueError(f"{path} is one of our checkpoints (.npz), not a PyTorch one; tinygrad-nlp export makes one from it")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as e:  # torch raises many kinds for a file that is not a checkpoint
        raise ValueError(f"{path}: not a PyTorch checkpoint readable with weights_only=True ({type(e).__name__}: {e})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not a tinygrad_nlp PyTorch checkpoint (no format {FORMAT!r}); write one with tinygrad-nlp export")
    if ckpt.get("class") not in TWINS:
        raise ValueError(f"{path}: unknown model class {ckpt.get('class')!r}; one of {sorted(TWINS)}")
    module = TWINS[ckpt["class"]](**ckpt["args"])
    dtype = next(v.dtype for v in ckpt["state_dict"].values() if v.is_floating_point())
    module.to(dtype).load_state_dict(ckpt["state_dict"])
    return module, ckpt


def export_checkpoint(checkpoint: str | os.PathLike, out: str | os.PathLike) -> torch.nn.Module:
    """Our checkpoint (`models.save_model`) -> a PyTorch one: `tinygrad-nlp export`. Returns the twin."""
    model, ckpt = models.load_model(checkpoint)
    module = to_torch(model)
    save_torch_checkpoint(out, module, ckpt["config"], **description(ckpt))
    return module


def import_checkpoint(checkpoint: str | os.PathLike, out: str | os.PathLike) -> Any:
    """A PyTorch checkpoint (`save_torch_checkpoint`) -> ours, in eval mode: `tinygrad-nlp import`. Returns our model."""
    module, ckpt = load_torch_checkpoint(checkpoint)
    model = from_torch(module).eval()
    models.save_model(out, model, ckpt.get("config") or {"class": type(model).__name__, "args": module.args}, **description(ckpt))
    return model
