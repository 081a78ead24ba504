"""Function: a node of the graph (the base class of every op)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..modes import check_finite, state
from ..tensor import Tensor


class Function:
    """A graph node: `forward(*arrays)` computes the output; `backward(g, out, *inputs)` returns one
    gradient per input, or None for an input that needs none (`self.needs_input_grad[i]` is False).

    `backward` is written once, with operators and nodes that arrays and Tensors both understand.
    The backward loop calls it on the arrays (nothing is recorded: the fast path), or on the
    Tensors with recording on (`create_graph=True`: the gradients are themselves differentiable).
    A node applied to arrays only returns an array: that is how a backward uses other nodes.
    A node class names its label in drawings and whether it is elementwise in its header
    (`class Exp(Function, symbol="exp", elementwise=True)`), its own attributes in `__slots__`.
    """

    symbol = "?"
    elementwise = False  # output element i depends on input element i only (see autograd.run_backward)
    __slots__ = ("parents", "args", "needs_input_grad", "scope", "seq")

    def __init_subclass__(cls, symbol: str | None = None, elementwise: bool = False, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls.symbol, cls.elementwise = symbol or cls.symbol, elementwise or cls.elementwise

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *xs: Any) -> tuple:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs: Any) -> Any:
        """Run forward on the inputs' arrays (non-Tensor inputs are constants). With a Tensor among
        the inputs, return a Tensor, recorded with this node as its creator if an input requires
        grad and recording is on: `parents` are the inputs, `args` their arrays."""
        args, needs, tensors = [], [], False
        for x in inputs:
            if isinstance(x, Tensor):
                args.append(x.data)
                needs.append(x.requires_grad)
                tensors = True
            else:
                args.append(x)
                needs.append(False)
        data = self.forward(*args)
        if not tensors:
            return data
        out = Tensor.__new__(Tensor)
        out.data = data if type(data) is np.ndarray else np.asarray(data)
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
