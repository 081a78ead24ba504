"""Corpus loaders: Penn Treebank, The Time Machine (and, for seq2seq, addition/date).

Where files come from, in order: an explicit `path`; the folder in the environment variable
TINYGRAD_NLP_DATA; `../shared/data` next to the repository (or the working directory); the cache
folder (~/.cache/tinygrad_nlp, or $TINYGRAD_NLP_CACHE), downloading from the canonical public
location when the file is missing there.

Wherever a known corpus is found it is checked against its recorded SHA-256 (a PTB file cut short
is refused by name, with both hashes). A deliberate custom file: pass `verify=False` to the
loader, or set TINYGRAD_NLP_VERIFY=0.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .text import Vocab

DATA_ENV = "TINYGRAD_NLP_DATA"
CACHE_ENV = "TINYGRAD_NLP_CACHE"
VERIFY_ENV = "TINYGRAD_NLP_VERIFY"

_PTB_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/"
_SAITO_URL = "https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch-2/master/dataset/"
# relative path -> (canonical URL, sha256)
SOURCES: dict[str, tuple[str, str]] = {
    "ptb/ptb.train.txt": (_PTB_URL + "ptb.train.txt", "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"),
    "ptb/ptb.valid.txt": (_PTB_URL + "ptb.valid.txt", "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
    "ptb/ptb.test.txt": (_PTB_URL + "ptb.test.txt", "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
    "timemachine.txt": ("https://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
                        "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516"),
    "addition.txt": (_SAITO_URL + "addition.txt", "34e0746f5014c11311c9452ee9050bf14e38eca44ec4aaf4d81eba2b38674009"),
    "date.txt": (_SAITO_URL + "date.txt", "62e66a301ce8537868e725512d2a45663fc366526b7e42028cb703bda2b1c79a"),
}


class Corpus(NamedTuple):
    ids: np.ndarray  # int64 token ids, the whole text in order
    vocab: Vocab


def sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_CHECKED: dict[tuple[str, int, int], str] = {}  # (file, size, mtime) -> its SHA-256, so each file is hashed once


def verify(file: Path, name: str) -> Path:
    """Refuse `file` if `name` is a known corpus and the file's SHA-256 is not the recorded one."""
    if name not in SOURCES or os.environ.get(VERIFY_ENV, "1") == "0":
        return file
    stat = file.stat()
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    got = _CHECKED.get(key) or sha256(file)
    _CHECKED[key] = got
    expected = SOURCES[name][1]
    if got != expected:
        raise ValueError(f"{file} is not the known {name}: its SHA-256 is {got}, expected {expected} (a truncated or "
                         f"edited copy?). If it is a deliberate custom file, pass verify=False (or set {VERIFY_ENV}=0).")
    return file


def download(url: str, dest: str | os.PathLike, expected_sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Fetch url (http(s) or file://) to dest atomically, refusing it if its SHA-256 differs."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        import urllib.request  # here: only a download needs it, and it is slow to import (http, ssl, email)

        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            shutil.copyfileobj(response, out)
        got = sha256(tmp)
        if expected_sha256 is not None and got != expected_sha256:
            raise OSError(f"download: {url} has SHA-256 {got}, expected {expected_sha256}; refusing it")
        os.replace(tmp, dest)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and "SHA-256" not in str(e):
            raise OSError(f"download: could not fetch {url}: {e}. Put the file at {dest} or set {DATA_ENV}.") from e
        raise
    return dest


def _search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(DATA_ENV):
        dirs.append(Path(os.environ[DATA_ENV]))
    repo = Path(__file__).resolve().parents[2]  # the checkout: tinygrad_nlp/data/datasets.py
    for base in (repo, Path.cwd()):
        shared = base.parent / "shared" / "data"
        if shared.is_dir() and shared not in dirs:
            dirs.append(shared)
    return dirs


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "tinygrad_nlp"))


