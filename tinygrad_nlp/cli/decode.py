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

from models import load_model
from tinygrad_nlp.data.datasets import encode_chars
from tinygrad_nlp.data.text import Vocab
from tinygrad_nlp.evaluation.decoding import beam_search, greedy
from tinygrad_nlp.runs import bounded

HELP = "answer questions with a seq2seq checkpoint (greedy or beam search)"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("checkpoint", help="model.npz or last.npz written by train-seq2seq")
    ap.add_argument("questions", nargs="*", help="questions as in the task's file, e.g. '16+75' or 'september 27, 1994'")
    ap.add_argument("--file", help="also read questions from this file, one per line (default: none)")
    ap.add_argument("--beam", type=bounded(int, 0, 100), default=0, help="beam size (0: greedy decoding)")
    ap.add_argument("--length-penalty", type=bounded(float, 0.0), default=0.75,
                    help="beam search: scores divided by length ** this (d2l's alpha)")


def run(args: argparse.Namespace) -> None:
    ap = args.parser
    questions = list(args.questions)
    if args.file:
        try:
            questions += [line.rstrip("\n") for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
        except OSError as e:
            ap.error(str(e))
    if not questions:
        ap.error("give questions as arguments or with --file")
    try:
        model, ckpt = load_model(args.checkpoint)
    except (OSError, ValueError) as e:
        ap.error(str(e))
    if "question_width" not in ckpt:
        ap.error(f"{args.checkpoint} holds a {ckpt['config']['class']}, not a seq2seq model written by train-seq2seq")
    vocab = Vocab.from_dict(ckpt["vocab"])
    try:
        x = encode_chars(questions, vocab, ckpt["question_width"])
    except ValueError as e:
        ap.error(str(e))
    x = x[:, ::-1].copy() if ckpt["reverse"] else x
    start, length = vocab[ckpt["start_char"]], ckpt["answer_length"]
    if args.beam:
        answers = beam_search(model, x, start, length, beam_size=args.beam, length_penalty=args.length_penalty)
    else:
        answers = greedy(model, x, start, length)
    width = max(len(q) for q in questions)
    for q, a in zip(questions, np.asarray(answers)):
        print(f"{q:<{width}}  ->  {''.join(vocab.decode(a)).strip()}")
