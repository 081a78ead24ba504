"""The time grid in points: node positions, edge routes and label positions for `neato -n2`.

Why computed positions and not `dot`: both were tried on the 2-layer LSTM over 35 steps, on the
same contracted drawing (`python benchmarks/time_grid_vs_dot.py` redoes it): `dot` with each row
`rank=same` (newrank) and each column a `group` chained by invisible edges of weight 100 keeps the
cells of a column aligned (0 pt apart), but not the rest of the figure: it reorders the x_t row
(x_33, x_34, x_31, ... from the left), draws the state edges between neighbouring cells as arcs
(one forward, one bending back) and the edges from layer 0 up to layer 1 as loops across the row,
puts h0 of layer 1 in layer 0's row, and has no place for a layer's weights beside its row
(4983 pt wide). The grid computed here puts column t at one x in every row by construction, every
edge is a vertical, horizontal or one-bend route and each label sits beside its own segment
(4135 pt wide, no overlapping labels); Graphviz only draws it (`neato -n2` keeps positions,
splines and label places).
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import graphviz

from .gridattention import heat_label, strip_size
from .gridcells import inner_positions, inner_routes, lay_out_blocks
from .gridleaves import LANE, carried, room_for_leaves, slots_of, under_leaves, weight_order
from .gridnames import word_notes
from .layout import Drawing, DrawnEdge
from .spanlabel import column_label
from .textwidth import label_size
from .timegrid import Grid

NODE_CHAR, NODE_LINE = 5.9, 13.0  # points per character and per line at fontsize 10 (Helvetica)
EDGE_CHAR, EDGE_LINE, EDGE_FONT = 4.6, 10.5, 8.0  # at fontsize 8 (the grid measures its edge labels: textwidth.py)
NOTE = dict(fontsize="9", fontcolor="#566573")
ARROW = 8.0
TAGS = re.compile(r"<[^>]*>")
LABEL_GAP = 10.0  # points between two cells beside the widest label between them
FORK_GAP = 10.0  # points between a forked box (Attention) and the trunk of h_t right of it
CT_PORT = 10.0  # points from a forked box's left side to its output (c_t), labelled right of it over the box


class GridDigraph(graphviz.Digraph):
    """A Digraph whose nodes and edges carry their positions: rendered by `neato -n2`."""
    neato_no_op = 2  # keep the given positions and edge routes

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("neato_no_op", self.neato_no_op)
        return super().pipe(*args, **kwargs)


def text_size(label: str, char: float, line: float) -> tuple[float, float]:
    """Estimated (width, height) in points of a plain or Graphviz HTML label."""
    if label.startswith("<"):
        from html import unescape
        lines = [unescape(TAGS.sub("", x)) for x in label[1:-1].split("<br/>")]
    else:
        lines = label.split("\n")
    lines = [x for x in lines if x] or [""]
    return max(len(x) for x in lines) * char, len(lines) * line if any(lines) else 0.0


def _node_size(attrs: dict) -> tuple[float, float]:
    if attrs.get("shape") == "point":
        return 8.0, 8.0
    if attrs.get("fixedsize") == "true":  # sized by its maker (a label of several font sizes)
        return float(attrs["width"]) * 72, float(attrs["height"]) * 72
    if "<table" in str(attrs.get("label", "")):  # an Attention box with its heat strip
        text = TAGS.sub("\n", str(attrs["label"]).split("</td>")[0])
        (tw, th), cells = text_size(text, NODE_CHAR, NODE_LINE), str(attrs["label"]).count("<td width")
        sw, sh = strip_size(range(cells))
        return max(tw, sw) + 16, th + sh + 10
    w, h = text_size(str(attrs.get("label", "")), NODE_CHAR, NODE_LINE)
    w, h = max(40.0, w + 16), max(26.0, h + 10, float(attrs.get("height", 0)) * 72)  # a given height is a minimum
    if attrs.get("shape") in ("circle", "doubleoctagon", "ellipse"):
        w, h = (max(w, h),) * 2 if attrs.get("shape") == "circle" else (w + 16, h + 8)
    return w, h


def _bezier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        out += [(x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3), (x0 + 2 * (x1 - x0) / 3, y0 + 2 * (y1 - y0) / 3), (x1, y1)]
    return out


def edge_pos(points: list[tuple[float, float]]) -> str:
    """Graphviz's edge `pos`: the arrow tip, then the spline (shortened by the arrow's length)."""
    (xa, ya), (xb, yb) = points[-2], points[-1]
    length = max(((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5, 1e-6)
    cut = min(ARROW, length * 0.5)
    end = (xb - (xb - xa) * cut / length, yb - (yb - ya) * cut / length)
    spline = _bezier(points[:-1] + [end])
    return f"e,{xb:.1f},{yb:.1f} " + " ".join(f"{x:.1f},{y:.1f}" for x, y in spline)


def place(d: Drawing, g: Grid, node_attrs: dict[str, dict], edge_labels: list[str]) -> tuple[dict[str, dict], list[dict], list[tuple]]:
    """Positions for the drawn nodes and routes for the edges: ({key: attrs}, [edge attrs], notes),
    notes being (key, label, x, y, attrs) of plain texts to add (the "shared by t = 0…T−1" of each frame,
    a language model's words)."""
    node_attrs = {k: dict(a, label=heat_label(a["label"], g.heat[k])) if k in g.heat else a for k, a in node_attrs.items()}
    size = {k: _node_size(a) for k, a in node_attrs.items()}
    blocks = lay_out_blocks(d, g.blocks, g.memory, g.loose, node_attrs, edge_labels)  # opened cells: a box each
    size.update({box: (b.w, b.h) for box, b in blocks.items()})
    at = {k: box for box, keys in g.blocks.items() for k in keys}
    ranks = dict(g.rank, **{k: g.rank[box] for k, box in at.items()})
    inner = {i for i, e in enumerate(d.edges) if at.get(e.src) is not None and at.get(e.src) == at.get(e.dst)}
    forked = {box for _, box in g.forks}  # beside their column's trunk, not in its lanes
    single = [k for k in g.rank if k not in g.frames and k not in forked and g.span.get(k, (0, 1))[0] == g.span.get(k, (0, 1))[1]]
    cw = max([size[k][0] for k in single] or [60.0])
    nh = max([size[k][1] for k in g.rank if k not in g.frames] or [30.0])
    row_h: dict[int, float] = defaultdict(lambda: 26.0)  # the tallest node of each row (an opened cell's row is tall)
    for k, r in g.rank.items():
        if k not in g.frames:
            row_h[r] = max(row_h[r], size[k][1])
    lab = [label_size(t, EDGE_FONT, EDGE_LINE) for t in edge_labels]
    rank_of = lambda k: ranks.get(k, g.side.get(k, (None,))[0])  # noqa: E731
    flat = [i for i, e in enumerate(d.edges) if e.src in ranks and rank_of(e.src) == rank_of(e.dst) and i not in inner]
    vertical = [i for i, e in enumerate(d.edges) if i not in flat and i not in inner]
    hl = max([lab[i][0] for i in flat] or [0.0])
    wide = lambda k: g.span.get(k, (0, 0))[0] != g.span.get(k, (0, 0))[1]  # noqa: E731 (a box spanning the columns)
    vl = max([lab[i][0] for i in vertical if d.edges[i].src not in g.side  # (between two wide boxes: one label, mid-row)
              and not (wide(d.edges[i].src) and wide(d.edges[i].dst))] or [0.0])
    beside = defaultdict(float)  # (row, column) -> its widest node: two neighbours leave room for the label between them
    for k in single:
        beside[(g.rank[k], g.span[k][0])] = max(beside[(g.rank[k], g.span[k][0])], size[k][0])
    pairs = {c + 1: (w + beside[(r, c + 1)]) / 2 for (r, c), w in list(beside.items()) if (r, c + 1) in beside}
    pair = sorted(pairs.values())[len(pairs) // 2] if pairs else cw  # the usual pair; a wider one (padding) moves its column
    pitch = max(vl + 18, pair + hl + LABEL_GAP, cw + 30)
    if blocks:  # between two opened cells, h goes down to the next Affine: its label beside that line
        pitch = max(pitch, cw + 2 * hl + 30)
    fork_gap = FORK_GAP
    if forked:  # the box left of the trunk, far enough that c_t's label (up from the box's left end) ends before the trunk
        box, ct = max(size[k][0] for k in forked), max(lab[i][0] for i, e in enumerate(d.edges) if e.src in forked)
        fork_gap = max(FORK_GAP, CT_PORT + 5 + ct + 6 - box)
        pitch = max(pitch, box + fork_gap + 12)
    out_label = defaultdict(lambda: (0.0, 0.0))  # a leaf's widest and tallest edge label: the room its edges need
    for i, e in enumerate(d.edges):
        if e.src in g.side:
            out_label[e.src] = (max(out_label[e.src][0], lab[i][0]), max(out_label[e.src][1], lab[i][1]))
    tall = {k: max(size[k][1], out_label[k][1] + 4) + 6 for k in g.side}
    shift = room_for_leaves(d, g, size, lab, cw, pitch)
    for c, p in pairs.items():
        shift[c] = max(shift.get(c, 0.0), p + hl + LABEL_GAP - pitch)
    X = lambda c: c * pitch + sum(v for k, v in shift.items() if k <= c)  # noqa: E731
    below = {(r, lo): 11.0 * (d.nodes[f].label.count("\n") + 1) + 10 for f, (r, lo, _) in g.frames.items()}  # a frame's note
    lanes = {k: 2 * LANE if carried(d, g, *k) else 0.0 for k in slots_of(d, g)}  # LANE under a decoder's leaves (and over)
    Y = _heights(d, ranks, lab, nh, {k: sum(tall[x] for x in keys[-g.stack:]) + below.get(k, 0.0) + lanes[k]
                                     for k, keys in slots_of(d, g).items()}, inner, row_h)

    pos: dict[str, tuple[float, float, float, float]] = {}  # key -> (x, y, w, h)
    for k, r in g.rank.items():
        if k in g.frames:
            continue
        lo, hi = g.span[k]
        w, h = size[k]
        if lo != hi and d.nodes[k].kind not in ("output",):
            w = X(hi) - X(lo) + cw
        pos[k] = ((X(lo) + X(hi)) / 2 - (w / 2 + fork_gap if k in forked else 0), Y(r), w, h)
    for k in [k for k in pos if g.span[k][0] != g.span[k][1] and d.nodes[k].kind != "output"]:  # over the Attention boxes
        x, y, w, h = pos[k]  # left of its first column too (the Affine of [c_t, h_t]: its weights come in left of them)
        left = min([pos[b][0] - pos[b][2] / 2 - 6 for b in forked if g.span[b][0] == g.span[k][0] and g.rank[b] < g.rank[k]],
                   default=x - w / 2)
        pos[k] = ((left + x + w / 2) / 2, y, x + w / 2 - left, h)

    pos.update(inner_positions(blocks, pos))

    # leaves left of their row: inputs (h0, c0) nearest, in stacks of two; the frame; then the weights
    notes = []
    slots = slots_of(d, g)
    frame_left: dict[tuple[int, int], float] = {}
    for (r, first), keys in slots.items():
        right = min([pos[k][0] - pos[k][2] / 2 for k in g.rank if k in pos and g.rank[k] == r and g.span[k][0] == first],
                    default=X(first) - cw / 2) - 12
        inputs = [k for k in keys if d.nodes[k].kind != "param"]
        params = [k for k in keys if d.nodes[k].kind == "param"]
        for group, per in ((inputs, 2), (params, g.stack)):
            if not group:
                continue
            right -= max(out_label[k][0] for k in group) + 14
            for j in range(0, len(group), per):
                part = group[j:j + per]
                w = max(size[k][0] for k in part)
                heights = [tall[k] for k in part]
                top = Y(r) + (sum(heights) + (below.get((r, first), 0.0) if group is params else 0.0)) / 2  # the note under them
                for k, h in zip(part, heights):
                    pos[k] = (right - size[k][0] / 2, top - h + size[k][1] / 2 + 3, *size[k])  # right-aligned, label above
                    top -= h
                right -= w + 16
            if group is inputs:
                frame_left[(r, first)] = right + 8
                right -= 4
    for f, (r, lo, hi) in g.frames.items():
        left = frame_left.get((r, lo), X(lo) - cw / 2 - 12)
        right = X(hi) + cw / 2 + 12
        states = max([lab[i][1] for i in flat if rank_of(d.edges[i].src) == r] or [0.0])  # their labels inside the frame
        pos[f] = ((left + right) / 2, Y(r), right - left, max(row_h[r] + 22, row_h[r] / 3 + 2 * states + 14))
        weights = [k for k in slots.get((r, lo), []) if d.nodes[k].kind == "param"]
        if weights:
            xs = [pos[k][0] for k in weights]
            bottom = min(pos[k][1] - pos[k][3] / 2 for k in weights)
            label = d.nodes[f].label
            notes.append((f + "_note", label, (min(xs) + max(xs)) / 2, bottom - 10 - 5.5 * label.count("\n"), NOTE))
    notes += word_notes(d, g.span, pos, X)

    nodes = {}
    for k, attrs in node_attrs.items():
        if k not in pos:
            continue
        x, y, w, h = pos[k]
        a = dict(attrs, pos=f"{x:.1f},{y:.1f}!", width=f"{w / 72:.3f}", height=f"{h / 72:.3f}", fixedsize="true")
        if k in g.frames:
            a.update(shape="box", style="rounded,dashed", color="#aab7b8", label="", fillcolor="none")
        elif g.span.get(k, (0, 0))[0] != g.span.get(k, (0, 0))[1] and a.get("shape") in ("circle", "point"):
            a["shape"] = "box"
        lo, hi = g.span.get(k, (0, 0))
        if lo != hi and (d.nodes[k].kind == "group" or k in g.bundles):  # a layer's name (and hs) at every column it spans, not
            # an op's (one Σ over all the columns)
            a["label"] = column_label(str(a.get("label", "")), x - w / 2, w, h, [X(c) for c in range(lo, hi + 1)]) or a.get("label", "")
        nodes[k] = a
    first_gap = {k: Y(r + 1) - row_h[r + 1] / 2 for k, r in ranks.items() if r + 1 <= max(g.rank.values())}
    routes = _routes(d, g, pos, lab, first_gap, at, below)
    for i, r in inner_routes(blocks, pos).items():
        routes[i] = r
    edges = [dict(r, label=t) if r else r for r, t in zip(routes, edge_labels)]
    return nodes, edges, notes


def _heights(d: Drawing, ranks: dict[str, int], lab: list, nh: float, stacks: dict[tuple[int, int], float], inner: set[int],
             row_h: dict[int, float]):
    """y of each row: a gap holds the labels of the vertical edges leaving the row below (they sit
    in it), the labels above that row's state edges and below the next row's, and the leaves'
    stacks of both rows (the edges inside an opened cell, `inner`, are the cell's)."""
    top = max(ranks.values(), default=0)
    flat, vertical = defaultdict(float), defaultdict(float)
    for i, e in enumerate(d.edges):
        if e.src not in ranks or e.dst not in ranks or i in inner:
            continue
        a, b = ranks[e.src], ranks[e.dst]
        if a == b:
            flat[a] = max(flat[a], lab[i][1])
        else:
            vertical[min(a, b)] = max(vertical[min(a, b)], lab[i][1])
    stack = defaultdict(float)
    for (r, _), h in stacks.items():
        stack[r] = max(stack[r], h)
    ys = [0.0]
    for r in range(top):
        nodes = min(nh, (row_h[r] + row_h[r + 1]) / 2 + 6)  # rows of one height keep the old spacing
        gap = max(nodes + flat[r] + vertical[r] + flat[r + 1] + 30, (stack[r] + stack[r + 1]) / 2 + 12)
        ys.append(ys[-1] + gap)
    return lambda r: ys[r]


def _state_order(d: Drawing, e: DrawnEdge) -> tuple:
    """The LSTM's c goes on the upper lane, h below it: c0 before h0, and in a step c is made before h."""
    if d.nodes[e.src].kind == "input":
        return (0, weight_order(d.nodes[e.src].label))
    nums = [int(m) for s in e.sources for m in re.findall(r"\d+", s)[:1]]
    return (1, min(nums) if nums else 0)


def _rightmost(k: str, at: dict[str, str], pos: dict) -> bool:
    """True when no other node of k's opened cell is right of k at its height (h_next can leave to the right)."""
    x, y, w, h = pos[k]
    return not any(o != k and at.get(o) == at[k] and pos[o][0] > x and abs(pos[o][1] - y) < (h + pos[o][3]) / 2 for o in at)


def _routes(d: Drawing, g: Grid, pos: dict, lab: list[tuple[float, float]], first_gap: dict[str, float],
            at: dict[str, str], notes: dict[tuple[int, int], float]) -> list[dict]:
    west: dict[str, list[int]] = defaultdict(list)
    below: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(d.edges):
        if e.src not in pos or e.dst not in pos or (e.src in at and at[e.src] == at.get(e.dst)):
            continue  # (an edge inside an opened cell: dot routed it)
        if pos[e.src][1] == pos[e.dst][1] or e.src in g.side:
            west[e.dst].append(i)
        else:
            below[e.dst].append(i)
    lane: dict[int, tuple[int, int]] = {}
    for k, idx in west.items():
        idx.sort(key=lambda i: (d.nodes[d.edges[i].src].kind == "param", _state_order(d, d.edges[i]),
                                -pos[d.edges[i].src][1]))
        for j, i in enumerate(idx):
            lane[i] = (j, len(idx))
    spans = lambda k: g.span.get(k, (0, 0))[0] != g.span.get(k, (0, 0))[1]  # noqa: E731
    forked = {box for _, box in g.forks}
    port: dict[int, float] = {}
    for k, idx in below.items():
        if spans(k):
            continue  # into a box spanning the columns: straight up from each source's column
        idx.sort(key=lambda i: pos[d.edges[i].src][0])
        x, _, w, _ = pos[k]
        for j, i in enumerate(idx):
            port[i] = x + (j - (len(idx) - 1) / 2) * min(w / (len(idx) + 1), 40.0)
    out = []
    seen_side: dict[str, int] = defaultdict(int)
    for i, e in enumerate(d.edges):
        if e.src not in pos or e.dst not in pos:
            out.append(None)
            continue
        xs, ys, ws, hs = pos[e.src]
        xd, yd, wd, hd = pos[e.dst]
        lw, lh = lab[i]
        if e.src in g.bundles:  # hs: a bus from its right end, up into each step's box
            pts = [(xs + ws / 2, ys), (xd, ys), (xd, yd - hd / 2)]
            lp = (xs + ws / 2 + 6 + lw / 2, ys + 3 + lh / 2)
        elif e.src in at and e.dst in at and at[e.src] != at[e.dst] and g.rank[at[e.src]] == g.rank[at[e.dst]] and abs(ys - yd) > 1:
            box = pos[at[e.src]]
            xg = (box[0] + box[2] / 2 + pos[at[e.dst]][0] - pos[at[e.dst]][2] / 2) / 2
            if _rightmost(e.src, at, pos):  # h_next out to the right (the book's LSTM), down to the next cell's Affine
                pts = [(xs + ws / 2, ys), (xg, ys), (xg, yd), (xd - wd / 2, yd)]
                lp = (xg + 4 + lw / 2, (ys + yd) / 2)
            else:  # over its cell
                top = box[1] + box[3] / 2 + 8
                pts = [(xs, ys + hs / 2), (xs, top), (xg, top), (xg, yd), (xd - wd / 2, yd)]
                lp = (xg + 4 + lw / 2, (top + yd) / 2)
        elif (e.src, e.dst) in g.forks:  # h_t: up its trunk, then into the box's right side
            pts = [(xs, ys + hs / 2), (xs, yd), (xd + wd / 2, yd)]
            lp = (xs + 5 + lw / 2, yd + 3 + lh / 2)
        elif i in lane:
            j, n = lane[i]
            y = yd + hd / 2 - (j + 1) * hd / (n + 1) if n > 1 else yd
            if d.nodes[e.dst].kind == "frame":
                y = min(max(ys, yd - hd / 2 + 6), yd + hd / 2 - 6)
            if e.src in g.side and e.dst in at:  # c_prev, h_prev into the first opened cell: its memory line, its Affine
                xa = xs + ws / 2 + (lw + 10 if yd > ys else 10)  # up beyond the label over the leaf's edge
                pts = [(xs + ws / 2, ys), (xa, ys), (xa, yd), (xd - wd / 2, yd)]
                lp = (xs + ws / 2 + 4 + lw / 2, ys + 3 + lh / 2)
            elif e.src in g.side:  # a leaf read by two rows (a tied embedding): its second label under the first
                pts = [(xs + ws / 2, ys), (xd - wd / 2, y)]
                lp = (xs + ws / 2 + 4 + lw / 2, ys + 3 + lh / 2 - (lh + 4) * seen_side[e.src])
                seen_side[e.src] += 1
            else:
                pts = [(xs + ws / 2, y), (xd - wd / 2, y)]
                above = j == 0 or n == 1
                lp = ((xs + ws / 2 + xd - wd / 2) / 2, y + (3 + lh / 2) * (1 if above else -1))
                if xd - wd / 2 - (xs + ws / 2) > 2 * lw + 60:  # a long way (encoder to decoder): by its start, before the leaves
                    lp = (xs + ws / 2 + 6 + lw / 2, lp[1])
                    cell = at.get(e.dst, e.dst)  # (an opened cell's inner node: its cell's row)
                    row = (g.rank[cell], g.span[cell][0])
                    leaves = [pos[k] for k, (r, _, _) in g.side.items() if xs < pos[k][0] < xd and r == row[0]]
                    pts = under_leaves(pts, leaves, notes.get(row, 0.0))
        else:
            up = yd > ys
            x1 = port.get(i, xd)
            x0 = x1 if spans(e.src) and not spans(e.dst) else xs - ws / 2 + CT_PORT if e.src in forked else xs
            if spans(e.dst) and not spans(e.src):
                x1 = x0
            y0 = ys + (hs / 2 if up else -hs / 2)
            y1 = yd - (hd / 2 if up else -hd / 2)
            out_of = []  # h_next up out of an opened cell: out to the right first, then up beside the cell
            if up and e.src in at and _rightmost(e.src, at, pos):
                box = pos[at[e.src]]
                out_of, x0, y0 = [(xs + ws / 2, ys)], box[0] + box[2] / 2 + 6, ys
                x1 = min(x0, xd + wd / 2 - 10) if spans(e.dst) else x1  # (into a box spanning the columns: under its end)
            if abs(x0 - x1) < 1:
                pts = out_of + [(x0, y0), (x1, y1)]
                gap_end = first_gap.get(e.src, y1) if up else y1  # the label sits in the gap just above its source (cell)
                low = pos[at[e.src]][1] + pos[at[e.src]][3] / 2 if out_of else y0
                lp = (x0 + 5 + lw / 2, (low + (min(y1, gap_end) if up else y1)) / 2)
            else:
                ymid = y1 - (lh + 10 if up else -(lh + 10))
                pts = out_of + [(x0, y0), (x0, ymid), (x1, ymid), (x1, y1)]
                lp = (x1 + 5 + lw / 2, (ymid + y1) / 2)
        out.append((pts, lp, i not in lane))
    verticals = [(i, a[0], min(a[1], b[1]), max(a[1], b[1])) for i, r in enumerate(out) if r
                 for a, b in zip(r[0], r[0][1:]) if abs(a[0] - b[0]) < 1]
    routes = []
    for i, r in enumerate(out):
        if not r:
            routes.append({})
            continue
        pts, lp, movable = r
        lw, lh = lab[i]
        for _ in range(3 if movable else 0):  # right of the other edges' vertical lines it would sit on (hs's bundle)
            hit = [x for j, x, lo, hi in verticals if j != i and lo < lp[1] + lh / 2 and hi > lp[1] - lh / 2
                   and lp[0] - lw / 2 - 3 < x < lp[0] + lw / 2]
            if not hit:
                break
            lp = (max(hit) + 5 + lw / 2, lp[1])
        routes.append({"pos": edge_pos(pts), **({"lp": f"{lp[0]:.1f},{lp[1]:.1f}"} if lw else {})})
    return routes
