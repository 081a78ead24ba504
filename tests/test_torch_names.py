"""The names a PyTorch or d2l user reaches for (issue 21): values and gradients equal torch's in float64."""
import math

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp.nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))
Y = RNG.standard_normal((2, 3, 4))
P = RNG.uniform(0.01, 0.99, (3, 4))
T = RNG.uniform(0, 1, (3, 4))
PROBS = RNG.dirichlet(np.ones(4), 3)
TIES = np.array([1.0, 2.0, 3.0, math.inf, math.nan, -math.inf, -0.0])
TIES2 = np.array([1.0, 1.0, 4.0, math.inf, 1.0, 2.0, 0.0])

# name -> (function of (library, functional module, *tensors), inputs)
CASES = {
    "F.binary_cross_entropy": (lambda lib, f, p, t: f.binary_cross_entropy(p, t), [P, T]),
    "F.binary_cross_entropy(weight, sum)": (lambda lib, f, p, t: f.binary_cross_entropy(p, t, weight=lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=p.dtype),
                                                                                 reduction="sum"),
                                            [P, T]),
    "F.cross_entropy(probabilities)": (lambda lib, f, x, t: f.cross_entropy(x, t), [X[0], PROBS]),
    "F.cross_entropy(probabilities, weight, smoothing)": (
        lambda lib, f, x, t: f.cross_entropy(x, t, weight=lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=x.dtype), label_smoothing=0.1),
        [X[0], PROBS]),
    "maximum": (lambda lib, f, a, b: lib.maximum(a, b), [TIES, TIES2]),
    "minimum": (lambda lib, f, a, b: lib.minimum(a, b), [TIES, TIES2]),
    "flatten(1)": (lambda lib, f, x: x.flatten(1), [X]),
    "flatten(0, 1)": (lambda lib, f, x: x.flatten(0, 1), [X]),
    "flatten(-2, -1)": (lambda lib, f, x: x.flatten(-2, -1), [X]),
    "sin": (lambda lib, f, x: x.sin(), [X]),
    "cos": (lambda lib, f, x: x.cos(), [X]),
    "erf": (lambda lib, f, x: x.erf(), [X]),
    "prod()": (lambda lib, f, x: x.prod(), [X]),
    "prod(1)": (lambda lib, f, x: x.prod(1), [X]),
    "prod(-1, keepdim) with zeros": (lambda lib, f, x: x.prod(-1, keepdim=True), [np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0]])]),
    "flip(0, 2)": (lambda lib, f, x: x.flip(0, 2), [X]),
    "tril": (lambda lib, f, x: x.tril(), [X]),
    "tril(-1) of inf": (lambda lib, f, x: x.tril(-1), [np.full((3, 3), math.inf)]),
    "triu(1)": (lambda lib, f, x: x.triu(1), [X]),
    "F.gelu": (lambda lib, f, x: f.gelu(x), [X * 3]),
    "F.gelu(tanh)": (lambda lib, f, x: f.gelu(x, approximate="tanh"), [X * 3]),
    "F.leaky_relu": (lambda lib, f, x: f.leaky_relu(x, 0.2), [np.append(X.ravel(), 0.0)]),
    "add(alpha)": (lambda lib, f, x, y: x.add(y, alpha=2), [X, Y]),
    "sub(alpha)": (lambda lib, f, x, y: x.sub(y, alpha=3), [X, Y]),
    "mul": (lambda lib, f, x, y: x.mul(y), [X, Y]),
    "div": (lambda lib, f, x, y: x.div(y), [X, Y]),
    "pow": (lambda lib, f, x: x.pow(3), [X]),
    "neg": (lambda lib, f, x: x.neg(), [X]),
    "topk": (lambda lib, f, x: x.topk(2, dim=1).values, [X]),
    "topk(smallest)": (lambda lib, f, x: x.topk(3, largest=False).values, [X]),
    "dropout(p=1)": (lambda lib, f, x: f.dropout(x, 1.0), [X]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(torch, name):
    fn, inputs = CASES[name]
    ours = [tg.tensor(a, dtype="float64", requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in inputs]
    out, expected = fn(tg, F, *ours), fn(torch, torch.nn.functional, *theirs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)
    out.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)


def test_topk_indices_and_size_stays_numpys(torch):
    x = np.array([[3.0, 1.0, 2.0, 5.0]])
    assert tg.tensor(x).topk(2).indices.tolist() == torch.tensor(x).topk(2).indices.tolist()
    t = tg.zeros(2, 3)
    assert t.size == t.numel() == 6 and t.shape == (2, 3)  # numpy's size; torch's x.size() is x.shape here


def test_new_ops_take_second_derivatives():
    from tinygrad_nlp.testing import gradcheck, gradgradcheck

    x = RNG.standard_normal((3, 4))
    for fn in (lambda a: a.sin(), lambda a: a.cos(), lambda a: a.erf(), lambda a: a.prod(1), lambda a: F.gelu(a)):
        gradcheck(fn, [x])
        gradgradcheck(fn, [x])


def test_binary_cross_entropy_refuses_logits():
    with pytest.raises(ValueError, match="binary_cross_entropy: every input must be a probability"):
        F.binary_cross_entropy(tg.tensor([2.0]), tg.tensor([1.0]))
