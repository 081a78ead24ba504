"""The leaves left of a row on the time grid (initial states, a layer's weights): which, in the book's
order, the room they need, and the way the encoder's last state passes under a decoder's leaves."""
from __future__ import annotations

from collections import defaultdict

from .layout import Drawing
from .timegrid import Grid

LANE = 16.0  # points kept free under a decoder's leaves for the encoder's last state


def carried(d: Drawing, g: Grid, r: int, col: int) -> list[int]:
    """The edges into row r's cell at column col from a cell of that row further left than the column before (the
    encoder's last state into the decoder's first step)."""
    return [i for i, e in enumerate(d.edges) if g.span.get(e.dst, (None,))[0] == col and g.rank.get(e.dst) == r
            and g.rank.get(e.src) == r and g.span.get(e.src, (col,))[1] < col - 1]


def under_leaves(pts: list[tuple[float, float]], leaves: list[tuple], note: float) -> list[tuple[float, float]]:
    """A state arrow from the encoder's last step to the decoder's first, under the decoder's weights and initial state
    (stacked across its line, `note` points of text under them: "shared by t = 0…T−1") rather than through them: down
    before the leaves, across under them (in the LANE kept there), up just before the cell."""
    (x0, y), (x1, _) = pts
    if not any(ly - h / 2 - 12 < y < ly + h / 2 + 24 for _, ly, _, h in leaves):
        return pts
    low = min(ly - h / 2 for _, ly, _, h in leaves) - note - LANE / 2 + 4
    xa, xb = min(lx - w / 2 for lx, _, w, _ in leaves) - 12, x1 - 14
    return [(x0, y), (xa, y), (xa, low), (xb, low), (xb, y), (x1, y)]


def room_for_leaves(d: Drawing, g: Grid, size: dict, lab: list, cw: float, pitch: float) -> dict[int, float]:
    """Extra space before a row that starts right of another (a decoder after its encoder): its
    weights and initial state sit between the two."""
    widest = defaultdict(float)
    for i, e in enumerate(d.edges):
        if e.src in g.side:
            widest[e.src] = max(widest[e.src], lab[i][0])
    first = min([lo for lo, _ in g.span.values()] or [0])
    need: dict[int, float] = {}
    for (r, col), keys in slots_of(d, g).items():
        if col <= first:
            continue
        room = 2 * (max(size[k][0] for k in keys) + max(widest[k] for k in keys) + 30)
        room += max([lab[i][0] for i in carried(d, g, r, col)], default=0.0) + 12  # the encoder's last state, its label first
        taken = [hi for k, (lo, hi) in g.span.items() if g.rank.get(k) == r and hi < col]
        gap = (col - max(taken) - 1) * pitch + pitch - cw if taken else room
        need[col] = max(need.get(col, 0.0), room - gap)
    return {c: v for c, v in need.items() if v > 0}


def slots_of(d: Drawing, g: Grid) -> dict[tuple[int, int], list[str]]:
    """The leaves left of each row's first column, in the book's order: c before h, then Wx, Wh, b."""
    slots: dict[tuple[int, int], list[str]] = defaultdict(list)
    for k, (r, first, _) in g.side.items():
        slots[(r, first)].append(k)
    for keys in slots.values():
        keys.sort(key=lambda k: (d.nodes[k].kind == "param", d.nodes[k].label.rsplit(".", 1)[0], weight_order(d.nodes[k].label)))  # a
        # layer's weights together (a bidirectional layer's forward ones, then its reverse ones)
    return slots


def weight_order(label: str) -> tuple:
    """The book's order of a layer's weights: Wx, Wh, b."""
    name = label.rsplit(".", 1)[-1]
    return (name[:1].lower() in "bh", "h" in name, name)
