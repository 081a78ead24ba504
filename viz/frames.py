"""Step-by-step backprop: one picture per backward step, and an HTML page that steps through them.

The graph is laid out once: every frame has the same nodes in the same places. Step k colours the
node whose backward runs (orange), the nodes already done (green), and shows the gradients known
so far; the caption gives the op's symbol and its backward rule. Nothing here runs backward or
changes `.grad`: the edge gradients are those of a retained backward, or computed by a private
sweep (`edge_gradients`) when there is none.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_nlp import Tensor, toposort
from tinygrad_nlp.engine.autograd import edge_gradients
from tinygrad_nlp.engine.graph import Graph, trace
from tinygrad_nlp.files import atomic_write

from .draw import drawing, name_map, to_digraph
from .layout import Drawing
from .render import render_bytes

CURRENT_COLOR = "#f5b041"
DONE_COLOR = "#abebc6"


def backprop_steps(loss: Tensor) -> list[Any]:
    """The graph's Functions in the order backward() runs them (runs nothing)."""
    nodes, _ = toposort([loss])
    return [t._ctx for t in reversed(nodes)]


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
    kept = loss._ctx is not None and hasattr(loss._ctx, "grad_inputs")
    graph = trace(loss, name_map(names), None if kept else edge_gradients(loss))
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


def backprop_html(loss: Tensor, path: str | os.PathLike, title: str = "Backpropagation, step by step", names: Any = None,
                  values: bool = True, rankdir: str | None = None, collapse: Any = None, max_nodes: int = 3000,
                  expand: Any = None, roll: bool = False) -> Path:
    """One self-contained HTML page (the graph inline as SVG, no network access) that steps through
    the backward pass: buttons, slider and arrow keys; fit to the window, wheel to zoom, drag to pan."""
    s = stepper(loss, names, expand, collapse, roll, max_nodes)
    svg = render_bytes(to_digraph(s.drawing, s.graph, "both", values, rankdir, ids=True), "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE
    data = {
        "captions": [s.caption(k) for k in range(1, len(s.steps) + 1)],
        "nodes": {"n_" + key: steps for key, steps in s.node_steps.items() if steps},
        "edges": {f"e_{i}": k for i, k in enumerate(s.edge_known)},
        "current": CURRENT_COLOR, "done": DONE_COLOR,
    }
    page = _PAGE.format(title=escape(title), n=len(s.steps), svg=svg,
                        data=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"))
    return atomic_write(path, page)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 0.6em 1em; }}
