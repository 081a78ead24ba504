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
from models import AttentionSeq2seq, BetterRnnlm, PeekySeq2seq, Rnnlm, Seq2seq
from test_figures_time import overlaps, png_size, shapes, svg_of, text_boxes
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


def seq2seq(model_class, **kwargs):
    """A small seq2seq model (distinct seeded weights), its loss on 4 source and 3 answer steps, backward done."""
    with tg.default_dtype(np.float64):
        model = model_class(8, 3, 4, generator=np.random.default_rng(3), **kwargs)
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
    "GRU seq2seq": lambda: seq2seq(Seq2seq, cell="gru"),
    "peeky seq2seq": lambda: seq2seq(PeekySeq2seq),
    "additive attention seq2seq": lambda: seq2seq(AttentionSeq2seq, score="additive"),
    "bidirectional seq2seq": lambda: seq2seq(Seq2seq, bidirectional=True),
    "bidirectional attention seq2seq": lambda: seq2seq(AttentionSeq2seq, bidirectional=True),
    "bidirectional peeky seq2seq": lambda: seq2seq(PeekySeq2seq, bidirectional=True),
    "bidirectional GRU seq2seq": lambda: seq2seq(Seq2seq, cell="gru", bidirectional=True),
    "GRU attention seq2seq": lambda: seq2seq(AttentionSeq2seq, cell="gru"),
    "GRU LM": lambda: lm(Rnnlm, cell="gru"),
    "RNN LM": lambda: lm(Rnnlm, cell="rnn"),
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
@pytest.mark.parametrize("name", ROLLED)
def test_rolled_labels_do_not_overlap(name):
    model, loss = ROLLED[name]()
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


def rolled_drawing(model, loss):
    return drawing(trace(loss, name_map(model)), roll=True)


@needs_dot
@pytest.mark.parametrize("name, cell, states", [("GRU seq2seq", "GRU", 1), ("peeky seq2seq", "LSTM", 2),
                                                ("additive attention seq2seq", "LSTM", 2), ("GRU LM", "GRU", 1),
                                                ("RNN LM", "RNN", 1)])
def test_other_models_rolled_bottom_to_top_one_box_and_its_loops_per_layer(name, cell, states):
    model, loss = ROLLED[name]()
    nodes, edges = shapes(svg_of(viz.draw(loss, show="both", names=model, roll=True)))
    cells = sorted(boxes(nodes, rf"{cell} × \d").items(), key=lambda kv: kv[1][0])  # encoder left of decoder
    assert len(cells) == (1 if "LM" in name else 2)
    for key, _ in cells:
        assert len(edges.get(f"{key}->{key}", [])) == states  # h (and c): one loop each
    x = cells[-1][1][0]  # the decoder's (or the LM's) column, bottom to top
    column = [v for v in nodes.values() if abs(v[0] - x) < 1 and re.match(r"(Embedding|\w+ × \d|Attention|Affine|Softmax)", v[2])]
    order = [v[2].split(" ×")[0] for v in sorted(column, key=lambda v: -v[1])]
    assert order == ["Embedding", cell] + (["Attention"] if "attention" in name else []) + ["Affine", "Softmax with Loss"]


def test_gru_weights_are_one_column_of_cards():
    model, loss = seq2seq(Seq2seq, cell="gru")
    d = rolled_drawing(model, loss)
    for c in {side[1] for side in d.grid.side.values()}:
        assert {side[2] for side in d.grid.side.values() if side[1] == c} <= set(range(d.grid.stack))  # Wx, Wh, bx, bh stacked
    assert d.grid.stack == 4


def test_peeky_encoder_h_is_one_arrow_into_every_decoder_step_and_affine_said_once():
    model, loss = seq2seq(PeekySeq2seq)
    d = rolled_drawing(model, loss)
    assert not [n for n in d.nodes.values() if n.kind == "op"]  # no Repeat (expand) of h, no concat
    (enc,) = [k for k, n in d.nodes.items() if n.kind == "rolled" and "encoder" in k]
    out = [e for e in d.edges if e.src == enc and e.dst != enc]
    assert sorted(d.nodes[e.dst].label for e in out) == ["Affine", "LSTM × 3"]
    (h,) = [e for e in out if e.value is not None]  # written once: on the edge into the decoder's cell
    assert d.nodes[h.dst].label == "LSTM × 3" and h.name == "h_{3}"
    (affine,) = [e for e in out if e is not h]
    assert affine.value is None and affine.grad is None  # drawn along it
    xs, ts = np.array([[1, 2, 3, 4]]), np.array([[0, 5, 6, 7]])
    (h_enc, _), _ = model.encode(xs)
    leaf = tg.tensor(h_enc.data, dtype=np.float64, requires_grad=True)  # the encoder's h as a leaf: its gradient over all its uses
    state, _ = model.encode(xs)
    logits, _ = model.decoder(ts[:, :-1], (leaf, state[1]), (leaf, state[1]))
    F.cross_entropy(logits, ts[:, 1:]).backward()
    np.testing.assert_allclose(h.value, h_enc.data[0])
    np.testing.assert_allclose(h.grad, np.asarray(leaf.grad.data)[0], atol=1e-12)  # initial state + every step + Affine


