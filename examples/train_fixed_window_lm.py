"""Bengio's fixed-window neural LM on PTB: the previous --context words predict the next one.

    python examples/train_fixed_window_lm.py [--context 3] [--epochs 3] [--out runs/fixed_window_lm]

Shuffled minibatches of windows, Adam; validation perplexity each epoch (checkpointed, resumable);
test perplexity of the best epoch at the end (compare the n-gram and RNN LMs in README).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from models import build_model, save_model  # noqa: E402
from models.fixed_window_lm import windows  # noqa: E402
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402
from tinygrad_nlp.runs import RunExists, add_run_arguments, bounded, open_run, positive_float, positive_int  # noqa: E402
from tinygrad_nlp.trainer import Progress, format_duration  # noqa: E402


def perplexity(model, contexts: np.ndarray, targets: np.ndarray, batch: int = 2048) -> float:
    total = 0.0
    with tg.nn.evaluating(model):
        for i in range(0, len(targets), batch):
            total += F.cross_entropy(model(contexts[i:i + batch]), targets[i:i + batch], reduction="sum").item()
    return float(np.exp(total / len(targets)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--context", type=bounded(int, 1, 10), default=3, help="previous words seen (default: %(default)s)")
    ap.add_argument("--wordvec", type=positive_int, default=100, help="embedding size (default: %(default)s)")
    ap.add_argument("--hidden", type=positive_int, default=200, help="hidden size (default: %(default)s)")
    ap.add_argument("--batch", type=positive_int, default=256, help="windows per step (default: %(default)s)")
    ap.add_argument("--epochs", type=positive_int, default=3, help="passes over PTB train (default: %(default)s)")
    ap.add_argument("--lr", type=positive_float, default=0.001, help="Adam's learning rate (default: %(default)s)")
    ap.add_argument("--max-steps", type=positive_int, default=None, help="stop each epoch after this many steps")
    ap.add_argument("--seed", type=int, default=0)
    add_run_arguments(ap, "runs/fixed_window_lm", "the PTB files")
    args = ap.parse_args()
    try:
        ckpt = open_run(args.out, args.resume, args.overwrite)
    except RunExists as e:
        ap.error(str(e))
    out = Path(args.out)
    train, vocab = load_ptb("train", args.data, verify=not args.no_verify)
    (xv, tv), (xt, tt) = (windows(load_ptb(s, args.data, verify=not args.no_verify).ids, args.context) for s in ("valid", "test"))
    x, t = windows(train, args.context)
    model, config = build_model("FixedWindowLM", vocab_size=len(vocab), context=args.context, wordvec_size=args.wordvec,
                                hidden_size=args.hidden, generator=args.seed)
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    history, start = [], 1
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        history, start = list(ckpt["history"]), int(ckpt["epoch"]) + 1
    steps = len(t) // args.batch if args.max_steps is None else min(args.max_steps, len(t) // args.batch)
    print(f"fixed-window LM: context {args.context}, {model.num_parameters():,} parameters, {steps} steps per epoch")
    for _ in range(1, start):
        rng.permutation(len(t))
    for epoch in range(start, args.epochs + 1):
        model.train()
        order = rng.permutation(len(t))
        progress = Progress(steps, max(steps // 10, 1), unit="words", perplexity=True)
        t0 = time.perf_counter()
        for i in range(steps):
            idx = order[i * args.batch:(i + 1) * args.batch]
            loss = F.cross_entropy(model(x[idx]), t[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            progress.update(i + 1, loss.item(), len(idx), prefix=f"epoch {epoch} | ")
        valid_ppl = perplexity(model, xv, tv)
        history.append({"epoch": epoch, "valid_ppl": valid_ppl, "seconds": time.perf_counter() - t0})
        print(f"epoch {epoch}: valid perplexity {valid_ppl:.2f} | {format_duration(history[-1]['seconds'])}")
        if valid_ppl <= min(h["valid_ppl"] for h in history):
            save_model(out / "best.npz", model, config, vocab=vocab.to_dict(), epoch=epoch, history=history)
        save_model(out / "last.npz", model, config, vocab=vocab.to_dict(), optimizer=optimizer.state_dict(), epoch=epoch,
                   history=history)
    model.load_state_dict(tg.load(out / "best.npz")["model"])
    print(f"test perplexity (best epoch): {perplexity(model, xt, tt):.2f}")


if __name__ == "__main__":
    main()
