"""The geometry of the drawings of sequence models, read from the SVG that Graphviz lays out:
time steps in columns, layers in rows, no plumbing, shared weights drawn once, a rolled view with
its loops, and sizes that still read (../shared/figures.md)."""
from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_nlp as tg
import viz
from models import Rnnlm
from viz.textwidth import line_width
from tinygrad_nlp import nn
from tinygrad_nlp.nn import functional as F
from viz.trace import trace
from viz.draw import drawing, name_map
from viz.timegrid import PLUMBING

needs_dot = pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(dg) -> ET.Element:
    return ET.fromstring(viz.render_bytes(dg, "svg"))


def shapes(root: ET.Element) -> tuple[dict[str, tuple[float, float, str]], dict[str, list[tuple[float, float]]]]:
    """{node name: (x, y, text)} (the centre of its shape) and {"a->b": path points} from an SVG."""
    nodes, edges = {}, {}
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        if title is None:
            continue
        if g.get("class") == "node":
            pts = [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", _outline(g))]
            if not pts:
                continue
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            text = " ".join(t.text or "" for t in g.iter(SVG + "text"))
            nodes[title.text] = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, text)
        elif g.get("class") == "edge":
            d = next(g.iter(SVG + "path")).get("d")
            edges.setdefault(title.text.replace("&#45;", "-"), []).append(
                [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)])
    return nodes, edges


def _outline(g: ET.Element) -> str:
    for tag in ("polygon", "ellipse", "path"):
        el = next(g.iter(SVG + tag), None)  # inside the <a> of a tooltip
        if el is not None:
            if tag == "ellipse":
                cx, cy, rx, ry = (float(el.get(a)) for a in ("cx", "cy", "rx", "ry"))
                return f"{cx - rx},{cy - ry} {cx + rx},{cy + ry}"
            return el.get("points") or el.get("d")
    return ""


def text_boxes(root: ET.Element) -> list[tuple[float, float, float, float, str]]:
    """(x0, y0, x1, y1, text) of every label line, its width estimated from Helvetica's digits (0.556 em).
    Graphviz writes a line of two fonts ("<b>h₀</b> (1, 256)") as two texts, the second where the first ends:
    the first one's box ends there too."""
    out = []
    texts = list(root.iter(SVG + "text"))
    for t, after in zip(texts, texts[1:] + [None]):
        s = (t.text or "").strip()
        if not s:
            continue
        fs = float(t.get("font-size"))
        x, y, w = float(t.get("x")), float(t.get("y")), len(s) * 0.5 * fs
        if after is not None and after.get("y") == t.get("y") and t.get("text-anchor") == after.get("text-anchor") == "start":
            w = min(w, max(float(after.get("x")) - x, 0.0))
        x0 = {"middle": x - w / 2, "end": x - w}.get(t.get("text-anchor"), x)
        out.append((x0, y - 0.8 * fs, x0 + w, y + 0.15 * fs, s))
    return out


def overlaps(boxes: list[tuple]) -> list[tuple[str, str]]:
    boxes = sorted(boxes)
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b[0] >= a[2] - 0.5:
                break
            if b[1] < a[3] - 0.5 and a[1] < b[3] - 0.5:
                found.append((a[4], b[4]))
    return found


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def rnnlm_loss(T: int = 5, num_layers: int = 2, cell: str = "lstm"):
    with tg.default_dtype(np.float64):
        model = Rnnlm(12, 4, 3, cell=cell, num_layers=num_layers, generator=np.random.default_rng(0))
    ids = np.arange(T + 1)[None, :] % 12
    loss = F.cross_entropy(model(ids[:, :-1]), ids[:, 1:])
    loss.backward(retain_graph=True)
    return model, loss


def cells(nodes: dict) -> dict[str, list[tuple[int, float, float]]]:
    """{layer label: [(t, x, y)]} of the drawn cells "LSTM t=3"."""
    out: dict[str, list] = {}
    for x, y, text in nodes.values():
        m = re.match(r"(LSTM|RNN|GRU) t=(\d+)", text)
        if m:
            out.setdefault(round(y), []).append((int(m.group(2)), x, y))
    return {f"row@{k}": sorted(v) for k, v in out.items()}


