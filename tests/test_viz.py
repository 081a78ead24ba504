"""viz: DOT structure of known graphs, labels and gradients, clusters and collapse, real rendering
with `dot`, backprop frames and the HTML page (in a real headless browser), missing-dot errors."""
import os
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nlp as tg
import viz
from viz.trace import trace
from tinygrad_nlp import nn
from tinygrad_nlp.nn import functional as F

needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz dot not installed")


def op_counts(dg) -> dict:
    """Drawn primitive op nodes per type, read from the DOT source (their ids are '<Op>_op<k>')."""
    counts: dict = {}
    for m in re.finditer(r'^\s*(\w+)_(?:op\d+|leaf\d+|op\d+) \[', dg.source, re.M):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def boxes(dg) -> list[str]:
    """Labels of the folded textbook nodes (box_... ids)."""
    return [a or b for a, b in re.findall(r'^\s*box_\w+ \[label=(?:"([^"]*)"|([^ \]]+))', dg.source, re.M)]


def lstm_cell_loss():
    cell = nn.LSTMCell(3, 2, generator=0)
    x = tg.tensor(np.random.default_rng(1).standard_normal((1, 3)), name="x_t")
    h, c = cell(x, cell.init_state(1))
    return cell, (h * h).sum() + c.sum()


def test_composites_are_one_textbook_node_unless_expanded():
    x = tg.tensor([[1.0, -2.0]], requires_grad=True, name="x")
    loss = x.sigmoid().sum()
    folded, opened = viz.draw(loss), viz.draw(loss, expand=True)
    assert boxes(folded) == ["σ"] and op_counts(folded) == {"Sum": 1}
    assert boxes(opened) == [] and op_counts(opened)["Exp"] == 1 and op_counts(opened)["Pow"] == 1
    assert op_counts(viz.draw(loss, expand={"sigmoid"})) == op_counts(opened)
    assert sum(trace(loss).count().values()) == sum(op_counts(opened).values())  # trace stays primitive


def test_lstm_cell_is_one_node_and_opens_into_its_gates():
    cell, loss = lstm_cell_loss()
    assert boxes(viz.draw(loss, names=cell)) == ["LSTM"]
    counts = op_counts(viz.draw(loss, names=cell, expand=True))
    assert counts["MatMul"] == 2
    assert counts["Repeat"] == 1  # the bias broadcast over the batch
    assert counts["Tanh"] == 2  # g and tanh(c)
    assert counts["Exp"] == 3 and counts["Pow"] == 3  # one sigmoid each for f, i, o: 1 / (1 + exp(-x))
    assert counts["GetItem"] == 4  # the gate slices f, g, i, o
    gates = viz.draw(loss, names=cell, expand={"LSTM"})
    assert sorted(boxes(gates)) == ["Affine", "σ", "σ", "σ"]  # one Affine whose slices feed the gates
    for gate in "fgio":
        assert f"<b>{gate}</b>" in gates.source, gate  # the gate's output edge is named


def test_two_layer_net_draws_affine_sigmoid_and_softmax_with_loss():
    net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 2, generator=1))
    x = tg.tensor([[1.0, -1.0]], name="x")
    loss = F.cross_entropy(net[1](net[0](x).sigmoid()), np.array([1]))
    dg = viz.draw(loss, names=net)
    assert sorted(boxes(dg)) == ["Affine", "Affine", "Softmax with Loss", "σ"]
    assert "doubleoctagon" in dg.source  # the output of a loss function is the loss
    assert "doubleoctagon" not in viz.draw(net[0](x).sum()).source  # a plain sum is not a loss


