"""Optimizers with PyTorch's update rules and names: SGD, Momentum, AdaGrad, RMSprop, Adam, AdamW;
learning-rate schedules. Row-sparse gradients (Embedding(sparse=True)) update only their rows
("lazy" updates, as torch.optim.SparseAdam does)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .engine.sparse import RowSparse
from .engine import Tensor


class Optimizer:
    """Base class: `step()` applies `update(p, g, state)` to every parameter that has a gradient."""

    def __init__(self, params: Iterable[Tensor], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if lr < 0:
            raise ValueError(f"{type(self).__name__}: lr must be >= 0, got {lr}")
        self.lr = lr
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.steps += 1
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad.data
            if isinstance(g, RowSparse):
                g = g.coalesce()
                self.update_rows(p.data, g.ids, g.values, state)
            else:
                self.update(p.data, g, state)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Change w in place given its gradient g."""
        raise NotImplementedError

    def update_rows(self, w: np.ndarray, ids: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Lazy update: apply `update` to the rows `ids` (unique) of w and of its per-element state."""
        for k in self.state_keys:
            state.setdefault(k, np.zeros_like(w))
        rows = w[ids]
        sub = {k: state[k][ids] for k in self.state_keys}
        self.update(rows, g, sub)
        w[ids] = rows
        for k in self.state_keys:
            state[k][ids] = sub[k]

    state_keys: tuple[str, ...] = ()  # per-element state arrays shaped like the parameter

    def state_dict(self) -> dict[str, Any]:
        return {"lr": self.lr, "steps": self.steps,
                "state": {str(i): {k: np.array(v) for k, v in s.items()} for i, s in enumerate(self.state)}}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore lr, step count and per-parameter state; every array is checked against its
        parameter's shape here (not later inside step())."""
        name = f"{type(self).__name__}.load_state_dict"
        try:
            lr, steps, states = float(sd["lr"]), int(sd["steps"]), dict(sd.get("state", {}))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{name}: not an optimizer state (needs lr, steps, state): {e}") from None
        loaded: dict[int, dict[str, np.ndarray]] = {}
        for i, s in states.items():
            if not str(i).isdigit() or int(i) >= len(self.params):
                raise ValueError(f"{name}: state for parameter {i!r}, but the optimizer has {len(self.params)} parameters")
            p = self.params[int(i)]
            loaded[int(i)] = {k: np.array(v) for k, v in dict(s).items()}
            for k, v in loaded[int(i)].items():
                if k in self.state_keys and v.shape != p.shape:
                    raise ValueError(f"{name}: state {k!r} of parameter {i} has shape {v.shape}, the parameter has {p.shape}")
                if k not in self.state_keys and v.ndim != 0:
                    raise ValueError(f"{name}: state {k!r} of parameter {i} must be a number, got shape {v.shape}")
        self.lr, self.steps = lr, steps
        for i, s in loaded.items():
            self.state[i] = s


class SGD(Optimizer):
    """w ← w - lr·g, with g + weight_decay·w for g. With momentum μ, PyTorch's rule: b ← μ·b + g,
    w ← w - lr·b (Nesterov: w ← w - lr·(g + μ·b)); for a constant lr the same as the textbook's
    v ← μ·v - lr·g, w ← w + v."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, momentum: float = 0.0, *, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(params, lr)
        if nesterov and not momentum:
            raise ValueError(f"{type(self).__name__}: nesterov needs a momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        self.state_keys = ("buf",) if momentum else ()

    def update(self, w, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if not self.momentum:
            w -= self.lr * g
            return
        buf = state.setdefault("buf", np.zeros_like(w))  # first step: buf = g
        buf *= self.momentum
        buf += g
        w -= self.lr * (g + self.momentum * buf if self.nesterov else buf)


class Momentum(SGD):
    """The textbook's name for SGD with momentum (μ = 0.9 by default)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, momentum: float = 0.9, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, momentum, nesterov=nesterov, weight_decay=weight_decay)


class AdaGrad(Optimizer):
    """h ← h + g²;  w ← w - lr · g / (√h + eps)"""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, eps: float = 1e-10):
        super().__init__(params, lr)
        self.eps = eps

    state_keys = ("sum",)

    def update(self, w, g, state):
        h = state.setdefault("sum", np.zeros_like(w))
        h += g * g
        w -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """h ← α·h + (1-α)·g²;  w ← w - lr · g / (√h + eps)"""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(params, lr)
        self.alpha, self.eps = alpha, eps

    state_keys = ("square_avg",)

    def update(self, w, g, state):
        h = state.setdefault("square_avg", np.zeros_like(w))
        h *= self.alpha
        h += (1 - self.alpha) * g * g
        w -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²;  w ← w - lr · (m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + eps)

    t counts the steps in which this parameter had a gradient (torch keeps it per parameter).
    Row-sparse gradients update m, v and w only at their rows with torch.optim.SparseAdam's rule,
    which adds eps before the bias correction: w ← w - lr · √(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + eps).
    `eps_before_correction=True` uses that rule for dense gradients too: it is the textbook's
    (DLFS2 `common/optimizer.Adam`, with eps=1e-7), whose effective eps is larger early in training.
    """

    decoupled = False

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, eps_before_correction: bool = False):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.eps_before_correction = eps_before_correction

    state_keys = ("m", "v")

    def update(self, w, g, state):
        b1, b2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                w *= 1 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * w
        m = state.setdefault("m", np.zeros_like(w))
        v = state.setdefault("v", np.zeros_like(w))
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        t = state["step"] = int(state.get("step", 0)) + 1
        denom = np.sqrt(v)
        if self.eps_before_correction:
            step_size = self.lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        else:
            step_size = self.lr / (1 - b1 ** t)
            denom /= np.sqrt(1 - b2 ** t)
        denom += self.eps
        w -= step_size * (m / denom)

    def update_rows(self, w, ids, g, state):
        b1, b2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                w[ids] *= 1 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * w[ids]
        m = state.setdefault("m", np.zeros_like(w))
        v = state.setdefault("v", np.zeros_like(w))
        m[ids] = mr = b1 * m[ids] + (1 - b1) * g
        v[ids] = vr = b2 * v[ids] + (1 - b2) * (g * g)
        t = state["step"] = int(state.get("step", 0)) + 1
        step_size = self.lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w[ids] -= (step_size * (mr / (np.sqrt(vr) + self.eps))).astype(w.dtype)


class AdamW(Adam):
    """Adam with decoupled weight decay: w ← w · (1 - lr·λ) before the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01, eps_before_correction: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, eps_before_correction)


