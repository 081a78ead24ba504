"""Opened recurrent cells on the time grid (`expand={"LSTM"}` on a whole model): each step's cell is
drawn inside as the book draws one cell (cells.py's layout: the memory line c_prev → × → + → c_next
on top, the gates from one Affine below), and the cells stay in the grid: one row per layer, one
column per step, h and c flowing sideways between the columns, x_t below.

`fold_cells` turns each opened cell into one placeholder box before the grid is arranged (so the
columns, rows, shared weights and names are those of the folded view); `unfold_cells` puts the
inside back afterwards and reconnects each edge to the node inside that made or reads its tensor;
`block_layout` lays one cell out with `dot` (cells.py's memory line in one rank; an LSTM in the
book's ranks, `lstm_rows`: the gates f g i o over the Affine, g·i and the output ×, the memory line on
top, c_next → tanh(c) → × downwards), which place.py moves into the cell's box on the grid; h_next
leaves the cell's × to the right. `name_inside` writes the book's c_next inside a cell.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

import graphviz

from tinygrad_nlp import Group

from .cells import CELLS, cell_layout
from .layout import TIME, Drawing, DrawnEdge, DrawnNode, is_time
from .trace import Graph


STEP_STATE = re.compile(r"^([hc])_\d+$")  # a time layer's name for its step's state: c_3, h_3


@dataclass
class Folded:
    nodes: dict[str, dict[str, DrawnNode]] = field(default_factory=dict)  # placeholder -> the nodes inside
    edges: dict[str, list[DrawnEdge]] = field(default_factory=dict)  # placeholder -> the edges inside


def opened_steps(d: Drawing) -> bool:
    """True when some time step's recurrent cell is drawn opened."""
    return bool(_units(d))


def _units(d: Drawing) -> dict[tuple, list[str]]:
    """{scope path up to the opened cell: its drawn nodes} for cells opened inside a time step."""
    units: dict[tuple, list[str]] = defaultdict(list)
    for k, n in d.nodes.items():
        if n.kind in ("param", "input", "const"):
            continue
        for i, e in enumerate(n.cluster):
            if isinstance(e, Group) and e.name in CELLS and i > 0 and is_time(n.cluster[i - 1]):
                units[n.cluster[: i + 1]].append(k)
                break
    return units


def fold_cells(d: Drawing) -> Folded:
    """Each opened cell becomes one box "LSTM t=3" (its inside kept in the returned Folded); the
    Branch points inside a cell become direct edges; `d.time_rows` gets the rows of boxes."""
    units = _units(d)
    folded = Folded()
    if not units:
        return folded
    unit_of = {k: u for u, keys in units.items() for k in keys}
    out: dict[str, list[DrawnEdge]] = defaultdict(list)
    for e in d.edges:
        out[e.src].append(e)
    gone: set[int] = set()
    for e in list(d.edges):  # a tensor of the cell read inside it: an edge inside, not through a Branch
        u = unit_of.get(e.src)
        if u is None or d.nodes[e.dst].kind != "branch":
            continue
        inside = [x for x in out[e.dst] if unit_of.get(x.dst) == u]
        for x in inside:
            d.edges.append(DrawnEdge(e.src, x.dst, e.value if x.value is None else x.value, x.grad, x.readers, x.slot, e.sources))
            gone.add(id(x))
        if len(inside) == len(out[e.dst]):
            gone.add(id(e))
            d.nodes.pop(e.dst, None)
    d.edges = [e for e in d.edges if id(e) not in gone]
    box_of = {}
    rows: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for u, keys in units.items():
        keys = [k for k in keys if k in d.nodes]  # not the Branch points just taken out
        i = len(u) - 2  # the time step's entry, just outside the cell
        key = "cell_" + keys[0]
        cell: Group = u[-1]
        d.nodes[key] = DrawnNode(key, "group", f"{cell.label}\nt={TIME.match(u[i]).group(1)}", u[:i],
                                 [m for k in keys for m in d.nodes[k].members], tooltip=f"{cell.label} (opened)", entry=cell)
        folded.nodes[key] = {k: d.nodes.pop(k) for k in keys}
        folded.edges[key] = []
        box_of.update({k: key for k in keys})
        rows[(u[:i], cell.name, cell.title)].append((int(TIME.match(u[i]).group(1)), key))
    kept = []
    for e in d.edges:
        a, b = box_of.get(e.src), box_of.get(e.dst)
        if a is not None and a == b:
            folded.edges[a].append(e)
            continue
        e.src, e.dst = a or e.src, b or e.dst
        kept.append(e)
    d.edges = kept
    d.time_rows = [[k for _, k in sorted(r)] for r in rows.values()]
    return folded


