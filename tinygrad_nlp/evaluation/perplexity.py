"""Perplexity of a language model: exp(mean cross-entropy per word)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..data.batches import sequential_batches
from ..nn import evaluating
from ..nn import functional as F


def perplexity(model: Any, corpus: Any, batch_size: int = 10, time_size: int = 35) -> float:
    """exp(mean cross-entropy per word) over the corpus, in eval mode with no graph; the model's
    recurrent state is reset first and carried across windows."""
    total, count = 0.0, 0
    with evaluating(model, reset_state=True):
        for xs, ts in sequential_batches(corpus, batch_size, time_size):
            loss = F.cross_entropy(model(xs), ts, reduction="sum")
            total += float(loss.data)
            count += ts.size
    return float(np.exp(total / count))
