"""The rolled view's edges that the time grid's placer (place.py) does not route, and the moves that
make room for them. Coordinates are Graphviz points, y upwards.

- a state: a self-loop on the right side of its box (c above h), its label right of it;
- the columns packed: a decoder column as near its encoder as their labels allow;
- the edges between columns leave the encoder's box at its top and run in the gap above its row:
  the last h into the decoder's box (from its left, where an h0 would come in), hs over it into
  Attention; room is opened above the row when the gap is too low for their labels;
- an edge past a box of its column (the decoder's h_t into Affine, past Attention) forks off the
  straight trunk of its twin (h_t into Attention, which alone is labelled) under that box and goes
  round it on the right, right of the labels beside it, into the reader's right side.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np

from .layout import Drawing, DrawnEdge
from .place import EDGE_CHAR, EDGE_LINE, edge_pos, text_size
from .timegrid import Grid

LOOP_OUT, LOOP_ROOM, MARGIN = 18.0, 5.0, 12.0  # points: a loop's reach, loop to label, between columns
LOOP_NAME = 24.0  # points: h<sub>t−1</sub> in 11 pt bold
NOTE_CHAR, NOTE_LINE = 5.0, 11.0  # points per character and per line of a note (fontsize 9)
Box = tuple[float, float, float, float]  # x, y (centre), width, height


def is_loop(e: DrawnEdge) -> bool:
    return e.src == e.dst


def box_of(attrs: dict) -> Box:
    """(x, y, width, height) in points of a placed node's attributes."""
    x, y = (float(v) for v in attrs["pos"].rstrip("!").split(","))
    return x, y, float(attrs["width"]) * 72, float(attrs["height"]) * 72


def route(points: list[tuple[float, float]], label: str = "", at: tuple[float, float] | None = None) -> dict:
    """Graphviz attributes of an edge drawn along `points`, its label centred at `at`."""
    return {"pos": edge_pos(points), **({"lp": f"{at[0]:.1f},{at[1]:.1f}"} if label and at else {})}


def label_box(r: dict, label: str) -> Box | None:
    if "lp" not in r:
        return None
    x, y = (float(v) for v in r["lp"].split(","))
    return (x, y, *loop_label_size(label))


def loops(d: Drawing, nodes: dict[str, dict], routes: list[dict], labels: list[str]) -> None:
    """Each state of a rolled box a loop on its right side, c above h; the layer's frame widened over their labels."""
    mine: dict[str, list[int]] = {}
    for i, e in enumerate(d.edges):
        if e.src == e.dst:
            mine.setdefault(e.src, []).append(i)
    for key, idx in mine.items():
        idx.sort(key=lambda i: not d.edges[i].name.startswith("c"))
        x, y, w, h = box_of(nodes[key])
        xr, n = x + w / 2, len(idx)
        for j, i in enumerate(idx):
            top, bottom = y + h / 2 - h * (2 * j + 0.4) / (2 * n), y + h / 2 - h * (2 * j + 1.6) / (2 * n)
            lw, lh = loop_label_size(labels[i])
            ly = y if n == 1 else (y + 1 + lh / 2 if j == 0 else y - 1 - lh / 2)
            routes[i] = route([(xr, top), (xr + LOOP_OUT, top), (xr + LOOP_OUT, bottom), (xr, bottom)], labels[i],
                              (xr + LOOP_OUT + LOOP_ROOM + lw / 2, ly))
            frame = f"frame_{key}"
            if frame in nodes:
                fx, fy, fw, fh = box_of(nodes[frame])
                right = max(fx + fw / 2, xr + LOOP_OUT + 2 * LOOP_ROOM + lw)
                nodes[frame].update(pos=f"{(fx - fw / 2 + right) / 2:.1f},{fy:.1f}!", width=f"{(right - fx + fw / 2) / 72:.3f}")


def loop_label_size(label: str) -> tuple[float, float]:
    """A loop's label is a table: its name (11 pt) left of its numbers (value over gradient)."""
    if "</TD><TD>" not in label:
        return text_size(label, EDGE_CHAR, EDGE_LINE)
    w, h = text_size("<" + label.split("</TD><TD>")[1].split("</TD>")[0] + ">", EDGE_CHAR, EDGE_LINE)
    return w + LOOP_NAME, h


