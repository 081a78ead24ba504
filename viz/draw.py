"""Draw a computation graph the way the textbook does: op nodes (+, ×, Repeat, Σ, MatMul, Branch,
tanh, ...) joined by edges that carry the forward value and, against the flow in a second colour,
the gradient that came back along them. Nodes made inside a Module or a `scope` block are grouped
into nested clusters (model -> layer -> time step); `collapse` folds clusters into single nodes.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from typing import Any, Iterable

import graphviz
import numpy as np

from tinygrad_nlp.engine.graph import Edge, Graph, Node, trace
from tinygrad_nlp import Tensor

LARGE_GRAPH = 60  # drawn nodes beyond which layout effort is limited
FORWARD_COLOR = "#1f3b73"
BACKWARD_COLOR = "#c0392b"
HIGHLIGHT_COLOR = "#f5b041"
_SHOW = ("forward", "backward", "both")
_NODE_STYLE = {
    "param": dict(shape="box", style="filled,rounded", fillcolor="#d6eaf8", color="#2e86c1"),
    "input": dict(shape="box", style="rounded", color="#555555"),
    "const": dict(shape="plaintext", fontcolor="#666666"),
    "output": dict(shape="doubleoctagon", style="filled", fillcolor="#fadbd8", color=BACKWARD_COLOR),
    "op": dict(shape="circle", style="filled", fillcolor="#ffffff", color="#333333", fixedsize="false"),
    "branch": dict(shape="point", width="0.12", color="#333333"),
    "collapsed": dict(shape="box3d", style="filled", fillcolor="#eaeded", color="#566573"),
}


def format_array(a: Any, values: bool = True, max_values: int = 6) -> str:
    """Small arrays print their values; larger ones their shape and min/mean/max."""
    if a is None:
        return ""
    a = np.asarray(a.data if isinstance(a, Tensor) else a)
    if not values:
        return str(a.shape)
    if a.size <= max_values:
        body = np.array2string(a.reshape(-1) if a.ndim > 1 else a, precision=3, separator=" ", suppress_small=True)
        return body if a.ndim <= 1 else f"{a.shape} {body}"
    if a.size == 0:
        return f"{a.shape} (empty)"
    return f"{a.shape} [{a.min():.3g}, μ {a.mean():.3g}, {a.max():.3g}]"


@dataclass
class _Layout:
    """Which drawn node each graph node becomes (itself, or the collapsed cluster holding it)."""

    rep: dict[str, str] = field(default_factory=dict)
    collapsed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # drawn key -> scope path
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _collapse_path(scope: tuple[str, ...], collapse: Any) -> tuple[str, ...] | None:
    if collapse is None or collapse is False:
        return None
    if isinstance(collapse, int):
        return scope[: collapse + 1] if len(scope) > collapse else None
    names = {collapse} if isinstance(collapse, str) else set(collapse)
    for i, s in enumerate(scope):
        if s in names:
            return scope[: i + 1]
    return None


def _common_prefix(scopes: list[tuple[str, ...]]) -> tuple[str, ...]:
    if not scopes:
        return ()
    common = scopes[0]
    for s in scopes[1:]:
        n = 0
        while n < min(len(common), len(s)) and common[n] == s[n]:
            n += 1
        common = common[:n]
    return common


def _place_leaves(graph: Graph) -> None:
    """A leaf (and the Branch that fans it out) sits in the deepest scope shared by all the ops
    that read it: a layer's weights inside the layer's cluster, not at top level."""
    readers: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        readers[e.src].append(e.dst)
    for key, node in graph.nodes.items():
        if node.kind == "branch" and node.tensor is not None and node.tensor._ctx is None:
            node.scope = _common_prefix([graph.nodes[d].scope for d in readers[key]])
    for key, node in graph.nodes.items():
        if node.kind in ("param", "input", "const") and not node.scope:
            node.scope = _common_prefix([graph.nodes[d].scope for d in readers[key]])


def _is_scalar_const(node: Node) -> bool:
    return node.kind == "const" and np.size(node.value) == 1


def _inline_constants(graph: Graph) -> dict[str, str]:
    """Scalar constants are written into their op's label ("× 0.5") instead of drawn as nodes."""
    extra: dict[str, str] = {}
    for e in graph.edges:
        src = graph.nodes[e.src]
        if _is_scalar_const(src):
            extra[e.dst] = (extra.get(e.dst, "") + " " + src.label).strip()
    return extra


