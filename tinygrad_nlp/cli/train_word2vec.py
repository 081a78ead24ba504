"""Train word2vec with negative sampling on Penn Treebank (the textbook's setting by default),
then show nearest neighbours and analogies.

    tinygrad-nlp train-word2vec                      # CBOW, window 5, hidden 100, batch 100, 10 epochs
    tinygrad-nlp train-word2vec --model skipgram --epochs 1
    tinygrad-nlp train-word2vec --count-based        # PPMI + randomized SVD instead
    tinygrad-nlp similar runs/word2vec/vectors.txt car     # then query the vectors

Outputs go to --out (default runs/word2vec): vectors.txt (word2vec text format, loadable by
gensim), model.npz (checkpoint), loss.png, and maps of ~70 chosen words (months, companies, verbs, ...)
drawn by PCA (map_pca.png) and, with the `tsne` extra, t-SNE (map_tsne.png).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import tinygrad_nlp as tg
from tinygrad_nlp.data.contexts import co_occurrence, create_contexts_target, ppmi, randomized_svd, subsample
from tinygrad_nlp.data.datasets import load_ptb
from tinygrad_nlp.evaluation.vectors import analogy, analogy_accuracy, most_similar, save_word2vec_format
from tinygrad_nlp.heap import keep_freed_memory
from tinygrad_nlp.runs import CHECKPOINTS, add_run_arguments, integer, number, open_run, positive_float, positive_int, run_settings
from tinygrad_nlp.trainer import Trainer

from .checks import PTB_READ, SEED, FlagError, check_memory, conflict, optional_plot, read_data, run_folder

QUERIES = ["you", "year", "car", "toyota"]
ANALOGIES = [("king", "man", "queen"), ("take", "took", "go"), ("car", "cars", "child"), ("good", "better", "bad")]
QUESTIONS = Path(tg.__file__).parent / "data" / "ptb_analogies.txt"  # 40 questions, a smoke signal
MAP_WORDS = ("january february march april june july august september october november december "  # months
             "monday tuesday wednesday thursday friday "                                          # days
             "toyota honda nissan ford chrysler ibm apple boeing "                                # companies
             "car cars truck trucks vehicle computer computers software "                         # things
             "say said says go went goes take took takes buy bought sells sold "                   # verbs
             "he she they we you i his her their our "                                            # pronouns
             "good bad better worse best high low higher lower").split()


def read_questions(path: Path) -> list[tuple[str, ...]]:
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return [tuple(q) for q in lines if len(q) == 4 and not q[0].startswith(("#", ":"))]


def report(vocab, W, out: Path, name: str) -> None:
    """Neighbours, analogies and maps of the textbook's words that the corpus has (a custom corpus may lack them)."""
    import viz

    for q in [q for q in QUERIES if q in vocab]:
        print(f"[query] {q}: " + ", ".join(f"{w} {s:.3f}" for w, s in most_similar(q, vocab, W, k=5)))
    for a, b, c in [abc for abc in ANALOGIES if all(w in vocab for w in abc)]:
        print(f"[analogy] {a}:{b} = {c}:? -> " + ", ".join(f"{w} {s:.3f}" for w, s in analogy(a, b, c, vocab, W, k=5)))
    acc, n = analogy_accuracy(read_questions(QUESTIONS), vocab, W)
    if n:
        print(f"[analogy accuracy] {acc:.1%} top-1 on {n} questions of the small PTB set ({QUESTIONS.name})")
    words = [w for w in MAP_WORDS if w in vocab]
    if len(words) < 10:
        print(f"[map] skipped: only {len(words)} of the map's words are in the vocabulary")
        return
    vectors = W[vocab.lookup(words)]
    path = optional_plot(viz.plot_embeddings, vectors, words, out / f"{name}_pca.png", method="pca")
    if path is None:
        return
    print(f"[map] {path}")
    try:
        print(f"[map] {viz.plot_embeddings(vectors, words, out / f'{name}_tsne.png', method='tsne', seed=0)}")
    except ImportError as e:
        print(f"[map] no t-SNE map: {e}")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--model", choices=["cbow", "skipgram"], default="cbow", help="word2vec architecture")
    ap.add_argument("--window", type=integer(1, 50), default=5, help="context words on each side")
    ap.add_argument("--hidden", type=integer(1, 2000), default=100, help="vector size")
    ap.add_argument("--batch", type=integer(1, 100_000), default=100, help="targets per batch")
    ap.add_argument("--epochs", type=positive_int, default=10, help="passes over the corpus")
    ap.add_argument("--negatives", type=integer(1, 100), default=5, help="negative samples per target")
    ap.add_argument("--output", choices=["negative-sampling", "hierarchical-softmax"], default="negative-sampling",
                    help="output layer: negative sampling (the textbook's) or a hierarchical softmax over a Huffman tree")
    ap.add_argument("--lr", type=positive_float, default=0.001, help="Adam's learning rate")
    ap.add_argument("--seed", type=SEED, default=0, help="random seed (weights, negatives, data order)")
    ap.add_argument("--max-words", type=integer(3), default=None, help="use only the first N words of PTB train (default: all)")
    ap.add_argument("--count-based", action="store_true", help="PPMI + randomized SVD instead of training")
    ap.add_argument("--subsample", type=number(0.0), default=0.0,
                    help="Mikolov's subsampling of frequent words with threshold t, e.g. 1e-4 (default 0: off)")
    add_run_arguments(ap, "runs/word2vec", "the PTB files", "runs/word2vec")


