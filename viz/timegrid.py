"""Time steps in columns, layers in rows: the textbooks' picture of a sequence model.

Applied to a `Drawing` that has rows of time steps (`layout.py` found them), `arrange` decides, in
grid units, where each drawn node goes (`place.py` turns that into points):
- column t of a layer is column t of every layer: the cells of step t of stacked layers, the
  per-step boxes (Dropout, Attention Weight) and the inputs x_t are stacked in one column; a
  decoder's columns continue after its encoder's, on the same baseline;
- layers applied to the whole sequence at once (Embedding, Affine, Softmax with Loss on (N, T, ·))
  are one box spanning the columns they serve;
- no plumbing: the slicing of xs into x_t, the stacking of the h_t, reshapes, concats and fan-out
  Branch points between the steps are contracted into direct edges (each carrying the per-step
  tensor that crosses it); they are drawn when the layer is expanded;
- a weight shared by the steps of a layer is drawn once, left of the layer's frame, with one edge
  carrying its value and the gradient summed over the steps (BPTT); `weights="per_step"` keeps
  its fan-out to every step;
- a sequence of encoder states read by every decoder step (attention's hs) is one bundle node.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .trace import Graph

from .gridattention import forks, heat_strips
from .gridcells import fold_cells, memory_lines, name_inside, unfold_cells
from .gridnames import STEP_TOOLTIP, distinct_labels, name_context, name_states, one_bundle_label  # noqa: F401 (draw's imports)
from .labels import subscripted
from .layout import TIME, Drawing, DrawnEdge, DrawnNode, is_time, sequence_name

PLUMBING = {"Reshape", "Transpose", "GetItem", "Concat", "Where", "Cast"}
WEIGHTS = ("shared", "per_step")
STEP = re.compile(r"\nt=\d+$")
STEP_INPUT = re.compile(r"^(\w)_t?(\d+)$")  # layout's x_t3 and nn's x_3 are the book's x₃


@dataclass
class Grid:
    rank: dict[str, int] = field(default_factory=dict)  # node -> row (0 at the bottom)
    span: dict[str, tuple[int, int]] = field(default_factory=dict)  # node -> (first, last) column
    side: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # leaf -> (rank, column it sits left of, order)
    frames: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # frame node -> (rank, first, last column)
    lanes: dict[int, float] = field(default_factory=dict)  # edge index -> lane in (-1, 1) on the cell's side
    bundles: set[str] = field(default_factory=set)  # hs: one node over the encoder columns, one bus to the decoder steps
    forks: set[tuple[str, str]] = field(default_factory=set)  # (cell, box): h_t forks off its trunk into the box
    heat: dict[str, np.ndarray] = field(default_factory=dict)  # Attention box -> its weights a_t (a heat strip)
    blocks: dict[str, list[str]] = field(default_factory=dict)  # an opened cell's box on the grid -> the nodes inside
    memory: list[list[str]] = field(default_factory=list)  # the memory lines inside the opened cells (one rank each)
    loose: set[tuple[str, str]] = field(default_factory=set)  # their edges down to tanh(c): not constraining
    stack: int = 3  # a layer's weights beside its row, so many on top of each other (then the next column of them)
    steps: list[tuple[list[str], dict[int, int | None]]] = field(default_factory=list)  # each row: scope path, {step: column, None: padding}


def _plumbing(n: DrawnNode) -> bool:
    return n.kind == "branch" or (n.kind == "op" and n.tooltip in PLUMBING)


def contract(d: Drawing, keep: set[str] = frozenset()) -> None:
    """Replace every path src → plumbing … → dst by one edge src → dst carrying the per-step tensor
    (the smaller of the first and last edge's values: x_t, not xs; h_t, not hs). A stack followed by a
    slice joins a column only to itself."""
    plumb = {k for k, n in d.nodes.items() if _plumbing(n) and k not in keep}
    looped = {e.src for e in d.edges if e.src == e.dst}  # a rolled recurrent layer: its output is h_t
    out: dict[str, list[DrawnEdge]] = defaultdict(list)
    for e in d.edges:
        out[e.src].append(e)
    new: list[DrawnEdge] = []
    merged: dict[tuple[str, str, int], DrawnEdge] = {}
    owner: dict[str, str] = {}
    fan_in = defaultdict(int)
    for e in d.edges:
        fan_in[e.dst] += 1
    for e in d.edges:
        if e.src in plumb:
            continue
        if e.dst not in plumb:
            new.append(e)
            continue
        stack, seen = [(e, e, 0, (), e)], set()
        while stack:
            first, last, state, via, widest = stack.pop()  # state 1: stacked with other steps, 2: then sliced
            if (id(last), state) in seen:
                continue
            seen.add((id(last), state))
            if last.dst not in plumb:
                if last.dst == e.src:
                    continue  # out of a box and back into it through plumbing: not an edge of the drawing
                phase = 0  # a plumbing op runs with the box it serves: h_t's reshape with its step, a slice with its
                for p in via:  # reader; a stack of several steps with none (the explorer joins it to the step before)
                    tip = d.nodes[p].tooltip
                    phase = 2 if tip == "GetItem" else 1 if tip == "Concat" and fan_in[p] > 1 and phase == 0 else phase
                    if phase != 1:
                        owner.setdefault(p, last.dst if phase == 2 else e.src)
                if state == 2 and not _same(first.value, last.value):
                    continue  # h_t stacked into hs and hs[:, t'] sliced out: only t' = t is this edge
                pick = first if np.size(first.value) <= np.size(last.value) else last  # h_t as its cell made it, not reshaped
                if d.nodes[e.src].kind == "rolled" and np.size(widest.value) > np.size(pick.value):
                    pick = widest  # out of a rolled layer: every step's output stacked, hs (N, T, H), and its gradient
                value = pick.value if pick.value is not None else first.value  # a shared weight's value rides into its Branch
                k = (e.src, last.dst, id(pick))
                if k not in merged:
                    merged[k] = DrawnEdge(e.src, last.dst, value, pick.grad, list(last.readers), pick.slot, list(first.sources))
                    if pick is widest and pick is not first and np.ndim(value) == 3:
                        merged[k].name = sequence_name(e.src in looped, np.shape(value)[1])
                    new.append(merged[k])
                continue
            node, before = d.nodes[last.dst], state
            if node.tooltip == "Concat" and state == 0 and fan_in[last.dst] > 1:
                state = 1
            elif node.tooltip == "GetItem" and state == 1:
                state = 2
            stack.extend((first, nxt, state, via + (last.dst,),  # the steps' stack, not a concat after it ([c_t, h_t])
                          max(widest, nxt, key=lambda x: np.size(x.value)) if before == 0 else widest) for nxt in out[last.dst])
    for k in plumb:
        members = d.nodes.pop(k).members
        if k in owner and d.nodes[owner[k]].kind in ("group", "collapsed", "rolled"):
            d.nodes[owner[k]].members.extend(members)
    d.edges = new


def _fold_padding(d: Drawing, row: list[str], padding: dict) -> list[str]:
    """The steps of a row that only read padding become one box "LSTM t=0…17 (padding)": the edges
    into and out of them merged (the last step's values), the steps among them not drawn."""
    steps = _padding_steps(d, row, padding)
    if len(steps) < 2:
        return row
    keep, gone = row[steps[0]], set(row[t] for t in steps[1:])
    at = {k: t for t, k in enumerate(row)}
    groups: dict[tuple, list[tuple[int, DrawnEdge]]] = defaultdict(list)
    for e in d.edges:
        step = max(at.get(e.src, -1) if e.src in gone | {keep} else -1, at.get(e.dst, -1) if e.dst in gone | {keep} else -1)
        e.src, e.dst = (keep if e.src in gone else e.src), (keep if e.dst in gone else e.dst)
        if e.src != e.dst:
            groups[(e.src, e.dst)].append((step, e))
    d.edges = [e for edges in groups.values() for step, e in edges if step == max(s for s, _ in edges)]  # the last step's
    for k in gone:
        d.nodes[keep].members.extend(d.nodes.pop(k).members)
    n = d.nodes[keep]
    n.label = f"{STEP.sub('', n.label)}\nt={steps[0]}…{steps[-1]}\n(padding)"
    return [k for k in row if k not in gone]


def _padding_steps(d: Drawing, row: list[str], padding: dict) -> list[int]:
    """The steps of a row that only read padding: those `padding` names for a module on the row's scope path."""
    path = d.nodes[row[0]].tooltip.split("/")
    return sorted({t for name, ts in padding.items() if name in path for t in ts if t < len(row)})


def _step_rows(d: Drawing) -> list[list[str]]:
    """Boxes made inside a step but in a module of their own (attention's Attention Weight and Weight
    Sum at decoder step t): one row per kind of box, in time order."""
    found: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for k, n in d.nodes.items():
        steps = [i for i, e in enumerate(n.cluster) if is_time(e)]
        if n.kind == "group" and steps:
            i = steps[-1]
            around = tuple(getattr(e, "name", e) for e in n.cluster[:i] + n.cluster[i + 1:])  # an opened Attention: one per step
            found[(around, n.label)].append((int(TIME.match(n.cluster[i]).group(1)), k))
            n.cluster = n.cluster[:i] + n.cluster[i + 1:]
    return [[k for _, k in sorted(r)] for r in found.values() if len(r) > 1]


def _same(a, b) -> bool:
    return a is not None and b is not None and np.shape(a) == np.shape(b) and np.array_equal(a, b)


def _bundles(d: Drawing, column: dict[str, int]) -> set[str]:
    """Stacks (concat) whose whole sequence is read by the steps of a row, not sliced: attention's hs."""
    outs: dict[str, list[str]] = defaultdict(list)
    fan_in: dict[str, int] = defaultdict(int)
    for e in d.edges:
        outs[e.src].append(e.dst)
        fan_in[e.dst] += 1

    def read_whole(k: str, seen: set[str]) -> bool:
        for nxt in outs[k]:
            if nxt in seen:
                continue
            seen.add(nxt)
            if nxt in column:
                return True
            n = d.nodes[nxt]
            if _plumbing(n) and n.tooltip != "GetItem" and read_whole(nxt, seen):
                return True
        return False

    found = set()
    for k, n in d.nodes.items():
        if n.kind == "op" and n.tooltip == "Concat" and fan_in[k] > 1 and read_whole(k, set()):
            found.add(k)
            n.label = "hs"  # still an op (concat) to the explorer
    return found


def arrange(d: Drawing, graph: Graph, weights: str = "shared", padding: dict | None = None) -> Grid:
    """Contract the plumbing of `d` (in place) and place its nodes on the grid. `padding`: {scope
    name: time steps that only read padding}: those steps of a layer are drawn as one box."""
    g = Grid()
    folded = fold_cells(d)  # opened cells: placed as boxes, their insides put back at the end
    rows = d.time_rows + _step_rows(d)
    step_of = {k: t for row in rows for t, k in enumerate(row)}
    bundles = _bundles(d, dict(step_of))
    contract(d, bundles)
    steps = [len(row) for row in rows]
    unfolded = rows
    rows = [_fold_padding(d, row, padding or {}) for row in rows]
    row_of = {k: r for r, row in enumerate(rows) for k in row}
    step_of = {k: t for row in rows for t, k in enumerate(row)}
    column = dict(step_of)
    edges = d.edges

    # a decoder row continues its encoder's columns on the same baseline; other rows align by their edges
    offset: dict[int, int] = {}
    baseline = list(range(len(rows)))
    for a, ra in enumerate(rows):
        for b, rb in enumerate(rows):
            if a != b and len(ra) > 1 and any(e.src == ra[-1] and e.dst == rb[0] for e in edges):
                offset.setdefault(a, 0)
                offset[b] = offset[a] + len(ra) + 1
                baseline[b] = baseline[a]
    for _ in range(2 * len(rows)):
        known = len(offset)
        for e in edges:
            a, b = row_of.get(e.src), row_of.get(e.dst)
            if a is None or b is None or a == b:
                continue
            for x, y, sx, sy in ((a, b, e.src, e.dst), (b, a, e.dst, e.src)):
                if x in offset and y not in offset:
                    offset[y] = offset[x] + step_of[sx] - step_of[sy]
        if len(offset) == known:  # nothing aligns the rest: the first unplaced row starts at column 0
            offset.setdefault(next((r for r in range(len(rows)) if r not in offset), 0), 0)
    column = {k: offset.get(row_of[k], 0) + t for k, t in step_of.items()}
    for row in unfolded:  # where the words of a module's step t go (draw's tokens={"encoder": ...}); padding gets none
        pads = _padding_steps(d, row, padding or {})  # (row[0] is never folded away)
        g.steps.append((d.nodes[row[0]].tooltip.split("/"),
                        {t: None if len(pads) > 1 and t in pads else column[k] for t, k in enumerate(row)}))

    name_states(d, graph, row_of, baseline)
    one_bundle_label(d, bundles, column)
    _split_inputs(d, column)
    _step_inputs(d, column, row_of)
    frame_of = _share_weights(d, rows, row_of, steps) if weights == "shared" else {}

    # columns of the other nodes: the one column of their neighbours, or the span of several
    nbrs: dict[str, set[str]] = defaultdict(set)
    for e in d.edges:
        for x, y in ((e.src, e.dst), (e.dst, e.src)):
            if d.nodes[y].kind not in ("param", "input", "const", "frame"):
                nbrs[x].add(y)
    leaves = {k for k, n in d.nodes.items() if n.kind in ("param", "input", "const") and k not in column}
    fed = {e.dst for e in d.edges if e.src not in leaves}
    leaves |= {k for k, n in d.nodes.items() if n.kind == "op" and k not in fed and k not in column}  # the Repeat of a bias
    span = {k: (c, c) for k, c in column.items()}
    for _ in range(len(d.nodes)):
        changed = False
        for k, n in d.nodes.items():
            if k in column or k in leaves or n.kind == "frame":
                continue
            known = [span[x] for x in nbrs[k] if x in span]
            if not known:
                continue
            s = (min(a for a, _ in known), max(b for _, b in known))
            if span.get(k) != s:
                span[k], changed = s, True
        if not changed:
            break
    for b in bundles:  # hs spans the encoder columns it stacks, not the decoder's that read it
        stacked = [column[e.src] for e in d.edges if e.dst == b and e.src in column]
        if stacked:
            span[b] = (min(stacked), max(stacked))
    g.span, g.bundles = span, set(bundles)
    g.forks, g.heat = forks(d, column, span), heat_strips(d, graph)
    name_context(d, g.forks)

    # rows: longest path bottom to top; a layer's steps share a row, edges between columns do not count
    group = {k: ("row", baseline[row_of[k]]) for k in row_of}
    for k, n in d.nodes.items():
        if k not in group and k in column:
            group[k] = ("col", STEP.sub("", n.label), n.kind, n.cluster)
        elif k not in group and k in span:
            group[k] = ("own", k)
    rank = {grp: 0 for grp in group.values()}
    for _ in range(len(rank) + 1):
        changed = False
        for e in edges + d.edges:
            a, b = group.get(e.src), group.get(e.dst)
            if a is None or b is None or a == b:
                continue
            if e.src in column and e.dst in column and column[e.src] != column[e.dst]:
                continue
            if rank[b] < rank[a] + 1:
                rank[b], changed = rank[a] + 1, True
        if not changed:
            break
    g.rank = {k: rank[grp] for k, grp in group.items()}

    # frames around each layer's row, leaves left of the row of their first reader
    for f, r in frame_of.items():
        row = rows[r]
        g.rank[f] = g.rank[row[0]]
        g.frames[f] = (g.rank[row[0]], column[row[0]], column[row[-1]])
    order: dict[tuple[int, int], int] = defaultdict(int)
    for k in leaves:
        r = k
        for _ in range(len(leaves)):  # through a leaf-fed op (b → Repeat → +) to the row it serves
            r = next((e.dst for e in d.edges if e.src == r), None)
            if r is None or r not in leaves:
                break
        if r is None or r not in g.rank:
            continue
        first = g.frames[r][1] if r in g.frames else span[r][0]
        slot = (g.rank[r], first)
        g.side[k] = (g.rank[r], first, order[slot])
        order[slot] += 1
    for k in [k for k in d.nodes if k not in g.rank and k not in g.side]:
        del d.nodes[k]
    d.edges = [e for e in d.edges if e.src in d.nodes and e.dst in d.nodes]
    if folded.nodes:
        g.blocks = unfold_cells(d, folded)
        g.memory, g.loose = memory_lines(d, graph, g.blocks)
        name_inside(d, graph, g.blocks)
    return g


def _step_inputs(d: Drawing, column: dict[str, int], row_of: dict[str, int]) -> None:
    """Inputs of one step each (the slices x_0, x_1, ... of an xs that needs no gradient) go below
    their cells; an input read by one step only (h0 of the first) stays left of its row."""
    stems: dict[str, dict[str, int]] = defaultdict(dict)
    for k, n in d.nodes.items():
        reads = [e.dst for e in d.edges if e.src == k]
        if n.kind == "input" and len(reads) == 1 and reads[0] in column:
            stems[re.sub(r"_?t?\d+$", "", n.label) + f"@{row_of.get(reads[0])}"][k] = column[reads[0]]
    for keys in stems.values():
        if len(set(keys.values())) > 1:
            for k, t in keys.items():
                column[k] = t
                d.nodes[k].label = subscripted(STEP_INPUT.sub(r"\1_{\2}", d.nodes[k].label))
                d.nodes[k].tooltip = STEP_TOOLTIP


def _split_inputs(d: Drawing, column: dict[str, int]) -> None:
    """An input read step by step (xs sliced into x_t) becomes one input per column."""
    for k, n in list(d.nodes.items()):
        if n.kind != "input":
            continue
        reads = [e for e in d.edges if e.src == k and e.dst in column]
        if len({column[e.dst] for e in reads}) < 2:
            continue
        base = n.label[:-1] if n.label.endswith("s") and len(n.label) > 1 else n.label
        for e in reads:
            t = column[e.dst]
            key = f"{k}_t{t}"
            d.nodes.setdefault(key, DrawnNode(key, "input", subscripted(f"{base}_{{{t}}}"), n.cluster, list(n.members), tooltip=STEP_TOOLTIP))
            column[key] = t
            e.src = key
        if not any(e.src == k for e in d.edges):
            del d.nodes[k]


def _share_weights(d: Drawing, rows: list[list[str]], row_of: dict[str, int], steps: list[int]) -> dict[str, int]:
    """A parameter's fan-out to the steps of a layer becomes one edge into the layer's frame, with
    its value and the gradient summed over the steps."""
    frames: dict[str, int] = {}
    by_src: dict[str, list[DrawnEdge]] = defaultdict(list)
    for e in d.edges:
        by_src[e.src].append(e)
    kept: list[DrawnEdge] = []
    for e in d.edges:
        src = d.nodes[e.src]
        reads = [x for x in by_src[e.src] if x.dst in row_of]
        if src.kind != "param" or len(reads) < 2 or e not in reads:
            kept.append(e)
            continue
        r = row_of[e.dst]
        f = f"frame_{r}"
        if f not in d.nodes:
            d.nodes[f] = DrawnNode(f, "frame", f"shared by t = 0…{steps[r] - 1}\n∂ summed over t", (), [], tooltip="the weights of this layer, shared by its steps")
            frames[f] = r
        same = [x for x in reads if row_of[x.dst] == r]
        if e is not same[0]:
            continue
        grads = [x.grad for x in same]
        total = None if any(gr is None for gr in grads) else sum(grads[1:], grads[0])
        kept.append(DrawnEdge(e.src, f, e.value, total, [rd for x in same for rd in x.readers], e.slot, list(e.sources)))
    d.edges = kept
    return frames
