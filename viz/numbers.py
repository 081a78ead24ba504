"""How the numbers on a drawing are written.

- A small array is written in full: a scalar as a number, a vector on one line, a matrix with its
  rows on separate lines (up to `MAX_ROWS` × `MAX_COLS`; leading axes of size 1 are dropped for the
  rows, the shape is written before them).
- A larger one as its shape, `[min, max]` and `mean …` (`SUMMARY_LEGEND` says so on the figure), a
  constant one as its shape and `all …`, a row-sparse gradient as the rows it touches. The same words
  in the same order everywhere: on one line where a figure is short of height (the rolled view, one
  screen high; the small graphs), stacked one part a line where it is short of width (the time grid,
  ~150 px a column), the shape then written once per edge by its caller.
- Three significant digits, in the shorter of the two notations (0.0123, 1.37e-4); no `-0`, and no
  round-off noise: a number smaller than a few float epsilons of the array's largest magnitude (the
  4.6e-18 mean of a gradient that sums to zero) is 0.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nlp import RowSparse, Tensor

MAX_ROWS, MAX_COLS = 4, 6
SUMMARY_LEGEND = "a larger array is written as its shape, [min, max] and its mean"
NOISE_EPS = 64  # float epsilons of the largest magnitude below which a number is round-off


def number(v: float, noise: float = 0.0) -> str:
    """One number with 3 significant digits, the shorter way (fixed on a tie): 0.0728, -1.28, 2.5e-5,
    1.37e-4 (not 0.000137), 3; never -0."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if not np.isfinite(v):
        return str(float(v))
    if abs(v) <= noise:
        return "0"
    text = f"{v:.3g}"
    if "e" not in text and text.lstrip("-").startswith("0.000"):
        text = f"{v:.2e}"
    mantissa, _, exponent = text.partition("e")
    if exponent:
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text in ("-0", "0") else text


def _noise(a: np.ndarray) -> float:
    if a.dtype.kind != "f" or a.size == 0:
        return 0.0
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) * np.finfo(a.dtype).eps * NOISE_EPS if finite.size else 0.0


def _dense(a: Any) -> Any:
    if isinstance(a, Tensor):
        a = a.data
    if hasattr(a, "to_dense") and not isinstance(a, (np.ndarray, RowSparse)):  # a lazy Scatter
        a = a.to_dense()
    return a


def _rows(a: np.ndarray) -> np.ndarray | None:
    """The array as rows × columns when it is small enough to write in full, else None."""
    if a.ndim <= 1:
        return a.reshape(1, -1) if a.size <= MAX_COLS else None
    rows = a.reshape(-1, a.shape[-1])
    return rows if rows.shape[0] <= MAX_ROWS and rows.shape[1] <= MAX_COLS else None


def is_summary(a: Any, values: bool = True) -> bool:
    """True when `format_array` writes `a` as a summary: its shape, `[min, max]` and its mean."""
    a = _dense(a)
    if a is None or not values or isinstance(a, RowSparse):
        return False
    a = np.asarray(a)
    return a.size > 0 and _rows(a) is None


def format_values(a: Any) -> str:
    """Every element of `a` on one line, numpy's brackets, each number as `number` writes it (no -0,
    round-off written 0): "[[0.5, 0], [-1.2, 3]]". For an inspector's small tensors."""
    a = np.asarray(_dense(a))
    noise = _noise(a)
    return np.array2string(a, separator=", ", formatter={"all": lambda v: number(v, noise)}).replace("\n", "")


def format_array(a: Any, values: bool = True, summary: bool = False, stacked: bool = False) -> str:
    """The text of an array on a drawing (see the module docstring); lines are separated by newlines.
    summary: written as a summary however small the array is, "(1, 256) [-0.985, 0.956] mean -0.0399", a
    constant one "(1, 256) all 0"; stacked: one part a line, "(1, 256)\n[-0.985, 0.956]\nmean -0.0399", a matrix of
    one row as "(1, 3)\n[0.5 -1 2]"."""
    a = _dense(a)
    if a is None:
        return ""
    if isinstance(a, RowSparse):
        if not values or _rows(np.empty(a.shape)) is None:
            rows = np.unique(a.ids)
            shown = ", ".join(map(str, rows[:6])) + (", ..." if rows.size > 6 else "")
            return f"{a.shape} rows {{{shown}}}"
        a = a.to_dense()
    a = np.asarray(a)
    if not values:
        return str(a.shape)
    if a.size == 0:
        return f"{a.shape} (empty)"
    noise = _noise(a)
    rows = None if summary and a.ndim else _rows(a)
    if rows is None:
        lo, mean, hi = (number(v, noise) for v in (a.min(), a.mean(), a.max()))
        parts = [f"all {lo}"] if lo == hi else [f"[{lo}, {hi}]", f"mean {mean}"]  # a constant: a zero initial state
        return ("\n" if stacked else " ").join([str(a.shape), *parts])
    cells = [[number(v, noise) for v in row] for row in rows.tolist()]
    if a.ndim == 0:
        return cells[0][0]
    width = max(len(c) for row in cells for c in row)
    lines = [" ".join(c.rjust(width) for c in row) for row in cells]
    if len(lines) == 1:  # a vector, or a matrix of one row: no column to align
        row = " ".join(cells[0])
        return f"[{row}]" if a.ndim == 1 else f"{a.shape}{chr(10) if stacked else ' '}[{row}]"
    return f"{a.shape}\n" + "\n".join(f"[{line}]" for line in lines)
