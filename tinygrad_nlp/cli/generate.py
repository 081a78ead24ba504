"""Generate text from a language-model checkpoint alone (its model class, sizes and vocabulary are
in the file):

    tinygrad-nlp generate runs/rnnlm/best.npz --prefix "the meaning of" --length 30
"""
from __future__ import annotations

import argparse

from models import load_model
from tinygrad_nlp.data.text import Vocab
from tinygrad_nlp.evaluation.generate import generate
from tinygrad_nlp.runs import positive_float, positive_int

HELP = "generate text from a language-model checkpoint alone"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", help="a best.npz or last.npz written by train-lm")
    ap.add_argument("--prefix", default="the", help="text to continue")
    ap.add_argument("--length", type=positive_int, default=30, help="tokens to generate")
    ap.add_argument("--temperature", type=positive_float, default=1.0, help="sampling temperature")
    ap.add_argument("--top-k", type=positive_int, default=None, help="sample among the k most likely (default: all)")
    ap.add_argument("--greedy", action="store_true", help="always take the most likely token")
    ap.add_argument("--seed", type=int, default=0, help="random seed")


def run(args: argparse.Namespace) -> None:
    ap = args.parser
    try:
        model, ckpt = load_model(args.checkpoint)
    except (OSError, ValueError) as e:
        ap.error(str(e))
    if "level" not in ckpt or "vocab" not in ckpt:
        ap.error(f"{args.checkpoint} holds a {ckpt['config']['class']}, not a language model written by train-lm"
                 + (" (for a seq2seq model: tinygrad-nlp decode)" if "question_width" in ckpt else ""))
    vocab, level = Vocab.from_dict(ckpt["vocab"]), ckpt.get("level", "word")
    try:
        ids = generate(model, args.prefix, length=args.length, temperature=args.temperature, top_k=args.top_k,
                       greedy=args.greedy, seed=args.seed, vocab=vocab, level=level)
    except KeyError as e:
        ap.error(str(e).strip('"'))
    joiner = "" if level == "char" else " "
    print(args.prefix + joiner + joiner.join(vocab.decode(ids)).replace(" <eos>", ".\n"))
