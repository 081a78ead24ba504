"""Hierarchical softmax (Mikolov et al.): the vocabulary as the leaves of a Huffman tree.

P(w | h) = Π over the inner nodes n on w's path of σ(±h·v_n) (+ to the left, − to the right), so
one word costs O(log V) dot products instead of V, and frequent words get short paths. Composed
from the engine's ops (Gather, Mul, Sum, softplus): no hand-written backward.
"""
from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from ..engine import Tensor
from . import functional as F
from .layers import Embedding
from .module import Module


def huffman_codes(counts: Any) -> tuple[list[list[int]], list[list[int]]]:
    """(paths, codes): for every word, the inner nodes from the root to it and the branch taken at
    each (0 left, 1 right). Inner nodes are numbered 0 .. V-2 (the root is V-2)."""
    counts = np.asarray(counts, dtype=np.float64)
    V = counts.size
    if V < 2:
        raise ValueError(f"huffman_codes: need at least 2 words, got {V}")
    heap = [(c, i) for i, c in enumerate(counts)]  # ids < V are words, ids >= V inner nodes
    heapq.heapify(heap)
    parent, branch = {}, {}
    next_id = V
    while len(heap) > 1:
        c0, a = heapq.heappop(heap)
        c1, b = heapq.heappop(heap)
        parent[a], branch[a], parent[b], branch[b] = next_id, 0, next_id, 1
        heapq.heappush(heap, (c0 + c1, next_id))
        next_id += 1
    paths, codes = [], []
    for w in range(V):
        path, code, node = [], [], w
        while node in parent:
            path.append(parent[node] - V)
            code.append(branch[node])
            node = parent[node]
        paths.append(path[::-1])
        codes.append(code[::-1])
    return paths, codes


class HierarchicalSoftmax(Module):
    """Output layer over a vocabulary with word `counts`: `log_prob(h, targets)` and `loss(h, targets)`
    (mean -log P(target | h)), for h of shape (N, H) and targets (N,)."""

    textbook_name = "Hierarchical Softmax"

    def __init__(self, counts: Any, hidden_size: int, sparse: bool = False, generator: Any = None):
        super().__init__()
        paths, codes = huffman_codes(counts)
        self.vocab_size = len(paths)
        longest = max(len(p) for p in paths)
        self.path = np.zeros((self.vocab_size, longest), dtype=np.int64)
        self.sign = np.zeros((self.vocab_size, longest))
        for w, (p, c) in enumerate(zip(paths, codes)):
            self.path[w, : len(p)] = p
            self.sign[w, : len(p)] = 1 - 2 * np.asarray(c)  # +1 left, -1 right, 0 beyond the path
        self.nodes = Embedding(self.vocab_size - 1, hidden_size, sparse=sparse, generator=generator)  # v_n per inner node

    def log_prob(self, h: Tensor, targets: Any) -> Tensor:
        """log P(target | h) = Σ_path log σ(sign · v_n·h) = -Σ_path softplus(-sign · v_n·h)."""
        t = F.check_ids("HierarchicalSoftmax", targets, self.vocab_size, ndim=1)
        v = self.nodes(self.path[t])  # (N, L, H)
        scores = (v * h.reshape(h.shape[0], 1, h.shape[1])).sum(axis=2)  # (N, L)
        sign = self.sign[t].astype(scores.dtype)
        return -(F.softplus(scores * (-sign)) * np.abs(sign)).sum(axis=1)  # steps beyond the path count 0

    def loss(self, h: Tensor, targets: Any) -> Tensor:
        return -self.log_prob(h, targets).mean()

    def forward(self, h: Tensor, targets: Any) -> Tensor:
        return self.loss(h, targets)
