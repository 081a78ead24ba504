"""The explorer's steps: one order of the graph's Functions and, for each step size, where a step ends.

Forward runs the Functions column by column (a column of the drawing is step t of every layer of
one sequence, e.g. a decoder's LSTM step and its Attention), in a topological order up to plumbing
(see `_column_order`); backward runs them in the reverse order. The engine's own passes run a
whole Time layer before the next; the values and gradients shown are the same. A step of size
- "op" is one Function;
- "node" is a run of Functions drawn as one node (a cell, a layer, a σ, or one primitive op);
  an op the drawing leaves out (plumbing it contracts) joins the step before;
- "time" is a run of Functions of one time step (padding steps together); outside the time
  steps, a run per drawn node, plumbing (stacking the steps' outputs) joining the step before.
"""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from .trace import Graph

from .layout import TIME, Drawing

SIZES = ("op", "node", "time")
PLUMBING = {"Reshape", "Transpose", "GetItem", "Concat"}  # ops that only move values


@dataclass
class Schedule:
    order: list[Any]  # Functions, forward order
    drawn: dict[int, str | None]  # id(Function) -> key of the drawn node it is part of (None: not drawn)
    column: dict[int, tuple | None]  # id(Function) -> (time-layer path, t), None outside time steps
    labels: dict[str, str] = field(default_factory=dict)  # drawn key -> one-line label
    boxes: set[str] = field(default_factory=set)  # drawn keys of folded boxes (cells, layers, σ)

    @property
    def has_time(self) -> bool:
        return any(c is not None for c in self.column.values())

    def stops(self, size: str, forward: bool) -> tuple[list[int], list[str]]:
        """The op steps (1-based, forward then backward) at which a step of `size` ends, and each
        step's caption (for "op": no captions, every op is a step)."""
        phases = ([self.order] if forward else []) + [self.order[::-1]]
        stops: list[int] = []
        captions: list[str] = []
        done = 0
        for fns in phases:
            runs: list[list[Any]] = []  # [what the step is made of, its Functions]
            for fn in fns:
                mine = self._group(size, fn)
                if runs and (mine is None or runs[-1][0] in (None, mine)):
                    runs[-1][0] = runs[-1][0] if mine is None else mine
                    runs[-1][1].append(fn)
                else:
                    runs.append([mine, [fn]])
            for group, run in runs:
                done += len(run)
                stops.append(done)
                captions.append(self._caption(group, run))
        return stops, captions if size != "op" else []

    def _group(self, size: str, fn: Any) -> Any:
        """What a step of `size` is made of; None: no group of its own (an op not drawn)."""
        if size == "op":
            return id(fn)
        if self.drawn[id(fn)] is None:
            return None
        column = self.column[id(fn)] if size == "time" else None
        if size == "time" and column is None and type(fn).__name__ in PLUMBING and self.drawn[id(fn)] not in self.boxes:
            return None
        return column if column is not None else self.drawn[id(fn)]

    def _caption(self, group: Any, run: list[Any]) -> str:
        nodes = dict.fromkeys(self.drawn[id(fn)] for fn in run if self.drawn[id(fn)] is not None)
        names = Counter(self.labels[key] for key in nodes)  # in order of first run; stacked layers' cells: "LSTM × 2"
        where = f"{column_name(group)}: " if isinstance(group, tuple) else ""  # a column (a drawn key is a str)
        return where + ", ".join(name if n == 1 else f"{name} × {n}" for name, n in names.items())


def column_name(column: tuple) -> str:
    """("AttentionSeq2seq", "encoder", "rnn"), 3 -> "encoder/rnn t=3"."""
    path, t = column
    return "/".join(path[1:] if len(path) > 1 else path) + f" t={t}"


def schedule(graph: Graph, d: Drawing, fns: list[Any], padding: dict[str, Iterable[int]] | None = None) -> Schedule:
    """The order and grouping of `fns` (a topological order of the graph's Functions). `padding`:
    {scope name: time steps that only read padding}, e.g. {"encoder": range(18)}: one step."""
    key_of = {id(n.fn): k for k, n in graph.nodes.items() if n.fn is not None}
    drawn_of = {m: key for key, n in d.nodes.items() for m in n.members}
    drawn = {id(fn): drawn_of.get(key_of[id(fn)]) for fn in fns}
    sources = {id(fn): list({id(p.grad_fn): p.grad_fn for p in fn.parents if getattr(p, "grad_fn", None) is not None}.values())
               for fn in fns}
    column = _columns(graph, fns, key_of, sources, padding or {})
    labels = {key: n.label.split("\n")[0] or n.tooltip for key, n in d.nodes.items()}
    boxes = {key for key, n in d.nodes.items() if n.kind != "op"}
    return Schedule(_column_order(fns, sources, column), drawn, column, labels, boxes)


