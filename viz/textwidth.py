"""How wide a label is in Helvetica: its characters' widths from the font's metrics (Adobe's AFM, in
thousandths of an em; Graphviz falls back to Nimbus Sans, which has the same widths). The time grid
sizes its columns from these: a label of numbers is about a fifth narrower than a fixed width per
character would say. A character the table does not have (∂, subscripts, …) counts as wide.
"""
from __future__ import annotations

from html import unescape
import re

TAGS = re.compile(r"<[^>]*>")
WIDE = 0.65  # ems: an unknown character
BOLD = 1.08  # a bold line is this much wider
_WIDTHS = {
    " ": 278, "!": 278, '"': 355, "#": 556, "$": 556, "%": 889, "&": 667, "'": 191, "(": 333, ")": 333, "*": 389, "+": 584,
    ",": 278, "-": 333, ".": 278, "/": 278, ":": 278, ";": 278, "<": 584, "=": 584, ">": 584, "?": 556, "@": 1015,
    "[": 278, "\\": 278, "]": 278, "^": 469, "_": 556, "`": 333, "{": 334, "|": 260, "}": 334, "~": 584,
    "−": 584, "…": 1000, "·": 278, "×": 584, "μ": 576, "∂": 494,
    **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉₋₍₎⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ₜₓₕ", 560),  # sub- and superscripts (DejaVu Sans, by Graphviz's own measure)
    **dict.fromkeys("0123456789", 556),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
                                               667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611))),
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
                                               556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500))),
}


def line_width(text: str, fontsize: float, bold: bool = False) -> float:
    """Points that `text` (one line, no markup) takes at `fontsize`."""
    ems = sum(_WIDTHS.get(ch, WIDE * 1000) for ch in text) / 1000
    return ems * fontsize * (BOLD if bold else 1.0)


def label_size(label: str, fontsize: float, line: float) -> tuple[float, float]:
    """(width, height) in points of a plain or Graphviz HTML label, `line` points a line."""
    if label.startswith("<"):
        rows = label[1:-1].split("<br/>")
        widths = [line_width(unescape(TAGS.sub("", r)), fontsize, "<b>" in r) for r in rows]
    else:
        rows = label.split("\n")
        widths = [line_width(r, fontsize) for r in rows]
    rows = [r for r in rows if TAGS.sub("", r)]
    return max(widths, default=0.0), len(rows) * line
