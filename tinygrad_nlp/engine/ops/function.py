"""Function: a node of the graph (the base class of every op)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..modes import check_finite, state
from ..tensor import Tensor


class Function:
    """A graph node: `forward(*arrays)` computes the output; `backward(g, out, *inputs)` returns one
    gradient per input, or None for an input that needs none (`self.needs_input_grad[i]` is False).

    `backward` sees numpy arrays on the fast path and Tensors under `create_graph=True`, so it is
    written with operations both understand; that is what makes higher-order gradients work.
    `parents` holds the inputs as given (Tensors, or raw constants), `args` their arrays.
    After `backward(keep_edge_grads=True)` a node keeps `grad_out` (dL/d output) and `grad_inputs`
    (dL/d each input along this edge) for viz.
    """

    symbol = "?"
    elementwise = False  # output element i depends on input element i only (see autograd.strong_zero)
    __slots__ = ("parents", "args", "needs_input_grad", "scope", "seq", "grad_out", "grad_inputs")

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *xs: Any) -> tuple:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs: Any) -> Tensor:
        """Run forward on the inputs' arrays; record this node as the output's creator if any input
        requires grad (and recording is on). Non-Tensor inputs are constants."""
        args, needs = [], []
        for x in inputs:
            if isinstance(x, Tensor):
                args.append(x.data)
                needs.append(x.requires_grad)
            else:
                args.append(x)
                needs.append(False)
        out = Tensor.__new__(Tensor)
        out.data = data = self.forward(*args)
        if type(data) is not np.ndarray:
            out.data = np.asarray(data)
        out.grad = out.name = None
        if True in needs and state.grad_enabled:
            out.requires_grad, out._ctx = True, self
            self.parents, self.args, self.needs_input_grad, self.scope = inputs, args, needs, state.scope
            state.seq = self.seq = state.seq + 1
        else:
            out.requires_grad, out._ctx = False, None
        if state.anomaly:
            check_finite(self.name, state.scope, "forward", (out.data,))
        return out

    def __repr__(self) -> str:
        return f"<{self.name} node>"
