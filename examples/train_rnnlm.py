"""Train an RNN language model on Penn Treebank (the textbook's Rnnlm by default), then generate.

This is the `tinygrad-nlp train-lm` command; a readable training script is tinygrad_nlp/cli/train_lm.py.

    python examples/train_rnnlm.py --help        # the same as: tinygrad-nlp train-lm --help
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_nlp.cli import run_as  # noqa: E402

if __name__ == "__main__":
    run_as("train-lm")
