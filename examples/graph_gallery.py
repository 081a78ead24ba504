"""Regenerate the textbooks' computation-graph figures from real computations.

This is the `tinygrad-nlp gallery` command; the code is tinygrad_nlp/cli/gallery.py.

    python examples/graph_gallery.py --help        # the same as: tinygrad-nlp gallery --help
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_nlp.cli import run_as  # noqa: E402

if __name__ == "__main__":
    run_as("gallery")
