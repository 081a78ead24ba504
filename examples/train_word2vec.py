"""word2vec's CBOW with negative sampling on Penn Treebank (DLFS2 ch04/train.py), written out:
contexts and targets, the model, Adam, the Trainer's loop, then the nearest neighbours.

    python examples/train_word2vec.py                 # 10 epochs, ~6 min here
    python examples/train_word2vec.py --epochs 1 --max-words 100000

The same with skip-gram, hierarchical softmax, subsampling, PPMI+SVD, checkpoints, word maps and
analogies is the command `tinygrad-nlp train-word2vec` (tinygrad_nlp/cli/train_word2vec.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from models import CBOW  # noqa: E402
from tinygrad_nlp.data.contexts import create_contexts_target  # noqa: E402
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.evaluation.vectors import most_similar  # noqa: E402
from tinygrad_nlp.trainer import Trainer  # noqa: E402

# the textbook's hyper-parameters
window_size = 5
hidden_size = 100
batch_size = 100
max_epoch = 10


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=max_epoch, help="epochs (default: %(default)s)")
    ap.add_argument("--max-words", type=int, default=None, help="use only the first N words of PTB train (default: all)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    ap.add_argument("--data", help="the PTB folder (default: $TINYGRAD_NLP_DATA, ../shared/data, else downloaded)")
    args = ap.parse_args()

    tg.manual_seed(args.seed)
    corpus, vocab = load_ptb("train", args.data)
    corpus = corpus[: args.max_words]
    contexts, target = create_contexts_target(corpus, window_size)  # 2·window words around each target
    model = CBOW(len(vocab), hidden_size, window_size, corpus, generator=args.seed)  # 5 negatives per target
    optimizer = tg.optim.Adam(model.parameters())
    trainer = Trainer(model, optimizer, generator=args.seed)
    trainer.fit(contexts, target, args.epochs, batch_size, eval_interval=1000)

    word_vecs = model.word_vecs.data
    for query in ("you", "year", "car", "toyota"):
        if query in vocab:
            print(f"[query] {query}: " + ", ".join(f"{w} {s:.3f}" for w, s in most_similar(query, vocab, word_vecs, k=5)))


if __name__ == "__main__":
    main()
