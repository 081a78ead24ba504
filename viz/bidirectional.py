"""A bidirectional layer in the rolled view (figures.md §3, §7; d2l 10.4): its two directions side by side in
one frame, forward left and reverse right, x read by both from the layer below, what they hand on together
(their last h for a decoder, their h_t for attention's hs) one arrow from the pair.

- `join_directions` (before the plumbing is contracted) makes that one edge, from the forward box, carrying the
  joined tensor; the reverse box's edge carries nothing and is drawn along it (rolled_routes.between_columns);
- `cards_below` puts the weights of the reverse box and of the boxes right of it (a decoder's) under their frame,
  just left of their box: beside it they would take a column's width, and two sequences would not fit one
  screen; `leaves_across` then sets the frame round both boxes and routes those weights' edges.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .layout import REVERSE, Drawing, DrawnEdge
from .place import text_size
from .rolled_routes import LOOP_ROOM, NOTE_CHAR, NOTE_LINE, box_of, extent, is_loop, label_box, move, route, square_leaf_edges
from .timegrid import PLUMBING, Grid


def join_directions(d: Drawing) -> None:
    """A bidirectional layer (cell_l0 beside cell_l0_reverse): what its two directions hand on joined (their last
    h concatenated for the decoder, their h_t for attention's hs) is one edge from the forward box carrying the
    joined tensor, the reverse box's edge drawn along it (rolled_routes.between_columns). Before contract():
    its rule "a stack followed by a slice joins a column only to itself" would drop the joined state."""
    out: dict[str, list[DrawnEdge]] = defaultdict(list)
    for e in d.edges:
        out[e.src].append(e)

    def ends(key: str) -> dict[str, DrawnEdge]:  # reader -> the last edge into it, through plumbing only
        found, todo, seen = {}, list(out[key]), set()
        while todo:
            e = todo.pop()
            if id(e) not in seen:
                seen.add(id(e))
                n = d.nodes[e.dst]
                if n.kind == "branch" or n.kind == "op" and n.tooltip in PLUMBING:
                    todo += out[e.dst]
                elif e.src != key:
                    found.setdefault(e.dst, e)
        return found
    for f in [k for k, n in d.nodes.items() if n.kind == "rolled" and k + REVERSE in d.nodes]:
        back, fwd = ends(f + REVERSE), ends(f)
        for dst in [k for k in fwd if k in back]:
            last = fwd[dst]
            value, grad = last.value, last.grad
            if any(e.src == e.dst == dst for e in d.edges) and np.ndim(value) == 3 and np.shape(value)[0] == 1:
                value, grad = value[0], None if grad is None else grad[0]  # the decoder's h0: (1, N, H) stacked by layer
            d.edges = [e for e in d.edges if e is not last and e is not back[dst]]
            d.edges += [DrawnEdge(f, dst, value, grad, last.readers, last.slot, last.sources),
                        DrawnEdge(f + REVERSE, dst, None, None, back[dst].readers, back[dst].slot)]


def leaves_across(d: Drawing, g: Grid, column: dict[str, int], nodes: dict, routes: list[dict], labels: list[str],
                  under: set[str]) -> None:
    """Once the columns are packed: a frame over two boxes (forward, reverse) set round both and their loops'
    labels; the edges of the weights under a frame (`under`) level from the card, then up to the box's left side."""
    for f, (r, lo, hi) in g.frames.items():
        if lo == hi:
            continue
        inside = [k for k, rank in g.rank.items() if rank == r and lo <= column[k] <= hi and k != f]
        loop_labels = [label_box(routes[i], labels[i]) for i, e in enumerate(d.edges) if is_loop(e) and e.src in inside]
        right = extent([box_of(nodes[k]) for k in inside] + [b for b in loop_labels if b])[2] + 2 * LOOP_ROOM
        fx, fy, fw, _ = box_of(nodes[f])
        nodes[f].update(pos=f"{(fx - fw / 2 + right) / 2:.1f},{fy:.1f}!", width=f"{(right - fx + fw / 2) / 72:.3f}")
    for dst in {e.dst for e in d.edges if e.src in under}:
        mine = sorted((i for i, e in enumerate(d.edges) if e.dst == dst and e.src in g.side),
                      key=lambda i: -box_of(nodes[d.edges[i].src])[1])
        x, y, w, h = box_of(nodes[dst])
        for j, i in enumerate(mine):
            xs, ys, ws, _ = box_of(nodes[d.edges[i].src])
            routes[i] = route([(xs + ws / 2, ys), (x - w / 2, y - h / 2 + h * (j + 1) / (len(mine) + 1))])
    square_leaf_edges(d, g, nodes, routes)


def cards_below(d: Drawing, g: Grid, column: dict[str, int], nodes: dict, routes: list[dict], notes: list,
                labels: list[str]) -> set[str]:
    """In a figure with a bidirectional layer, the weights of its reverse box and of the boxes right of it (the
    decoder's) go under their frame, right-aligned just left of their box (beside it, they would take a column's
    width), in the forward weights' order (the book's Wx, Wh, b); the forward weights from the top of its frame
    down; each layer's note under its weights; what is below moves down to make room; the label of the edge up
    into the forward box left of it. Returns the weights moved (their column is now their box's)."""
    wide = [fr for fr in g.frames.values() if fr[1] != fr[2]]
    if not wide:
        return set()
    frame_of = {k: f for f, (r, lo, hi) in g.frames.items() for k, rank in g.rank.items()
                if rank == r and lo <= column[k] <= hi and k != f and d.nodes[k].kind == "rolled"}
    later = [k for k, f in frame_of.items() if any(column[k] > lo and g.rank[k] == r for r, lo, _ in wide)]
    weight = lambda c: d.nodes[c].label.rsplit(".", 1)[-1]  # noqa: E731  (Wx of rnn.cell_l0.Wx)
    height = {weight(e.src): box_of(nodes[e.src])[1] for e in d.edges if e.src in g.side and e.dst in frame_of and e.dst not in later}
    moved: set[str] = set()
    for k in later:
        _, fy, _, fh = box_of(nodes[frame_of[k]])
        x, _, w, _ = box_of(nodes[k])
        top = fy - fh / 2 - 8
        cards = [e.src for e in d.edges if e.dst == k and e.src in g.side and d.nodes[e.src].kind == "param"]
        for c in sorted(cards, key=lambda c: -height.get(weight(c), box_of(nodes[c])[1])):
            _, _, cw, ch = box_of(nodes[c])
            nodes[c]["pos"] = f"{x - w / 2 - 18 - cw / 2:.1f},{top - ch / 2:.1f}!"
            top -= ch + 6
            column[c], g.side[c] = column[k], (g.side[c][0], column[k], g.side[c][2])
            moved.add(c)
    for r, lo, _ in wide:  # the forward box's weights from the top of its frame down (a stack as deep as the others')
        (f,) = [k for k, rank in g.rank.items() if rank == r and column[k] == lo and d.nodes[k].kind == "rolled"]
        cards = {c for c, side in g.side.items() if side[:2] == (r, lo)}
        if cards:
            _, fy, _, fh = box_of(nodes[frame_of[f]])
            dy = fy + fh / 2 - extent([box_of(nodes[c]) for c in cards])[3]
            move(nodes, routes, [], lambda x, y: True, dy=dy, keys=cards, edges=set())
    r = min(g.rank[k] for k in later)
    _notes_under_weights(g, nodes, notes)
    _room_below(g, nodes, routes, notes, r)
    for _, lo, _ in wide:  # the edge from below into the forward box: labelled left of it, just above the row below
        top = extent([box_of(a) for k, a in nodes.items() if g.rank.get(k, g.side.get(k, (r,))[0]) < r])[3]
        for i, e in enumerate(d.edges):
            b = label_box(routes[i], labels[i])
            if b and column[e.dst] == lo and g.rank.get(e.dst) == r and g.rank.get(e.src, r) < r:
                routes[i]["lp"] = f"{box_of(nodes[e.src])[0] - 6 - b[2] / 2:.1f},{top + 6 + b[3] / 2:.1f}"
    return moved


def _notes_under_weights(g: Grid, nodes: dict, notes: list) -> None:
    """Each layer's note ("shared by t = 0…T−1") centred under its weights, where they now are."""
    for j, (n, text, _, _, attrs) in enumerate(notes):
        slot = g.frames.get(n.rsplit("_note", 1)[0], (None, None))[:2]
        cards = [box_of(nodes[c]) for c, side in g.side.items() if side[:2] == slot]
        if cards:
            left, bottom, right, _ = extent(cards)
            notes[j] = (n, text, (left + right) / 2, bottom - 10 - 5.5 * text.count("\n"), attrs)


def _room_below(g: Grid, nodes: dict, routes: list[dict], notes: list, r: int) -> None:
    """Row r's weights and notes above what is below it: the rows below move down when they are too near."""
    mine = [j for j, (n, *_) in enumerate(notes) if g.frames.get(n.rsplit("_note", 1)[0], (-1,))[0] == r]
    low = extent([box_of(nodes[c]) for c, side in g.side.items() if side[0] == r]
                 + [(x, y, *text_size(t, NOTE_CHAR, NOTE_LINE)) for j, (_, t, x, y, _) in enumerate(notes) if j in mine])[1]
    below = {k for k in nodes if g.rank.get(k, g.side.get(k, (r,))[0]) < r}
    top = extent([box_of(nodes[k]) for k in below])[3] if below else low
    if top + 10 > low:
        others = [j for j in range(len(notes)) if j not in mine]
        rest = [notes[j] for j in others]
        move(nodes, routes, rest, lambda x, y: y < top + 1, dy=low - 10 - top, keys=below)
        for j, n in zip(others, rest):
            notes[j] = n