class StepLR:
    """lr ← lr · gamma every `step_size` calls of step()."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        self.optimizer, self.step_size, self.gamma, self.count = optimizer, step_size, gamma, 0

    def step(self) -> float:
        self.count += 1
        if self.count % self.step_size == 0:
            self.optimizer.lr *= self.gamma
        return self.optimizer.lr


class ReduceLROnPlateau:
    """lr ← max(lr · factor, min_lr) when the watched metric has not improved for more than
    `patience` calls of step(); torch's defaults and rules (mode, threshold, threshold_mode,
    cooldown, eps). The textbook's BetterRnnlm divides lr by 4 whenever validation perplexity gets
    worse: `ReduceLROnPlateau(opt, factor=0.25, patience=0, threshold=0)`."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr: float = 0.0,
                 eps: float = 1e-8):
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode 'rel' or 'abs', "
                             f"got {mode!r}, {threshold_mode!r}")
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.min_lr, self.eps = threshold, threshold_mode, cooldown, min_lr, eps
        self.best = float("inf") if mode == "min" else float("-inf")
        self.num_bad_epochs = self.cooldown_counter = 0

    def is_better(self, metric: float) -> bool:
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return metric < (self.best * (1 - self.threshold) if rel else self.best - self.threshold)
        return metric > (self.best * (1 + self.threshold) if rel else self.best + self.threshold)

    def step(self, metric: float) -> float:
        metric = float(metric)
        if self.is_better(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.optimizer.lr * self.factor, self.min_lr)
            if self.optimizer.lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        return self.optimizer.lr


__all__ = ["AdaGrad", "Adam", "AdamW", "Momentum", "Optimizer", "RMSprop", "ReduceLROnPlateau", "SGD", "StepLR"]
