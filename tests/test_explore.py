"""viz.explore: the page's data, the check that finds a wrong op, Jupyter display, and the page in a
real browser (inspect, step to the end, fold a box; no console errors, no network)."""
from __future__ import annotations

import json
import os
import re
import shutil
import time

import numpy as np
import pytest

import tinygrad_nlp as tg
import viz
from tinygrad_nlp import Function, nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz dot not installed")


def page_data(html: str) -> dict:
    return json.loads(re.search(r"const data = (\{.*?\});\nconst F =", html, re.S).group(1).replace("<\\/", "</"))


def browser_or_skip() -> str:
    """The Chromium to drive with Playwright; without one the test is skipped (and fails on CI)."""
    from test_viz import _chromium, _has_playwright

    if _chromium() is None or not _has_playwright():
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium and Playwright (see .ci/run)")
        pytest.skip("Chromium or Playwright not installed")
    return _chromium()


class WrongSquare(Function):
    """z = x²;  dx = g * x  (wrong on purpose: it should be 2 g x)"""

    symbol = "²"

    def forward(self, x):
        return x * x

    def backward(self, g, out, x):
        return (g * x,)


def small_net():
    x = tg.tensor([[1.0, -2.0]], name="x")
    W = tg.tensor([[0.5, 0.1], [0.2, -0.3]], requires_grad=True, name="W")
    return W, ((x @ W).tanh() * 2.0).sum()


@needs_dot
def test_the_page_has_forward_and_backward_steps_and_changes_nothing(tmp_path):
    W, loss = small_net()
    explorer = viz.explore(loss, tmp_path / "e.html")
    html = (tmp_path / "e.html").read_text(encoding="utf-8")
    assert html == explorer.html and html.count("<svg") == 1
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    data = page_data(html)
    assert data["forward"] == data["backward"] == len(tg.toposort([loss])[0])
    assert data["captions"][0] == "MatMul (MatMul): z = x @ y"
    assert data["captions"][data["forward"]].startswith("Σ (Sum)") and any("dx = g * (1 - z²)" in c for c in data["captions"])
    assert W.grad is None and loss._ctx.parents is not None
    assert explorer._repr_html_().startswith("<iframe srcdoc=") and "&lt;svg" in explorer._repr_html_()


@needs_dot
def test_check_paints_the_wrong_op_and_only_it():
    x = tg.tensor([1.5, -0.5], requires_grad=True, name="x")
    loss = (WrongSquare()(x.tanh()) * 3.0).sum()
    data = page_data(viz.explore(loss, check=True).html)
    wrong = [k for k, e in data["check"].items() if e > 1e-3]
    assert len(wrong) == 1 and wrong[0].startswith("n_WrongSquare_")
    assert all(e < 1e-6 for k, e in data["check"].items() if k not in wrong)
    assert "dx = g * x" in data["info"][wrong[0]]  # its inspector states the rule it claims


@needs_dot
def test_inspector_writes_the_chain_rule_with_numbers():
    a = tg.tensor([2.0], requires_grad=True, name="a")
    b = tg.tensor([-1.5], requires_grad=True, name="b")
    loss = (a * b).sum()
    data = page_data(viz.explore(loss).html)
    (mul,) = [v for k, v in data["info"].items() if k.startswith("n_Mul_")]
    assert "dx = g * y" in mul and "[-1.5]" in mul and "[2]" in mul  # dx = g·y = 1 × (-1.5), dy = g·x = 1 × 2


