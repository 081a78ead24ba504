"""The textbook's cells and small figures: geometry read from the SVG that `dot` lays out, the names
on the edges, the numbers' format, and CBOW with negative sampling drawn one path per sample."""
import os
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_nlp as tg
import viz
from viz.draw import name_map
from viz.labels import grad_name
from viz.trace import trace
from models import CBOW
from tinygrad_nlp import nn
from tinygrad_nlp.cli.gallery import figures, recurrent_flows, with_gradients
from tinygrad_nlp.nn import functional as F

needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz dot not installed")
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(dg) -> ET.Element:
    return ET.fromstring(viz.render_bytes(dg, "svg"))


def centres(root: ET.Element) -> dict[str, tuple[float, float]]:
    """Node id -> centre (x, y) of its outline (y grows downwards)."""
    out = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "node":
            continue
        shape = next((e for e in g.iter() if e.tag in (SVG + "polygon", SVG + "path", SVG + "ellipse")), None)
        if shape.tag == SVG + "ellipse":
            out[g.find(SVG + "title").text] = (float(shape.get("cx")), float(shape.get("cy")))
        else:
            nums = [float(v) for v in re.findall(r"-?[\d.]+", shape.get("points") or shape.get("d"))]
            out[g.find(SVG + "title").text] = (np.mean(nums[0::2]), np.mean(nums[1::2]))
    return out


def lstm_cell(hidden=2):
    with tg.default_dtype(np.float64):
        cell = nn.LSTMCell(2, hidden, generator=np.random.default_rng(1))
    x_t, h_prev, c_prev = (tg.tensor(v, requires_grad=True, dtype=np.float64, name=n)
                           for v, n in (([[1.0, -0.5]], "x_t"), ([[0.1, 0.2]], "h_prev"), ([[0.3, -0.1]], "c_prev")))
    h, c = cell(x_t, (h_prev, c_prev))
    loss = h.sum() + c.sum()
    loss.backward(retain_graph=True)
    return cell, loss


@needs_dot
def test_lstm_cell_memory_line_runs_on_top_above_the_h_path():
    cell, loss = lstm_cell()
    dg = viz.draw(loss, show="both", names=cell, expand={"LSTM"})
    pos = centres(svg_of(dg))
    src = dg.source
    leaf = {name: key for key, name in re.findall(r'^\s*(leaf\d+) \[label="([^\n"]+)', src, re.M)}
    add_c = re.findall(r'(Add_op\d+) -> \S+ \[label=<<b>c_next</b>', src)[0]
    f_mul = re.findall(leaf["c_prev"] + r' -> (Mul_op\d+)', src)[0]  # f ⊙ c_prev
    mul_h = re.findall(r'(Mul_op\d+) -> \S+ \[label=<<b>h_next</b>', src)[0]
    assert re.search(f"{f_mul} -> {add_c} ", src)
    ys = [pos[k][1] for k in (leaf["c_prev"], f_mul, add_c)]
    top = min(pos[k][1] for k in pos if k.startswith(("Affine", "box_")))
    assert max(ys) - min(ys) < 5, "the memory line is one horizontal row"
    assert pos[leaf["c_prev"]][0] < pos[f_mul][0] < pos[add_c][0]  # c_prev → × → + from left to right
    for k in (mul_h, leaf["h_prev"], leaf["x_t"]):  # the h path: inputs below, o ⊙ tanh(c) under the memory line
        assert pos[k][1] > max(ys) + 20, k
    assert top > max(ys)  # every gate box is below the line
    affine = next(k for k in pos if k.startswith("box_") and k.endswith(tuple("0123456789")) and "affine" in k)
    assert pos[affine][1] > max(pos[k][1] for k in pos if "sigmoid" in k)  # the gates sit on one Affine below them


