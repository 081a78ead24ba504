"""Word analogies a : b = c : ? by vector arithmetic (b - a + c, nearest by cosine), from saved word
vectors.

    tinygrad-nlp analogy runs/word2vec/vectors.txt king man queen
    tinygrad-nlp analogy runs/word2vec/vectors.txt take took go --k 3
"""
from __future__ import annotations

import argparse

from tinygrad_nlp.evaluation.vectors import analogy

from .similar import add_vector_arguments, check_words, load_vectors


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_vector_arguments(ap)
    ap.add_argument("a", help="a in a : b = c : ?")
    ap.add_argument("b", help="b in a : b = c : ?")
    ap.add_argument("c", help="c in a : b = c : ?")


def run(args: argparse.Namespace) -> None:
    vocab, W = load_vectors(args)
    check_words(args, vocab, [args.a, args.b, args.c])
    answers = analogy(args.a, args.b, args.c, vocab, W, k=args.k)
    print(f"{args.a} : {args.b} = {args.c} : ? -> " + ", ".join(f"{w} {s:.3f}" for w, s in answers))