def svg_texts(svg: str) -> list[str]:
    return [t.replace("&#45;", "-") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@needs_dot
def test_an_opened_cell_is_the_books_cell_and_op_steps_name_their_box():
    """A time step's LSTM opens ONE level: one Affine -> f g i o (σ and tanh folded), from x_t, h_prev,
    c_prev to c_next, h_next; never the σ chain, the slices, the Affine's MatMul or "out" names."""
    lstm = nn.LSTM(3, 2, generator=0)
    out, _ = lstm(tg.randn(1, 2, 3, generator=1))
    data = page_data(viz.explore(out.sum(), names=lstm).html)
    assert len(data["inside"]) == 2  # t=0 reads the initial h0, c0; t=1 the states of t=0: both are h_prev, c_prev
    for box, svg in data["inside"].items():
        texts = svg_texts(svg)
        assert "LSTM" in data["info"][box] and texts.count("Affine") == 1 and texts.count("σ") == 3 and "tanh" in texts
        assert {"f", "g", "i", "o", "x_t", "h_prev", "c_prev", "h_next", "c_next", "Wx", "Wh", "b"} <= set(texts)
        assert not {"out", "exp", "MatMul", "[]", "× -1", "reshape", "h0", "c0"} & set(texts)
        assert not any(t.endswith(" out") for t in texts)
    inside = [c for c in data["captions"][: data["forward"]] if c.startswith("inside LSTM")]
    assert any("(GetItem)" in c for c in inside)  # a slice folded into the box: the caption says whose it is


@needs_dot
def test_explorer_in_a_real_browser(tmp_path):
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 2, generator=1))
    x = tg.tensor([[1.0, -1.0]], name="x")
    loss = tg.nn.functional.cross_entropy(model(x).tanh(), np.array([1]))
    path = viz.explore(loss, tmp_path / "e.html", names=model).save(tmp_path / "e.html")
    n = len(page_data(path.read_text(encoding="utf-8"))["captions"])
    loss.backward()
    W = model[0].W
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
        t0 = time.perf_counter()
        page.goto(path.as_uri())
        assert time.perf_counter() - t0 < 3
        assert min(page.evaluate(TEXT_PX)) >= 10 - 1e-6  # opens at a readable size
        page.fill("#slider", str(n))  # to the end of backward
        assert f"step {n} / {n} (backward)" in page.inner_text("#caption")
        leaf = page.locator("g.node", has_text="0.W").first
        leaf.click()
        shown = page.inner_text("#inspector")
        squash = lambda text: re.sub(r"\s+", " ", text)  # noqa: E731 (HTML folds white space)
        assert "0.W" in shown and squash(viz.explore.__globals__["_show"](W.grad)) in squash(shown)  # the displayed gradient is .grad
        page.locator("g.node", has_text="Affine").first.click()
        page.click("#open")
        assert page.locator("#inspector .inside svg").count() == 1
        cluster = page.locator("g.cluster text").first  # a box's label
        inside = page.evaluate("() => Array.from(document.querySelectorAll('g.node')).filter(g => g.style.display === 'none').length")
        cluster.click()
        hidden = page.evaluate("() => Array.from(document.querySelectorAll('g.node')).filter(g => g.style.display === 'none').length")
        assert inside == 0 and hidden > 0  # folded
        cluster.click()
        assert page.evaluate("() => Array.from(document.querySelectorAll('g.node')).filter(g => g.style.display === 'none').length") == 0
        browser.close()
    assert errors == [] and requests == []


def test_gradient_flow_norms_equal_tg_grad_and_show_vanishing_and_exploding(tmp_path):
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    slopes = {}
    for scale in (0.5, 1.5):
        with tg.default_dtype(np.float64):
            rnn = nn.RNN(2, 6, generator=0)
        rnn.cell_l0.Wh.data = q * scale
        out, _ = rnn(tg.zeros(1, 12, 2, dtype=np.float64), tg.tensor(rng.standard_normal((1, 1, 6)) * 1e-6, dtype=np.float64))
        loss = (out[:, -1] * tg.tensor(rng.standard_normal((1, 6)), dtype=np.float64)).sum()
        norms = viz.gradient_flow(loss, rnn.hidden_states, path=tmp_path / f"flow{scale}.png")
        expected = [np.linalg.norm(g.data) for g in tg.grad(loss, rnn.hidden_states, retain_graph=True)]
        np.testing.assert_allclose(norms, expected)
        slopes[scale] = norms[0] / norms[1]
        assert (tmp_path / f"flow{scale}.png").read_bytes()[:4] == b"\x89PNG"
        assert rnn.cell_l0.Wh.grad is None
    assert slopes[0.5] == pytest.approx(0.5, rel=1e-3) and slopes[1.5] == pytest.approx(1.5, rel=1e-3)


def test_truncated_bptt_draws_the_carried_state_as_a_detached_input():
    lstm = nn.LSTM(2, 3, stateful=True, generator=0)
    lstm(tg.randn(1, 4, 2, generator=1))  # window 1
    out, _ = lstm(tg.randn(1, 4, 2, generator=2))  # window 2 starts from the carried state
    src = viz.draw(out.sum(), names=lstm).source
    assert "h carried (detached)" in src and "c carried (detached)" in src
    grads = tg.grad(out.sum(), lstm.parameters(), allow_unused=True)
    assert all(g is not None for g in grads)  # the weights get gradients; the carried state is a leaf without one


