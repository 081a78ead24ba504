"""Write a checkpoint's model as a self-describing PyTorch checkpoint: the weights under torch.nn's
names (state_dict), the constructor arguments of its torch twin (`tinygrad_nlp.interop`), our model's
config and the vocabulary, loadable with `torch.load(path, weights_only=True)`:

    tinygrad-nlp export runs/better/best.npz better.pt
    python examples/train_better_rnnlm_torch.py --init better.pt     # train it on GPUs
    tinygrad-nlp import runs/better_torch/best.pt better.npz          # and back: generate, draw, explore

In Python: `module, ckpt = tinygrad_nlp.interop.load_torch_checkpoint("better.pt")`.
"""
from __future__ import annotations

import argparse

from models import load_model

HELP = "write a checkpoint's model as a PyTorch checkpoint (state_dict, constructor arguments, vocabulary)"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", help="a checkpoint written by train-lm, train-seq2seq or save_model (.npz)")
    ap.add_argument("out", help="the PyTorch checkpoint to write (.pt)")


def run(args: argparse.Namespace) -> None:
    ap = args.parser
    try:
        from tinygrad_nlp.interop import to_torch
        from tinygrad_nlp.interop.checkpoint import description, save_torch_checkpoint
    except ImportError as e:
        ap.error(str(e))
    try:
        model, ckpt = load_model(args.checkpoint)
        module = to_torch(model)
    except (OSError, ValueError, TypeError) as e:
        ap.error(str(e))
    save_torch_checkpoint(args.out, module, ckpt["config"], **description(ckpt))
    print(f"wrote {args.out}: torch {type(module).__name__}({', '.join(f'{k}={v!r}' for k, v in module.args.items() if k != 'counts')}), "
          f"{sum(p.numel() for p in module.parameters() if p.requires_grad):,} trained parameters")
