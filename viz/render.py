"""Rendering through Graphviz's `dot`; where it is missing, through `graphviz-pure` (a Rust port of
Graphviz installed from the package index by the `render` extra); else an actionable error."""
from __future__ import annotations

import os
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_nlp import Tensor
from tinygrad_nlp.files import atomic_write

FORMATS = ("dot", "svg", "png", "pdf")
PURE_FORMATS = ("svg", "png")  # graphviz-pure 0.2 writes no PDF
INSTALL_HINT = (
    "Graphviz's `dot` executable was not found on PATH, so the graph cannot be rendered to {fmt}. "
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/; for SVG and PNG, "
    "`pip install graphviz-pure` (or the `render` extra) is enough. {where}"
)


class GraphvizNotFound(RuntimeError):
    """Neither `dot` nor (for SVG and PNG) `graphviz-pure` is installed."""


def has_dot() -> bool:
    return shutil.which("dot") is not None


def pure_renderer() -> str | None:
    """The `graphviz-pure` executable: on PATH, or where pip put it (a venv that is not activated)."""
    found = shutil.which("graphviz-pure")
    if found:
        return found
    try:
        dist = distribution("graphviz-pure")
    except PackageNotFoundError:
        return None
    scripts = [dist.locate_file(f) for f in dist.files or [] if Path(str(f)).stem == "graphviz-pure"]
    return next((str(p) for p in scripts if os.access(p, os.X_OK)), None)


def render_bytes(dg: graphviz.Digraph, fmt: str, source_path: Path | None = None) -> bytes:
    """Run dot (or graphviz-pure) on the Digraph's source. Without either: write the source next to
    `source_path` (when given) and raise GraphvizNotFound saying how to install a renderer."""
    try:
        return dg.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        pure = pure_renderer() if fmt in PURE_FORMATS else None
        if pure:  # its warnings (font widths of non-ASCII letters) are noise here
            no_op = getattr(dg, "neato_no_op", None)  # the time grid's `neato -n2`
            engine = [f"-K{dg.engine}"] + ([f"-n{no_op}"] if no_op else [])
            return subprocess.run([pure, *engine, f"-T{fmt}"], input=dg.source.encode(), capture_output=True, check=True).stdout
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
