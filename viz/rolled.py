"""The rolled view (figures.md §3): every recurrent layer one box "LSTM × T" with its state as a loop.

A rolled model is the time grid with one column per sequence: `arrange_rolled` gives each box a row
and a column, and `place.py` (the time grid's placer, drawn by `neato -n2`) turns them into points:
- layers go bottom to top in one column: x_t (the words when given) → Embedding → LSTM layer 0 →
  layer 1 → Affine → Softmax with Loss → L; a seq2seq model's decoder column is right of its
  encoder's, on the same baseline (edges between columns do not raise a row), the encoder's last h
  one arrow into the decoder, and attention's hs one bundle edge into "Attention × T_out";
- a layer's weights and initial states sit left of its box, named relative to the layer (Wx, Wh, b,
  h0 under a note "rnn.cell_l0: shared by t = 0…T−1, ∂ summed over t");
- each state is a self-loop on the box's right side (c above h, as in the cell), labelled
  h<sub>t−1</sub> with the last value handed on and the gradient summed over the steps.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .layout import Drawing, DrawnEdge, DrawnNode
from .place import EDGE_CHAR, EDGE_LINE, NOTE, TARGET, WORD, WORD_CHAR, edge_pos, place, text_size
from .timegrid import Grid

STEPS = re.compile(r"× (\d+)")
LOOP_OUT, LOOP_ROOM = 22.0, 8.0  # points a loop reaches right of its box, and between it and its label
SEQUENCE_INPUT = "the input of every step"  # layout's x_t of a rolled cell


@dataclass
class RolledGrid(Grid):
    frames_of: dict[str, str] = field(default_factory=dict)  # rolled box -> its layer's name ("rnn.cell_l0")


def is_loop(e: DrawnEdge) -> bool:
    return e.src == e.dst


def box_of(attrs: dict) -> tuple[float, float, float, float]:
    """(x, y, width, height) in points of a placed node's attributes."""
    x, y = (float(v) for v in attrs["pos"].rstrip("!").split(","))
    return x, y, float(attrs["width"]) * 72, float(attrs["height"]) * 72


def relative_names(d: Drawing) -> dict[str, str]:
    """The weights and initial states of each rolled box named inside their layer: rnn.cell_l0.Wx is
    Wx, h0[1] is h0. Returns {box: the layer's dotted name}."""
    titles = {}
    for key, n in d.nodes.items():
        if n.kind != "rolled":
            continue
        leaves = [d.nodes[e.src] for e in d.edges if e.dst == key and d.nodes[e.src].kind in ("param", "input")
                  and sum(x.src == e.src for x in d.edges) == 1]
        params = [x for x in leaves if x.kind == "param" and "." in x.label]
        prefix = _common_dotted([x.label for x in params])
        if not prefix:
            continue
        titles[key] = prefix
        for x in params:
            x.label = x.label[len(prefix) + 1:]
        for x in leaves:
            if x.kind == "input" and x.tooltip != SEQUENCE_INPUT:
                x.label = re.sub(r"\[\d+\]$", "", x.label)
    return titles


def _common_dotted(names: list[str]) -> str:
    parts = [n.split(".")[:-1] for n in names]
    if not parts:
        return ""
    common = parts[0]
    for p in parts[1:]:
        k = 0
        while k < min(len(common), len(p)) and common[k] == p[k]:
            k += 1
        common = common[:k]
    return ".".join(common)


