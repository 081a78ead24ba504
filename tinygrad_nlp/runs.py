"""Run folders and the argparse types shared by the training scripts and the command.

A run folder holds one training run's checkpoints. `open_run` never lets a new run replace
another run's files: it refuses unless told to continue (`resume`) or to replace (`overwrite`),
and when resuming says plainly whether it found a checkpoint or starts fresh. `check_run` is the
same refusal without touching the disk, for a command's up-front checks.

The types (`integer`, `number`, `bounded`, `positive_int`, ...) parse a flag and check its bounds
(numbers finite), so that a bad value fails at once with argparse's one-line error (exit code 2)
instead of running for minutes.
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from .serialization import load

CHECKPOINTS = ("*.npz",)  # the files that make a folder a run's


class RunExists(RuntimeError):
    """The run folder already holds another run's checkpoints."""


def check_run(out: str | os.PathLike, resume: bool = False, overwrite: bool = False,
              files: tuple[str, ...] = CHECKPOINTS) -> None:
    """Raise RunExists when `out` already holds a run's `files` (glob patterns) and neither
    `resume` nor `overwrite` was asked for. Creates nothing."""
    out = Path(out)
    existing = sorted({p.name for pattern in files for p in out.glob(pattern)}) if out.is_dir() else []
    if existing and not (resume or overwrite):
        raise RunExists(f"{out} already holds a run ({', '.join(existing)}); pass --resume to continue it, "
                        "--overwrite to replace it, or --out to start a new run elsewhere")


def open_run(out: str | os.PathLike, resume: bool = False, overwrite: bool = False, checkpoint: str = "last.npz",
             files: tuple[str, ...] = CHECKPOINTS) -> Any:
    """Create the run folder `out`; return the checkpoint to resume from, or None for a fresh run.

    Raises RunExists as `check_run` does."""
    out = Path(out)
    check_run(out, resume, overwrite, files)
    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        return None
    path = out / checkpoint
    if not path.exists():
        print(f"--resume: {path} does not exist, so this run starts fresh")
        return None
    return load(path)


def add_run_arguments(ap: argparse.ArgumentParser, out: str | None, data_help: str = "the corpus files",
                      out_help: str | None = None) -> None:
    """The flags every training script shares: --data, --no-verify, --resume, --overwrite, --out
    (`out_help` says what the default folder is when `out` is None because it depends on other flags)."""
    ap.add_argument("--data", type=existing_path, default=None, help=f"where {data_help} are (default: $TINYGRAD_NLP_DATA, ../shared/data, "
                                                 "else downloaded into the cache)")
    ap.add_argument("--no-verify", action="store_true", help="accept corpus files whose SHA-256 is not the known one")
    ap.add_argument("--resume", action="store_true", help="continue from --out/last.npz")
    ap.add_argument("--overwrite", action="store_true", help="replace the checkpoints of an earlier run in --out")
    ap.add_argument("--out", type=output_dir, default=out, help="the run folder" + (f" (default: {out_help})" if out_help else ""))


def run_settings(args: argparse.Namespace) -> dict:
    """The command-line settings of a run that JSON can hold (saved in its checkpoints)."""
    return {k: v for k, v in vars(args).items() if isinstance(v, (int, float, str, bool, type(None)))}


MAX_ECHO = 60  # characters of a bad value repeated in its error


def echo(value: Any) -> str:
    """A value as an error repeats it: quoted when text, one line, at most MAX_ECHO characters."""
    text = repr(value) if isinstance(value, str) else str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_ECHO else f"{text[:MAX_ECHO]}... ({len(str(value)):,} characters)"


def typed(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type whose ValueError becomes argparse's one-line error naming the flag."""

    def check(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{e}, got {echo(text)}") from None

    check.__name__ = name
    return check


def _bounds(low: float | None, high: float | None, low_open: bool) -> str:
    parts = ([f"> {low}" if low_open else f">= {low}"] if low is not None else []) + ([f"<= {high:,}"] if high is not None else [])
    return " and ".join(parts)


def _check_bounds(value: float, kind: str, low: float | None, high: float | None, low_open: bool) -> None:
    if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
        raise ValueError(f"expected {kind} {_bounds(low, high, low_open)}")


def integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An integer in [low, high] (either bound may be None)."""
    kind = "an integer" + (f" {_bounds(low, high, False)}" if low is not None or high is not None else "")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected {kind}") from None
        _check_bounds(value, "an integer", low, high, False)
        return value

    return typed("integer", parse)


def number(low: float | None = None, high: float | None = None, low_open: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high] ((low, high] with low_open)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number {_bounds(low, high, low_open)}".rstrip()) from None
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number {_bounds(low, high, low_open)}".rstrip())
        _check_bounds(value, "a number", low, high, low_open)
        return value

    return typed("number", parse)


def bounded(kind: Callable[[str], Any], low: float | None = None, high: float | None = None,
            low_open: bool = False) -> Callable[[str], Any]:
    """`integer(low, high)` when kind is int, else `number(low, high, low_open)` (finite)."""
    return integer(low, high) if kind is int else number(low, high, low_open)


positive_int = integer(1)
nonnegative_int = integer(0)
positive_float = number(0.0, low_open=True)


def existing_path(value: str) -> str:
    """A file or a folder that exists (--data): what it must hold is checked where it is read."""
    if not Path(value).exists():
        raise argparse.ArgumentTypeError(f"no such file or folder, got {echo(value)}")
    return value


def writable_location(path: Path) -> None:
    """Raise ValueError unless `path` can be created: its nearest existing ancestor is a folder in
    which a file can be made (tried with a temporary file, removed at once: root ignores modes)."""
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{parent} is a file, not a folder")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".tinygrad-nlp-probe-")
    except OSError as e:
        raise ValueError(f"cannot write in {parent} ({e.strerror})") from None
    os.close(fd)
    os.unlink(tmp)


def _output_dir(value: str) -> str:
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ValueError("expected a folder, not a file")
    writable_location(path)
    return value


output_dir = typed("folder", _output_dir)


