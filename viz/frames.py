"""Step-by-step backprop: one picture per backward step, and an HTML page that steps through them.

The graph is laid out once: every frame has the same nodes in the same places. Step k colours the
node whose backward runs (orange), the nodes already done (green), and shows the gradients known
so far; the caption gives the op's symbol and its backward rule. Nothing here runs backward or
changes `.grad`: the edge gradients are `tg.edge_gradients`' (those of a retained backward, or
computed by a sweep that keeps the graph). The HTML page of the same steps is
`backprop_html`, `explore`'s page without the forward pass (explore.py, page.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_nlp import Tensor, edge_gradients, toposort
from .trace import Graph, trace
from tinygrad_nlp.files import atomic_write

from .draw import drawing, name_map, to_digraph
from .layout import Drawing
from .render import render_bytes

CURRENT_COLOR = "#f5b041"
DONE_COLOR = "#abebc6"


def backprop_steps(loss: Tensor) -> list[Any]:
    """The graph's Functions in the order backward() runs them (runs nothing)."""
    nodes, _ = toposort([loss])
    return [t.grad_fn for t in reversed(nodes)]


@dataclass
class Stepper:
    """One layout and, per backward step, which drawn nodes run or are done and which gradients are known."""

    graph: Graph
    drawing: Drawing
    steps: list[Any]  # Functions in backward order
    node_steps: dict[str, list[int]]  # drawn key -> the steps (1-based) of its ops
    edge_known: list[int]  # per drawn edge: the step after which its gradient is known (0: from the start)

    def fills(self, k: int) -> dict[str, str]:
        out = {}
        for key, steps in self.node_steps.items():
            if k in steps:
                out[key] = CURRENT_COLOR
            elif steps and k > max(steps):
                out[key] = DONE_COLOR
        return out

    def hidden(self, k: int) -> set[int]:
        return {i for i, s in enumerate(self.edge_known) if s > k}

    def caption(self, k: int) -> str:
        fn = self.steps[k - 1]
        doc = (type(fn).__doc__ or "").strip().splitlines()
        rule = doc[0].split(";", 1)[-1].strip() if doc else ""
        inside = [self.drawing.nodes[key].label for key, s in self.node_steps.items()
                  if k in s and self.drawing.nodes[key].kind != "op"]
        where = f" inside {inside[0]}" if inside else ""
        return f"{fn.symbol} ({fn.name}){where}: {rule}"


def stepper(loss: Tensor, names: Any = None, expand: Any = None, collapse: Any = None, roll: bool = False,
            max_nodes: int = 3000) -> Stepper:
    graph = trace(loss, name_map(names), edge_gradients(loss))
    d = drawing(graph, expand, collapse, roll, max_nodes)
    steps = backprop_steps(loss)
    step_of = {id(fn): k for k, fn in enumerate(steps, start=1)}
    node_steps = {key: sorted(step_of[id(graph.nodes[m].fn)] for m in n.members if graph.nodes[m].fn is not None)
                  for key, n in d.nodes.items()}
    known = [max((step_of.get(id(graph.nodes[r].fn), 0) for r in e.readers), default=0) for e in d.edges]
    return Stepper(graph, d, steps, node_steps, known)


def backprop_digraphs(loss: Tensor, names: Any = None, values: bool = True, rankdir: str | None = None, collapse: Any = None,
                      max_nodes: int = 3000, expand: Any = None, roll: bool = False) -> list[graphviz.Digraph]:
    """Frame k (k = 1..steps) after the k-th backward step; every frame has the same layout."""
    s = stepper(loss, names, expand, collapse, roll, max_nodes)
    return [to_digraph(s.drawing, s.graph, "both", values, rankdir, f"backward step {k}/{len(s.steps)}: {s.caption(k)}",
                       s.fills(k), s.hidden(k)) for k in range(1, len(s.steps) + 1)]


def backprop_frames(loss: Tensor, out_dir: str | os.PathLike, fmt: str = "svg", **draw_kwargs: Any) -> list[Path]:
    """Write frame_001.svg (or .png), ... one per backward step, in execution order."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"backprop_frames: fmt must be 'svg' or 'png', got {fmt!r}")
    out = Path(out_dir)
    paths = []
    for k, dg in enumerate(backprop_digraphs(loss, **draw_kwargs), start=1):
        path = out / f"frame_{k:03d}.{fmt}"
        paths.append(atomic_write(path, render_bytes(dg, fmt, path)))
    return paths
