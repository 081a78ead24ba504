"""The names written on a drawing's edges, beside the numbers.

- An edge out of a named leaf (x_t, h_prev, W1) carries its gradient as the book writes it: `dx_t`,
  `dh_prev`, `dW1`. A name that is not one word (a module's dotted `decoder.out.W`, the GRU's
  candidate `h~`) is put in parentheses: `d(decoder.out.W)`, `d(h~)`, never `ddecoder.out.W` or `dh~`.
- An edge out of a primitive op whose tensor has a name (a cell names its gates f, g, i, o, its
  candidate h~ and its outputs h_next, c_next) carries that name and its gradient, named the same way.
- The logits' edge into a folded Softmax with Loss (or Sigmoid with Loss) carries the textbook's
  gradient `y − t` (scaled as the loss is: `(y − t)/N` for a mean over N rows), written only when
  the numbers on the edge are that: y computed from the edge's value, t one-hot (or 0/1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re

import numpy as np

from .trace import Graph

from .layout import Drawing, DrawnEdge
from .numbers import number

GRADIENT = "∂"
WORD = re.compile(r"[^\W\d]\w*")  # x_t, W1, h_prev: written dW1; anything else d(...)
SUBSCRIPT = re.compile(r"_\{([^}]*)\}")
HAS_SUBSCRIPT = "0123456789+−=()aehklmnopstx"  # the characters Unicode has a subscript form of
SUBSCRIPTS = str.maketrans(HAS_SUBSCRIPT, "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕₖₗₘₙₒₚₛₜₓ")
_LOSS_GROUPS = {"cross_entropy": "softmax", "binary_cross_entropy_with_logits": "sigmoid"}


def grad_name(name: str) -> str:
    """What the gradient of the tensor called `name` is called: dW1, dh_prev, d(decoder.out.W)."""
    return "d" + name if WORD.fullmatch(name) else f"d({name})"


def subscripted(name: str) -> str:
    """h_{t−1} as the book writes it, hₜ₋₁ (Unicode subscripts: Graphviz's <SUB> overlaps the next line);
    a subscript with a letter that has no such form is written h(…)."""
    def sub(m: re.Match) -> str:
        low = m.group(1)
        return low.translate(SUBSCRIPTS) if all(ch in HAS_SUBSCRIPT for ch in low) else f"({low})"
    return SUBSCRIPT.sub(sub, name)


@dataclass
class EdgeName:
    name: str = ""  # the tensor's name, written above its value
    grad: str = GRADIENT  # what its gradient is called


def edge_names(d: Drawing, graph: Graph) -> list[EdgeName]:
    """One EdgeName per edge of `d`, in order."""
    out_grad = {e.src: e.grad for e in d.edges if e.grad is not None and np.size(e.grad) == 1}
    return [_edge_name(e, d, graph, out_grad) for e in d.edges]


def _edge_name(e: DrawnEdge, d: Drawing, graph: Graph, out_grad: dict[str, Any]) -> EdgeName:
    src, dst = d.nodes[e.src], d.nodes[e.dst]
    if src.kind in ("param", "input"):
        return EdgeName("", grad_name(e.name or src.label))  # a tied weight read transposed: d(embed.Wᵀ)
    if dst.kind == "group" and dst.entry.name in _LOSS_GROUPS and e.dst in out_grad:
        return EdgeName("", _loss_gradient(_LOSS_GROUPS[dst.entry.name], e.value, e.grad, out_grad[e.dst]) or GRADIENT)
    if (src.kind == "op" or src.kind == "group" and src.entry.kind == "function") and dst.kind != "output":
        name = e.name or (graph.nodes[e.sources[0]].tensor.name if e.sources else None)
        if name:  # (a drawing's own name for it: the time grid's c_next, its h_{3} between opened cells written ∂)
            return EdgeName(name, GRADIENT if e.name and not WORD.fullmatch(e.name) else grad_name(name))
    return EdgeName()


def _loss_gradient(kind: str, value: Any, grad: Any, scale: Any) -> str:
    """"y − t", "(y − t)/N" or "s·(y − t)" when grad = factor · (y − t) with t one-hot (softmax) or
    0/1 (sigmoid), the factor being the loss's output gradient divided by 1 or by the row count."""
    if value is None or grad is None or not isinstance(grad, np.ndarray) or np.asarray(value).size == 0:
        return ""
    value, grad, s = np.asarray(value, dtype=np.float64), np.asarray(grad, dtype=np.float64), float(np.asarray(scale))
    if kind == "softmax":
        z = np.exp(value - value.max(axis=-1, keepdims=True))
        y, rows = z / z.sum(axis=-1, keepdims=True), value.size // value.shape[-1]
    else:
        y, rows = 1.0 / (1.0 + np.exp(-value)), 1
    for k in sorted({rows, 1}, reverse=True):
        factor = s / k
        if factor == 0:
            continue
        t = y - grad / factor
        binary = np.all(np.abs(t - np.round(t)) < 1e-6) and np.all((np.round(t) == 0) | (np.round(t) == 1))
        if binary and (kind == "sigmoid" or np.all(np.round(t).sum(axis=-1) == 1)):
            n = 1 / factor
            if abs(n - 1) < 1e-9:
                return "y − t"
            if abs(n - round(n)) < 1e-9 and n > 0:
                return f"(y − t)/{round(n)}"
            return f"{number(factor)}·(y − t)"
    return ""