@needs_dot
def test_columns_align_across_the_rows_of_a_two_layer_lstm_lm():
    model, loss = rnnlm_loss(T=5)
    dg = viz.draw(loss, show="both", names=model)
    nodes, edges = shapes(svg_of(dg))
    rows = cells(nodes)
    assert len(rows) == 2 and all(len(r) == 5 for r in rows.values())  # one row per layer, five steps each
    lower, upper = sorted(rows.values(), key=lambda r: -r[0][2])  # SVG y grows downwards
    for (t0, x0, _), (t1, x1, _) in zip(lower, upper):
        assert t0 == t1 and abs(x0 - x1) <= 5
    columns = [x for _, x, _ in lower]
    assert columns == sorted(columns)  # time runs left to right
    # the Embedding below and the Affine above reach every column straight up: their edges end at its x
    vertical = [pts for name, paths in edges.items() for pts in paths if pts[0][1] != pts[-1][1]]
    for x in columns:
        into_column = [pts for pts in vertical if abs(pts[-1][0] - x) <= 5 or abs(pts[0][0] - x) <= 5]
        assert len(into_column) >= 3  # Embedding → cell, cell → cell (layer 0 to 1), cell → Affine
        assert all(abs(px - x) <= 5 for pts in into_column for px, _ in pts)  # straight up
    labels = {text.split(" ")[0] for _, _, text in nodes.values()}
    assert {"Embedding", "Affine", "Softmax"} <= labels


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
def test_no_plumbing_in_the_default_view_of_recurrent_layers(layer):
    with tg.default_dtype(np.float64):
        rnn = layer(2, 3, num_layers=2, generator=np.random.default_rng(0))
    out, _ = rnn(tg.tensor(np.ones((1, 4, 2)), dtype=np.float64, requires_grad=True))
    loss = out.sum()
    graph = trace(loss, name_map(rnn))
    d = drawing(graph)
    assert d.grid is not None
    assert not [n for n in d.nodes.values() if n.kind == "branch" or (n.kind == "op" and n.tooltip in PLUMBING)]


def test_no_plumbing_in_the_textbooks_rnnlm():
    model, loss = rnnlm_loss(T=4, num_layers=1)
    dg = viz.draw(loss, names=model)
    assert not re.search(r'label="?(reshape|concat|\[\]|T)\b', dg.source)


@pytest.mark.parametrize("cell", ["lstm", "rnn", "gru"])
def test_each_shared_weight_has_one_edge_per_layer(cell):
    model, loss = rnnlm_loss(T=5, cell=cell)
    dg = viz.draw(loss, names=model)
    for name, p in model.named_parameters():
        if ".cell_l" in name:
            (key,) = re.findall(rf'^\s*(\w+) \[label="{re.escape(name)}\n', dg.source, re.M)
            assert len(re.findall(rf"^\s*{key} -> ", dg.source, re.M)) == 1, name
    assert dg.source.count("shared by t = 0…4") == 2  # once per layer


def test_per_step_weights_are_an_option():
    model, loss = rnnlm_loss(T=3, num_layers=1)
    dg = viz.draw(loss, names=model, weights="per_step")
    (key,) = re.findall(r'^\s*(\w+) \[label="rnn.cell_l0.Wx\n', dg.source, re.M)
    assert len(re.findall(rf"^\s*{key} -> ", dg.source, re.M)) == 3
    with pytest.raises(ValueError, match="weights"):
        viz.draw(loss, weights="every")


