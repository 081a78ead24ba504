"""Language-model batches: the textbook's sequential streams and d2l's random and sequential partitioning."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..creation import as_generator


def sequential_batches(corpus: Any, batch_size: int, time_size: int, start: int = 0, epoch: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The textbook's stream batching: row i reads the corpus from offset i·(len // batch_size),
    consecutive windows of `time_size` continue where the last one stopped (so a stateful RNN can
    carry its state). Yields (xs, ts) of shape (batch_size, time_size), ts = xs shifted by one.

    `epoch` > 0 continues the stream where the previous epochs stopped (wrapping around the
    corpus), as the textbook's RnnlmTrainer does; `start` skips that many windows of the epoch."""
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
    for it in range(epoch * iters + start, (epoch + 1) * iters):
        pos = (offsets + it * time_size + np.arange(time_size)[None, :]) % size
        yield xs_all[pos], ts_all[pos]


def num_sequential_batches(corpus: Any, batch_size: int, time_size: int) -> int:
    return (len(corpus) - 1) // (batch_size * time_size)


def random_batches(corpus: Any, batch_size: int, num_steps: int, generator: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """d2l's random partitioning: start at a random offset, cut the stream into num_steps-long
    subsequences, and serve them in random order (no state carries between batches)."""
    rng = as_generator(generator)
    corpus = np.asarray(corpus)
    corpus = corpus[rng.integers(0, num_steps):]
    n = (len(corpus) - 1) // num_steps
    if n < batch_size:
        raise ValueError(f"random_batches: {len(corpus)} tokens give {n} subsequences, fewer than batch_size {batch_size}")
    starts = rng.permutation(np.arange(n) * num_steps)
    for i in range(0, (n // batch_size) * batch_size, batch_size):
        idx = starts[i:i + batch_size, None] + np.arange(num_steps)
        yield corpus[idx], corpus[idx + 1]


def d2l_sequential_batches(corpus: Any, batch_size: int, num_steps: int, generator: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """d2l's sequential partitioning: a random offset, then batch_size parallel streams read in
    order (neighbouring batches continue each other, so state may carry)."""
    corpus = np.asarray(corpus)
    offset = as_generator(generator).integers(0, num_steps)
    n = ((len(corpus) - offset - 1) // batch_size) * batch_size
    if n < batch_size * num_steps:
        raise ValueError(f"d2l_sequential_batches: too few tokens ({len(corpus)}) for batch_size {batch_size} x num_steps {num_steps}")
    xs = corpus[offset:offset + n].reshape(batch_size, -1)
    ys = corpus[offset + 1:offset + 1 + n].reshape(batch_size, -1)
    for i in range(0, (xs.shape[1] // num_steps) * num_steps, num_steps):
        yield xs[:, i:i + num_steps], ys[:, i:i + num_steps]
