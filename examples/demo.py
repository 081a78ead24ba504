"""The main demo: build a tiny graph, run backprop through it, print what flowed where.

    make demo        (or: python examples/demo.py)
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tinygrad_nlp as tg  # noqa: E402
from tinygrad_nlp.graph import trace  # noqa: E402
from tinygrad_nlp.nn import functional as F  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((4, 3)), name="x")
    W = tg.tensor(rng.standard_normal((3, 2)) * 0.5, requires_grad=True, name="W")
    b = tg.zeros(2, requires_grad=True)
    b.name = "b"
    t = np.array([0, 1, 1, 0])

    h = x @ W + b  # MatMul, then Repeat (broadcast of b) and Add
    loss = F.cross_entropy(h, t)  # softmax-with-loss, composed from exp, sum, log, ...
    loss.backward(retain_graph=True)

    print("loss =", round(loss.item(), 6))
    print("dL/dW =\n", W.grad.data)
    print("dL/db =", b.grad.data)
    print("nodes in the graph:", dict(sorted(trace(loss).count().items())))

    # the same gradient, numerically (central differences in float64)
    from tinygrad_nlp.testing import gradcheck

    gradcheck(lambda W, b: F.cross_entropy(x.data.astype(np.float64) @ W + b, t), [W.data, b.data])
    print("gradcheck against central differences: OK")


if __name__ == "__main__":
    main()
