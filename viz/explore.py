"""viz.explore: one self-contained page to explore the graph of a loss.

- one layout (Graphviz at build time): nothing moves; it opens at a readable size (the whole graph
  when it fits, else its first steps with a minimap of the whole); fit, wheel zoom, drag to pan;
- a timeline: forward steps show each op's value on its edges, backward steps each gradient
  (a fan-out's sum when its last part arrives); a step is one op, one drawn node (a cell, a layer)
  or one time step (steps.py); buttons, slider and arrow keys;
- click a node: its op and symbol, forward formula and backward rule, input and output shapes,
  values and gradients, and the chain-rule step with the numbers for small tensors;
- click a cluster's label to fold or open it; "open" on a composite node (σ, Affine, LSTM ...)
  shows its inside opened one level (inside.py: an LSTM as the book's cell), drawn at build time,
  readable in the widened panel (or enlarged in place of the graph); an "op" step folded into a box
  is captioned with that box;
- check=True: a numerical-vs-analytic check of every node's backward (float64), painted on the
  graph, so a wrong op (a user's own) is found on the picture.
`explore` returns an `Explorer` that displays inline in Jupyter and has `.save(path)`;
`backprop_html` is the same page with the forward pass already done.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from tinygrad_nlp import Tensor, edge_gradients, toposort
from .trace import Graph, trace
from tinygrad_nlp.files import atomic_write
from tinygrad_nlp.testing import numerical_grad

from .draw import cluster_id, drawing, format_array, name_map, to_digraph
from .gridnames import Words, column_words
from .frames import CURRENT_COLOR, DONE_COLOR
from .inside import interior_svg
from .layout import Drawing, DrawnNode
from .numbers import format_values
from .page import page
from .render import render_bytes
from .steps import Schedule, column_name, schedule

FORWARD_CURRENT, FORWARD_DONE = "#85c1e9", "#d6eaf8"
SMALL = 8  # tensors up to this many elements are written out in full in the inspector
MAX_INTERIORS = 40  # composite nodes whose inside is drawn into the page


@dataclass
class Explorer:
    """The page; `save(path)` writes it, and Jupyter shows it inline."""

    html: str

    def save(self, path: str | os.PathLike) -> Path:
        return atomic_write(path, self.html)

    def _repr_html_(self) -> str:
        return f'<iframe srcdoc="{escape(self.html, quote=True)}" style="width:100%;height:760px;border:0"></iframe>'


def explore(loss: Tensor, path: str | os.PathLike | None = None, names: Any = None, check: bool = False, expand: Any = None,
            collapse: Any = None, roll: bool = False, values: bool = True, rankdir: str | None = None, max_nodes: int = 3000,
            title: str = "Explore the graph", forward: bool = True, attention: Any = None,
            padding: dict[str, Iterable[int]] | None = None, tokens: Words = (), targets: Words = ()) -> Explorer:
    """Build the page for `loss` (see the module docstring); with `path`, also write it there.
    forward=False steps through the backward pass only. Nothing here changes `.grad` or the graph.

    attention: (weights (T_out, T_in), source tokens, output tokens) of a seq2seq model with attention
    (e.g. `np.stack([a.data[0] for a in model.decoder.weights])`): the page shows the heatmap, and
    choosing output step k highlights its row, that step's Attention box (or, opened, its Attention Weight and Weight Sum), and
    the edges from the encoder states into them (the gradients flowing back to the encoder).

    padding: {scope name: its time steps that read only padding}, e.g. {"encoder": range(18)}: drawn
    as one box, and the "time step" size steps through them at once.

    tokens, targets: the input words and the words the loss predicts, written under the columns and
    over Softmax with Loss, as `draw`: a list (one per column) or {module name: words}, e.g. a seq2seq
    model's {"encoder": question as read, "decoder": "_" and the answer} and {"decoder": answer}."""
    if loss.size != 1:
        raise ValueError(f"explore: the loss must have one element, got shape {loss.shape} (reduce it, e.g. .sum())")
    if loss.grad_fn is not None and loss.grad_fn.parents is None:
        raise RuntimeError("explore: the graph was freed by backward(); call backward(retain_graph=True), or explore before backward")
    grads = edge_gradients(loss)
    graph = trace(loss, name_map(names), grads)
    d = drawing(graph, expand, collapse, roll, max_nodes, padding=padding)
    d.tokens, d.targets = column_words("tokens", tokens, d), column_words("targets", targets, d)
    plan = schedule(graph, d, [t.grad_fn for t in toposort([loss])[0]], padding)
    fns = plan.order if forward else []
    back = plan.order[::-1]
    f_step = {id(fn): k for k, fn in enumerate(fns, start=1)}
    b_step = {id(fn): len(fns) + k for k, fn in enumerate(back, start=1)}
    fn_of = {k: n.fn for k, n in graph.nodes.items() if n.fn is not None}
    nodes, infos, interiors = {}, {}, {}
    for key, n in d.nodes.items():
        fs = sorted(f_step[id(fn_of[m])] for m in n.members if m in fn_of and id(fn_of[m]) in f_step)
        bs = sorted(b_step[id(fn_of[m])] for m in n.members if m in fn_of and id(fn_of[m]) in b_step)
        nodes["n_" + key] = {"f": fs, "b": bs, **({"box": 1} if n.kind != "op" else {})}
        infos["n_" + key] = _info(n, graph, grads)
        if n.kind == "group" and len(interiors) < MAX_INTERIORS and len(n.members) <= 200:
            interiors["n_" + key] = interior_svg(n, graph, values, grads)
    edges = {}
    for i, e in enumerate(d.edges):
        value_at = max((f_step.get(id(fn_of[s]), 0) for s in e.sources if s in fn_of), default=0)
        grad_at = max((b_step.get(id(fn_of[r]), len(fns)) for r in e.readers if r in fn_of), default=len(fns))
        edges[f"e_{i}"] = [value_at, grad_at]
    clusters = {}
    for key, n in d.nodes.items():
        for depth in range(1, len(n.cluster) + 1):
            clusters.setdefault(cluster_id(n.cluster[:depth]), []).append("n_" + key)
    sizes = {}
    for size in ("node", "time") if plan.has_time else ("node",):
        stops, captions = plan.stops(size, forward)
        sizes[size] = {"stops": stops, "captions": captions}
    svg = render_bytes(to_digraph(d, graph, "both", values, rankdir, ids=True), "svg").decode("utf-8")
    data = {
        "forward": len(fns), "backward": len(back), "nodes": nodes, "edges": edges, "clusters": clusters,
        "edgeEnds": {f"e_{i}": ["n_" + e.src, "n_" + e.dst] for i, e in enumerate(d.edges)},
        "captions": [_caption(fn, "forward", _where(fn, plan, d)) for fn in fns]
                    + [_caption(fn, "backward", _where(fn, plan, d)) for fn in back],
        "sizes": sizes, "size": "time" if plan.has_time else "op",
        "info": infos, "inside": interiors, "check": _check(d, graph, grads) if check else {},
        "attention": _attention_view(d, attention) if attention is not None else None,
        "colors": {"fcur": FORWARD_CURRENT, "fdone": FORWARD_DONE, "bcur": CURRENT_COLOR, "bdone": DONE_COLOR},
    }
    explorer = Explorer(page(escape(title), svg[svg.index("<svg"):], json.dumps(data, ensure_ascii=False).replace("</", "<\\/")))
    if path is not None:
        explorer.save(path)
    return explorer