def test_lstm_cell_names_its_inputs_gates_and_gradients():
    cell, loss = lstm_cell()
    src = viz.draw(loss, show="both", names=cell, expand={"LSTM"}).source
    for name in ("x_t", "h_prev", "c_prev"):
        assert f'label="{name}\n' in src and f"d{name} (1, 2)" in src, name  # dx_t, dh_prev, dc_prev on their edges
    for gate in ("f", "g", "i", "o", "c_next", "h_next"):
        assert f"<b>{gate}</b>" in src and f"d{gate} (1, 2)" in src, gate
    assert "× out" not in src and "[]" not in src  # no "× out", no slice nodes outside the Affine box
    assert sorted(re.findall(r'label=(Affine|"σ")', src)) == ['"σ"', '"σ"', '"σ"', "Affine"]


def test_gru_cell_has_boxed_named_gates_and_the_mix_in_the_open():
    with tg.default_dtype(np.float64):
        cell = nn.GRUCell(2, 2, generator=np.random.default_rng(2))
    h_prev = tg.tensor([[0.1, 0.2]], requires_grad=True, dtype=np.float64, name="h_prev")
    x = tg.tensor([[1.0, -0.5]], dtype=np.float64, name="x_t")
    h = cell(x, h_prev)
    loss = h.sum()
    loss.backward(retain_graph=True)
    src = viz.draw(loss, show="both", names=cell, expand={"GRU"}).source
    for box in ("reset gate r", "update gate z", "candidate h~", "Affine", "1 −"):
        assert re.search(rf'box_\w+ \[label="?{re.escape(box)}"? ', src), box
    for name in ("r", "z", "h~", "h_next"):
        assert f"<b>{name}</b>" in src, name
    assert "d(h~) (1, 2)" in src and "\u0303" not in src  # h~'s gradient, not a "dh" beside dh_next; no floating tilde
    assert "GRU as in PyTorch and d2l: h_next = (1 − z) ⊙ h~ + z ⊙ h_prev" in src and "DLFS2 writes z for this 1 − z" in src
    assert "[]" not in src and "dh_prev" in src  # no unlabelled slice nodes; h_prev's gradient named
    assert len(re.findall(r'^\s*Mul_op\d+ \[label="×"', src, re.M)) == 2  # (1 − z) ⊙ h~ and z ⊙ h_prev


def test_sigmoid_expanded_reads_as_the_books_chain():
    x = tg.tensor([[-1.0, 0.5]], requires_grad=True, dtype=np.float64, name="x")
    y = x.sigmoid().sum()
    d = viz.draw.__globals__["drawing"](trace(y), expand={"sigmoid"})
    chain, key = [], next(k for k, n in d.nodes.items() if n.label == "x")
    while True:
        nxt = [e.dst for e in d.edges if e.src == key]
        if not nxt or d.nodes[nxt[0]].label == "Σ":
            break
        key = nxt[0]
        chain.append(d.nodes[key].label)
    assert chain == ["× -1", "exp", "+ 1", "/"]
    for v in (-800.0, -100.0, 100.0):  # both tails stay finite (the chain takes a constant shift there)
        t = tg.tensor([v], requires_grad=True, dtype=np.float64)
        t.sigmoid().sum().backward()
        assert np.isfinite(t.grad.data).all()


def test_softmax_with_loss_folded_shows_y_minus_t():
    logits = tg.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]], requires_grad=True, dtype=np.float64, name="a")
    loss = F.cross_entropy(logits * 1.0, np.array([1, 2]))
    loss.backward(retain_graph=True)
    assert "∂ = (y − t)/2" in viz.draw(loss, show="both").source
    one = F.cross_entropy(logits[:1] * 1.0, np.array([0]))
    one.backward(retain_graph=True)
    assert "∂ = y − t" in viz.draw(one, show="both").source
    weighted = F.cross_entropy(logits * 1.0, np.array([1, 2]), weight=np.array([1.0, 2.0, 3.0]))
    weighted.backward(retain_graph=True)
    assert "y − t" not in viz.draw(weighted, show="both").source  # written only when the numbers are y − t


