"""Attention on the time grid, as DLFS2 ch. 8 draws the decoder (figures.md §7): at each decoder
column one Attention box above the LSTM, fed by `hs` (every encoder state: one bundle out of one hs
node) and by h_t, giving the context c_t; the Affine above takes [c_t, h_t]; the weights a_t are a
heat strip on the box.

- `heat_strips`: a_t of each folded Attention box, read from the traced graph (the output of its
  Attention Weight);
- `forks`: h_t read by the box of its column and by the layer above it (the Affine of [c_t, h_t]) is
  one trunk straight up with a fork into the box: the trunk carries h_t's value and the gradient
  summed over both readers (what comes back into the cell), the fork no label;
- `heat_label`: the box's Graphviz HTML label, its name over one shaded cell per encoder step, the
  largest weight outlined.
"""
from __future__ import annotations

from html import escape

import numpy as np

from tinygrad_nlp import Group

from .layout import Drawing
from .trace import Edge, Graph

ATTENTION = "attention"  # the Group name of models.Attention (its textbook_name is "Attention")
WEIGHTS = ("attentionweight", "additiveattentionweight")
CELL_H = 9.0  # points: the height of a heat cell
MAX_CELL, MIN_CELL, STRIP = 12.0, 2.0, 72.0  # a cell's width: STRIP / T between these
MARK = "#c0392b"  # the outline of the largest weight
GRID = "#d5d8dc"  # the lines between the cells


def heat_strips(d: Drawing, graph: Graph) -> dict[str, np.ndarray]:
    """{drawn Attention box: its weights a_t over the encoder steps} (the first row of a batch)."""
    readers: dict[str, list[str]] = {}
    for e in graph.edges:
        readers.setdefault(e.src, []).append(e.dst)
    out = {}
    for k, n in d.nodes.items():
        if n.kind != "group" or not isinstance(n.entry, Group) or n.entry.name != ATTENTION:
            continue
        e = weights_edge(n.members, graph, readers)
        if e is not None:
            out[k] = np.asarray(e.value, dtype=float).reshape(-1, np.shape(e.value)[-1])[0]
    return out


def weights_edge(members: list[str], graph: Graph, readers: dict[str, list[str]]) -> Edge | None:
    """The edge that carries a_t out of an Attention box's Attention Weight (`members`: the box's graph nodes;
    `readers`: {node: the nodes reading it})."""
    inside = set(members)
    weight = {m for m in inside if any(isinstance(s, Group) and s.name in WEIGHTS for s in graph.nodes[m].scope)}
    return next((e for e in graph.edges if e.src in weight and _leaves(e.dst, weight, inside, readers, graph)
                 and np.ndim(e.value) >= 1), None)


def _leaves(key: str, weight: set[str], inside: set[str], readers: dict, graph: Graph) -> bool:
    """True when `key` (through Branch points) is read inside the box but outside its Attention Weight."""
    if graph.nodes[key].kind == "branch":
        return any(_leaves(r, weight, inside, readers, graph) for r in readers.get(key, []))
    return key in inside and key not in weight


def forks(d: Drawing, column: dict[str, int], span: dict[str, tuple[int, int]]) -> set[tuple[str, str]]:
    """(cell, box) pairs where the cell's h_t goes into the box of its column and, as the same tensor,
    into a layer spanning the columns (the Affine): the trunk gets the value and the summed gradient."""
    found = set()
    for box, c in column.items():
        n = d.nodes[box]
        if n.kind != "group" or not isinstance(n.entry, Group) or n.entry.name != ATTENTION:
            continue
        ins = [e for e in d.edges if e.dst == box and e.src in column and column[e.src] == c]
        for e in ins:
            trunk = [t for t in d.edges if t.src == e.src and t.dst != box and span.get(t.dst, (0, 0))[0] != span.get(t.dst, (0, 0))[1]
                     and _same(t.value, e.value)]
            if len(trunk) == 1:
                t = trunk[0]
                t.grad = None if t.grad is None or e.grad is None else np.reshape(t.grad, np.shape(e.grad)) + e.grad
                t.value = e.value  # h_t as the cell's other edges write it: (N, H)
                e.value, e.grad = None, None
                found.add((e.src, box))
    return found


def _same(a, b) -> bool:
    return a is not None and b is not None and np.size(a) == np.size(b) and np.array_equal(np.reshape(a, -1), np.reshape(b, -1))


def cell_width(weights: np.ndarray) -> float:
    return float(int(np.clip(STRIP / max(len(weights), 1), MIN_CELL, MAX_CELL)))  # Graphviz wants whole points


def strip_size(weights: np.ndarray) -> tuple[float, float]:
    """(width, height) in points of the heat strip."""
    return len(weights) * (cell_width(weights) + 1) + 1, CELL_H + 2


def _shade(w: float, top: float) -> str:
    """White (0) to the dark purple of the explorer's heatmap (the largest weight)."""
    f = 0.0 if top <= 0 else min(max(w / top, 0.0), 1.0)
    r, g, b = (round(255 + (t - 255) * f) for t in (0x6c, 0x34, 0x83))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_label(text: str, weights: np.ndarray) -> str:
    """The box's HTML label: `text` over the strip of a_t (darker = more weight, the largest outlined)."""
    top, best, w = float(np.max(weights)), int(np.argmax(weights)), cell_width(weights)
    cells = "".join(
        f'<td width="{w:.0f}" height="{CELL_H:.0f}" fixedsize="true" bgcolor="{_shade(float(a), top)}"'
        + (f' border="1" color="{MARK}"' if i == best else "") + "></td>" for i, a in enumerate(weights))
    name = "<br/>".join(escape(line) for line in text.split("\n"))
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="0"><tr><td>{name}</td></tr><tr><td>'
            f'<table border="0" cellborder="0" cellspacing="1" cellpadding="0" bgcolor="{GRID}"><tr>{cells}</tr></table>'
            "</td></tr></table>>")
