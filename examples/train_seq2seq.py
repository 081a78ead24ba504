"""Train the textbook's seq2seq models on the addition and date tasks.

This is the `tinygrad-nlp train-seq2seq` command; a readable training script is tinygrad_nlp/cli/train_seq2seq.py.

    python examples/train_seq2seq.py --help        # the same as: tinygrad-nlp train-seq2seq --help
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_nlp.cli import run_as  # noqa: E402

if __name__ == "__main__":
    run_as("train-seq2seq")