def _layout(graph: Graph, collapse: Any) -> _Layout:
    lay = _Layout()
    _place_leaves(graph)
    for key, node in graph.nodes.items():
        if _is_scalar_const(node):
            continue
        path = _collapse_path(node.scope, collapse) if node.kind not in ("output",) else None
        if path is not None and node.kind in ("param", "input"):
            node.scope = path[:-1]  # leaves stay visible, just outside the folded cluster
            path = None
        if path is not None:
            ckey = "collapsed_" + _safe("_".join(path))
            lay.rep[key] = ckey
            lay.collapsed[ckey] = path
            lay.counts[ckey] += node.kind in ("op", "branch")
        else:
            lay.rep[key] = key
    return lay


def _node_id(graph: Graph, key: str) -> str:
    node = graph.nodes.get(key)
    if node is not None and node.kind in ("op", "branch"):
        return f"{node.op}_{key}"
    return key


def _label(node: Node, values: bool, names: dict[int, str]) -> str:
    if node.kind in ("op", "branch"):
        return "" if node.kind == "branch" else node.label
    if node.kind == "const":
        return node.label
    t = node.tensor
    name = names.get(id(t)) or node.label
    value = format_array(t, values) if t is not None and t.size <= 6 and values else str(t.shape)
    return f"{name}\n{value}"


