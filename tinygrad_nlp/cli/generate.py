"""Generate text from a language-model checkpoint alone (its model class, sizes and vocabulary are
in the file):

    tinygrad-nlp generate runs/rnnlm/best.npz --prefix "the meaning of" --length 30
"""
from __future__ import annotations

import argparse
import sys

from tinygrad_nlp.data.text import Vocab
from tinygrad_nlp.evaluation.generate import generate
from tinygrad_nlp.runs import integer, positive_float, positive_int

from .checks import SEED, FlagError, conflict, input_file, load_checkpoint, text

MAX_LENGTH = 10_000  # tokens: about 10 s of an LSTM 100/100


def as_text(tokens: list[str], level: str) -> str:
    """Tokens as text: characters joined as they are; words joined by spaces, each <eos> ending its
    line with a full stop."""
    if level == "char":
        return "".join(tokens)
    lines, line = [], []
    for token in tokens:
        if token == "<eos>":
            lines.append(" ".join(line) + ".")
            line = []
        else:
            line.append(token)
    return "\n".join(lines + [" ".join(line)] if line else lines)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", type=input_file("checkpoint"), help="a best.npz or last.npz written by train-lm")
    ap.add_argument("--prefix", type=text(), default="the", help="text to continue")
    ap.add_argument("--length", type=integer(1, MAX_LENGTH), default=30, help="tokens to generate")
    ap.add_argument("--temperature", type=positive_float, help="sampling temperature (default: 1.0)")
    ap.add_argument("--top-k", type=positive_int, default=None, help="sample among the k most likely (default: all)")
    ap.add_argument("--greedy", action="store_true", help="always take the most likely token")
    ap.add_argument("--seed", type=SEED, default=0, help="random seed")


def check(args: argparse.Namespace) -> None:
    for flag in ("--temperature", "--top-k"):
        conflict(args, "--greedy", flag, " (greedy decoding does not sample)")
    args.temperature = args.temperature or 1.0


def run(args: argparse.Namespace) -> None:
    model, ckpt = load_checkpoint(args.checkpoint)
    if "level" not in ckpt or "vocab" not in ckpt:
        raise FlagError("checkpoint", args.checkpoint, f"holds a model of class {ckpt['config']['class']}, not a language model "
                        "written by train-lm" + (" (for a seq2seq model: tinygrad-nlp decode)" if "question_width" in ckpt else ""))
    vocab, level = Vocab.from_dict(ckpt["vocab"]), ckpt.get("level", "word")
    if args.length > 1000:
        print(f"generating {args.length:,} tokens...", file=sys.stderr, flush=True)
    try:
        ids = generate(model, args.prefix, length=args.length, temperature=args.temperature, top_k=args.top_k,
                       greedy=args.greedy, seed=args.seed, vocab=vocab, level=level)
    except KeyError as e:
        raise FlagError("--prefix", args.prefix, str(e).strip('"')) from None
    prefix = list(args.prefix) if level == "char" else args.prefix.split()
    print(as_text(prefix + list(vocab.decode(ids)), level))
