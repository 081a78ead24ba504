"""Answer questions with a seq2seq checkpoint alone (its vocabulary, question width and --reverse
are in the file), by greedy decoding or beam search.

    tinygrad-nlp decode runs/seq2seq_date_attention_rev/model.npz "september 27, 1994" "Jun 3, 2011"
    tinygrad-nlp decode runs/seq2seq_addition_peeky_rev/model.npz "16+75" --beam 5
    tinygrad-nlp decode MODEL --file questions.txt          # one question per line
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_nlp.data.datasets import encode_chars
from tinygrad_nlp.data.text import Vocab
from tinygrad_nlp.evaluation.decoding import beam_search, greedy
from tinygrad_nlp.runs import echo, integer, number

from .checks import FlagError, input_file, load_checkpoint

MAX_BEAM = 100


def add_beam_arguments(ap: argparse.ArgumentParser) -> None:
    """--beam and --length-penalty, as decode and train-seq2seq share them."""
    ap.add_argument("--beam", type=integer(0, MAX_BEAM), default=0, help="beam size (0: greedy decoding)")
    ap.add_argument("--length-penalty", type=number(0.0, 10.0), default=None,
                    help="beam search: scores divided by length ** this (d2l's alpha; default: 0.75)")


def check_beam(args: argparse.Namespace) -> None:
    if not args.beam and args.length_penalty is not None:
        raise FlagError("--length-penalty", args.length_penalty, "applies to beam search only: add --beam N")
    args.length_penalty = 0.75 if args.length_penalty is None else args.length_penalty


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", type=input_file("checkpoint"), help="model.npz or last.npz written by train-seq2seq")
    ap.add_argument("questions", nargs="*", help="questions as in the task's file, e.g. '16+75' or 'september 27, 1994'")
    ap.add_argument("--file", type=input_file("text"), help="also read questions from this file, one per line (default: none)")
    add_beam_arguments(ap)


def check(args: argparse.Namespace) -> None:
    check_beam(args)
    if not args.questions and not args.file:
        raise FlagError("questions", None, "give questions as arguments or with --file")


def read_questions(args: argparse.Namespace) -> list[str]:
    questions = list(args.questions)
    if args.file:
        try:
            questions += [line for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as e:
            raise FlagError("--file", args.file, f"expected a UTF-8 text file of questions ({e})") from None
    return questions


def encode(questions: list[str], vocab: Vocab, width: int, flag: str = "questions") -> np.ndarray:
    """The questions as the model's input; a question too long or with unknown characters is a
    one-line error naming `flag` that shows at most its first characters."""
    for q in questions:
        if not q.strip():
            raise FlagError(flag, q, "expected a question (it is empty)")
        if len(q) > width:
            raise FlagError(flag, q, f"has {len(q):,} characters; this model reads questions of at most {width}")
        unknown = sorted(set(q) - set(vocab.word_to_id))
        if unknown:
            raise FlagError(flag, q, f"has characters outside the model's vocabulary: {echo(''.join(unknown))}")
    return encode_chars(questions, vocab, width)


def run(args: argparse.Namespace) -> None:
    questions = read_questions(args)
    model, ckpt = load_checkpoint(args.checkpoint)
    if "question_width" not in ckpt:
        raise FlagError("checkpoint", args.checkpoint,
                        f"holds a model of class {ckpt['config']['class']}, not a seq2seq model written by train-seq2seq")
    vocab = Vocab.from_dict(ckpt["vocab"])
    x = encode(questions, vocab, ckpt["question_width"])
    x = x[:, ::-1].copy() if ckpt["reverse"] else x
    start, length = vocab[ckpt["start_char"]], ckpt["answer_length"]
    if args.beam:
        answers = beam_search(model, x, start, length, beam_size=args.beam, length_penalty=args.length_penalty)
    else:
        answers = greedy(model, x, start, length)
    width = max(len(q) for q in questions)
    for q, a in zip(questions, np.asarray(answers)):
        print(f"{q:<{width}}  ->  {''.join(vocab.decode(a)).strip()}")
