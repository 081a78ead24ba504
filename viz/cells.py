"""Recurrent cells opened as the textbook draws them (DLFS2 ch. 6): inputs at the bottom, the gates
from one Affine above them, and the LSTM's memory line c_prev → × → + → c_next as one horizontal
row on top, with tanh(c) hanging below it on the way to h_next.

`cell_layout` finds that row from the names the cell gives its tensors (`c_next`, or `c_t` in a
time layer) and from the × that reads the previous cell state; `draw.to_digraph` puts the row in
one rank and lets the edges from it down to tanh(c) not constrain the ranks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tinygrad_nlp import Group
from .trace import Graph

from .layout import Drawing

CELLS = ("rnncell", "lstmcell", "grucell", "simplifiedgrucell")
CONVENTIONS = {  # what an opened cell's figure says, where the books write the same cell differently
    "grucell": "GRU as in PyTorch and d2l: h_next = (1 − z) ⊙ h~ + z ⊙ h_prev, h~ the candidate (DLFS2 writes z for this 1 − z)",
}
CELL_STATE = re.compile(r"^c(_prev|_next|_\d+|0)?\b")


@dataclass
class CellLayout:
    rows: list[list[str]] = field(default_factory=list)  # drawn nodes in one rank, left to right
    loose: set[int] = field(default_factory=set)  # indices of edges that do not constrain the ranks


def opened_cell(d: Drawing) -> bool:
    """True when a recurrent cell is drawn opened (its parts inside its box)."""
    return any(isinstance(e, Group) and e.name in CELLS for n in d.nodes.values() for e in n.cluster)


def cell_notes(d: Drawing) -> list[str]:
    """The conventions of the cells drawn opened (the GRU's mix: which of h_prev and h~ z weighs)."""
    opened = {e.name for n in d.nodes.values() for e in n.cluster if isinstance(e, Group)}
    return [note for name, note in CONVENTIONS.items() if name in opened]


def _state_name(d: Drawing, graph: Graph, key: str) -> str:
    n = d.nodes[key]
    if n.kind in ("param", "input"):
        return n.label
    if n.kind == "branch":
        return _state_name(d, graph, next(e.src for e in d.edges if e.dst == key))
    tensor = graph.nodes[n.members[0]].tensor if n.kind == "op" and n.members else None
    return (tensor.name or "") if tensor is not None else ""


def cell_layout(d: Drawing, graph: Graph) -> CellLayout:
    """The memory lines of the opened LSTM cells and the edges that hang below them."""
    into: dict[str, list[int]] = {}
    for i, e in enumerate(d.edges):
        into.setdefault(e.dst, []).append(i)
    rows: list[list[str]] = []
    for key, n in d.nodes.items():
        if n.kind != "op" or n.label != "+" or not CELL_STATE.match(_state_name(d, graph, key)):
            continue
        for i in into.get(key, []):
            mul = d.edges[i].src
            if d.nodes[mul].kind != "op" or d.nodes[mul].label != "×":
                continue
            prev = [d.edges[j].src for j in into.get(mul, []) if CELL_STATE.match(_state_name(d, graph, d.edges[j].src))]
            if prev:
                after = [e.dst for e in d.edges if e.src == key and d.nodes[e.dst].kind == "branch"]
                before = [p for p in prev[:1] if d.nodes[p].kind in ("param", "input")]  # the previous step's c stays there
                rows.append(before + [mul, key] + after)
    members = {k for row in rows for k in row}
    loose = {i for i, e in enumerate(d.edges) if e.src in members and e.dst not in members
             and d.nodes[e.dst].kind == "op" and d.nodes[e.dst].label == "tanh"}
    return CellLayout(rows, loose)
