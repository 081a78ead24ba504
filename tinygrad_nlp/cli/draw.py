"""Draw a computation graph to a file: one of the gallery's small figures, or the graph of a
checkpoint's model on a short input. Forward values are on the edges and, in red, the gradients
that came back; layers are one node with the textbook's name unless --expand opens them.

    tinygrad-nlp draw --list                                         # the built-in figures
    tinygrad-nlp draw --figure lstm_cell --out lstm_cell.svg
    tinygrad-nlp draw runs/rnnlm/best.npz --prefix "the stock market" --out rnnlm.svg
    tinygrad-nlp draw runs/seq2seq_date_attention_rev/model.npz --prefix "may 5, 2001" --out date.png

For a language model the loss is that of predicting each next token of --prefix; for a seq2seq
model, that of its own greedy answer to the question --prefix.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

import tinygrad_nlp as tg
import viz
from models.fixed_window_lm import windows
from tinygrad_nlp.data.text import Vocab
from viz.trace import trace
from tinygrad_nlp.engine.modes import Group
from tinygrad_nlp.evaluation.decoding import greedy
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.runs import echo

from .checks import FlagError, conflict, input_file, load_checkpoint, output_file, text
from .decode import encode
from .gallery import figures, with_gradients

MAX_PREFIX = 100  # tokens: a longer input draws slowly (200 words: 7 s, 500: 54 s) into an unreadable figure
EXAMPLE_QUESTIONS = {"addition": "16+75", "date": "may 5, 2001"}  # the default --prefix of a seq2seq model

def add_source_arguments(ap: argparse.ArgumentParser) -> None:
    """What to draw: the flags `draw` and `explore` share."""
    ap.add_argument("checkpoint", nargs="?", type=input_file("checkpoint"), help="a checkpoint written by train-lm or train-seq2seq (default: none, draw --figure)")
    ap.add_argument("--figure", help="a built-in figure, see --list (default: two_layer_net when no checkpoint is given)")
    ap.add_argument("--list", action="store_true", help="list the built-in figures and exit")
    ap.add_argument("--prefix", type=text(MAX_PREFIX * 10), help="the input for a checkpoint's model: text for a language model, a question for "
                                     "a seq2seq model (default: 'the meaning of life', or '16+75' / 'may 5, 2001' for the addition / date task)")
    ap.add_argument("--expand", nargs="*", metavar="NAME", help="open these composite nodes, e.g. LSTM sigmoid "
                                                                "(default: closed; --expand alone opens all)")
    ap.add_argument("--roll", action="store_true", help="draw recurrent layers rolled (one cell and a loop), not unrolled")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_source_arguments(ap)
    ap.add_argument("--show", choices=["forward", "backward", "both"], default="both",
                    help="forward values, backward gradients or both on each edge")
    ap.add_argument("--out", type=output_file(".svg", ".png", ".pdf", ".dot"), default="graph.svg",
                    help="the file to write; its suffix (.svg .png .pdf .dot) is the format")


def model_loss(model: Any, ckpt: dict, prefix: str | None) -> tuple[tg.Tensor, dict]:
    """A checkpoint's model on a short input: (loss, keyword arguments for viz.explore)."""
    vocab = Vocab.from_dict(ckpt["vocab"])
    if "question_width" in ckpt:  # a seq2seq model written by train-seq2seq
        question = prefix or EXAMPLE_QUESTIONS.get(ckpt.get("settings", {}).get("task"))
        if not question:
            raise FlagError("--prefix", None, "give a question for this seq2seq model (its task is not recorded)")
        x = encode([question], vocab, ckpt["question_width"], "--prefix")
        x = x[:, ::-1].copy() if ckpt["reverse"] else x
        start = vocab[ckpt["start_char"]]
        answer = greedy(model, x, start, ckpt["answer_length"])
        ys = np.concatenate([[[start]], answer], axis=1)
        loss = model(x, ys)
        width, length = x.shape[1], min(len(question), x.shape[1])
        extra = {} if hasattr(model, "attention_maps") else {"steps": width + ys.shape[1]}  # a Transformer has no time steps
        if length < width and extra:  # the explorer steps through the encoder's padding at once
            extra["padding"] = {"encoder": range(width - length) if ckpt["reverse"] else range(length, width)}
        if "steps" in extra:  # the characters under the columns, as the model reads them, and the answer it is scored on
            extra["tokens"] = {"encoder": vocab.decode(x[0]), "decoder": vocab.decode(ys[0, :-1])}
            extra["targets"] = {"decoder": vocab.decode(ys[0, 1:])}
        if hasattr(model.decoder, "weights"):  # the attention heatmap of this very pass, over the question as written
            weights = np.stack([a.data[0] for a in model.decoder.weights])
            weights = weights[:, ::-1] if ckpt["reverse"] else weights  # (the model read it reversed)
            extra["attention"] = (weights[:, :length], list(question[:length]), vocab.decode(answer[0]))  # no padding
        return loss, extra
    level = ckpt.get("level", "word")
    sentence = prefix or "the meaning of life"
    tokens = list(sentence) if level == "char" else sentence.split()
    if len(tokens) > MAX_PREFIX:
        raise FlagError("--prefix", sentence, f"has {len(tokens):,} tokens; a drawing takes at most {MAX_PREFIX}")
    unknown = sorted({t for t in tokens if t not in vocab})
    if unknown:
        raise FlagError("--prefix", sentence, f"has tokens outside the model's vocabulary: {echo(' '.join(unknown))}")
    ids = vocab.lookup(tokens)
    if type(model).__name__ == "FixedWindowLM":
        xs, ts = windows(ids, model.context)
        return F.cross_entropy(model(xs), ts), {}
    if type(model).__name__ in ("SentenceClassifier", "Tagger"):  # the loss of its own prediction, as a seq2seq model's
        with tg.no_grad():
            predicted = model(ids[None]).data.argmax(axis=-1)
        return F.cross_entropy(model(ids[None]), predicted), {"steps": len(ids)}
    if len(ids) < 2:
        raise FlagError("--prefix", sentence, "expected at least 2 tokens (the loss predicts each next one)")
    if hasattr(model, "reset_state"):
        model.reset_state()
    words = {"tokens": tokens[:-1], "targets": tokens[1:]}  # drawn under the columns and over Softmax with Loss
    return F.cross_entropy(model(ids[None, :-1]), ids[None, 1:]), words if hasattr(model, "attention_maps") else {**words, "steps": len(ids) - 1}