def backprop_html(loss: Tensor, path: str | os.PathLike, title: str = "Backpropagation, step by step", names: Any = None,
                  values: bool = True, rankdir: str | None = None, collapse: Any = None, max_nodes: int = 3000,
                  expand: Any = None, roll: bool = False) -> Path:
    """One self-contained page (no network) that steps through the backward pass: `explore`
    with the forward pass already done (buttons, slider, arrow keys; click a node to inspect it)."""
    return explore(loss, names=names, expand=expand, collapse=collapse, roll=roll, values=values, rankdir=rankdir,
                   max_nodes=max_nodes, title=title, forward=False).save(path)


def _attention_view(d: Drawing, attention: Any) -> dict:
    """The heatmap and, per output step, its attention nodes and the edges into them."""
    weights, src, tgt = attention
    weights = np.asarray(getattr(weights, "data", weights), dtype=float)
    if weights.shape != (len(tgt), len(src)):
        raise ValueError(f"explore: attention weights {weights.shape} need (len(output tokens), len(source tokens)) = "
                         f"{(len(tgt), len(src))}")
    names = ("attention", "attentionweight", "additiveattentionweight", "weightsum")  # the folded box, or its two parts
    boxes = sorted((n for n in d.nodes.values() if n.kind == "group" and n.entry.name in names), key=lambda n: n.entry.serial)
    folded = [n for n in boxes if n.entry.name == "attention"]
    weight_nodes = folded or [n for n in boxes if n.entry.name != "weightsum"]
    sum_nodes = [] if folded else [n for n in boxes if n.entry.name == "weightsum"]
    steps, edges = [], []
    for k in range(len(tgt)):
        keys = {n.key for n in (weight_nodes[k:k + 1] + sum_nodes[k:k + 1])}
        steps.append(["n_" + key for key in sorted(keys)])
        edges.append([f"e_{i}" for i, e in enumerate(d.edges) if e.dst in keys])
    return {"weights": weights.round(3).tolist(), "src": [str(s) for s in src], "tgt": [str(t) for t in tgt],
            "steps": steps, "edges": edges}