@needs_dot
@pytest.mark.parametrize("cell, loops", [("rnn", ["h"]), ("lstm", ["c", "h"])])
def test_rolled_view_one_box_and_its_loop_per_layer(cell, loops):
    model, loss = rnnlm_loss(T=6, cell=cell)
    dg = viz.draw(loss, show="both", names=model, roll=True)
    nodes, edges = shapes(svg_of(dg))
    boxes = {k: v for k, v in nodes.items() if " × 6" in v[2]}
    assert len(boxes) == 2  # one box per layer, "× T" in it
    (lower, upper) = sorted(boxes, key=lambda k: -boxes[k][1])
    assert boxes[upper][1] < boxes[lower][1]  # stacked, layer 0 below
    for k in boxes:
        assert sum(len(v) for name, v in edges.items() if name == f"{k}->{k}") == len(loops)
        loop_labels = " ".join(re.findall(rf"^\s*{k} -> {k} \[(.*)$", dg.source, re.M))
        assert sorted(re.findall(r"([hc])ₜ₋₁", loop_labels)) == loops  # h_{t−1} with a real subscript, no braces


@pytest.mark.parametrize("cell, states", [("lstm", ["c", "h"]), ("gru", ["h"])])
def test_the_arrows_between_steps_are_named_by_their_state_and_step(cell, states):
    model, loss = rnnlm_loss(T=3, num_layers=1, cell=cell)
    graph = trace(loss, name_map(model))
    d = drawing(graph)
    row = d.time_rows[0]
    named = sorted(e.name for e in d.edges if e.src in row and e.dst in row)
    assert named == sorted(f"{s}_{{{t}}}" for s in states for t in (0, 1))
    if cell == "lstm":  # c is the memory cell (the Add of f·c_prev + g·i), h = o·tanh(c) is what goes up
        (h1,) = [e for e in d.edges if e.name == "h_{1}" and e.dst in row]
        (up,) = [e for e in d.edges if e.src == h1.src and e.dst not in row]
        assert up.name == "h_{1}" and np.shape(up.value) == np.shape(h1.value)  # the same h, the same shape, up and sideways
        np.testing.assert_array_equal(np.reshape(h1.value, -1), np.reshape(up.value, -1))
    source = viz.draw(loss, names=model).source
    assert all(f"{s}{low}" in source for s in states for low in "₀₁") and "_{" not in source


@needs_dot
def test_a_language_models_words_under_its_columns_and_targets_over_the_loss():
    model, loss = rnnlm_loss(T=3, num_layers=1)
    words = ["you", "say", "goodbye", "and"]
    root = svg_of(viz.draw(loss, names=model, tokens=words[:3], targets=words[1:]))
    nodes, _ = shapes(root)
    texts = [((x0 + x1) / 2, y1, text) for x0, _, x1, y1, text in text_boxes(root)]  # plain text: no outline
    columns = sorted(x for x, _, text in nodes.values() if re.match(r"LSTM t=\d", text))
    embedding = next(y for _, y, text in nodes.values() if text.startswith("Embedding"))
    loss_box = next(y for _, y, text in nodes.values() if text.startswith("Softmax with Loss"))
    for x, word in zip(columns, words):
        (at,) = [(wx, wy) for wx, wy, text in texts if text == word]  # SVG y grows downwards
        assert abs(at[0] - x) <= 5 and at[1] > embedding
    for t, word in enumerate(words[1:]):
        (at,) = [(wx, wy) for wx, wy, text in texts if text == f"t{'₀₁₂'[t]}: {word}"]
        assert at[0] < columns[t] and at[1] < loss_box
    with pytest.raises(ValueError, match="tokens has 4 words"):
        viz.draw(loss, names=model, tokens=words)
    rolled = viz.draw(loss, names=model, roll=True, tokens=words[:3], targets=words[1:]).source
    assert "input: you say goodbye" in rolled and "predicts: say goodbye and" in rolled


@needs_dot
def test_rolled_self_loop_carries_the_last_value_and_the_summed_gradient():
    with tg.default_dtype(np.float64):
        rnn = nn.RNN(2, 2, generator=np.random.default_rng(1))
    out, _ = rnn(tg.tensor(np.ones((1, 3, 2)), dtype=np.float64))
    hs = rnn.hidden_states
    loss = out.sum()
    loss.backward(retain_graph=True)
    graph = trace(loss)
    d = drawing(graph, roll=True)
    (loop,) = [e for e in d.edges if e.src == e.dst]
    np.testing.assert_allclose(loop.value, hs[1].data)  # h_1, the last state handed to a next step
    dh = tg.grad(loss, hs[:2], retain_graph=True)
    np.testing.assert_allclose(loop.grad, sum(g.data for g in dh) - 2 * np.ones((1, 2)), atol=1e-12)


