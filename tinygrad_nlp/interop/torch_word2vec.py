"""CBOW and SkipGram as plain torch.nn code, with negative sampling or hierarchical softmax (same
constructor arguments as `models.CBOW` / `models.SkipGram`, but the corpus's word `counts` in place of
the corpus: they are all the model keeps of it).

`model(contexts, target, negatives=None)` is the loss averaged over the batch; negative sampling draws
`sample_size` words per target from counts ** power (never the target itself) unless `negatives` are given.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..nn.hsoftmax import huffman_codes
from .torch_lm import constructor_args


class Word2vec(nn.Module):
    """W_in (`embed_in`, the word vectors) and the output layer: W_out (`embed_out`) scored against the
    target and its negatives, or the inner nodes v_n of a Huffman tree (`nodes`)."""

    def __init__(self, vocab_size: int, hidden_size: int, window_size: int, counts: Any, sample_size: int = 5,
                 power: float = 0.75, output: str = "negative_sampling"):
        super().__init__()
        self.args = constructor_args(locals())
        self.args["counts"] = [int(c) for c in counts]
        self.output, self.sample_size = output, sample_size
        counts = torch.as_tensor(self.args["counts"], dtype=torch.float64)
        self.embed_in = nn.Embedding(vocab_size, hidden_size)
        if output == "negative_sampling":
            self.embed_out = nn.Embedding(vocab_size, hidden_size)
            self.register_buffer("noise", counts ** power / (counts ** power).sum())
        else:
            paths, codes = huffman_codes(self.args["counts"])
            longest = max(len(p) for p in paths)
            path, sign = torch.zeros(vocab_size, longest, dtype=torch.long), torch.zeros(vocab_size, longest)
            for w, (p, c) in enumerate(zip(paths, codes)):
                path[w, :len(p)] = torch.as_tensor(p, dtype=torch.long)
                sign[w, :len(p)] = 1 - 2 * torch.as_tensor(c, dtype=torch.float32)  # +1 left, -1 right, 0 beyond the path
            self.register_buffer("path", path)
            self.register_buffer("sign", sign)
            self.nodes = nn.Embedding(vocab_size - 1, hidden_size)

    def negatives(self, target: torch.Tensor) -> torch.Tensor:
        """sample_size ids per target from the noise distribution with the target's own id left out."""
        rows = target.reshape(-1, 1)
        p = self.noise.expand(rows.shape[0], -1).scatter(1, rows, 0.0)
        return torch.multinomial(p, self.sample_size, replacement=True).reshape(*target.shape, self.sample_size)

    def loss(self, h: torch.Tensor, targets: torch.Tensor, negatives: torch.Tensor | None = None) -> torch.Tensor:
        """-log P(targets | h) for h (N, H) and targets (N,) or (N, C), summed over the C positions,
        averaged over the batch."""
        n = targets.shape[0]
        if self.output == "negative_sampling":
            negatives = self.negatives(targets) if negatives is None else negatives
            ids = torch.cat([targets.unsqueeze(-1), negatives], dim=-1)  # (N, [C,] 1 + K)
            h = h if targets.ndim == 1 else h.unsqueeze(1)
            scores = (self.embed_out(ids) * h.unsqueeze(-2)).sum(-1)
            labels = torch.zeros_like(scores)
            labels[..., 0] = 1
            return F.binary_cross_entropy_with_logits(scores, labels, reduction="sum") / n
        c = targets.numel() // n
        h = h.repeat_interleave(c, dim=0)  # each context position scored from its own copy
        t = targets.reshape(-1)
        scores = (self.nodes(self.path[t]) * h.unsqueeze(1)).sum(-1)  # (N·C, L): v_n · h along the path
        sign = self.sign[t].to(scores.dtype)
        return (F.softplus(-sign * scores) * sign.abs()).sum() / n  # -log σ(sign · v_n·h), steps beyond the path count 0


class CBOW(Word2vec):
    """h = mean of W_in[contexts];  L = -log P(target | h)"""

    def forward(self, contexts: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor | None = None) -> torch.Tensor:
        return self.loss(self.embed_in(contexts).mean(1), target, negatives)


class SkipGram(Word2vec):
    """h = W_in[target];  L = Σ over context positions of -log P(context | h)"""

    def forward(self, contexts: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor | None = None) -> torch.Tensor:
        return self.loss(self.embed_in(target), contexts, negatives)