COUNT_BASED_FILES = ("vectors_ppmi_svd.txt",)  # what --count-based writes (besides its maps)
VOCAB_BOUND, WORDS_BOUND = 10_000, 929_589  # PTB's vocabulary and training words


def memory_estimate(args: argparse.Namespace) -> tuple[float, float]:
    """Bytes for the weights (two V x H tables with gradients and Adam's moments) and for the data
    and one batch: PTB read, the (words, 2 window) int64 context ids (made from a table of positions as
    large) and the batch's embedded rows with their gradients."""
    words = min(args.max_words or WORDS_BOUND, WORDS_BOUND)
    rows = 2 * args.window + args.negatives + 1
    return 16.0 * 2 * VOCAB_BOUND * args.hidden, PTB_READ + 8.0 * 2 * words * 2 * args.window + 4.0 * 4 * args.batch * rows * args.hidden


def check(args: argparse.Namespace) -> None:
    conflict(args, "--resume", "--overwrite")
    conflict(args, "--count-based", "--resume", " (the count-based vectors are computed in one go)")
    if args.count_based:
        check_memory(args, 32.0 * VOCAB_BOUND**2, PTB_READ,  # counts, PPMI and their float64 temporaries (measured)
                     "the co-occurrence and PPMI matrices of PTB's 10,000 words")
    else:
        check_memory(args, *memory_estimate(args),
                     f"--hidden {args.hidden}, --batch {args.batch}, --window {args.window} and --negatives {args.negatives}")
    run_folder(args, COUNT_BASED_FILES if args.count_based else CHECKPOINTS)


def run(args: argparse.Namespace) -> None:
    from models import CBOW, SkipGram

    keep_freed_memory()  # each step's large arrays stay with the process (tinygrad_nlp/heap.py)
    tg.manual_seed(args.seed)
    corpus, vocab = read_data(args, load_ptb, "train", args.data, verify=not args.no_verify)
    if args.max_words:
        corpus = corpus[: args.max_words]
    if args.subsample:
        before = len(corpus)
        corpus = subsample(corpus, args.subsample, generator=args.seed)
        print(f"subsampling t={args.subsample}: {before:,} -> {len(corpus):,} words")
    if args.count_based and args.hidden >= len(vocab):
        raise FlagError("--hidden", args.hidden, f"must be below the vocabulary size {len(vocab)} for the SVD")
    if len(corpus) <= 2 * args.window:
        raise FlagError("--window", args.window, f"needs more than {2 * args.window} words, the corpus has {len(corpus)}")
    out = Path(args.out)
    if args.count_based:
        open_run(out, overwrite=args.overwrite, files=COUNT_BASED_FILES)
        t0 = time.perf_counter()
        C = co_occurrence(corpus, len(vocab), window_size=2)
        M = ppmi(C)
        U, S, _ = randomized_svd(M, args.hidden, seed=args.seed)
        W = U * np.sqrt(S)
        print(f"PPMI + SVD on {len(corpus):,} words, vocab {len(vocab):,}: {time.perf_counter() - t0:.1f} s")
        save_word2vec_format(out / "vectors_ppmi_svd.txt", vocab, W)
        report(vocab, W, out, "map_ppmi_svd")
        return

    contexts, target = create_contexts_target(corpus, args.window)
    if args.batch > len(target):
        raise FlagError("--batch", args.batch, f"is larger than the {len(target)} training targets")
    ckpt = open_run(out, args.resume, args.overwrite)
    Model = CBOW if args.model == "cbow" else SkipGram
    model = Model(len(vocab), args.hidden, args.window, corpus, sample_size=args.negatives, generator=args.seed,
                  output=args.output.replace("-", "_"))
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    trainer = Trainer(model, optimizer, generator=args.seed)
    # the model needs the corpus's counts to be rebuilt, so its checkpoint names them; the vectors are in vectors.txt
    described = {"class": type(model).__name__, "vocab": vocab.to_dict(), "settings": run_settings(args)}
    start = 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start = int(ckpt["epoch"])
        print(f"resumed from {out / 'last.npz'} after epoch {start}")
    print(f"{args.model}: {len(target):,} targets, vocab {len(vocab):,}, window {args.window}, hidden {args.hidden}, "
          f"batch {args.batch}, {f'{args.negatives} negatives' if args.output == 'negative-sampling' else 'hierarchical softmax'}, "
          f"Adam lr {args.lr}")
    epoch_times: list[float] = []
    t_epoch = time.perf_counter()

    def on_epoch(epoch: int) -> None:
        nonlocal t_epoch
        epoch_times.append(time.perf_counter() - t_epoch)
        print(f"epoch {epoch}: {epoch_times[-1]:.1f} s, {len(target) / epoch_times[-1]:,.0f} targets/s")
        tg.save({"model": model, "optimizer": optimizer.state_dict(), "epoch": epoch, **described,
                 "history": {"loss": trainer.loss_list, "epoch_seconds": epoch_times}}, out / "last.npz")
        t_epoch = time.perf_counter()

    trainer.fit(contexts, target, args.epochs, args.batch, eval_interval=1000, on_epoch=on_epoch, start_epoch=start)
    if trainer.loss_list:
        optional_plot(trainer.plot, out / "loss.png")
    tg.save({"model": model, **described, "history": {"loss": trainer.loss_list, "epoch_seconds": epoch_times}}, out / "model.npz")
    W = model.word_vecs.data
    save_word2vec_format(out / "vectors.txt", vocab, W)
    if epoch_times:
        print(f"mean epoch time {np.mean(epoch_times):.1f} s; vectors in {out / 'vectors.txt'}")
    report(vocab, W, out, "map")