def test_beam_tree_records_the_search_and_draws_the_chosen_path():
    from models import Seq2seq
    from tinygrad_nlp.evaluation.decoding import beam_search

    model = Seq2seq(7, 4, 8, generator=0)
    xs = np.array([[1, 2, 3], [4, 5, 6]])
    plain = beam_search(model, xs, 0, 5, beam_size=3)
    ids, tree = beam_search(model, xs, 0, 5, beam_size=3, return_tree=True)
    np.testing.assert_array_equal(ids, plain)  # recording changes nothing
    assert len(tree.levels) == 5 and all(sum(n.kept for n in level) == 3 for level in tree.levels[1:])
    assert [tree.levels[d][i].token for d, i in enumerate(tree.chosen)] == ids[0].tolist()
    for level in tree.levels[1:]:  # scores add up along the tree
        for node in level:
            parent = tree.levels[tree.levels.index(level) - 1][node.parent]
            assert node.score == pytest.approx(parent.score + node.logp)
    src = viz.draw_beam(tree).source
    assert src.count("#f5b041") == 5 and "dashed" in src  # the chosen path; pruned branches


def attention_model_loss():
    from models import AttentionSeq2seq

    model = AttentionSeq2seq(8, 4, 6, generator=0)
    xs, ts = np.array([[1, 2, 3, 4]]), np.array([[0, 5, 6]])
    loss = model(xs, ts)
    weights = np.stack([a.data[0] for a in model.decoder.weights])
    return model, loss, (weights, ["a", "b", "c", "d"], ["x", "y"])


@needs_dot
def test_attention_view_maps_each_output_step_to_its_nodes_and_edges():
    model, loss, attention = attention_model_loss()
    data = page_data(viz.explore(loss, names=model, attention=attention).html)
    att = data["attention"]
    assert len(att["steps"]) == 2 and all(len(s) == 1 for s in att["steps"])  # one Attention box per step
    assert att["steps"][0] != att["steps"][1] and all(att["edges"])
    assert "Attention" in data["info"][att["steps"][0][0]]
    np.testing.assert_allclose(att["weights"], attention[0].round(3))
    opened = page_data(viz.explore(loss, names=model, attention=attention, expand={"Attention"}).html)
    steps = opened["attention"]["steps"]
    assert all(len(s) == 2 for s in steps) and steps[0] != steps[1]  # opened: its Attention Weight and Weight Sum
    labels = [opened["info"][k] for k in steps[0]]
    assert any("Attention Weight" in text for text in labels) and any("Weight Sum" in text for text in labels)


@needs_dot
def test_attention_view_in_a_real_browser(tmp_path):
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    model, loss, attention = attention_model_loss()
    path = viz.explore(loss, tmp_path / "att.html", names=model, attention=attention).save(tmp_path / "att.html")
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.locator("#heatmap tr.row").nth(1).click()
        step = page_data(path.read_text(encoding="utf-8"))["attention"]["steps"][1]
        strokes = [page.evaluate(f"() => document.querySelector('#{i} ellipse, #{i} polygon, #{i} path').getAttribute('stroke')")
                   for i in step]
        assert strokes == ["#8e44ad"]  # the step's Attention box
        browser.close()
    assert errors == []


def test_explore_refuses_what_it_cannot_draw_clearly():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"explore: the loss must have one element, got shape \(2,\)"):
        viz.explore(x * 2)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="explore: the graph was freed by backward"):
        viz.explore(y)


def small_date_checkpoint(path):
    """An attention seq2seq with the date task's shapes (questions 29 wide, reversed; answers 10 long),
    trained a few steps: what `tinygrad-nlp train-seq2seq --task date --model attention` writes."""
    from models import build_model, save_model
    from tinygrad_nlp.data.text import Vocab

    rng = np.random.default_rng(0)
    months = ["january", "march", "july", "september"]
    dates = [(int(rng.integers(1950, 2020)), int(rng.integers(1, 5)), int(rng.integers(1, 28))) for _ in range(16)]
    questions = [f"{months[m - 1]} {d}, {y}".ljust(29) for y, m, d in dates]
    answers = [f"_{y}-{m:02d}-{d:02d}" for y, m, d in dates]
    vocab = Vocab("".join(questions + answers))
    xs = np.array([vocab.lookup(list(q)) for q in questions])[:, ::-1].copy()
    ts = np.array([vocab.lookup(list(a)) for a in answers])
    model, config = build_model("AttentionSeq2seq", vocab_size=len(vocab), wordvec_size=8, hidden_size=8, generator=0)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        model(xs, ts).backward()
        optimizer.step()
    save_model(path, model, config, vocab=vocab.to_dict(), reverse=True, question_width=29, answer_length=10, start_char="_",
               settings={"task": "date"})
    return path


