"""Train word2vec (CBOW / skip-gram with negative sampling) on Penn Treebank.

This is the `tinygrad-nlp train-word2vec` command; a readable training script is tinygrad_nlp/cli/train_word2vec.py.

    python examples/train_word2vec.py --help        # the same as: tinygrad-nlp train-word2vec --help
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_nlp.cli import run_as  # noqa: E402

if __name__ == "__main__":
    run_as("train-word2vec")
