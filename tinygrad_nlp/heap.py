"""Keep the memory one training step frees for the next step (glibc's malloc; elsewhere nothing changes).

A training step allocates and frees the same large arrays every time: for the textbook's PTB language
model the (20·35, 10,000) logits, their bias sum, their exp and its gradient, 28 MB each. glibc hands
the free top of its heap back to the OS once it passes a threshold (which glibc itself raises to twice
the largest mapped block it has freed), and whether the top is free at the end of a step depends on where
small long-lived arrays happen to lie. When it is, the next step faults those pages back in, zeroed by
the kernel: 1,600-3,100 page faults and 13 % or more of the LSTM LM's step (README: Benchmarks).

`keep_freed_memory()` stops the trimming: it fixes the trim threshold at 1 GB, and the mmap threshold
at 32 MiB, the largest value glibc's own rule gives it (so a block above 32 MiB is still mapped and
unmapped by itself, as by default; kept on the heap, such blocks left holes that made the
time-size-140 step's peak RSS 17 % larger). That is `MALLOC_TRIM_THRESHOLD_=1000000000
MALLOC_MMAP_THRESHOLD_=33554432` in the environment. The training commands and the benchmarks call
it; a library import does not, and thresholds set in the environment are left alone.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
TRIM_BYTES, MMAP_BYTES = 1_000_000_000, 32 * 2**20


def keep_freed_memory() -> bool:
    """Fix glibc's trim threshold at 1 GB and its mmap threshold at 32 MiB for this process; True if set here."""
    user_set = any(k in os.environ for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")) or \
        "malloc." in os.environ.get("GLIBC_TUNABLES", "")
    if user_set or not sys.platform.startswith("linux"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library the process already uses
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES))