TEXT_PX = """() => {  // the on-screen size of every label drawn in the visible part of the graph
  const view = document.getElementById('view').getBoundingClientRect();
  return Array.from(document.querySelectorAll('#view > svg text')).filter(t => {
    const r = t.getBoundingClientRect();
    return r.width > 0 && r.right > view.left && r.left < view.right && r.bottom > view.top && r.top < view.bottom;
  }).map(t => Number(t.getAttribute('font-size')) * t.getScreenCTM().a);
}"""
INSIDE_PX = """() => Array.from(document.querySelectorAll('#inspector .inside svg text'),
  t => Number(t.getAttribute('font-size')) * t.getScreenCTM().a)"""
RECT = "s => { const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


@needs_dot
def test_explorer_of_an_attention_seq2seq_checkpoint_in_a_real_browser(tmp_path):
    """At 1400 and 800 px: opens readable (on its first steps, with a minimap), steps by time step to
    the end in at most 60 presses, → moves one step with the slider focused, an opened LSTM fits its
    panel and, enlarged, the graph's; at 800 px the panels stack. No console errors, no network."""
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    from tinygrad_nlp.cli import main

    ckpt = small_date_checkpoint(tmp_path / "model.npz")
    assert main(["explore", str(ckpt), "--out", str(tmp_path / "date.html")]) == 0
    data = page_data((tmp_path / "date.html").read_text(encoding="utf-8"))
    assert data["size"] == "time" and any("(padding)" in c for c in data["sizes"]["time"]["captions"])
    heat = data["attention"]  # the question as written, not as the model read it (reversed), and no padding columns
    assert "".join(heat["src"]) == "may 5, 2001" and len(heat["weights"][0]) == len("may 5, 2001")
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for width in (1400, 800):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
            page.goto((tmp_path / "date.html").as_uri())
            sizes = page.evaluate(TEXT_PX)
            assert sizes and min(sizes) >= 10 - 1e-6  # readable from the start
            assert page.is_visible("#minimap")  # the whole does not read at once: where we are
            mini = page.evaluate(RECT, "#minimap")
            assert mini[2] - mini[0] <= 200 and mini[3] - mini[1] <= 100  # hiding little of the graph (was 260 × 160)
            assert page.get_attribute("#sizes [data-size=time]", "aria-pressed") == "true"
            presses = 0
            while "(backward)" not in page.inner_text("#caption") or page.input_value("#slider") != page.get_attribute("#slider", "max"):
                page.keyboard.press("ArrowRight")
                presses += 1
                assert presses <= 60, page.inner_text("#caption")
            assert min(page.evaluate(TEXT_PX)) >= 10 - 1e-6  # following the steps kept the size
            page.click("#sizes [data-size=op]")
            page.fill("#slider", "5")
            page.focus("#slider")
            page.keyboard.press("ArrowRight")
            assert page.input_value("#slider") == "6" and page.inner_text("#caption").startswith("step 6 /")
            page.locator("g.node", has_text="LSTM").first.dispatch_event("click")
            page.click("#open")
            inside, panel = page.evaluate(RECT, "#inspector .inside"), page.evaluate(RECT, "#inspector")
            height = page.evaluate("() => document.getElementById('inspector').clientHeight")
            assert panel[0] <= inside[0] and inside[2] <= panel[2] and inside[3] - inside[1] <= height  # its box in the panel
            assert min(page.evaluate(INSIDE_PX)) >= 10 - 1e-6  # readable there (scrolling when it is wider)
            page.click("#enlarge")
            big, view = page.evaluate(RECT, "#enlarged svg"), page.evaluate(RECT, "#view")
            assert view[0] <= big[0] and big[2] <= view[2] + 1 and view[1] <= big[1] and big[3] <= view[3] + 1
            assert page.evaluate(RECT, "#shrink")[3] <= big[1]  # "close" above the drawing, not on it
            if width == 800:
                assert view[3] <= panel[1] and panel[2] - panel[0] > 600  # the inspector under the graph, full width
            page.close()
        browser.close()
    assert errors == [] and requests == []