def _rule(fn: Any) -> tuple[str, str]:
    """(forward formula, backward rule) from the first docstring line "z = ...;  dx = ..."."""
    doc = (type(fn).__doc__ or "").strip().splitlines()
    head = doc[0] if doc else ""
    forward, _, backward = head.partition(";  ")  # the docstrings' "formula;  rule" (a formula may hold ';')
    return forward.strip(), backward.strip()


def _caption(fn: Any, phase: str, where: str = "") -> str:
    forward, backward = _rule(fn)
    return f"{where}{fn.symbol} ({fn.name}): {forward if phase == 'forward' else backward}"


def _where(fn: Any, plan: Schedule, d: Drawing) -> str:
    """Where an op step is on the picture: "" for an op drawn as itself, else the box it is folded
    into ("inside LSTM, decoder/rnn t=3: "), or "not drawn" (plumbing the drawing contracts)."""
    key = plan.drawn.get(id(fn))
    if key is None:
        return "not drawn (plumbing): "
    n = d.nodes[key]
    if n.kind == "op":
        return ""
    column = plan.column.get(id(fn))
    name = n.label.split("\n")[0] or n.tooltip
    return f"inside {name}, {column_name(column)}: " if column is not None else f"inside {' '.join(n.label.split()) or n.tooltip}: "


def _show(a: Any) -> str:
    if a is None:
        return "—"
    a = _dense(a)
    a = np.asarray(getattr(a, "data", a))
    if a.size <= SMALL:
        return format_values(a)
    return format_array(a)


def _info(n: DrawnNode, graph: Graph, grads: dict) -> str:
    """The inspector's HTML for a drawn node."""
    rows: list[str] = []
    if n.kind == "op":
        node = graph.nodes[n.members[0]]
        fn = node.fn
        forward, backward = _rule(fn)
        g_out, g_ins = grads.get(id(fn), (None, None))
        rows.append(f"<h3>{escape(fn.symbol)} &nbsp;<small>{escape(fn.name)}</small></h3>")
        rows.append(f"<p><b>forward</b> {escape(forward)}<br><b>backward</b> {escape(backward)} &nbsp;(g = ∂L/∂z)</p>")
        letters = "xyuvw"
        table = ["<table><tr><th></th><th>shape</th><th>value</th><th>gradient ∂L/∂·</th></tr>"]
        for slot, (p, a) in enumerate(zip(fn.parents, fn.args)):
            name = letters[slot] if slot < len(letters) else f"x{slot}"
            g = g_ins[slot] if g_ins is not None and isinstance(p, Tensor) and fn.needs_input_grad[slot] else None
            table.append(f"<tr><td>{name}</td><td>{np.shape(a)}</td><td>{escape(_show(a))}</td><td>{escape(_show(g))}</td></tr>")
        table.append(f"<tr><td>z</td><td>{node.tensor.shape}</td><td>{escape(_show(node.tensor))}</td><td>{escape(_show(g_out))}</td></tr></table>")
        rows.extend(table)
        if g_out is not None and all(np.size(a) <= SMALL for a in fn.args):
            parts = [r.strip() for r in backward.split(",")]
            names_ = {letters[i]: _show(a) for i, a in enumerate(fn.args) if i < len(letters)}
            plugged = "; ".join(f"{k} = {v}" for k, v in names_.items())
            lines = [f"{escape(r)} &nbsp;→&nbsp; {escape(_show(g_ins[i]))}" for i, r in enumerate(parts)
                     if g_ins is not None and i < len(g_ins) and g_ins[i] is not None]
            rows.append(f"<p><b>chain rule</b> with g = {escape(_show(g_out))}; {escape(plugged)}<br>" + "<br>".join(lines) + "</p>")
    elif n.kind in ("group", "collapsed", "rolled"):
        ops = Counter(graph.nodes[m].op for m in n.members if graph.nodes[m].kind == "op")
        rows.append(f"<h3>{escape(n.label)}</h3><p>{escape(n.tooltip)}</p>")
        rows.append("<p>" + escape(", ".join(f"{op} × {c}" for op, c in ops.most_common())) + f" ({sum(ops.values())} ops)</p>")
    elif n.kind == "branch":
        rows.append("<h3>Branch</h3><p>fan-out: the value goes to several ops; ∂L/∂x is the sum of what they send back</p>")
    elif not n.members:  # drawn for the reader only (a layer's frame of shared weights)
        rows.append(f"<h3>{escape(n.label)}</h3><p>{escape(n.tooltip)}</p>")
    else:
        t = graph.nodes[n.members[0]].tensor if n.members else None  # a layer's frame has no tensor
        rows.append(f"<h3>{escape(n.label)}</h3><p>{escape(n.kind)}, shape {t.shape if t is not None else ''}</p>")
        if t is not None:
            total = _leaf_grad(graph, n.members[0])
            rows.append(f"<p><b>value</b> {escape(_show(t))}<br><b>gradient</b> {escape(_show(total))}</p>")
    return "\n".join(rows)


