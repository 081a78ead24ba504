"""README's `python -c` one-liners and the demo run as written."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ONE_LINERS = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(".venv/bin/python -c ")]


def test_readme_has_one_liners():
    assert len(ONE_LINERS) >= 3


@pytest.mark.parametrize("line", ONE_LINERS)
def test_readme_one_liner(line):
    argv = shlex.split(line)
    argv[0] = sys.executable
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_demo_runs():
    result = subprocess.run([sys.executable, "examples/demo.py"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert re.search(r"loss = \d", result.stdout)


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.py")) + sorted(
    "../benchmarks/" + p.name for p in (ROOT / "benchmarks").glob("*.py")))
def test_scripts_start(script):
    """Every example and benchmark parses its arguments and reaches main() (--help exits 0)."""
    result = subprocess.run([sys.executable, f"examples/{script}", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout
