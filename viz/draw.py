"""Draw a computation graph the way the textbook does.

Op nodes (+, ×, Repeat, Σ, MatMul, Branch, tanh, ...) and, folded into one node each, the
composite functions and layers the textbook draws as boxes (σ, Affine, Softmax with Loss, LSTM,
...). Every edge carries its forward value and, on the same edge in red, the gradient that came
back along it. Modules and time steps are clusters; a layer's time steps form one row, inputs below
and outputs above. What is folded, merged and placed is decided in `layout.py`.
"""
from __future__ import annotations

import re
from dataclasses import replace
from html import escape
from typing import Any, Iterable

import graphviz
import numpy as np

from tinygrad_nlp import Tensor
from .trace import Graph, trace

from .bidirectional import join_directions
from .cells import cell_layout, cell_notes, opened_cell
from .gridcells import opened_steps
from .gridnames import Words, column_words, said
from .labels import GRADIENT, SUBSCRIPT, EdgeName, edge_names, subscripted
from .layout import Drawing, DrawnEdge, DrawnNode, describe, finish_labels, is_time, layout
from .numbers import SUMMARY_LEGEND, format_array, is_summary
from .place import EDGE_CHAR, EDGE_LINE, NODE_CHAR, NODE_LINE, GridDigraph, place, text_size
from .rolled import RolledGrid, arrange_rolled, fold_broadcast_state, merge_step_boxes, place_rolled
from .rolled_routes import square_leaf_edges
from .textwidth import line_width
from .tied import margin_route, mark_tied
from .timegrid import STEP_TOOLTIP, WEIGHTS, arrange, contract, distinct_labels

LARGE_GRAPH = 60  # drawn nodes beyond which layout effort is limited
STACKED = re.compile(r"(\([\d, ]*\))\n((?:\[[^\]\n]*\]\nmean |all )[^\n]*|\[[^\]\n]*\])")  # a shape over a stacked summary or one row
SHAPE = re.compile(r"^\([\d, ]*\)(?: (?=\[|all )|\n)")  # "(16, 1024) " before a summary's [min, max] or a matrix's rows
FORWARD_COLOR = "#1f3b73"
BACKWARD_COLOR = "#c0392b"
HIGHLIGHT_COLOR = "#f5b041"
NO_GRADS = "gradients not computed yet: call loss.backward(retain_graph=True) before drawing them"
_SHOW = ("forward", "backward", "both")
_NODE_STYLE = {
    "param": dict(shape="box", style="filled,rounded", fillcolor="#d6eaf8", color="#2e86c1"),
    "input": dict(shape="box", style="rounded", color="#555555"),
    "const": dict(shape="plaintext", fontcolor="#666666"),
    "output": dict(shape="ellipse", style="filled", fillcolor="#eaf2f8", color="#555555"),
    "loss": dict(shape="doubleoctagon", style="filled", fillcolor="#fadbd8", color=BACKWARD_COLOR),
    "op": dict(shape="circle", style="filled", fillcolor="#ffffff", color="#333333", fixedsize="false"),
    "branch": dict(shape="point", width="0.12", color="#333333"),
    "group": dict(shape="box", style="filled,rounded", fillcolor="#fef9e7", color="#b7950b", penwidth="1.4"),
    "loss_group": dict(shape="box", style="filled,rounded", fillcolor="#fdedec", color=BACKWARD_COLOR, penwidth="1.4"),
    "collapsed": dict(shape="box3d", style="filled", fillcolor="#eaeded", color="#566573"),
    "rolled": dict(shape="box", style="filled,rounded,bold", fillcolor="#fef9e7", color="#b7950b", peripheries="2"),
    "frame": dict(shape="box", style="rounded,dashed", color="#aab7b8"),
}


def name_map(names: Any) -> dict[int, str]:
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        return {id(p): n for n, p in names.named_parameters()}
    return {(k if isinstance(k, int) else id(k)): v for k, v in dict(names).items()}


