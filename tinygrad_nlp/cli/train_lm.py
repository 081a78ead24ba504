"""Train an RNN language model on Penn Treebank (the textbook's settings by default), then
generate text.

    tinygrad-nlp train-lm                                  # Rnnlm: LSTM 100/100, SGD lr 20, clip 0.25, 4 epochs
    tinygrad-nlp train-lm --model better --epochs 40 --resume   # BetterRnnlm 2x650, dropout 0.5, tied
    tinygrad-nlp train-lm --model rnn|gru ...              # SimpleRnnlm / GRU LM
    tinygrad-nlp train-lm --corpus timemachine             # char-level LSTM LM on The Time Machine
    tinygrad-nlp train-lm --model onehot                   # d2l's one-hot char RNN (no embedding), same text
    tinygrad-nlp train-lm --model transformer              # decoder-only Transformer LM, d 100, 2 layers, 4 heads

Progress (loss, perplexity, words/s or chars/s, ETA) as a bar on a terminal (with the `cli` extra's
tqdm), else a line every --log-every steps; validation perplexity
after each epoch; the best model so far is checkpointed atomically to --out/best.npz and the
latest state (model, optimizer, epoch, lr) to --out/last.npz, from which --resume continues.
The learning rate is divided by 4 when validation perplexity gets worse (BetterRnnlm's rule).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import tinygrad_nlp as tg
from tinygrad_nlp.data.batches import num_sequential_batches, sequential_batches
from tinygrad_nlp.data.datasets import load_ptb, load_timemachine
from tinygrad_nlp.evaluation.generate import generate
from tinygrad_nlp.evaluation.perplexity import perplexity
from tinygrad_nlp.files import atomic_write
from tinygrad_nlp.heap import keep_freed_memory
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.runs import add_run_arguments, integer, number, open_run, positive_float, positive_int, run_settings
from tinygrad_nlp.trainer import Progress, format_duration

from .checks import PTB_READ, SEED, FlagError, check_memory, conflict, optional_plot, read_data, run_folder
from .generate import as_text

PRESETS = {
    "rnnlm": dict(wordvec=100, hidden=100, lr=20.0, epochs=4, dropout=0.0),
    "char": dict(wordvec=32, hidden=256, lr=0.005, epochs=20, dropout=0.0, optim="adam", clip=1.0, batch=32),
    "onehot": dict(hidden=512, lr=0.005, epochs=20, dropout=0.0, optim="adam", clip=1.0, batch=32),
    "better": dict(wordvec=650, hidden=650, lr=20.0, epochs=40, dropout=0.5),
    "rnn": dict(wordvec=100, hidden=100, lr=0.1, epochs=4, dropout=0.0),
    "gru": dict(wordvec=100, hidden=100, lr=20.0, epochs=4, dropout=0.0),
    "sgru": dict(wordvec=100, hidden=100, lr=5.0, epochs=4, dropout=0.0),  # lr 20 diverges: no reset gate
    # d_model 100 (--wordvec), feed-forward 200 (--hidden): about the Rnnlm's 2.09M parameters
    "transformer": dict(wordvec=100, hidden=200, lr=0.001, epochs=4, dropout=0.1, optim="adam", clip=1.0),
}


def build(name: str, vocab_size: int, args: argparse.Namespace):
    """The model and the config that describes it (saved in every checkpoint)."""
    from models import build_model

    if name == "onehot":
        return build_model("OneHotRnnlm", vocab_size=vocab_size, hidden_size=args.hidden, generator=args.seed)
    if name == "transformer":
        return build_model("TransformerLM", vocab_size=vocab_size, d_model=args.wordvec, dim_feedforward=args.hidden,
                           dropout=args.dropout, max_len=2 * args.time, generator=args.seed)
    if name == "better":
        return build_model("BetterRnnlm", vocab_size=vocab_size, wordvec_size=args.wordvec, hidden_size=args.hidden,
                           dropout=args.dropout, generator=args.seed)
    cell = {"rnnlm": "lstm", "char": "lstm", "rnn": "rnn", "gru": "gru", "sgru": "sgru"}[name]
    return build_model("Rnnlm", vocab_size=vocab_size, wordvec_size=args.wordvec, hidden_size=args.hidden, cell=cell,
                       dropout=args.dropout, generator=args.seed)


def sample_text(model, vocab, args: argparse.Namespace, final: bool = False) -> str:
    """Text generated from the textbook's prefixes (the model runs in eval mode, its state reset)."""
    if args.corpus == "timemachine":
        temperatures = (0.5, 1.0) if final else (0.5,)
        texts = []
        for temperature in temperatures:
            ids = generate(model, "time traveller", length=200 if final else 100, vocab=vocab, level="char", seed=args.seed,
                           temperature=temperature, skip_ids=[vocab["<unk>"]])
            texts.append(f"--- generated after 'time traveller' (temperature {temperature}):\ntime traveller{''.join(vocab.decode(ids))}")
        return "\n".join(texts)
    skip = [vocab.word_to_id[w] for w in ("<unk>", "N") if w in vocab]
    prefixes = [p for p in ("you", "the stock market") if all(w in vocab for w in p.split())]
    texts = []
    for prefix in (prefixes or [vocab.id_to_word[0]])[: 2 if final else 1]:  # a custom corpus may lack the textbook's prefixes
        ids = generate(model, prefix, length=40 if final else 25, vocab=vocab, skip_ids=skip, seed=args.seed, top_k=50)
        texts.append(f"--- generated after '{prefix}':\n{as_text(prefix.split() + vocab.decode(ids), 'word')}")
    return "\n".join(texts)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    presets = "; ".join(f"{k}: {', '.join(f'{n} {v}' for n, v in p.items())}" for k, p in PRESETS.items())
    ap.add_argument("--model", choices=sorted(PRESETS), default="rnnlm",
                    help=f"rnnlm/rnn/gru/sgru: Rnnlm with an LSTM/RNN/GRU/Ng's simplified GRU; better: BetterRnnlm; char: LSTM over characters; "
                         f"onehot: d2l's one-hot char RNN; transformer: TransformerLM (--wordvec is d_model, --hidden the "
                         f"feed-forward size; it attends over --time words and the --time before them). Presets for the flags left unset: {presets}")
    preset = "default: the --model preset"
    ap.add_argument("--wordvec", type=positive_int, help=f"embedding size ({preset})")
    ap.add_argument("--hidden", type=positive_int, help=f"hidden size ({preset})")
    ap.add_argument("--dropout", type=number(0.0, 0.99), help=f"dropout probability ({preset})")
    ap.add_argument("--lr", type=positive_float, help=f"learning rate ({preset})")
    ap.add_argument("--epochs", type=positive_int, help=f"epochs ({preset})")
    ap.add_argument("--corpus", choices=["ptb", "timemachine"],
                    help="the training text (default: timemachine for --model char/onehot, else ptb)")
    ap.add_argument("--optim", choices=["sgd", "adam"], help=f"optimizer ({preset}; else sgd)")
    ap.add_argument("--batch", type=positive_int, help=f"sequences per batch ({preset}; else 20)")
    ap.add_argument("--time", type=integer(1, 10_000), default=35, help="truncated-BPTT window (time steps per batch)")
    ap.add_argument("--clip", type=positive_float, help=f"gradient clipping, global norm ({preset}; else 0.25)")
    ap.add_argument("--seed", type=SEED, default=0, help="random seed (weights, dropout, sampling)")
    ap.add_argument("--log-every", type=positive_int, default=100, help="steps between progress lines (not on a terminal)")
    ap.add_argument("--max-steps", type=positive_int, default=None, help="stop each epoch after this many steps (smoke runs)")
    add_run_arguments(ap, None, "the corpus files", "runs/<model>; runs/char for --corpus timemachine")
    ap.add_argument("--no-test", action="store_true", help="skip the test-set perplexity at the end")


