"""The inside of a folded composite node (σ, Affine, LSTM ...), opened ONE level as the book draws it.

The box's direct children stay folded (an LSTM shows one Affine → f g i o with σ and tanh as boxes,
the memory line c_prev → × → + → c_next on top: cells.py's layout, as the gallery's `lstm_cell`);
its boundary tensors are named by their role, never by the op that made them: a recurrent cell's
x_t, h_prev, c_prev in and h_next, c_next out (a time layer's x_3, h_2, c_2, h_3, c_3), otherwise
the leaf's own name, the tensor's name, or x / y; an Attention box's hs and h_t in, c_t out, a_t between its
two parts. Plumbing drawn inside the box only because it
serves one step (the slice xs[:, t], the reshape of h_t) is outside the cell: it makes its inputs.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from tinygrad_nlp import Group, Tensor
from .trace import Edge, Graph, Node

from .cells import CELLS
from .draw import drawing, to_digraph
from .gridattention import ATTENTION, weights_edge
from .layout import DrawnNode
from .render import render_bytes

STEP_STATE = re.compile(r"^([xhc])(?:_\d+|_t|_prev|_next|0)(?:\[\d+\])?$")  # x_3, h_2, h0, c0[1], h_prev ...
SHORT = 8  # numbers on the inside's edges only when every tensor is this short; else names and shapes (readable in the panel)
ROLES = {("x", "in"): "x_t", ("h", "in"): "h_prev", ("c", "in"): "c_prev", ("h", "out"): "h_next", ("c", "out"): "c_next"}


def role_name(name: str | None, side: str, cell: bool) -> str | None:
    """A recurrent cell's name for a step's tensor: x_3 → x_t, h_2 → h_prev (in), h_3 → h_next (out)."""
    m = STEP_STATE.match(name or "") if cell else None
    return ROLES.get((m.group(1), side)) if m else name


def same_layer(scope: tuple, entry: Group) -> bool:
    """True when a node of `scope` belongs to the layer of the cell `entry` (an earlier step of it)."""
    return any(isinstance(s, Group) and s.kind == entry.kind and s.title == entry.title for s in scope)


def transposed_param(key: str, graph: Graph) -> str | None:
    """"Wᵀ" when the node `key` is the Transpose of the parameter W (a tied output layer reads embed.Wᵀ)."""
    if graph.nodes[key].op != "Transpose":
        return None
    into = {e.dst: e.src for e in graph.edges}  # (a tied weight reaches its Transpose through a Branch node)
    src = into.get(key)
    src = into.get(src) if src is not None and graph.nodes[src].kind == "branch" else src
    params = [graph.nodes[src].label] if src is not None and graph.nodes[src].kind == "param" else []
    return params[0] + "ᵀ" if params else None


def readers_inside(m: str, inside: set[str], readers: dict[str, list[str]]) -> bool:
    """True when a node of the box reads `m` (else `m` is the box's output)."""
    return any(r in inside for r in readers.get(m, []))


def _renamed(t: Tensor | None, name: str | None) -> Tensor | None:
    """The tensor under another name for the drawing (the graph's own tensor keeps its name)."""
    if t is None or t.name == name:
        return t
    shown = t.detach()
    shown.name = name
    return shown


def interior_svg(box: DrawnNode, graph: Graph, values: bool, grads: dict) -> str:
    """The SVG of `box`'s inside, drawn upwards (tall fits the side panel): its direct children folded,
    its boundary as named inputs and outputs; each edge with its name, shape and gradient's name, and
    with the numbers when `values` and every tensor is short (the graph's edges and the inspector
    have the numbers of a large one)."""
    entry, cell = box.entry, box.entry.name in CELLS
    inside = {m for m in box.members if entry in graph.nodes[m].scope}
    readers: dict[str, list[str]] = {}
    for e in graph.edges:
        readers.setdefault(e.src, []).append(e.dst)
    weights = weights_edge(box.members, graph, readers) if entry.name == ATTENTION else None  # a_t inside Attention
    sub = Graph(has_grads=graph.has_grads)
    for m in box.members:
        if m in inside:
            n = graph.nodes[m]
            scope = n.scope[n.scope.index(entry):]  # the box itself is the outermost scope: one level opened
            name = role_name(n.tensor.name, "out", cell) if n.tensor is not None else None
            name = "c_t" if weights and not readers_inside(m, inside, readers) else name
            sub.nodes[m] = Node(m, n.kind, n.label, n.op, n.fn, _renamed(n.tensor, name), n.value, scope)
    branch_src = {e.dst: e.src for e in graph.edges if graph.nodes[e.dst].kind == "branch"}
    unnamed: dict[str, list[str]] = {"in": [], "out": []}
    for e in graph.edges:
        if graph.nodes[e.dst].kind == "branch":
            continue
        src = branch_src.get(e.src, e.src)
        if e.dst in inside and src not in inside:
            key = "in_" + src
            if key not in sub.nodes:
                outer = graph.nodes[src]
                kind = outer.kind if outer.kind in ("param", "input", "const") else "input"
                if outer.kind == "param":
                    label = outer.label.rsplit(".", 1)[-1]  # Wx, not decoder.rnn.cell_l0.Wx: the box says whose
                elif weights:  # Attention(hs, h): every encoder state (N, T, H), the decoder's state (N, H)
                    label = "hs" if np.ndim(e.value) == 3 else "h_t"
                else:
                    label = role_name(outer.tensor.name if outer.kind == "op" else outer.label, "in", cell)
                    if label == "h_prev" and outer.kind == "op" and not same_layer(outer.scope, entry):
                        label = "x_t"  # the layer below's h_t is this layer's input
                    label = label or transposed_param(src, graph)  # a tied weight: embed.Wᵀ
                if not label:
                    unnamed["in"].append(key)
                sub.nodes[key] = Node(key, kind, label or "x", tensor=_renamed(outer.tensor, label or "x"), value=outer.value)
            sub.edges.append(Edge(key, e.dst, e.value, e.grad, e.slot))
        elif e.dst in inside:
            sub.edges.append(Edge(src, e.dst, e.value, e.grad, e.slot))
        elif src in inside and not any(x.src == src and x.dst == "out_" + src for x in sub.edges):
            key = "out_" + src
            label = sub.nodes[src].tensor.name
            if not label:
                unnamed["out"].append(key)
            sub.nodes[key] = Node(key, "output", label or "y", tensor=sub.nodes[src].tensor)
            sub.edges.append(Edge(src, key, e.value, grads.get(id(graph.nodes[src].fn), (None,))[0], 0))
    for side, letter in (("in", "x"), ("out", "y")):  # x1, x2 when a box reads several unnamed tensors
        keys = unnamed[side]
        for k, key in enumerate(keys if len(keys) > 1 else [], start=1):
            sub.nodes[key].label = f"{letter}{k}"
    inner = drawing(sub, expand={entry.name})
    for e in inner.edges:
        if weights and weights.src in e.sources:
            e.name = "a_t"
    short = all(n.tensor is None or n.tensor.size <= SHORT for n in sub.nodes.values())
    svg = render_bytes(to_digraph(inner, sub, "both", values and short, "BT"), "svg").decode("utf-8")
    return svg[svg.index("<svg"):]
