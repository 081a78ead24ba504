"""The names on the time grid's edges: the state arrows between steps (h_t, c_t) and attention's hs
read by each decoder step (one label per column)."""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from .trace import Graph

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


def one_label_per_column(d: Drawing, bundles: set[str], column: dict[str, int]) -> None:
    """hs read by a decoder step (by its Attention Weight and its Weight Sum): one label, on the first
    of its edges, with the gradient that came back into hs from that step (their sum); its value is
    on the encoder's edges into hs, h_t by h_t."""
    reads: dict[tuple[str, int], list[DrawnEdge]] = defaultdict(list)
    for e in d.edges:
        if e.src in bundles and e.dst in column:
            reads[(e.src, column[e.dst])].append(e)
    for edges in reads.values():
        grads = [e.grad for e in edges]
        whole = all(g is not None and np.shape(g) == np.shape(grads[0]) for g in grads)
        for e in edges:
            e.value, e.grad = None, None
        edges[0].grad, edges[0].name = (sum(grads[1:], grads[0]) if whole else None), "hs"
