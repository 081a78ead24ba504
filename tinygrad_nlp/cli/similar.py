"""Nearest neighbours of words by cosine similarity, from saved word vectors (word2vec text format:
vectors.txt written by train-word2vec, or any file gensim writes).

    tinygrad-nlp similar runs/word2vec/vectors.txt you year car toyota --k 5
"""
from __future__ import annotations

import argparse

from tinygrad_nlp.evaluation.vectors import load_word2vec_format, most_similar
from tinygrad_nlp.runs import integer

from .checks import FlagError, input_file


def add_vector_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("vectors", type=input_file("vectors"), help="word vectors in word2vec text format (train-word2vec's vectors.txt)")
    ap.add_argument("--k", type=integer(1, 1000), default=5, help="how many words to show")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_vector_arguments(ap)
    ap.add_argument("words", nargs="+", help="the query words")


def load_vectors(args: argparse.Namespace):
    """(vocab, W) from args.vectors, or a one-line error naming the file."""
    try:
        return load_word2vec_format(args.vectors)
    except (OSError, ValueError) as e:
        raise FlagError("vectors", args.vectors, str(e)) from None


def check_words(args: argparse.Namespace, vocab, words: list[str]) -> None:
    unknown = [w for w in words if w not in vocab]
    if unknown:
        raise FlagError("words", " ".join(unknown), f"not in the vocabulary of {args.vectors} ({len(vocab):,} words)")


def run(args: argparse.Namespace) -> None:
    vocab, W = load_vectors(args)
    check_words(args, vocab, args.words)
    for word in args.words:
        print(f"{word}: " + ", ".join(f"{w} {s:.3f}" for w, s in most_similar(word, vocab, W, k=args.k)))