def test_rolled_output_edge_carries_every_step_and_its_own_gradient():
    with tg.default_dtype(np.float64):
        rnn = nn.RNN(2, 2, generator=np.random.default_rng(1))
    out, _ = rnn(tg.tensor(np.ones((1, 3, 2)), dtype=np.float64))
    w = np.random.default_rng(2).normal(size=(1, 3, 2))
    loss = (out * tg.tensor(w)).sum()
    loss.backward(retain_graph=True)
    d = drawing(trace(loss), roll=True)
    (up,) = [e for e in d.edges if d.nodes[e.src].kind == "rolled" and e.dst != e.src]
    assert up.name == "h_{t}, t = 0…2"  # hs, not one step's h beside the gradient summed over the steps
    np.testing.assert_allclose(up.value, out.data)
    np.testing.assert_allclose(up.grad, w)
    model, loss = rnnlm_loss(T=4, num_layers=2)
    d = drawing(trace(loss, name_map(model)), roll=True)
    (between,) = [e for e in d.edges if d.nodes[e.src].kind == d.nodes[e.dst].kind == "rolled" and e.src != e.dst]
    assert between.name == "h_{t}, t = 0…3" and np.shape(between.value) == np.shape(between.grad) == (1, 4, 3)


@needs_dot
def test_a_35_step_two_layer_lstm_reads_unrolled_and_rolled():
    lstm = nn.LSTM(100, 100, num_layers=2, generator=np.random.default_rng(0))
    loss = lstm(tg.randn(20, 35, 100, generator=1))[0].sum()
    loss.backward(retain_graph=True)
    dg = viz.draw(loss, names=lstm, show="both")
    width, _ = png_size(viz.render_bytes(dg, "png"))
    assert width <= 6000  # with every value and gradient written (8802 px before the labels were stacked)
    root = svg_of(dg)
    assert overlaps(text_boxes(root)) == []
    state = next(line for line in dg.body if "->" in line and "h₁₀⁽¹⁾" in line)
    assert state.count("(20, 100)") == 1 and state.count("mean") == 2  # the shape once; [min, max] over the mean
    rolled = viz.draw(loss, names=lstm, values=False, show="both", roll=True)
    w, h = png_size(viz.render_bytes(rolled, "png"))
    assert w <= 1400 and h <= 900


@needs_dot
def test_opened_cells_stay_on_the_grid():
    model, loss = rnnlm_loss(T=3, num_layers=2)
    graph = trace(loss, name_map(model))
    d = drawing(graph, expand={"LSTM"})
    assert d.grid is not None and len(d.grid.blocks) == 6  # 3 steps × 2 layers, each cell opened
    assert not [n for n in d.nodes.values() if n.kind == "branch" or (n.kind == "op" and n.tooltip in PLUMBING)]
    dg = viz.draw(loss, show="both", names=model, expand={"LSTM"})
    nodes, _ = shapes(svg_of(dg))
    affines = [(x, y) for k, (x, y, text) in nodes.items() if text == "Affine" and any(k in keys for keys in d.grid.blocks.values())]
    rows: dict[int, list[float]] = {}
    for x, y in affines:  # the Affine at the bottom of each opened cell
        rows.setdefault(round(y), []).append(x)
    assert len(rows) == 2 and all(len(xs) == 3 for xs in rows.values())  # the cells of a layer in one row
    lower, upper = (sorted(xs) for _, xs in sorted(rows.items()))
    assert all(abs(a - b) <= 5 for a, b in zip(lower, upper))  # and its columns aligned across the layers
    names = {e.name for e in d.edges if e.name}
    assert {"c_{0}⁽⁰⁾", "h_{0}⁽⁰⁾", "c_{0}⁽¹⁾", "h_{0}⁽¹⁾"} <= names  # the layer's states, named apart
    for keys in d.grid.blocks.values():  # each cell as the book's: the memory line on top, h_next out of its right end
        at = {nodes[k][2]: [nodes[j][:2] for j in keys if nodes[j][2] == nodes[k][2]] for k in keys}
        (plus,), (top_x, top_y) = at["+"], min(at["×"], key=lambda p: p[1])  # (SVG: y grows downwards)
        (mul_o, h_y), gate_y, (affine,) = max(at["×"]), {round(y) for x, y in at["σ"]}, at["Affine"]
        assert abs(plus[1] - top_y) < 1 and plus[0] > top_x  # the memory line: f·c_prev → +
        assert len(gate_y) == 1 and plus[1] < h_y < min(gate_y) < affine[1]  # the gates in one rank over the Affine
        assert mul_o > plus[0] and mul_o >= max(x for x, y in at["σ"]) - 10  # o·tanh(c): h_next leaves on the right
    assert "c_next" in names and "dc_next" in dg.source and not re.search(r"\bd?[ch]_\d", dg.source)  # not c_0, dh_0