def test_numbers_small_matrices_by_rows_larger_as_a_summary_with_a_legend():
    fmt = viz.format_array
    assert fmt(np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -3.0]])) == "(2, 3)\n[   1 -0.5 0.25]\n[   0    2   -3]"
    assert fmt(np.array([[0.5, -0.0]])) == "(1, 2) [0.5 0]" and fmt(np.float64(-0.0)) == "0"  # no -0
    big = np.array([[0.1, 0.2, -0.3] * 3] * 3)
    assert big.mean() != 0 and fmt(big) == "(3, 9) [-0.3, 0.2] mean 0"  # the mean is 0 up to round-off: written 0
    assert fmt(big, stacked=True) == "(3, 9)\n[-0.3, 0.2]\nmean 0"  # the same words, one a line
    assert fmt(np.zeros((1, 9))) == "(1, 9) all 0" and fmt(np.zeros((1, 9)), stacked=True) == "(1, 9)\nall 0"
    assert fmt(np.array([1e-5, 2.0])) == "[1e-5 2]"
    x = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    src = viz.draw((x * 2).sum(), show="both").source
    assert "[min, max]" not in src  # nothing summarised: no legend
    y = tg.tensor(np.arange(40.0).reshape(5, 8), requires_grad=True)
    assert "its shape, [min, max] and its mean" in viz.draw((y * 2).sum(), show="both").source


def test_cbow_negative_sampling_draws_one_path_per_sample():
    corpus = np.array([0, 1, 2, 3, 1, 2, 4, 0, 3, 2])
    k = 3
    losses = []
    for split in (False, True):
        with tg.default_dtype(np.float64):
            model = CBOW(5, 3, 1, corpus, sample_size=k, generator=np.random.default_rng(0), split_samples=split)
        loss = model(np.array([[0, 2], [1, 3]]), np.array([1, 2]))
        loss.backward(retain_graph=True)
        losses.append((loss.item(), model.word_vecs.grad.to_dense(), model, loss))
    assert np.isclose(losses[0][0], losses[1][0]) and np.allclose(losses[0][1], losses[1][1])  # the same loss, drawn per sample
    model, loss = losses[1][2], losses[1][3]
    dg = viz.draw(loss, show="both", names=model, expand={"NegativeSamplingLoss"})
    paths = {}
    for indent, label in re.findall(r'^(\s*)subgraph cluster_\w+ \{\n\s*color=\S+ fontcolor=\S+ id=\S+ label="?(positive|negative \d+)"? ',
                                    dg.source, re.M):
        start = dg.source.index(f"label={label} " if " " not in label else f'label="{label}"')
        paths[label] = dg.source[start:dg.source.index(f"\n{indent}}}", start)]  # the cluster's body
    assert sorted(paths) == ["negative 1", "negative 2", "negative 3", "positive"]  # k + 1 sample paths
    for body in paths.values():
        assert "Embedding Dot" in body and "Sigmoid with Loss" in body
    assert dg.source.count("∂ = (y − t)/2") == k + 1


@needs_dot
def test_gallery_cell_figures_fit_a_screen_and_attention_gradients_are_not_zero():
    for name, loss, names, opts in figures():
        if name in ("rnn_cell", "lstm_cell", "gru_cell", "sigmoid_expanded", "attention"):
            with_gradients(loss)
            root = svg_of(viz.draw(loss, show="both", names=names, **opts))
            w, h = (float(root.get(a).rstrip("pt")) * 4 / 3 for a in ("width", "height"))  # CSS px at 1:1
            assert w <= 1400 and h <= 900, (name, w, h)
        if name == "attention":
            graph = trace(loss)
            into = [e for e in graph.edges if e.grad is not None and any(getattr(s, "label", "") == "Attention Weight"
                                                                         for s in graph.nodes[e.dst].scope)]
            assert into and any(np.abs(e.grad).max() > 1e-3 for e in into)


