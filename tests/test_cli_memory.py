"""The trainers' memory estimate: near the peak a run really takes, and a refusal only of what cannot
fit in this machine's memory at all, whatever else is running (a test never depends on the load)."""
from __future__ import annotations

import argparse
import shlex

import pytest

from tinygrad_nlp.cli import checks, command, main, parser

# Peak resident memory of real runs, `/usr/bin/time -f %M tinygrad-nlp LINE` (Linux x86_64, numpy 2,
# OPENBLAS_NUM_THREADS=1, matplotlib installed), in MiB. The first is tests/test_runs.py's run
# (200 addition pairs), which a check against the memory free at the moment once refused.
MEASURED = [
    (80, "train-seq2seq --hidden 8 --wordvec 4 --batch 32 --epochs 1"),
    (104, "train-seq2seq --max-steps 20 --epochs 1"),
    (1079, "train-seq2seq --batch 5000 --max-steps 2 --epochs 1"),
    (2156, "train-seq2seq --task date --model attention --batch 2000 --max-steps 2 --epochs 1"),
    (237, "train-lm --max-steps 20 --epochs 1 --no-test"),
    (1292, "train-lm --batch 200 --max-steps 3 --epochs 1 --no-test"),
    (221, "train-word2vec --max-words 50000"),
    (285, "train-word2vec --epochs 1"),
    (3169, "train-word2vec --count-based"),
]


def estimate(line: str, monkeypatch) -> float:
    """The bytes `check` estimates for a command line (nothing refused, no folder looked at)."""
    argv = shlex.split(line)
    args = parser([argv[0]]).parse_args(argv)
    seen: dict[str, float] = {}

    def record(args: argparse.Namespace, weights: float, batch: float, what: str) -> None:
        seen["bytes"] = checks.PROCESS + weights + batch

    monkeypatch.setattr(command(argv[0]), "check_memory", record)
    monkeypatch.setattr(command(argv[0]), "run_folder", lambda *a, **kw: None)
    args.validate(args)
    return seen["bytes"]


@pytest.mark.parametrize("measured, line", MEASURED)
def test_the_estimate_is_within_2x_of_the_measured_peak_and_never_far_below(measured, line, monkeypatch):
    ratio = estimate(line, monkeypatch) / (measured * 2**20)
    assert 0.8 <= ratio <= 2.0, f"{line}: estimate / measured peak = {ratio:.2f}"


def test_the_refusal_compares_with_physical_memory_not_what_is_free_now(monkeypatch, capsys):
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemTotal:"))
    assert 0 < checks.physical_memory() <= total  # a container's limit may be lower
    monkeypatch.setattr(checks, "physical_memory", lambda: 2 * 2**30)
    with pytest.raises(SystemExit) as exit:
        main(["train-lm", "--batch", "5000"])  # about 32 GiB
    err = capsys.readouterr().err
    assert exit.value.code == 2 and "--batch 5000: --model rnnlm" in err and "this machine has 2.0 GiB of memory" in err
    # the seq2seq test's flags with a batch larger than its data: refused once the data is read, not for memory
    assert estimate("train-seq2seq --hidden 8 --wordvec 4 --batch 100000", monkeypatch) < 2 * 2**30
