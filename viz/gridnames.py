"""The names on the time grid's edges: the state arrows between steps (h_t, c_t) and attention's hs
read by the decoder steps (one label for the bundle)."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Callable, Sequence

import numpy as np

from tinygrad_nlp import Group

from .labels import subscripted
from .layout import Drawing, DrawnEdge, is_time
from .trace import Graph

LAYER = re.compile(r"_l(\d+)$")  # nn's stacked cells: cell_l0, cell_l1
INITIAL = re.compile(r"^([hc])0(?:\[\d+\])?$")  # nn's initial states h0, c0
WORD_CHAR = 6.2  # points per character at fontsize 11
WORD = dict(fontsize="11", fontcolor="#000000")
TARGET = dict(fontsize="11", fontcolor="#555555")
STEP_TOOLTIP = "x_t: the input of step t (its value is on its edge)"
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
Words = Sequence[str] | dict[str, Sequence[str]]  # draw's tokens/targets: one per column, or {module name: one per its step}
LAST_STEP = re.compile(r"t=(?:\d+…)?(\d+)")  # "LSTM\nt=3", a padding box's "t=0…17": the step its state leaves


def name_states(d: Drawing, graph: Graph, row_of: dict[str, int], baseline: list[int]) -> None:
    """The horizontal arrows from step t to the next step carry the state's name, h_t (and the LSTM's
    c_t, the Add of c = f·c_prev + g·i, when two states go from one step to the next); h_t also goes up
    out of its cell. Stacked layers write their layer as a superscript, h₃⁽¹⁾; the initial states
    entering step 0 are h₋₁, c₋₁ (torch's h_{t−1} at t = 0), h₋₁⁽¹⁾ for layer 1."""
    layer = layers(d, row_of)
    states = [e for e in d.edges if e.src in row_of and e.dst in row_of and e.src != e.dst
              and baseline[row_of[e.src]] == baseline[row_of[e.dst]]]
    pairs = defaultdict(int)
    for e in states:
        pairs[(e.src, e.dst)] += 1
    for e in states:
        step = LAST_STEP.search(d.nodes[e.src].label)
        c = pairs[(e.src, e.dst)] > 1 and any(graph.nodes[s].op == "Add" for s in e.sources)
        e.name = f"{'c' if c else 'h'}_{{{step.group(1) if step else 't'}}}{layer.get(row_of[e.src], '')}"
    stateful = {row_of[e.src] for e in states}
    for e in d.edges:  # h_t up out of its cell (into the layer above, the Affine, hs): the arrow of the book's figure
        r = row_of.get(e.src)
        if r in stateful and not e.name and row_of.get(e.dst) != r and e.value is not None and d.nodes[e.dst].kind != "output":
            step = LAST_STEP.search(d.nodes[e.src].label)
            e.name = f"h_{{{step.group(1) if step else 't'}}}{layer.get(r, '')}"
    for e in d.edges:  # the initial states of a row: h₋₁, c₋₁
        src = d.nodes[e.src]
        if src.kind == "input" and row_of.get(e.dst) in stateful and INITIAL.match(src.label):
            src.label = subscripted(f"{INITIAL.match(src.label).group(1)}_{{−1}}") + layer.get(row_of[e.dst], "")


def layers(d: Drawing, row_of: dict[str, int]) -> dict[int, str]:
    """{row: "⁽ˡ⁾"} for the rows of a stacked recurrent layer (its cells cell_l0, cell_l1, ...); rows of
    a one-layer module get no superscript."""
    found: dict[tuple, dict[int, int]] = defaultdict(dict)
    for k, r in row_of.items():
        n = d.nodes[k]
        m = LAYER.search(n.entry.title) if isinstance(n.entry, Group) else None
        if m:
            found[n.cluster][r] = int(m.group(1))
    return {r: f"⁽{str(l).translate(SUPERSCRIPTS)}⁾" for rows in found.values() if len(set(rows.values())) > 1
            for r, l in rows.items()}


def one_bundle_label(d: Drawing, bundles: set[str], column: dict[str, int]) -> None:
    """hs read by the decoder steps is one bundle: one label, on its edge to the first step (where the
    bus leaves hs), with hs's value (N, T, H) and the gradient summed over the steps that read it (all
    that comes back into hs); the edges to the other steps are the same bus, unlabelled."""
    for b in bundles:
        edges = sorted((e for e in d.edges if e.src == b and e.dst in column), key=lambda e: column[e.dst])
        if not edges:
            continue
        grads = [e.grad for e in edges]
        whole = all(g is not None and np.shape(g) == np.shape(grads[0]) for g in grads)
        first = edges[0]
        first.grad, first.name = (sum(grads[1:], grads[0]) if whole else None), "hs"
        for e in edges[1:]:
            e.value, e.grad = None, None


def name_context(d: Drawing, forks: set[tuple[str, str]]) -> None:
    """At a decoder step with attention: h_t on the trunk from the cell up to the Affine, the context
    c_t on the edge out of the Attention box (the Affine reads [c_t, h_t])."""
    for cell, box in forks:
        step = LAST_STEP.search(d.nodes[box].label)
        t = step.group(1) if step else "t"
        for e in d.edges:
            if e.src == cell and e.dst != box and d.nodes[e.dst].kind == "group" and e.value is not None and not e.name:
                e.name = f"h_{{{t}}}"
            elif e.src == box:
                e.name = f"c_{{{t}}}"


def distinct_labels(d: Drawing) -> None:
    """Two different tensors never share a label: leaves of different modules named alike get the
    module's name (the encoder's c₋₁ and the decoder's), others an index, bottom first."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for k, n in d.nodes.items():
        if n.kind in ("param", "input") and n.tooltip != STEP_TOOLTIP:
            by_label[n.label].append(k)
    first_reader = {}
    for e in d.edges:
        first_reader.setdefault(e.src, (d.grid.rank.get(e.dst, 0) if d.grid else 0, e.dst))
    for label, keys in by_label.items():
        if len(keys) > 1:
            modules = [_module(d.nodes[k].cluster) for k in keys]
            by_module = len(set(modules)) == len(keys) and all(modules)  # the encoder's c₋₁ and the decoder's
            for i, k in enumerate(sorted(keys, key=lambda k: first_reader.get(k, (0, k)))):
                d.nodes[k].label = f"{label} ({_module(d.nodes[k].cluster)})" if by_module else f"{label}[{i}]"


def _module(cluster: tuple) -> str:
    """The first named module of a scope path under the model: "encoder", "decoder" ("" if none)."""
    names = [e for e in cluster if isinstance(e, str) and not is_time(e)]
    return names[1] if len(names) > 1 else ""


def column_words(what: str, words: Words, d: Drawing) -> dict[str, tuple[str, ...]]:
    """The words of the time steps, checked: {"": words} for a list (one per column of the grid), or
    {module name: words} (one per time step of that module). A lone space is drawn ␣."""
    spoken = dict(words) if isinstance(words, dict) else {"": words}
    spoken = {name: tuple("␣" if str(w) == " " else str(w) for w in ws) for name, ws in spoken.items() if len(ws)}
    if d.grid is None or not d.grid.steps:  # no rows of steps: the rolled view writes them in its title
        return spoken
    for name, ws in spoken.items():
        rows = [at for path, at in d.grid.steps if name in path] if name else [{t: t for t in range(len(row))} for row in d.time_rows]
        if not rows:
            modules = sorted({m for path, _ in d.grid.steps for m in path[1:-1] if not is_time(m)})
            raise ValueError(f"draw: {what} names {name!r}, not a module with time steps; expected one of {modules}")
        steps = max(len(at) for at in rows)
        if len(ws) > steps:
            of = f"[{name!r}]" if name else ""
            raise ValueError(f"draw: {what}{of} has {len(ws)} words, expected at most one per time step ({steps})")
    return spoken


def word_notes(d: Drawing, span: dict, pos: dict, X: Callable[[int], float]) -> list[tuple]:
    """The input word of step t under its column (the book's "you say goodbye"; a seq2seq model's
    question under the encoder's columns, "_" and the answer under the decoder's); the word it
    predicts over Softmax with Loss, left of the column (the loss's edge up to L leaves from its middle)."""
    notes = []
    if d.tokens:
        bottom = min(y - h / 2 for k, (x, y, w, h) in pos.items() if k in span)
        notes += [(f"token_{c}", word, X(c), bottom - 14, WORD) for c, (t, word) in word_columns(d.tokens, d.grid.steps).items()]
    loss = [pos[k] for k in pos if k in d.nodes and d.nodes[k].loss and d.nodes[k].kind == "group"]
    if d.targets and loss:
        top = max(y + h / 2 for x, y, w, h in loss)
        for c, (t, word) in word_columns(d.targets, d.grid.steps).items():  # t₀: say — the book's t of y − t
            text = f"{subscripted(f't_{{{t}}}')}: {word}"
            notes.append((f"target_{c}", text, X(c) - 6 - len(text) * WORD_CHAR / 2, top + 10, TARGET))
    return notes


def word_columns(words: dict[str, tuple[str, ...]], steps: list[tuple[list[str], dict]]) -> dict[int, tuple[int, str]]:
    """{column: (step t, word)}: word t of a list (key "") at column t; word t of the encoder's (key
    "encoder") at the column of the encoder's step t (the Grid's `steps`), none at a folded padding step."""
    found: dict[int, tuple[int, str]] = {}
    for name, ws in words.items():
        columns = [{t: t for t in range(len(ws))}] if name == "" else [at for path, at in steps if name in path]
        for at in columns:
            for t, word in enumerate(ws):
                if at.get(t) is not None:
                    found.setdefault(at[t], (t, word))
    return found


def said(words: dict[str, tuple[str, ...]]) -> str:
    """The words in one line: "you say goodbye", or "encoder: m a y; decoder: _ 2 0" per module."""
    if len(words) == 1:
        return " ".join(*words.values())
    return "; ".join(f"{name}: {' '.join(ws)}" if name else " ".join(ws) for name, ws in words.items())
