"""save/load: `.npz` arrays plus a small JSON header; written atomically, read without pickle.

Anything nested of dicts, arrays/Tensors, numbers, strings, bools, None and lists of those can be
saved (a Module is saved as its state_dict): a checkpoint can hold the model, the optimizer state,
the epoch and the vocabulary.

`load` treats the file as untrusted: every array must be exactly as large as the header says, the
arrays together at most `max_bytes` (1 GiB unless you say otherwise), and anything malformed is
one ValueError "not a valid tinygrad_nlp checkpoint".
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .engine import Tensor
from .files import atomic_open

FORMAT = "tinygrad_nlp-checkpoint"
VERSION = 1
_HEADER = "__header__"
MAX_BYTES = 1 << 30  # default cap on the arrays `load` unpacks (a 2 MB zip can hold a 2 GB array)


def _flatten(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Arrays go to `arrays` under their path; the returned JSON skeleton refers to them."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"save: array at {prefix or '<root>'} has dtype {obj.dtype}; only numeric arrays are saved")
        arrays[prefix] = obj
        return {"__array__": prefix}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str) or "/" in k:
                raise TypeError(f"save: dict keys must be strings without '/', got {k!r}")
            out[k] = _flatten(v, f"{prefix}/{k}" if prefix else k, arrays)
        return {"__dict__": out}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_flatten(v, f"{prefix}/{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot save {type(obj).__name__} at {prefix or '<root>'}")


def _unflatten(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__dict__" in node:
            return {k: _unflatten(v, arrays) for k, v in node["__dict__"].items()}
        if "__list__" in node:
            return [_unflatten(v, arrays) for v in node["__list__"]]
    return node


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write obj (a Module, a state_dict, or nested dicts with arrays) to `path` atomically:
    a temporary file in the same folder, then a rename, so a crash never leaves half a file."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    skeleton = _flatten(obj, "", arrays)
    header = {"format": FORMAT, "version": VERSION, "tree": skeleton,
              "arrays": {k: [list(v.shape), v.dtype.str] for k, v in arrays.items()}}
    payload = {f"a{i}": v for i, v in enumerate(arrays.values())}
    header["keys"] = {k: f"a{i}" for i, k in enumerate(arrays)}
    payload[_HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with atomic_open(path, "wb") as f:
        np.savez(f, **payload)


def load(path: str | os.PathLike, max_bytes: int | None = MAX_BYTES) -> Any:
    """Read what `save` wrote. Never unpickles; a truncated, corrupted, foreign or oversized file
    raises ValueError before any large array is unpacked (`max_bytes=None` lifts the size cap)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            sizes = {info.filename.removesuffix(".npy"): info.file_size for info in zf.infolist()}
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            if _HEADER not in z.files or sizes.get(_HEADER, 0) > (1 << 26):
                raise ValueError("no tinygrad_nlp header")
            header = json.loads(z[_HEADER].tobytes().decode())
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError(f"format is {header.get('format') if isinstance(header, dict) else None!r}")
            if header.get("version", 0) > VERSION:
                raise ValueError(f"version {header['version']} is newer than this library's {VERSION}")
            declared = {name: (tuple(int(n) for n in shape), np.dtype(dtype)) for name, (shape, dtype) in header["arrays"].items()}
            total = sum(int(np.prod(shape)) * dt.itemsize for shape, dt in declared.values())
            if max_bytes is not None and total > max_bytes:
                raise ValueError(f"its arrays hold {total:,} bytes, more than max_bytes={max_bytes:,} "
                                 "(pass max_bytes=None to load it anyway)")
            arrays = {}
            for name, key in header["keys"].items():
                shape, dt = declared[name]
                expected = int(np.prod(shape)) * dt.itemsize
                if key not in sizes or sizes[key] > expected + 4096:  # the .npy header is a few hundred bytes
                    raise ValueError(f"array {name} unpacks to {sizes.get(key)} bytes, the header says {expected}")
                arr = z[key]
                if arr.shape != shape or arr.dtype != dt:
                    raise ValueError(f"array {name} is {arr.shape} {arr.dtype}, header says {shape} {dt}")
                arrays[name] = arr
            return _unflatten(header["tree"], arrays)
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, zipfile.BadZipFile, EOFError,
            RecursionError, MemoryError, UnicodeDecodeError) as e:
        raise ValueError(f"load: {path} is not a valid tinygrad_nlp checkpoint (truncated, corrupted, foreign or "
                         f"oversized file): {e}") from None