def edge_text(src: str) -> list[str]:
    """Every line written on the edges (names, values, gradients), the HTML tags taken out."""
    return [line for label in re.findall(r"label=<(.*?)>\s*(?:\w+=|\])", src, re.S)
            for line in re.sub(r"<[^>]*>", "\n", label).split("\n") if line.strip()]


def test_gradient_names_read_as_the_books_dw_and_bracket_a_dotted_name():
    assert (grad_name("W1"), grad_name("h_prev")) == ("dW1", "dh_prev")
    assert (grad_name("decoder.out.W"), grad_name("h~")) == ("d(decoder.out.W)", "d(h~)")
    with tg.default_dtype(np.float64):
        rnn = nn.RNN(2, 2, generator=0)
    out, _ = rnn(tg.tensor(np.ones((1, 2, 2)), dtype=np.float64, name="xs"))
    loss = with_gradients(out.sum())
    names = name_map(rnn)  # cell_l0.Wx, ...: dotted
    assert set(names.values()) >= {"cell_l0.Wx", "cell_l0.Wh"}
    lines = edge_text(viz.draw(loss, show="both", names=rnn).source)
    assert any(line.startswith("d(cell_l0.Wx) ") for line in lines) and not any(line.startswith("dcell_") for line in lines)


@pytest.mark.parametrize("op", ["node_add", "node_mul"])
def test_x_and_y_go_in_and_z_comes_out_no_two_tensors_share_a_label(op):
    loss = dict((name, loss) for name, loss, _, _ in figures())[op]
    graph = trace(loss)
    labels = [n.label for n in graph.nodes.values() if n.kind in ("param", "input", "output")]
    assert sorted(labels) == ["x", "y", "z"]  # the book's x, y -> z
    x = tg.tensor(1.0, requires_grad=True, name="y")
    assert trace(x * x).nodes["output"].label == "z"  # an input called y: the output is not
    unnamed = trace(tg.tensor(1.0, requires_grad=True) * 2)
    assert [n.label for n in unnamed.nodes.values() if n.kind in ("param", "output")] == ["w", "y"]


def test_two_layer_net_names_its_parameters_w1_b1_w2_b2():
    loss, names, _ = next((loss, names, o) for name, loss, names, o in figures() if name == "two_layer_net")
    with_gradients(loss)
    graph = trace(loss, names=name_map(names))
    params = sorted(n.label for n in graph.nodes.values() if n.kind == "param")
    assert params == ["W1", "W2", "b1", "b2"]
    lines = edge_text(viz.draw(loss, show="both", names=names).source)
    assert {"dW1", "db1", "dW2", "db2"} <= {line.split(" ")[0] for line in lines}


def test_gradient_flow_comparison_shows_the_forget_gate_keeping_the_lstms_gradient():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30, (4, 13))
    flows = recurrent_flows(ids[:, :-1], ids[:, 1:], 30, hidden=16)
    assert list(flows) == ["RNN", "LSTM, forget bias +0 (f ≈ 0.50)", "LSTM, forget bias +1 (f ≈ 0.73)",
                           "LSTM, forget bias +2 (f ≈ 0.88)", "GRU (z ≈ 0.50)"]
    kept = [flows[k][0] / flows[k][-2] for k in list(flows)[1:4]]  # what reaches h_0 of what reached h_{T-2}
    assert kept[0] < kept[1] < kept[2] and kept[2] > 10 * kept[0]  # the larger f, the less it vanishes


def test_small_tensors_in_the_inspector_use_the_drawings_numbers():
    from viz.numbers import format_values
    assert format_values(np.array([[-0.0, 4.6e-18, 0.5], [2.0, -1.23456, 3.0]])) == "[[0, 0, 0.5], [2, -1.23, 3]]"
    assert (format_values(np.float32(-0.0)), format_values(np.array([1, 2]))) == ("0", "[1, 2]")