def data_file(name: str, path: str | os.PathLike | None = None, download_missing: bool = True, verify_hash: bool = True) -> Path:
    """Locate a corpus file by its relative name (e.g. "ptb/ptb.train.txt"); see the module doc.
    A file that belongs to a set (the PTB splits) must be given by its folder, not as one file."""
    if path is not None:
        p = Path(path)
        if p.is_dir():
            for candidate in (p / name, p / Path(name).name):
                if candidate.is_file():
                    return verify(candidate, name) if verify_hash else candidate
            raise FileNotFoundError(f"{name} is not in the folder {p}")
        if not p.is_file():
            raise FileNotFoundError(f"no such file: {p}")
        if "/" in name and p.name != Path(name).name:
            raise ValueError(f"{name} is one file of a set: pass the folder that holds {Path(name).name} and the "
                             f"other files of the set, not the single file {p}")
        return verify(p, name) if verify_hash else p
    for d in _search_dirs():
        for candidate in (d / name, d / Path(name).name):
            if candidate.is_file():
                return verify(candidate, name) if verify_hash else candidate
    cached = cache_dir() / name
    if cached.is_file():
        return verify(cached, name) if verify_hash else cached
    if name not in SOURCES or not download_missing:
        raise FileNotFoundError(f"{name} was not found in {[str(d) for d in _search_dirs()]} or {cache_dir()}; set {DATA_ENV}")
    url, digest = SOURCES[name]
    return download(url, cached, digest)


def _read_text(file: Path) -> str:
    text = file.read_text(encoding="utf-8")
    if not text.strip():
        raise ValueError(f"corpus file {file} is empty")
    return text


_PTB_VOCAB: dict[str, Vocab] = {}


def load_ptb(split: str = "train", path: str | os.PathLike | None = None, verify: bool = True) -> Corpus:
    """Penn Treebank as one id stream, the textbook's way: each line ends with "<eos>", and ids
    are numbered on the train split in order of first appearance (shared by valid and test).
    `path`: a folder holding ptb.train.txt, ptb.valid.txt and ptb.test.txt."""
    if split not in ("train", "valid", "test"):
        raise ValueError(f"load_ptb: split must be 'train', 'valid' or 'test', got {split!r}")

    def words(file: Path) -> list[str]:
        return _read_text(file).replace("\n", "<eos>").strip().split()

    train = data_file("ptb/ptb.train.txt", path, verify_hash=verify)
    stat = train.stat()
    key = f"{train.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"  # the vocabulary of exactly this train file
    if key not in _PTB_VOCAB:
        _PTB_VOCAB[key] = Vocab(words(train))
    vocab = _PTB_VOCAB[key]
    toks = words(data_file(f"ptb/ptb.{split}.txt", path, verify_hash=verify))
    missing = {t for t in toks if t not in vocab}
    if missing:
        raise ValueError(f"load_ptb: {split} has words not in the train vocabulary: {sorted(missing)[:5]}")
    return Corpus(vocab.lookup(toks), vocab)


def load_timemachine(level: str = "char", path: str | os.PathLike | None = None, max_tokens: int | None = None,
                     verify: bool = True) -> Corpus:
    """The Time Machine as d2l prepares it: letters only, lower case, one space between words;
    lines are joined with spaces. Vocabulary by frequency, with "<unk>"."""
    if level not in ("char", "word"):
        raise ValueError(f"load_timemachine: level must be 'char' or 'word', got {level!r}")
    text = _read_text(data_file("timemachine.txt", path, verify_hash=verify))
    lines = [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in text.splitlines()]
    joined = " ".join(line for line in lines if line)
    tokens = list(joined) if level == "char" else joined.split()
    if max_tokens is not None:
        tokens = tokens[:max_tokens]
    vocab = Vocab(tokens, unk="<unk>", order="freq")
    return Corpus(vocab.lookup(tokens), vocab)


