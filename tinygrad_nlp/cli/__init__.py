"""The `tinygrad-nlp` command: train, generate, query vectors, decode and draw from the shell.

    tinygrad-nlp train-lm --epochs 4                       # the textbook's Rnnlm on PTB
    tinygrad-nlp generate runs/rnnlm/best.npz --prefix "the meaning of" --length 30
    tinygrad-nlp train-word2vec --epochs 10                # CBOW with negative sampling
    tinygrad-nlp similar runs/word2vec/vectors.txt car year
    tinygrad-nlp analogy runs/word2vec/vectors.txt king man queen
    tinygrad-nlp train-seq2seq --task date --model attention --reverse --hidden 256 --epochs 3
    tinygrad-nlp decode runs/seq2seq_date_attention_rev/model.npz "september 27, 1994" --beam 5
    tinygrad-nlp draw --figure lstm_cell --out lstm.svg    # or a checkpoint's model: draw CKPT --out f.svg
    tinygrad-nlp explore --figure seq2seq --out seq2seq.html
    tinygrad-nlp gallery --out runs/gallery
    tinygrad-nlp export runs/rnnlm/best.npz rnnlm.pt       # to PyTorch (state_dict + arguments + vocabulary)
    tinygrad-nlp import rnnlm.pt rnnlm.npz                 # and back

Each subcommand is one module of this package with `add_arguments(parser)` and `run(args)`, and
may have `check(args)`, the checks across its flags (see checks.py); COMMANDS names its module and
its one-line help. Only the chosen subcommand's module is imported, and each imports its heavy parts
(models, viz, the corpus loaders) where it runs: a bad flag is refused at once.
`tinygrad-nlp COMMAND --help` lists its flags and their defaults. A bad value is a one-line error
and exit code 2, before any data is read and before any folder is created.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import Iterable

import tinygrad_nlp

from .checks import FlagError

COMMANDS: dict[str, tuple[str, str]] = {  # name: (its module in this package, its one-line help)
    "train-lm": ("train_lm", "train an RNN language model (PTB words or Time Machine characters), then generate"),
    "train-word2vec": ("train_word2vec", "train word2vec (CBOW or skip-gram, negative sampling) or PPMI+SVD vectors on PTB"),
    "train-seq2seq": ("train_seq2seq", "train the textbook's seq2seq models (baseline, peeky, attention) on addition or dates"),
    "generate": ("generate", "generate text from a language-model checkpoint alone"),
    "similar": ("similar", "nearest neighbours of words, from saved word vectors"),
    "analogy": ("analogy", "word analogies a : b = c : ?, from saved word vectors"),
    "decode": ("decode", "answer questions with a seq2seq checkpoint (greedy or beam search)"),
    "draw": ("draw", "draw the graph of a built-in figure or of a checkpoint's model to SVG/PNG/PDF/DOT"),
    "explore": ("explore", "write the interactive step-through page (HTML) of a built-in figure or a checkpoint's model"),
    "gallery": ("gallery", "regenerate the textbooks' graph figures (nodes, layers, RNN/LSTM/GRU cells, seq2seq, attention)"),
    "export": ("export", "write a checkpoint's model as a PyTorch checkpoint (state_dict, constructor arguments, vocabulary)"),
    "import": ("import_", "turn a PyTorch checkpoint (from export or the torch training script) back into our checkpoint"),
}


def command(name: str) -> ModuleType:
    """The module of subcommand `name` (imported now, if not yet)."""
    return importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the module docstrings' layout and appends each flag's default to its help
    (unless the help already says what the default is, or there is none to show)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)) or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line ("tinygrad-nlp train-lm: error: argument --seed: ..."),
    without the usage block (`--help` shows it), exit code 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def parser(chosen: Iterable[str] = COMMANDS) -> argparse.ArgumentParser:
    """The command's parser; the subcommands in `chosen` get their flags (their modules are
    imported), the others only their name and help line, enough for `tinygrad-nlp --help`."""
    ap = Parser(prog="tinygrad-nlp", description=__doc__, formatter_class=HelpFormatter)
    ap.add_argument("--version", action="version", version=f"%(prog)s {tinygrad_nlp.__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help) in COMMANDS.items():
        p = sub.add_parser(name, help=help, formatter_class=HelpFormatter)
        if name in chosen:
            module = command(name)
            p.description = module.__doc__
            module.add_arguments(p)
            p.set_defaults(run=module.run, validate=getattr(module, "check", lambda args: None), parser=p)  # not "check": explore has a --check flag
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (a bad flag exits with 2, Ctrl-C gives 130)."""
    argv = sys.argv[1:] if argv is None else argv
    name = next((a for a in argv if not a.startswith("-")), None)  # the command's own flags take no values
    args = parser([name] if name in COMMANDS else []).parse_args(argv)
    try:
        args.validate(args)
        args.run(args)
    except FlagError as e:  # a check across flags, or one that needed the data or a checkpoint's header
        args.parser.error(str(e))
    except KeyboardInterrupt:
        print(f"\ntinygrad-nlp {args.command}: interrupted (a training run continues from its last epoch with --resume)",
              file=sys.stderr)
        return 130
    return 0


def run_as(command: str) -> None:
    """`python examples/<script>.py ARGS` is `tinygrad-nlp COMMAND ARGS`."""
    sys.exit(main([command, *sys.argv[1:]]))