def test_labels_carry_names_shapes_and_values_and_never_an_object_repr():
    cell, loss = lstm_cell_loss()
    loss.backward(retain_graph=True)
    src = viz.draw(loss, names=cell, show="both", expand=True).source
    for name, shape in [("Wx", "(3, 8)"), ("Wh", "(2, 8)"), ("b", "(8,)")]:
        assert re.search(rf'label="{name}\n{re.escape(shape)}"', src), name
    assert 'label="x_t\n' in src
    emb = nn.Embedding(50, 4, sparse=True, generator=0)
    out = F.cross_entropy(F.log_softmax(emb(np.array([[3, 7]])).sum(axis=1), axis=-1) * 1.0, np.array([2]))
    out.backward(retain_graph=True)
    for dg in (viz.draw(loss, show="both", names=cell), viz.draw(out, show="both", names=emb), viz.draw(out, show="both", expand=True)):
        assert " object at 0x" not in dg.source and "Scatter" not in dg.source and "RowSparse(" not in dg.source
    assert "rows {3, 7}" in viz.draw(out, show="both", names=emb).source  # a big sparse gradient names its rows
    big = tg.randn(10, 10, generator=0, requires_grad=True)
    summarised = viz.draw((big * 2).sum()).source
    assert re.search(r"\(10, 10\) \[-?[\d.]+, [\d.]+\] mean -?[\d.]+", summarised) and "[min, max] and its mean" in summarised  # with its legend


def test_unnamed_leaves_get_distinct_names():
    a, b = tg.tensor([1.0], requires_grad=True), tg.tensor([2.0], requires_grad=True)
    c, d = tg.tensor([3.0]), tg.tensor([4.0])
    src = viz.draw((a * c + b * d).sum()).source
    for name in ("w1", "w2", "x1", "x2"):
        assert f'label="{name}\n' in src, name


def test_gradients_ride_on_their_forward_edge_and_equal_dot_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.tensor([3.0, -4.0], requires_grad=True, name="w")
    loss = (x * w).sum()
    loss.backward(retain_graph=True)
    src = viz.draw(loss, show="both").source
    edges = re.findall(r"-> \S+ \[(?:xlabel|label)=<(.*?)> color", src)
    assert len(edges) == 4 and "dir=back" not in src and "constraint=false" not in src  # one edge each, no second arc
    for t in (x, w):
        assert viz.edge_label(viz.format_array(t.data), viz.format_array(t.grad), grad_name=f"d{t.name}")[1:-1] in edges


def test_drawing_never_runs_backward_or_changes_grad_or_the_graph():
    W = tg.tensor([[0.5, -1.0]], requires_grad=True, name="W")
    loss = F.cross_entropy(tg.tensor([[1.0]]) @ W, np.array([0]))
    scopes = [t._ctx.scope for t in tg.toposort([loss])[0]]
    dg = viz.draw(loss, show="both")
    assert viz.draw.__doc__ and "gradients not computed yet" in dg.source  # said in the figure, not silently omitted
    viz.backprop_digraphs(loss)
    assert W.grad is None and [t._ctx.scope for t in tg.toposort([loss])[0]] == scopes
    assert loss._ctx.parents is not None  # the graph is still there


def boundary_edges(loss, names=None, **kw):

    graph = trace(loss, viz.draw.__globals__["name_map"](names))
    return graph, viz.draw.__globals__["drawing"](graph, **kw)


def test_boundary_edges_of_folded_boxes_carry_the_true_gradients():
    net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 2, generator=1))
    x = tg.tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True, name="x")
    h = net[0](x)
    loss = F.cross_entropy(net[1](h.sigmoid()), np.array([0, 1]))
    grads = dict(zip(["x", "W0", "b0", "h"], tg.grad(loss, [x, net[0].W, net[0].b, h], retain_graph=True)))
    loss.backward(retain_graph=True)
    graph, d = boundary_edges(loss, net)
    into_affine = {graph.nodes[e.src].label if e.src in graph.nodes else e.src: e for e in d.edges
                   if d.nodes[e.dst].label == "Affine" and d.nodes[e.src].kind in ("param", "input")}
    np.testing.assert_allclose(into_affine["x"].grad, grads["x"].data)
    np.testing.assert_allclose(into_affine["0.W"].grad, grads["W0"].data)
    np.testing.assert_allclose(into_affine["0.b"].grad, grads["b0"].data)
    out_of_affine = [e for e in d.edges if d.nodes[e.src].label == "Affine" and d.nodes[e.dst].label == "σ"]
    np.testing.assert_allclose(out_of_affine[0].grad, grads["h"].data)
    folded = viz.draw(loss, names=net, collapse=0, show="both").source  # a collapsed module keeps its numbers too
    assert all(line in folded for line in viz.format_array(grads["x"].data).split("\n"))  # a matrix: one row per line