WIDE = 10  # time steps beyond which an unrolled drawing gets a hint to --roll


def check_source(args: argparse.Namespace) -> None:
    """The source flags of draw and explore, checked together."""
    conflict(args, "--figure", "checkpoint", " (draw one or the other)")
    conflict(args, "--prefix", "--figure", " (--prefix is the input of a checkpoint's model)")


def composite_names(loss: tg.Tensor) -> set[str]:
    """What --expand can open in this graph: the names, labels and titles of its composite nodes."""
    groups = {g for node in trace(loss).nodes.values() for g in node.scope if isinstance(g, Group)}
    return {name for g in groups for name in (g.name, g.label, g.title) if name}


def graph_source(args: argparse.Namespace) -> tuple[tg.Tensor, Any, dict]:
    """(loss with its gradients, names for the nodes, drawing options) chosen by the source flags;
    a bad choice is a one-line error (exit code 2)."""
    expand = True if args.expand == [] else (set(args.expand) if args.expand else None)
    opts = {"expand": expand, "roll": args.roll}
    if args.checkpoint:
        model, ckpt = load_checkpoint(args.checkpoint)
        loss, extra = model_loss(model, ckpt, args.prefix)
        steps = extra.pop("steps", 0)
        if steps > WIDE and not args.roll:
            print(f"note: {steps} time steps drawn unrolled make a wide drawing; --roll draws each recurrent layer once",
                  file=sys.stderr)
        loss, names, opts = loss, model, {**opts, **extra}
    else:
        name = args.figure or "two_layer_net"
        found = [(loss, names, fig_opts) for fig, loss, names, fig_opts in figures() if fig == name]
        if not found:
            raise FlagError("--figure", name, f"expected one of: {', '.join(f for f, *_ in figures())}")
        loss, names, fig_opts = found[0]
        opts = {**fig_opts, **{k: v for k, v in opts.items() if v}}
    unknown = sorted(set(args.expand or ()) - composite_names(loss))
    if unknown:
        raise FlagError("--expand", " ".join(unknown),
                        f"not a composite node of this graph; it has: {', '.join(sorted(composite_names(loss))) or 'none'}")
    return with_gradients(loss), names, opts


def list_figures() -> None:
    print("\n".join(name for name, *_ in figures()))


def check(args: argparse.Namespace) -> None:
    check_source(args)


def run(args: argparse.Namespace) -> None:
    if args.list:
        return list_figures()
    loss, names, opts = graph_source(args)
    opts.pop("attention", None)  # the heatmap is the explorer's; the padding steps are drawn as one box
    try:
        path = viz.save(viz.draw(loss, show=args.show, names=names, **opts), args.out)
    except (ValueError, viz.GraphvizNotFound) as e:
        raise FlagError("--out", args.out, str(e)) from None
    print("wrote", path)
