"""The sweep (issue 21): every public function and Tensor method over 0-d tensors, empty shapes and the
special values {0, -0, ±inf, NaN, ±1e-30, ±1e30}, values and gradients compared with torch in float64.

A difference torch does not share is either a bug or one of the deliberate differences of the README's
table, listed in DOCUMENTED with the words of its README row. The cases are in sweep_cases.py.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp.nn import functional as F
from sweep_cases import INPUTS, SPECS

COMPARISONS = ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__")
README = Path(__file__).resolve().parents[1] / "README.md"

# Public names that are not numeric functions of tensors, and why the sweep does not call them.
NOT_SWEPT = {
    "graph handling (tested in test_engine.py)": ["backward", "detach", "requires_grad_", "retain_grad", "zero_grad", "grad",
                                                  "toposort", "edge_gradients", "Function", "Tensor", "RowSparse"],
    "modes and switches": ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
                           "is_anomaly_enabled", "default_dtype", "get_default_dtype", "set_default_dtype", "group", "Group",
                           "scope", "current_scope"],
    "random (no torch counterpart to compare draws with)": ["randn", "rand", "manual_seed", "as_generator"],
    "files": ["save", "load"],
    "argument checking": ["F.check_ids"],
    "conversions to Python and numpy": ["__array__", "__bool__", "__float__", "__int__", "__len__"],
}

# the words of the README rows that document the differences the sweep accepts
ZERO_TIMES_INF = "0 · ∞ = 0 where no gradient flows"
NAN_INPUT = "gradient where an input is NaN"
LOG_SOFTMAX_INF = "`log_softmax` of a slice holding +∞"
BCE_LOGITS_INF = "`binary_cross_entropy_with_logits` at x = -∞"
BCE_CLAMP = "`binary_cross_entropy` where p·(1 - p) < 1e-12"
DOCUMENTED = (ZERO_TIMES_INF, NAN_INPUT, LOG_SOFTMAX_INF, BCE_LOGITS_INF, BCE_CLAMP)


def public_names() -> set[str]:
    methods = {n for n in dir(tg.Tensor) if not n.startswith("_") and callable(getattr(tg.Tensor, n, None))}
    methods |= {"T", "mT"}
    operators = {n for n in dir(tg.Tensor) if re.fullmatch(r"__[a-z]+__", n) and callable(getattr(tg.Tensor, n))
                 and (n not in dir(object) or n in COMPARISONS)}
    functions = {n for n in tg.__all__ if n not in ("nn", "optim")} | {f"F.{n}" for n in F.__all__}
    return methods | operators | functions


def covered_names() -> set[str]:
    names = set()
    for key, spec in SPECS.items():
        names.add(key)
        names.update(spec.covers)
    return names


def test_every_public_name_is_swept_or_said_why_not():
    """Every public function, Tensor method and operator is run by the sweep or named in NOT_SWEPT."""
    skipped = {n for names in NOT_SWEPT.values() for n in names}
    public = public_names()
    assert len(public & covered_names()) >= 130, "the sweep covers fewer names than when it was written (130 of 165)"
    missing = public - covered_names() - skipped
    unknown = covered_names() - public - {"comparisons"}  # the one spec named for a group of operators
    assert not missing, f"public names the sweep does not run: {sorted(missing)}"
    assert not unknown, f"sweep specs for names that are not public: {sorted(unknown)}"


def _libraries(torch: Any) -> tuple[Any, Any]:
    """tinygrad_nlp and torch as namespaces with `F`, their functional modules."""
    ours = SimpleNamespace(**{n: getattr(tg, n) for n in dir(tg) if not n.startswith("_")})
    ours.F = F
    theirs = SimpleNamespace(**{n: getattr(torch, n) for n in dir(torch) if not n.startswith("_")})
    theirs.F = torch.nn.functional
    return ours, theirs


def _leaves(lib: Any, torch: Any, arrays: tuple[np.ndarray, ...], grad: bool) -> list[Any]:
    if lib is torch:
        return [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    return [tg.tensor(a, dtype="float64", requires_grad=grad) for a in arrays]


def _run(call: Any, lib: Any, leaves: list[Any]) -> tuple[Any, str | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(lib, *leaves), None
    except Exception as e:  # noqa: BLE001 (both libraries refusing is an agreement)
        return None, f"{type(e).__name__}: {e}"


def _as_arrays(out: Any) -> Any:
    if isinstance(out, (list, tuple)):
        return [_as_arrays(o) for o in out]
    if hasattr(out, "detach"):
        out = out.detach()
    if hasattr(out, "numpy"):
        out = out.numpy()
    return np.asarray(out)


def _grads(out: Any, leaves: list[Any], lib: Any) -> list[np.ndarray] | str:
    """The gradient of Σ w·out, w fixed weights in [0.5, 1.5], for every leaf (zeros where none arrives)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if getattr(out, "requires_grad", False):
                w = np.random.default_rng(0).uniform(0.5, 1.5, tuple(out.shape))
                (out * (lib.tensor(w, dtype=out.dtype) if lib is not tg else w)).sum().backward()
    except Exception as e:  # noqa: BLE001
        return f"backward: {type(e).__name__}: {e}"
    return [np.zeros(tuple(x.shape)) if x.grad is None else _as_arrays(x.grad) for x in leaves]


