"""Write the interactive explorer page for a graph: step through the forward and backward pass,
click a node for its formula, value and gradient, open layers in place.

    tinygrad-nlp explore --figure lstm_cell --out lstm_cell.html
    tinygrad-nlp explore runs/rnnlm/best.npz --prefix "the stock market" --out rnnlm.html
    tinygrad-nlp explore runs/seq2seq_date_attention_rev/model.npz --out date.html   # with its attention map

Open the page in a browser; it needs no server and no internet.
"""
from __future__ import annotations

import argparse

import viz

from .checks import output_file
from .draw import add_source_arguments, check_source, graph_source, list_figures


def add_arguments(ap: argparse.ArgumentParser) -> None:
    add_source_arguments(ap)
    ap.add_argument("--check", action="store_true", help="check each node's backward against central differences on the page")
    ap.add_argument("--out", type=output_file(".html", ".htm"), default="explore.html", help="the page to write")


def check(args: argparse.Namespace) -> None:
    check_source(args)


def run(args: argparse.Namespace) -> None:
    if args.list:
        return list_figures()
    loss, names, opts = graph_source(args)
    viz.explore(loss, args.out, names=names, check=args.check, **opts)
    print("wrote", args.out, "(open it in a browser)")
