"""The recorded graph as the textbook draws it: op nodes joined by edges that carry values.

`trace(output)` returns a `Graph` whose nodes are the ops (Add, Mul, Repeat, Sum, MatMul, ...),
the leaves (parameters, inputs, constants) and the output; a tensor consumed by several ops gets an
explicit Branch node. Each edge carries the forward value and, after
`backward(retain_graph=True)`, the gradient that flowed back along it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .tensor import Function, Tensor


@dataclass
class Node:
    key: str
    kind: str  # "op", "branch", "param", "input", "const" or "output"
    label: str  # op symbol or tensor name
    op: str = ""  # Function class name for ops ("Branch" for fan-out)
    fn: Function | None = None
    tensor: Tensor | None = None
    value: Any = None  # constants: the raw value
    scope: tuple[str, ...] = ()


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

    def ops(self, op: str | None = None) -> list[Node]:
        """Op nodes (including Branch), optionally only those of one Function class name."""
        return [n for n in self.nodes.values() if n.kind in ("op", "branch") and (op is None or n.op == op)]

    def count(self) -> Counter:
        """How many op nodes of each type, e.g. Counter({'MatMul': 2, 'Add': 2, 'Branch': 1})."""
        return Counter(n.op for n in self.ops())


def _array(v: Any) -> Any:
    if v is None:
        return None
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _leaf_kind(t: Tensor) -> str:
    return "param" if t.requires_grad else "input"


def trace(output: Tensor, names: dict[int, str] | None = None) -> Graph:
    """The graph that produced `output` (it must not have been freed by a backward()).

    `names` maps id(tensor) -> display name (e.g. from `Module.named_parameters()`); otherwise
    a tensor's own `.name` is used.
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
        fn = t._ctx
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

    source: dict[int, str] = {}  # id(tensor) -> key of the node whose output it is
    for i, t in enumerate(leaves.values()):
        key = f"leaf{i}"
        graph.nodes[key] = Node(key, _leaf_kind(t), label(t, "x" if not t.requires_grad else "w"), tensor=t)
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
            scope = t._ctx.scope if t._ctx is not None else ()
            graph.nodes[key] = Node(key, "branch", "Branch", "Branch", fn=None, tensor=t, scope=tuple(scope))
            branch_of[tid] = key
            graph.edges.append(Edge(source[tid], key, t.data, _total_grad(t)))

    consts = 0
    for t, fn in fns:
        dst = source[id(t)]
        grads = getattr(fn, "grad_inputs", None)
        for slot, (p, a) in enumerate(zip(fn.parents, fn.args)):
            g = _array(grads[slot]) if grads is not None else None
            if not isinstance(p, Tensor):
                key = f"const{consts}"
                consts += 1
                graph.nodes[key] = Node(key, "const", _const_label(a), value=a, scope=tuple(fn.scope))
                graph.edges.append(Edge(key, dst, np.asarray(a), None, slot))
                continue
            src = branch_of.get(id(p), source[id(p)])
            graph.edges.append(Edge(src, dst, p.data, g if p.requires_grad else None, slot))

    out_key = "output"
    graph.nodes[out_key] = Node(out_key, "output", label(output, "L" if output.size == 1 else "y"), tensor=output)
    if output._ctx is not None:
        graph.edges.append(Edge(source[id(output)], out_key, output.data, _array(getattr(output._ctx, "grad_out", None))))
    return graph


def _total_grad(t: Tensor) -> Any:
    if t._ctx is not None:
        return _array(getattr(t._ctx, "grad_out", None))
    return _array(t.grad) if t.grad is not None else None


def _const_label(a: Any) -> str:
    arr = np.asarray(a)
    if arr.size == 1:
        return f"{arr.item():.4g}"
    return f"const {arr.shape}"
