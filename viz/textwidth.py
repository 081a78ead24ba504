"""How wide a label is: its characters' widths from the font's metrics, in thousandths of an em.

Graphviz asks for Helvetica; on a machine without it (this project's, and most Linux ones) the text is set and
measured in DejaVu Sans, which Graphviz centres on the label's position: these are DejaVu Sans's widths (Helvetica
and Arial are narrower, so a label measured here fits either). The time grid sizes its columns from these: a label
of numbers is about a tenth narrower than a fixed width per character would say. A character the table does not
have counts as wide.
"""
from __future__ import annotations

from html import unescape
import re

TAGS = re.compile(r"<[^>]*>")
WIDE = 0.84  # ems: a character not in the table
BOLD = 1.1  # a bold line is this much wider
MONO = 0.61  # ems: a character of the monospaced font (a matrix's rows)
_WIDTHS = {
    " ": 318, "!": 401, '"': 460, "#": 838, "$": 636, "%": 950, "&": 780, "'": 275, "(": 390, ")": 390, "*": 500, "+": 838,
    ",": 318, "-": 361, ".": 318, "/": 337, ":": 337, ";": 337, "<": 838, "=": 838, ">": 838, "?": 531, "@": 1000,
    "[": 390, "\\": 337, "]": 390, "^": 838, "_": 500, "`": 500, "{": 636, "|": 337, "}": 636, "~": 838,
    "−": 838, "…": 1000, "·": 318, "×": 838, "μ": 636, "∂": 517, "ₜ": 295, "ₓ": 444, "ₕ": 404, "₋": 528, "⁽": 246, "⁾": 246,
    **dict.fromkeys("0123456789", 636), **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹", 401),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
                                               603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685))),
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
                                               635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525))),
}


def line_width(text: str, fontsize: float, bold: bool = False) -> float:
    """Points that `text` (one line, no markup) takes at `fontsize`."""
    ems = sum(_WIDTHS.get(ch, WIDE * 1000) for ch in text) / 1000
    return ems * fontsize * (BOLD if bold else 1.0)


def label_size(label: str, fontsize: float, line: float) -> tuple[float, float]:
    """(width, height) in points of a plain or Graphviz HTML label, `line` points a line."""
    if label.startswith("<"):
        rows, widths, mono = label[1:-1].split("<br/>"), [], False
        for r in rows:  # a matrix's rows in a monospaced font
            mono = mono or 'face="monospace"' in r
            text = unescape(TAGS.sub("", r))
            widths.append(len(text) * MONO * fontsize if mono else line_width(text, fontsize, "<b>" in r))
            mono = mono and "</font>" not in r
    else:
        rows = label.split("\n")
        widths = [line_width(r, fontsize) for r in rows]
    rows = [r for r in rows if TAGS.sub("", r)]
    return max(widths, default=0.0), len(rows) * line
