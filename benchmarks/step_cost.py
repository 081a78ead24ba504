"""CPU time and page faults per training step of a checkout's code, to compare two commits on a shared
machine: run it alternately on both checkouts and compare the medians (process time leaves out the
time spent waiting for the CPU; wall time on a loaded machine does not).

    git worktree add /tmp/before 0df38cb
    for i in 1 2 3 4 5; do
        python benchmarks/step_cost.py lstm --root /tmp/before; python benchmarks/step_cost.py lstm
    done

lstm      the `ours` loop of benchmarks/lstm_speed.py: Rnnlm(10000, 100, 100) on PTB, batch 20 x time 35,
          SGD lr 20, clip 0.25; ms per step after 2 warm-up steps
word2vec  run_ours of benchmarks/word2vec_speed.py (CBOW, negative sampling, Adam, batch 100, PTB)
ops       ours_forward_backward of benchmarks/op_overhead.py: µs per op, best of --repeats, for scalar,
          Tensor and ndarray constants

The training steps set the allocator as the checkout's training commands and benchmarks do
(tinygrad_nlp/heap.py, where the checkout has it); --no-keep leaves glibc's defaults, to measure the
code alone.
"""
from __future__ import annotations

import argparse
import importlib.util
import resource
import statistics
import sys
import time
from pathlib import Path


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def benchmark_module(root: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, root / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lm_training_step(model, opt):
    """The LSTM LM benchmarks' step (xs, ts) -> loss: cross-entropy, backward, gradients clipped at
    0.25, the optimizer's step (with the tinygrad_nlp already imported: the measured checkout's)."""
    import tinygrad_nlp as tg
    from tinygrad_nlp.nn import functional as F

    def step(xs, ts):
        loss = F.cross_entropy(model(xs), ts)
        opt.zero_grad()
        loss.backward()
        tg.nn.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        return loss.item()

    return step


def lstm(root: Path, steps: int, repeats: int) -> str:
    import tinygrad_nlp as tg
    from models import Rnnlm
    from tinygrad_nlp.data.batches import sequential_batches
    from tinygrad_nlp.data.datasets import load_ptb

    corpus, vocab = load_ptb("train")
    batches = [b for _, b in zip(range(steps + 2), sequential_batches(corpus, 20, 35))]
    model = Rnnlm(len(vocab), 100, 100, generator=0)
    step = lm_training_step(model, tg.optim.SGD(model.parameters(), lr=20.0))
    for xs, ts in batches[:2]:
        step(xs, ts)
    f0, t0 = faults(), time.process_time()
    losses = [step(xs, ts) for xs, ts in batches[2:]]
    cpu, n = time.process_time() - t0, len(batches) - 2
    return f"lstm {cpu / n * 1e3:.1f} ms/step, {(faults() - f0) // n} faults/step, mean loss {statistics.fmean(losses):.6f}"


def word2vec(root: Path, steps: int, repeats: int) -> str:
    import numpy as np

    b = benchmark_module(root, "word2vec_speed")
    corpus, vocab = b.load_ptb("train")
    contexts, target = b.create_contexts_target(corpus, 5)
    rng = np.random.default_rng(0)
    batches = [(contexts[i], target[i]) for i in (rng.integers(0, len(target), 100) for _ in range(steps))]
    sampler = b.UnigramSampler(corpus, sample_size=5, generator=0)
    model = b.CBOW(len(vocab), 100, 5, corpus, sample_size=5, generator=0)
    model.ns_loss.sampler = b.FixedNegatives([sampler.get_negative_sample(t) for _, t in batches])
    f0, t0 = faults(), time.process_time()
    b.run_ours(model, batches)
    cpu = time.process_time() - t0
    return f"word2vec {steps * 100 / cpu:,.0f} targets/s, {cpu / steps * 1e3:.2f} ms/step, {(faults() - f0) // steps} faults/step"


def ops(root: Path, n: int, repeats: int) -> str:
    import numpy as np
    import tinygrad_nlp as tg

    b = benchmark_module(root, "op_overhead")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 100)).astype(np.float32)
    a1 = (0.01 * rng.standard_normal((20, 100))).astype(np.float32)
    a2 = (0.99 + 0.01 * rng.standard_normal((20, 100))).astype(np.float32)
    kinds = {"scalar": (0.01, 0.99), "tensor": (tg.tensor(a1), tg.tensor(a2)), "ndarray": (a1, a2)}
    best = dict.fromkeys(kinds, float("inf"))
    for _ in range(repeats):  # each round runs every kind once, in turn
        for kind, (c1, c2) in kinds.items():
            t0 = time.process_time()
            b.ours_forward_backward(x, n, c1, c2)
            best[kind] = min(best[kind], time.process_time() - t0)
    return "ops µs/op " + ", ".join(f"{kind} {seconds / n * 1e6:.2f}" for kind, seconds in best.items())


BENCHMARKS = {"lstm": (lstm, 20), "word2vec": (word2vec, 300), "ops": (ops, 2000)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmark", choices=BENCHMARKS)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="the checkout to measure")
    ap.add_argument("--steps", type=int, help="training steps (lstm 20, word2vec 300) or ops in the chain (2000)")
    ap.add_argument("--repeats", type=int, default=15, help="ops: rounds, the best of which is kept")
    ap.add_argument("--no-keep", action="store_true", help="leave glibc's allocator thresholds as they are")
    args = ap.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    import tinygrad_nlp

    if not Path(tinygrad_nlp.__file__).resolve().is_relative_to(root):  # not another checkout's package
        raise SystemExit(f"step_cost: imported tinygrad_nlp from {tinygrad_nlp.__file__}, not from {root}")
    kept = False
    if args.benchmark != "ops" and not args.no_keep and (root / "tinygrad_nlp" / "heap.py").exists():
        from tinygrad_nlp.heap import keep_freed_memory

        kept = keep_freed_memory()
    fn, default = BENCHMARKS[args.benchmark]
    print(f"{root}: {fn(root, args.steps or default, args.repeats)} (freed memory kept: {kept})")


if __name__ == "__main__":
    main()