VOCAB_BOUND = {"ptb": 10_000, "timemachine": 100}  # PTB's words; The Time Machine's characters (28), generously


def memory_estimate(args: argparse.Namespace) -> tuple[float, float]:
    """Bytes for the weights (with gradients and Adam's two moments) and for the corpus and one
    batch's activations (the logits over the vocabulary dominate), in float32."""
    V, H, layers = VOCAB_BOUND[args.corpus], args.hidden, 2 if args.model == "better" else 1
    E = V if args.model == "onehot" else args.wordvec
    weights = V * E + layers * 4 * H * (E + H + 2) + H * V + V
    per_token = 4 * V + 12 * layers * H + 2 * E
    return 16.0 * weights, (PTB_READ if args.corpus == "ptb" else 0) + 4.0 * args.batch * args.time * per_token


def check(args: argparse.Namespace) -> None:
    """The presets filled in, then the flags checked together, before any data is read."""
    if args.model in ("char", "onehot"):  # the character-level LMs are Time Machine models
        if args.corpus == "ptb":
            raise FlagError("--corpus", "ptb", f"--model {args.model} is a character-level LM of --corpus timemachine")
        args.corpus = "timemachine"
    args.corpus = args.corpus or "ptb"
    preset = PRESETS["char" if args.corpus == "timemachine" and args.model in ("rnnlm", "char") else args.model]
    for k, v in {"optim": "sgd", "clip": 0.25, "batch": 20, **preset}.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    args.out = args.out or f"runs/{'char' if args.model == 'rnnlm' and args.corpus == 'timemachine' else args.model}"
    conflict(args, "--resume", "--overwrite")
    sizes = f"--hidden {args.hidden}" + (f", --wordvec {args.wordvec}" if args.wordvec else "")
    check_memory(args, *memory_estimate(args), f"--model {args.model} with {sizes}, --batch {args.batch} and --time {args.time}")
    run_folder(args)