#controls {{ display: flex; gap: 0.8em; align-items: center; flex-wrap: wrap; }}
#slider {{ flex: 1; min-width: 12em; }}
#caption {{ font-size: 1.15em; margin: 0.4em 0; min-height: 1.4em; }}
#caption b {{ color: #b9770e; }}
#view {{ border: 1px solid #ccc; height: calc(100vh - 8.5em); overflow: hidden; cursor: grab; }}
#view svg {{ width: 100%; height: 100%; }}
.legend span {{ display: inline-block; width: 0.9em; height: 0.9em; vertical-align: middle; border: 1px solid #888; }}
</style></head>
<body>
<h2 style="margin: 0.2em 0">{title}</h2>
<div id="controls">
  <button id="prev" type="button" title="previous step (left arrow)">&larr;</button>
  <input id="slider" type="range" min="0" max="{n}" value="0" step="1" aria-label="backward step">
  <button id="next" type="button" title="next step (right arrow)">&rarr;</button>
  <button id="fit" type="button" title="the whole graph">fit</button>
  <button id="zoom" type="button" title="readable size">1:1</button>
  <span class="legend"><span style="background:#f5b041"></span> running <span style="background:#abebc6"></span> done</span>
</div>
<div id="caption"></div>
<div id="view">{svg}</div>
<script>
const data = {data};
const n = {n};
const svg = document.querySelector("#view svg");
svg.removeAttribute("width"); svg.removeAttribute("height");
const full = svg.getAttribute("viewBox").split(" ").map(Number);
let box = full.slice();
function setBox(b) {{ box = b; svg.setAttribute("viewBox", b.join(" ")); }}
function shapes(g) {{ return g ? g.querySelectorAll("ellipse, polygon, path") : []; }}
function toUnits(clientX, clientY) {{  // a point on the screen in viewBox units ("xMidYMid meet" centres the box)
  const r = svg.getBoundingClientRect(), scale = Math.max(box[2] / r.width, box[3] / r.height);
  return [box[0] + (clientX - r.left - (r.width - box[2] / scale) / 2) * scale,
          box[1] + (clientY - r.top - (r.height - box[3] / scale) / 2) * scale];
}}
function follow(el) {{  // keep the running node in view when zoomed in
  if (!el) return;
  const r = svg.getBoundingClientRect(), e = el.getBoundingClientRect(), m = 40;
  if (e.left >= r.left + m && e.right <= r.right - m && e.top >= r.top + m && e.bottom <= r.bottom - m) return;
  const [cx, cy] = toUnits(e.left + e.width / 2, e.top + e.height / 2);
  setBox([cx - box[2] / 2, cy - box[3] / 2, box[2], box[3]]);
}}
function readable() {{  // fit if the text stays readable, else 1 unit = 1 px around the loss
  const r = svg.getBoundingClientRect();
  if (full[2] <= r.width * 1.1 && full[3] <= r.height * 1.1) return setBox(full.slice());
  setBox([full[0], full[1], r.width, r.height]);
  follow(document.getElementById("n_output"));
}}
const original = {{}};
for (const id in data.nodes) {{
  const g = document.getElementById(id);
  original[id] = Array.from(shapes(g)).map(s => s.getAttribute("fill"));
}}
const grads = {{}};
for (const id in data.edges) {{
  const g = document.getElementById(id);
  grads[id] = g ? Array.from(g.querySelectorAll("text")).filter(t => t.getAttribute("fill") === "#c0392b") : [];
}}
function show(k) {{
  k = Math.max(0, Math.min(n, k));
  for (const id in data.nodes) {{
    const steps = data.nodes[id], g = document.getElementById(id);
    const fill = steps.includes(k) ? data.current : (k > Math.max(...steps) ? data.done : null);
    Array.from(shapes(g)).forEach((s, i) => {{ if (i === 0) s.setAttribute("fill", fill || original[id][i] || "white"); }});
  }}
  for (const id in data.edges) grads[id].forEach(t => t.style.visibility = data.edges[id] <= k ? "visible" : "hidden");
  const running = Object.keys(data.nodes).find(id => data.nodes[id].includes(k));
  if (running) follow(document.getElementById(running));
  document.getElementById("caption").innerHTML = k === 0
    ? "step 0 / " + n + ": the forward pass; press &rarr; to run backward"
    : "step " + k + " / " + n + ": <b>" + data.captions[k - 1].replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</b>";
  document.getElementById("slider").value = k;
}}
const slider = document.getElementById("slider");
slider.addEventListener("input", () => show(Number(slider.value)));
document.getElementById("prev").addEventListener("click", () => show(Number(slider.value) - 1));
document.getElementById("next").addEventListener("click", () => show(Number(slider.value) + 1));
document.getElementById("fit").addEventListener("click", () => setBox(full.slice()));
document.getElementById("zoom").addEventListener("click", readable);
document.addEventListener("keydown", e => {{
  if (e.key === "ArrowRight") show(Number(slider.value) + 1);
  if (e.key === "ArrowLeft") show(Number(slider.value) - 1);
}});
const view = document.getElementById("view");
view.addEventListener("wheel", e => {{
  e.preventDefault();
  const f = e.deltaY > 0 ? 1.15 : 1 / 1.15, [x, y] = toUnits(e.clientX, e.clientY);
  setBox([x - (x - box[0]) * f, y - (y - box[1]) * f, box[2] * f, box[3] * f]);
}}, {{ passive: false }});
let drag = null;
view.addEventListener("mousedown", e => {{ drag = [e.clientX, e.clientY, box.slice()]; view.style.cursor = "grabbing"; }});
window.addEventListener("mouseup", () => {{ drag = null; view.style.cursor = "grab"; }});
window.addEventListener("mousemove", e => {{
  if (!drag) return;
  const r = svg.getBoundingClientRect(), scale = Math.max(box[2] / r.width, box[3] / r.height);
  setBox([drag[2][0] - (e.clientX - drag[0]) * scale, drag[2][1] - (e.clientY - drag[1]) * scale, box[2], box[3]]);
}});
readable();
show(0);
</script>
</body></html>
"""
