"""Attention seq2seq unrolled on the time grid (figures.md §7), read from the SVG Graphviz draws: one hs
node and one bus out of it, one Attention box per decoder column fed by h_t and giving c_t, the
Affine taking [c_t, h_t], the weights a_t as a heat strip, nothing drawn through hs, no overlapping
labels in a bounded width."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_nlp as tg
import viz
from test_figures_time import SVG, needs_dot, overlaps, png_size, svg_of, text_boxes
from viz.trace import trace
from viz.draw import drawing, name_map


def attention_loss(hidden: int = 8):
    from models import AttentionSeq2seq

    with tg.default_dtype(np.float64):
        model = AttentionSeq2seq(8, 4, hidden, generator=np.random.default_rng(0))
    weights = np.random.default_rng(1)
    for p in model.parameters():  # weights that make the attention differ from step to step
        p.data[...] = weights.standard_normal(p.shape)
    loss = model(np.array([[1, 2, 3, 4]]), np.array([[0, 5, 6, 7]]))
    loss.backward(retain_graph=True)
    return model, loss


def boxes_of(root: ET.Element) -> dict[str, tuple[float, float, float, float, str]]:
    """{node key: (x0, y0, x1, y1, text)} of the drawn nodes (their outline's bounding box); a box spanning the columns,
    its name written at each, gives it once."""
    out = {}
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        shape = next((el for tag in ("polygon", "path") for el in g.iter(SVG + tag)), None)
        if g.get("class") != "node" or title is None or shape is None:
            continue
        pts = [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", shape.get("points") or shape.get("d"))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out[title.text] = (min(xs), min(ys), max(xs), max(ys), " ".join(dict.fromkeys(t.text or "" for t in g.iter(SVG + "text"))))
    return out


def edge_paths(root: ET.Element) -> list[tuple[str, str, list[tuple[float, float]]]]:
    out = []
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") == "edge" and title is not None:
            src, dst = title.text.replace("&#45;", "-").split("->")
            pts = [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", next(g.iter(SVG + "path")).get("d"))]
            out.append((src, dst, pts))
    return out


def crosses(pts: list[tuple[float, float]], box: tuple) -> bool:
    """True when a polyline through `pts` (straight segments: the grid's routes) enters the box."""
    x0, y0, x1, y1 = box[:4]
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):
        for s in np.linspace(0, 1, 25):
            x, y = ax + (bx - ax) * s, ay + (by - ay) * s
            if x0 + 1 < x < x1 - 1 and y0 + 1 < y < y1 - 1:
                return True
    return False


@needs_dot
def test_attention_unrolled_reads_like_the_book():
    model, loss = attention_loss()
    d = drawing(trace(loss, name_map(model)))
    dg = viz.draw(loss, show="both", names=model)
    root = svg_of(dg)
    nodes = boxes_of(root)
    edges = edge_paths(root)
    (hs,) = [k for k, b in nodes.items() if b[4] == "hs"]  # one bundle node
    attention = {k: b for k, b in nodes.items() if b[4].startswith("Attention t=")}
    assert len(attention) == 3  # one box per decoder column
    (affine,) = [k for k, b in nodes.items() if b[4] == "Affine" and any(dst == k for src, dst, _ in edges if src in attention)]
    decoder_cells = set()
    by_key = {(e.src, e.dst): e for e in d.edges}
    for box in attention:
        into = [src for src, dst, _ in edges if dst == box]
        assert sorted(nodes[s][4].split(" ")[0] for s in into) == ["LSTM", "hs"]  # h_t and the bus from hs
        (cell,) = [s for s in into if s != hs]
        decoder_cells.add(cell)
        t = re.search(r"t=(\d+)", attention[box][4]).group(1)
        assert by_key[(box, affine)].name == f"c_{{{t}}}"  # the context out of the box, into the Affine
        assert by_key[(cell, affine)].name == f"h_{{{t}}}"  # and h_t beside it: the Affine reads [c_t, h_t]
        (c_line,) = [pts for src, dst, pts in edges if (src, dst) == (box, affine)]
        (h_line,) = [pts for src, dst, pts in edges if (src, dst) == (cell, affine)]
        assert abs(c_line[-1][0] - h_line[-1][0]) > 10  # two distinct edges, not one vertical
        c_text = [float(t.get("x")) for g in root.iter(SVG + "g") if g.get("class") == "edge"
                  and g.find(SVG + "title").text.replace("&#45;", "-") == f"{box}->{affine}" for t in g.iter(SVG + "text")]
        assert c_text and all(c_line[-1][0] < x < h_line[-1][0] for x in c_text)  # c_t's label between c_t and h_t
    assert sum(e.name == "hs" for e in d.edges) == 1  # one label on the bus
    for src, dst, pts in edges:  # nothing of the decoder is drawn through hs
        if src in decoder_cells or dst in decoder_cells or dst == affine:
            assert not crosses(pts, nodes[hs]), (src, dst)
    strips = [g for g in root.iter(SVG + "g") if g.get("class") == "node" and g.find(SVG + "title").text in attention]
    for g in strips:  # a heat strip: one shaded cell per encoder step, the largest outlined
        fills = {p.get("fill") for p in g.iter(SVG + "polygon")} - {"none", "#fef9e7", "#d5d8dc", "transparent"}
        assert len(fills) >= 2
    assert all(len(w) == 4 and abs(w.sum() - 1) < 1e-9 for w in d.grid.heat.values())
    assert overlaps(text_boxes(root)) == []
    width, _ = png_size(viz.render_bytes(dg, "png"))
    assert width <= 3200  # 4 encoder and 3 decoder columns, their weights between (4459 px before the bus and the fork,
    # 3420 before the labels were stacked)


def test_the_gallery_attention_example_has_gradients_into_its_weights():
    from tinygrad_nlp.cli.gallery import figures, with_gradients

    (loss,) = [loss for name, loss, _, _ in figures() if name == "attention_seq2seq"]
    graph = trace(with_gradients(loss))
    into = [e for e in graph.edges if e.grad is not None and any(getattr(s, "label", "") == "Attention Weight"
                                                                 for s in graph.nodes[e.dst].scope)]
    assert into and max(np.abs(e.grad).max() for e in into) > 1e-2


@pytest.mark.parametrize("expand", [{"Attention"}, True])
def test_an_opened_attention_shows_attention_weight_and_weight_sum(expand):
    model, loss = attention_loss(hidden=4)
    d = drawing(trace(loss, name_map(model)), expand=expand)
    labels = {n.label.split("\n")[0] for n in d.nodes.values() if n.kind == "group"}
    if expand is True:
        assert not any(n.label == "Attention" for n in d.nodes.values())
    else:
        assert {"Attention Weight", "Weight Sum"} <= labels and "Attention" not in labels
        opened = [k for k, n in d.nodes.items() if n.label in ("Attention Weight", "Weight Sum")]
        assert len(opened) == 6 and all(d.grid.span[k][0] == d.grid.span[k][1] for k in opened)  # per decoder column


@needs_dot
def test_the_encoders_last_state_reaches_the_decoder_clear_of_every_node():
    from models import Seq2seq

    with tg.default_dtype(np.float64):
        model = Seq2seq(6, 2, 3, generator=np.random.default_rng(0))
    loss = model(np.array([[1, 2, 3]]), np.array([[0, 4, 5]]))
    loss.backward(retain_graph=True)
    d = drawing(trace(loss, name_map(model)))
    (hand_over,) = [e for e in d.edges if d.grid.rank.get(e.src) == d.grid.rank.get(e.dst)
                    and d.grid.span[e.dst][0] - d.grid.span.get(e.src, (0, 0))[1] > 1]  # encoder t=2 -> decoder t=0
    root = svg_of(viz.draw(loss, show="both", names=model))
    nodes = boxes_of(root)
    (pts,) = [p for src, dst, p in edge_paths(root) if (src, dst) == (hand_over.src, hand_over.dst)]
    assert not [b[4] for k, b in nodes.items() if k not in (hand_over.src, hand_over.dst) and d.nodes[k].kind != "frame"
                and crosses(pts, b)]  # (into the decoder's dashed frame)
    assert overlaps(text_boxes(root)) == []


@needs_dot
def test_an_attention_box_opened_in_the_explorer_names_hs_h_t_a_t_and_c_t():
    from viz.inside import interior_svg
    from tinygrad_nlp import edge_gradients

    model, loss = attention_loss(hidden=4)
    graph = trace(loss, name_map(model))
    box = next(n for n in drawing(graph).nodes.values() if n.label.startswith("Attention"))
    texts = re.findall(r">([^<>]+)</text>", interior_svg(box, graph, True, edge_gradients(loss)))
    assert {"hs", "h_t", "a_t", "c_t"} <= set(texts) and not {"x1", "x2", "y"} & set(texts)


def words_at(root: ET.Element, below: float, above: float | None = None) -> list[tuple[float, str]]:
    """(x of its middle, text) of each one-line text lower than `below` (SVG y grows downwards), or over `above`."""
    return [((x0 + x1) / 2, text) for x0, y0, x1, y1, text in text_boxes(root)
            if (y0 > below if above is None else y1 < above and y0 > above - 40)]


def cells(nodes: dict, module: str) -> list[float]:
    """The x of a module's LSTM boxes (one per drawn column), left to right."""
    return sorted((b[0] + b[2]) / 2 for k, b in nodes.items() if f"{module}_rnn" in k and b[4].startswith("LSTM"))


@needs_dot
def test_a_seq2seq_models_words_under_its_encoder_and_decoder_columns_and_targets_over_the_loss():
    model, loss = attention_loss()
    tokens = {"encoder": ["pad", "pad", "c", "d"], "decoder": ["_", "x", "y"]}  # the encoder's steps 0, 1: padding
    root = svg_of(viz.draw(loss, names=model, padding={"encoder": range(2)}, tokens=tokens, targets={"decoder": ["x", "y", "z"]}))
    nodes = boxes_of(root)
    embedding = max(b[3] for b in nodes.values() if b[4] == "Embedding")
    loss_top = next(b[1] for b in nodes.values() if b[4] == "Softmax with Loss")
    encoder, decoder = cells(nodes, "encoder"), cells(nodes, "decoder")
    assert len(encoder) == 3 and len(decoder) == 3  # the padding box, t=2, t=3
    under = sorted(words_at(root, embedding))
    assert [w for _, w in under] == ["c", "d", "_", "x", "y"]  # in reading order; nothing under the padding box
    for (x, _), column in zip(under, encoder[1:] + decoder):
        assert abs(x - column) <= 3
    over = sorted((x, w) for x, w in words_at(root, embedding, above=loss_top) if ": " in w)
    assert [w for _, w in over] == ["t₀: x", "t₁: y", "t₂: z"]
    for t, (x, _) in enumerate(over):  # left of its decoder column, right of the column before
        assert (decoder[t - 1] if t else encoder[-1]) < x < decoder[t]
    with pytest.raises(ValueError, match=r"tokens\['decoder'\] has 4 words, expected at most one per time step \(3\)"):
        viz.draw(loss, names=model, tokens={"decoder": list("abcd")})
    with pytest.raises(ValueError, match=r"targets names 'decoderr', not a module with time steps; expected one of .*'encoder'"):
        viz.draw(loss, names=model, targets={"decoderr": ["x"]})


@needs_dot
def test_the_draw_command_writes_a_date_models_characters_as_the_model_reads_them(tmp_path):
    from test_explore import small_date_checkpoint
    from tinygrad_nlp.cli.checks import load_checkpoint
    from tinygrad_nlp.cli.draw import model_loss

    model, ckpt = load_checkpoint(small_date_checkpoint(tmp_path / "model.npz"))
    loss, opts = model_loss(model, ckpt, "may 5, 2001")
    answer = opts["attention"][2]
    assert opts["tokens"]["encoder"] == list("may 5, 2001".ljust(29))[::-1]  # reversed, as the checkpoint says
    assert opts["tokens"]["decoder"] == ["_"] + answer[:-1] and opts["targets"] == {"decoder": answer}
    opts.pop("attention"), opts.pop("steps")
    page = viz.explore(loss, names=model, **opts).html  # the explorer's graph writes them too
    for root in (svg_of(viz.draw(loss, names=model, **opts)), ET.fromstring(re.search(r"<svg.*</svg>", page, re.S).group(0))):
        nodes = boxes_of(root)
        embedding = max(b[3] for b in nodes.values() if b[4] == "Embedding")
        columns = cells(nodes, "encoder") + cells(nodes, "decoder")
        under = [w for x, w in sorted(words_at(root, embedding)) if min(abs(x - c) for c in columns) <= 3]  # (not a leaf's label)
        assert "".join(under) == "1002␣,5␣yam" + "_" + "".join(answer[:-1])  # the 18 padding steps: one box, no word
        assert len(cells(nodes, "encoder")) == 12
