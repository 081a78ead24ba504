"""The rolled view (figures.md §3): every recurrent layer one box "LSTM × T" with its state as a loop.

A rolled model is the time grid with one column per sequence: `arrange_rolled` gives each box a row
and a column, `place.py` (the time grid's placer, drawn by `neato -n2`) turns them into points and
`rolled_routes.py` draws what place() has no notion of. The rules:
- layers go bottom to top in one column: x_t (the words when given) → Embedding → (Dropout) → LSTM
  layer 0 → (Dropout × T) → layer 1 → Affine → Softmax with Loss → L, L beside its loss as the book's
  "L ← Softmax with Loss"; a seq2seq model's decoder column is right of its encoder's, on the same
  baseline (edges between columns do not raise a row), each named under it (encoder, decoder), the
  encoder's last h one arrow into the decoder, its hs one bundle edge into "Attention × T_out";
- a layer's weights sit left of its box as cards (name, shape, value, gradient: two columns still fit
  one screen at 1:1), named inside the layer's frame (Wx under "rnn.cell_l0: shared by t = 0…T−1,
  ∂ summed over t"); initial states at 0 are said in that note, not drawn;
- each state is a self-loop on the box's right side (c above h, as in the cell), labelled
  h<sub>t−1</sub> beside the last value handed on and the gradient summed over the steps.
The drawing keeps the model's names and edges (weights into the box); only the Grid says how they are written.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .bidirectional import REVERSE, cards_below, leaves_across
from .gridnames import TARGET, WORD, WORD_CHAR, said
from .layout import STEP_INPUTS, Drawing, DrawnEdge, DrawnNode, common_prefix, sequence_name
from .place import place
from .rolled_routes import between_columns, box_of, is_loop, loops, notes_beside, pack, past_boxes, square_leaf_edges
from .timegrid import Grid

STEPS = re.compile(r"× (\d+)")
STATE_INDEX = re.compile(r"(\[\d+\]| \(\w+\))$")  # h0[1], c0 (encoder): told apart by their layer's frame and column


@dataclass
class RolledGrid(Grid):
    frames_of: dict[str, str] = field(default_factory=dict)  # rolled box -> its layer's name ("rnn.cell_l0")
    columns: dict[int, str] = field(default_factory=dict)  # column -> the module drawn in it ("encoder"), when several
    names: dict[str, str] = field(default_factory=dict)  # leaf -> its name as drawn, inside its layer or column ("Wx")
    stack: int = 4  # a GRU's Wx, Wh, bx, bh in one column of cards: a second column would not fit two sequences


def relative_names(d: Drawing) -> tuple[dict[str, str], dict[str, str]]:
    """The weights and initial states of each rolled box as named inside their layer: rnn.cell_l0.Wx is
    Wx, h0[1] is h0. Returns ({box: the layer's dotted name}, {leaf: its name in the layer})."""
    titles, names = {}, {}
    for key, n in d.nodes.items():
        if n.kind != "rolled":
            continue
        leaves = [e.src for e in d.edges if e.dst == key and d.nodes[e.src].kind in ("param", "input")
                  and sum(x.src == e.src for x in d.edges) == 1]
        params = [k for k in leaves if d.nodes[k].kind == "param" and "." in d.nodes[k].label]
        prefix = ".".join(common_prefix([tuple(d.nodes[k].label.split(".")[:-1]) for k in params]))
        if not prefix:
            continue
        titles[key] = prefix
        names.update({k: d.nodes[k].label[len(prefix) + 1:] for k in params})
        names.update({k: re.sub(STATE_INDEX, "", d.nodes[k].label) for k in leaves
                      if d.nodes[k].kind == "input" and d.nodes[k].tooltip != STEP_INPUTS})
    return titles, names


def arrange_rolled(d: Drawing) -> RolledGrid:
    """Rows and columns of a rolled drawing (see the module docstring); names its edges."""
    titles, names = relative_names(d)
    g = RolledGrid(frames_of=titles, names=names)
    rolled = [k for k, n in d.nodes.items() if n.kind == "rolled"]
    steps = {k: int(m.group(1)) for k in rolled for m in [STEPS.search(d.nodes[k].label)] if m}
    below = {k for k, n in d.nodes.items() if n.kind == "input" and _sequence_input(d, k, steps)}
    leaves = {k for k, n in d.nodes.items() if n.kind in ("param", "input", "const") and k not in below}

    # columns: rolled boxes of one module (the decoder's LSTM and its attention) share one; others by their neighbours
    parent = {k: k for k in rolled}

    def root(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    joined = [(e.src, e.dst) for e in d.edges if e.src in parent and e.dst in parent and not is_loop(e)
              and _nested(d.nodes[e.src].cluster, d.nodes[e.dst].cluster)]  # the decoder's LSTM and its Attention
    joined += [(a, b) for a, b in zip(rolled, rolled[1:]) if d.nodes[a].cluster == d.nodes[b].cluster and b != a + REVERSE]  # stacked
    # layers; a bidirectional layer's two directions side by side, forward left
    for a, b in joined:
        parent[root(a)] = root(b)
    later = {(root(e.src), root(e.dst)) for e in d.edges if e.src in parent and e.dst in parent and root(e.src) != root(e.dst)}
    seqs = sorted(dict.fromkeys(root(k) for k in rolled), key=lambda s: (sum(b == s for _, b in later), s.endswith(REVERSE)))  # an
    # encoder first
    column = {k: seqs.index(root(k)) for k in rolled}
    nbrs: dict[str, set[str]] = defaultdict(set)
    for e in d.edges:
        if e.src not in leaves and not is_loop(e):
            nbrs[e.src].add(e.dst)
            nbrs[e.dst].add(e.src)
    for _ in range(len(d.nodes)):
        todo = [k for k in d.nodes if k not in column and k not in leaves and any(x in column for x in nbrs[k])]
        if not todo:
            break
        for k in todo:
            column[k] = max(column[x] for x in nbrs[k] if x in column and x.removesuffix(REVERSE) not in nbrs[k] - {x})  # the
            # later sequence (a loss after its decoder); below both directions of a layer, under the forward one
    for k in d.nodes:
        if k not in leaves:
            column.setdefault(k, 0)

    # rows: longest path bottom to top within a column (the encoder's last h does not raise the decoder)
    rank = {k: 0 for k in column}
    for _ in range(len(rank) + 1):
        changed = False
        for e in d.edges:
            if e.src in rank and e.dst in rank and not is_loop(e) and column[e.src] == column[e.dst] \
                    and rank[e.dst] < rank[e.src] + 1:
                rank[e.dst], changed = rank[e.src] + 1, True
        if not changed:
            break
    twins = {k: k.removesuffix(REVERSE) for k in rolled if k.endswith(REVERSE) and k.removesuffix(REVERSE) in rank}
    for r, f in twins.items():
        rank[r] = rank[f]
    for k, n in d.nodes.items():  # L beside its loss, as the book's "L ← Σ ← Softmax with Loss": a row less
        into = [e.src for e in d.edges if e.dst == k]
        if n.kind == "output" and len(into) == 1 and d.nodes[into[0]].loss and k in rank:
            rank[k], column[k] = rank[into[0]], max(column.values()) + 1
    g.rank, g.span = rank, {k: (c, c) for k, c in column.items()}
    for key, title in titles.items():  # a frame round each layer (both directions of one): its weights are named inside it
        if key in twins:
            continue
        f, pair = f"frame_{key}", [key, *[r for r, x in twins.items() if x == key]]
        if len(pair) == 2:
            title = ".".join(common_prefix([tuple(titles.get(k, title).split(".")) for k in pair]))
            d.nodes[key].label, d.nodes[pair[1]].label = (d.nodes[k].label.split("\n")[0] + arrow for k, arrow in zip(pair, (" →", " ←")))
            g.names.update({e.src: f"{g.names[e.src]} {'→' if e.dst == key else '←'}" for e in d.edges if e.dst in pair and e.src in g.names
                            and d.nodes[e.src].kind == "param"})
        zeros = [e for e in d.edges if e.dst in pair and e.src in leaves and d.nodes[e.src].kind == "input"
                 and e.value is not None and not np.any(e.value)]  # initial states at 0: said in the note, not drawn
        start = " = ".join(sorted({re.sub(STATE_INDEX, "", d.nodes[e.src].label) for e in zeros})) + " = 0" if zeros else ""
        for e in zeros:
            del d.nodes[e.src]
        d.edges = [e for e in d.edges if e.src in d.nodes]
        note = f"{title}: shared by t = 0…{steps.get(key, 1) - 1}\n∂ summed over t" + (f"; {start}" if start else "")
        d.nodes[f] = DrawnNode(f, "frame", note, (), [], tooltip="the weights of this layer, shared by its steps")
        g.rank[f], g.frames[f] = rank[key], (rank[key], column[key], column[pair[-1]])
    order: dict[tuple[int, int], int] = defaultdict(int)
    for k in [k for k in leaves if k in d.nodes]:
        readers = [e.dst for e in d.edges if e.src == k and e.dst in g.rank]
        if not readers:
            continue
        reader = max(readers, key=g.rank.get) if d.nodes[k].grad is not None else readers[0]  # a tied weight: by the output layer
        slot = (g.rank[reader], column[twins.get(reader, reader)])  # a reverse direction's weights under the forward's
        g.side[k] = (*slot, order[slot])
        order[slot] += 1
    _name_columns(d, g)
    for e in d.edges:  # h_t into Attention and past it into Affine: one trunk that forks (rolled_routes.past_boxes), named
        # once, on its edge into the box: h_t's value and the gradient summed over both readers (what comes back into the cell)
        between = lambda k: column.get(k) == column[e.src] and rank[e.src] < rank.get(k, -1) < rank[e.dst]  # noqa: E731
        twin = None if is_loop(e) or e.src not in column or e.dst not in column or column[e.src] != column[e.dst] else next(
            (x for x in d.edges if x is not e and x.src == e.src and between(x.dst) and np.shape(x.value) == np.shape(e.value)
             and np.array_equal(x.value, e.value)), None)
        if twin is not None:
            twin.grad = None if twin.grad is None or e.grad is None else twin.grad + np.reshape(e.grad, np.shape(twin.grad))
            e.value, e.grad, e.name = None, None, ""
    for e in d.edges:  # x into a layer's reverse direction: its value is on the edge into the forward one, its gradient its own
        if e.dst in twins and any(x.src == e.src and x.dst == twins[e.dst] and np.array_equal(x.value, e.value) for x in d.edges):
            e.value = None
    for k in [k for k in d.nodes if k not in g.rank and k not in g.side]:
        del d.nodes[k]
    d.edges = [e for e in d.edges if e.src in d.nodes and e.dst in d.nodes]
    _name_edges(d, column, steps)
    return g


def fold_broadcast_state(d: Drawing) -> None:
    """A peeky decoder: the encoder's last h, repeated over the decoder's steps (the Repeat of expand) into every
    step's input and into Affine's, is the one arrow it is in the book. Its edge into the decoder's cell (the
    same h as the initial state's) carries h and its gradient summed over all its uses; the edges into the other
    readers (Affine) carry nothing and are drawn along it (rolled_routes.between_columns)."""
    for k in [k for k, n in d.nodes.items() if n.kind == "op" and n.tooltip == "Repeat"]:
        ins = [e for e in d.edges if e.dst == k]
        into = next((e for e in ins if e.value is not None), None)  # (a bidirectional encoder's: its joined h)
        outs = [e for e in d.edges if e.src == k]
        if into is None or d.nodes[into.src].kind != "rolled":
            continue
        state = next((e for e in d.edges if e.src == into.src and e.dst in {o.dst for o in outs}), None)
        if state is None or into.grad is None or state.grad is None:
            continue
        state.grad = state.grad + np.reshape(into.grad, np.shape(state.grad))
        d.edges = [e for e in d.edges if e not in ins and e not in outs]  # (the reverse half's: drawn along the joined h)
        d.edges += [DrawnEdge(into.src, o.dst, None, None, o.readers, o.slot, into.sources) for o in outs if o.dst != state.dst]
        del d.nodes[k]


def merge_step_boxes(d: Drawing) -> None:
    """Boxes made once per step between two rolled layers (a stacked LSTM's Dropout at each step): one box
    "Dropout × T", its edges carrying every step's tensor (N, T, H) and gradient."""
    rolled = lambda k: d.nodes[k].kind == "rolled"  # noqa: E731
    runs: dict[tuple, list[str]] = defaultdict(list)
    for k, n in d.nodes.items():
        ins = {e.src for e in d.edges if e.dst == k and rolled(e.src)}
        outs = {e.dst for e in d.edges if e.src == k and rolled(e.dst)}
        if n.kind == "group" and len(ins) == len(outs) == 1:
            runs[(n.label, n.cluster, *ins, *outs)].append(k)
    for (label, _, src, dst), keys in runs.items():
        if len(keys) < 2:
            continue
        keys.sort(key=lambda k: d.nodes[k].entry.serial)  # made in time order
        keep = d.nodes[keys[0]]
        keep.label = f"{label} × {len(keys)}"
        for k in keys[1:]:
            keep.members.extend(d.nodes.pop(k).members)
        for a, b in ((src, None), (None, dst)):
            steps = [next(e for e in d.edges if e.src == (a or k) and e.dst == (b or k)) for k in keys]
            grads = [e.grad for e in steps]
            merged = DrawnEdge(a or keep.key, b or keep.key, np.stack([e.value for e in steps], axis=1),
                               None if any(x is None for x in grads) else np.stack(grads, axis=1),
                               [r for e in steps for r in e.readers], steps[0].slot, [s for e in steps for s in e.sources])
            merged.name = sequence_name(True, len(keys)) if a else f"t = 0…{len(keys) - 1}"
            d.edges = [e for e in d.edges if e not in steps] + [merged]
    d.edges = [e for e in d.edges if e.src in d.nodes and e.dst in d.nodes]


def _name_columns(d: Drawing, g: RolledGrid) -> None:
    """Several columns: each is named after its module (written under it), which its weights' names then leave out
    (encoder.embed.W is embed.W under "encoder")."""
    if len({c for c, _ in g.span.values()}) < 2:
        return
    for c in sorted({c for c, _ in g.span.values()}):
        shown = {k: g.names.get(k, d.nodes[k].label) for k, (_, col, _) in g.side.items() if col == c}
        leaves = [k for k, name in shown.items() if "." in name and k not in g.names]  # (not v.W, named in its layer)
        frames = [f for f, fr in g.frames.items() if fr[1] == c]
        heads = {shown[k].split(".")[0] for k in leaves} | {d.nodes[f].label.split(".")[0] for f in frames}
        if len(heads) != 1:
            continue
        (head,) = heads
        g.columns[c] = head
        g.names.update({k: shown[k][len(head) + 1:] for k in leaves})
        for f in frames:
            d.nodes[f].label = d.nodes[f].label[len(head) + 1:]


def _sequence_input(d: Drawing, key: str, steps: dict[str, int]) -> bool:
    """x_t of a rolled cell, or an input (N, T, D) read whole by one: drawn below it, not beside it."""
    if d.nodes[key].tooltip == STEP_INPUTS:
        return True
    reads = [e for e in d.edges if e.src == key]
    return len(reads) == 1 and reads[0].dst in steps and np.ndim(reads[0].value) == 3 \
        and np.shape(reads[0].value)[1] == steps[reads[0].dst] > 1


def _nested(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def _name_edges(d: Drawing, column: dict[str, int], steps: dict[str, int]) -> None:
    """Edges between columns: the encoder's hs (N, T, H), one bundle, and its last h; attention's output is c_t."""
    for e in d.edges:
        src = d.nodes[e.src]
        if is_loop(e) or src.kind != "rolled" or e.value is None:  # (a peeky h's second reader: drawn along its first)
            continue
        if column[e.src] != column[e.dst]:
            last = f"h_{{{steps.get(e.src, 1) - 1}}}"
            e.name = "hs" if np.ndim(e.value) == 3 else f"[{last}→, h_{{0}}←]" if e.src + REVERSE in d.nodes else last
        elif src.label.startswith("Attention") and np.ndim(e.value) == 3:
            e.name = "c_{t}"  # every step's context: its shape (N, T, H) says so


def place_rolled(d: Drawing, g: RolledGrid, node_attrs: dict[str, dict], edge_labels: list[str]):
    """place() for the rolled grid, plus what it has no notion of (rolled_routes.py): the loops, the
    columns packed, the edges between columns and past a box, the words."""
    keep = [i for i, e in enumerate(d.edges) if not is_loop(e) and not (e.value is None and d.nodes[e.src].kind == "rolled")]  # (a
    # peeky h's second reader, drawn along its first by between_columns)
    flat = Drawing(d.nodes, [d.edges[i] for i in keep])
    column = {k: _column(g, k) for k in d.nodes if k in g.rank or k in g.side}
    across = {i for i, e in enumerate(d.edges) if column.get(e.src) != column.get(e.dst)}  # routed and labelled below
    nodes, routes, notes = place(flat, g, node_attrs, ["" if i in across else edge_labels[i] for i in keep])
    out: list[dict] = [{} for _ in d.edges]
    for i, r in zip(keep, routes):
        out[i] = r
    for f in g.frames:  # a frame's left side near its box: place() leaves room for the widest box of the column
        bx, _, bw, _ = box_of(nodes[f.removeprefix("frame_")])
        fx, fy, fw, fh = box_of(nodes[f])
        nodes[f].update(pos=f"{(bx - bw / 2 - 14 + fx + fw / 2) / 2:.1f},{fy:.1f}!", width=f"{(fx + fw / 2 - bx + bw / 2 + 14) / 72:.3f}")
    square_leaf_edges(d, g, nodes, out)
    loops(d, nodes, out, edge_labels)
    under = cards_below(d, g, column, nodes, out, notes, edge_labels)
    wide = {f for f, (_, lo, hi) in g.frames.items() if lo != hi}
    pack(d, column, nodes, out, notes, edge_labels, wide)
    leaves_across(d, g, column, nodes, out, edge_labels, under)
    notes_beside(d, g, nodes, out, notes, edge_labels)
    between_columns(d, g, column, nodes, out, notes, edge_labels)
    past_boxes(d, g, column, nodes, out, edge_labels)
    notes += _words(d, g, nodes)
    return nodes, out, notes


def _column(g: RolledGrid, key: str) -> int:
    if key in g.frames:
        return g.frames[key][1]
    return g.side[key][1] if key in g.side else g.span[key][0]


def _words(d: Drawing, g: RolledGrid, nodes: dict[str, dict]) -> list[tuple]:
    """Under each column its module's name; the input words under the first column, or each module's
    (tokens={"encoder": ..., "decoder": ...}) under its own; the words the loss predicts left of it."""
    notes = []
    under = {c: " ".join(d.tokens[name]) for c, name in g.columns.items() if name in d.tokens}
    if len(under) < len(d.tokens):
        under = {0: said(d.tokens)}
    for c, name in g.columns.items():
        x, y, w, h = _lowest(g, c, nodes)
        notes.append((f"column_{c}", name, x, y - h / 2 - 14 - (14 if c in under else 0), WORD))
    for c, text in under.items():
        x, y, w, h = _lowest(g, c, nodes)
        notes.append((f"tokens_{c}" if c else "tokens", "input: " + text, x, y - h / 2 - 14, WORD))
    loss = [box_of(nodes[k]) for k, n in d.nodes.items() if n.loss and n.kind == "group" and k in nodes]
    if d.targets and loss:
        x, y, w, h = loss[0]
        text = "predicts: " + said(d.targets)
        notes.append(("targets", text, x - w / 2 - 12 - len(text) * WORD_CHAR / 2, y, TARGET))
    return notes


def _lowest(g: RolledGrid, c: int, nodes: dict[str, dict]) -> tuple[float, float, float, float]:
    """The box lowest in column c."""
    return min((box_of(nodes[k]) for k, (col, _) in g.span.items() if col == c and k in nodes), key=lambda b: b[1] - b[3] / 2)
