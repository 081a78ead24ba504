"""Generate text from a language-model checkpoint alone.

This is the `tinygrad-nlp generate` command; the code is tinygrad_nlp/cli/generate.py.

    python examples/generate_text.py --help        # the same as: tinygrad-nlp generate --help
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_nlp.cli import run_as  # noqa: E402

if __name__ == "__main__":
    run_as("generate")