def unfold_cells(d: Drawing, folded: Folded) -> dict[str, list[str]]:
    """Put the insides back (after the grid is arranged): each edge into or out of a cell box goes to
    the node inside that reads (or made) its tensor. Returns {box: its nodes}; the boxes leave the
    drawing (the grid keeps their place)."""
    blocks = {}
    for box, nodes in folded.nodes.items():
        d.nodes.update(nodes)
        d.edges.extend(folded.edges[box])
        blocks[box] = list(nodes)
        owner = {m: k for k, n in nodes.items() for m in n.members}
        for e in d.edges:
            if e.dst == box:
                e.dst = next((owner[r] for r in e.readers if r in owner), blocks[box][0])
            if e.src == box:
                e.src = next((owner[s] for s in e.sources if s in owner), blocks[box][-1])
        d.nodes.pop(box, None)
    return blocks


def name_inside(d: Drawing, graph: Graph, blocks: dict[str, list[str]]) -> None:
    """The book's names inside an opened cell: the state it makes and reads itself is c_next (the + into tanh(c)),
    not the time layer's c_3 (the arrows between the cells keep c₃, h₃)."""
    at = {k: box for box, keys in blocks.items() for k in keys}
    for e in d.edges:
        if at.get(e.src) is not None and at.get(e.src) == at.get(e.dst) and not e.name and e.sources:
            m = STEP_STATE.match(graph.nodes[e.sources[0]].tensor.name or "")
            if m:
                e.name = f"{m.group(1)}_next"


def memory_lines(d: Drawing, graph: Graph, blocks: dict[str, list[str]]) -> tuple[list[list[str]], set[tuple[str, str]]]:
    """cells.py's memory lines inside the opened cells, and the (src, dst) of the edges that hang below them."""
    inside = {k for keys in blocks.values() for k in keys}
    cells = cell_layout(d, graph)
    rows = [[k for k in row if k in inside] for row in cells.rows]
    return [r for r in rows if len(r) > 1], {(d.edges[i].src, d.edges[i].dst) for i in cells.loose}


def block_layout(keys: list[str], node_attrs: dict[str, dict], edges: list[tuple[int, DrawnEdge, str]],
                 rows: list[list[str]], loose: set[tuple[str, str]], ins: set[str] = frozenset(),
                 outs: set[str] = frozenset(), down: set[tuple[str, str]] = frozenset()) -> tuple[float, float, dict, dict]:
    """One opened cell laid out by dot, bottom to top, the nodes its inputs reach (`ins`) low and those
    its outputs leave (`outs`) high, as cells.py draws one cell: (width, height, {node: (dx, dy, w, h)}
    from the box's centre, {edge index: (points, arrow tip, label position)} from the centre), in points.
    `down`: (src, dst) of edges that point down (the LSTM's c_next → tanh(c) → ×), ranked and routed as dot routes an
    upward edge, then turned round."""
    inside = set(keys)
    dot = graphviz.Digraph(graph_attr=dict(rankdir="BT", nodesep="0.25", ranksep="0.3", newrank="true"),
                           node_attr=dict(fontname="Helvetica", fontsize="10", height="0.3", margin="0.05,0.02"),
                           edge_attr=dict(fontname="Helvetica", fontsize="8"))
    for k in keys:
        dot.node(k, **{a: v for a, v in node_attrs[k].items() if a not in ("pos", "id")})
    for row in rows:
        if set(row) <= inside:
            with dot.subgraph() as same:
                same.attr(rank="same")
                for k in row:
                    same.node(k)
                for a, b in zip(row, row[1:]):  # left to right
                    same.edge(a, b, style="invis")
    for i, e, label in edges:
        if (e.src, e.dst) in down:
            dot.edge(e.dst, e.src, label=label, dir="back")
        else:
            dot.edge(e.src, e.dst, label=label, **({"constraint": "false"} if (e.src, e.dst) in loose else {}))
    for j, k in enumerate(sorted(ins)):  # invisible ends: the inputs come from below, the outputs leave upwards
        dot.node(f"in{j}", "", style="invis", width="0.05", height="0.05")
        dot.edge(f"in{j}", k, style="invis")
    for j, k in enumerate(sorted(outs)):
        dot.node(f"out{j}", "", style="invis", width="0.05", height="0.05")
        dot.edge(k, f"out{j}", style="invis")
    laid = json.loads(dot.pipe(format="json"))
    x0, y0, x1, y1 = (float(v) for v in laid["bb"].split(","))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    nodes = {}
    for o in (o for o in laid.get("objects", []) if "pos" in o and o["name"] in inside):  # not the subgraphs, not the ends
        x, y = (float(v) for v in o["pos"].split(","))
        nodes[o["name"]] = (x - cx, y - cy, float(o["width"]) * 72, float(o["height"]) * 72)
    routes = {}
    names = {o["_gvid"]: o["name"] for o in laid.get("objects", [])}
    waiting: dict[tuple[str, str], list[int]] = defaultdict(list)  # dot lists edges in its own order
    for i, e, _ in edges:
        waiting[(e.dst, e.src) if (e.src, e.dst) in down else (e.src, e.dst)].append(i)
    for le in laid.get("edges", []):
        ends = waiting.get((names[le["tail"]], names[le["head"]]))
        if not ends:
            continue  # an invisible end
        i = ends.pop(0)
        spline = le["pos"].split()
        turned = (names[le["head"]], names[le["tail"]]) in down
        tip = next((p[2:] for p in spline if p.startswith("s," if turned else "e,")), None)
        end = [float(v) for v in tip.split(",")] if tip else None
        pts = [tuple(float(v) for v in p.split(",")) for p in spline if not p.startswith(("e,", "s,"))][::-1 if turned else 1]
        lp = tuple(float(v) for v in le["lp"].split(",")) if "lp" in le else None
        routes[i] = ([(x - cx, y - cy) for x, y in pts], (end[0] - cx, end[1] - cy) if end else None,
                     (lp[0] - cx, lp[1] - cy) if lp else None)
    return x1 - x0, y1 - y0, nodes, routes


