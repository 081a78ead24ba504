"""Write a checkpoint's model as a self-describing PyTorch checkpoint: the weights under torch.nn's
names (state_dict), the constructor arguments of its torch twin (`tinygrad_nlp.interop`), our model's
config and the vocabulary, loadable with `torch.load(path, weights_only=True)`:

    tinygrad-nlp export runs/better/best.npz better.pt
    python examples/train_better_rnnlm_torch.py --init better.pt     # train it on GPUs
    tinygrad-nlp import runs/better_torch/best.pt better.npz          # and back: generate, draw, explore

In Python: `module, ckpt = tinygrad_nlp.interop.checkpoint.load_torch_checkpoint("better.pt")`.
"""
from __future__ import annotations

import argparse
from typing import Any

from .checks import FlagError, input_file, output_file


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", type=input_file("checkpoint"), help="a checkpoint written by train-lm, train-seq2seq or save_model (.npz)")
    ap.add_argument("out", type=output_file(".pt"), help="the PyTorch checkpoint to write (.pt)")


def convert(args: argparse.Namespace, function: str) -> Any:
    """`tinygrad_nlp.interop.checkpoint.<function>(args.checkpoint, args.out)`; a missing torch or a
    file of the wrong kind is a one-line error (exit code 2)."""
    try:
        from tinygrad_nlp.interop import checkpoint
    except ImportError as e:
        args.parser.error(str(e))
    try:
        return getattr(checkpoint, function)(args.checkpoint, args.out)
    except (OSError, ValueError, TypeError) as e:
        raise FlagError("checkpoint", args.checkpoint, str(e)) from None


def run(args: argparse.Namespace) -> None:
    module = convert(args, "export_checkpoint")
    print(f"wrote {args.out}: torch {type(module).__name__}({', '.join(f'{k}={v!r}' for k, v in module.args.items() if k != 'counts')}), "
          f"{sum(p.numel() for p in module.parameters() if p.requires_grad):,} trained parameters")
