"""Count-based language models on Penn Treebank (d2l 8.3): add-k smoothing and interpolated
Kneser–Ney, n = 1..4, the smoothing constant chosen on the validation set, test perplexity beside
the RNN LMs'.

    python examples/ngram_lm.py [--data DIR]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.lm import KneserNeyLM, NGramLM  # noqa: E402

SETTINGS = {"add-k": (NGramLM, "k", (1.0, 0.1, 0.01, 0.003, 0.001)),
            "Kneser-Ney": (KneserNeyLM, "discount", (0.6, 0.7, 0.75, 0.8, 0.9))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="where the PTB files are (default: see tinygrad_nlp.data.datasets)")
    args = ap.parse_args()
    train, vocab = load_ptb("train", args.data)
    valid, test = (load_ptb(split, args.data).ids for split in ("valid", "test"))
    print(f"{'model':<12} {'n':>2} {'best constant':>14} {'valid ppl':>10} {'test ppl':>9}")
    for name, (Model, param, values) in SETTINGS.items():
        for n in (1, 2, 3, 4):
            t0 = time.perf_counter()
            fits = [(Model(n, value, len(vocab)).fit(train), value) for value in values]
            scored = sorted((lm.perplexity(valid), value, lm) for lm, value in fits)
            valid_ppl, value, lm = scored[0]
            print(f"{name:<12} {n:>2} {param + ' ' + str(value):>14} {valid_ppl:10.1f} {lm.perplexity(test):9.1f}"
                  f"   ({time.perf_counter() - t0:.1f} s for {len(values)} fits)")


if __name__ == "__main__":
    main()