@dataclass
class Block:
    w: float
    h: float
    nodes: dict[str, tuple[float, float, float, float]]  # node -> (dx, dy, w, h) from the cell box's centre
    routes: dict[int, tuple]  # edge index -> (points, arrow tip, label position) from the centre


def lay_out_blocks(d: Drawing, blocks: dict[str, list[str]], memory: list[list[str]],
                   loose: set[tuple[str, str]], node_attrs: dict[str, dict], edge_labels: list[str]) -> dict[str, Block]:
    """Each opened cell's inside, laid out as one cell (`block_layout`): one layout for all the cells
    made of the same parts (that of a cell with inputs and outputs on every side), so that the cells
    look alike, their memory lines join straight and their parts line up in columns."""
    at = {k: box for box, keys in blocks.items() for k in keys}
    inner: dict[str, list] = defaultdict(list)
    ends: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))  # the nodes the cell's inputs reach, its outputs leave
    for i, e in enumerate(d.edges):
        if at.get(e.src) is not None and at.get(e.src) == at.get(e.dst):
            inner[at[e.src]].append((i, e, edge_labels[i]))
            continue
        if e.dst in at:
            ends[at[e.dst]][0].add(e.dst)
        if e.src in at:
            ends[at[e.src]][1].add(e.src)
    order = {box: _canonical(d, keys, [e for _, e, _ in inner[box]]) for box, keys in blocks.items()}
    out = {}
    alike: dict[tuple, list[str]] = defaultdict(list)  # the cells of every layer and step, drawn the same
    for b in blocks:
        alike[tuple(node_attrs[k].get("label") for k in order[b])].append(b)
    for row in alike.values():
        rep = max(row, key=lambda b: len(ends[b][0]) + len(ends[b][1]))
        index = {(e.src, e.dst, e.slot): n for n, (_, e, _) in enumerate(inner[rep])}
        same = {b: dict(zip(order[b], order[rep])) for b in row}
        twin = {b: {i: index.get((same[b][e.src], same[b][e.dst], e.slot)) for i, e, _ in inner[b]} for b in row}
        widest = [label for _, _, label in inner[rep]]  # each edge's longest label over the cells: room for every cell's
        for b in row:
            for i, e, label in inner[b]:
                n = twin[b][i]
                if n is not None and _width(label) > _width(widest[n]):
                    widest[n] = label
        rows = lstm_rows(d, order[rep], [e for _, e, _ in inner[rep]], memory)
        down = {(rows[2][1], rows[1][1]), (rows[1][1], rows[3][0])} if rows else set()  # c_next → tanh(c) → ×: downwards
        laid = Block(*block_layout(order[rep], node_attrs, [(i, e, w) for (i, e, _), w in zip(inner[rep], widest)],
                                   rows or memory, loose - down, *ends[rep], down))
        for b in row:
            rep_index = [i for i, _, _ in inner[rep]]
            routes = {i: laid.routes[rep_index[n]] for i, n in twin[b].items() if n is not None and rep_index[n] in laid.routes}
            out[b] = Block(laid.w, laid.h, {k: laid.nodes[same[b][k]] for k in order[b]}, routes)
    return out


