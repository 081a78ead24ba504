"""Bring a PyTorch checkpoint back (one written by `tinygrad-nlp export` or by
examples/train_better_rnnlm_torch.py): our model with its weights, config, vocabulary and whatever else
the file describes, as a checkpoint that generate, decode, draw and explore accept:

    tinygrad-nlp import runs/better_torch/best.pt better.npz
    tinygrad-nlp generate better.npz --prefix "the stock market"
"""
from __future__ import annotations

import argparse

from models import save_model

HELP = "turn a PyTorch checkpoint (from export or the torch training script) back into our checkpoint"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", help="a PyTorch checkpoint written by tinygrad-nlp export or the torch training script (.pt)")
    ap.add_argument("out", help="our checkpoint to write (.npz)")


def run(args: argparse.Namespace) -> None:
    ap = args.parser
    try:
        from tinygrad_nlp.interop import from_torch
        from tinygrad_nlp.interop.checkpoint import description, load_torch_checkpoint
    except ImportError as e:
        ap.error(str(e))
    try:
        module, ckpt = load_torch_checkpoint(args.checkpoint)
    except (OSError, ValueError, TypeError) as e:
        ap.error(str(e))
    model = from_torch(module).eval()
    config = ckpt.get("config") or {"class": type(model).__name__, "args": module.args}
    save_model(args.out, model, config, **description(ckpt))
    print(f"wrote {args.out}: {config['class']}, {model.num_parameters():,} parameters")