def time_rnn(T=3):
    rnn = nn.RNN(2, 2, generator=0)
    out, _ = rnn(tg.tensor(np.arange(2.0 * T).reshape(1, T, 2), name="xs"))
    return rnn, out.sum()


def node_boxes(svg_path: Path) -> dict[str, tuple[float, float]]:
    """title -> centre (x, y) of every drawn node in an SVG written by dot."""
    ns = "{http://www.w3.org/2000/svg}"
    centres = {}
    for g in ET.parse(svg_path).getroot().iter(ns + "g"):
        if g.get("class") != "node":
            continue
        shape = next((e for e in g.iter() if e.tag in (ns + "polygon", ns + "path", ns + "ellipse")), None)
        if shape is None:
            continue
        if shape.tag == ns + "ellipse":
            centre = (float(shape.get("cx")), float(shape.get("cy")))
        else:
            nums = [float(v) for v in re.findall(r"-?[\d.]+", shape.get("points") or shape.get("d"))]
            centre = (sum(nums[0::2]) / len(nums[0::2]), sum(nums[1::2]) / len(nums[1::2]))
        centres[g.find(ns + "title").text] = centre
    return centres


@needs_dot
def test_time_steps_sit_in_one_row_left_to_right(tmp_path):
    rnn, loss = time_rnn(T=3)
    dg = viz.draw(loss, names=rnn)
    cells = sorted(re.findall(r'^\s*(box_\w+) \[label="RNN\nt=(\d)"', dg.source, re.M), key=lambda c: c[1])
    assert [t for _, t in cells] == ["0", "1", "2"]
    centres = node_boxes(viz.save(dg, tmp_path / "rnn.svg"))
    xy = [centres[key] for key, _ in cells]
    assert len({round(y) for _, y in xy}) == 1  # one row
    assert xy[0][0] < xy[1][0] < xy[2][0]  # t = 0, 1, 2 from left to right
    inputs = [centres[k] for k in re.findall(r'^\s*(leaf\d+) \[label="?x[₀-₉]', dg.source, re.M)]
    output = centres["output"]
    assert len(inputs) == 3 and all(y > xy[0][1] for _, y in inputs) and output[1] < xy[0][1]  # x_t below, the output above
    weights = [centres[k] for k in re.findall(r'^\s*(leaf\d+) \[label="?cell_l0', dg.source, re.M)]
    assert len(weights) == 3 and all(x < xy[0][0] for x, _ in weights)  # the shared weights left of the row


def test_rolled_rnn_is_one_cell_whose_weights_get_the_summed_gradient():
    rnn, loss = time_rnn(T=3)
    loss.backward(retain_graph=True)
    graph, d = boundary_edges(loss, rnn, roll=True)
    (cell,) = [n for n in d.nodes.values() if n.kind == "rolled"]
    assert cell.label == "RNN × 3"
    wx = [e for e in d.edges if e.dst == cell.key and d.nodes[e.src].label == "cell_l0.Wx"]
    assert len(wx) == 1
    np.testing.assert_allclose(wx[0].grad, rnn.cell_l0.Wx.grad.data)


def test_rolled_cell_input_edge_carries_the_one_tensor_every_step_reads():
    """The layer input (N, T, D) is read by every step: the rolled edge shows it and its whole gradient."""
    rnn = nn.RNN(2, 2, generator=0)
    xs = tg.tensor(np.arange(6.0).reshape(1, 3, 2), requires_grad=True, name="xs")
    emb = xs * 1.0  # an op's output, as an Embedding's would be
    emb.retain_grad()
    loss = rnn(emb)[0].sum()
    loss.backward(retain_graph=True)
    graph, d = boundary_edges(loss, rnn, roll=True)
    (cell,) = [n for n in d.nodes.values() if n.kind == "rolled"]
    (edge,) = [e for e in d.edges if e.dst == cell.key and d.nodes[e.src].kind == "op"]
    np.testing.assert_array_equal(edge.value, emb.data)
    np.testing.assert_allclose(edge.grad, emb.grad.data)


