"""Activations as layers, for `Sequential` (torch's nn.ReLU & co.): each calls its function."""
from __future__ import annotations

from ..engine import Tensor
from ..engine.shapes import torch_names
from .module import Module


class ReLU(Module):
    """y = max(x, 0)"""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """y = tanh(x)"""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))"""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class _AlongAxis(Module):
    """An activation along one `axis` (torch's `dim=` is accepted too)."""

    @torch_names
    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(axis={self.axis})"


class Softmax(_AlongAxis):
    """y = softmax(x) along `axis`"""

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.axis)


class LogSoftmax(_AlongAxis):
    """y = log softmax(x) along `axis`"""

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.axis)