def move(nodes: dict[str, dict], routes: list[dict], notes: list[tuple], pick: Callable[[float, float], bool],
         dx: float = 0.0, dy: float = 0.0, keys: set[str] | None = None, edges: set[int] | None = None) -> None:
    """Shift by (dx, dy) the nodes (of `keys`), route points (of `edges`), labels and notes at a place where pick(x, y)."""
    for k, a in nodes.items():
        x, y, _, _ = box_of(a)
        if (keys is None or k in keys) and pick(x, y):
            a["pos"] = f"{x + dx:.1f},{y + dy:.1f}!"
    for i, r in enumerate(routes):
        if not r or (edges is not None and i not in edges):
            continue
        parts = []
        for p in r["pos"].split():
            head, xy = (p[:2], p[2:]) if p.startswith("e,") else ("", p)
            x, y = (float(v) for v in xy.split(","))
            parts.append(head + (f"{x + dx:.1f},{y + dy:.1f}" if pick(x, y) else xy))
        r["pos"] = " ".join(parts)
        if "lp" in r:
            x, y = (float(v) for v in r["lp"].split(","))
            if pick(x, y):
                r["lp"] = f"{x + dx:.1f},{y + dy:.1f}"
    for j, (k, text, x, y, attrs) in enumerate(notes):
        if (keys is None or k.rsplit("_note", 1)[0] in keys) and pick(x, y):
            notes[j] = (k, text, x + dx, y + dy, attrs)


