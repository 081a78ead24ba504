"""Global switches of the engine, each a context manager (like DeZero's `Config` and torch's modes).

- grad recording: `no_grad()`, `enable_grad()`, `set_grad_enabled(mode)`
- anomaly detection: `detect_anomaly()` raises naming the first op that made NaN/inf
- default float dtype: `set_default_dtype`, `default_dtype(...)`
- scope: `scope(name)` labels the nodes created inside it (viz draws clusters); `group(...)` marks
  a composite function or a textbook layer (viz draws it as one node: σ, Affine, Softmax with Loss)

The state lives in the module-level `state` object so that the hot path (`Function.__call__`)
reads it with one attribute lookup.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
from typing import Any, Callable, Iterator, NamedTuple, Sequence

import numpy as np


class _State:
    __slots__ = ("grad_enabled", "anomaly", "default_dtype", "scope", "seq", "retaining")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.default_dtype = np.dtype(np.float32)
        self.scope: tuple[str, ...] = ()
        self.seq = 0  # creation counter of recorded nodes: sorting by it gives a topological order
        self.retaining: set[int] = set()  # ids of the live non-leaf tensors that called retain_grad()


state = _State()


@contextlib.contextmanager
def set_grad_enabled(mode: bool) -> Iterator[None]:
    """Context in which graph recording is on (mode=True) or off (like `torch.set_grad_enabled`)."""
    previous, state.grad_enabled = state.grad_enabled, bool(mode)
    try:
        yield
    finally:
        state.grad_enabled = previous


def no_grad() -> contextlib.AbstractContextManager:
    """Context in which operations build no graph (inference, optimizer updates)."""
    return set_grad_enabled(False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Context that turns graph recording back on inside a `no_grad` block."""
    return set_grad_enabled(True)


def is_grad_enabled() -> bool:
    return state.grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError naming the first op whose forward or backward made NaN/inf."""
    previous, state.anomaly = state.anomaly, True
    try:
        yield
    finally:
        state.anomaly = previous


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


class group:
    """`with group("sigmoid", "σ"):` or `@group("sigmoid", "σ")`: the nodes made inside form one
    composite (a new Group each time the block runs)."""

    __slots__ = ("name", "label", "kind", "title", "loss", "previous")

    def __init__(self, name: str, label: str, kind: str = "function", title: str = "", loss: bool = False):
        self.name, self.label, self.kind, self.title, self.loss = name, label, kind, title, loss

    def __enter__(self) -> None:
        self.previous = state.scope
        state.scope = self.previous + (Group(self.kind, self.name, self.label, self.title, self.loss, next(_serials)),)

    def __exit__(self, *exc: Any) -> None:
        state.scope = self.previous

    def __call__(self, fn: Callable) -> Callable:
        name, label, kind, title, loss = self.name, self.label, self.kind, self.title, self.loss

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with group(name, label, kind, title, loss):
                return fn(*args, **kwargs)

        return wrapped


@contextlib.contextmanager
def scope(name: str) -> Iterator[None]:
    """Label the nodes created inside the block (viz draws each scope as a cluster)."""
    previous, state.scope = state.scope, state.scope + (str(name),)
    try:
        yield
    finally:
        state.scope = previous


def current_scope() -> tuple[str, ...]:
    return state.scope


def set_default_dtype(dtype: Any) -> None:
    """Float dtype given to float data that does not ask for one (float32 unless changed)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    state.default_dtype = dtype


def get_default_dtype() -> np.dtype:
    return state.default_dtype


@contextlib.contextmanager
def default_dtype(dtype: Any) -> Iterator[None]:
    """Context that sets the default float dtype (e.g. float64 for gradient checks)."""
    previous = state.default_dtype
    set_default_dtype(dtype)
    try:
        yield
    finally:
        state.default_dtype = previous
