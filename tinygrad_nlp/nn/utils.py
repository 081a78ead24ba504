"""Gradient clipping, and padded batches of variable-length sequences."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..creation import as_generator, concat, stack
from ..engine import Tensor, where
from ..engine.sparse import RowSparse


def clip_grad_norm_(params: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients in place so that their joint L2 norm is at most max_norm
    (coefficient max_norm / (norm + 1e-6), as PyTorch). Returns the norm before clipping."""
    grads = []
    for p in params:
        if p.grad is None:
            continue
        g = p.grad.data
        if isinstance(g, RowSparse):
            g = g.coalesce()
            p.grad = g
        grads.append((p, g))
    total = float(np.sqrt(sum(float(np.vdot(v, v)) for v in (g.values if isinstance(g, RowSparse) else g for _, g in grads))))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p, g in grads:
            if isinstance(g, RowSparse):
                g.values *= coef
            else:
                g *= coef
    return total


# ---------------------------------------------------------------------------------------------
# padded batches of variable-length sequences (many-to-one and many-to-many models)
# ---------------------------------------------------------------------------------------------
def pad_sequence(sequences: Sequence[Any], batch_first: bool = True, padding_value: float = 0) -> Tensor:
    """Stack sequences of shapes (L_i, *) into (N, L_max, *) (or (L_max, N, *) with batch_first=False),
    filling with `padding_value` (torch's name and arguments; our default is batch_first=True, as
    our recurrent layers). Tensors that need gradients keep them (concat and stack nodes)."""
    if not sequences:
        raise ValueError("pad_sequence: expected at least one sequence")
    seqs = [s if isinstance(s, Tensor) else Tensor(np.asarray(s), dtype=np.asarray(s).dtype) for s in sequences]
    tail = seqs[0].shape[1:]
    if any(s.ndim == 0 or s.shape[1:] != tail for s in seqs):
        raise ValueError(f"pad_sequence: sequences must be (L, *) with the same trailing shape, got {[s.shape for s in seqs]}")
    longest = max(s.shape[0] for s in seqs)
    if any(s.requires_grad for s in seqs):
        rows = [s if s.shape[0] == longest else concat([s, Tensor(np.full((longest - s.shape[0],) + tail, padding_value, dtype=s.dtype))])
                for s in seqs]
        out = stack(rows, axis=0)
    else:
        data = np.full((len(seqs), longest) + tail, padding_value, dtype=np.result_type(*[s.dtype for s in seqs]))
        for i, s in enumerate(seqs):
            data[i, : s.shape[0]] = s.data
        out = Tensor(data, dtype=data.dtype)
    return out if batch_first else out.transpose((1, 0) + tuple(range(2, out.ndim)))


def lengths_to_mask(lengths: Any, max_len: int | None = None) -> Tensor:
    """(N, T) boolean mask, True at the valid steps t < lengths[n]."""
    lengths = np.asarray(getattr(lengths, "data", lengths))
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu" or (lengths.size and lengths.min() < 0):
        raise ValueError(f"lengths_to_mask: lengths must be a 1-D array of counts >= 0, got {lengths!r}")
    T = int(lengths.max(initial=0)) if max_len is None else max_len
    return Tensor(np.arange(T)[None, :] < lengths[:, None])


def masked_mean(x: Tensor, lengths: Any) -> Tensor:
    """Mean over the valid steps of x (N, T, H) -> (N, H); padded steps never enter (a selection)."""
    mask = lengths_to_mask(lengths, x.shape[1]).data[..., None]
    counts = np.maximum(mask.sum(axis=1), 1).astype(x.dtype)
    return where(mask, x, 0.0).sum(axis=1) * (1.0 / counts)


def masked_max(x: Tensor, lengths: Any) -> Tensor:
    """Max over the valid steps of x (N, T, H) -> (N, H) (padded steps count as -inf)."""
    mask = lengths_to_mask(lengths, x.shape[1]).data[..., None]
    return where(mask, x, -np.inf).max(axis=1)


def last_valid(hs: Tensor, lengths: Any) -> Tensor:
    """The hidden state at each sequence's last valid step: hs (N, T, H) -> (N, H)."""
    lengths = np.asarray(getattr(lengths, "data", lengths))
    if lengths.shape != (hs.shape[0],) or lengths.min() < 1 or lengths.max() > hs.shape[1]:
        raise ValueError(f"last_valid: lengths must be {hs.shape[0]} counts in [1, {hs.shape[1]}], got {lengths!r}")
    return hs[np.arange(hs.shape[0]), lengths - 1]


def padded_batches(sequences: Sequence[Any], labels: Any, batch_size: int, shuffle: bool = True, bucket: bool = False,
                   generator: Any = None) -> Iterator[tuple[Tensor, np.ndarray, np.ndarray]]:
    """(padded ids (N, T), lengths (N,), labels) per batch, padded per batch. bucket=True groups
    sequences of similar length (less padding); shuffle shuffles the batches (and, without buckets, the data)."""
    if batch_size < 1:
        raise ValueError(f"padded_batches: batch_size must be >= 1, got {batch_size}")
    labels = np.asarray(labels)
    if len(labels) != len(sequences):
        raise ValueError(f"padded_batches: {len(sequences)} sequences but {len(labels)} labels")
    rng = as_generator(generator)
    lengths = np.array([len(s) for s in sequences])
    order = np.argsort(lengths, kind="stable") if bucket else (rng.permutation(len(sequences)) if shuffle else np.arange(len(sequences)))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    for idx in batches:
        yield pad_sequence([np.asarray(sequences[i]) for i in idx]), lengths[idx], labels[idx]
