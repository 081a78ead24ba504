"""Tied weights: one matrix read as itself and, transposed, by another layer (BetterRnnlm's embedding
E, read by Embedding and, as Eᵀ, by the output Affine: s = h Eᵀ + b).

The matrix is drawn once. Its edge into the layer that reads it transposed is named `embed.Wᵀ` and
carries Eᵀ's value and gradient; the matrix's own gradient, the sum over both uses
(∂E = ∂ via Embedding + (∂ via Affine)ᵀ), is kept on its node (`DrawnNode.grad`) and written there.
On the time grid that node sits beside one of its readers; its edge to the reader on another row
goes round the figure's left margin (not diagonally through the layers in between).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .layout import Drawing
from .place import EDGE_CHAR, EDGE_LINE, edge_pos, text_size
from .rolled_routes import box_of
from .trace import Graph

TRANSPOSED = "ᵀ"


def mark_tied(d: Drawing, graph: Graph) -> None:
    """Name the transposed reads of a weight read in both forms, and sum its gradient on its node."""
    reads: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        reads[e.src].append(e.dst)
    for key, n in d.nodes.items():
        if n.kind != "param":
            continue
        w = graph.nodes[n.members[0]].tensor
        w = None if w is None else np.asarray(w.data)
        if w is None or w.ndim != 2:
            continue
        out = [e for e in d.edges if e.src == key]
        via = {id(e): _transpose_into(graph, reads, n.members[0], set(d.nodes[e.dst].members)) for e in out}
        flipped = [e for e in out if via[id(e)] is not None]
        if len(out) < 2 or not flipped:
            continue
        for e in flipped:  # Wᵀ's own value and gradient, as its Transpose made and received them
            e.name = n.label + TRANSPOSED
            grads = [x.grad for x in graph.edges if x.src == via[id(e)]]
            e.value, e.grad = w.T, None if any(g is None for g in grads) else sum(np.asarray(g) for g in grads)
        if all(e.grad is not None for e in out):
            n.grad = sum(np.asarray(e.grad).T if e in flipped else np.asarray(e.grad) for e in out)
        uses = " + ".join((f"(∂ via {d.nodes[e.dst].label.split(chr(10))[0]}){TRANSPOSED}" if e in flipped else f"∂ via {d.nodes[e.dst].label.split(chr(10))[0]}") for e in out)
        n.note = f"tied: ∂{n.label} = {uses}"


def _transpose_into(graph: Graph, reads: dict[str, list[str]], leaf: str, members: set[str]) -> str | None:
    """The Transpose through which `leaf` reaches one of `members` (fan-out Branch nodes aside), if any."""
    def through_branches(k: str) -> list[str]:
        return [y for x in reads[k] for y in (through_branches(x) if graph.nodes[x].kind == "branch" else [x])]
    return next((t for t in through_branches(leaf) if graph.nodes[t].op == "Transpose" and set(through_branches(t)) & members),
                None)


def margin_route(d: Drawing, nodes: dict[str, dict], routes: list[dict], edge_labels: list[str]) -> None:
    """A tied weight's edge to a reader on another row: left of everything to that row, then into the
    reader's left side, or, when other weights sit left of it, along the gap under it into its bottom."""
    left = min(x - w / 2 for x, _, w, _ in map(box_of, nodes.values())) - 14
    side = getattr(d.grid, "side", {})
    for i, e in enumerate(d.edges):
        if d.nodes[e.src].grad is None or e.src not in nodes or e.dst not in nodes:
            continue
        xs, ys, ws, hs = box_of(nodes[e.src])
        xd, yd, wd, hd = box_of(nodes[e.dst])
        if abs(ys - yd) < (hs + hd) / 2:
            continue
        lw, lh = text_size(edge_labels[i], EDGE_CHAR, EDGE_LINE)
        beside = [k for k in side if k != e.src and k in nodes and abs(box_of(nodes[k])[1] - yd) < hd]
        if not beside:
            pts = [(xs - ws / 2, ys), (left, ys), (left, yd), (xd - wd / 2, yd)]
            lp = (left + 6 + lw / 2, yd + 3 + lh / 2)
        else:  # under the reader's row: above everything of the rows below it
            under = [b for b in map(box_of, nodes.values()) if b[1] + b[3] / 2 < yd - hd / 2]
            y = (yd - hd / 2 + max(b[1] + b[3] / 2 for b in under)) / 2 if under else yd - hd / 2 - 20
            x = xd - wd / 3
            pts = [(xs - ws / 2, ys), (left, ys), (left, y), (x, y), (x, yd - hd / 2)]
            lp = (x - 6 - lw / 2, y + 3 + lh / 2)
        routes[i] = {"pos": edge_pos(pts), **({"lp": f"{lp[0]:.1f},{lp[1]:.1f}"} if lw else {})}
