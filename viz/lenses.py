"""Sequence-model lenses: what the textbooks draw about recurrent nets, from real models."""
from __future__ import annotations

import os
from html import escape
from typing import Any, Sequence

import graphviz
import numpy as np

import tinygrad_nlp as tg
from tinygrad_nlp import Tensor

from .numbers import number
from .plots import plot_curves


def gradient_flow(loss: Tensor, hs: Sequence[Tensor], path: str | os.PathLike | None = None, title: str | None = None) -> np.ndarray:
    """‖∂loss/∂h_t‖ for each per-step hidden state h_t of an unrolled RNN/LSTM/GRU (e.g. the layer's
    `hidden_states` after its forward): the vanishing- and exploding-gradient picture. The norms are
    those of `tg.grad(loss, hs)`; `.grad` and the graph are left as they were. With `path`, plotted
    on a log scale."""
    grads = tg.grad(loss, list(hs), retain_graph=True, allow_unused=True)
    norms = np.array([0.0 if g is None else float(np.linalg.norm(g.data)) for g in grads])
    if path is not None:
        plot_curves({"‖∂L/∂h_t‖": norms}, path, xlabel="time step t", ylabel="gradient norm", title=title, x_start=0, logy=True)
    return norms


def plot_gradient_flows(flows: dict[str, Any], path: str | os.PathLike, title: str | None = None) -> os.PathLike:
    """Several `gradient_flow` results on one log-scale plot (RNN vs LSTM vs GRU, or Wh scales)."""
    return plot_curves({k: np.maximum(np.asarray(v), 1e-30) for k, v in flows.items()}, path, xlabel="time step t",
                       ylabel="‖∂L/∂h_t‖", title=title, x_start=0, logy=True)


def draw_beam(tree: Any, vocab: Any = None, title: str | None = None) -> graphviz.Digraph:
    """The beam search of one example as a tree (from `beam_search(..., return_tree=True)`): each
    hypothesis with its token, log p(token) and the prefix's (length-normalised) score; pruned
    branches grey, the returned output's path highlighted."""
    dot = graphviz.Digraph(graph_attr=dict(rankdir="LR", fontname="Helvetica", fontsize="11", label=title or "", labelloc="t",
                                           nodesep="0.15", ranksep="0.4"),
                           node_attr=dict(fontname="Helvetica", fontsize="9", shape="box", style="rounded,filled"),
                           edge_attr=dict(color="#7f8c8d"))
    dot.node("start", "start", fillcolor="#eaf2f8")
    chosen = {(depth, i) for depth, i in enumerate(tree.chosen)}
    for depth, level in enumerate(tree.levels):
        for i, node in enumerate(level):
            word = vocab.id_to_word[node.token] if vocab is not None else str(node.token)
            on_path = (depth, i) in chosen
            score = tree.normalized(node)
            label = f"{escape(repr(word)[1:-1] or '␣')}\nlog p {number(node.logp)}\nscore {number(score)}"
            style = dict(fillcolor="#f5b041" if on_path else ("#fef9e7" if node.kept else "#f2f3f4"),
                         fontcolor="#000000" if node.kept else "#99a3a4", color="#b9770e" if on_path else "#aab7b8")
            dot.node(f"b{depth}_{i}", label, **style)
            parent = "start" if node.parent < 0 else f"b{depth - 1}_{node.parent}"
            dot.edge(parent, f"b{depth}_{i}", color="#b9770e" if on_path else ("#7f8c8d" if node.kept else "#d5d8dc"),
                     penwidth="2.5" if on_path else "1", style="solid" if node.kept else "dashed")
    return dot