@needs_dot
@pytest.mark.parametrize("model_class", [Seq2seq, AttentionSeq2seq])
def test_bidirectional_encoder_directions_side_by_side_their_h_joined_into_the_decoder(model_class):
    model, loss = seq2seq(model_class, bidirectional=True)
    d = rolled_drawing(model, loss)
    fwd, back = [k for k, n in d.nodes.items() if n.kind == "rolled" and "encoder" in k]
    assert back == fwd + "_reverse"
    dec = next(k for k, n in d.nodes.items() if n.kind == "rolled" and "decoder" in k and n.label.startswith("LSTM"))
    assert not [e for e in d.edges if {e.src, e.dst} == {fwd, back}]  # no edge between the two directions
    (emb,) = [k for k, n in d.nodes.items() if n.label == "Embedding" and "encoder" in k]
    assert {e.dst for e in d.edges if e.src == emb} == {fwd, back}  # x read by both
    (h,) = [e for e in d.edges if e.src == fwd and e.dst == dec]
    (along,) = [e for e in d.edges if e.src == back and e.dst == dec]
    _, (h_enc, _) = model.encoder(np.array([[1, 2, 3, 4]]))
    assert h.name == "[h_{3}→, h_{0}←]" and along.value is None
    np.testing.assert_allclose(h.value, h_enc.data[0])  # [forward's last h, reverse's last (t = 0)]
    if model_class is AttentionSeq2seq:
        (hs,) = [e for e in d.edges if e.src == fwd and d.nodes[e.dst].label.startswith("Attention")]
        assert hs.name == "hs" and np.shape(hs.value) == (1, 4, 4)  # both directions' h_t, joined
    dg = viz.draw(loss, show="both", names=model, roll=True)
    nodes, edges = shapes(svg_of(dg))
    (f, fv), (b, bv) = sorted(boxes(nodes, r"LSTM × 4").items(), key=lambda kv: kv[1][0])
    assert fv[2].endswith("→") and bv[2].endswith("←") and abs(fv[1] - bv[1]) < 1  # one row, forward left
    assert bv[0] < only(nodes, r"LSTM × 3")[0]  # the decoder right of both
    for key in (f, b):
        assert len(edges.get(f"{key}->{key}", [])) == 2


def test_rolled_x_t_carries_every_steps_input():
    names, loss = gallery("time_rnn_rolled")
    d = drawing(trace(loss, name_map(names)), roll=True)
    (x,) = [e for e in d.edges if d.nodes[e.src].label == "x_t"]
    assert x.name == "x_{t}, t = 0…2" and np.ndim(x.value) == 3 and np.shape(x.value)[1] == 3


@needs_dot
def test_attention_decoder_h_t_is_one_trunk_named_once_its_gradient_summed_over_attention_and_affine():
    model, loss = seq2seq(AttentionSeq2seq)
    d = rolled_drawing(model, loss)
    dec = next(k for k, n in d.nodes.items() if n.kind == "rolled" and "decoder" in k and n.label.startswith("LSTM"))
    out = [e for e in d.edges if e.src == dec and e.dst != dec]
    (h,) = [e for e in out if e.value is not None or e.grad is not None or e.name]  # written once: into Attention
    (past,) = [e for e in out if e is not h]
    assert d.nodes[h.dst].label.startswith("Attention") and d.nodes[past.dst].label == "Affine" and h.name == "h_{t}, t = 0…2"
    forward, kept = model.decoder.rnn.forward, []

    def keep(*args):
        hs, state = forward(*args)
        hs.retain_grad()
        kept.append(hs)
        return hs, state
    model.decoder.rnn.forward = keep
    model(np.array([[1, 2, 3, 4]]), np.array([[0, 5, 6, 7]])).backward()
    np.testing.assert_allclose(h.value, kept[0].data)
    np.testing.assert_allclose(h.grad, kept[0].grad.data, atol=1e-12)  # via Attention and via Affine

    del model.decoder.rnn.forward
    root = svg_of(viz.draw(loss, show="both", names=model, roll=True))
    _, edges = shapes(root)
    assert [b[4] for b in text_boxes(root)].count("hₜ, t = 0…2") == 1
    (into,), (fork,) = edges[f"{dec}->{h.dst}"], edges[f"{dec}->{past.dst}"]
    assert abs(into[0][0] - fork[0][0]) < 1 and abs(into[0][0] - into[-1][0]) < 1  # one trunk, straight up, the fork off it


def test_rolled_seq2seq_lists_its_words_without_the_padding():
    model, loss = seq2seq(Seq2seq)
    svg = viz.draw(loss, names=model, roll=True, padding={"encoder": range(2)},
                   tokens={"encoder": ["␣", "␣", "a", "b"], "decoder": ["_", "c", "d"]}).pipe(format="svg").decode("utf-8")
    assert "input: a b" in svg and "input: _ c d" in svg  # the two padding steps are not listed
