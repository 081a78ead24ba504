"""Text generation from a language model: greedy, temperature and top-k sampling."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..data.text import Vocab, tokenize
from ..creation import as_generator
from ..nn import evaluating


def _start_ids(start: Any, vocab: Vocab | None, level: str) -> list[int]:
    if isinstance(start, str):
        if vocab is None:
            raise ValueError("generate: a text prefix needs vocab=")
        toks = tokenize(start, level)
        unknown = [t for t in toks if t not in vocab and vocab.unk is None]
        if unknown:
            raise KeyError(f"generate: prefix has tokens not in the vocabulary: {unknown[:5]}")
        return [vocab[t] for t in toks]
    ids = [int(i) for i in np.asarray(start).reshape(-1)]
    if not ids:
        raise ValueError("generate: the start sequence is empty")
    return ids


def generate(model: Any, start: Any, length: int = 100, temperature: float = 1.0, top_k: int | None = None,
             greedy: bool = False, skip_ids: Sequence[int] = (), seed: Any = None, vocab: Vocab | None = None,
             level: str = "word") -> list[int]:
    """Continue `start` (ids, or text with `vocab`) by `length` tokens; returns the new ids.

    The model must map ids (1, T) to logits (1, T, V) and carry its state between calls
    (`reset_state()`); it runs in eval mode with no graph. `skip_ids` are never produced.
    """
    if length < 0:
        raise ValueError(f"generate: length must be >= 0, got {length}")
    if temperature <= 0:
        raise ValueError(f"generate: temperature must be > 0, got {temperature}")
    rng = as_generator(seed)
    ids = _start_ids(start, vocab, level)
    out: list[int] = []
    with evaluating(model, reset_state=True):
        logits = model(np.array([ids], dtype=np.int64)).data[0, -1].astype(np.float64)
        for _ in range(length):
            logits[list(skip_ids)] = -np.inf
            if greedy:
                nxt = int(np.argmax(logits))
            else:
                z = logits / temperature
                if top_k is not None and top_k < z.size:
                    cut = np.partition(z, -top_k)[-top_k]
                    z = np.where(z < cut, -np.inf, z)
                p = np.exp(z - z.max())
                p /= p.sum()
                nxt = int(rng.choice(p.size, p=p))
            out.append(nxt)
            logits = model(np.array([[nxt]], dtype=np.int64)).data[0, -1].astype(np.float64)
    return out