def lstm_rows(d: Drawing, keys: list[str], edges: list[DrawnEdge], memory: list[list[str]]) -> list[list[str]]:
    """An opened LSTM cell as the book draws it (figures.md §4), in ranks from the bottom, each left to right: the gates
    σ(f), tanh(g), σ(i), then tanh(c) and σ(o); the products g·i and o·tanh(c) (h_next, leaving to the right); the memory
    line f·c_prev → + (c_next). [] when `keys` is not such a cell."""
    line = next((row for row in memory if set(row) <= set(keys)), None)
    into, out = defaultdict(list), defaultdict(list)
    for e in edges:
        into[e.dst].append(e.src)
        out[e.src].append(e.dst)
    label = lambda k: d.nodes[k].label  # noqa: E731
    try:
        (mul_f,), (plus,) = [k for k in line if label(k) == "×"], [k for k in line if label(k) == "+"]
        (mul_gi,) = [k for k in into[plus] if k != mul_f]
        (tanh_c,) = [k for k in out[plus] if label(k) == "tanh"]
        (mul_o,) = [k for k in out[tanh_c] if label(k) == "×"]
        (sig_o,), (sig_f,) = [k for k in into[mul_o] if k != tanh_c], into[mul_f]
        (tanh_g,), (sig_i,) = [k for k in into[mul_gi] if label(k) == "tanh"], [k for k in into[mul_gi] if label(k) == "σ"]
    except (TypeError, ValueError):
        return []
    return [[sig_f, tanh_g, sig_i, sig_o], [mul_gi, tanh_c], [mul_f, plus], [mul_o]]


def _width(label: str) -> int:
    """The characters of a label's longest line (HTML tags taken out)."""
    return max((len(re.sub(r"<[^>]*>", "", line)) for line in re.split(r"<br/>|\n", label)), default=0)


def _canonical(d: Drawing, keys: list[str], edges: list[DrawnEdge]) -> list[str]:
    """The cell's nodes in an order that puts the same part of every step's cell at the same place:
    by what they are and, three times over, what they read and feed (tanh(g) reads the Affine,
    tanh(c) the +), then by trace order."""
    sig = {k: f"{d.nodes[k].kind}:{d.nodes[k].label}" for k in keys}
    for _ in range(3):
        ins, outs = defaultdict(list), defaultdict(list)
        for e in edges:
            ins[e.dst].append(sig[e.src])
            outs[e.src].append(sig[e.dst])
        sig = {k: hashlib.sha1(repr((sig[k], sorted(ins[k]), sorted(outs[k]))).encode()).hexdigest()[:12] for k in keys}
    number = {k: min((int(m) for x in d.nodes[k].members for m in re.findall(r"\d+", x)[:1]), default=0) for k in keys}
    return sorted(keys, key=lambda k: (sig[k], number[k]))


def inner_positions(blocks: dict[str, Block], pos: dict) -> dict[str, tuple[float, float, float, float]]:
    """The nodes inside each cell, moved into its box on the grid."""
    out = {}
    for box, b in blocks.items():
        cx, cy = pos[box][:2]
        out.update({k: (cx + dx, cy + dy, w, h) for k, (dx, dy, w, h) in b.nodes.items()})
    return out


def inner_routes(blocks: dict[str, Block], pos: dict) -> dict[int, dict]:
    """The edges inside each cell as dot routed them, moved with the cell."""
    out = {}
    for box, b in blocks.items():
        cx, cy = pos[box][:2]
        for i, (pts, end, lp) in b.routes.items():
            spline = " ".join(f"{x + cx:.1f},{y + cy:.1f}" for x, y in pts)
            out[i] = {"pos": (f"e,{end[0] + cx:.1f},{end[1] + cy:.1f} " if end else "") + spline}
            if lp:
                out[i]["lp"] = f"{lp[0] + cx:.1f},{lp[1] + cy:.1f}"
    return out
