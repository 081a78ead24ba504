"""Tokenizers and Vocab: tokens <-> integer ids."""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..files import atomic_write


def tokenize(text: str, level: str = "word", lower: bool = False) -> list[str]:
    """Split text into words (on whitespace) or characters."""
    if lower:
        text = text.lower()
    if level == "word":
        return text.split()
    if level == "char":
        return list(text)
    raise ValueError(f"tokenize: level must be 'word' or 'char', got {level!r}")


class Vocab:
    """A token <-> id mapping.

    `Vocab(tokens)` numbers tokens in order of first appearance (`order="first"`, the textbook's
    convention) or by decreasing frequency (`order="freq"`, ties by first appearance). Reserved
    tokens (e.g. "<pad>", "<bos>", "<eos>") come first. Tokens rarer than `min_freq` or beyond
    `max_size` map to `unk` when one is given; otherwise looking them up is an error.
    """

    def __init__(self, tokens: Iterable[str] = (), reserved: Sequence[str] = (), min_freq: int = 1,
                 max_size: int | None = None, unk: str | None = None, order: str = "first"):
        if order not in ("first", "freq"):
            raise ValueError(f"Vocab: order must be 'first' or 'freq', got {order!r}")
        counts = Counter()
        first: dict[str, int] = {}
        for tok in tokens:
            counts[tok] += 1
            first.setdefault(tok, len(first))
        self.counts = counts
        words = [w for w in first if counts[w] >= min_freq]
        if order == "freq":
            words.sort(key=lambda w: (-counts[w], first[w]))
        specials = list(reserved) + ([unk] if unk is not None and unk not in reserved else [])
        words = [w for w in words if w not in specials]
        if max_size is not None:
            words = words[: max(max_size - len(specials), 0)]
        self.id_to_word: list[str] = specials + words
        self.word_to_id: dict[str, int] = {w: i for i, w in enumerate(self.id_to_word)}
        self.unk = unk

    def __len__(self) -> int:
        return len(self.id_to_word)

    def __contains__(self, token: str) -> bool:
        return token in self.word_to_id

    def __getitem__(self, token: str) -> int:
        i = self.word_to_id.get(token)
        if i is None:
            if self.unk is None:
                raise KeyError(f"Vocab: unknown token {token!r} and no unk token configured")
            return self.word_to_id[self.unk]
        return i

    @property
    def unk_id(self) -> int | None:
        return None if self.unk is None else self.word_to_id[self.unk]

    def lookup(self, tokens: Iterable[str]) -> np.ndarray:
        """Token ids as an int64 array."""
        return np.array([self[t] for t in tokens], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids).reshape(-1):
            if not 0 <= i < len(self):
                raise IndexError(f"Vocab.decode: id {i} is outside [0, {len(self)})")
            out.append(self.id_to_word[int(i)])
        return out

    def to_dict(self) -> dict:
        return {"id_to_word": self.id_to_word, "unk": self.unk}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        v = cls()
        v.id_to_word = list(d["id_to_word"])
        v.word_to_id = {w: i for i, w in enumerate(v.id_to_word)}
        v.unk = d.get("unk")
        return v

    def save(self, path: str | os.PathLike) -> None:
        """JSON, UTF-8, written atomically (a token that cannot be encoded leaves the old file intact)."""
        atomic_write(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __repr__(self) -> str:
        head = ", ".join(self.id_to_word[:5])
        return f"Vocab({len(self)} tokens: {head}{', ...' if len(self) > 5 else ''})"
