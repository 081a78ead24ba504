"""Step-by-step backprop: one picture per backward step, and an HTML page with a slider over them."""
from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_nlp import toposort
from tinygrad_nlp.engine.graph import trace
from tinygrad_nlp import Tensor
from tinygrad_nlp.files import atomic_write

from .draw import name_map, render_graph
from .render import render_bytes


def backprop_steps(loss: Tensor) -> list[Any]:
    """The graph's Functions in the order backward() runs them (after a retained backward)."""
    nodes, _ = toposort([loss])
    return [t._ctx for t in reversed(nodes)]


def _ensure_grads(loss: Tensor) -> None:
    if loss._ctx is not None and not hasattr(loss._ctx, "grad_out"):
        loss.backward(retain_graph=True)


def backprop_digraphs(loss: Tensor, names: Any = None, values: bool = True, rankdir: str = "LR", collapse: Any = None,
                      max_nodes: int = 3000) -> list[graphviz.Digraph]:
    """Frame k (k = 1..steps) shows the graph after the k-th backward step: the ops run so far are
    highlighted and the edges into them carry their gradients."""
    _ensure_grads(loss)
    steps = backprop_steps(loss)
    names_by_id = name_map(names)
    graph = trace(loss, names_by_id)
    frames = []
    for k in range(1, len(steps) + 1):
        done = steps[:k]
        frames.append(render_graph(graph, "both", values, rankdir, names_by_id, collapse, max_nodes, highlight=done,
                                   title=f"backward step {k}/{len(steps)}: {done[-1].name}",
                                   known_grads={id(f) for f in done}))
    return frames


def backprop_frames(loss: Tensor, out_dir: str | os.PathLike, fmt: str = "svg", **draw_kwargs: Any) -> list[Path]:
    """Write frame_001.svg (or .png), ... one per backward step, in execution order."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"backprop_frames: fmt must be 'svg' or 'png', got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, dg in enumerate(backprop_digraphs(loss, **draw_kwargs), start=1):
        path = out / f"frame_{k:03d}.{fmt}"
        paths.append(atomic_write(path, render_bytes(dg, fmt, path)))
    return paths


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
#controls {{ display: flex; gap: 1em; align-items: center; }}
#slider {{ width: 60%; }}
.frame {{ display: none; }} .frame.shown {{ display: block; }}
.frame svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
<h2>{title}</h2>
<div id="controls">
  <button id="prev" type="button">&larr;</button>
  <input id="slider" type="range" min="1" max="{n}" value="1" step="1" aria-label="backward step">
  <button id="next" type="button">&rarr;</button>
  <span id="caption"></span>
</div>
{frames}
<script>
const captions = {captions};
const slider = document.getElementById("slider");
function show(k) {{
  document.querySelectorAll(".frame").forEach(f => f.classList.toggle("shown", f.dataset.step === String(k)));
  document.getElementById("caption").textContent = "step " + k + " / " + captions.length + ": " + captions[k - 1];
  slider.value = k;
}}
slider.addEventListener("input", () => show(Number(slider.value)));
document.getElementById("prev").addEventListener("click", () => show(Math.max(1, Number(slider.value) - 1)));
document.getElementById("next").addEventListener("click", () => show(Math.min(captions.length, Number(slider.value) + 1)));
show(1);
</script>
</body></html>
"""


def backprop_html(loss: Tensor, path: str | os.PathLike, title: str = "Backpropagation, step by step", **draw_kwargs: Any) -> Path:
    """One self-contained HTML page (every frame inline as SVG, no network access) with a slider
    over the backward steps."""
    digraphs = backprop_digraphs(loss, **draw_kwargs)
    steps = backprop_steps(loss)
    parts = []
    for k, dg in enumerate(digraphs, start=1):
        svg = render_bytes(dg, "svg").decode("utf-8")
        svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE
        parts.append(f'<div class="frame" data-step="{k}">{svg}</div>')
    captions = json.dumps([f.name for f in steps]).replace("</", "<\\/")  # inside <script>
    html = _PAGE.format(title=escape(title), n=len(digraphs), frames="\n".join(parts), captions=captions)
    return atomic_write(path, html)

