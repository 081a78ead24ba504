"""Decoding for encoder-decoder models: greedy, sampling and beam search, batched over examples.

A model provides `encode(xs, lengths) -> (state, enc)` and `decode_step(ys (N, 1), state, enc)
-> (logits (N, 1, V), state)`. States are tensors (L, N, H) or tuples of them; `enc` is what every
step looks at (attention: (hs, mask)), reordered along the batch with `select_batch`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..creation import as_generator
from ..engine import Tensor
from ..nn import evaluating


def select_batch(obj: Any, idx: np.ndarray) -> Any:
    """Pick batch rows `idx` of a state or encoder output: tensors (L, N, H) along axis 1, the
    encoder's (N, T, H) states and (N, T) masks along axis 0."""
    if obj is None:
        return None
    if isinstance(obj, tuple):
        if len(obj) == 2 and isinstance(obj[0], Tensor) and obj[0].ndim == 3 and (obj[1] is None or isinstance(obj[1], np.ndarray)):
            hs, mask = obj  # attention: (hs, mask)
            return hs[idx], None if mask is None else mask[idx]
        return tuple(select_batch(o, idx) for o in obj)
    return obj[:, idx]


def _run(model: Any, fn: Any, xs: Any, lengths: Any, batch_size: int, pad: int) -> np.ndarray:
    """Run fn(xs_chunk, lengths_chunk) in eval mode with no graph, `batch_size` examples at a time
    (memory stays bounded), and join the results, padding shorter ones with `pad`."""
    xs = np.asarray(xs)
    with evaluating(model):
        parts = [fn(xs[i:i + batch_size], None if lengths is None else np.asarray(lengths)[i:i + batch_size])
                 for i in range(0, len(xs), batch_size)]
    width = max(p.shape[1] for p in parts)
    return np.concatenate([np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=pad) for p in parts])


def greedy(model: Any, xs: Any, start_id: int, max_len: int, eos_id: int | None = None, lengths: Any = None,
           batch_size: int = 512) -> np.ndarray:
    """Take the most likely token at every step. Returns ids (N, ≤ max_len), without the start id;
    after an eos a row repeats eos."""
    return sample(model, xs, start_id, max_len, eos_id, lengths, greedy=True, batch_size=batch_size)


def sample(model: Any, xs: Any, start_id: int, max_len: int, eos_id: int | None = None, lengths: Any = None,
           temperature: float = 1.0, greedy: bool = False, seed: Any = None, batch_size: int = 512) -> np.ndarray:
    """Draw each token from softmax(logits / temperature) (or the argmax when greedy)."""
    rng = as_generator(seed)

    def go(xs: np.ndarray, lengths: Any) -> np.ndarray:
        state, enc = model.encode(xs, lengths)
        N = xs.shape[0]
        y = np.full((N, 1), start_id, dtype=np.int64)
        done = np.zeros(N, dtype=bool)
        out = []
        for _ in range(max_len):
            logits, state = model.decode_step(y, state, enc)
            z = logits.data[:, -1].astype(np.float64)
            if greedy:
                nxt = z.argmax(axis=1)
            else:
                p = np.exp((z - z.max(axis=1, keepdims=True)) / temperature)
                p /= p.sum(axis=1, keepdims=True)
                nxt = (p.cumsum(axis=1) > rng.random((N, 1))).argmax(axis=1)
            if eos_id is not None:
                nxt = np.where(done, eos_id, nxt)
                done |= nxt == eos_id
            out.append(nxt)
            y = nxt[:, None]
            if eos_id is not None and done.all():
                break
        return np.stack(out, axis=1)

    return _run(model, go, xs, lengths, batch_size, 0 if eos_id is None else eos_id)


@dataclass
class BeamNode:
    """One hypothesis extended by one token: `parent` indexes the previous level (-1: the start)."""

    parent: int
    token: int
    logp: float  # log p(token | prefix)
    score: float  # log p of the whole prefix
    length: int  # tokens counted for length normalisation
    kept: bool  # among the beam_size best (else pruned)


@dataclass
class BeamTree:
    """The search of the first example: per step, the kept hypotheses first, then the best pruned ones."""

    levels: list[list[BeamNode]] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)  # the returned output's node index at each level
    length_penalty: float = 0.0

    def normalized(self, node: BeamNode) -> float:
        return node.score / max(node.length, 1) ** self.length_penalty if self.length_penalty else node.score