def test_clusters_nest_and_collapse_folds_them():
    model = nn.LSTM(4, 5, num_layers=2, generator=0)
    _, loss = None, model(tg.randn(2, 3, 4, generator=1))[0].sum()
    assert len(boxes(viz.draw(loss, names=model))) == 6  # 2 layers x 3 steps, one LSTM node each
    folded = viz.draw(loss, names=model, collapse=1)
    assert [re.sub(r"\(\d+ ops\)", "(n ops)", b) for b in sorted(boxes(folded))] == ["t=0\n(n ops)", "t=1\n(n ops)", "t=2\n(n ops)"]
    assert op_counts(folded).get("MatMul", 0) == 0
    by_name = viz.draw(loss, names=model, collapse=["t=1"])
    assert any(b.startswith("t=1\n(") for b in boxes(by_name)) and boxes(by_name).count("LSTM\nt=0") == 2


def test_max_nodes_refuses_with_a_hint():
    model = nn.LSTM(4, 5, num_layers=2, generator=0)
    loss = model(tg.randn(2, 35, 4, generator=1))[0].sum()
    with pytest.raises(ValueError, match="collapse"):
        viz.draw(loss, max_nodes=50)
    assert viz.draw(loss, roll=True, max_nodes=50)


def test_bad_options():
    loss = (tg.ones(2, requires_grad=True) * 2).sum()
    with pytest.raises(ValueError, match="show must be"):
        viz.draw(loss, show="all")
    with pytest.raises(ValueError, match="unsupported extension"):
        viz.save(loss, "graph.jpg")


@needs_dot
def test_svg_parses_and_has_one_group_per_node(tmp_path):
    a = tg.tensor([[1.0, 2.0]], requires_grad=True, name="a")
    W = tg.tensor([[1.0], [2.0]], requires_grad=True, name="W")
    loss = (a @ W).tanh().sum()
    dg = viz.draw(loss)
    path = viz.save(dg, tmp_path / "g.svg")
    root = ET.parse(path).getroot()
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    titles = sorted(g.find("{http://www.w3.org/2000/svg}title").text for g in groups)
    assert len(groups) == 2 + 3 + 1  # leaves a, W; MatMul, Tanh, Sum; output
    assert sum(t.startswith("MatMul_") for t in titles) == 1 and "output" in titles


@needs_dot
def test_png_and_pdf_are_valid(tmp_path):
    cell, loss = lstm_cell_loss()
    loss.backward(retain_graph=True)
    png = viz.save(loss, tmp_path / "lstm.png", show="both", names=cell)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = struct.unpack(">II", data[16:24])
    assert width > 500 and height > 100
    assert viz.save(loss, tmp_path / "lstm.pdf").read_bytes()[:5] == b"%PDF-"
    assert "digraph" in viz.save(loss, tmp_path / "lstm.dot").read_text()


@needs_dot
def test_backprop_frames_one_per_backward_step_same_layout(tmp_path):
    x = tg.tensor([[1.0, -2.0]], name="x")
    W = tg.tensor([[0.5, 0.1], [0.2, -0.3]], requires_grad=True, name="W")
    loss = F.cross_entropy((x @ W).tanh(), np.array([0]))
    steps = len(tg.toposort([loss])[0])
    frames = viz.backprop_frames(loss, tmp_path / "frames", expand=True)
    assert len(frames) == steps == len(viz.backprop_steps(loss))
    assert [p.name for p in frames][:2] == ["frame_001.svg", "frame_002.svg"]
    first, last = frames[0].read_text(), frames[-1].read_text()
    assert "#f5b041" in first and "#abebc6" in last  # running, then done
    assert last.count('fill="#c0392b"') > first.count('fill="#c0392b"')  # more gradients known at the end
    assert node_boxes(frames[0]) == node_boxes(frames[-1])  # nodes never move
    assert W.grad is None


@needs_dot
def test_backprop_html_is_one_self_contained_layout(tmp_path):
    a = tg.tensor([2.0], requires_grad=True, name="a")
    loss = (a * a + a).sum()
    page = viz.backprop_html(loss, tmp_path / "bp.html", title="<b>x</b>").read_text()
    assert page.count("<svg") == 1 and 'type="range"' in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "× (Mul): dx = g * y, dy = g * x" in page  # captions: symbol, op and its backward rule


