"""Global switches of the engine, each a context manager (like DeZero's `Config` and torch's modes):
grad recording (`no_grad`, `enable_grad`, `set_grad_enabled`), `detect_anomaly` (raises naming the first
op that made NaN/inf), the default float dtype, and `scope(name)` / `group(...)`, which label the nodes
made inside (viz draws a scope as a cluster, a group as one textbook node: σ, Affine, Softmax with Loss).
They live in one `state` object, read with one attribute lookup on the hot path (`Function.__call__`)."""
from __future__ import annotations

import contextlib
import itertools
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np


class _State:
    __slots__ = ("grad_enabled", "anomaly", "default_dtype", "scope", "seq", "retaining")

    def __init__(self) -> None:
        self.grad_enabled, self.anomaly, self.default_dtype = True, False, np.dtype(np.float32)
        self.scope: tuple = ()  # names (str) and Groups, outermost first
        self.seq = 0  # creation counter of recorded nodes: sorting by it gives a topological order
        self.retaining: set[int] = set()  # ids of the live non-leaf tensors that called retain_grad()


state = _State()


@contextlib.contextmanager
def switch(name: str, value: Any) -> Iterator[None]:
    """Context in which `state.<name>` is `value` (restored after)."""
    previous = getattr(state, name)
    setattr(state, name, value)
    try:
        yield
    finally:
        setattr(state, name, previous)


def set_grad_enabled(mode: bool) -> contextlib.AbstractContextManager:
    """Context in which graph recording is on (mode=True) or off (like `torch.set_grad_enabled`)."""
    return switch("grad_enabled", bool(mode))


def no_grad() -> contextlib.AbstractContextManager:
    """Context in which operations build no graph (inference, optimizer updates)."""
    return switch("grad_enabled", False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Context that turns graph recording back on inside a `no_grad` block."""
    return switch("grad_enabled", True)


def is_grad_enabled() -> bool:
    return state.grad_enabled


def detect_anomaly() -> contextlib.AbstractContextManager:
    """Raise FloatingPointError naming the first op whose forward or backward made NaN/inf."""
    return switch("anomaly", True)


def is_anomaly_enabled() -> bool:
    return state.anomaly


def check_finite(op: str, where: Sequence[str], phase: str, arrays: Sequence[Any]) -> None:
    """Anomaly check: raise FloatingPointError if any float array (or RowSparse values) is NaN/inf."""
    for a in arrays:
        a = getattr(a, "data", a)  # Tensor -> array; RowSparse.data is itself
        a = getattr(a, "values", a)  # RowSparse -> its rows
        if a is not None and np.issubdtype(np.asarray(a).dtype, np.floating) and not np.isfinite(a).all():
            place = "/".join(map(str, where)) or "top level"
            raise FloatingPointError(f"detect_anomaly: {op} ({place}) produced NaN or inf in its {phase}")


class Group(NamedTuple):
    """A scope entry for one call of a composite function or a textbook layer. Its nodes stay
    primitive in the graph (`viz.trace`); viz draws them as one node labelled `label`.

    kind: "function" or "layer"; name: what `viz.draw(expand=...)` opens ("sigmoid", "linear");
    label: the textbook's name ("σ", "Affine"); title: the layer's attribute name ("fc1") or "";
    loss: True for a loss function (its output is drawn as the loss); serial: one per call.
    """

    kind: str
    name: str
    label: str
    title: str
    loss: bool
    serial: int

    def __str__(self) -> str:
        return self.title or self.name


_serials = itertools.count(1)


class group(contextlib.ContextDecorator):
    """`with group("sigmoid", "σ"):` or `@group("sigmoid", "σ")`: the nodes made inside form one
    composite (a new Group each time the block runs)."""

    def __init__(self, name: str, label: str, kind: str = "function", title: str = "", loss: bool = False):
        self.name, self.label, self.kind, self.title, self.loss = name, label, kind, title, loss

    def __enter__(self) -> None:
        state.scope += (Group(self.kind, self.name, self.label, self.title, self.loss, next(_serials)),)

    def __exit__(self, *exc: Any) -> None:
        state.scope = state.scope[:-1]  # (the blocks inside restored theirs)


def scope(name: str) -> contextlib.AbstractContextManager:
    """Label the nodes created inside the block (viz draws each scope as a cluster)."""
    return switch("scope", state.scope + (str(name),))


def current_scope() -> tuple[str, ...]:
    return state.scope


def set_default_dtype(dtype: Any) -> None:
    """Float dtype given to float data that does not ask for one (float32 unless changed)."""
    state.default_dtype = float_dtype(dtype)


def get_default_dtype() -> np.dtype:
    return state.default_dtype


def default_dtype(dtype: Any) -> contextlib.AbstractContextManager:
    """Context that sets the default float dtype (e.g. float64 for gradient checks)."""
    return switch("default_dtype", float_dtype(dtype))


def float_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    return dtype