class Seq2seqData(NamedTuple):
    """Char-level question/answer ids, the textbook's way (answers start with "_", fixed-width padding)."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    vocab: Vocab


def load_seq2seq_text(name: str, path: str | os.PathLike | None = None, seed: int | None = 1984, test_ratio: float = 0.1,
                      verify: bool = True, answer_pattern: str | None = None) -> Seq2seqData:
    """Lines "question_answer": every line the same width; char ids in order of first appearance
    (questions then answers, line by line), shuffled with `seed` and split like the textbook's
    `sequence.load_data` (seed 1984 gives its split). `answer_pattern` (a regex) must match every
    answer, so that one task's file is not silently loaded as another's."""
    text = _read_text(data_file(name, path, verify_hash=verify))
    questions, answers = [], []
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        cut = line.find("_")
        if cut < 1:
            raise ValueError(f"{name}: line {i + 1} has no question before '_': {line!r}")
        questions.append(line[:cut])
        answers.append(line[cut:])
        if answer_pattern is not None and not re.fullmatch(answer_pattern, line[cut:]):
            raise ValueError(f"{name}: line {i + 1} is not a {name} example (its answer {line[cut:]!r} does not match "
                             f"{answer_pattern!r}); is this the file of another task?")
    if len({len(q) for q in questions}) != 1 or len({len(a) for a in answers}) != 1:
        raise ValueError(f"{name}: questions and answers must be padded to fixed widths")
    chars: list[str] = []
    for q, a in zip(questions, answers):
        chars.extend(q)
        chars.extend(a)
    vocab = Vocab(chars)
    x = np.array([vocab.lookup(q) for q in questions], dtype=np.int64)
    t = np.array([vocab.lookup(a) for a in answers], dtype=np.int64)
    order = np.arange(len(x))
    if seed is not None:
        np.random.RandomState(seed).shuffle(order)
    x, t = x[order], t[order]
    split = len(x) - int(len(x) * test_ratio)
    return Seq2seqData(x[:split], t[:split], x[split:], t[split:], vocab)


def load_addition(path: str | os.PathLike | None = None, seed: int | None = 1984, verify: bool = True) -> Seq2seqData:
    """addition.txt: "16+75  _91  " -> 45,000 train / 5,000 test pairs of char ids."""
    return load_seq2seq_text("addition.txt", path, seed, verify=verify, answer_pattern=r"_-?[0-9]+ *")


def load_date(path: str | os.PathLike | None = None, seed: int | None = 1984, verify: bool = True) -> Seq2seqData:
    """date.txt: "september 27, 1994           _1994-09-27" -> 45,000 train / 5,000 test pairs."""
    return load_seq2seq_text("date.txt", path, seed, verify=verify, answer_pattern=r"_[0-9]{4}-[0-9]{2}-[0-9]{2}")


def encode_chars(texts: list[str], vocab: Vocab, width: int, pad: str = " ") -> np.ndarray:
    """Questions typed by a user as ids of the textbook's fixed width (padded with spaces).
    Unknown characters and over-long inputs are clear errors."""
    out = np.empty((len(texts), width), dtype=np.int64)
    for i, s in enumerate(texts):
        if not s.strip():
            raise ValueError(f"encode_chars: text {i} is empty")
        if len(s) > width:
            raise ValueError(f"encode_chars: {s!r} has {len(s)} characters; the model takes at most {width}")
        unknown = sorted({c for c in s if c not in vocab})
        if unknown:
            raise ValueError(f"encode_chars: {s!r} has characters outside the vocabulary: {unknown}")
        out[i] = vocab.lookup(s.ljust(width, pad))
    return out


class ParallelData(NamedTuple):
    src: np.ndarray  # (N, src_len) ids, padded
    tgt: np.ndarray  # (N, tgt_len + 1) ids: <bos> ... <eos> <pad>...
    src_lengths: np.ndarray  # valid lengths of src (without padding)
    tgt_lengths: np.ndarray
    src_vocab: Vocab
    tgt_vocab: Vocab


SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


def load_parallel(path: str | os.PathLike, level: str = "word", max_len: int = 20, min_freq: int = 1,
                  lower: bool = True) -> ParallelData:
    """Tab-separated "source<TAB>target" lines -> padded id arrays with <pad> <bos> <eos> <unk>.
    Sequences are cut to `max_len` tokens; target rows are <bos> tokens <eos> then <pad>."""
    from .text import tokenize

    pairs = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"load_parallel: line {i + 1} of {path} is not 'source<TAB>target': {line!r}")
        pairs.append((tokenize(parts[0], level, lower)[:max_len], tokenize(parts[1], level, lower)[:max_len]))
    if not pairs:
        raise ValueError(f"load_parallel: {path} holds no pairs")
    src_vocab = Vocab((t for s, _ in pairs for t in s), reserved=SPECIALS[:3], unk="<unk>", min_freq=min_freq, order="freq")
    tgt_vocab = Vocab((t for _, s in pairs for t in s), reserved=SPECIALS[:3], unk="<unk>", min_freq=min_freq, order="freq")
    pad = src_vocab["<pad>"]
    src = np.full((len(pairs), max_len), pad, dtype=np.int64)
    tgt = np.full((len(pairs), max_len + 2), pad, dtype=np.int64)
    for i, (s, t) in enumerate(pairs):
        src[i, : len(s)] = src_vocab.lookup(s)
        row = [tgt_vocab["<bos>"], *tgt_vocab.lookup(t), tgt_vocab["<eos>"]]
        tgt[i, : len(row)] = row
    return ParallelData(src, tgt, np.array([len(s) for s, _ in pairs]), np.array([len(t) + 2 for _, t in pairs]),
                        src_vocab, tgt_vocab)
