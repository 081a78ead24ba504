"""Many-to-one: does a sentence come from The Time Machine or from the Penn Treebank?

    python examples/classify_sentences.py [--model average|gru|bigru] [--per-class 3000] [--epochs 5]

Ng's sentiment architecture on text available offline: sentences lower-cased and reduced to
letters (so punctuation and numbers give nothing away), padded per batch (`nn.utils.padded_batches`),
then either the average of the word embeddings over the valid steps (the baseline) or a GRU (or a
bidirectional one) whose last valid state, concatenated for both directions, is classified.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from tinygrad_nlp.data.datasets import data_file  # noqa: E402
from tinygrad_nlp.data.text import Vocab  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402
from tinygrad_nlp.nn.utils import pad_sequence, padded_batches  # noqa: E402
from tinygrad_nlp.runs import bounded, positive_int  # noqa: E402
from models import build_model, save_model  # noqa: E402


def sentences(text: str) -> list[list[str]]:
    """Sentences of 4 to 40 words, lower case, letters only (no punctuation, numbers or <unk> marks)."""
    out = []
    for s in re.split(r"[.!?\n]+", text):
        words = re.sub(r"<unk>|[^a-z]+", " ", s.lower()).split()
        if 4 <= len(words) <= 40:
            out.append(words)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["average", "gru", "bigru"], default="gru", help="(default: %(default)s)")
    ap.add_argument("--per-class", type=bounded(int, 50), default=3000, help="sentences of each source (default: %(default)s)")
    ap.add_argument("--epochs", type=positive_int, default=5, help="(default: %(default)s)")
    ap.add_argument("--batch", type=positive_int, default=64, help="(default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", help="write the trained model to this checkpoint (.npz), for draw, explore and export")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    tm = sentences(data_file("timemachine.txt").read_text(encoding="utf-8"))
    ptb = sentences(data_file("ptb/ptb.train.txt").read_text(encoding="utf-8"))
    n = min(args.per_class, len(tm), len(ptb))
    picked = [tm[i] for i in rng.permutation(len(tm))[:n]] + [ptb[i] for i in rng.permutation(len(ptb))[:n]]
    labels = np.array([0] * n + [1] * n)
    order = rng.permutation(2 * n)
    picked, labels = [picked[i] for i in order], labels[order]
    split = int(0.8 * len(picked))
    vocab = Vocab([w for s in picked[:split] for w in s], reserved=["<pad>"], unk="<unk>", min_freq=2)  # <pad> is id 0
    ids = [vocab.lookup(s) for s in picked]
    model, config = build_model("SentenceClassifier", vocab_size=len(vocab), kind=args.model, generator=args.seed)
    opt = tg.optim.Adam(model.parameters(), lr=0.005)
    print(f"{n} sentences per source, vocabulary {len(vocab):,}, {args.model}: {model.num_parameters():,} parameters")
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch, lengths, ys in padded_batches(ids[:split], labels[:split], args.batch, bucket=True, generator=args.seed + epoch):
            loss = F.cross_entropy(model(batch, lengths), ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with tg.nn.evaluating(model):
            lengths = np.array([len(s) for s in ids[split:]])
            pred = model(pad_sequence([np.asarray(s) for s in ids[split:]]), lengths).argmax(axis=1).data
        print(f"epoch {epoch}: test accuracy {np.mean(pred == labels[split:]):.2%} (loss {loss.item():.3f})")
    if args.save:
        save_model(args.save, model, config, vocab=vocab.to_dict(), classes=["timemachine", "ptb"])
        print("wrote", args.save)


if __name__ == "__main__":
    main()
