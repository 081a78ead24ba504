"""What the sweep (test_sweep.py) runs: every public function and Tensor method, each as calls written
once for both libraries (`L` is tinygrad_nlp or torch, `L.F` its functional module), and the inputs:
0-d tensors, empty shapes (a 0 in some axis) and the special values 0, -0, ±inf, NaN, ±1e-30, ±1e30."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-30, -1e-30, 1e30, -1e30]
VALUES = np.array(SPECIAL + [1.5, -2.5, 0.5])  # the special values and a few ordinary ones
N = len(VALUES)
ORDINARY = np.array([[1.0, -2.0, 3.0, 0.5], [4.0, 0.25, -6.0, 2.0], [0.0, 2.0, 2.5, -1.0]])
EMPTY = [(0,), (2, 0), (0, 3), (2, 0, 3)]


def unary_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """Each special value as a 0-d tensor, all of them in one vector, an ordinary matrix, empty shapes."""
    cases = [(f"0-d {v!r}", (np.array(v),)) for v in SPECIAL]
    cases += [("special vector", (VALUES,)), ("ordinary (3, 4)", (ORDINARY,))]
    return cases + [(f"empty {s}", (np.zeros(s),)) for s in EMPTY]


def binary_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """Every pair of values (same shape), broadcasting, 0-d with a vector, empty with empty."""
    return [
        ("every pair of values", (np.repeat(VALUES, N), np.tile(VALUES, N))),
        ("0-d and 0-d", (np.array(2.0), np.array(-3.0))),
        ("0-d and vector", (np.array(0.5), VALUES)),
        ("(3, 1) and (1, 4)", (ORDINARY[:, :1], ORDINARY[:1])),
        ("empty (0, 3) and (3,)", (np.zeros((0, 3)), np.ones(3))),
        ("empty (2, 0) and (2, 1)", (np.zeros((2, 0)), np.ones((2, 1)))),
    ]


def axis_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """For ops along an axis: 0-d tensors, rows of special values, an ordinary matrix, empty shapes."""
    cases = [(f"0-d {v!r}", (np.array(v),)) for v in (2.0, math.inf, math.nan, -0.0)]
    cases += [("special rows (2, 12)", (np.stack([VALUES, VALUES[::-1]]),)), ("ordinary (3, 4)", (ORDINARY,))]
    return cases + [(f"empty {s}", (np.zeros(s),)) for s in EMPTY]


def matrix_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """Pairs for products: special values against ordinary ones, vectors, batches, empty inner and outer axes."""
    sq = np.resize(VALUES, (3, 4))
    return [
        ("special (3, 4) @ (4, 2)", (sq, np.ones((4, 2)))),
        ("ordinary (3, 4) @ special (4, 3)", (ORDINARY, np.resize(VALUES, (4, 3)))),
        ("vector @ vector", (VALUES, VALUES[::-1].copy())),
        ("(2, 3, 4) @ (4, 2)", (np.stack([ORDINARY, ORDINARY * 2]), np.ones((4, 2)))),
        ("(2, 4, 0) @ (0, 3)", (np.zeros((2, 4, 0)), np.zeros((0, 3)))),
        ("(0, 4) @ (4, 2)", (np.zeros((0, 4)), np.ones((4, 2)))),
        ("0-d @ vector", (np.array(2.0), VALUES)),
    ]


def probability_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """(probabilities, targets) for binary_cross_entropy: 0, 1, tiny and ordinary p; 0-d; empty."""
    p = np.array([0.0, 1.0, 1e-30, 1 - 1e-16, 0.5, 0.25])
    return [("p in [0, 1]", (p, np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.25]))), ("0-d", (np.array(0.5), np.array(1.0))),
            ("empty (0,)", (np.zeros(0), np.zeros(0)))]


def logits_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """(logits, float targets) of one shape, for the losses that take logits and targets."""
    z = np.stack([VALUES, VALUES[::-1]])
    t = np.resize(np.array([0.0, 1.0, 0.25]), z.shape)
    return [("special logits", (z, t)), ("0-d", (np.array(-2.0), np.array(1.0))), ("empty (2, 0)", (np.zeros((2, 0)),) * 2),
            ("ordinary", (ORDINARY, np.clip(ORDINARY, 0, 1)))]


def no_inputs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    return [("", ())]


INPUTS = {"none": no_inputs, "unary": unary_inputs, "binary": binary_inputs, "axis": axis_inputs, "matrix": matrix_inputs,
          "probability": probability_inputs, "logits": logits_inputs}


@dataclass
class Spec:
    """One public name: the calls to make (each `f(L, *tensors)`, the same for both libraries unless
    `torch_calls` differ) on the inputs of `kind`. `grad=False`: the result carries no gradient."""

    calls: list[Callable]
    kind: str = "unary"
    torch_calls: list[Callable] | None = None
    grad: bool = True
    covers: list[str] = field(default_factory=list)  # other public names these calls exercise


def same(*calls: Callable, **kw: Any) -> Spec:
    return Spec(list(calls), **kw)


def unary(method: str) -> Spec:
    return same(lambda L, x: getattr(x, method)())


def along(method: str, **kw: Any) -> Spec:
    """An op along one axis (torch needs it named): dim 0 and dim -1."""
    return same(lambda L, x: getattr(x, method)(dim=0), lambda L, x: getattr(x, method)(dim=-1), kind="axis", **kw)


def reduction(method: str, **kw: Any) -> Spec:
    """A reduction: over everything, dim 0, dim -1 keeping it, and dims (0, 1)."""
    return same(lambda L, x: getattr(x, method)(), lambda L, x: getattr(x, method)(dim=0),
                lambda L, x: getattr(x, method)(dim=-1, keepdim=True), lambda L, x: getattr(x, method)(dim=(0, 1)),
                kind="axis", **kw)


def in_place(L: Any, op: str, x: Any, y: Any) -> Any:
    """x op= y on a copy of x outside any graph (x[mask] = y for "[]=")."""
    z, y = x.detach().clone(), y.detach()
    if op == "+=":
        z += y
    elif op == "-=":
        z -= y
    elif op == "*=":
        z *= y
    elif op == "/=":
        z /= y
    else:
        z[L.tensor(_mask(z))] = y[L.tensor(_mask(y))] if y.shape == z.shape else 7.0
    return z


def _mask(x: Any) -> np.ndarray:
    return np.resize(np.array([True, False, False]), tuple(x.shape))


SPECS: dict[str, Spec] = {
    # operators
    "__add__": same(lambda L, x, y: x + y, lambda L, x, y: x + 2.5, lambda L, x, y: 2.5 + y, kind="binary", covers=["__radd__"]),
    "__sub__": same(lambda L, x, y: x - y, lambda L, x, y: x - 2.5, lambda L, x, y: 2.5 - y, kind="binary", covers=["__rsub__"]),
    "__mul__": same(lambda L, x, y: x * y, lambda L, x, y: x * 0.0, lambda L, x, y: 3.0 * y, kind="binary", covers=["__rmul__"]),
    "__truediv__": same(lambda L, x, y: x / y, lambda L, x, y: x / 0.0, lambda L, x, y: x / 3.0, lambda L, x, y: 2.0 / y,
                        kind="binary", covers=["__rtruediv__"]),
    "__pow__": same(lambda L, x, y: x ** y, lambda L, x, y: x ** 2, lambda L, x, y: x ** -1, lambda L, x, y: x ** 0.5,
                    lambda L, x, y: x ** 0, lambda L, x, y: 2.0 ** y, lambda L, x, y: 0.0 ** y, kind="binary",
                    covers=["__rpow__"]),
    "__neg__": same(lambda L, x: -x),
    "__abs__": same(lambda L, x: abs(x)),
    "__matmul__": same(lambda L, x, y: x @ y, kind="matrix", covers=["__rmatmul__"]),
    "__getitem__": same(lambda L, x: x[..., 1:], lambda L, x: x[..., ::2], lambda L, x: x[None], lambda L, x: x[..., [0, 0]],
                        lambda L, x: x[x > 0], lambda L, x: x[0, ..., [0, 1]], kind="axis"),
    "comparisons": same(lambda L, x, y: x < y, lambda L, x, y: x <= y, lambda L, x, y: x > y, lambda L, x, y: x >= y,
                        lambda L, x, y: x == y, lambda L, x, y: x != y, kind="binary", grad=False,
                        covers=["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"]),
    # torch's method names for the operators
    "add": same(lambda L, x, y: x.add(y), lambda L, x, y: x.add(y, alpha=2), kind="binary"),
    "sub": same(lambda L, x, y: x.sub(y), lambda L, x, y: x.sub(y, alpha=2), kind="binary"),
    "mul": same(lambda L, x, y: x.mul(y), kind="binary"),
    "div": same(lambda L, x, y: x.div(y), kind="binary"),
    "pow": same(lambda L, x, y: x.pow(y), lambda L, x, y: x.pow(3), kind="binary"),
    "neg": unary("neg"),
    # elementwise
    **{name: unary(name) for name in ("exp", "log", "tanh", "relu", "sigmoid", "sqrt", "abs", "sin", "cos", "erf")},
    "clamp": same(lambda L, x: x.clamp(-1.0, 2.0), lambda L, x: x.clamp(min=0.0), lambda L, x: x.clamp(max=-1e30)),
    "masked_fill": same(lambda L, x: x.masked_fill(L.tensor(_mask(x)), -9.0), lambda L, x: x.masked_fill(L.tensor(_mask(x)), math.inf)),
    "where": same(lambda L, x, y: L.where(L.tensor(_mask(x)), x, y), lambda L, x, y: L.where(x > 0, x, 0.0), kind="binary"),
    "maximum": same(lambda L, x, y: L.maximum(x, y), kind="binary"),
    "minimum": same(lambda L, x, y: L.minimum(x, y), kind="binary"),
    # reductions
    "sum": reduction("sum"),
    "mean": reduction("mean"),
    "prod": same(lambda L, x: x.prod(), lambda L, x: x.prod(0), lambda L, x: x.prod(-1, keepdim=True), kind="axis"),
    "var": reduction("var", covers=[]),
    "std": reduction("std"),
    "logsumexp": same(lambda L, x: x.logsumexp(0), lambda L, x: x.logsumexp(-1, keepdim=True), lambda L, x: x.logsumexp((0, 1)),
                      kind="axis"),
    "norm": same(lambda L, x: x.norm(), lambda L, x: x.norm(dim=0), lambda L, x: x.norm(1, dim=-1),
                 lambda L, x: x.norm(math.inf, dim=-1), kind="axis"),
    "max": Spec([lambda L, x: x.max(), lambda L, x: x.max(0), lambda L, x: x.max(dim=-1).values], "axis",
                [lambda L, x: x.amax(), lambda L, x: x.amax(0), lambda L, x: x.max(dim=-1).values], covers=["extremes"]),
    "min": Spec([lambda L, x: x.min(), lambda L, x: x.min(0), lambda L, x: x.min(dim=-1, keepdim=True).values], "axis",
                [lambda L, x: x.amin(), lambda L, x: x.amin(0), lambda L, x: x.min(dim=-1, keepdim=True).values]),
    "argmax": same(lambda L, x: x.argmax(), lambda L, x: x.argmax(dim=-1), kind="axis", grad=False),
    "argmin": same(lambda L, x: x.argmin(), lambda L, x: x.argmin(dim=0, keepdim=True), kind="axis", grad=False),
    "all": same(lambda L, x: (x > 0).all(), lambda L, x: (x > 0).all(dim=-1), kind="axis", grad=False),
    "any": same(lambda L, x: (x > 0).any(), lambda L, x: (x > 0).any(dim=0), kind="axis", grad=False),
    "topk": same(lambda L, x: x.topk(1).values, lambda L, x: x.topk(min(2, x.shape[0]) if x.ndim else 1, dim=0).values, kind="axis"),
    # along an axis
    "softmax": along("softmax"),
    "log_softmax": along("log_softmax"),
    "cumsum": same(lambda L, x: x.cumsum(0), lambda L, x: x.cumsum(-1), kind="axis"),
    "gather": same(lambda L, x: x.gather(-1, L.tensor(np.zeros(x.shape[:-1] + (2,) if x.ndim else (), dtype=np.int64))), kind="axis"),
    # shape
    "reshape": same(lambda L, x: x.reshape(-1), lambda L, x: x.reshape(x.shape + (1,)), lambda L, x: x.view(-1), kind="axis",
                    covers=["view"]),
    "flatten": same(lambda L, x: x.flatten(), lambda L, x: x.flatten(0, -1), kind="axis"),
    "unsqueeze": same(lambda L, x: x.unsqueeze(0), lambda L, x: x.unsqueeze(-1), kind="axis"),
    "squeeze": same(lambda L, x: x.squeeze(), lambda L, x: x.squeeze(0), lambda L, x: x.squeeze(-1), kind="axis"),
    "transpose": Spec([lambda L, x: x.transpose(0, -1), lambda L, x: x.transpose(), lambda L, x: x.T], "axis",
                      [lambda L, x: x.transpose(0, -1)] + [lambda L, x: x.permute(tuple(reversed(range(x.ndim))))] * 2,
                      covers=["T"]),
    "permute": same(lambda L, x: x.permute(tuple(reversed(range(x.ndim)))), kind="axis"),
    "t": same(lambda L, x: x.t(), kind="axis"),
    "mT": same(lambda L, x: x.mT if x.ndim else x, kind="axis"),  # torch deprecates mT of a 0-d tensor (the identity)
    "expand": same(lambda L, x: x.expand(2, *x.shape), lambda L, x: x.expand(x.shape), kind="axis"),
    "flip": same(lambda L, x: x.flip(0), lambda L, x: x.flip(-1), kind="axis"),
    "tril": same(lambda L, x: x.tril(), lambda L, x: x.tril(-1), kind="axis"),
    "triu": same(lambda L, x: x.triu(), lambda L, x: x.triu(1), kind="axis"),
    "split": same(lambda L, x: x.split(1)[0], lambda L, x: x.split(2, dim=-1)[-1], kind="axis"),
    "chunk": same(lambda L, x: x.chunk(2)[0], lambda L, x: x.chunk(3, dim=-1)[-1], kind="axis"),
    "repeat": Spec([lambda L, x: x.repeat(2, 0)], "axis", [lambda L, x: x.repeat_interleave(2, dim=0 if x.ndim else None)]),
    "repeat_interleave": same(lambda L, x: x.repeat_interleave(2), lambda L, x: x.repeat_interleave(2, dim=-1), kind="axis"),
    "tile": same(lambda L, x: x.tile(2, 1), kind="axis"),
    "dot": same(lambda L, x, y: x.dot(y), kind="matrix"),
    "matmul": same(lambda L, x, y: L.matmul(x, y), kind="matrix"),
    "cat": Spec([lambda L, x, y: L.cat([x, y], dim=-1), lambda L, x, y: L.concat([x, x], dim=0)], "binary",
                [lambda L, x, y: L.cat([x, y], dim=-1), lambda L, x, y: L.cat([x, x], dim=0)], covers=["concat"]),
    "stack": same(lambda L, x, y: L.stack([x, x], dim=0), lambda L, x, y: L.stack([x, x * 2], dim=-1), kind="binary"),
    # dtype and copies
    "float": same(lambda L, x: x.float(), lambda L, x: x.double(), lambda L, x: x.clone(), lambda L, x: x.long(),
                  covers=["double", "clone", "long", "to"]),  # each is a `to`
    "numel": same(lambda L, x: x.numel(), lambda L, x: x.dim(), lambda L, x: x.tolist(), lambda L, x: x.detach().numpy(),
                  lambda L, x: x.item(), kind="axis", grad=False, covers=["dim", "tolist", "numpy", "item"]),
    # nn.functional
    "F.relu": same(lambda L, x: L.F.relu(x)),
    "F.tanh": same(lambda L, x: L.F.tanh(x)),
    "F.sigmoid": same(lambda L, x: L.F.sigmoid(x)),
    "F.softplus": same(lambda L, x: L.F.softplus(x)),
    "F.gelu": same(lambda L, x: L.F.gelu(x), lambda L, x: L.F.gelu(x, approximate="tanh")),
    "F.leaky_relu": same(lambda L, x: L.F.leaky_relu(x), lambda L, x: L.F.leaky_relu(x, 0.2)),
    "F.softmax": same(lambda L, x: L.F.softmax(x, dim=-1), kind="axis"),
    "F.log_softmax": same(lambda L, x: L.F.log_softmax(x, dim=0), kind="axis"),
    "F.logsumexp": Spec([lambda L, x: L.F.logsumexp(x, dim=-1)], "axis", [lambda L, x: L.logsumexp(x, dim=-1)]),
    "F.dropout": same(lambda L, x: L.F.dropout(x, 0.0), lambda L, x: L.F.dropout(x, 1.0), lambda L, x: L.F.dropout(x, 0.5, training=False)),
    "F.mse_loss": same(lambda L, x, y: L.F.mse_loss(x, y), lambda L, x, y: L.F.mse_loss(x, y, reduction="none"), kind="logits"),
    "F.binary_cross_entropy_with_logits": same(lambda L, x, t: L.F.binary_cross_entropy_with_logits(x, t),
                                               lambda L, x, t: L.F.binary_cross_entropy_with_logits(x, t, reduction="none"),
                                               kind="logits"),
    "F.binary_cross_entropy": same(lambda L, p, t: L.F.binary_cross_entropy(p, t, reduction="none"),
                                   lambda L, p, t: L.F.binary_cross_entropy(p, t, reduction="sum"), kind="probability"),
    "F.cross_entropy": Spec([lambda L, z, t: L.F.cross_entropy(z.reshape(-1, z.shape[-1]) if z.ndim else z, t.reshape(-1, t.shape[-1]) if t.ndim else t),
                             lambda L, z, t: L.F.cross_entropy(z, L.tensor(np.zeros(z.shape[:-1], dtype=np.int64)), reduction="none")],
                            "logits"),
    "F.nll_loss": same(lambda L, z, t: L.F.nll_loss(z, L.tensor(np.zeros(z.shape[:-1], dtype=np.int64)), reduction="sum"),
                       kind="logits"),
    "F.layer_norm": same(lambda L, x: L.F.layer_norm(x, x.shape[-1:]), kind="axis"),
    "F.embedding": Spec([lambda L, x: L.F.embedding(np.array([0, 0, 1]), x)], "axis",
                        [lambda L, x: L.F.embedding(L.tensor([0, 0, 1]), x)]),
    # making tensors (no inputs): empty shapes and special fill values
    "zeros": same(lambda L: L.zeros(0, 3), lambda L: L.zeros(()), lambda L: L.zeros_like(L.zeros(2, 0)), kind="none", grad=False,
                  covers=["zeros_like"]),
    "ones": same(lambda L: L.ones(2, 0), lambda L: L.ones_like(L.zeros(())), kind="none", grad=False, covers=["ones_like"]),
    "full": same(lambda L: L.full((2,), math.nan), lambda L: L.full((), -0.0), lambda L: L.full((0, 2), math.inf), kind="none",
                 grad=False),
    "arange": same(lambda L: L.arange(0), lambda L: L.arange(3), lambda L: L.arange(0.5, 2.0, 0.5), kind="none", grad=False),
    "eye": same(lambda L: L.eye(0), lambda L: L.eye(2, 3), lambda L: L.eye(3, 0), kind="none", grad=False),
    "tensor": same(lambda L: L.tensor(SPECIAL), lambda L: L.tensor([]), lambda L: L.tensor(-0.0), kind="none", grad=False),
    # in place, outside a graph
    "add_": same(lambda L, x, y: x.detach().add_(y.detach()), lambda L, x, y: x.detach().add_(y.detach(), alpha=2),
                 lambda L, x, y: x.detach().mul_(y.detach()), lambda L, x, y: x.detach().zero_(),
                 lambda L, x, y: x.detach().fill_(math.nan), kind="binary", grad=False, covers=["mul_", "zero_", "fill_"]),
    "__iadd__": same(*(lambda L, x, y, op=op: in_place(L, op, x, y) for op in ("+=", "-=", "*=", "/=", "[]=")), kind="binary",
                     grad=False, covers=["__isub__", "__imul__", "__itruediv__", "__setitem__"]),
    "F.one_hot": same(lambda L, x: L.F.one_hot(L.tensor(np.array([0, 2, 1])), 3), kind="axis", grad=False),
}
