"""Rendering through Graphviz's `dot`, with an actionable error when it is missing."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_nlp import Tensor
from tinygrad_nlp.files import atomic_write

FORMATS = ("dot", "svg", "png", "pdf")
INSTALL_HINT = (
    "Graphviz's `dot` executable was not found on PATH, so the graph cannot be rendered to {fmt}. "
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/. {where}"
)


class GraphvizNotFound(RuntimeError):
    """The `dot` executable is missing."""


def has_dot() -> bool:
    return shutil.which("dot") is not None


def render_bytes(dg: graphviz.Digraph, fmt: str, source_path: Path | None = None) -> bytes:
    """Run dot on the Digraph's source. Without dot: write the source next to `source_path`
    (when given) and raise GraphvizNotFound saying how to install Graphviz."""
    try:
        return dg.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        where = ""
        if source_path is not None:
            dot_path = Path(source_path).with_suffix(".dot")
            if dot_path.exists() and dot_path.read_text(encoding="utf-8", errors="replace") != dg.source:
                dot_path = Path(source_path).with_name(Path(source_path).name + ".dot")  # never replace another graph
            atomic_write(dot_path, dg.source)
            where = f"The DOT source was written to {dot_path}."
        raise GraphvizNotFound(INSTALL_HINT.format(fmt=fmt, where=where)) from None


def save(graph: Any, path: str | os.PathLike, **draw_kwargs: Any) -> Path:
    """Write a Digraph (or the graph of a Tensor, drawn with `draw_kwargs`) to .dot, .svg, .png or
    .pdf, chosen by the file extension."""
    from .draw import draw

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"save: unsupported extension {path.suffix!r}; use one of {', '.join('.' + f for f in FORMATS)}")
    dg = draw(graph, **draw_kwargs) if isinstance(graph, Tensor) else graph
    return atomic_write(path, dg.source if fmt == "dot" else render_bytes(dg, fmt, path))
