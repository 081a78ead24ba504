"""Run folders and argument checks shared by the training scripts.

A run folder holds one training run's checkpoints. `open_run` never lets a new run replace
another run's files: it refuses unless told to continue (`resume`) or to replace (`overwrite`),
and when resuming says plainly whether it found a checkpoint or starts fresh.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Callable

from .serialization import load


class RunExists(RuntimeError):
    """The run folder already holds another run's checkpoints."""


def open_run(out: str | os.PathLike, resume: bool = False, overwrite: bool = False, checkpoint: str = "last.npz") -> Any:
    """Create the run folder `out`; return the checkpoint to resume from, or None for a fresh run.

    Raises RunExists when `out` already holds checkpoints (*.npz) and neither `resume` nor
    `overwrite` was asked for."""
    out = Path(out)
    existing = sorted(p.name for p in out.glob("*.npz")) if out.is_dir() else []
    if existing and not (resume or overwrite):
        raise RunExists(f"{out} already holds a run ({', '.join(existing)}); pass --resume to continue it, "
                        "--overwrite to replace it, or --out to start a new run elsewhere")
    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        return None
    path = out / checkpoint
    if not path.exists():
        print(f"--resume: {path} does not exist, so this run starts fresh")
        return None
    return load(path)


def start_run(args: argparse.Namespace, out: str | os.PathLike) -> Any:
    """`open_run` for a command: a run folder that holds another run is the parser's one-line error
    (exit code 2) naming --resume, --overwrite and --out."""
    try:
        return open_run(out, args.resume, args.overwrite)
    except RunExists as e:
        args.parser.error(str(e))


def add_run_arguments(ap: argparse.ArgumentParser, out: str | None, data_help: str = "the corpus files",
                      out_help: str | None = None) -> None:
    """The flags every training script shares: --data, --no-verify, --resume, --overwrite, --out
    (`out_help` says what the default folder is when `out` is None because it depends on other flags)."""
    ap.add_argument("--data", default=None, help=f"where {data_help} are (default: $TINYGRAD_NLP_DATA, ../shared/data, "
                                                 "else downloaded into the cache)")
    ap.add_argument("--no-verify", action="store_true", help="accept corpus files whose SHA-256 is not the known one")
    ap.add_argument("--resume", action="store_true", help="continue from --out/last.npz")
    ap.add_argument("--overwrite", action="store_true", help="replace the checkpoints of an earlier run in --out")
    ap.add_argument("--out", default=out, help="the run folder" + (f" (default: {out_help})" if out_help else ""))


def run_settings(args: argparse.Namespace) -> dict:
    """The command-line settings of a run that JSON can hold (saved in its checkpoints)."""
    return {k: v for k, v in vars(args).items() if isinstance(v, (int, float, str, bool, type(None)))}


def bounded(kind: Callable[[str], Any], low: float | None = None, high: float | None = None,
            low_open: bool = False) -> Callable[[str], Any]:
    """An argparse `type` that parses with `kind` and checks low <= value <= high (low < value with
    low_open), so that a bad size fails at once with exit code 2 instead of running for minutes."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if low is not None and (value <= low if low_open else value < low):
            raise argparse.ArgumentTypeError(f"must be {'>' if low_open else '>='} {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high}, got {value}")
        return value

    parse.__name__ = kind.__name__
    return parse


positive_int = bounded(int, 1)
nonnegative_int = bounded(int, 0)
positive_float = bounded(float, 0.0, low_open=True)
