"""Sequence-model lenses: what the textbooks draw about recurrent nets, from real models."""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

import tinygrad_nlp as tg
from tinygrad_nlp import Tensor

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
