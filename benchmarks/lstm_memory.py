"""Memory of an Rnnlm training step (vocab 10,000, wordvec 100, hidden 100, batch 20).

For time_size 35, 70 and 140 (each in a fresh process): the peak of memory allocated during one
training step above what was allocated before it (tracemalloc, which sees numpy's buffers: this is
the graph of the step, alive until backward frees it), the process's peak RSS, and, over 200
steps at time_size 35, the RSS after step 20 and after step 200 (no leak: they stay equal).

    python benchmarks/lstm_memory.py [--steps 200]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(time_size: int, steps: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import tinygrad_nlp as tg
    from models import Rnnlm
    from tinygrad_nlp.data.datasets import load_ptb
    from tinygrad_nlp.data.batches import sequential_batches
    from tinygrad_nlp.heap import keep_freed_memory
    from tinygrad_nlp.nn import functional as F

    keep_freed_memory()  # as the training commands do (tinygrad_nlp/heap.py)
    corpus, vocab = load_ptb("train")
    model = Rnnlm(len(vocab), 100, 100, generator=0)
    opt = tg.optim.SGD(model.parameters(), lr=20.0)
    batches = sequential_batches(corpus, 20, time_size)
    record = {"time_size": time_size}
    for step in range(1, steps + 1):
        xs, ts = next(batches)
        if step == 2:
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
        loss = F.cross_entropy(model(xs), ts)
        opt.zero_grad()
        loss.backward()
        tg.nn.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        if step == 2:
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            record["step_peak_growth_mb"] = (peak - before) / 2**20
            record["after_step_mb"] = (current - before) / 2**20
            record["peak_rss_mb"] = peak_mb()
        if step in (20, steps):
            record[f"rss_after_step_{step}_mb"] = rss_mb()
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps)))
        return
    rows = []
    for T in (35, 70, 140):
        steps = args.steps if T == 35 else 3
        out = subprocess.run([sys.executable, __file__, "--child", str(T), "--steps", str(steps)], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'time_size':>9} {'graph peak MB':>14} {'left after step MB':>19} {'process peak RSS MB':>20}")
    for r in rows:
        print(f"{r['time_size']:9d} {r['step_peak_growth_mb']:14.1f} {r['after_step_mb']:19.1f} {r['peak_rss_mb']:20.0f}")
    growth = [r["step_peak_growth_mb"] for r in rows]
    print(f"growth ratio 70/35 = {growth[1] / max(growth[0], 1e-9):.2f}, 140/35 = {growth[2] / max(growth[0], 1e-9):.2f} (linear: 2, 4)")
    r = rows[0]
    print(f"time_size 35: RSS after step 20 = {r['rss_after_step_20_mb']:.0f} MB, after step {args.steps} = "
          f"{r[f'rss_after_step_{args.steps}_mb']:.0f} MB")


if __name__ == "__main__":
    main()
