"""The command's up-front checks: every flag is checked before any data is read and before any
folder is created, and a bad one is one line on stderr naming the flag, the value and what is
expected (exit code 2).

Two kinds, both declarative where a subcommand adds its flags:
- argparse types, checked as the command line is parsed: `integer(1, 10_000)` and `number(0, 1)`
  (from tinygrad_nlp.runs), `SEED`, `text()`, `input_file("checkpoint")`, `output_file(".svg", ".png")`, `output_dir`, ...
- cross-flag checks, a subcommand's `check(args)`, run right after parsing: contradictory flags
  (`conflict`), a memory estimate of the model and a batch against this machine (`check_memory`);
  they raise `FlagError`.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Callable

from tinygrad_nlp.runs import CHECKPOINTS, RunExists, check_run, echo, integer, typed, writable_location


class FlagError(ValueError):
    """A bad flag value: `FlagError("--hidden", 0, "expected an integer >= 1")` (value None: not repeated)."""

    def __init__(self, flag: str, value: Any, expected: str):
        super().__init__(f"{flag}{'' if value is None else ' ' + echo(value)}: {expected}")


SEED = integer(0, 2**32 - 1)  # numpy's seeds


def text(max_chars: int = 1000) -> Callable[[str], str]:
    """Text that is not empty nor only spaces, at most `max_chars` characters."""

    def parse(value: str) -> str:
        if not value.strip():
            raise ValueError("expected some text (it is empty)")
        if len(value) > max_chars:
            raise ValueError(f"expected at most {max_chars:,} characters")
        return value

    return typed("text", parse)


FORMATS = {
    "checkpoint": "a checkpoint (.npz) written by tinygrad-nlp",
    "torch": "a PyTorch checkpoint (.pt) written by tinygrad-nlp export",
    "vectors": "word vectors in word2vec text format (train-word2vec's vectors.txt)",
    "text": "a UTF-8 text file",
}


def sniff(path: Path, kind: str) -> None:
    """Raise ValueError unless the file starts as a `kind` file does (see FORMATS)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    is_zip = head.startswith(b"PK\x03\x04")
    if kind in ("checkpoint", "torch"):  # both are zip archives
        if not is_zip:
            raise ValueError(f"expected {FORMATS[kind]}; this file is not a {'.npz' if kind == 'checkpoint' else '.pt'} archive")
        return
    if is_zip:
        raise ValueError(f"expected {FORMATS[kind]}, not a .npz checkpoint")
    try:
        first = head.decode("utf-8", errors="strict" if len(head) < 1 << 16 else "ignore")
        if "\x00" in first:
            raise UnicodeDecodeError("utf-8", head, 0, 1, "NUL byte")
    except UnicodeDecodeError:
        raise ValueError(f"expected {FORMATS[kind]}; this file is binary, not UTF-8 text") from None
    if kind == "vectors":
        fields = first.split("\n", 1)[0].split()
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            raise ValueError(f"expected {FORMATS[kind]}: its first line is 'WORDS DIMENSIONS'")


def input_file(kind: str) -> Callable[[str], str]:
    """A readable file of the given kind (a key of FORMATS), checked by its first bytes."""

    def parse(value: str) -> str:
        path = Path(value)
        if not path.exists():
            raise ValueError("no such file")
        if not path.is_file():
            raise ValueError(f"expected {FORMATS[kind]}, not a folder")
        try:
            sniff(path, kind)
        except OSError as e:
            raise ValueError(f"cannot read it ({e.strerror})") from None
        return value

    return typed(kind, parse)


def output_file(*suffixes: str) -> Callable[[str], str]:
    """A file to write, with one of `suffixes`, in a folder that can be written."""

    def parse(value: str) -> str:
        path = Path(value)
        if path.suffix.lower() not in suffixes:
            raise ValueError(f"expected a file name ending in {' '.join(suffixes)}")
        if path.is_dir():
            raise ValueError("expected a file name, not a folder")
        writable_location(path.parent)  # an existing file is replaced: its folder must take the new one
        return value

    return typed("file", parse)


def conflict(args: argparse.Namespace, flag: str, other: str, why: str = "") -> None:
    """Refuse two flags given together (a flag counts as given when its value is not None or False)."""
    a, b = (getattr(args, f.lstrip("-").replace("-", "_")) for f in (flag, other))
    if a not in (None, False) and b not in (None, False):
        raise FlagError(flag, None if a is True else a, f"cannot be combined with {other}{'' if b is True else ' ' + echo(b)}{why}")


CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")  # cgroup v2, v1


def physical_memory() -> int:
    """Bytes of memory this machine has (its physical memory, or a container's limit when lower),
    whatever else is running."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        total = 1 << 40
    for limit in CGROUP_LIMITS:
        try:
            total = min(total, int(Path(limit).read_text()))
        except (OSError, ValueError):  # absent, or "max"
            pass
    return total


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


PROCESS = 100 * 2**20  # bytes of a trainer before its data and model: Python, numpy, the library, matplotlib (measured 77 MB)
PTB_READ = 100 * 2**20  # bytes of reading PTB's training text, its 929,589 words as strings then ids (measured 83 MB)


def check_memory(args: argparse.Namespace, weights: float, batch: float, what: str) -> None:
    """Refuse sizes whose estimated peak memory (the process itself, PROCESS; `weights`: bytes of the
    weights with their gradients and optimizer state; `batch`: of the data and of one batch's
    activations with their gradients) is more than this machine's physical memory, naming --hidden or --batch,
    whichever weighs more. Physical memory, not what is free at the moment: the same command gets the same
    answer whatever else runs, and only what cannot fit at all is refused."""
    flag = "--hidden" if weights >= batch else "--batch"
    need, total = PROCESS + weights + batch, physical_memory()
    if need > total:
        raise FlagError(flag, getattr(args, flag[2:]), f"{what} would need about {gib(need)}; this machine has {gib(total)} of memory")


def run_folder(args: argparse.Namespace, files: tuple[str, ...] = CHECKPOINTS) -> None:
    """--out must not hold another run's `files` unless --resume or --overwrite (nothing is created)."""
    try:
        check_run(args.out, args.resume, args.overwrite, files)
    except RunExists as e:
        raise FlagError("--out", None, str(e)) from None


def read_data(args: argparse.Namespace, loader: Callable[..., Any], *a: Any, **kw: Any) -> Any:
    """`loader(*a, **kw)`, with a missing, empty, foreign or corrupted corpus a one-line error naming --data."""
    try:
        return loader(*a, **kw)
    except (OSError, ValueError) as e:
        raise FlagError("--data", args.data, str(e) if args.data else f"(not given) {e}") from None


def optional_plot(plot: Callable[..., Any], *a: Any, **kw: Any) -> Any:
    """`plot(*a, **kw)`, drawn with matplotlib; without it, None and one line saying what was
    skipped and how to get it (a missing optional package never costs a run)."""
    try:
        return plot(*a, **kw)
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith("matplotlib"):
            raise
        path = next((x for x in (*a, *kw.values()) if isinstance(x, (str, os.PathLike))), "")
        print(f"skipped {plot.__name__} {path}: matplotlib is not installed (pip install matplotlib, or tinygrad_nlp[plot])")


def load_checkpoint(path: str) -> tuple[Any, dict]:
    """`models.load_model(path)`, with a file that is not a valid checkpoint a one-line error."""
    from models import load_model

    try:
        return load_model(path)
    except (OSError, ValueError) as e:
        raise FlagError("checkpoint", path, str(e)) from None