@needs_dot
def test_time_steps_are_the_books_columns_and_the_order_respects_the_graph():
    from viz.trace import trace
    from viz.draw import drawing, name_map
    from viz.steps import PLUMBING, schedule

    model, loss, attention = attention_model_loss()
    data = page_data(viz.explore(loss, names=model, attention=attention, padding={"encoder": range(2)}).html)
    captions, stops = data["sizes"]["time"]["captions"], data["sizes"]["time"]["stops"]
    forward = captions[: stops.index(data["forward"]) + 1]
    assert [c.split(":")[0] for c in forward if " t=" in c] == ["encoder/rnn t=0…1 (padding)", "encoder/rnn t=2", "encoder/rnn t=3",
                                                             "decoder t=0", "decoder t=1"]
    assert all("LSTM" in c and "Attention" in c for c in forward if c.startswith("decoder t="))  # one column each
    assert stops[-1] == data["forward"] + data["backward"]
    # every op comes after the ops it reads, except a slice of a stack (plumbing) taken in its own column
    graph = trace(loss, name_map(model), tg.edge_gradients(loss))
    fns = [t.grad_fn for t in tg.toposort([loss])[0]]
    position = {id(fn): i for i, fn in enumerate(schedule(graph, drawing(graph), fns).order)}
    assert sorted(position.values()) == list(range(len(fns)))
    for fn in fns:
        for p in fn.parents:
            if getattr(p, "grad_fn", None) is not None and position[id(p.grad_fn)] > position[id(fn)]:
                assert type(fn).__name__ in PLUMBING and type(p.grad_fn).__name__ in PLUMBING


@needs_dot
def test_cell_steps_light_one_drawn_node_each():
    lstm = nn.LSTM(2, 3, num_layers=2, generator=0)
    out, _ = lstm(tg.randn(1, 3, 2, generator=1))
    data = page_data(viz.explore(out.sum(), names=lstm).html)
    stops = [0] + data["sizes"]["node"]["stops"]
    for k0, k1 in zip(stops, stops[1:]):
        lit = {n for n, s in data["nodes"].items() if any(k0 < k <= k1 for k in s["f"] + s["b"])}
        assert len(lit) == 1
    stops = [0] + data["sizes"]["time"]["stops"]
    cells = [sorted(n for n, s in data["nodes"].items() if any(k0 < k <= k1 for k in s["f"]) and "LSTM" in data["info"][n])
             for k0, k1 in zip(stops, stops[1:])]
    columns = [c for c in cells if c]
    assert len(columns) == 3 and all(len(c) == 2 for c in columns)  # step t is a column: layer 0's and layer 1's cell


@needs_dot
def test_the_command_checks_only_when_asked_and_writes_a_language_models_words(tmp_path):
    from tinygrad_nlp.cli import main

    pages = {flag: tmp_path / f"{flag or 'plain'}.html" for flag in ("", "--check")}
    for flag, path in pages.items():  # --check was shadowed by the command's own validation (always on, and a crash)
        assert main(["explore", "--figure", "node_add", *([flag] if flag else []), "--out", str(path)]) in (0, None)
    assert not page_data(pages[""].read_text(encoding="utf-8"))["check"]
    assert page_data(pages["--check"].read_text(encoding="utf-8"))["check"]
    W, loss = small_net()
    words = ("the", "stock")
    html = viz.explore(loss, tokens=words[:1], targets=words[1:]).html
    assert "input: the" in html and "predicts: stock" in html  # (a drawing without time steps: in its title)


@needs_dot
def test_an_opened_stacked_cell_reads_x_t_and_a_tied_affine_reads_embed_w_transposed():
    import html as html_lib

    import models

    model = models.BetterRnnlm(12, 4, 4, dropout=0.0, generator=0)
    xs, ts = np.array([[1, 2]]), np.array([[2, 3]])
    loss = tg.nn.functional.cross_entropy(model(xs), ts)
    loss.backward(retain_graph=True)
    inside = page_data(viz.explore(loss, names=model).html)["inside"]

    def names(key_part):
        (svg,) = [svg for k, svg in inside.items() if key_part in k]
        return {html_lib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}

    upper = [k for k in inside if "t_1_lstmcell" in k]
    for key in upper:  # both layers' cells: the lower layer's h_t is the upper one's x_t, not a second h_prev
        assert {"x_t", "h_prev", "c_prev", "h_next", "c_next"} <= names(key) and not any("h_prev[" in n for n in names(key))
    assert "embed.Wᵀ" in names("linear") and not {"x1", "x2"} & names("linear")
