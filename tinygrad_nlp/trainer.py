"""Trainer: the textbook's minibatch loop with progress lines, a loss history and a plot."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np

from .nn.module import Module
from .nn.utils import clip_grad_norm_
from .optim import Optimizer
from .creation import as_generator


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def tqdm_bar(total: int, out: TextIO, unit: str) -> Any:
    """A tqdm bar on `out` when it is an interactive terminal and tqdm is installed, else None."""
    if not (hasattr(out, "isatty") and out.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the `cli` extra brings tqdm; without it, log lines
        return None
    return tqdm(total=total, file=out, unit="step", dynamic_ncols=True, leave=True)


class Progress:
    """Progress of `total` steps: on an interactive terminal a tqdm bar (loss, perplexity, items/s,
    ETA); otherwise (CI, a log file) a line every `interval` steps with the same figures."""

    def __init__(self, total: int, interval: int, unit: str = "words", out: TextIO | None = None, perplexity: bool = False):
        self.total, self.interval, self.unit, self.perplexity = total, max(interval, 1), unit, perplexity
        self.out = out or sys.stdout
        self.bar = tqdm_bar(total, self.out, unit)
        self.start = self.window_start = time.perf_counter()
        self.loss_sum, self.count, self.items = 0.0, 0, 0

    def update(self, step: int, loss: float, items: int, prefix: str = "") -> float | None:
        """Record one step; returns the mean loss of the window every `interval` steps."""
        self.loss_sum += loss
        self.count += 1
        self.items += items
        if self.bar is not None:
            self.bar.update(step - self.bar.n)
        if step % self.interval and step != self.total:
            return None
        now = time.perf_counter()
        mean = self.loss_sum / self.count
        rate = self.items / max(now - self.window_start, 1e-9)
        ppl = f" | ppl {np.exp(min(mean, 50)):9.2f}" if self.perplexity else ""
        if self.bar is not None:
            self.bar.set_description(prefix.rstrip(" |"), refresh=False)
            self.bar.set_postfix_str(f"loss {mean:.4f}{ppl} | {rate:,.0f} {self.unit}/s")
            if step >= self.total:
                self.bar.close()
        else:
            eta = (now - self.start) / step * (self.total - step)
            print(f"{prefix}step {step:6d}/{self.total} | loss {mean:.4f}{ppl} | {rate:9.0f} {self.unit}/s | "
                  f"{format_duration(now - self.start)} elapsed, ETA {format_duration(eta)}", file=self.out, flush=True)
        self.loss_sum, self.count, self.items, self.window_start = 0.0, 0, 0, now
        return mean


class Trainer:
    """`Trainer(model, optimizer).fit(x, t, max_epoch, batch_size)`: shuffled minibatches,
    `loss = model(x_batch, t_batch)`, backward, optional clipping, step."""

    def __init__(self, model: Module, optimizer: Optimizer, generator: Any = None):
        self.model, self.optimizer = model, optimizer
        self.rng = as_generator(generator)
        self.loss_list: list[float] = []
        self.eval_interval = 1

    def fit(self, x: np.ndarray, t: np.ndarray, max_epoch: int = 10, batch_size: int = 32, max_grad: float | None = None,
            eval_interval: int = 20, out: TextIO | None = None, on_epoch: Callable[[int], None] | None = None,
            start_epoch: int = 0) -> list[float]:
        """Train epochs start_epoch+1 .. max_epoch (start_epoch > 0 resumes: the data order of the
        epochs before is drawn and skipped, so a resumed run sees the same batches)."""
        if len(x) != len(t):
            raise ValueError(f"Trainer.fit: x has {len(x)} rows but t has {len(t)}")
        if len(x) < batch_size:
            raise ValueError(f"Trainer.fit: batch_size {batch_size} is larger than the {len(x)} examples")
        iters = len(x) // batch_size
        self.eval_interval = eval_interval
        progress = Progress(iters * (max_epoch - start_epoch), eval_interval, unit="targets", out=out)
        self.model.train()
        step = 0
        for _ in range(start_epoch):
            self.rng.permutation(len(x))
        for epoch in range(start_epoch, max_epoch):
            order = self.rng.permutation(len(x))
            for i in range(iters):
                idx = order[i * batch_size:(i + 1) * batch_size]
                loss = self.model(x[idx], t[idx])
                self.optimizer.zero_grad()
                loss.backward()
                if max_grad is not None:
                    clip_grad_norm_(self.optimizer.params, max_grad)
                self.optimizer.step()
                step += 1
                mean = progress.update(step, loss.item(), batch_size, prefix=f"epoch {epoch + 1} | ")
                if mean is not None:
                    self.loss_list.append(mean)
            if on_epoch is not None:
                on_epoch(epoch + 1)
        return self.loss_list

    def plot(self, path: str | Path, ylim: tuple[float, float] | None = None) -> Path:
        """Save the loss curve (one point per eval_interval steps) with `viz.plot_curves` (matplotlib)."""
        from viz.plots import plot_curves  # the drawing package is optional for training

        return plot_curves({"train": self.loss_list}, path, xlabel="iterations", ylabel="loss", ylim=ylim,
                           x_step=self.eval_interval, x_start=0)
