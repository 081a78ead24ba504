"""Atomic file writes: every file the library writes goes through `atomic_write` / `atomic_open`.

The data go to a temporary file beside the target (`.NAME.PID.RANDOM.tmp`), are flushed to disk,
then renamed over the target: a crash, a kill, a full disk or an encoding error leaves the old
file exactly as it was. The new file gets the usual permissions (the umask applies, as for any
file you create). A temporary file left behind by a writer that was killed is removed by the next
write to the same target (writers still running keep theirs).
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import IO, Any, Iterator


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """`with atomic_open(path, "w") as f: f.write(...)`: the target appears (or is replaced) only
    when the block ends without an error. mode is "w" (text, `encoding`) or "wb"."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 minus the umask, like open()
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding, "newline": ""})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write text or bytes to `path` atomically; returns the path."""
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w", encoding) as f:
        f.write(data)
    return Path(path)


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of earlier writes to `path` whose writing process is gone."""
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        parts = tmp.name[len(path.name) + 2:].split(".")
        if len(parts) != 3 or not parts[0].isdigit() or _alive(int(parts[0])):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