@needs_dot
def test_backprop_page_for_240_ops_builds_fast_and_small(tmp_path):
    import os

    cpu = lambda: sum(os.times()[:4])  # noqa: E731 (this process and its dot, not the wall clock of a shared machine)
    x = tg.tensor(np.ones((2, 3)), requires_grad=True, name="x")
    y = x
    for i in range(80):
        y = (y * 0.9 + 0.1).tanh()
    loss = y.sum()
    assert len(tg.toposort([loss])[0]) >= 240
    t0 = cpu()
    path = viz.backprop_html(loss, tmp_path / "big.html")
    assert cpu() - t0 < 2.0
    assert path.stat().st_size < 3_000_000


def test_missing_dot_writes_source_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(viz.render, "pure_renderer", lambda: None)  # nor graphviz-pure
    loss = (tg.ones(2, requires_grad=True) * 2).sum()
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):
        viz.save(loss, tmp_path / "g.png")
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@needs_dot
def test_backprop_page_slider_in_a_real_browser(tmp_path):
    """Headless Chromium opens the page, moves the slider: the shown frame changes, with no console
    errors and no network requests."""
    if _chromium() is None or not _has_playwright():
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium and Playwright (see .ci/run)")
        pytest.skip("Chromium or Playwright not installed")
    from playwright.sync_api import sync_playwright

    x = tg.tensor([[1.0, -2.0]], name="x")
    W = tg.tensor([[0.5, 0.1], [0.2, -0.3]], requires_grad=True, name="W")
    loss = F.cross_entropy(x @ W, np.array([0]))
    page_path = viz.backprop_html(loss, tmp_path / "bp.html", expand=True)
    n = len(viz.backprop_steps(loss))
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
        page.goto(page_path.as_uri())
        boxes_now = """() => Array.from(document.querySelectorAll("g.node")).map(g => {
            const r = g.getBBox(); return [g.id, Math.round(r.x), Math.round(r.y)]; })"""  # layout coordinates
        fills = """() => Array.from(document.querySelectorAll("g.node")).map(g => {
            const s = g.querySelector("ellipse, polygon"); return s ? s.getAttribute("fill") : null; })"""
        visible_grads = """() => Array.from(document.querySelectorAll("g.edge text[fill='#c0392b']"))
            .filter(t => t.style.visibility !== "hidden").length"""
        start, grads0 = page.evaluate(boxes_now), page.evaluate(visible_grads)
        assert "step 0" in page.inner_text("#caption") and grads0 <= 1  # only dL/dL = 1 is known before backward
        page.click("#next")
        assert page.evaluate(fills).count("#f5b041") == 1 and "step 1" in page.inner_text("#caption")
        page.keyboard.press("ArrowRight")
        assert "step 2" in page.inner_text("#caption")
        page.fill("#slider", str(n))  # sets the value and fires the input event
        assert page.evaluate(boxes_now) == start  # one layout: nothing moved
        assert page.evaluate(visible_grads) > 0 and "#abebc6" in page.evaluate(fills)
        assert "Gather" in page.inner_text("#caption") or str(n) in page.inner_text("#caption")
        text_px = page.evaluate("() => document.querySelector('g.node text').getBoundingClientRect().height")
        assert text_px >= 9  # readable at a 1400 px window
        browser.close()
    assert errors == [] and requests == []


def _has_playwright() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return True


def test_attention_is_drawn_as_attention_weight_and_weight_sum():
    from models import Attention

    hs = tg.tensor(np.random.default_rng(0).standard_normal((1, 3, 2)), requires_grad=True, name="hs")
    h = tg.tensor([[1.0, 0.5]], requires_grad=True, name="h")
    loss = Attention()(hs, h).sum()
    assert boxes(viz.draw(loss)) == ["Attention"]  # DLFS2's Attention layer, one box
    assert boxes(viz.draw(loss, expand={"Attention"})) == ["Attention Weight", "Weight Sum"]
    counts = op_counts(viz.draw(loss, expand=True))
    assert counts["Repeat"] == 3 and counts["Mul"] >= 2  # h over time, softmax's sum, a over the hidden axis
