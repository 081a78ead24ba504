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
from tinygrad_nlp import nn
from tinygrad_nlp.nn import functional as F

needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz dot not installed")


def op_counts(dg) -> dict:
    """Op nodes per type, read from the DOT source (op node ids are '<Op>_op<k>')."""
    counts: dict = {}
    for m in re.finditer(r'^\s*(\w+)_(?:op|branch)\d+ \[', dg.source, re.M):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def lstm_cell_loss():
    cell = nn.LSTMCell(3, 2, generator=0)
    x = tg.tensor(np.random.default_rng(1).standard_normal((1, 3)), name="x_t")
    h, c = cell(x, cell.init_state(1))
    return cell, (h * h).sum() + c.sum()


def test_lstm_cell_has_the_expected_nodes():
    cell, loss = lstm_cell_loss()
    counts = op_counts(viz.draw(loss, names=cell))
    assert counts["MatMul"] == 2
    assert counts["Repeat"] == 1  # the bias broadcast over the batch
    assert counts["Tanh"] == 2  # g and tanh(c)
    assert counts["Exp"] == 3 and counts["Pow"] == 3  # one stable sigmoid each for f, i, o: (m + (1-m)e) / (1 + e)
    assert counts["Branch"] >= 2  # A feeds four gate slices; h feeds h*h twice
    assert counts["GetItem"] == 4  # the gate slices f, g, i, o


def test_labels_carry_names_shapes_and_values():
    cell, loss = lstm_cell_loss()
    src = viz.draw(loss, names=cell).source
    for name, shape in [("Wx", "(3, 8)"), ("Wh", "(2, 8)"), ("b", "(8,)")]:
        assert re.search(rf'label="{name}\n{re.escape(shape)}"', src), name
    assert "label=\"x_t\n" in src and "cluster_LSTMCell_f" in src and "cluster_LSTMCell_o" in src
    big = tg.randn(10, 10, generator=0, requires_grad=True)
    src = viz.draw((big * 2).sum()).source
    assert re.search(r"\(10, 10\) \[-?[\d.]+, μ -?[\d.]+, [\d.]+\]", src)  # large: shape + min/mean/max


def test_gradients_on_edges_equal_dot_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.tensor([3.0, -4.0], requires_grad=True, name="w")
    loss = (x * w).sum()
    loss.backward(retain_graph=True)
    src = viz.draw(loss, show="backward").source
    for t in (x, w):
        label = viz.format_array(t.grad)
        assert re.search(rf'label="{re.escape(label)}"', src), label
    assert src.count("dir=back") == 4  # x -> ×, w -> ×, × -> Σ, Σ -> L
    both = viz.draw(loss, show="both").source
    assert "style=dashed" in both and viz.format_array(x.data) in both


def test_textbook_node_types_each_drawn():
    a = tg.tensor([[1.0, 2.0]], requires_grad=True, name="a")
    b = tg.tensor([0.5, 0.5], requires_grad=True, name="b")
    W = tg.tensor([[1.0], [2.0]], requires_grad=True, name="W")
    y = ((a + b) * a) @ W  # Repeat (b), Add, Branch (a used twice), Mul, MatMul
    loss = y.sum()
    counts = op_counts(viz.draw(loss))
    assert counts == {"Repeat": 1, "Add": 1, "Branch": 1, "Mul": 1, "MatMul": 1, "Sum": 1}


def unrolled_lm(T=35):
    model = nn.LSTM(4, 5, num_layers=2, generator=0)
    x = tg.randn(2, T, 4, generator=1)
    out, _ = model(x)
    return model, out.sum()


def test_clusters_nest_layer_and_time_step_and_collapse_folds_them():
    model, loss = unrolled_lm(T=3)
    src = viz.draw(loss, names=model).source
    assert "cluster_LSTM" in src and "cluster_LSTM_t_0" in src and "cluster_LSTM_t_2_cell_l1" in src
    folded = viz.draw(loss, names=model, collapse=1)
    assert "collapsed_LSTM_t_0" in folded.source and "cluster_LSTM_t_0" not in folded.source
    assert op_counts(folded).get("MatMul", 0) == 0
    by_name = viz.draw(loss, names=model, collapse=["t=1"])
    assert "collapsed_LSTM_t_1" in by_name.source and "cluster_LSTM_t_0" in by_name.source


def test_max_nodes_refuses_with_a_hint():
    model, loss = unrolled_lm(T=35)
    with pytest.raises(ValueError, match="collapse"):
        viz.draw(loss, max_nodes=500)
    assert viz.draw(loss, collapse=1, max_nodes=500)


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
    assert sum(t.startswith("MatMul_") for t in titles) == 1


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
def test_backprop_frames_one_per_backward_step(tmp_path):
    x = tg.tensor([[1.0, -2.0]], name="x")
    W = tg.tensor([[0.5, 0.1], [0.2, -0.3]], requires_grad=True, name="W")
    loss = F.cross_entropy((x @ W).tanh(), np.array([0]))
    steps = len(tg.toposort([loss])[0])
    frames = viz.backprop_frames(loss, tmp_path / "frames")
    assert len(frames) == steps == len(viz.backprop_steps(loss))
    assert [p.name for p in frames][:2] == ["frame_001.svg", "frame_002.svg"]
    first, last = frames[0].read_text(), frames[-1].read_text()
    assert viz.draw.__module__ and "#f5b041" in first  # the first step is highlighted
    assert last.count("#c0392b") > first.count("#c0392b")  # more gradients known at the end


@needs_dot
def test_backprop_html_is_self_contained(tmp_path):
    a = tg.tensor([2.0], requires_grad=True, name="a")
    loss = (a * a + a).sum()
    page = viz.backprop_html(loss, tmp_path / "bp.html").read_text()
    n = len(viz.backprop_steps(loss))
    assert page.count('class="frame"') == n and page.count("<svg") == n
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert 'type="range"' in page


def test_missing_dot_writes_source_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
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
    page_path = viz.backprop_html(loss, tmp_path / "bp.html")
    n = len(viz.backprop_steps(loss))
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
        page.goto(page_path.as_uri())
        shown = lambda: page.eval_on_selector(".frame.shown", "e => e.dataset.step")  # noqa: E731
        assert shown() == "1"
        page.fill("#slider", str(n))  # sets the value and fires the input event
        assert shown() == str(n)
        page.click("#prev")
        assert shown() == str(n - 1)
        assert page.locator(".frame.shown svg").count() == 1
        browser.close()
    assert errors == [] and requests == []


def _has_playwright() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return True


def test_attention_step_shows_attention_weight_and_weight_sum_clusters():
    from models import Attention

    hs = tg.tensor(np.random.default_rng(0).standard_normal((1, 3, 2)), requires_grad=True, name="hs")
    h = tg.tensor([[1.0, 0.5]], requires_grad=True, name="h")
    src = viz.draw(Attention()(hs, h).sum()).source
    assert "cluster_Attention_attention_weight" in src and "cluster_Attention_weight_sum" in src
    counts = op_counts(viz.draw(Attention()(hs, h).sum()))
    assert counts["Repeat"] == 3 and counts["Mul"] >= 2  # h over time, softmax's sum, a over the hidden axis
