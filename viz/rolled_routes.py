"""The rolled view's edges that the time grid's placer (place.py) does not route, and the moves that
make room for them. Coordinates are Graphviz points, y upwards.

- a state: a self-loop on the right side of its box (c above h), its label right of it;
- the columns packed: a decoder column as near its encoder as their labels allow;
- the edges between columns leave the encoder's box at its top and run in the gap above its row:
  the last h into the decoder's box (from its left, where an h0 would come in), hs over it into
  Attention; room is opened above the row when the gap is too low for their labels;
- an edge past a box of its column (the decoder's h_t into Affine, past Attention) goes round it on
  the right, right of that column's labels, into the reader's right side.
"""
from __future__ import annotations

from typing import Callable

from .layout import Drawing
from .place import EDGE_CHAR, EDGE_LINE, edge_pos, text_size

LOOP_OUT, LOOP_ROOM, MARGIN = 18.0, 5.0, 12.0  # points: a loop's reach, loop to label, between columns
Box = tuple[float, float, float, float]  # x, y (centre), width, height


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
    return (x, y, *text_size(label, EDGE_CHAR, EDGE_LINE))


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
            lw, lh = text_size(labels[i], EDGE_CHAR, EDGE_LINE)
            ly = y if n == 1 else (y + 1 + lh / 2 if j == 0 else y - 1 - lh / 2)
            routes[i] = route([(xr, top), (xr + LOOP_OUT, top), (xr + LOOP_OUT, bottom), (xr, bottom)], labels[i],
                              (xr + LOOP_OUT + LOOP_ROOM + lw / 2, ly))
            frame = f"frame_{key}"
            if frame in nodes:
                fx, fy, fw, fh = box_of(nodes[frame])
                right = max(fx + fw / 2, xr + LOOP_OUT + 2 * LOOP_ROOM + lw)
                nodes[frame].update(pos=f"{(fx - fw / 2 + right) / 2:.1f},{fy:.1f}!", width=f"{(right - fx + fw / 2) / 72:.3f}")


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
