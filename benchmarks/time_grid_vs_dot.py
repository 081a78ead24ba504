"""The two ways to draw a 2-layer LSTM over 35 steps with time in columns (viz/place.py's choice).

The same drawing (plumbing contracted, shared weights once per layer) laid out by `dot` (each row
`rank=same` under newrank, each column a `group` chained by invisible edges of weight 100) and by
the computed grid (`neato -n2`). Prints, for each: the width, how far apart the cells of one
column are across the two layers, whether the inputs x_t keep their columns' order, and how many
pairs of label lines overlap; writes both PNGs for looking.

    python benchmarks/time_grid_vs_dot.py [--out /tmp]
"""
from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np

import tinygrad_nlp as tg
import viz
from tinygrad_nlp import nn
from viz.trace import trace
from viz.draw import drawing, name_map

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_figures_time import overlaps, text_boxes  # noqa: E402


def dot_variant(grid_dot: graphviz.Digraph, d) -> graphviz.Source:
    """The grid figure's DOT without its positions, laid out by `dot` with rows and columns tied."""
    g = d.grid
    body = re.sub(r' (pos|lp|width|height|fixedsize)=("[^"]*"|[^\s\]]+)', "", grid_dot.source)
    body = re.sub(r"^\s*frame_\w+.*$", "", body, flags=re.M)  # the frames are the grid's
    ties = ['rankdir=BT newrank=true nodesep=0.3 ranksep=0.35']
    columns: dict[int, list[str]] = {}
    for k, r in g.rank.items():
        lo, hi = g.span[k] if k in g.span else (None, None)
        if lo is not None and lo == hi:
            ties.append(f"{k} [group=c{lo}]")
            columns.setdefault(lo, []).append(k)
    for r in set(g.rank.values()):
        ties.append("{rank=same; " + " ".join(k for k, x in g.rank.items() if x == r and not k.startswith("frame")) + "}")
    for keys in columns.values():
        keys.sort(key=lambda k: g.rank[k])
        ties += [f"{a} -> {b} [style=invis weight=100]" for a, b in zip(keys, keys[1:])]
    body = body.replace("-> frame_", "-> cluster_gone_")  # edges into a frame go nowhere in this variant
    body = "\n".join(line for line in body.splitlines() if "cluster_gone_" not in line)
    return graphviz.Source(body.rstrip().rstrip("}") + "\n" + "\n".join(ties) + "\n}", engine="dot")


def measure(name: str, dg, d, out: Path) -> None:
    svg = dg.pipe(format="svg")
    root = ET.fromstring(svg)
    centre = {}
    for node in root.iter("{http://www.w3.org/2000/svg}g"):
        title = node.find("{http://www.w3.org/2000/svg}title")
        shape = next((el for el in node.iter() if el.get("points") or el.get("d")), None)
        if node.get("class") == "node" and title is not None and shape is not None:
            xs = [float(x) for x in re.findall(r"(-?[\d.]+),", shape.get("points") or shape.get("d"))]
            centre[title.text] = (min(xs) + max(xs)) / 2
    cells = [k for k in d.grid.rank if k.startswith("box_")]
    by_column: dict[int, list[float]] = {}
    for k in cells:
        by_column.setdefault(d.grid.span[k][0], []).append(centre[k])
    drift = max(max(v) - min(v) for v in by_column.values())
    inputs = sorted((d.grid.span[k][0], centre[k]) for k in d.grid.rank if d.nodes[k].label.startswith("x_"))
    in_order = [x for _, x in inputs] == sorted(x for _, x in inputs)
    width = re.search(rb'width="(\d+)pt"', svg).group(1).decode()
    (out / f"lstm_2x35_{name}.png").write_bytes(dg.pipe(format="png"))
    print(f"{name:5s} width {width} pt, column drift between layers {drift:.1f} pt, x_t in column order: {in_order}, "
          f"overlapping label lines: {len(overlaps(text_boxes(root)))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp", help="folder for the two PNGs")
    args = ap.parse_args()
    lstm = nn.LSTM(100, 100, num_layers=2, generator=np.random.default_rng(0))
    loss = lstm(tg.randn(20, 35, 100, generator=1))[0].sum()
    loss.backward(retain_graph=True)
    d = drawing(trace(loss, name_map(lstm)))
    grid = viz.draw(loss, names=lstm, values=False, show="both")
    measure("dot", dot_variant(grid, d), d, Path(args.out))
    measure("grid", grid, d, Path(args.out))


if __name__ == "__main__":
    main()
