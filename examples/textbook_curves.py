"""Our learning curves beside the textbook's, per task and seed: one plot per task and a Markdown table.

First run the recipes (a few minutes each; several seeds):

    tinygrad-nlp train-lm --seed S --out runs/curves/rnnlm_seedS
    tinygrad-nlp train-seq2seq --task date --model attention --reverse --hidden 256 --epochs 3 \\
        --seed S --out runs/curves/date_seedS
    tinygrad-nlp train-seq2seq --task addition --model peeky --reverse --seed S --out runs/curves/addition_seedS

then `python examples/textbook_curves.py [--runs runs/curves] [--book-logs DIR]`. `--book-logs` is a
folder of logs of the book's own code (deep-learning-from-scratch-2, run unchanged but for the seed)
named rnnlm_seedS.log, date_seedS.log, addition_seedS.log; their curves are drawn dashed.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from viz.plots import plot_curves  # noqa: E402

# the figures printed in the book (DLFS2): test perplexity after 4 epochs; accuracy per epoch
BOOK = {"rnnlm": {4: 135.65}, "date": {1: 0.0, 2: 0.517, 3: 0.999}, "addition": {6: 0.15, 9: 0.83, 15: 0.955, 25: 0.981}}
TASKS = {"rnnlm": ("validation perplexity", "test perplexity after 4 epochs"),
         "date": ("test accuracy", "accuracy after epoch 3"),
         "addition": ("test accuracy", "accuracy at epoch 25")}


def ours(runs: Path, task: str) -> dict[int, dict]:
    """seed -> {"curve": [...], "final": number} from our run folders."""
    found = {}
    for folder in sorted(runs.glob(f"{task}_seed*")):
        seed = int(re.search(r"seed(\d+)$", folder.name).group(1)) if re.search(r"seed(\d+)$", folder.name) else None
        if seed is None:
            continue
        if task == "rnnlm" and (folder / "last.npz").exists():
            history = tg.load(folder / "last.npz")["history"]
            log = Path(f"{folder}.log").read_text(encoding="utf-8") if Path(f"{folder}.log").exists() else ""
            test = re.search(r"test perplexity \(best checkpoint\): ([\d.]+)", log)
            found[seed] = {"curve": [h["valid_ppl"] for h in history], "train": [h["train_ppl"] for h in history],
                           "final": float(test.group(1)) if test else None}
        elif (folder / "history.json").exists():
            acc = [h["accuracy"] for h in json.loads((folder / "history.json").read_text(encoding="utf-8"))]
            found[seed] = {"curve": acc, "final": acc[-1]}
    return found


def book(logs: Path | None, task: str) -> dict[int, dict]:
    """seed -> curve and final figure parsed from logs of the book's code."""
    found: dict[int, dict] = {}
    if logs is None:
        return found
    for log in sorted(logs.glob(f"{task}_seed*.log")):
        seed = int(re.search(r"seed(\d+)", log.name).group(1))
        text = log.read_text(encoding="utf-8", errors="replace")
        if task == "rnnlm":  # it prints the training perplexity of the last 20 steps (of 1 at iter 1): weight by steps
            test = re.search(r"test perplexity:\s+([\d.]+)", text)
            windows: dict[int, list[tuple[int, float]]] = {}
            for epoch, it, ppl in re.findall(r"\| epoch (\d+) \|\s+iter (\d+) / \d+ \| time \d+\[s\] \| perplexity ([\d.]+)", text):
                windows.setdefault(int(epoch), []).append((int(it), np.log(float(ppl))))
            train = []
            for _, rows in sorted(windows.items()):
                steps = np.diff([0] + [it for it, _ in rows])
                train.append(float(np.exp(np.average([lp for _, lp in rows], weights=steps))))
            if test:
                found[seed] = {"curve": [], "train": train, "final": float(test.group(1))}
        else:
            acc = [float(a) / 100 for a in re.findall(r"val acc ([\d.]+)%", text)]
            if acc:
                found[seed] = {"curve": acc, "final": acc[-1]}
    return found


def rnnlm_plots(mine: dict, theirs: dict, out: Path) -> list[Path]:
    """The book's Rnnlm script reports training perplexity only: the training curves (mean over
    seeds, ours solid, the book's code dashed), and the test perplexity of every seed."""
    mean = lambda found: list(np.exp(np.mean([np.log(r["train"]) for r in found.values() if r.get("train")], axis=0)))  # noqa: E731
    curves = {f"{who} (mean of {len(found)} seeds)": mean(found) for who, found in (("ours", mine), ("book's code", theirs)) if found}
    paths = [plot_curves(curves, out / "curves_rnnlm.png", ylabel="training perplexity (epoch mean)", title="Rnnlm on PTB: training",
                         dashed=[k for k in curves if k.startswith("book")])]
    tests = {who: {s: r["final"] for s, r in found.items() if r["final"] is not None} for who, found in (("ours", mine), ("book's code", theirs))}
    seeds = sorted({s for t in tests.values() for s in t})
    if seeds:
        paths.append(plot_curves({"book (printed)": [BOOK["rnnlm"][4]] * len(seeds)}, out / "curves_rnnlm_test.png", xlabel="seed",
                                 ylabel="test perplexity after 4 epochs", title="Rnnlm on PTB: test, by seed", x_start=seeds[0],
                                 points={k: v for k, v in tests.items() if v}, dashed=["book (printed)"]))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="runs/curves")
    ap.add_argument("--book-logs", default=None)
    ap.add_argument("--out", default="runs")
    args = ap.parse_args()
    runs, logs = Path(args.runs), Path(args.book_logs) if args.book_logs else None
    print("| recipe | book (printed) | book's code, by seed | ours, by seed | ours, per epoch |")
    print("|---|---|---|---|---|")
    for task, (ylabel, final_name) in TASKS.items():
        mine, theirs = ours(runs, task), book(logs, task)
        if not mine and not theirs:
            continue
        if task == "rnnlm":
            print(f"<!-- plots: {', '.join(str(p) for p in rnnlm_plots(mine, theirs, Path(args.out)))} -->")
        else:
            curves = {f"ours, seed {s}": r["curve"] for s, r in mine.items() if r["curve"]}
            theirs_curves = {f"book's code, seed {s}": r["curve"] for s, r in theirs.items() if r["curve"]}
            path = plot_curves({**curves, **theirs_curves}, Path(args.out) / f"curves_{task}.png", ylabel=ylabel, title=task,
                               points={"book (printed)": BOOK[task]}, dashed=list(theirs_curves))
            print(f"<!-- plot: {path} -->")
        fmt = (lambda v: f"{v:.2f}") if task == "rnnlm" else (lambda v: f"{v:.1%}")
        printed = fmt(BOOK[task][max(BOOK[task])])
        by_seed = lambda rs: ", ".join(f"{s}: {fmt(r['final'])}" for s, r in sorted(rs.items()) if r["final"] is not None) or "-"  # noqa: E731
        per_epoch = "; ".join(f"{s}: " + " / ".join(fmt(v) for v in r["curve"]) for s, r in sorted(mine.items()))
        print(f"| {task} ({final_name}) | {printed} | {by_seed(theirs)} | {by_seed(mine)} | {per_epoch} |")


if __name__ == "__main__":
    main()
