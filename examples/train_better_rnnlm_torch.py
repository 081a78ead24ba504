"""The textbook's BetterRnnlm recipe on PyTorch: CUDA when present, several GPUs or machines with
torchrun + DistributedDataParallel, the same data order, evaluation, checkpoints and progress as
`tinygrad-nlp train-lm --model better`, and a checkpoint that comes back to our engine.

    python examples/train_better_rnnlm_torch.py                                  # BetterRnnlm 2x650, 40 epochs, one GPU (or the CPU)
    torchrun --nproc_per_node=4 examples/train_better_rnnlm_torch.py             # 4 GPUs of one machine
    torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --nproc_per_node=8 examples/train_better_rnnlm_torch.py   # and node 1 likewise
    tinygrad-nlp export runs/better/best.npz better.pt && python examples/train_better_rnnlm_torch.py --init better.pt
    python examples/train_better_rnnlm_torch.py --model rnnlm --epochs 1 --max-steps 50   # small settings on a CPU

The model is our BetterRnnlm with our initial weights (seed --seed), carried to PyTorch by
`tinygrad_nlp.interop.to_torch` (or read from --init, a checkpoint written by `tinygrad-nlp export`).
The global batch (--batch streams of the textbook's sequential batching) is split between the
processes, each keeping the LSTM state of its own streams; DDP averages the gradients, so the step is
that of one process with the whole batch. Every epoch: validation perplexity, lr / 4 when it got worse,
text samples, --out/best.pt and --out/last.pt (--resume continues from it); at the end the test
perplexity and --out/best.npz, our checkpoint of the best model (generate, draw, explore), which
`tinygrad-nlp import --out/best.pt X.npz` also gives.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models import build_model  # noqa: E402
from tinygrad_nlp.cli.train_lm import PRESETS, sample_text  # noqa: E402
from tinygrad_nlp.data.batches import num_sequential_batches, sequential_batches  # noqa: E402
from tinygrad_nlp.data.datasets import load_ptb  # noqa: E402
from tinygrad_nlp.files import atomic_write  # noqa: E402
from tinygrad_nlp.runs import RunExists, add_run_arguments, bounded, check_run, positive_float, positive_int, run_settings  # noqa: E402
from tinygrad_nlp.trainer import Progress, format_duration  # noqa: E402

try:  # the `torch` extra: without it --help still works and a run says what to install
    import torch
    import torch.distributed as dist
    from torch.nn import functional as F
    from torch.nn.parallel import DistributedDataParallel

    from tinygrad_nlp.interop import from_torch, to_torch
    from tinygrad_nlp.interop.checkpoint import import_checkpoint, load_torch_checkpoint, save_torch_checkpoint
except ImportError as e:
    torch, MISSING = None, e

MODELS = {"better": "BetterRnnlm", "rnnlm": "Rnnlm"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=sorted(MODELS), default="better", help="better: BetterRnnlm; rnnlm: the LSTM Rnnlm (default: %(default)s)")
    ap.add_argument("--init", help="start from this PyTorch checkpoint (tinygrad-nlp export) instead of fresh weights")
    ap.add_argument("--wordvec", type=positive_int, help="embedding size (default: the --model preset of train-lm)")
    ap.add_argument("--hidden", type=positive_int, help="hidden size (default: the --model preset)")
    ap.add_argument("--dropout", type=bounded(float, 0.0, 0.99), help="dropout probability (default: the --model preset)")
    ap.add_argument("--lr", type=positive_float, help="SGD learning rate (default: the --model preset)")
    ap.add_argument("--epochs", type=positive_int, help="epochs (default: the --model preset)")
    ap.add_argument("--batch", type=positive_int, default=20, help="global batch: streams over all processes (default: %(default)s)")
    ap.add_argument("--time", type=positive_int, default=35, help="truncated-BPTT window (default: %(default)s)")
    ap.add_argument("--clip", type=positive_float, default=0.25, help="gradient clipping, global norm (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="initial weights, dropout, samples (default: %(default)s)")
    ap.add_argument("--device", help="cuda, cuda:1, cpu ... (default: cuda when present, each process its own GPU)")
    ap.add_argument("--log-every", type=positive_int, default=100, help="steps between progress lines (default: %(default)s)")
    ap.add_argument("--max-steps", type=positive_int, help="stop each epoch after this many steps (smoke runs)")
    ap.add_argument("--losses", help="also write every step's loss (global mean) to this JSON file")
    ap.add_argument("--no-test", action="store_true", help="skip the test-set perplexity at the end")
    add_run_arguments(ap, "runs/better_torch", "the PTB files")
    args = ap.parse_args(argv)
    for k, v in PRESETS[args.model].items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    args.corpus = "ptb"  # for train-lm's sample_text
    return args


def setup(args: argparse.Namespace) -> tuple[int, int, torch.device]:
    """(rank, world size, device): one process per GPU under torchrun (gloo on CPUs), else a single one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available() and (args.device is None or args.device.startswith("cuda"))
    device = torch.device(args.device or (f"cuda:{local}" if cuda else "cpu"))
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        if args.batch % world:
            raise SystemExit(f"--batch {args.batch} must be a multiple of the {world} processes")
        dist.init_process_group("nccl" if cuda else "gloo")
    return rank, world, device


