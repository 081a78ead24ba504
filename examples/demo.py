"""The main demo (`make demo`), offline and in well under a minute:

1. build a tiny graph (x @ W + b, softmax-with-loss), backprop, print the gradients and check
   them against central differences;
2. draw the graph with forward values and backward gradients (graph.svg) and write a
   step-by-step backprop page with a slider (backprop.html);
3. train a small LSTM language model on a tiny corpus the demo writes itself, and generate text.

    python examples/demo.py [--out runs/demo] [--steps 300]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
import viz  # noqa: E402
from models import Rnnlm  # noqa: E402
from tinygrad_nlp.evaluation.generate import generate  # noqa: E402
from viz.trace import trace  # noqa: E402
from tinygrad_nlp.data.batches import sequential_batches  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402
from tinygrad_nlp.testing import gradcheck  # noqa: E402
from tinygrad_nlp.data.text import Vocab, tokenize  # noqa: E402

TINY_CORPUS = """the cat sat on the mat . the dog sat on the log . the cat saw the dog .
the dog saw the cat . a cat and a dog sat on a mat . the mat was on the log .
"""


def part1(out: Path) -> None:
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((4, 3)), name="x")
    W = tg.tensor(rng.standard_normal((3, 2)) * 0.5, requires_grad=True, name="W")
    b = tg.zeros(2, requires_grad=True)
    b.name = "b"
    t = np.array([0, 1, 1, 0])
    h = x @ W + b  # MatMul, then Repeat (broadcast of b) and Add
    loss = F.cross_entropy(h, t)  # softmax-with-loss, composed from exp, sum, log, ...
    loss.backward(retain_graph=True)
    print("1. a tiny graph: loss = cross_entropy(x @ W + b, t)")
    print("   loss =", round(loss.item(), 6))
    print("   dL/dW =", np.array2string(W.grad.data, precision=4).replace("\n", "\n          "))
    print("   dL/db =", np.array2string(b.grad.data, precision=4))
    print("   nodes:", dict(sorted(trace(loss).count().items())))
    gradcheck(lambda W, b: F.cross_entropy(x.data.astype(np.float64) @ W + b, t), [W.data, b.data])
    print("   gradcheck against central differences (float64): OK")

    print("2. drawing it")
    dot_path = viz.save(viz.draw(loss, show="both"), out / "graph.dot")
    try:
        print("   ", viz.save(viz.draw(loss, show="both"), out / "graph.svg"))
        print("   ", viz.backprop_html(loss, out / "backprop.html"), "(open it and move the slider)")
    except viz.GraphvizNotFound as e:
        print(f"   {e}\n   DOT source: {dot_path}")


def part3(steps: int) -> None:
    print("3. a small LSTM language model on a tiny corpus")
    tg.manual_seed(0)
    words = tokenize(TINY_CORPUS.replace("\n", " <eos> "))
    vocab = Vocab(words)
    ids = vocab.lookup(words)
    model = Rnnlm(len(vocab), 16, 32, generator=0)
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    t0 = time.perf_counter()
    step = 0
    while step < steps:
        model.reset_state()
        for xs, ts in sequential_batches(ids, 2, 8):
            loss = F.cross_entropy(model(xs), ts)
            opt.zero_grad()
            loss.backward()
            tg.nn.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 100 == 0:
                print(f"   step {step:4d} | loss {loss.item():.3f} | perplexity {np.exp(loss.item()):6.2f}")
            if step >= steps:
                break
    print(f"   trained in {time.perf_counter() - t0:.1f} s")
    text = generate(model, "the cat", length=12, vocab=vocab, greedy=True)
    print("   the cat", " ".join(vocab.decode(text)).replace("<eos>", "/"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/demo")
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    part1(out)
    part3(args.steps)


if __name__ == "__main__":
    main()