def extent(boxes: list[Box]) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of boxes."""
    return (min(b[0] - b[2] / 2 for b in boxes), min(b[1] - b[3] / 2 for b in boxes),
            max(b[0] + b[2] / 2 for b in boxes), max(b[1] + b[3] / 2 for b in boxes))


def pack(d: Drawing, column: dict[str, int], nodes: dict, routes: list[dict], notes: list, labels: list[str],
         wide: set[str] = frozenset()) -> None:
    """Each column after the first moved left, MARGIN right of everything drawn in the columns before it (the `wide`
    frames, round both directions of a layer, set round them afterwards)."""
    def drawn(cols: Callable[[int], bool]) -> list[Box]:
        boxes = [box_of(a) for k, a in nodes.items() if cols(column[k]) and k not in wide]
        boxes += [b for i, e in enumerate(d.edges) if cols(column[e.src]) and cols(column[e.dst])
                  for b in [label_box(routes[i], labels[i])] if b]
        return boxes + [(x, y, *text_size(text, NOTE_CHAR, NOTE_LINE)) for k, text, x, y, _ in notes
                        if cols(column.get(k.rsplit("_note", 1)[0], 0))]
    for c in range(1, max(column.values(), default=0) + 1):
        before, after = drawn(lambda x: x < c), drawn(lambda x: x >= c)
        dx = max((a[0] + a[2] / 2 + MARGIN - (b[0] - b[2] / 2) for a in before for b in after
                  if abs(a[1] - b[1]) < (a[3] + b[3]) / 2 + 4), default=0.0)  # as far left as nothing beside it overlaps
        if dx < 0:
            keys = {k for k in nodes if column[k] >= c}
            move(nodes, routes, notes, lambda x, y: True, dx=dx, keys=keys,
                 edges={i for i, e in enumerate(d.edges) if e.src in keys and e.dst in keys})


def between_columns(d: Drawing, g: Grid, column: dict[str, int], nodes: dict, routes: list[dict], notes: list,
                     labels: list[str]) -> None:
    """The encoder's last h and its hs, from the top of its box through the gap above its row (opened
    when too low): h into the decoder's box from its left, hs over it into Attention's bottom."""
    for i, e in enumerate(d.edges):
        if d.nodes[e.dst].kind == "output" and column[e.src] != column[e.dst]:  # the loss to L beside it
            (xs, ys, ws, _), (xd, yd, wd, _) = box_of(nodes[e.src]), box_of(nodes[e.dst])
            lw, lh = text_size(labels[i], EDGE_CHAR, EDGE_LINE)
            if xd - wd / 2 < xs + ws / 2 + lw + 16:  # room for its label
                move(nodes, routes, [], lambda x, y: True, dx=xs + ws / 2 + lw + 16 - xd + wd / 2, keys={e.dst}, edges=set())
                xd = box_of(nodes[e.dst])[0]
            routes[i] = route([(xs + ws / 2, ys), (xd - wd / 2, ys)], labels[i], ((xs + ws / 2 + xd - wd / 2) / 2, ys + 3 + lh / 2))
    cross = sorted((i for i, e in enumerate(d.edges) if not is_loop(e) and column[e.src] != column[e.dst]
                    and d.nodes[e.dst].kind != "output" and e.src not in g.side),
                   key=lambda i: g.rank[d.edges[i].dst])  # the last h (same row) below hs (to a higher row)
    for i in [i for i in cross if d.nodes[d.edges[i].src].kind != "rolled"]:  # x into a reverse box: from the side of
        (xs, ys, ws, _), (xd, yd, wd, hd) = box_of(nodes[d.edges[i].src]), box_of(nodes[d.edges[i].dst])  # the box below
        lw, lh = text_size(labels[i], EDGE_CHAR, EDGE_LINE)
        routes[i] = route([(xs + ws / 2, ys), (xd - wd / 4, ys), (xd - wd / 4, yd - hd / 2)], labels[i], ((xs + ws / 2 + xd - wd / 4) / 2, ys + 3 + lh / 2))
        cross.remove(i)
    joined = {i: j for i in cross for j in cross if not labels[i] and labels[j] and d.edges[i].dst == d.edges[j].dst
              and d.edges[i].src != d.edges[j].src}  # a bidirectional layer's reverse half: along its forward half's edge
    cross = [i for i in cross if i not in joined]
    lanes_at: dict[int, list[tuple[float, float]]] = {}  # edge -> the points of its route
    for src in dict.fromkeys(d.edges[i].src for i in cross):
        mine = [i for i in cross if d.edges[i].src == src]
        along = [i for i in mine if not labels[i] and g.rank[d.edges[i].dst] > g.rank[src]]  # a peeky h into Affine
        mine = [i for i in mine if i not in along]
        r = g.rank[src]
        row = [box_of(a) for k, a in nodes.items() if (g.rank.get(k) if k in g.rank else g.side.get(k, (None,))[0]) == r]
        row += [b for i, e in enumerate(d.edges) if e.src in g.side and g.side[e.src][0] == r or is_loop(e) and g.rank[e.src] == r
                for b in [label_box(routes[i], labels[i])] if b]
        above = [box_of(a) for k, a in nodes.items() if (g.rank.get(k) if k in g.rank else g.side.get(k, (-1,))[0]) > r]
        above += [(x, y, *text_size(text, NOTE_CHAR, NOTE_LINE)) for k, text, x, y, _ in notes
                  if g.rank.get(k.rsplit("_note", 1)[0], -1) > r]  # a layer's "shared by t" under its weights
        top = extent(row)[3] + 10
        above += [b for i, e in enumerate(d.edges) if not is_loop(e) for b in [label_box(routes[i], labels[i])] if b and b[1] > top]
        xs, ys, ws, hs = box_of(nodes[src])
        lanes: list[tuple[float, bool]] = []  # each lane's height over the row, and whether its label is under it
        y, label_top, label_right = 0.0, 0.0, None  # the lanes' top so far; the last label above its lane, its right end
        left = extent([box_of(a) for a in nodes.values()])[0]
        x0 = xs + ws / 4  # where the last h leaves the box: its label left of it when the figure has room there
        first = {i: x0 - 6 - text_size(labels[i], EDGE_CHAR, EDGE_LINE)[0] >= left for i in mine}
        for i in mine:
            lw, lh = text_size(labels[i], EDGE_CHAR, EDGE_LINE)
            xd, _, wd, _ = box_of(nodes[d.edges[i].dst])
            if lanes and label_right is not None and xd - wd / 4 - 8 - lw > label_right + 8:  # hs: label under it, right of the h's
                y = max(label_top + 3, lanes[-1][0] + lh + 6)
                lanes.append((y, True))
                label_right = None
            else:
                lanes.append((label_top + 9 if lanes else 0.0, False))
                label_top = lanes[-1][0] + 3 + lh
                label_right = (x0 - 6 if first[i] else x0 + 6 + lw) if g.rank[d.edges[i].dst] == r else None
                y = label_top
        need = top + y - (extent(above)[1] - 6 if above else top + y)
        if need:  # all above the row moves up (or down), from just under the lowest box there (with the arrowheads into it)
            floor = extent(above)[1] - 10
            move(nodes, routes, notes, lambda x, y: y > floor, dy=need)
        for i, (dy, under) in zip(mine, lanes):
            y = top + dy
            xd, yd, wd, hd = box_of(nodes[d.edges[i].dst])
            lw, lh = text_size(labels[i], EDGE_CHAR, EDGE_LINE)
            if g.rank[d.edges[i].dst] == r:  # the last h: in where an h0 would come in, at the lane place() gave it
                x0, x1 = xs + ws / 4, xd - wd / 2 - 18  # left of the steps of the weights' edges into the box
                lane = float(routes[i]["pos"].split()[0][2:].split(",")[1]) if routes[i] else yd
                pts = [(x0, ys + hs / 2), (x0, y), (x1, y), (x1, lane), (xd - wd / 2, lane)]
                at = (x0 - 6 - lw / 2 if first[i] else x0 + 6 + lw / 2, y + 3 + lh / 2)
            else:
                x1 = xd - wd / 4
                pts = [(xs, ys + hs / 2), (xs, y), (x1, y), (x1, yd - hd / 2)]
                at = (x1 - 8 - lw / 2, y - 3 - lh / 2 if under else y + 3 + lh / 2)
            routes[i], lanes_at[i] = route(pts, labels[i], at), pts
            if g.rank[d.edges[i].dst] == r:  # the same h on to the readers above: from where it turns down into the cell
                for j in along:
                    xa, ya, wa, ha = box_of(nodes[d.edges[j].dst])
                    routes[j] = route(pts[:2] + [(xa - wa / 4, y), (xa - wa / 4, ya - ha / 2)])
    for i, j in joined.items():  # up from its box to the other's lane, then along it
        xs, ys, ws, hs = box_of(nodes[d.edges[i].src])
        routes[i] = route([(xs, ys + hs / 2), (xs, lanes_at[j][1][1])] + lanes_at[j][2:])


def past_boxes(d: Drawing, g: Grid, column: dict[str, int], nodes: dict, routes: list[dict], labels: list[str]) -> None:
    """An edge past a box of its column (the decoder's h_t into Affine, past Attention) forks off its twin, the edge
    from the same source into that box, which carries the one label: both go straight up one trunk from the source;
    under the box the fork turns right, goes up right of everything beside the box and into the reader's right side."""
    for i, e in enumerate(d.edges):
        if is_loop(e) or column[e.src] != column[e.dst] or e.src not in g.rank or e.dst not in g.rank:
            continue
        lo, hi = g.rank[e.src], g.rank[e.dst]
        between = [k for k in g.rank if column[k] == column[e.src] and lo < g.rank[k] < hi and k not in g.frames]
        if not between:
            continue
        xs, ys, ws, hs = box_of(nodes[e.src])
        xd, yd, wd, hd = box_of(nodes[e.dst])
        first = min((box_of(nodes[k]) for k in between), key=lambda b: b[1])
        y_fork, x_trunk = first[1] - first[3] / 2 - 8, xs
        twin = next((j for j, x in enumerate(d.edges) if j != i and x.src == e.src and x.dst in between and routes[j]), None)
        if twin is not None:  # straight up from the source into the box, its label right of it, the fork above the label
            tip = _points(routes[twin]["pos"])[0]
            x_trunk = min(max(tip[0], xs - ws / 2 + 6), xs + ws / 2 - 6)
            routes[twin]["pos"] = edge_pos([(x_trunk, ys + hs / 2), (x_trunk, tip[1])])
            b = label_box(routes[twin], labels[twin])
            if b:
                routes[twin]["lp"] = f"{x_trunk + 5 + b[2] / 2:.1f},{b[1]:.1f}"
                y_fork = (b[1] + b[3] / 2 + tip[1]) / 2
        beside = [box_of(nodes[k]) for k in between] + [(xd, yd, wd, hd)]
        beside += [b for j, x in enumerate(d.edges) if not is_loop(x) for b in [label_box(routes[j], labels[j])]
                   if b and b[0] > x_trunk and b[1] - b[3] / 2 < yd and b[1] + b[3] / 2 > y_fork]  # (c_t's, by its edge)
        x_side = extent(beside)[2] + 8
        routes[i] = route([(x_trunk, ys + hs / 2), (x_trunk, y_fork), (x_side, y_fork), (x_side, yd), (xd + wd / 2, yd)])


def _crosses(b: Box, p: tuple[float, float], q: tuple[float, float]) -> bool:
    """Whether the level or upright segment p–q runs through the box b."""
    x, y, w, h = b
    return min(p[0], q[0]) < x + w / 2 and max(p[0], q[0]) > x - w / 2 and min(p[1], q[1]) < y + h / 2 and max(p[1], q[1]) > y - h / 2


def square_leaf_edges(d: Drawing, g: Grid, nodes: dict[str, dict], routes: list[dict], into_frames: bool = True) -> None:
    """A weight's edge runs level from it (under its label) and steps to its lane just before the box:
    a slanted line from a stack taller than the box would cross the labels of the stack.
    into_frames=False leaves the edges into a layer's frame (the unrolled grid's) as they are."""
    ends: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for i, e in enumerate(d.edges):
        if e.src in g.side and e.src in nodes and "pos" in routes[i] and (into_frames or e.dst not in g.frames) \
                and not any(e.dst in keys for keys in getattr(g, "blocks", {}).values()):  # (into an opened cell: routed)
            xb, yb = (float(v) for v in routes[i]["pos"].split()[0][2:].split(","))
            ends[e.dst].append((yb, i))
    for dst, lanes in ends.items():
        for j, (yb, i) in enumerate(sorted(lanes, reverse=True)):
            xs, ys, ws, _ = box_of(nodes[d.edges[i].src])
            xb = float(routes[i]["pos"].split()[0][2:].split(",")[0])
            xj = xb - 6 - 4 * min(j, len(lanes) - 1 - j)
            routes[i]["pos"] = edge_pos([(xs + ws / 2, yb), (xb, yb)] if abs(ys - yb) <= 1 else
                                        [(xs + ws / 2, ys), (xj, ys), (xj, yb), (xb, yb)])


def notes_beside(d: Drawing, g: Grid, nodes: dict, routes: list[dict], notes: list, labels: list[str]) -> None:
    """A layer's note ("shared by t = 0…T−1, ∂ summed over t") left of its weights rather than under them, when
    nothing is drawn there (an attention's weights, above the encoder): the lanes between the rows below then
    pass just under the weights."""
    left = min(x - w / 2 for x, _, w, _ in map(box_of, nodes.values()))
    for j, (k, text, x, y, attrs) in enumerate(notes):
        frame = k.rsplit("_note", 1)[0]
        cards = [box_of(nodes[c]) for c, (r, col, _) in g.side.items() if frame in g.frames and (r, col) == g.frames[frame][:2]]
        if not cards:
            continue
        x0, y0, _, y1 = extent(cards)
        w, h = text_size(text, NOTE_CHAR, NOTE_LINE)
        box = (x0 - 10 - w / 2, (y0 + y1) / 2, w + 8, h + 8)
        others = [box_of(a) for a in nodes.values()] + [(nx, ny, *text_size(nt, NOTE_CHAR, NOTE_LINE)) for nk, nt, nx, ny, _ in notes
                                                       if nk != k]
        others += [b for i in range(len(d.edges)) for b in [label_box(routes[i], labels[i])] if b]
        lines = [_points(r["pos"]) for r in routes if r and "pos" in r]
        if box[0] - w / 2 >= left and not any(_overlap(box, o) for o in others) \
                and not any(_crosses(box, p, q) for pts in lines for p, q in zip(pts, pts[1:])):
            notes[j] = (k, text, box[0], box[1], attrs)


def _overlap(a: Box, b: Box) -> bool:
    return abs(a[0] - b[0]) < (a[2] + b[2]) / 2 and abs(a[1] - b[1]) < (a[3] + b[3]) / 2


def _points(pos: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in p.removeprefix("e,").split(",")) for p in pos.split()]
