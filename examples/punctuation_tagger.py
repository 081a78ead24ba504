"""Many-to-many: restore punctuation in The Time Machine (Ng's name-tagging setting, x<t> -> y<t>).

    python examples/punctuation_tagger.py [--epochs 6] [--hidden 64] [--balanced]

Every lower-cased word is tagged with the punctuation that follows it in the book (none , . ? !); a
bidirectional LSTM reads windows of 30 words and an Affine layer scores each word's tag. The first 80%
of the book trains, the last 20% tests; per-class precision, recall and F1 are printed. Almost every
word is followed by no mark: `--balanced` weights the loss by inverse tag frequency (torch's `weight=`).
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
from tinygrad_nlp.evaluation.metrics import per_class_f1  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402
from tinygrad_nlp.runs import positive_int  # noqa: E402
from models import build_model, save_model  # noqa: E402

TAGS = ["none", ",", ".", "?", "!"]


def tagged_words(text: str) -> tuple[list[str], np.ndarray]:
    """(words, tags): each word with the punctuation mark right after it (";" and ":" count as ",")."""
    words, tags = [], []
    for word, mark in re.findall(r"([A-Za-z']+)\s*([,.;:?!]?)", text):
        words.append(word.lower())
        tags.append(TAGS.index({";": ",", ":": ","}.get(mark, mark)) if mark else 0)
    return words, np.array(tags)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=positive_int, default=6, help="(default: %(default)s)")
    ap.add_argument("--hidden", type=positive_int, default=64, help="(default: %(default)s)")
    ap.add_argument("--wordvec", type=positive_int, default=32, help="(default: %(default)s)")
    ap.add_argument("--window", type=positive_int, default=30, help="words per sequence (default: %(default)s)")
    ap.add_argument("--max-words", type=positive_int, default=None, help="use only the first N words (smoke runs)")
    ap.add_argument("--balanced", action="store_true",
                    help="weight each tag's loss by N / (K * count) so rare marks count as much as 'none'")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", help="write the trained model to this checkpoint (.npz), for draw, explore and export")
    args = ap.parse_args()
    words, tags = tagged_words(data_file("timemachine.txt").read_text(encoding="utf-8"))
    if args.max_words:
        words, tags = words[: args.max_words], tags[: args.max_words]
    T = args.window
    n = len(words) // T
    split = int(0.8 * n) * T
    vocab = Vocab(words[:split], unk="<unk>", min_freq=2)
    ids = vocab.lookup(words[: n * T]).reshape(n, T)
    ys = tags[: n * T].reshape(n, T)
    x_train, y_train, x_test, y_test = ids[: split // T], ys[: split // T], ids[split // T:], ys[split // T:]
    counts = np.bincount(y_train.reshape(-1), minlength=len(TAGS))
    print(f"{n * T:,} words, vocabulary {len(vocab):,}; tags in train: " + ", ".join(f"{t!r} {c}" for t, c in zip(TAGS, counts)))
    weight = counts.sum() / (len(TAGS) * np.maximum(counts, 1)) if args.balanced else None
    model, config = build_model("Tagger", vocab_size=len(vocab), wordvec_size=args.wordvec, hidden_size=args.hidden,
                                num_tags=len(TAGS), generator=args.seed)
    opt = tg.optim.Adam(model.parameters(), lr=0.005)
    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx], weight=weight)
            opt.zero_grad()
            loss.backward()
            tg.nn.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        with tg.nn.evaluating(model):
            pred = model(x_test).argmax(axis=-1).data
        scores = per_class_f1(pred, y_test, len(TAGS))
        print(f"epoch {epoch}: loss {loss.item():.3f} | F1 " + " ".join(f"{t!r} {s['f1']:.2f}" for t, s in zip(TAGS, scores)))
    print("test, per class:")
    for tag, s in zip(TAGS, scores):
        print(f"  {tag!r:>6}: precision {s['precision']:.2f} recall {s['recall']:.2f} F1 {s['f1']:.2f} ({s['support']} words)")
    if args.save:
        save_model(args.save, model, config, vocab=vocab.to_dict(), tags=TAGS)
        print("wrote", args.save)


if __name__ == "__main__":
    main()
