"""The names on the time grid's edges: the state arrows between steps (h_t, c_t) and attention's hs
read by the decoder steps (one label for the bundle)."""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from tinygrad_nlp.engine.graph import Graph

from .layout import Drawing, DrawnEdge

LAST_STEP = re.compile(r"t=(?:\d+…)?(\d+)")  # "LSTM\nt=3", a padding box's "t=0…17": the step its state leaves


def name_states(d: Drawing, graph: Graph, row_of: dict[str, int], baseline: list[int]) -> None:
    """The horizontal arrows from step t to the next step carry the state's name, h_t (and the LSTM's
    c_t, the Add of c = f·c_prev + g·i, when two states go from one step to the next)."""
    states = [e for e in d.edges if e.src in row_of and e.dst in row_of and e.src != e.dst
              and baseline[row_of[e.src]] == baseline[row_of[e.dst]]]
    pairs = defaultdict(int)
    for e in states:
        pairs[(e.src, e.dst)] += 1
    for e in states:
        step = LAST_STEP.search(d.nodes[e.src].label)
        c = pairs[(e.src, e.dst)] > 1 and any(graph.nodes[s].op == "Add" for s in e.sources)
        e.name = f"{'c' if c else 'h'}_{{{step.group(1) if step else 't'}}}"


def one_bundle_label(d: Drawing, bundles: set[str], column: dict[str, int]) -> None:
    """hs read by the decoder steps is one bundle: one label, on its edge to the first step (where the
    bus leaves hs), with hs's value (N, T, H) and the gradient summed over the steps that read it (all
    that comes back into hs); the edges to the other steps are the same bus, unlabelled."""
    for b in bundles:
        edges = sorted((e for e in d.edges if e.src == b and e.dst in column), key=lambda e: column[e.dst])
        if not edges:
            continue
        grads = [e.grad for e in edges]
        whole = all(g is not None and np.shape(g) == np.shape(grads[0]) for g in grads)
        first = edges[0]
        first.grad, first.name = (sum(grads[1:], grads[0]) if whole else None), "hs"
        for e in edges[1:]:
            e.value, e.grad = None, None


def name_context(d: Drawing, forks: set[tuple[str, str]]) -> None:
    """At a decoder step with attention: h_t on the trunk from the cell up to the Affine, the context
    c_t on the edge out of the Attention box (the Affine reads [c_t, h_t])."""
    for cell, box in forks:
        step = LAST_STEP.search(d.nodes[box].label)
        t = step.group(1) if step else "t"
        for e in d.edges:
            if e.src == cell and e.dst != box and d.nodes[e.dst].kind == "group" and e.value is not None and not e.name:
                e.name = f"h_{{{t}}}"
            elif e.src == box:
                e.name = f"c_{{{t}}}"
