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

Each subcommand is one module of this package with `HELP`, `add_arguments(parser)` and
`run(args)`, and may have `check(args)`, the checks across its flags (see checks.py);
`tinygrad-nlp COMMAND --help` lists its flags and their defaults. A bad value is a one-line error
and exit code 2, before any data is read and before any folder is created.
"""
from __future__ import annotations

import argparse
import sys
from types import ModuleType

import tinygrad_nlp

from . import analogy, decode, draw, explore, export, gallery, generate, import_, similar, train_lm, train_seq2seq, train_word2vec
from .checks import FlagError

COMMANDS: dict[str, ModuleType] = {
    "train-lm": train_lm, "train-word2vec": train_word2vec, "train-seq2seq": train_seq2seq, "generate": generate,
    "similar": similar, "analogy": analogy, "decode": decode, "draw": draw, "explore": explore, "gallery": gallery,
    "export": export, "import": import_,
}


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


def parser() -> argparse.ArgumentParser:
    ap = Parser(prog="tinygrad-nlp", description=__doc__, formatter_class=HelpFormatter)
    ap.add_argument("--version", action="version", version=f"%(prog)s {tinygrad_nlp.__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=module.HELP, description=module.__doc__, formatter_class=HelpFormatter)
        module.add_arguments(p)
        p.set_defaults(run=module.run, parser=p)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (a bad flag exits with 2, Ctrl-C gives 130)."""
    args = parser().parse_args(argv)
    try:
        getattr(COMMANDS[args.command], "check", lambda args: None)(args)
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
