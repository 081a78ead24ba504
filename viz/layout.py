"""How a traced graph is drawn: which nodes fold into textbook nodes, the cluster each drawn node
sits in, which edges and Branch nodes remain, and the rows of time steps.

Pure decisions on a traced `Graph` (nothing in it is changed); `draw.py` turns a `Drawing` into
Graphviz. The rules:
- a composite function or textbook layer (a `Group` in the scope) is one node labelled with its
  textbook name (σ, Affine, LSTM, Softmax with Loss), unless `expand` opens it (then it is a box
  around its parts); `collapse` folds module or time-step clusters too;
- edges between drawn nodes are merged per tensor: a folded box's boundary edge carries the
  tensor's value and the sum of the gradients that crossed the boundary along it;
- a tensor read by two or more drawn nodes gets a Branch node; one read by a single drawn node
  does not (its fan-out is inside the box);
- parameters and inputs are never folded: they sit in the innermost cluster shared by their readers;
- steps "t=0", "t=1", ... of a layer form one row in time order (`time_rows`); `roll` draws all the
  steps of a layer as one node "× T".
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_nlp import Group
from .trace import Graph, Node

TIME = re.compile(r"t=(\d+)$")
MOVES = ("Reshape", "Concat", "GetItem", "Transpose")  # ops that only move values
REVERSE = "_reverse"  # a bidirectional layer's second rolled box: its key is the first's and this
STEP_INPUTS = "the input of every step"  # the tooltip of a rolled cell's x_t


@dataclass
class DrawnNode:
    key: str
    kind: str  # op, branch, param, input, const, output, group, collapsed, rolled
    label: str
    cluster: tuple = ()  # the scope entries of the boxes around it (strings and open Groups)
    members: list[str] = field(default_factory=list)  # the traced nodes drawn as this one
    tooltip: str = ""
    loss: bool = False
    entry: Any = None  # for a box: the scope entry (Group, module or time-step name) it folds
    grad: Any = None  # a weight read in two forms (tied, tied.py): its gradient, the sum over its uses
    note: str = ""  # written under its label (a tied weight: how that gradient is made)


@dataclass
class DrawnEdge:
    src: str
    dst: str
    value: Any
    grad: Any  # the sum of the gradients along the traced edges merged into this one (None if unknown)
    readers: list[str] = field(default_factory=list)  # traced op nodes whose backward sent that gradient
    slot: int = 0
    sources: list[str] = field(default_factory=list)  # traced nodes whose outputs the edge carries
    name: str = ""  # written before the value: h_{t-1} on the self-loop of a rolled layer


@dataclass
class Drawing:
    nodes: dict[str, DrawnNode] = field(default_factory=dict)
    edges: list[DrawnEdge] = field(default_factory=list)
    time_rows: list[list[str]] = field(default_factory=list)  # drawn nodes to place in one row, in time order
    grid: Any = None  # a timegrid.Grid: time steps in columns, layers in rows (set by timegrid.arrange)
    tokens: dict = field(default_factory=dict)  # input words under the columns: {"": one per column} or {module: one per its step}
    targets: dict = field(default_factory=dict)  # the words the loss predicts, over Softmax with Loss (the same form)


def is_time(entry: Any) -> bool:
    return isinstance(entry, str) and TIME.match(entry) is not None


def _opens(g: Group, expand: Any) -> bool:
    if expand is True:
        return True
    if not expand:
        return False
    names = {expand} if isinstance(expand, str) else set(expand)
    return bool(names & {g.name, g.label, g.title})


def _fold_point(scope: tuple, expand: Any, collapse: Any, roll: bool) -> int | None:
    """The index of the scope entry whose box this node is drawn as (None: drawn itself)."""
    names = None if collapse is None or isinstance(collapse, int) else ({collapse} if isinstance(collapse, str) else set(collapse))
    for i, entry in enumerate(scope):
        if roll and is_time(entry):
            return i
        if isinstance(collapse, int) and not isinstance(collapse, bool) and i == collapse:
            return i
        if names is not None and str(entry) in names | {getattr(entry, "label", None)} - {None}:
            return i
        if isinstance(entry, Group) and not _opens(entry, expand):
            return i
    return None


def common_prefix(paths: list[tuple]) -> tuple:
    if not paths:
        return ()
    common = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(common), len(p)) and common[n] == p[n]:
            n += 1
        common = common[:n]
    return common


def _pull_into_time_steps(graph: Graph, scope_of: dict[str, tuple], readers: dict[str, list[str]],
                          sources: dict[str, list[str]]) -> None:
    """An op in a layer's own scope that only serves one time step (x[:, t] before the cell, the
    reshape of h_t before the stack) is drawn inside that step."""
    parents = {s[:i] for s in scope_of.values() for i, e in enumerate(s) if is_time(e)}
    for _ in range(2):
        for key, node in graph.nodes.items():
            if node.kind != "op" or scope_of[key] not in parents:
                continue
            p = scope_of[key]
            for around in (readers[key], [s for s in sources[key] if graph.nodes[s].kind == "op"]):
                steps = {scope_of[k][: len(p) + 1] for k in around}
                if len(steps) == 1 and around:
                    (step,) = steps
                    if len(step) == len(p) + 1 and is_time(step[-1]):
                        scope_of[key] = step
                        break


def layout(graph: Graph, expand: Any = None, collapse: Any = None, roll: bool = False) -> Drawing:
    """Decide what is drawn; see the module docstring."""
    d = Drawing()
    branch_src = {e.dst: e.src for e in graph.edges if graph.nodes[e.dst].kind == "branch"}
    flows = [(branch_src.get(e.src, e.src), e) for e in graph.edges if graph.nodes[e.dst].kind != "branch"]
    readers: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    for src, e in flows:
        readers[src].append(e.dst)
        sources[e.dst].append(src)
    scope_of = {k: tuple(n.scope) for k, n in graph.nodes.items()}
    _pull_into_time_steps(graph, scope_of, readers, sources)

    rep: dict[str, str] = {}  # traced op or output -> drawn key
    for key, node in graph.nodes.items():
        if node.kind not in ("op", "output"):
            continue
        scope = scope_of[key] if node.kind == "op" else ()
        i = _fold_point(scope, expand, collapse, roll)
        if i is None:
            dkey = f"{node.op}_{key}" if node.kind == "op" else key  # e.g. MatMul_op3
            rep[key] = dkey
            d.nodes[dkey] = DrawnNode(dkey, node.kind, node.label, scope, [key], tooltip=node.op, loss=node.loss)
            continue
        box = scope[: i + 1]
        ids = [_entry_id(e) for e in box]
        if roll and is_time(box[-1]):  # every step of the layer: one node (one per layer of a stacked RNN)
            inner = scope[i + 1] if len(scope) > i + 1 else None  # the layer's cell, or a module run per step (attention)
            ids[-1] = "rolled" + _entry_id((inner.title if isinstance(inner, Group) else inner) or "")
        dkey = "box_" + "_".join(ids)
        rep[key] = dkey
        if dkey not in d.nodes:
            d.nodes[dkey] = _box_node(dkey, box, roll)
        d.nodes[dkey].members.append(key)

    if roll:
        _fold_step_plumbing(d, graph, rep, readers, sources)

    # leaves and constants sit where their readers are drawn; a scalar constant goes into its op's label
    for key, node in graph.nodes.items():
        if node.kind not in ("param", "input", "const"):
            continue
        drawn_readers = [rep[r] for r in readers[key]]
        if node.kind == "const":
            visible = [dr for dr in drawn_readers if d.nodes[dr].kind == "op"]
            if not visible:
                continue  # a constant inside a folded box
            if np.size(node.value) == 1:
                op = d.nodes[visible[0]]
                op.label = "/" if (op.label, node.label) == ("**", "-1") else f"{op.label} {node.label}"  # the book's 1/x node
                continue
        cluster = common_prefix([d.nodes[r].cluster for r in drawn_readers])
        per_step = not node.named or re.fullmatch(r"x_\d+", node.label)  # nn's layers name the slices x_0, x_1, ...
        if roll and node.kind == "input" and per_step and len(set(drawn_readers)) == 1 \
                and d.nodes[drawn_readers[0]].kind == "rolled":  # the per-step inputs of a rolled cell: one x_t
            rep[key] = drawn_readers[0] + "_inputs"
            d.nodes.setdefault(rep[key], DrawnNode(rep[key], "input", "x_t", cluster, [], tooltip=STEP_INPUTS))
            d.nodes[rep[key]].members.append(key)
            continue
        rep[key] = key
        d.nodes[key] = DrawnNode(key, node.kind, node.label, cluster, [key])

    # edges merged per (drawn source, drawn destination, tensor); an op reading one tensor twice (x * x)
    # keeps an edge per input slot, so the tensor gets its Branch node
    merged: dict[tuple[str, str, str, Any], DrawnEdge] = {}
    steps_of: dict[tuple, dict[str | None, tuple[Any, list]]] = defaultdict(dict)  # edge -> step -> (value, gradients)
    for src, e in flows:
        if src not in rep:
            continue
        ds, dd = rep[src], rep[e.dst]
        rolled = "rolled" in (d.nodes[ds].kind, d.nodes[dd].kind)
        loop = ds == dd and rolled and _step(scope_of[src]) != _step(scope_of[e.dst]) \
            and graph.nodes[src].op not in ("Reshape", "GetItem", "Concat")  # a state, not the stacking of the outputs
        if ds == dd and not loop:
            continue
        per_step = graph.nodes[src].kind == "op" or len(d.nodes[ds].members) > 1
        k = (ds, dd, ("loop " + graph.nodes[src].op) if loop else "*" if rolled and per_step else src,  # a rolled box: one edge for all steps
             e.slot if d.nodes[dd].kind == "op" else None)
        if k not in merged:
            merged[k] = DrawnEdge(ds, dd, e.value, e.grad, [], e.slot, [])
        elif src not in merged[k].sources:  # the same edge at a later step: its value, the sum of the gradients
            m = merged[k]
            same = m.grad is not None and e.grad is not None and np.shape(m.grad) == np.shape(e.grad)
            m.value, m.grad = e.value, m.grad + e.grad if same else None
        else:
            m = merged[k]
            m.grad = None if m.grad is None or e.grad is None else m.grad + e.grad
        inputs = d.nodes[ds].members if d.nodes[ds].tooltip == STEP_INPUTS else []  # x_t: each its step's
        step = steps_of[k].setdefault(f"t={inputs.index(src)}" if src in inputs else _step(scope_of[src]), (e.value, []))
        step[1].append(e.grad)
        merged[k].readers.append(e.dst)
        if src not in merged[k].sources:
            merged[k].sources.append(src)
    loops = [k for k in merged if k[2].startswith("loop")]
    for k in loops:  # the LSTM's two loops: c (made by the Add of c = f·c_prev + g·i) and h
        state = "c" if k[2] == "loop Add" and sum(j[0] == k[0] for j in loops) > 1 else "h"
        merged[k].name = f"{state}_{{t−1}}"
    for k, steps in steps_of.items():
        if k[2] == "*" and k[0] != k[1] and len(steps) > 1:  # out of a rolled box, or into it step by step (x_t)
            _whole_sequence(merged[k], steps, "h" if any(j[0] == k[0] for j in loops) else "x" if d.nodes[k[0]].kind == "input" else "")
            if d.nodes[k[0]].kind not in ("rolled", "input"):
                merged[k].name = ""  # a bidirectional layer's input, as the one-way layer's
    by_tensor: dict[tuple, list[DrawnEdge]] = defaultdict(list)
    for (ds, _, src, _), edge in merged.items():  # "*": a rolled box's outputs, told apart by their shapes
        by_tensor[(ds, src) if src != "*" else (ds, src, np.shape(edge.value))].append(edge)
    for (ds, src, *_), edges in by_tensor.items():
        if len(edges) < 2:
            d.edges.extend(edges)
            continue
        shape = "x".join(map(str, np.shape(edges[0].value)))
        bkey = "Branch_" + (src if src != "*" else f"{ds}_{shape}")  # "*": an output of the rolled box ds
        cluster = common_prefix([d.nodes[e.dst].cluster for e in edges] + [d.nodes[ds].cluster])
        d.nodes[bkey] = DrawnNode(bkey, "branch", "", cluster, [], tooltip="Branch")
        grads = [e.grad for e in edges]
        total = None if any(g is None for g in grads) else sum(grads[1:], grads[0])
        d.edges.append(DrawnEdge(ds, bkey, edges[0].value, total, [r for e in edges for r in e.readers], edges[0].slot,
                                 edges[0].sources))
        shared_weight = d.nodes[ds].kind == "param"  # its value is written once, on the edge into the Branch
        for e in edges:
            d.edges.append(DrawnEdge(bkey, e.dst, None if shared_weight else e.value, e.grad, e.readers, e.slot, e.sources))
    if not roll:
        d.time_rows = _time_rows(d)
        _dissolve_time_boxes(d, graph)
    return d


def _whole_sequence(edge: DrawnEdge, steps: dict[str | None, tuple[Any, list]], stem: str) -> None:
    """A rolled layer's output edge carries every step's output, (N, T, H), and the gradients that came
    back into each step: "h_t, t = 0…T−1" (not one step's value beside the gradient summed over the steps);
    its input edge every step's input, "x_t, t = 0…T−1"."""
    order = [steps[t] for t in sorted(steps, key=lambda t: int(TIME.match(t).group(1)) if t else -1)]
    grads = [None if any(g is None for g in gs) else sum(gs[1:], gs[0]) for _, gs in order]
    shapes = {np.shape(v) for v, _ in order} | {np.shape(g) for g in grads if g is not None}
    if len(shapes) != 1 or None in steps or not np.ndim(order[0][0]):
        return  # steps of different shapes: the last step's value and the summed gradient stay
    along = lambda xs: np.concatenate(xs, axis=1) if np.ndim(xs[0]) > 2 and np.shape(xs[0])[1] == 1 else np.stack(xs, axis=1)  # noqa: E731
    edge.value = along([v for v, _ in order])
    edge.grad = None if any(g is None for g in grads) else along(grads)
    edge.name = sequence_name(bool(stem), len(order), stem)


def sequence_name(recurrent: bool, steps: int, stem: str = "h") -> str:
    """The name of a rolled layer's output, every step's: "h_t, t = 0…T−1" (h_t for a recurrent layer; x_t for
    the inputs of its steps, stem="x")."""
    return (f"{stem}_{{t}}, " if recurrent else "") + f"t = 0…{steps - 1}"


def _fold_step_plumbing(d: Drawing, graph: Graph, rep: dict[str, str], readers: dict[str, list[str]],
                        sources: dict[str, list[str]]) -> None:
    """Rolled: the ops of a step outside its cell (x[:, t], the reshape of h_t before the stack) go
    into the rolled cell they serve."""
    for key in [k for k, n in d.nodes.items() if n.kind == "rolled" and k.endswith("_rolled")]:
        for m in d.nodes[key].members:
            near = [rep.get(x) for x in sources[m] + readers[m]]  # h_t's reshape stays with its cell
            cells = list(dict.fromkeys(x for x in near if x and x != key and d.nodes[x].kind == "rolled"))
            before = [rep[x] for x in sources[m] if rep.get(x) and d.nodes[rep[x]].kind != "rolled"]
            both = len(cells) == 2 and REVERSE in (cells[1].removeprefix(cells[0]), cells[0].removeprefix(cells[1]))
            if both and before:  # a bidirectional layer's x_t, read by both directions: with the layer that made x
                cells = before
            elif (both or not cells) and graph.nodes[m].op in MOVES:  # the two directions' h_t joined (and reshaped to
                rep[m] = m  # be stacked): plumbing on its own, contracted with the rest
                d.nodes[m] = DrawnNode(m, "op", graph.nodes[m].label, d.nodes[key].cluster, [m], tooltip=graph.nodes[m].op)
                continue
            if not cells:
                break
            rep[m] = cells[0]
            d.nodes[cells[0]].members.append(m)
        else:
            del d.nodes[key]


def _step(scope: tuple) -> str | None:
    return next((e for e in scope if is_time(e)), None)


def _entry_id(entry: Any) -> str:
    text = f"{entry.name}{entry.serial}" if isinstance(entry, Group) else str(entry)
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def _box_node(key: str, box: tuple, roll: bool) -> DrawnNode:
    entry = box[-1]
    path = "/".join(map(str, box))
    if roll and is_time(entry):
        return DrawnNode(key, "rolled", "", box[:-1], [], tooltip=path, entry=entry)
    if isinstance(entry, Group):
        return DrawnNode(key, "group", entry.label, box[:-1], [], tooltip=f"{path}: {entry.label}", loss=entry.loss, entry=entry)
    return DrawnNode(key, "collapsed", str(entry), box[:-1], [], tooltip=path, entry=entry)


def _time_rows(d: Drawing) -> list[list[str]]:
    """The boxes of a layer's time steps, one row per layer (and per kind of box), in time order:
    a folded cell inside step t, or step t itself folded."""
    rows: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for key, n in d.nodes.items():
        if n.kind == "collapsed" and is_time(n.entry):
            rows[(n.cluster, "step")].append((int(TIME.match(n.entry).group(1)), key))
        elif n.kind == "group" and n.cluster and is_time(n.cluster[-1]):
            rows[(n.cluster[:-1], n.entry.name, n.entry.title)].append((int(TIME.match(n.cluster[-1]).group(1)), key))
    return [[k for _, k in sorted(r)] for r in rows.values() if len(r) > 1]


def _dissolve_time_boxes(d: Drawing, graph: Graph) -> None:
    """A step whose cell is one folded box needs no box of its own: the row is the picture (the
    textbook's Time RNN). The cell is labelled with its step, an unnamed input with its step too."""
    rowed = {d.nodes[k].cluster for row in d.time_rows for k in row if d.nodes[k].kind == "group"}
    for n in d.nodes.values():
        for depth, entry in enumerate(n.cluster):
            if n.cluster[: depth + 1] in rowed:
                step = TIME.match(entry).group(1)
                if n.kind == "group" and depth == len(n.cluster) - 1:
                    n.label = f"{n.label}\nt={step}"
                elif n.kind == "input" and not graph.nodes[n.members[0]].named:
                    n.label = f"x_t{step}"
                n.cluster = n.cluster[:depth] + n.cluster[depth + 1:]
                break


def finish_labels(d: Drawing, graph: Graph) -> None:
    """Counts and names that need the whole drawing: "(n ops)" of collapsed boxes, "LSTM × T", a loss's "[n, t]"."""
    titles = {}
    for n in d.nodes.values():
        ops = [m for m in n.members if graph.nodes[m].kind == "op"]
        if n.kind == "op" and n.label == "[]" and _picks_targets(graph.nodes[n.members[0]]):
            n.label = "[n, t]"  # each row n's score of its target t: the book's z[np.arange(N), t]
        elif n.kind == "collapsed":
            n.label = f"{n.label}\n({len(ops)} ops)"
        elif n.kind == "rolled":
            steps = {s for m in ops for s in graph.nodes[m].scope if is_time(s)}
            after = [s[s.index(_step(s)) + 1:] for s in (graph.nodes[m].scope for m in ops) if _step(s)]
            cells = {(e[0].label, e[0].title) for e in after if e and isinstance(e[0], Group) and e[0].kind == "layer"}
            modules = {e[0] for e in after if e and isinstance(e[0], str)}  # the layer a step runs (Attention's parts inside)
            name, title = next(iter(cells)) if len(cells) == 1 else (next(iter(modules)).capitalize() if len(modules) == 1 else "step", "")
            n.label, titles[n.key] = f"{name} × {len(steps)}", title
    rolled = [n for n in d.nodes.values() if n.kind == "rolled"]
    same = {n.key: sum(m.label == n.label for m in rolled) for n in rolled}
    for n in rolled:  # stacked layers: each box says which it is
        if titles[n.key] and same[n.key] > 1:
            n.label = f"{n.label}\n{titles[n.key]}"
            n.tooltip += f" ({len(ops)} ops over {len(steps)} time steps)"


def _picks_targets(node: Node) -> bool:
    """True for a GetItem by integer arrays inside Softmax with Loss (cross_entropy)."""
    index = getattr(node.fn, "index", None)
    return isinstance(index, tuple) and any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in index) \
        and any(isinstance(s, Group) and s.name == "cross_entropy" for s in node.scope)


def describe(node: Node) -> str:
    """Tooltip of a primitive op: its class and the first line of its docstring (forward; backward)."""
    doc = (type(node.fn).__doc__ or "").strip().splitlines()
    return f"{node.op}: {doc[0]}" if doc else node.op
