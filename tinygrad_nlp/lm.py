"""Language-model data and evaluation: the textbook's sequential streams, perplexity."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .nn import functional as F
from .tensor import no_grad


def sequential_batches(corpus: Any, batch_size: int, time_size: int, start: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The textbook's stream batching: row i reads the corpus from offset i·(len // batch_size),
    consecutive windows of `time_size` continue where the last one stopped (so a stateful RNN can
    carry its state). Yields (xs, ts) of shape (batch_size, time_size), ts = xs shifted by one."""
    corpus = np.asarray(corpus)
    if corpus.ndim != 1 or corpus.size < 2:
        raise ValueError(f"sequential_batches: corpus must be a 1-D id array of at least 2 words, got shape {corpus.shape}")
    xs_all, ts_all = corpus[:-1], corpus[1:]
    size = len(xs_all)
    iters = size // (batch_size * time_size)
    if iters == 0:
        raise ValueError(f"sequential_batches: {size} words are too few for batch_size {batch_size} x time_size {time_size}")
    jump = size // batch_size
    offsets = np.arange(batch_size)[:, None] * jump
    for it in range(start, iters):
        pos = (offsets + it * time_size + np.arange(time_size)[None, :]) % size
        yield xs_all[pos], ts_all[pos]


def num_sequential_batches(corpus: Any, batch_size: int, time_size: int) -> int:
    return (len(corpus) - 1) // (batch_size * time_size)


def perplexity(model: Any, corpus: Any, batch_size: int = 10, time_size: int = 35) -> float:
    """exp(mean cross-entropy per word) over the corpus, in eval mode with no graph; the model's
    recurrent state is reset first and carried across windows."""
    was_training = model.training
    model.eval()
    model.reset_state()
    total, count = 0.0, 0
    with no_grad():
        for xs, ts in sequential_batches(corpus, batch_size, time_size):
            loss = F.cross_entropy(model(xs), ts, reduction="sum")
            total += float(loss.data)
            count += ts.size
    model.reset_state()
    model.train(was_training)
    return float(np.exp(total / count))