def draw(tensor: Tensor, show: str = "forward", values: bool = True, rankdir: str = "LR", names: Any = None,
         collapse: Any = None, max_nodes: int = 3000, highlight: Iterable[Any] = (), title: str | None = None) -> graphviz.Digraph:
    """The graph that produced `tensor` as a graphviz.Digraph (it displays inline in Jupyter).

    show: "forward" (values on edges), "backward" (gradients, after `backward(retain_graph=True)`)
    or "both" (each edge's value, and a reverse edge in red with its gradient).
    names: a Module (its dotted parameter names label the parameters) or {tensor or id: name}.
    collapse: a depth (0 = model, 1 = layer, ...) or scope names; clusters there become one node.
    """
    if show not in _SHOW:
        raise ValueError(f"draw: show must be one of {_SHOW}, got {show!r}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    names_by_id = name_map(names)
    graph = trace(tensor, names_by_id)
    return render_graph(graph, show, values, rankdir, names_by_id, collapse, max_nodes, highlight, title)


def name_map(names: Any) -> dict[int, str]:
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        return {id(p): n for n, p in names.named_parameters()}
    return {(k if isinstance(k, int) else id(k)): v for k, v in dict(names).items()}


def render_graph(graph: Graph, show: str = "forward", values: bool = True, rankdir: str = "LR", names: dict[int, str] | None = None,
                 collapse: Any = None, max_nodes: int = 3000, highlight: Iterable[Any] = (), title: str | None = None,
                 known_grads: set[int] | None = None) -> graphviz.Digraph:
    """Draw a traced Graph. `highlight` names op nodes (keys or Functions) to fill in colour;
    `known_grads`, when given, limits gradient labels to edges into those Function ids (frames)."""
    names = names or {}
    lay = _layout(graph, collapse)
    drawn = set(lay.rep.values())
    if len(drawn) > max_nodes:
        raise ValueError(f"draw: the graph has {len(drawn)} nodes, more than max_nodes={max_nodes}; pass collapse=1 "
                         "(or a list of scope names, e.g. collapse=['t=1', 't=2']) to fold layers or time steps, "
                         "or raise max_nodes")
    hl = {h if isinstance(h, str) else f"fn{id(h)}" for h in highlight}
    inlined = _inline_constants(graph)
    dot = graphviz.Digraph(graph_attr=dict(rankdir=rankdir, fontname="Helvetica", fontsize="11", nodesep="0.3",
                                           ranksep="0.35", label=title or "", labelloc="t"),
                           node_attr=dict(fontname="Helvetica", fontsize="10"), edge_attr=dict(fontname="Helvetica", fontsize="8"))
    if len(drawn) > LARGE_GRAPH:  # bound dot's network-simplex and crossing passes: 15 s -> 2 s at ~120 nodes
        dot.graph_attr.update(nslimit="2", nslimit1="2", mclimit="0.1")
    clusters: dict[tuple[str, ...], list[tuple[str, dict]]] = defaultdict(list)
    for key, node in graph.nodes.items():
        if lay.rep.get(key) != key:
            continue
        attrs = dict(_NODE_STYLE[node.kind])
        attrs["label"] = _label(node, values, names) + (f" {inlined[key]}" if key in inlined else "")
        if node.kind in ("op", "branch"):
            attrs["tooltip"] = node.op
            if key in hl or (node.fn is not None and f"fn{id(node.fn)}" in hl):
                attrs["fillcolor"] = HIGHLIGHT_COLOR
                attrs["style"] = "filled"
        clusters[node.scope if node.kind != "output" else ()].append((_node_id(graph, key), attrs))
    for ckey, path in lay.collapsed.items():
        attrs = dict(_NODE_STYLE["collapsed"], label=f"{path[-1]}\n({lay.counts[ckey]} ops)", tooltip="/".join(path))
        clusters[path[:-1]].append((ckey, attrs))
    _emit_clusters(dot, clusters)

    seen_edges: set[tuple[str, str, int]] = set()
    for e in graph.edges:
        if e.src not in lay.rep:  # an inlined scalar constant
            continue
        src, dst = lay.rep[e.src], lay.rep[e.dst]
        if src == dst:
            continue
        src_id = src if src in lay.collapsed else _node_id(graph, src)
        dst_id = dst if dst in lay.collapsed else _node_id(graph, dst)
        k = (src_id, dst_id, e.slot if src == e.src and dst == e.dst else -1)
        if k in seen_edges:
            continue
        seen_edges.add(k)
        collapsed_edge = src != e.src or dst != e.dst
        grad = e.grad if _grad_known(graph, e, known_grads) else None
        _emit_edge(dot, src_id, dst_id, e, show, values, grad, collapsed_edge)
    return dot


def _grad_known(graph: Graph, e: Edge, known: set[int] | None) -> bool:
    if known is None:
        return True
    dst = graph.nodes[e.dst]
    if dst.kind == "output":
        return True
    if dst.kind == "branch":  # the sum is known once every consumer has sent its part
        return all(graph.nodes[x.dst].fn is not None and id(graph.nodes[x.dst].fn) in known
                   for x in graph.edges if x.src == e.dst)
    return dst.fn is not None and id(dst.fn) in known


def _emit_edge(dot: graphviz.Digraph, src: str, dst: str, e: Edge, show: str, values: bool, grad: Any, collapsed: bool) -> None:
    value_label = format_array(e.value, values) if show in ("forward", "both") and not collapsed else ""
    grad_label = format_array(grad, values) if grad is not None and show in ("backward", "both") and not collapsed else ""
    if show == "backward":
        dot.edge(src, dst, label=grad_label, fontcolor=BACKWARD_COLOR, color=BACKWARD_COLOR, dir="back")
        return
    dot.edge(src, dst, label=value_label, color=FORWARD_COLOR, fontcolor=FORWARD_COLOR)
    if show == "both" and grad_label:
        dot.edge(src, dst, label=grad_label, color=BACKWARD_COLOR, fontcolor=BACKWARD_COLOR, dir="back",
                 style="dashed", constraint="false")


def _emit_clusters(dot: graphviz.Digraph, clusters: dict[tuple[str, ...], list[tuple[str, dict]]]) -> None:
    """Nested subgraphs cluster_<path> for every scope path, children inside parents."""
    paths: dict[tuple[str, ...], None] = {}  # insertion-ordered: clusters appear in creation order (t=2 before t=10)
    for p in clusters:
        for i in range(1, len(p) + 1):
            paths.setdefault(p[:i])

    def fill(g: Any, path: tuple[str, ...]) -> None:
        for node_id, attrs in clusters.get(path, []):
            g.node(node_id, **attrs)
        for child in [c for c in paths if len(c) == len(path) + 1 and c[: len(path)] == path]:
            with g.subgraph(name="cluster_" + _safe("_".join(child))) as sub:
                sub.attr(label=escape(child[-1]), style="rounded,dashed", color="#aab7b8", fontcolor="#566573")
                fill(sub, child)

    fill(dot, ())


def _safe(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s)
