"""Bring a PyTorch checkpoint back (one written by `tinygrad-nlp export` or by
examples/train_better_rnnlm_torch.py): our model with its weights, config, vocabulary and whatever else
the file describes, as a checkpoint that generate, decode, draw and explore accept:

    tinygrad-nlp import runs/better_torch/best.pt better.npz
    tinygrad-nlp generate better.npz --prefix "the stock market"
"""
from __future__ import annotations

import argparse

from .checks import input_file, output_file
from .export import convert


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", type=input_file("torch"), help="a PyTorch checkpoint written by tinygrad-nlp export or the torch training script (.pt)")
    ap.add_argument("out", type=output_file(".npz"), help="our checkpoint to write (.npz)")


def run(args: argparse.Namespace) -> None:
    model = convert(args, "import_checkpoint")
    print(f"wrote {args.out}: {type(model).__name__}, {model.num_parameters():,} parameters")