def _columns(graph: Graph, fns: list[Any], key_of: dict[int, str], sources: dict[int, list[Any]],
             padding: dict[str, Iterable[int]]) -> dict[int, tuple | None]:
    """Each Function's time step: its innermost "t=k" scope, the layer path merged into the
    outermost enclosing path that has time steps too (a decoder's LSTM step t and its attention
    step t are one column); padding steps are one column. An op outside the time steps that serves
    one column only (x[:, t] before the cell, h_t's reshape before the stack) joins it."""
    raw: dict[int, tuple | None] = {}
    for fn in fns:
        scope = [str(e) for e in graph.nodes[key_of[id(fn)]].scope]
        times = [i for i, e in enumerate(scope) if TIME.match(e)]
        raw[id(fn)] = (tuple(scope[: times[-1]]), int(TIME.match(scope[times[-1]]).group(1))) if times else None
    paths = {c[0] for c in raw.values() if c is not None}
    owner = {p: next(p[:i] for i in range(len(p) + 1) if p[:i] in paths) for p in paths}
    pads = {name: set(steps) for name, steps in padding.items()}

    def merged(c: tuple) -> tuple:
        path, t = owner[c[0]], c[1]
        names = [name for name in pads if name in path and t in pads[name]]
        return (path, f"{min(pads[names[0]])}…{max(pads[names[0]])} (padding)") if names else (path, t)

    column = {k: None if c is None else merged(c) for k, c in raw.items()}
    readers: dict[int, list[int]] = {id(fn): [] for fn in fns}
    for fn in fns:
        for p in sources[id(fn)]:
            if id(p) in readers:
                readers[id(p)].append(id(fn))
    for _ in range(2):
        for fn in fns:
            if column[id(fn)] is None:
                for around in (readers[id(fn)], [id(p) for p in sources[id(fn)] if id(p) in column]):
                    near = {column[k] for k in around}
                    if len(near) == 1 and None not in near:
                        column[id(fn)] = near.pop()
                        break
    return column


def _column_order(fns: list[Any], sources: dict[int, list[Any]], column: dict[int, tuple | None]) -> list[Any]:
    """Kahn's topological sort taking, among the ready Functions, the earliest column, then the
    earliest recorded. An op outside the time steps belongs after the columns recorded before it.
    Only plumbing may be passed by: a slice hs[:, t] of a stack of the h_t runs in column t, before
    the stack is complete (the value it shows is h_t's), so that a decoder's step t (its LSTM
    step, then its Attention) is one column, as in the book."""
    rank = {id(fn): i for i, fn in enumerate(fns)}
    first: dict[tuple, int] = {}
    for fn in fns:
        if column[id(fn)] is not None:
            first.setdefault(column[id(fn)], len(first))
    level, seen = {}, 0
    for fn in fns:
        c = column[id(fn)]
        level[id(fn)] = first[c] if c is not None else seen
        seen = max(seen, level[id(fn)])
    waiting = {id(fn): 0 for fn in fns}
    readers: dict[int, list[Any]] = {id(fn): [] for fn in fns}
    for fn in fns:
        for p in sources[id(fn)]:
            passed = level[id(p)] > level[id(fn)] and type(p).__name__ in PLUMBING and type(fn).__name__ in PLUMBING
            if id(p) in rank and not passed:
                waiting[id(fn)] += 1
                readers[id(p)].append(fn)
    ready = [(level[id(fn)], rank[id(fn)], fn) for fn in fns if waiting[id(fn)] == 0]
    heapq.heapify(ready)
    order: list[Any] = []
    while ready:
        fn = heapq.heappop(ready)[2]
        order.append(fn)
        for r in readers[id(fn)]:
            waiting[id(r)] -= 1
            if waiting[id(r)] == 0:
                heapq.heappush(ready, (level[id(r)], rank[id(r)], r))
    return order


__all__ = ["PLUMBING", "SIZES", "Schedule", "column_name", "schedule"]