def beam_search(model: Any, xs: Any, start_id: int, max_len: int, beam_size: int = 5, eos_id: int | None = None,
                lengths: Any = None, length_penalty: float = 0.0, batch_size: int = 128, return_tree: bool = False) -> Any:
    """Keep the `beam_size` best partial outputs per example; score = log p / len^length_penalty
    (0: plain log-probability; d2l's choice is α = 0.75, which the command and examples use: it only
    matters when outputs end at `eos_id` and so differ in length).
    beam_size=1 is greedy decoding. Returns the best ids (N, ≤ max_len); with return_tree=True,
    (ids, BeamTree) where the tree records the first example's search (for `viz.draw_beam`)."""
    if beam_size < 1:
        raise ValueError(f"beam_search: beam_size must be >= 1, got {beam_size}")
    tree = BeamTree(length_penalty=length_penalty)

    def record(cand: np.ndarray, top: np.ndarray, V: int, lens: np.ndarray, prev_done: np.ndarray) -> None:
        order = np.argsort(-cand[0], kind="stable")[: 2 * beam_size]
        prev = tree.levels[-1] if tree.levels else []
        level = []
        for rank, c in enumerate(order):
            if not np.isfinite(cand[0, c]):
                continue
            origin, token = divmod(int(c), V)
            base = prev[origin].score if prev else 0.0
            length = (prev[origin].length if prev else 0) + (0 if prev and rank < beam_size and prev_done[0, rank] else 1)
            level.append(BeamNode(origin if prev else -1, token, float(cand[0, c] - base), float(cand[0, c]), length, rank < beam_size))
        tree.levels.append(level)

    def go(xs: np.ndarray, lengths: Any) -> np.ndarray:
        N, B = xs.shape[0], beam_size
        state, enc = model.encode(xs, lengths)
        rows = np.repeat(np.arange(N), B)
        state, enc = select_batch(state, rows), select_batch(enc, rows)
        scores = np.full((N, B), -np.inf)
        scores[:, 0] = 0.0  # all beams start identical: expand only the first
        seqs = np.zeros((N, B, 0), dtype=np.int64)
        done = np.zeros((N, B), dtype=bool)
        lens = np.zeros((N, B))
        y = np.full((N * B, 1), start_id, dtype=np.int64)
        for _ in range(max_len):
            logits, state = model.decode_step(y, state, enc)
            z = logits.data[:, -1].astype(np.float64)
            logp = z - z.max(axis=1, keepdims=True)
            logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
            V = logp.shape[1]
            logp = logp.reshape(N, B, V)
            if eos_id is not None:  # a finished beam continues only with eos, at no cost
                frozen = np.full(V, -np.inf)
                frozen[eos_id] = 0.0
                logp = np.where(done[:, :, None], frozen, logp)
            cand = (scores[:, :, None] + logp).reshape(N, B * V)
            top = np.argsort(-cand, axis=1, kind="stable")[:, :B]
            if return_tree and not tree.chosen:
                record(cand, top, V, lens, np.take_along_axis(done, top // V, axis=1))
            origin, token = top // V, top % V
            scores = np.take_along_axis(cand, top, axis=1)
            seqs = np.concatenate([np.take_along_axis(seqs, origin[:, :, None], axis=1), token[:, :, None]], axis=2)
            prev_done = np.take_along_axis(done, origin, axis=1)
            lens = np.take_along_axis(lens, origin, axis=1) + ~prev_done
            done = prev_done | (token == eos_id) if eos_id is not None else prev_done
            flat = (np.arange(N)[:, None] * B + origin).reshape(-1)
            state, enc = select_batch(state, flat), select_batch(enc, flat)
            y = token.reshape(-1, 1)
            if done.all():
                break
        final = scores / np.maximum(lens, 1) ** length_penalty if length_penalty else scores
        best = final.argmax(axis=1)
        if return_tree and not tree.chosen:
            path, b = [], int(best[0])
            for level in reversed(tree.levels):
                path.append(b)
                b = level[b].parent
            tree.chosen = path[::-1]
        return seqs[np.arange(N), best]

    ids = _run(model, go, xs, lengths, batch_size, 0 if eos_id is None else eos_id)
    return (ids, tree) if return_tree else ids


def sequence_log_prob(model: Any, xs: Any, ys: Any, start_id: int, eos_id: int | None = None) -> np.ndarray:
    """log P(y | x) of whole output sequences ys (N, T) under a seq2seq model (teacher forcing from
    `start_id`); tokens after the first `eos_id` do not count."""
    xs, ys = np.asarray(xs), np.asarray(ys)
    inputs = np.concatenate([np.full((len(ys), 1), start_id, dtype=ys.dtype), ys[:, :-1]], axis=1)
    with evaluating(model):
        state, enc = model.encode(xs)
        logits, _ = model.decode_step(inputs, state, enc)
    z = logits.data.astype(np.float64)
    logp = z - z.max(axis=-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, ys[..., None], axis=-1)[..., 0]
    if eos_id is not None:
        after = np.cumsum(ys == eos_id, axis=1) - (ys == eos_id) > 0  # positions after the first eos
        picked = np.where(after, 0.0, picked)
    return picked.sum(axis=1)


def beam_error_analysis(model: Any, xs: Any, references: Any, start_id: int, beam_size: int = 5,
                        eos_id: int | None = None, length_penalty: float = 0.0) -> dict:
    """Ng's error analysis of beam search: for each example whose beam output ŷ differs from the
    reference y*, compare log P(y*|x) with log P(ŷ|x). If P(y*|x) > P(ŷ|x) the search missed a
    better output (search error: a wider beam may help); otherwise the model prefers a wrong output
    (model error). Returns the fractions and, per example, both log-probabilities."""
    references = np.asarray(references)
    outputs = beam_search(model, xs, start_id, references.shape[1], beam_size, eos_id, length_penalty=length_penalty)
    outputs = np.pad(outputs, ((0, 0), (0, references.shape[1] - outputs.shape[1])), constant_values=eos_id or 0)
    wrong = ~(outputs == references).all(axis=1)
    lp_ref = sequence_log_prob(model, xs, references, start_id, eos_id)
    lp_out = sequence_log_prob(model, xs, outputs, start_id, eos_id)
    search = wrong & (lp_ref > lp_out)
    n_wrong = int(wrong.sum())
    return {"examples": len(references), "wrong": n_wrong, "search_errors": int(search.sum()), "model_errors": n_wrong - int(search.sum()),
            "search_fraction": float(search.sum() / n_wrong) if n_wrong else 0.0,
            "model_fraction": float((n_wrong - search.sum()) / n_wrong) if n_wrong else 0.0,
            "log_p_reference": lp_ref, "log_p_output": lp_out, "outputs": outputs}
