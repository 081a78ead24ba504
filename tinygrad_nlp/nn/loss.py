"""Losses as layers (torch's nn.CrossEntropyLoss & co.): each keeps its options and calls its function."""
from __future__ import annotations

from typing import Any

from ..engine import Tensor
from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss layer: its `reduction` ("mean", "sum" or "none") is checked when it is made."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class _ClassLoss(_Loss):
    """A loss over class ids: per-class `weight` and the `ignore_index` target, as torch's."""

    def __init__(self, weight: Any = None, ignore_index: int | None = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index


class CrossEntropyLoss(_ClassLoss):
    """L = -log softmax(logits)[target], classes on the last axis (see `F.cross_entropy`)"""

    def __init__(self, weight: Any = None, ignore_index: int | None = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, logits: Tensor, targets: Any) -> Tensor:
        return F.cross_entropy(logits, targets, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_ClassLoss):
    """L = -log_probs[target], classes on the last axis (see `F.nll_loss`)"""

    def forward(self, log_probs: Tensor, targets: Any) -> Tensor:
        return F.nll_loss(log_probs, targets, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """L = (pred - target)², averaged (see `F.mse_loss`)"""

    def forward(self, pred: Tensor, target: Any) -> Tensor:
        return F.mse_loss(pred, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """L = -[t log σ(x) + (1 - t) log(1 - σ(x))] (see `F.binary_cross_entropy_with_logits`)"""

    def forward(self, logits: Tensor, targets: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, targets, self.reduction)
