"""Train the textbook's seq2seq models and print predictions in its style (Q 77+85 T 162 ☑ 162).

    tinygrad-nlp train-seq2seq --task addition --model peeky --reverse      # 25 epochs
    tinygrad-nlp train-seq2seq --task addition --model baseline
    tinygrad-nlp train-seq2seq --task date --model attention --reverse --epochs 3 --hidden 256
    tinygrad-nlp decode runs/seq2seq_date_attention_rev/model.npz "september 27, 1994"   # then use it
    tinygrad-nlp train-seq2seq --task date --model transformer               # 2+2 layers, d 64, 4 heads

Per epoch: test accuracy (greedy decoding), time; at the end a curve plot, a JSON of the history,
for attention models heatmaps of three test examples, and model.npz, a checkpoint that describes
itself (model class and sizes, vocabulary, --reverse, widths) for `decode` (--out, default
runs/seq2seq_<task>_<model>[_rev]).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import tinygrad_nlp as tg
from tinygrad_nlp.data.datasets import load_addition, load_date
from tinygrad_nlp.evaluation.decoding import beam_search, greedy
from tinygrad_nlp.evaluation.metrics import accuracy
from tinygrad_nlp.files import atomic_write
from tinygrad_nlp.heap import keep_freed_memory
from tinygrad_nlp.runs import add_run_arguments, bounded, open_run, positive_float, positive_int, run_settings
from tinygrad_nlp.trainer import Progress, format_duration

from .checks import SEED, FlagError, check_memory, conflict, optional_plot, read_data, run_folder
from .decode import add_beam_arguments, check_beam

MODELS = {"baseline": "Seq2seq", "peeky": "PeekySeq2seq", "attention": "AttentionSeq2seq", "transformer": "TransformerSeq2seq"}
# the flags left unset: the recurrent models' defaults, or the Transformer's preset
PRESETS = {"recurrent": dict(hidden=128, epochs=25, lr=0.001), "transformer": dict(hidden=64, epochs=3, lr=0.002)}


def show(vocab, q, t, guess, reverse: bool) -> str:
    qs = "".join(vocab.decode(q[::-1] if reverse else q)).strip()
    ts, gs = "".join(vocab.decode(t[1:])).strip(), "".join(vocab.decode(guess)).strip()
    return f"Q {qs:<30} T {ts:<12} {'☑' if ts == gs else '☒'} {gs}"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--task", choices=["addition", "date"], default="addition", help="the toy task (addition.txt, date.txt)")
    ap.add_argument("--model", choices=sorted(MODELS), default="peeky",
                    help="Seq2seq, PeekySeq2seq, AttentionSeq2seq or TransformerSeq2seq; presets for the flags left unset: "
                         + "; ".join(f"{k}: {', '.join(f'{n} {v}' for n, v in p.items())}" for k, p in PRESETS.items()))
    ap.add_argument("--reverse", action="store_true", help="feed the question reversed")
    ap.add_argument("--epochs", type=positive_int, help="passes over the training pairs (default: the --model preset)")
    ap.add_argument("--max-steps", type=positive_int, default=None, help="stop each epoch after this many steps (smoke runs)")
    ap.add_argument("--wordvec", type=positive_int, default=16, help="character embedding size")
    ap.add_argument("--hidden", type=positive_int, help="hidden size of encoder and decoder, d_model of the Transformer "
                                                        "(default: the --model preset)")
    ap.add_argument("--heads", type=positive_int, default=4, help="Transformer: attention heads")
    ap.add_argument("--layers", type=positive_int, default=2, help="Transformer: encoder layers and decoder layers")
    ap.add_argument("--dropout", type=bounded(float, 0.0, 0.99), default=0.0, help="Transformer: dropout")
    ap.add_argument("--norm-first", action="store_true", help="Transformer: pre-norm layers (post-norm, the paper's, by default)")
    ap.add_argument("--batch", type=positive_int, default=128, help="pairs per batch")
    ap.add_argument("--clip", type=positive_float, default=5.0, help="gradient clipping, global norm")
    ap.add_argument("--lr", type=positive_float, help="Adam's learning rate (default: the --model preset)")
    ap.add_argument("--adam", choices=["textbook", "torch"], default="textbook",
                    help="Adam's eps rule: the textbook's (eps 1e-7 before bias correction) or torch's (1e-8 after)")
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm", help="recurrent cell")
    ap.add_argument("--score", choices=["dot", "scaled_dot", "additive"], help="attention score, --model attention only (default: dot)")
    add_beam_arguments(ap)  # each epoch also reports the test accuracy of a beam search of this size
    ap.add_argument("--seed", type=SEED, default=0, help="random seed (weights, data order)")
    add_run_arguments(ap, None, "the task's text file", "runs/seq2seq_<task>_<model>[_rev]")


TASKS = {"addition": (13, 7, 5), "date": (59, 29, 11)}  # the textbook files' characters, question and answer widths


def memory_estimate(args: argparse.Namespace) -> tuple[float, float]:
    """Bytes for the weights (with gradients and Adam's two moments) and for one batch's activations
    with their gradients, in float32: per example and time step about 32 H for an LSTM step (its
    four gates and what they feed), 4 E for the embedding, 4 V for the decoder's scores, and with
    attention 4 H per encoder step at each decoder step (checked against measured peaks: tests/test_cli_memory.py)."""
    (V, Q, A), E, H = TASKS[args.task], args.wordvec, args.hidden
    weights = 2 * (V * E + 4 * H * (E + 2 * H + 2)) + 2 * H * V  # encoder, decoder (peeky: H more inputs), affine
    per_example = (Q + A) * (32 * H + 4 * E) + A * 4 * V + (A * Q * 4 * H if args.model == "attention" else 0)
    return 16.0 * weights, 4.0 * args.batch * per_example


def check(args: argparse.Namespace) -> None:
    for k, v in PRESETS["transformer" if args.model == "transformer" else "recurrent"].items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.model == "transformer" and args.hidden % args.heads:
        raise FlagError("--heads", args.heads, f"must divide --hidden {args.hidden} (each head reads hidden / heads columns)")
    if args.model != "attention" and args.score:
        raise FlagError("--score", args.score, f"only --model attention scores, not --model {args.model}")
    args.score = args.score or "dot"
    check_beam(args)
    conflict(args, "--resume", "--overwrite")
    check_memory(args, *memory_estimate(args), f"--hidden {args.hidden}, --wordvec {args.wordvec} and --batch {args.batch}")
    args.out = args.out or f"runs/seq2seq_{args.task}_{args.model}{'_rev' if args.reverse else ''}"
    run_folder(args)


def run(args: argparse.Namespace) -> None:
    import viz
    from models import build_model, save_model

    keep_freed_memory()  # each step's large arrays stay with the process (tinygrad_nlp/heap.py)
    out = Path(args.out)
    tg.manual_seed(args.seed)
    data = read_data(args, load_addition if args.task == "addition" else load_date, args.data, verify=not args.no_verify)
    if args.batch > len(data.x_train):
        raise FlagError("--batch", args.batch, f"is larger than the {len(data.x_train)} training examples")
    ckpt = open_run(out, args.resume, args.overwrite)
    vocab = data.vocab
    x_train, x_test = (data.x_train[:, ::-1].copy(), data.x_test[:, ::-1].copy()) if args.reverse else (data.x_train, data.x_test)
    t_train, t_test = data.t_train, data.t_test
    start_id, out_len = vocab["_"], t_test.shape[1] - 1
    if args.model == "transformer":
        model, config = build_model(MODELS[args.model], vocab_size=len(vocab), d_model=args.hidden, nhead=args.heads,
                                    num_encoder_layers=args.layers, num_decoder_layers=args.layers, dim_feedforward=4 * args.hidden,
                                    dropout=args.dropout, max_len=max(x_test.shape[1], out_len), norm_first=args.norm_first,
                                    generator=args.seed)
    else:
        kwargs = dict(score=args.score) if args.model == "attention" else {}
        model, config = build_model(MODELS[args.model], vocab_size=len(vocab), wordvec_size=args.wordvec, hidden_size=args.hidden,
                                    cell=args.cell, generator=args.seed, **kwargs)
    # what `decode` needs besides the weights: the vocabulary, the question layout, the answer length
    described = dict(vocab=vocab.to_dict(), reverse=args.reverse, question_width=x_test.shape[1], answer_length=out_len,
                     start_char="_", settings=run_settings(args))
    if args.adam == "textbook":  # DLFS2's common/optimizer.Adam: eps 1e-7 added before the bias correction
        optimizer = tg.optim.Adam(model.parameters(), lr=args.lr, eps=1e-7, eps_before_correction=True)
    else:
        optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    iters = min(len(x_train) // args.batch, args.max_steps or len(x_train))
    print(f"{args.task} / {args.model}{' / reversed' if args.reverse else ''}: {model.num_parameters():,} parameters, "
          f"{len(x_train):,} train / {len(x_test):,} test, {iters} steps per epoch")
    history, start = [], 1
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        history, start = list(ckpt["history"]), int(ckpt["epoch"]) + 1
        print(f"resumed from {out / 'last.npz'} after epoch {start - 1}")
    for _ in range(1, start):
        rng.permutation(len(x_train))  # the data order of the epochs already done
    for epoch in range(start, args.epochs + 1):
        model.train()
        progress = Progress(iters, max(iters // 4, 1), unit="examples")
        order = rng.permutation(len(x_train))
        t0 = time.perf_counter()
        for i in range(iters):
            idx = order[i * args.batch:(i + 1) * args.batch]
            loss = model(x_train[idx], t_train[idx])
            optimizer.zero_grad()
            loss.backward()
            tg.nn.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            progress.update(i + 1, loss.item(), len(idx), prefix=f"epoch {epoch} | ")
        seconds = time.perf_counter() - t0
        guess = greedy(model, x_test, start_id, out_len)
        acc = accuracy(guess, t_test[:, 1:])
        record = dict(epoch=epoch, accuracy=acc, seconds=seconds)
        if args.beam:
            beams = beam_search(model, x_test, start_id, out_len, beam_size=args.beam, length_penalty=args.length_penalty)
            record["beam_accuracy"] = accuracy(beams, t_test[:, 1:])
        history.append(record)
        for k in range(3):
            print(show(vocab, x_test[k], t_test[k], guess[k], args.reverse))
        beam = f" | beam {args.beam}: {record['beam_accuracy']:.2%}" if args.beam else ""
        print(f"epoch {epoch}: test accuracy {acc:.2%}{beam} | {format_duration(seconds)} of training")
        atomic_write(out / "history.json", json.dumps(history, indent=1))
        save_model(out / "last.npz", model, config, **described, optimizer=optimizer.state_dict(), epoch=epoch, history=history)
    optional_plot(viz.plot_curves, {f"{args.model}{' reversed' if args.reverse else ''}": [h["accuracy"] for h in history]},
                  out / "accuracy.png", ylabel="test accuracy", ylim=(0, 1))
    save_model(out / "model.npz", model, config, **described, epoch=history[-1]["epoch"] if history else 0, history=history)
    if args.model == "transformer":
        plot_transformer_attention(model, vocab, x_test, t_test, start_id, out_len, out)
    if args.model == "attention":
        model.eval()
        for k in range(3):  # decode, then run the decoder over its own output to read the weights of every step
            ids = np.concatenate([[start_id], greedy(model, x_test[k:k + 1], start_id, out_len)[0]])
            with tg.no_grad():
                state, enc = model.encode(x_test[k:k + 1])
                model.decode_step(ids[None, :-1], state, enc)
            w = np.stack([a.data[0] for a in model.decoder.weights])
            path = optional_plot(viz.plot_attention, w, vocab.decode(x_test[k]), vocab.decode(ids[1:]), out / f"attention_{k}.png",
                                 title="".join(vocab.decode(t_test[k][1:])))
            if path:
                print("attention map:", path)


def plot_transformer_attention(model, vocab, x_test, t_test, start_id: int, out_len: int, out: Path) -> None:
    """Three test examples: every head of every layer over the source (cross-attention) and the decoder's masked
    self-attention, after decoding the answer and running the decoder over it once."""
    import viz  # as run(): the command starts without loading the drawing code

    model.eval()
    for k in range(3):
        ids = np.concatenate([[start_id], greedy(model, x_test[k:k + 1], start_id, out_len)[0]])
        with tg.no_grad():
            model.decode(ids[None, :-1], model.encode(x_test[k:k + 1])[1])
        maps, question, answer = model.attention_maps(), vocab.decode(x_test[k]), vocab.decode(ids[1:])
        title = "".join(vocab.decode(t_test[k][1:]))
        paths = [optional_plot(viz.plot_attention_heads, maps["cross"][:, 0], question, answer, out / f"attention_{k}.png",
                               title=f"{title}: decoder → source"),
                 optional_plot(viz.plot_attention_heads, maps["decoder"][:, 0], vocab.decode(ids[:-1]), answer,
                               out / f"self_attention_{k}.png", title=f"{title}: decoder → itself (causal mask)")]
        if all(paths):
            print("attention maps:", *paths)
