"""Regenerate the textbooks' computation-graph figures from real computations.

    tinygrad-nlp gallery [--out runs/gallery] [--format png]
    tinygrad-nlp draw --figure lstm_cell --out lstm_cell.svg      # one of them

Each figure shows forward values on the edges and, in red on the same edge, the gradient that came
back (small numbers, so that they can be checked by hand). Composite functions and layers are one
node with the textbook's name (σ, Affine, Softmax with Loss, LSTM, ...) unless a figure opens them.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Iterator

import numpy as np

import tinygrad_nlp as tg
import viz
from models import CBOW, Attention, AttentionSeq2seq, Rnnlm, Seq2seq, load_model
from tinygrad_nlp import nn
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.runs import output_dir

from .checks import optional_plot


def t(values, name, grad=True):
    return tg.tensor(np.array(values, dtype=np.float64), requires_grad=grad, dtype=np.float64, name=name)


def id_words(xs: np.ndarray, ts: np.ndarray) -> dict:
    """A seq2seq figure's ids as its words: the encoder's under its columns, the decoder's inputs
    ts[:, :-1] under its own and the targets ts[:, 1:] over the loss (the toy models have no vocabulary)."""
    ids = lambda a: [str(i) for i in a]
    return {"tokens": {"encoder": ids(xs[0]), "decoder": ids(ts[0, :-1])}, "targets": {"decoder": ids(ts[0, 1:])}}


def figures() -> Iterator[tuple[str, tg.Tensor, object, dict]]:
    """(name, loss, names, draw options) for each figure, small enough to check by hand."""
    x, y = t(2.0, "x"), t(3.0, "y")
    yield "node_add", x + y, None, {}
    x, y = t(2.0, "x"), t(3.0, "y")
    yield "node_mul", x * y, None, {}
    x = t([1.0, 2.0], "x")
    yield "node_branch", (x * 3 + x * 5).sum(), None, {}  # x feeds two ops: a Branch node
    b = t([[1.0, 2.0, 3.0]], "b")
    yield "node_repeat", (b.repeat(2, axis=0) * t([[1, 1, 1], [2, 2, 2]], "w", grad=False)).sum(), None, {}
    x = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x")
    yield "node_sum", x.sum(axis=0).sum(), None, {}
    x, W = t([[1.0, 2.0]], "x"), t([[0.5, -1.0, 0.2], [0.3, 0.1, -0.4]], "W")
    yield "node_matmul", (x @ W).sum(), None, {}

    with tg.default_dtype(np.float64):
        net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 2, generator=1))
    xs = tg.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=np.float64, name="x")
    loss = F.cross_entropy(net[1](net[0](xs).sigmoid()), np.array([0, 1]))
    names = {net[0].W: "W1", net[0].b: "b1", net[1].W: "W2", net[1].b: "b2"}  # the book's names
    yield "two_layer_net", loss, names, {}
    yield "two_layer_net_expanded", loss, names, {"expand": True}
    x = t([[-1.0, 0.5]], "x")
    yield "sigmoid_expanded", x.sigmoid().sum(), None, {"expand": {"sigmoid"}}

    with tg.default_dtype(np.float64):  # one Generator per layer: Wx and Wh get different draws
        rnn_cell = nn.RNNCell(2, 2, generator=np.random.default_rng(0))
        lstm_cell = nn.LSTMCell(2, 2, generator=np.random.default_rng(1))
        gru_cell = nn.GRUCell(2, 2, bias=False, generator=np.random.default_rng(2))  # two (6,) biases: too wide a figure
        rnn = nn.RNN(2, 2, generator=np.random.default_rng(3))
    x_t, h_prev, c_prev = t([[1.0, -0.5]], "x_t"), t([[0.1, 0.2]], "h_prev"), t([[0.3, -0.1]], "c_prev")  # dx_t, dh_prev, dc_prev
    yield "rnn_cell", rnn_cell(x_t, h_prev).sum(), rnn_cell, {"expand": {"RNN"}}
    h, c = lstm_cell(x_t, (h_prev, c_prev))
    yield "lstm_cell", h.sum() + c.sum(), lstm_cell, {"expand": {"LSTM"}}
    yield "gru_cell", gru_cell(x_t, h_prev).sum(), gru_cell, {"expand": {"GRU"}}
    xs = tg.tensor(np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]]), dtype=np.float64, name="xs")
    out, _ = rnn(xs)
    yield "time_rnn_3_steps", out.sum(), rnn, {}
    yield "time_rnn_rolled", out.sum(), rnn, {"roll": True}

    corpus = np.array([0, 1, 2, 3, 1, 2, 4, 0, 3, 2])
    with tg.default_dtype(np.float64):
        cbow = CBOW(5, 3, 1, corpus, sample_size=2, generator=np.random.default_rng(3), split_samples=True)  # a path per sample
    w_in_out = {cbow.word_vecs: "W_in", cbow.ns_loss.embed_dot.embed.W: "W_out"}  # the book's names
    yield "cbow_negative_sampling", cbow(np.array([[0, 2]]), np.array([1])), w_in_out, {"expand": {"NegativeSamplingLoss"}}

    with tg.default_dtype(np.float64):
        s2s = Seq2seq(6, 2, 3, generator=np.random.default_rng(0))
    xs, ts = np.array([[1, 2, 3]]), np.array([[0, 4, 5]])
    yield "seq2seq", s2s(xs, ts), s2s, id_words(xs, ts)

    with tg.default_dtype(np.float64):
        tbptt = nn.LSTM(2, 2, stateful=True, generator=np.random.default_rng(0))
    tbptt(tg.tensor(np.array([[[1.0, 0.0], [0.0, 1.0]]]), dtype=np.float64))  # window 1: its final state is carried
    window2, _ = tbptt(tg.tensor(np.array([[[1.0, 1.0], [0.5, 0.0]]]), dtype=np.float64, name="xs (window 2)"))
    yield "truncated_bptt_window2", window2.sum(), tbptt, {}

    with tg.default_dtype(np.float64):
        att = AttentionSeq2seq(6, 2, 3, generator=np.random.default_rng(0))
    weights = np.random.default_rng(35)  # unit-scale weights: with the book's small initial ones every encoder state
    for p in att.parameters():  # is ≈ 0, the attention uniform and its gradient ≈ 1e-8
        p.data[...] = 2 * weights.standard_normal(p.shape)
    xs, ts = np.array([[1, 2, 3]]), np.array([[0, 4, 5, 2]])
    yield "attention_seq2seq", att(xs, ts), att, id_words(xs, ts)
    yield "attention_seq2seq_rolled", att(xs, ts), att, {"roll": True, **id_words(xs, ts)}

    hs = t([[[1.0, 0.0], [0.0, 2.0], [0.5, -0.5]]], "hs")  # rows of different sums: the gradient into the weights is not 0
    hq = t([[2.0, 1.0]], "h")
    yield "attention", (Attention()(hs, hq) * t([[1.0, -1.0]], "w", grad=False)).sum(), None, {"expand": {"Attention"}}  # opened; c·w: the weights' gradients are not all 0


def with_gradients(loss: tg.Tensor) -> tg.Tensor:
    """Run backward once, keeping the graph, so that drawings show the gradients (figures that
    share a loss are drawn after the first backward)."""
    if loss.grad_fn is not None and tg.edge_gradients(loss, compute=False) is None:
        loss.backward(retain_graph=True)
    return loss


FLOW_TITLE = ("Untrained LMs, one PTB batch, the last step's loss. LSTM: the gradient\n"
              "shrinks by about f per step; a forget bias of +1 (Jozefowicz et al.)\n"
              "or +2 keeps it. The RNN's Xavier Wh (radius ≈ 1) has not shrunk it\n"
              "yet; its vanishing, Wh scale < 1, is in gradient_flow_wh_scale")


def recurrent_flows(xs: np.ndarray, ts: np.ndarray, vocab_size: int, hidden: int = 100) -> dict[str, np.ndarray]:
    """‖∂L/∂h_t‖ (L: the last step's loss) of untrained RNN, LSTM and GRU language models; the LSTM
    with a forget-gate bias b_f of 0 (f ≈ 0.5), +1 (Jozefowicz et al.) and +2."""
    flows = {}
    for cell, forget_bias in (("rnn", None), ("lstm", 0.0), ("lstm", 1.0), ("lstm", 2.0), ("gru", None)):
        model = Rnnlm(vocab_size, hidden, hidden, cell=cell, generator=0)
        if forget_bias is not None:  # b_f: the first H entries of b (gates f, g, i, o)
            model.rnn.cell_l0.b.data[:hidden] = forget_bias
        logits = model(xs)
        name = {"rnn": "RNN", "gru": "GRU (z ≈ 0.50)"}[cell] if forget_bias is None else \
            f"LSTM, forget bias {forget_bias:+g} (f ≈ {1 / (1 + np.exp(-forget_bias)):.2f})"
        flows[name] = viz.gradient_flow(F.cross_entropy(logits[:, -1], ts[:, -1]), model.rnn.hidden_states)
    return flows


def gradient_flow_figures(out: Path, fmt: str) -> None:
    """‖∂L/∂h_t‖ over time: RNN vs LSTM vs GRU language models on one PTB batch (the loss of the last
    step only), and the textbook's experiment of scaling Wh on a real RNN layer."""
    from tinygrad_nlp.data.datasets import load_ptb

    try:
        corpus = load_ptb("train").ids[:2000]
    except (FileNotFoundError, OSError, ValueError) as e:
        print(f"skipped the PTB gradient-flow figure: {e}")
    else:
        xs, ts = corpus[:700].reshape(20, 35), corpus[1:701].reshape(20, 35)
        flows = recurrent_flows(xs, ts, 10000)
        print("wrote", viz.plot_gradient_flows(flows, out / f"gradient_flow_rnn_lstm_gru.{fmt}", title=FLOW_TITLE))
    flows = {}
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    for scale in (0.5, 1.0, 1.5):
        with tg.default_dtype(np.float64):
            rnn = nn.RNN(4, 16, generator=0)
        rnn.cell_l0.Wh.data = q * scale  # eigenvalues of modulus `scale`: gradients shrink or grow by it per step
        h0 = tg.tensor(rng.standard_normal((1, 1, 16)) * 1e-4, dtype=np.float64)  # small: tanh stays in its linear part
        out_seq, _ = rnn(tg.zeros(1, 20, 4, dtype=np.float64), h0)
        last = (out_seq[:, -1] * tg.tensor(rng.standard_normal((1, 16)), dtype=np.float64)).sum()
        flows[f"Wh scale {scale}"] = viz.gradient_flow(last, rnn.hidden_states)
    print("wrote", viz.plot_gradient_flows(flows, out / f"gradient_flow_wh_scale.{fmt}",
                                            title="RNN layer: vanishing (scale < 1) and exploding (scale > 1) gradients"))


def beam_figure(out: Path, fmt: str, checkpoint: Path) -> None:
    """The beam search of a trained date model (train_seq2seq.py --task date --model attention --reverse --hidden 256)."""
    from tinygrad_nlp.data.datasets import load_date
    from tinygrad_nlp.evaluation.decoding import beam_search

    if not checkpoint.exists():
        print(f"skipped the beam-search figure: no {checkpoint} (train the date model first)")
        return
    data = load_date()
    try:
        model, _ = load_model(checkpoint)
    except ValueError as e:
        print(f"skipped the beam-search figure: {e}")
        return
    x = data.x_test[:1, ::-1].copy()
    _, tree = beam_search(model, x, data.vocab["_"], data.t_test.shape[1] - 1, beam_size=3, return_tree=True)
    question = "".join(data.vocab.decode(data.x_test[0])).strip()
    print("wrote", viz.save(viz.draw_beam(tree, data.vocab, title=f"beam search (3 beams), date task: {question}"),
                            out / f"beam_search_date.{fmt}"))


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--out", type=output_dir, default="runs/gallery", help="folder for the figures")
    ap.add_argument("--format", choices=["png", "svg", "pdf"], default="png", help="file format")
    ap.add_argument("--date-model", default="runs/seq2seq_date_attention_rev/model.npz",
                    help="a trained date model for the beam-search figure (skipped when missing)")


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    for name, loss, names, opts in figures():
        with_gradients(loss)
        path = viz.save(viz.draw(loss, show="both", names=names, **opts), out / f"{name}.{args.format}")
        print("wrote", path)

    if args.format == "png":
        optional_plot(gradient_flow_figures, out, args.format)
    beam_figure(out, args.format, Path(args.date_model))
    lstm = nn.LSTM(100, 100, num_layers=2, generator=np.random.default_rng(0))
    x = tg.randn(20, 35, 100, generator=1)
    loss = with_gradients(lstm(x)[0].sum())
    for suffix, opts in (("unrolled", {}), ("rolled", {"roll": True})):
        t0 = time.perf_counter()
        path = viz.save(viz.draw(loss, names=lstm, values=False, show="both", **opts), out / f"lstm_2x35_{suffix}.{args.format}")
        print(f"wrote {path}: 2-layer LSTM over 35 steps, {suffix}, drawn and rendered in {time.perf_counter() - t0:.2f} s")