def perplexity(module: torch.nn.Module, corpus: np.ndarray, device: torch.device, batch: int = 10, time_size: int = 35) -> float:
    """As tinygrad_nlp.evaluation.perplexity: eval mode, state reset and carried, exp(mean cross-entropy)."""
    was_training, carried = module.training, module.state
    module.eval()
    module.reset_state()
    total, count = 0.0, 0
    with torch.no_grad():
        for xs, ts in sequential_batches(corpus, batch, time_size):
            logits = module(torch.as_tensor(xs, device=device))
            total += F.cross_entropy(logits.flatten(0, 1), torch.as_tensor(ts, device=device).flatten(), reduction="sum").item()
            count += ts.size
    module.train(was_training)
    module.state = carried
    return math.exp(total / count)


def build(args: argparse.Namespace, vocab: list[str]) -> tuple[torch.nn.Module, dict]:
    """(the torch twin, our model's config): our model's initial weights, or --init's (a PTB model)."""
    if args.init:
        module, ckpt = load_torch_checkpoint(args.init)
        if ckpt.get("vocab", {}).get("id_to_word") != vocab:
            raise SystemExit(f"--init {args.init}: its vocabulary is not PTB's (a model trained by train-lm on --corpus ptb is)")
        return module, ckpt["config"]
    sizes = dict(vocab_size=len(vocab), wordvec_size=args.wordvec, hidden_size=args.hidden, dropout=args.dropout, generator=args.seed)
    model, config = build_model(MODELS[args.model], **sizes)
    return to_torch(model), config


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if torch is None:
        raise SystemExit(f"this script trains with PyTorch: pip install -e '.[torch]' ({MISSING})")
    out = Path(args.out)
    try:  # before any process waits for another
        check_run(out, args.resume, args.overwrite, files=("*.pt", "*.npz"))
    except RunExists as e:
        raise SystemExit(str(e)) from None
    rank, world, device = setup(args)
    torch.manual_seed(args.seed + rank)  # dropout masks differ between processes, as between the streams of one batch
    train, vocab = load_ptb("train", args.data, verify=not args.no_verify)
    valid, test = (load_ptb(split, args.data, verify=not args.no_verify).ids for split in ("valid", "test"))
    module, config = build(args, vocab.id_to_word)
    described = dict(vocab=vocab.to_dict(), level="word", settings=run_settings(args))
    twin = module.to(device).train()
    model = DistributedDataParallel(twin, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else twin
    optimizer = torch.optim.SGD([p for p in twin.parameters() if p.requires_grad], lr=args.lr)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.25, patience=0, threshold=0)  # lr / 4 when worse
    history, start_epoch, losses = [], 1, []
    if args.resume and (out / "last.pt").exists():
        last, ckpt = load_torch_checkpoint(out / "last.pt")
        twin.load_state_dict(last.state_dict())
        optimizer.load_state_dict(ckpt["optimizer"])
        plateau.load_state_dict(ckpt["plateau"])
        history, start_epoch, losses = ckpt["history"], ckpt["epoch"] + 1, ckpt.get("losses", [])
        if rank == 0:
            print(f"resumed from {out / 'last.pt'} after epoch {ckpt['epoch']} (lr {optimizer.param_groups[0]['lr']})")
    elif args.resume and rank == 0:
        print(f"--resume: {out / 'last.pt'} does not exist, so this run starts fresh")
    rows = slice(rank * args.batch // world, (rank + 1) * args.batch // world)  # this process's streams
    steps = min(num_sequential_batches(train, args.batch, args.time), args.max_steps or math.inf)
    if rank == 0:
        print(f"{config['class']} on {world} x {device.type}: {sum(p.numel() for p in optimizer.param_groups[0]['params']):,} parameters, "
              f"{steps} steps/epoch of {args.batch}x{args.time} words, lr {args.lr}, clip {args.clip}")
    for epoch in range(start_epoch, args.epochs + 1):
        twin.train()
        progress = Progress(steps, args.log_every, unit="words", perplexity=True) if rank == 0 else None
        t0, total = time.perf_counter(), 0.0
        for step, (xs, ts) in enumerate(sequential_batches(train, args.batch, args.time, epoch=epoch - 1), start=1):
            logits = model(torch.as_tensor(xs[rows], device=device))
            loss = F.cross_entropy(logits.flatten(0, 1), torch.as_tensor(ts[rows], device=device).flatten())
            optimizer.zero_grad()
            loss.backward()  # DDP averages the gradients over the processes here
            torch.nn.utils.clip_grad_norm_(optimizer.param_groups[0]["params"], args.clip)
            optimizer.step()
            mean = loss.detach()
            if world > 1:
                dist.all_reduce(mean)
                mean /= world
            losses.append(mean.item())
            total += losses[-1]
            if progress is not None:
                progress.update(step, losses[-1], xs.size, prefix=f"epoch {epoch} | ")
            if step >= steps:
                break
        seconds = time.perf_counter() - t0
        valid_ppl = perplexity(twin, valid, device)  # every process, the same figure: the lr schedule stays in step
        lr = optimizer.param_groups[0]["lr"]
        record = dict(epoch=epoch, train_ppl=math.exp(total / steps), valid_ppl=valid_ppl, lr=lr, seconds=seconds,
                      tokens_per_s=steps * args.batch * args.time / seconds)
        plateau.step(valid_ppl)
        if rank == 0:
            ours = from_torch(twin)
            record["sample"] = sample_text(ours, vocab, args)
            history.append(record)
            print(f"epoch {epoch}: valid perplexity {valid_ppl:.2f} | train {record['train_ppl']:.2f} | "
                  f"{format_duration(seconds)} ({record['tokens_per_s']:,.0f} words/s) | lr {lr}")
            write_epoch(out, twin, config, described, history, optimizer, plateau, losses, args)
        else:
            history.append(record)
    finish(out, rank, world, device, vocab, test, args)


def write_epoch(out: Path, twin: torch.nn.Module, config: dict, described: dict, history: list, optimizer: torch.optim.Optimizer,
                plateau: torch.optim.lr_scheduler.ReduceLROnPlateau, losses: list, args: argparse.Namespace) -> None:
    """best.pt when validation improved, last.pt always (what --resume needs), samples.txt, the curve."""
    record = history[-1]
    if record["valid_ppl"] <= min(h["valid_ppl"] for h in history):
        save_torch_checkpoint(out / "best.pt", twin, config, **described, epoch=record["epoch"], valid_ppl=record["valid_ppl"], history=history)
    save_torch_checkpoint(out / "last.pt", twin, config, **described, optimizer=optimizer.state_dict(), plateau=plateau.state_dict(),
                          epoch=record["epoch"], best_ppl=plateau.best, history=history, losses=losses)
    atomic_write(out / "samples.txt", "".join(f"--- epoch {h['epoch']} (valid perplexity {h['valid_ppl']:.2f})\n{h['sample']}\n" for h in history))
    if args.losses:
        atomic_write(args.losses, json.dumps(losses))
    try:
        from viz.plots import plot_curves
        plot_curves({"train": [h["train_ppl"] for h in history], "valid": [h["valid_ppl"] for h in history]}, out / "perplexity.png",
                    ylabel="perplexity")
    except ImportError:  # matplotlib is optional
        pass


def finish(out: Path, rank: int, world: int, device: torch.device, vocab, test: np.ndarray, args: argparse.Namespace) -> None:
    """The best model back in our engine (best.npz), its test perplexity and text."""
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank != 0:
        return
    model = import_checkpoint(out / "best.pt", out / "best.npz")
    print(f"wrote {out / 'best.npz'} (our checkpoint: tinygrad-nlp generate / draw / explore)")
    if not args.no_test:
        print(f"test perplexity (best checkpoint): {perplexity(load_torch_checkpoint(out / 'best.pt')[0].to(device), test, device):.2f}")
    print(sample_text(model, vocab, args, final=True))


if __name__ == "__main__":
    main()
