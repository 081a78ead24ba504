"""Gradient utilities."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..engine.sparse import RowSparse
from ..engine import Tensor


def clip_grad_norm_(params: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients in place so that their joint L2 norm is at most max_norm
    (coefficient max_norm / (norm + 1e-6), as PyTorch). Returns the norm before clipping."""
    grads = []
    for p in params:
        if p.grad is None:
            continue
        g = p.grad.data
        if isinstance(g, RowSparse):
            g = g.coalesce()
            p.grad = g
        grads.append((p, g))
    total = float(np.sqrt(sum(float(np.vdot(v, v)) for v in (g.values if isinstance(g, RowSparse) else g for _, g in grads))))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p, g in grads:
            if isinstance(g, RowSparse):
                g.values *= coef
            else:
                g *= coef
    return total