def arrange_rolled(d: Drawing, titles: dict[str, str]) -> RolledGrid:
    """Rows and columns of a rolled drawing (see the module docstring); names its edges."""
    g = RolledGrid(frames_of=titles)
    rolled = [k for k, n in d.nodes.items() if n.kind == "rolled"]
    steps = {k: int(m.group(1)) for k in rolled for m in [STEPS.search(d.nodes[k].label)] if m}
    below = {k for k, n in d.nodes.items() if n.kind == "input" and _sequence_input(d, k, steps)}
    leaves = {k for k, n in d.nodes.items() if n.kind in ("param", "input", "const") and k not in below}

    # columns: rolled boxes of one module (the decoder's LSTM and its attention) share one; others by their neighbours
    parent = {k: k for k in rolled}

    def root(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    for e in d.edges:
        if e.src in parent and e.dst in parent and not is_loop(e) and _nested(d.nodes[e.src].cluster, d.nodes[e.dst].cluster):
            parent[root(e.src)] = root(e.dst)
    seqs = list(dict.fromkeys(root(k) for k in rolled))
    later = {(root(e.src), root(e.dst)) for e in d.edges if e.src in parent and e.dst in parent and root(e.src) != root(e.dst)}
    seqs.sort(key=lambda s: sum((x, s) in later for x in seqs))  # an encoder before the decoder it feeds
    column = {k: seqs.index(root(k)) for k in rolled}
    nbrs: dict[str, set[str]] = defaultdict(set)
    for e in d.edges:
        if e.src not in leaves and not is_loop(e):
            nbrs[e.src].add(e.dst)
            nbrs[e.dst].add(e.src)
    for _ in range(len(d.nodes)):
        todo = [k for k in d.nodes if k not in column and k not in leaves and any(x in column for x in nbrs[k])]
        if not todo:
            break
        for k in todo:
            column[k] = max(column[x] for x in nbrs[k] if x in column)  # the later sequence: a loss after its decoder
    for k in d.nodes:
        if k not in leaves:
            column.setdefault(k, 0)

    # rows: longest path bottom to top within a column (the encoder's last h does not raise the decoder)
    rank = {k: 0 for k in column}
    for _ in range(len(rank) + 1):
        changed = False
        for e in d.edges:
            if e.src in rank and e.dst in rank and not is_loop(e) and column[e.src] == column[e.dst] \
                    and rank[e.dst] < rank[e.src] + 1:
                rank[e.dst], changed = rank[e.src] + 1, True
        if not changed:
            break
    g.rank, g.span = rank, {k: (c, c) for k, c in column.items()}
    for key, title in titles.items():  # a layer's weights go into its frame, named inside it
        f = f"frame_{key}"
        d.nodes[f] = DrawnNode(f, "frame", f"{title}: shared by t = 0…{steps.get(key, 1) - 1}\n∂ summed over t", (), [],
                               tooltip="the weights of this layer, shared by its steps")
        g.rank[f], g.frames[f] = rank[key], (rank[key], column[key], column[key])
        for e in d.edges:
            if e.dst == key and d.nodes[e.src].kind == "param":
                e.dst = f
    order: dict[tuple[int, int], int] = defaultdict(int)
    for k in leaves:
        readers = [e.dst for e in d.edges if e.src == k and e.dst in g.rank]
        if not readers:
            continue
        reader = max(readers, key=g.rank.get) if d.nodes[k].grad is not None else readers[0]  # a tied weight: by the output layer
        slot = (g.rank[reader], g.frames[reader][1] if reader in g.frames else column[reader])
        g.side[k] = (*slot, order[slot])
        order[slot] += 1
    for k in [k for k in d.nodes if k not in g.rank and k not in g.side]:
        del d.nodes[k]
    d.edges = [e for e in d.edges if e.src in d.nodes and e.dst in d.nodes]
    _name_edges(d, column, steps)
    return g


def _sequence_input(d: Drawing, key: str, steps: dict[str, int]) -> bool:
    """x_t of a rolled cell, or an input (N, T, D) read whole by one: drawn below it, not beside it."""
    if d.nodes[key].tooltip == SEQUENCE_INPUT:
        return True
    reads = [e for e in d.edges if e.src == key]
    return len(reads) == 1 and reads[0].dst in steps and np.ndim(reads[0].value) == 3 \
        and np.shape(reads[0].value)[1] == steps[reads[0].dst] > 1


def _nested(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def _name_edges(d: Drawing, column: dict[str, int], steps: dict[str, int]) -> None:
    """Edges between columns: the encoder's hs (N, T, H), one bundle, and its last h; attention's output is c_t."""
    for e in d.edges:
        src = d.nodes[e.src]
        if is_loop(e) or src.kind != "rolled":
            continue
        if column[e.src] != column[e.dst]:
            e.name = "hs" if np.ndim(e.value) == 3 else f"h_{{{steps.get(e.src, 1) - 1}}}"
        elif src.label.startswith("Attention") and np.ndim(e.value) == 3:
            e.name = f"c_{{t}}, t = 0…{np.shape(e.value)[1] - 1}"


def place_rolled(d: Drawing, g: RolledGrid, node_attrs: dict[str, dict], edge_labels: list[str]):
    """place() for the rolled grid, plus what it has no notion of: the loops, the layers' notes, the words."""
    keep = [i for i, e in enumerate(d.edges) if not is_loop(e)]
    flat = Drawing(d.nodes, [d.edges[i] for i in keep])
    nodes, routes, notes = place(flat, g, node_attrs, [edge_labels[i] for i in keep])
    out: list[dict] = [{} for _ in d.edges]
    for i, r in zip(keep, routes):
        out[i] = r
    _square_leaf_edges(d, g, nodes, out)
    loops: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(d.edges):
        if is_loop(e):
            loops[e.src].append(i)
    for key, idx in loops.items():
        idx.sort(key=lambda i: not d.edges[i].name.startswith("c"))  # c above h, as in the cell
        x, y, w, h = box_of(nodes[key])
        xr, n = x + w / 2, len(idx)
        for j, i in enumerate(idx):
            top, bottom = y + h / 2 - h * (2 * j + 0.4) / (2 * n), y + h / 2 - h * (2 * j + 1.6) / (2 * n)
            pts = [(xr, top), (xr + LOOP_OUT, top), (xr + LOOP_OUT, bottom), (xr, bottom)]
            lw, lh = text_size(edge_labels[i], EDGE_CHAR, EDGE_LINE)
            ly = y if n == 1 else (y + 1 + lh / 2 if j == 0 else y - 1 - lh / 2)
            out[i] = {"pos": edge_pos(pts), "lp": f"{xr + LOOP_OUT + LOOP_ROOM + lw / 2:.1f},{ly:.1f}"}
            frame = f"frame_{key}"
            if frame in nodes:  # the loops and their labels inside the layer's frame
                fx, fy, fw, fh = box_of(nodes[frame])
                right = max(fx + fw / 2, xr + LOOP_OUT + 2 * LOOP_ROOM + lw)
                nodes[frame].update(pos=f"{(fx - fw / 2 + right) / 2:.1f},{fy:.1f}!", width=f"{(right - fx + fw / 2) / 72:.3f}")
    notes += _words(d, g, nodes)
    return nodes, out, notes


def _square_leaf_edges(d: Drawing, g: RolledGrid, nodes: dict[str, dict], routes: list[dict]) -> None:
    """A weight's edge runs level from it (under its label) and steps to its lane just before the box:
    a slanted line from a stack taller than the box would cross the labels of the stack."""
    ends: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for i, e in enumerate(d.edges):
        if e.src in g.side and e.src in nodes and "pos" in routes[i]:
            xb, yb = (float(v) for v in routes[i]["pos"].split()[0][2:].split(","))
            ends[e.dst].append((yb, i))
    for dst, lanes in ends.items():
        for j, (yb, i) in enumerate(sorted(lanes, reverse=True)):
            xs, ys, ws, _ = box_of(nodes[d.edges[i].src])
            xb = float(routes[i]["pos"].split()[0][2:].split(",")[0])
            if abs(ys - yb) > 1 and d.nodes[d.edges[i].src].grad is None:
                xj = xb - 6 - 4 * min(j, len(lanes) - 1 - j)
                routes[i]["pos"] = edge_pos([(xs + ws / 2, ys), (xj, ys), (xj, yb), (xb, yb)])


def _words(d: Drawing, g: RolledGrid, nodes: dict[str, dict]) -> list[tuple]:
    """A language model's input words under its first column, the words it predicts left of its loss."""
    notes = []
    if d.tokens:
        first = [box_of(nodes[k]) for k, (c, _) in g.span.items() if c == 0 and k in nodes]
        x, y, w, h = min(first, key=lambda b: b[1] - b[3] / 2)
        notes.append(("tokens", "input: " + " ".join(d.tokens), x, y - h / 2 - 14, WORD))
    loss = [box_of(nodes[k]) for k, n in d.nodes.items() if n.loss and n.kind == "group" and k in nodes]
    if d.targets and loss:
        x, y, w, h = loss[0]
        text = "predicts: " + " ".join(d.targets)
        notes.append(("targets", text, x - w / 2 - 12 - len(text) * WORD_CHAR / 2, y, TARGET))
    return notes
