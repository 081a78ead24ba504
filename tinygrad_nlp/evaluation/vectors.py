"""Word-vector tools: cosine similarity, nearest neighbours, analogies, word2vec text format."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..data.text import Vocab
from ..files import atomic_open


def cos_similarity(x: Any, y: Any, eps: float = 1e-8) -> float:
    """x·y / (|x| |y|)"""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(x @ y / ((np.linalg.norm(x) + eps) * (np.linalg.norm(y) + eps)))


def _normalized(W: np.ndarray) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    return W / (np.linalg.norm(W, axis=1, keepdims=True) + 1e-8)


def _id(vocab: Vocab, word: str) -> int:
    if word not in vocab:
        raise KeyError(f"{word!r} is not in the vocabulary")
    return vocab.word_to_id[word]


def most_similar(query: str, vocab: Vocab, W: Any, k: int = 5) -> list[tuple[str, float]]:
    """The k words whose vectors have the highest cosine similarity with the query's."""
    Wn = _normalized(W)
    sims = Wn @ Wn[_id(vocab, query)]
    sims[_id(vocab, query)] = -np.inf
    best = np.argsort(-sims)[:k]
    return [(vocab.id_to_word[i], float(sims[i])) for i in best]


def analogy(a: str, b: str, c: str, vocab: Vocab, W: Any, k: int = 5) -> list[tuple[str, float]]:
    """a : b = c : ?  — the words closest to vec(b) - vec(a) + vec(c) (a, b, c excluded)."""
    Wn = _normalized(W)
    ids = [_id(vocab, w) for w in (a, b, c)]
    q = Wn[ids[1]] - Wn[ids[0]] + Wn[ids[2]]
    q /= np.linalg.norm(q) + 1e-8
    sims = Wn @ q
    sims[ids] = -np.inf
    best = np.argsort(-sims)[:k]
    return [(vocab.id_to_word[i], float(sims[i])) for i in best]


def analogy_accuracy(questions: list[tuple[str, str, str, str]], vocab: Vocab, W: Any) -> tuple[float, int]:
    """Share of questions a:b = c:d answered with d as the top word; questions with unknown words are skipped."""
    usable = [q for q in questions if all(w in vocab for w in q)]
    if not usable:
        return 0.0, 0
    hits = sum(analogy(a, b, c, vocab, W, k=1)[0][0] == d for a, b, c, d in usable)
    return hits / len(usable), len(usable)


def save_word2vec_format(path: str | os.PathLike, vocab: Vocab, W: Any) -> None:
    """Text format: a header "count dim", then "word v1 v2 ..." per line (gensim's KeyedVectors.load_word2vec_format)."""
    W = np.asarray(W)
    with atomic_open(path, "w") as f:
        f.write(f"{W.shape[0]} {W.shape[1]}\n")
        for word, vec in zip(vocab.id_to_word, W):
            f.write(word + " " + " ".join(f"{v:.6g}" for v in vec) + "\n")


def load_word2vec_format(path: str | os.PathLike) -> tuple[Vocab, np.ndarray]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    try:
        n, dim = (int(v) for v in lines[0].split())
        words, rows = [], []
        for line in lines[1 : n + 1]:
            parts = line.rstrip().split(" ")
            words.append(parts[0])
            rows.append(np.array(parts[1:], dtype=np.float32))
        W = np.stack(rows)
    except (ValueError, IndexError) as e:
        raise ValueError(f"load_word2vec_format: {path} is not in word2vec text format: {e}") from None
    if W.shape != (n, dim):
        raise ValueError(f"load_word2vec_format: header says {n}x{dim}, file holds {W.shape}")
    vocab = Vocab(words)
    return vocab, W
