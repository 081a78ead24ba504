"""Keep the memory one training step frees for the next step (glibc's malloc; elsewhere nothing changes).

A training step allocates and frees the same large arrays every time: for the textbook's PTB language
model the (20·35, 10,000) logits, their bias sum, their exp and its gradient, 28 MB each. glibc hands
the free top of its heap back to the OS once it passes a threshold (which glibc itself raises to twice
the largest block it has freed), and whether the top is free at the end of a step depends on where
small long-lived arrays happen to lie. When it is, the next step faults those pages back in, zeroed by
the kernel: ~2,500 page faults and ~15 % of the LSTM LM's step (README: Benchmarks).

`keep_freed_memory()` fixes both thresholds, as `MALLOC_TRIM_THRESHOLD_=1000000000
MALLOC_MMAP_THRESHOLD_=1000000000` in the environment would: blocks under 1 GB come from the heap, and
up to 1 GB of free heap stays with the process. The training commands and the benchmarks call it; a
library import does not, and thresholds the user set in the environment are left alone.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
KEEP_BYTES = 1_000_000_000


def keep_freed_memory() -> bool:
    """Fix glibc's trim and mmap thresholds at 1 GB for this process; True if they were set here."""
    user_set = any(k in os.environ for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")) or \
        "malloc." in os.environ.get("GLIBC_TUNABLES", "")
    if user_set or not sys.platform.startswith("linux"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library the process already uses
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
