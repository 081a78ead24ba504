"""Plot the test-accuracy curves of the addition runs (baseline, reversed, reversed + peeky) side
by side with the points the textbook's own code reached on this machine (reversed + peeky).

    tinygrad-nlp train-seq2seq --task addition --model baseline
    tinygrad-nlp train-seq2seq --task addition --model baseline --reverse
    tinygrad-nlp train-seq2seq --task addition --model peeky --reverse
    python examples/plot_addition_curves.py            # -> runs/addition_curves.png
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from viz.plots import plot_curves  # noqa: E402

RUNS = {"baseline": "seq2seq_addition_baseline", "reversed": "seq2seq_addition_baseline_rev",
        "reversed + peeky": "seq2seq_addition_peeky_rev"}
TEXTBOOK_PEEKY_REVERSED = {6: 0.15, 9: 0.83, 15: 0.955, 25: 0.981}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="runs")
    ap.add_argument("--out", default="runs/addition_curves.png")
    args = ap.parse_args()
    curves = {}
    for label, folder in RUNS.items():
        path = Path(args.runs) / folder / "history.json"
        if not path.exists():
            print(f"missing {path}; run the training first")
            continue
        acc = [h["accuracy"] for h in json.loads(path.read_text(encoding="utf-8"))]
        curves[f"tinygrad_nlp {label}"] = acc
        print(f"{label:>17}: " + " ".join(f"{a:.1%}" for a in acc))
    out = plot_curves(curves, args.out, ylabel="test accuracy", ylim=(0, 1),
                      points={"textbook code, reversed + peeky": TEXTBOOK_PEEKY_REVERSED})
    print("wrote", out)


if __name__ == "__main__":
    main()
