"""The rolled view (../shared/figures.md §3) and tied weights, read from the SVG that Graphviz draws:
one box per layer stacked bottom to top, each state a self-loop, a seq2seq decoder column right of
its encoder on one baseline, every rolled figure on one screen at 1:1; BetterRnnlm's output layer one
Affine box reading embed.Wᵀ, the tied matrix's summed gradient drawn."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_nlp as tg
import viz
from models import AttentionSeq2seq, BetterRnnlm, Rnnlm, Seq2seq
from test_figures_time import png_size, shapes, svg_of
from tinygrad_nlp.cli.gallery import figures, with_gradients
from tinygrad_nlp.nn import functional as F
from viz.draw import drawing, name_map
from viz.numbers import format_array
from viz.trace import trace

needs_dot = pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` is not installed")
SCREEN = (1400, 900)


def lm(model_class, T: int = 5, train: bool = False, **kwargs):
    """A small language model with distinct seeded weights, its loss on T steps, backward done."""
    with tg.default_dtype(np.float64):
        model = model_class(12, 4, 4, generator=np.random.default_rng(7), **kwargs)
    model.train(train)
    ids = (np.arange(T + 1)[None, :] * 5) % 12
    loss = F.cross_entropy(model(ids[:, :-1]), ids[:, 1:])
    loss.backward(retain_graph=True)
    return model, loss


def seq2seq(model_class):
    with tg.default_dtype(np.float64):
        model = model_class(8, 3, 4, generator=np.random.default_rng(3))
    loss = model(np.array([[1, 2, 3, 4]]), np.array([[0, 5, 6, 7]]))
    loss.backward(retain_graph=True)
    return model, loss


def gallery(name: str):
    (loss, names, opts), = [(loss, names, opts) for n, loss, names, opts in figures() if n == name]
    return names, with_gradients(loss)


ROLLED = {
    "two-layer LSTM LM": lambda: lm(Rnnlm, num_layers=2),
    "BetterRnnlm (tied, 2 layers)": lambda: lm(BetterRnnlm),
    "seq2seq": lambda: seq2seq(Seq2seq),
    "attention seq2seq": lambda: seq2seq(AttentionSeq2seq),
    "gallery time_rnn_rolled": lambda: gallery("time_rnn_rolled"),
    "gallery attention_seq2seq_rolled": lambda: gallery("attention_seq2seq_rolled"),
}


def boxes(nodes: dict, pattern: str) -> dict[str, tuple[float, float, str]]:
    return {k: v for k, v in nodes.items() if re.match(pattern, v[2])}


def only(nodes: dict, pattern: str) -> tuple[float, float, str]:
    (found,) = boxes(nodes, pattern).values()
    return found


@needs_dot
@pytest.mark.parametrize("name", ROLLED)
def test_rolled_figures_fit_one_screen_at_1_to_1(name):
    model, loss = ROLLED[name]()
    dg = viz.draw(loss, show="both", names=model, roll=True)
    assert "size" not in dg.graph_attr
    svg = viz.render_bytes(dg, "svg").decode("utf-8")
    assert re.findall(r'transform="scale\(([\d.]+) ([\d.]+)\)', svg) == [("1", "1")]  # drawn at 1:1, not shrunk
    w, h = png_size(viz.render_bytes(dg, "png"))
    assert w <= SCREEN[0] and h <= SCREEN[1], (w, h)


@needs_dot
def test_layers_stack_bottom_to_top_each_box_with_one_loop_per_state():
    model, loss = lm(BetterRnnlm, train=True)  # with its Dropout boxes
    dg = viz.draw(loss, show="both", names=model, roll=True, tokens="a b c d e".split(), targets="b c d e f".split())
    nodes, edges = shapes(svg_of(dg))
    layers = sorted(boxes(nodes, r"LSTM × 5").items(), key=lambda kv: -kv[1][1])  # SVG y grows downwards
    assert [v[2].split()[-1] for _, v in layers] == ["cell_l0", "cell_l1"]
    ys = [only(nodes, "Embedding")[1], layers[0][1][1], layers[1][1][1], only(nodes, "Affine")[1],
          only(nodes, "Softmax with Loss")[1]]
    assert ys == sorted(ys, reverse=True)  # bottom to top
    xs = {round(only(nodes, p)[0]) for p in ("Embedding", "Affine", "Softmax with Loss")} | {round(v[0]) for _, v in layers}
    assert len(xs) == 1  # one column
    assert len(boxes(nodes, r"Dropout")) == 3  # Dropout after Embedding, between the layers (× 5), after the LSTM
    for key, _ in layers:
        assert len(edges.get(f"{key}->{key}", [])) == 2  # c and h: one loop each
        loops = re.findall(rf"^\s*{key} -> {key} \[(.*)$", dg.source, re.M)
        assert sorted(re.findall(r"<B>([hc])<SUB>t−1</SUB></B>", " ".join(loops))) == ["c", "h"]
    assert "input: a b c d e" in dg.source and "predicts: b c d e f" in dg.source


@needs_dot
def test_loop_labels_do_not_overlap():
    from test_figures_time import overlaps, text_boxes
    model, loss = lm(Rnnlm, num_layers=2)
    root = svg_of(viz.draw(loss, show="both", names=model, roll=True))
    assert overlaps(text_boxes(root)) == []


@needs_dot
@pytest.mark.parametrize("model_class", [Seq2seq, AttentionSeq2seq])
def test_seq2seq_rolled_encoder_left_of_decoder_on_one_baseline(model_class):
    model, loss = seq2seq(model_class)
    dg = viz.draw(loss, show="both", names=model, roll=True)
    nodes, edges = shapes(svg_of(dg))
    enc, dec = sorted(boxes(nodes, r"LSTM × \d").items(), key=lambda kv: kv[1][0])
    assert "LSTM × 4" in enc[1][2] and "LSTM × 3" in dec[1][2]  # 4 source steps left, 3 answer steps right
    assert abs(enc[1][1] - dec[1][1]) < 1  # the same row
    embeddings = sorted(boxes(nodes, "Embedding").values())
    assert abs(embeddings[0][1] - embeddings[1][1]) < 1 and embeddings[0][0] < dec[1][0]
    assert len(edges.get(f"{enc[0]}->{dec[0]}", [])) == 1  # the encoder's last h: one arrow
    for key, _ in (enc, dec):
        assert len(edges.get(f"{key}->{key}", [])) == 2
    if model_class is AttentionSeq2seq:
        (att, (ax, ay, _)), = boxes(nodes, r"Attention × 3").items()
        assert ay < dec[1][1] and abs(ax - dec[1][0]) < 1  # above the decoder's LSTM
        assert f"{att}->{att}" not in edges  # no state, no loop
        assert len(edges.get(f"{enc[0]}->{att}", [])) == 1  # hs, one bundle edge
        d = drawing(trace(loss, name_map(model)), roll=True)
        (hs,) = [e for e in d.edges if e.name == "hs"]
        assert np.shape(hs.value) == (1, 4, 4)  # (N, T, H)
        (c,) = [e for e in d.edges if d.nodes[e.src].label.startswith("Attention")]
        assert c.name == "c_{t}" and np.shape(c.value) == (1, 3, 4)  # every step's context


@pytest.mark.parametrize("roll", [False, True])
def test_tied_weights_drawn_once_with_their_summed_gradient(roll):
    model, loss = lm(BetterRnnlm, T=3)
    graph = trace(loss, name_map(model))
    d = drawing(graph, roll=roll)
    (w,) = [k for k, n in d.nodes.items() if n.label == "embed.W"]
    assert [n.label for n in d.nodes.values()].count("Affine") == 1
    assert not [n for n in d.nodes.values() if n.kind == "op" and n.tooltip in ("MatMul", "Repeat", "Add", "Transpose")]
    out = [e for e in d.edges if e.src == w]
    assert sorted(d.nodes[e.dst].label for e in out) == ["Affine", "Embedding"]
    (t,) = [e for e in out if e.name == "embed.Wᵀ"]
    assert d.nodes[t.dst].label == "Affine" and np.shape(t.value) == (4, 12)
    np.testing.assert_allclose(t.value, model.embed.W.data.T)
    np.testing.assert_array_equal(d.nodes[w].grad, model.embed.W.grad.data)  # the sum of both uses is the weight's gradient
    (e,) = [e for e in out if e is not t]
    np.testing.assert_allclose(e.grad + t.grad.T, model.embed.W.grad.data, atol=1e-15)
    source = viz.draw(loss, show="both", names=model, roll=roll).source
    assert format_array(model.embed.W.grad) in source and "(∂ via Affine)ᵀ" in source


def test_tied_output_layer_keeps_its_numbers():
    """The Affine group is a drawing mark only: logits are h Eᵀ + b as before."""
    model, _ = lm(BetterRnnlm, T=3)
    ids = np.array([[1, 2, 3]])
    model.reset_state()
    logits = model(ids)
    model.reset_state()
    h, _ = model.rnn(model.embed(ids))
    np.testing.assert_array_equal(logits.data, (h @ model.embed.W.T + model.out_b).data)