def test_stacked_layers_name_their_states_and_initial_states_apart():
    model, loss = rnnlm_loss(T=2, num_layers=2)
    d = drawing(trace(loss, name_map(model)))
    states = sorted(e.name for e in d.edges if e.name)
    assert states.count("h_{0}⁽⁰⁾") == 2 and states.count("h_{0}⁽¹⁾") == 2  # sideways and up, per layer
    initial = [n.label for n in d.nodes.values() if n.kind == "input"]
    assert sorted(initial) == sorted(["c₋₁⁽⁰⁾", "c₋₁⁽¹⁾", "h₋₁⁽⁰⁾", "h₋₁⁽¹⁾"])  # not h0[1], c0[0]
    one, loss1 = rnnlm_loss(T=2, num_layers=1)
    d1 = drawing(trace(loss1, name_map(one)))
    assert sorted(n.label for n in d1.nodes.values() if n.kind == "input") == ["c₋₁", "h₋₁"]
    with tg.default_dtype(np.float64):
        rnn = nn.RNN(2, 3, generator=np.random.default_rng(0))
    out, _ = rnn(tg.tensor(np.ones((1, 3, 2)), dtype=np.float64, name="xs"))
    labels = {n.label for n in drawing(trace(out.sum(), name_map(rnn))).nodes.values() if n.kind == "input"}
    assert {"x₀", "x₁", "x₂"} <= labels  # the step inputs, as the book writes them


def test_an_opened_softmax_with_loss_picks_each_rows_target_as_the_book_writes_it():
    logits = tg.tensor(np.array([[0.5, -1.0, 0.2], [2.0, 0.1, -0.3]]), requires_grad=True)
    d = drawing(trace(F.cross_entropy(logits, np.array([1, 0]))), expand=True)
    ops = [n.label for n in d.nodes.values() if n.kind == "op"]
    assert "[n, t]" in ops and "[]" not in ops  # z[np.arange(N), t], not a bare "[]"


@needs_dot
def test_a_box_spanning_the_columns_names_itself_at_every_column():
    """Time Affine and Embedding, one box each over the five columns, write their name at each column (the book draws
    one box per column): zoomed in on any column, the box still says what it is."""
    model, loss = rnnlm_loss(T=5)
    root = svg_of(viz.draw(loss, show="both", names=model))
    nodes, _ = shapes(root)
    columns = [x for _, x, _ in next(iter(cells(nodes).values()))]
    for name in ("Affine", "Embedding"):
        (box,) = [g for g in root.iter(SVG + "g") if g.get("class") == "node" and (g.find(SVG + "title").text or "").startswith("box_")
                  and {t.text for t in g.iter(SVG + "text")} == {name}]
        half = line_width(name, 10) / 2  # Graphviz writes a table cell's text from its start
        xs = sorted(float(t.get("x")) + (half if t.get("text-anchor") == "start" else 0) for t in box.iter(SVG + "text"))
        assert len(xs) == len(columns) and all(abs(x - c) <= 3 for x, c in zip(xs[1:-1], columns[1:-1])), (name, xs, columns)
        assert abs(xs[0] - columns[0]) < 20 and abs(xs[-1] - columns[-1]) < 20  # at the box's ends: moved inside it
