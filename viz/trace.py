"""The recorded graph as the textbook draws it: op nodes joined by edges that carry values.

`trace(output)` returns a `Graph` whose nodes are the ops (Add, Mul, Repeat, Sum, MatMul, ...),
the leaves (parameters, inputs, constants) and the output; a tensor consumed by several ops gets an
explicit Branch node. Each edge carries the forward value and, after
`backward(retain_graph=True)` (or given `grads` from `tg.edge_gradients`), the gradient that
flowed back along it. Every op node keeps its scope: module and time-step names, and the Groups
of the composite functions and layers it was made in (viz folds those into textbook nodes).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, count
from typing import Any

import numpy as np

from tinygrad_nlp import Function, RowSparse, Tensor, edge_gradients


@dataclass
class Node:
    key: str
    kind: str  # "op", "branch", "param", "input", "const" or "output"
    label: str  # op symbol or tensor name
    op: str = ""  # Function class name for ops ("Branch" for fan-out)
    fn: Function | None = None
    tensor: Tensor | None = None
    value: Any = None  # constants: the raw value
    scope: tuple = ()  # module and time-step names (str) and Groups, outermost first
    loss: bool = False  # the output of a graph that holds a loss function
    named: bool = True  # False for a leaf given a default name (x1, w1, ...)


@dataclass
class Edge:
    src: str
    dst: str
    value: np.ndarray  # the forward value flowing along the edge
    grad: np.ndarray | None = None  # dL/d value along this edge (after a retained backward)
    slot: int = 0  # input position at the destination op


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    has_grads: bool = False  # the edges carry gradients (a retained backward, or grads= given)

    def ops(self, op: str | None = None) -> list[Node]:
        """Op nodes (including Branch), optionally only those of one Function class name."""
        return [n for n in self.nodes.values() if n.kind in ("op", "branch") and (op is None or n.op == op)]

    def count(self) -> Counter:
        """How many op nodes of each type, e.g. Counter({'MatMul': 2, 'Add': 2, 'Branch': 1})."""
        return Counter(n.op for n in self.ops())


def _array(v: Any) -> Any:
    """A gradient as an array; a RowSparse stays one (viz prints its rows), a Scatter is made dense."""
    if v is None:
        return None
    if isinstance(v, Tensor):
        return v.data
    return v if isinstance(v, RowSparse) else np.asarray(v)


def _leaf_kind(t: Tensor) -> str:
    return "param" if t.requires_grad else "input"


def trace(output: Tensor, names: dict[int, str] | None = None, grads: dict[int, tuple[Any, tuple]] | None = None) -> Graph:
    """The graph that produced `output` (it must not have been freed by a backward()).

    `names` maps id(tensor) -> display name (e.g. from `Module.named_parameters()`); otherwise
    a tensor's own `.name`, else x1, x2, ... for inputs and w1, w2, ... for parameters, and for
    the output L (a loss) or y, z when an input is already called y (the book's x, y -> z).
    `grads` ({id(Function): (grad_out, grad_inputs)}) supplies the edge gradients; by default those
    a retained backward kept (`tg.edge_gradients(output, compute=False)`). Nothing in the recorded graph is changed.
    """
    names = names or {}
    graph = Graph()
    fns: list[tuple[Tensor, Function]] = []
    leaves: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = [output]
    consumers: Counter = Counter()
    while stack:  # collect every node reachable from output
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        fn = t.grad_fn
        if fn is None:
            leaves[id(t)] = t
            continue
        if fn.parents is None:
            raise RuntimeError("trace: the graph was freed by backward(); call backward(retain_graph=True) to keep it")
        fns.append((t, fn))
        for p in fn.parents:
            if isinstance(p, Tensor):
                consumers[id(p)] += 1
                stack.append(p)
    fns.reverse()

    def label(t: Tensor, default: str) -> str:
        return names.get(id(t)) or t.name or default

    grads = edge_gradients(output, compute=False) if grads is None else grads

    def edge_grads(fn: Function) -> tuple[Any, Any]:
        return (None, None) if grads is None else grads.get(id(fn), (None, None))

    source: dict[int, str] = {}  # id(tensor) -> key of the node whose output it is
    unnamed = [t for t in leaves.values() if not (names.get(id(t)) or t.name)]
    counters = {"x": 0, "w": 0}
    for i, t in enumerate(leaves.values()):
        key = f"leaf{i}"
        stem = "w" if t.requires_grad else "x"
        default = stem
        if sum(1 for u in unnamed if u.requires_grad == t.requires_grad) > 1:  # x1, x2, ...: never two the same
            counters[stem] += 1
            default = f"{stem}{counters[stem]}"
        graph.nodes[key] = Node(key, _leaf_kind(t), label(t, default), tensor=t, named=bool(names.get(id(t)) or t.name))
        source[id(t)] = key
    for i, (t, fn) in enumerate(fns):
        key = f"op{i}"
        graph.nodes[key] = Node(key, "op", fn.symbol, fn.name, fn=fn, tensor=t, scope=tuple(fn.scope))
        source[id(t)] = key

    tensors = {id(t): t for t, _ in fns} | leaves
    branch_of: dict[int, str] = {}
    for tid, n in consumers.items():
        if n > 1:
            key = f"branch{len(branch_of)}"
            t = tensors[tid]
            scope = t.grad_fn.scope if t.grad_fn is not None else ()
            graph.nodes[key] = Node(key, "branch", "Branch", "Branch", fn=None, tensor=t, scope=tuple(scope))
            branch_of[tid] = key
            graph.edges.append(Edge(source[tid], key, t.data, _array(edge_grads(t.grad_fn)[0]) if t.grad_fn is not None else _array(t.grad)))

    consts = 0
    for t, fn in fns:
        dst = source[id(t)]
        gs = edge_grads(fn)[1]
        graph.has_grads = graph.has_grads or gs is not None
        for slot, (p, a) in enumerate(zip(fn.parents, fn.args)):
            g = _array(gs[slot]) if gs is not None else None
            if not isinstance(p, Tensor):
                key = f"const{consts}"
                consts += 1
                graph.nodes[key] = Node(key, "const", _const_label(a), value=a, scope=tuple(fn.scope))
                graph.edges.append(Edge(key, dst, np.asarray(a), None, slot))
                continue
            src = branch_of.get(id(p), source[id(p)])
            graph.edges.append(Edge(src, dst, p.data, g if p.requires_grad else None, slot))

    out_key = "output"
    loss = output.size == 1 and any(getattr(s, "loss", False) for _, fn in fns for s in fn.scope)
    taken = {n.label for n in graph.nodes.values() if n.kind in ("param", "input")}
    default = "L" if loss else next(c for c in chain(("y", "z"), (f"out{i}" for i in count(1))) if c not in taken)  # the book's x, y -> z
    graph.nodes[out_key] = Node(out_key, "output", label(output, default), tensor=output, loss=loss)
    if output.grad_fn is not None:
        graph.edges.append(Edge(source[id(output)], out_key, output.data, _array(edge_grads(output.grad_fn)[0])))
    return graph


def _const_label(a: Any) -> str:
    arr = np.asarray(a)
    if arr.size == 1:
        return f"{arr.item():.4g}"
    return f"const {arr.shape}"