def _flat(a: Any) -> np.ndarray:
    return np.concatenate([np.ravel(x).astype(np.float64) for x in a]) if isinstance(a, list) else np.ravel(a).astype(np.float64)


def _differs(a: Any, b: Any, atol: float) -> str | None:
    """Where two results differ (structure, shape, dtype kind or values; NaN equals NaN), or None."""
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return f"structure {type(a).__name__} vs {type(b).__name__}"
        return next((d for d in (_differs(x, y, atol) for x, y in zip(a, b)) if d), None)
    if a.shape != b.shape:
        return f"shape {a.shape} vs torch {b.shape}"
    if (a.dtype.kind == "b") != (b.dtype.kind == "b"):
        return f"dtype {a.dtype} vs torch {b.dtype}"
    if not np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-6, atol=atol, equal_nan=True):
        return "values"
    return None


def _explain(a: Any, b: Any, atol: float) -> tuple[str, np.ndarray, np.ndarray]:
    """The differing elements of two results of the same structure: a message, ours, torch's."""
    x, y = _flat(a), _flat(b)
    bad = ~np.isclose(x, y, rtol=1e-6, atol=atol, equal_nan=True)
    return f"{x[bad][:4]} vs torch {y[bad][:4]}", x[bad], y[bad]


def documented(name: str, what: str, ours: np.ndarray, theirs: np.ndarray, inputs: tuple[np.ndarray, ...]) -> str | None:
    """The README row that explains a difference in `what` ("values" or "gradient"), or None (a bug)."""
    nan_in = any(np.isnan(a).any() for a in inputs)
    rules = {
        ZERO_TIMES_INF: what == "gradient" and np.all(np.isnan(theirs) & ~np.isnan(ours)),
        NAN_INPUT: what == "gradient" and nan_in and np.all(np.isnan(ours) & ~np.isnan(theirs)),
        LOG_SOFTMAX_INF: name.endswith("log_softmax") and np.all(np.isneginf(ours) & np.isnan(theirs)),
        BCE_LOGITS_INF: name == "F.binary_cross_entropy_with_logits" and np.all(np.isposinf(ours) & np.isnan(theirs)),
        BCE_CLAMP: name == "F.binary_cross_entropy" and what == "gradient",
    }
    return next((row for row, holds in rules.items() if holds), None)


def sweep(name: str, torch: Any) -> tuple[list[str], list[str]]:
    """Every call of the spec on every input: (differences from torch, documented differences), one line each."""
    spec = SPECS[name]
    ours_lib, torch_lib = _libraries(torch)
    found, explained = [], []
    for label, arrays in INPUTS[spec.kind]():
        finite = [a[np.isfinite(a)] for a in arrays]
        atol = 1e-300 if all(np.all(np.abs(f) < 1e-20) for f in finite) else 1e-12  # tiny inputs: compare tiny results
        for i, (ours_call, torch_call) in enumerate(zip(spec.calls, spec.torch_calls or spec.calls)):
            ours_leaves, torch_leaves = _leaves(tg, torch, arrays, spec.grad), _leaves(torch, torch, arrays, spec.grad)
            ours, ours_error = _run(ours_call, ours_lib, ours_leaves)
            theirs, torch_error = _run(torch_call, torch_lib, torch_leaves)
            where = f"{name} call {i} on {label}"
            if ours_error or torch_error:
                if not (ours_error and torch_error):
                    found.append(f"{where}: ours {'raises ' + ours_error if ours_error else 'runs'}, torch "
                                 f"{'raises ' + torch_error if torch_error else 'runs'}")
                continue
            a, b = _as_arrays(ours), _as_arrays(theirs)
            diff = _differs(a, b, atol)
            if diff:
                message, x, y = _explain(a, b, atol) if diff == "values" else ("", None, None)
                row = diff == "values" and documented(name, "values", x, y, arrays)
                (explained if row else found).append(f"{where}: {diff} {message}" + (f" ({row})" if row else ""))
                continue
            if not spec.grad:
                continue
            g_ours, g_torch = _grads(ours, ours_leaves, tg), _grads(theirs, torch_leaves, torch)
            if isinstance(g_ours, str) or isinstance(g_torch, str):
                if isinstance(g_ours, str) != isinstance(g_torch, str):
                    found.append(f"{where}: {g_ours} / torch {g_torch}")
                continue
            if _differs(g_ours, g_torch, atol):
                message, x, y = _explain(g_ours, g_torch, atol)
                row = documented(name, "gradient", x, y, arrays)
                (explained if row else found).append(f"{where}: gradient {message}" + (f" ({row})" if row else ""))
    return found, explained


@pytest.mark.parametrize("name", list(SPECS))
def test_matches_torch(torch, name):
    found, _ = sweep(name, torch)
    assert not found, "\n".join(found)


def test_documented_differences_are_in_the_readme():
    table = README.read_text()
    for words in DOCUMENTED:
        assert words in table, f"README's differences table has no row saying {words!r}"