def load_corpus(args: argparse.Namespace):
    """(train, valid, test, vocab) of --corpus; a missing or wrong file is a one-line error naming --data."""
    if args.corpus == "ptb":
        train, vocab = read_data(args, load_ptb, "train", args.data, verify=not args.no_verify)  # ids, Vocab
        valid, test = (read_data(args, load_ptb, split, args.data, verify=not args.no_verify).ids for split in ("valid", "test"))
    else:  # characters of The Time Machine: the last 10% split between valid and test
        ids, vocab = read_data(args, load_timemachine, "char", args.data, verify=not args.no_verify)
        cut, mid = int(len(ids) * 0.9), int(len(ids) * 0.95)
        train, valid, test = ids[:cut], ids[cut:mid], ids[mid:]
    if num_sequential_batches(train, args.batch, args.time) == 0:
        raise FlagError("--batch", args.batch, f"{args.batch} rows of --time {args.time} tokens need more than the "
                                               f"{len(train):,} tokens of the training text")
    return train, valid, test, vocab


def run(args: argparse.Namespace) -> None:
    import viz
    from models import save_model

    keep_freed_memory()  # each step's large arrays stay with the process (tinygrad_nlp/heap.py)
    unit = "chars" if args.corpus == "timemachine" else "words"
    tg.manual_seed(args.seed)
    train, valid, test, vocab = load_corpus(args)
    out = Path(args.out)
    ckpt = open_run(out, args.resume, args.overwrite)
    model, config = build(args.model, len(vocab), args)
    described = {"vocab": vocab.to_dict(), "level": "char" if args.corpus == "timemachine" else "word",
                 "settings": run_settings(args)}
    Optim = tg.optim.Adam if args.optim == "adam" else tg.optim.SGD
    optimizer = Optim(model.parameters(), lr=args.lr)
    plateau = tg.optim.ReduceLROnPlateau(optimizer, factor=0.25, patience=0, threshold=0)  # the textbook: lr / 4 when worse
    history: list[dict] = []
    start_epoch = 1
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        plateau.best = ckpt["best_ppl"]
        history = ckpt["history"]
        start_epoch = ckpt["epoch"] + 1
        print(f"resumed from {out / 'last.npz'} after epoch {ckpt['epoch']} (lr {optimizer.lr}, best valid ppl {plateau.best:.2f})")

    steps = num_sequential_batches(train, args.batch, args.time)
    if args.max_steps:
        steps = min(steps, args.max_steps)
    print(f"{args.model}: {model.num_parameters():,} parameters, {steps} steps/epoch of {args.batch}x{args.time} words, "
          f"lr {optimizer.lr}, clip {args.clip}")
    model.reset_state()
    for epoch in range(start_epoch, args.epochs + 1):
        # As the textbook's RnnlmTrainer: the stream and the LSTM state go on from one epoch to the next.
        model.train()
        progress = Progress(steps, args.log_every, unit=unit, perplexity=True)
        t0 = time.perf_counter()
        total = 0.0
        for step, (xs, ts) in enumerate(sequential_batches(train, args.batch, args.time, epoch=epoch - 1), start=1):
            loss = F.cross_entropy(model(xs), ts)
            optimizer.zero_grad()
            loss.backward()
            tg.nn.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            total += loss.item()
            progress.update(step, loss.item(), xs.size, prefix=f"epoch {epoch} | ")
            if step >= steps:
                break
        seconds = time.perf_counter() - t0
        stateful = getattr(model, "rnn", model)  # the recurrent layer, or a Transformer LM's context
        carried = stateful.state  # measuring valid perplexity resets the state; training goes on from here
        valid_ppl = perplexity(model, valid)
        stateful.state = carried
        record = dict(epoch=epoch, train_ppl=float(np.exp(total / steps)), valid_ppl=valid_ppl, lr=optimizer.lr,
                      seconds=seconds, tokens_per_s=steps * args.batch * args.time / seconds)
        record["sample"] = sample_text(model, vocab, args)  # generate() resets the state: restore it after
        stateful.state = carried
        history.append(record)
        atomic_write(out / "samples.txt", "".join(f"--- epoch {h['epoch']} (valid perplexity {h['valid_ppl']:.2f})\n{h['sample']}\n"
                                                  for h in history if "sample" in h))
        print(f"epoch {epoch}: valid perplexity {valid_ppl:.2f} | train {record['train_ppl']:.2f} | "
              f"{format_duration(seconds)} ({record['tokens_per_s']:,.0f} {unit}/s) | lr {optimizer.lr}")
        if valid_ppl < plateau.best:
            save_model(out / "best.npz", model, config, **described, epoch=epoch, valid_ppl=valid_ppl, history=history)
        plateau.step(valid_ppl)
        save_model(out / "last.npz", model, config, **described, optimizer=optimizer.state_dict(), epoch=epoch,
                   best_ppl=plateau.best, history=history)
        optional_plot(viz.plot_curves, {"train": [h["train_ppl"] for h in history], "valid": [h["valid_ppl"] for h in history]},
                      out / "perplexity.png", ylabel="perplexity")

    if (out / "best.npz").exists():
        model.load_state_dict(tg.load(out / "best.npz")["model"])
    if not args.no_test:
        print(f"test perplexity (best checkpoint): {perplexity(model, test):.2f}")
    print(sample_text(model, vocab, args, final=True))
