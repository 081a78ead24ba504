"""The name of a box spanning the columns of the time grid (Time Affine, Softmax with Loss, Embedding, hs),
written at every column it spans, as the book's figure has one box per column: the first in the text's
colour, the others light. A reader zoomed in on a few columns (a slide, the explorer) sees the name
wherever the box is on screen."""
from __future__ import annotations

from html import escape

from .textwidth import line_width

REPEAT_COLOR = "#717d7e"  # the name at the other columns: there, not loud
FONT = 10.0  # the nodes' fontsize


def column_label(name: str, left: float, width: float, height: float, columns: list[float]) -> str | None:
    """A Graphviz HTML label for a box `width` × `height` points from `left`: `name` centred at each x of `columns`
    (moved inside the box at its ends), or None when the columns are too close for it (the one centred name stays)."""
    cell = int(line_width(name, FONT)) + 8
    if len(columns) < 2 or "\n" in name or name.startswith("<") or cell > min(b - a for a, b in zip(columns, columns[1:])) - 4 \
            or cell * len(columns) > width - 2:
        return None
    cells, at, tall = [], int(left) + 1, max(int(height) - 4, 14)  # a spacer, then the name, per column
    for i, x in enumerate(columns):
        start = min(max(int(round(x - cell / 2)), at), int(left + width) - 1 - cell * (len(columns) - i))
        text = escape(name) if i == 0 else f'<FONT COLOR="{REPEAT_COLOR}">{escape(name)}</FONT>'
        cells += [_cell(start - at, tall), _cell(cell, tall, text)]
        at = start + cell
    cells.append(_cell(int(left + width) - 1 - at, tall))
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>' + "".join(cells) + "</TR></TABLE>>"


def _cell(width: int, height: int, text: str = "") -> str:
    return f'<TD FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}">{text}</TD>' if width > 0 else ""