def draw(tensor: Tensor, show: str = "forward", values: bool = True, rankdir: str | None = None, names: Any = None,
         collapse: Any = None, max_nodes: int = 3000, highlight: Iterable[Any] = (), title: str | None = None,
         expand: Any = None, roll: bool = False, grads: dict | None = None, weights: str = "shared",
         padding: dict | None = None, tokens: Words = (), targets: Words = ()) -> graphviz.Digraph:
    """The graph that produced `tensor` as a graphviz.Digraph (it displays inline in Jupyter).

    show: "forward" (values on edges), "backward" (gradients) or "both" (each edge's value and, in
    red on the same edge, its gradient). Gradients are those of a `backward(retain_graph=True)`;
    without one the figure says so. Drawing never runs backward, changes `.grad` or the graph.
    names: a Module (its dotted parameter names label the parameters) or {tensor or id: name}.
    expand: composite functions and textbook layers are single nodes (σ, Affine, LSTM, ...);
    True draws every primitive node, a set of names ({"sigmoid", "Affine", "fc1"}) opens those.
    collapse: a depth (0 = model, 1 = layer, ...) or scope names; clusters there become one node.
    roll: draw all time steps of a recurrent layer as one node "× T" with its states as loops (weights
    drawn once, their gradient the sum over the steps), layers bottom to top (see rolled.py).
    padding: {scope name: time steps that only read padding} (e.g. {"encoder": range(18)}): drawn as one box.
    weights: "shared" draws a weight shared by the time steps of a layer once, with one edge into the
    layer and the gradient summed over the steps; "per_step" draws its edge into every step.
    tokens, targets: the input words and the words the loss predicts, written under the columns and
    over Softmax with Loss (t₀: say); the rolled view writes them in its title. A list is one word per
    column, a language model's ("you say goodbye", "say goodbye and"); a dict {module name: words}
    gives a module's word per time step of its own, under its columns, as `padding` names a module:
    a seq2seq model's tokens={"encoder": question as the encoder reads it (reversed if it is),
    "decoder": "_" and the answer}, targets={"decoder": answer}. Folded padding steps get no word.
    rankdir: "LR", or "BT" (inputs below, outputs above) by default when there are time steps.
    Time steps are drawn in columns and layers in rows (see timegrid.py), opened cells too (gridcells.py), unless roll is given.
    """
    if show not in _SHOW:
        raise ValueError(f"draw: show must be one of {_SHOW}, got {show!r}")
    if rankdir not in (None, "LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if weights not in WEIGHTS:
        raise ValueError(f"draw: weights must be one of {WEIGHTS}, got {weights!r}")
    graph = trace(tensor, name_map(names), grads)
    return render_graph(graph, show, values, rankdir, collapse, max_nodes, highlight, title, expand, roll, weights, padding,
                        tokens, targets)


def render_graph(graph: Graph, show: str = "forward", values: bool = True, rankdir: str | None = None, collapse: Any = None,
                 max_nodes: int = 3000, highlight: Iterable[Any] = (), title: str | None = None, expand: Any = None,
                 roll: bool = False, weights: str = "shared", padding: dict | None = None, tokens: Words = (),
                 targets: Words = ()) -> graphviz.Digraph:
    """Draw a traced Graph. `highlight`: traced op keys or Functions whose drawn node is filled in colour."""
    d = drawing(graph, expand, collapse, roll, max_nodes, weights, padding)
    if roll and padding and isinstance(tokens, dict):  # the rolled view lists a module's words: not its padding's
        tokens = {name: [w for t, w in enumerate(ws) if t not in set(padding.get(name, ()))] for name, ws in tokens.items()}
    d.tokens, d.targets = column_words("tokens", tokens, d), column_words("targets", targets, d)
    marked = {h if isinstance(h, str) else id(h) for h in highlight}
    lit = {k: HIGHLIGHT_COLOR for k, n in d.nodes.items()
           if any(m in marked or (graph.nodes[m].fn is not None and id(graph.nodes[m].fn) in marked) for m in n.members)}
    return to_digraph(d, graph, show, values, rankdir, title, fills=lit)


def drawing(graph: Graph, expand: Any = None, collapse: Any = None, roll: bool = False, max_nodes: int = 3000,
            weights: str = "shared", padding: dict | None = None) -> Drawing:
    """The layout decisions for a traced Graph, refused beyond `max_nodes` drawn nodes. With rows of
    time steps (and no rankdir of the caller's), the time grid: steps in columns, layers in rows."""
    d = layout(graph, expand, collapse, roll)
    finish_labels(d, graph)
    if (d.time_rows or opened_steps(d)) and not roll:  # opened cells stay on the grid too
        d.grid = arrange(d, graph, weights, padding)
    elif roll:
        join_directions(d)  # a bidirectional layer's two directions, joined
        contract(d)  # no plumbing in the rolled view either: one box per layer, its loop, its weights
    mark_tied(d, graph)
    distinct_labels(d)
    if roll and any(n.kind == "rolled" for n in d.nodes.values()):
        merge_step_boxes(d)
        fold_broadcast_state(d)
        d.grid = arrange_rolled(d)
    if len(d.nodes) > max_nodes:
        raise ValueError(f"draw: the graph has {len(d.nodes)} nodes, more than max_nodes={max_nodes}; pass collapse=1 "
                         "(or a list of scope names, e.g. collapse=['t=1', 't=2']) to fold layers or time steps, "
                         "roll=True to draw a recurrent layer once, or raise max_nodes")
    return d


def to_digraph(d: Drawing, graph: Graph, show: str = "both", values: bool = True, rankdir: str | None = None,
               title: str | None = None, fills: dict[str, str] | None = None, hidden_grads: set[int] = frozenset(),
               ids: bool = False) -> graphviz.Digraph:
    """Graphviz for a Drawing. `fills`: drawn key -> fill colour; `hidden_grads`: indices of edges whose
    gradient is written but transparent (a frame before that gradient is known: same layout);
    `ids=True` gives nodes ("n_<key>") and edges ("e_<index>") stable SVG ids."""
    has_time = bool(d.time_rows) or any(is_time(e) for n in d.nodes.values() for e in n.cluster + ((n.entry,) if n.entry else ()))
    note = NO_GRADS if show != "forward" and not graph.has_grads else ""
    shown = [e.value for e in d.edges if show != "backward"] + [e.grad for e in d.edges if show != "forward"]
    rolled = isinstance(d.grid, RolledGrid)
    stacked = d.grid is not None and not rolled  # the time grid: narrow columns
    legend = SUMMARY_LEGEND if any(is_summary(a, values) for a in shown) else ""  # one line or stacked: the same words
    words = [f"{what}: {said(ws)}" for what, ws in (("input", d.tokens), ("predicts", d.targets)) if ws and d.grid is None]
    label = "\n".join(x for x in (title, note, legend, *words, *cell_notes(d)) if x)
    graph_attr = dict(fontname="Helvetica", fontsize="11", label=label, labelloc="t")
    node_attr, edge_attr = dict(fontname="Helvetica", fontsize="10"), dict(fontname="Helvetica", fontsize="8")
    named = replace(d, nodes={k: replace(n, label=d.grid.names[k]) if rolled and k in d.grid.names else n
                              for k, n in d.nodes.items()})  # the rolled view names a layer's weights inside it
    nodes = {}
    for key, n in named.nodes.items():
        attrs = _node_attrs(n, graph, values, show, rolled)
        if fills and key in fills:
            attrs.update(fillcolor=fills[key], style=attrs.get("style", "") if "filled" in attrs.get("style", "") else "filled")
        if ids:
            attrs["id"] = "n_" + key
        nodes[key] = attrs
    edges = [_edge_attrs(e, show, values, i in hidden_grads, f"e_{i}" if ids else None, name,
                         rolled and (e.src == e.dst or e.src in d.grid.side and d.nodes[e.src].grad is None),  # a card says the shape
                         rolled, stacked)
             for i, (e, name) in enumerate(zip(d.edges, edge_names(named, graph)))]
    if rolled:
        _cards(d, nodes, edges)
    if d.grid is not None:
        return _grid_digraph(d, nodes, edges, graph_attr, node_attr, edge_attr)
    cells, cell = cell_layout(d, graph), opened_cell(d)  # an opened cell: inputs below, outputs above, the memory line on top
    dot = graphviz.Digraph(graph_attr=dict(graph_attr, rankdir=rankdir or ("BT" if has_time or cell else "LR"), nodesep="0.3",
                                           ranksep="0.2" if cell else "0.35", newrank="true"), node_attr=node_attr, edge_attr=edge_attr)
    if cell:  # its edges carry most of the text: lower nodes keep a cell within a screen
        dot.node_attr.update(height="0.3", margin="0.05,0.02")
    if len(d.nodes) > LARGE_GRAPH:  # bound dot's network-simplex and crossing passes: 15 s -> 2 s at ~120 nodes
        dot.graph_attr.update(nslimit="2", nslimit1="2", mclimit="0.1")
    clusters: dict[tuple, list[tuple[str, dict]]] = {}
    for key, n in d.nodes.items():
        clusters.setdefault(n.cluster, []).append((key, nodes[key]))
    _emit_clusters(dot, clusters)
    for row in d.time_rows:  # one rank, in time order (invisible edges order a rank left to right)
        with dot.subgraph() as same:
            same.attr(rank="same")
            for key in row:
                same.node(key)
            joined = {(e.src, e.dst) for e in d.edges}
            for a, b in zip(row, row[1:]):
                if (a, b) not in joined:  # a second, parallel flat edge trips dot's spline router
                    same.edge(a, b, style="invis")
    for row in cells.rows:
        with dot.subgraph() as same:
            same.attr(rank="same")
            for key in row:
                same.node(key)
    in_row = {k: r for r, row in enumerate(d.time_rows) for k in row}
    for i, (e, attrs) in enumerate(zip(d.edges, edges)):
        if e.src in in_row and in_row.get(e.src) == in_row.get(e.dst):  # along a row: dot cannot route labelled flat edges
            attrs["xlabel"] = attrs.pop("label")
        if i in cells.loose:
            attrs["constraint"] = "false"
        dot.edge(e.src, e.dst, **attrs)
    return dot


def _grid_digraph(d: Drawing, nodes: dict[str, dict], edges: list[dict], graph_attr: dict, node_attr: dict,
                  edge_attr: dict) -> graphviz.Digraph:
    """The time grid (timegrid.py, place.py): every node and edge with its position, drawn by neato -n2."""
    labels = [a["label"] for a in edges]
    if isinstance(d.grid, RolledGrid):
        placed, routes, notes = place_rolled(d, d.grid, nodes, labels)
    else:
        placed, routes, notes = place(d, d.grid, nodes, labels)
        square_leaf_edges(d, d.grid, placed, routes, into_frames=False)  # Affine's W and b, level, not across their labels
    margin_route(d, placed, routes, labels)
    dot = GridDigraph(engine="neato", graph_attr=dict(graph_attr, splines="true", outputorder="edgesfirst"),
                      node_attr=node_attr, edge_attr=edge_attr)
    for key in sorted(placed, key=lambda k: d.nodes[k].kind != "frame"):  # frames first: drawn under the cells
        dot.node(key, **placed[key])
    for key, text, x, y, attrs in notes:
        dot.node(key, text, shape="plaintext", pos=f"{x:.1f},{y:.1f}!", **attrs)
    for e, attrs, route in zip(d.edges, edges, routes):
        dot.edge(e.src, e.dst, **{**attrs, **route})  # place() may rewrap a label
    return dot


def _cards(d: Drawing, nodes: dict[str, dict], edges: list[dict]) -> None:
    """The rolled view's weights and initial states as cards: name and shape, then, smaller, the numbers of their one edge
    (value, gradient), which is left without a label: two sequences side by side still fit one screen."""
    for k, n in d.nodes.items():
        out = [i for i, e in enumerate(d.edges) if e.src == k]
        if k not in d.grid.side or len(out) != 1 or n.grad is not None or not edges[out[0]]["label"]:
            continue
        (i,) = out
        numbers, title = edges[i]["label"][1:-1], nodes[k]["label"]
        w, h = text_size(edges[i]["label"], EDGE_CHAR, EDGE_LINE)
        nodes[k].update(label=f'<{escape(title)}<br/><font point-size="8">{numbers}</font>>', fixedsize="true",
                        width=f"{(max(len(title) * NODE_CHAR, w) + 8) / 72:.3f}", height=f"{(NODE_LINE + h + 8) / 72:.3f}")
        edges[i]["label"] = ""


def _node_attrs(n: DrawnNode, graph: Graph, values: bool, show: str = "both", one_line: bool = False) -> dict:
    """one_line: a leaf's shape beside its name, not under it (the rolled view, one screen high)."""
    kind = n.kind
    if kind == "output" and n.loss:
        kind = "loss"
    elif kind == "group" and n.loss:
        kind = "loss_group"
    attrs = dict(_NODE_STYLE[kind], tooltip=n.tooltip or n.label)
    if n.kind == "frame" or n.tooltip == STEP_TOOLTIP:  # a layer's frame; x_t below its step
        attrs["label"] = n.label
    elif n.kind in ("param", "input", "output") and len(n.members) > 1:  # the per-step inputs of a rolled cell
        attrs["label"] = f"{n.label}\n× {len(n.members)} steps"
    elif n.kind in ("param", "input", "output"):
        t = graph.nodes[n.members[0]].tensor
        small = t is not None and t.size <= 6 and values and not (one_line and n.kind != "output")  # a card: numbers under it
        shown = format_array(t, values) if small else str(t.shape if t is not None else "")
        shown = shown if "\n" not in shown else str(t.shape)  # a matrix is written on its edge
        attrs["label"] = n.label + (" " if one_line and "\n" not in shown else "\n") + shown
        if n.note and show != "forward":  # a tied weight: its gradient, the sum over its uses
            red = [n.note] + ([format_array(n.grad, values)] if n.grad is not None else [])
            attrs["label"] = "<" + "<br/>".join([escape(x) for x in attrs["label"].split("\n")]
                                                + [f'<font color="{BACKWARD_COLOR}">{escape(x)}</font>' for x in red]) + ">"
    else:
        attrs["label"] = n.label
    if n.kind == "op":
        attrs["tooltip"] = describe(graph.nodes[n.members[0]])
    if n.kind == "rolled":
        attrs["height"] = "0.55"  # room for its loops (c above h) on its right side
    return attrs


def edge_label(value: str, grad: str, grad_color: str = BACKWARD_COLOR, name: str = "", grad_name: str = GRADIENT,
               inline: bool = False) -> str:
    """The tensor's name, its value in the forward colour and its gradient under them in red
    (Graphviz HTML label); a matrix keeps one row per line, in a monospaced font. inline: a summary
    written after the name, a formula before its numbers, on one line each (the rolled view, one screen high).
    Stacked summaries (format_array(stacked=True), the time grid) write their shape once: after the name when that line
    stays narrower than the numbers, else under it."""
    shape, value, grad = _shape_once(value, grad)
    lines = [f"<b>{escape(subscripted(name))}</b>"] if name else []
    if shape:
        beside = name and line_width(f"{subscripted(name)} {shape}", 8, bold=True) <= max(
            line_width(x, 8) for x in f"{value}\n{grad_name} {grad}".split("\n"))
        lines = [f"{lines[0]} {escape(shape)}"] if beside else lines + [escape(shape)]
    if value:
        if inline and lines and "\n" not in value:
            lines[-1] += " " + _lines(value, FORWARD_COLOR)
        else:
            lines.append(_lines(value, FORWARD_COLOR))
    if grad:
        formula = "y − t" in grad_name  # "(y − t)/N": the gradient's formula, then its numbers
        gap = " " if inline and "\n" not in grad else "\n"
        own = "\n" if shape and len(grad_name) > 8 else " "  # a long name, d(encoder.rnn.cell_l0.Wx), over its numbers
        lines.append(_lines(f"{GRADIENT} = {grad_name}{gap}{grad}" if formula else f"{grad_name}{own}{grad}", grad_color))
    return "<" + "<br/>".join(lines) + ">" if lines else ""


def _shape_once(value: str, grad: str) -> tuple[str, str, str]:
    """("(1, 256)", value, grad) without that first line when both (or the one shown) are stacked summaries of that
    shape; else ("", value, grad)."""
    parts = [STACKED.fullmatch(t) for t in (value, grad) if t]
    if not parts or not all(parts) or len({m.group(1) for m in parts}) != 1:
        return "", value, grad
    return parts[0].group(1), *(STACKED.sub(r"\2", t) for t in (value, grad))


def _lines(text: str, color: str) -> str:
    face = ' face="monospace"' if sum(line.startswith("[") for line in text.split("\n")) > 1 else ""  # a matrix's rows, aligned
    return f'<font color="{color}"{face}>' + "<br/>".join(escape(line) for line in text.split("\n")) + "</font>"


def _edge_attrs(e: DrawnEdge, show: str, values: bool, hidden: bool, edge_id: str | None, name: EdgeName = EdgeName(),
                shapeless: bool = False, inline: bool = False, stacked: bool = False) -> dict:
    """shapeless: a summary's shape left out (written on the leaf the edge comes from: the rolled view's weights);
    inline: see edge_label, and every step's values (N, T, ·) summarised, not written as a matrix (nor a card's matrix
    of more than two rows or four columns); stacked: summaries in two short lines (the time grid)."""
    tall = lambda a: inline and (np.ndim(a) >= 3 or shapeless and np.ndim(a) == 2 and (np.shape(a)[0] > 2 or np.shape(a)[1] > 4))  # noqa: E731
    value = format_array(e.value, values, tall(e.value), stacked) if show in ("forward", "both") else ""
    grad = format_array(e.grad, values, tall(e.grad), stacked) if show in ("backward", "both") and e.grad is not None else ""
    if shapeless:  # a leaf's edge: nothing left when the shape was all there was to write (values=False)
        value, grad = ("" if e.src != e.dst and re.fullmatch(r"\([\d, ]*\)", x) else SHAPE.sub("", x) for x in (value, grad))
    color = "transparent" if hidden else BACKWARD_COLOR
    if e.src == e.dst:  # a rolled layer's state: h<SUB>t−1</SUB> left of its numbers (under them, the subscript would overlap)
        state = SUBSCRIPT.sub(lambda m: f"<SUB>{escape(m.group(1))}</SUB>", escape(e.name))
        numbers = edge_label(value, grad, color, "", name.grad)[1:-1]
        label = f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD><FONT POINT-SIZE="11"><B>{state}</B></FONT></TD>' \
                f"<TD>{numbers}</TD></TR></TABLE>>"
        tip = f"{subscripted(e.name)}: the state each step hands to the next; its value the last one handed on, its ∂ summed over t"
    else:
        label = edge_label(value, grad, color, e.name or name.name, GRADIENT if shapeless else name.grad, inline)  # a card: ∂ under its name
    if inline:  # the rolled view keeps a summary on one line: place.wrap() breaks the grid's at ") ["
        label = label.replace(") [", ")&#160;[")
    attrs = dict(label=label, color=FORWARD_COLOR if show != "backward" else BACKWARD_COLOR)
    if e.src == e.dst:
        attrs["tooltip"] = tip
    if edge_id:
        attrs["id"] = edge_id
    return attrs


def cluster_id(path: tuple) -> str:
    """The Graphviz (and SVG) id of the cluster for a scope path."""
    return "cluster_" + "_".join(_safe(str(getattr(e, "serial", e))) for e in path)


def _emit_clusters(dot: graphviz.Digraph, clusters: dict[tuple, list[tuple[str, dict]]]) -> None:
    """Nested subgraphs cluster_<path> for every scope path, children inside parents; time steps
    in time order, other clusters in creation order."""
    paths: dict[tuple, None] = {}
    for p in clusters:
        for i in range(1, len(p) + 1):
            paths.setdefault(p[:i])

    def order(path: tuple) -> tuple:
        last = path[-1]
        return (0, int(last[2:])) if is_time(last) else (1, 0)

    def fill(g: Any, path: tuple) -> None:
        for node_id, attrs in clusters.get(path, []):
            g.node(node_id, **attrs)
        children = [c for c in paths if len(c) == len(path) + 1 and c[: len(path)] == path]
        for child in sorted(children, key=order):
            with g.subgraph(name=cluster_id(child)) as sub:
                sub.attr(label=escape(_cluster_label(child[-1])), style="rounded,dashed", color="#aab7b8", fontcolor="#566573",
                         id=cluster_id(child))
                fill(sub, child)

    fill(dot, ())


def _cluster_label(entry: Any) -> str:
    label = getattr(entry, "label", None)
    if label is None:
        return str(entry)
    return label if not entry.title or entry.title.lower() == entry.name else f"{label} ({entry.title})"


def _safe(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s)


__all__ = ["draw", "drawing", "edge_label", "format_array", "name_map", "render_graph", "to_digraph"]