def _leaf_grad(graph: Graph, key: str) -> Any:
    """The total gradient reaching a leaf (or the output): the sum over its outgoing edges."""
    if graph.nodes[key].kind == "output":
        return next((e.grad for e in graph.edges if e.dst == key), None)
    out = [e for e in graph.edges if e.src == key]
    if any(graph.nodes[e.dst].kind == "branch" for e in out):
        out = [e for e in out if graph.nodes[e.dst].kind == "branch"]
    grads = [e.grad for e in out]
    if not grads or any(g is None for g in grads):
        return None
    return sum(grads[1:], grads[0])


def _check(d: Drawing, graph: Graph, grads: dict, probes: int = 6, eps: float = 1e-6) -> dict[str, float]:
    """Per drawn node, the largest relative error between each op's backward and central differences
    of <g, forward(x)> in float64, at up to `probes` coordinates of each input."""
    rng = np.random.default_rng(0)
    errors: dict[str, float] = {}
    for key, n in d.nodes.items():
        worst = 0.0
        for m in n.members:
            fn = graph.nodes[m].fn
            if fn is None or id(fn) not in grads or grads[id(fn)][0] is None:
                continue
            worst = max(worst, _vjp_error(fn, grads[id(fn)][0], rng, probes, eps))
        if any(graph.nodes[m].fn is not None for m in n.members):
            errors["n_" + key] = worst
    return errors


def _vjp_error(fn: Any, g: Any, rng: np.random.Generator, probes: int, eps: float) -> float:
    """The largest relative error of fn's backward against `numerical_grad` of <g, forward(x)>,
    at `probes` random coordinates of each float input."""
    args = [np.array(a, dtype=np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in fn.args]
    g = np.asarray(_dense(g), dtype=np.float64)
    analytic = fn.backward(g, fn.forward(*args), *args)
    worst = 0.0
    for i, (a, need) in enumerate(zip(args, fn.needs_input_grad)):
        if not need or not isinstance(a, np.ndarray) or a.dtype.kind != "f" or analytic[i] is None:
            continue
        probe = rng.choice(a.size, size=min(probes, a.size), replace=False)
        numeric = _numerical_vjp(fn, args, i, g, probe, eps)
        exact = np.asarray(_dense(analytic[i]), dtype=np.float64).reshape(-1)[probe]
        worst = max(worst, float(np.max(np.abs(exact - numeric) / np.maximum(1e-6, np.abs(exact) + np.abs(numeric)))))
    return worst


def _numerical_vjp(fn: Any, args: list, i: int, g: np.ndarray, probe: np.ndarray, eps: float) -> np.ndarray:
    """∂<g, fn.forward(args)>/∂args[i] at the flat coordinates `probe`, by central differences."""
    point = args[i].reshape(-1)[probe]

    def projected() -> float:
        x = args[i].copy()
        x.reshape(-1)[probe] = point
        return float(np.sum(g * fn.forward(*args[:i], x, *args[i + 1:])))

    return numerical_grad(projected, point, eps)


def _dense(a: Any) -> Any:
    return a.to_dense() if hasattr(a, "to_dense") and not isinstance(a, np.ndarray) else a


__all__ = ["Explorer", "backprop_html", "explore"]
