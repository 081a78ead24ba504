"""Generate text from a language-model checkpoint alone (its model class, sizes and vocabulary are
in the file):

    python examples/generate_text.py runs/rnnlm/best.npz --prefix "the meaning of" --length 30
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models import load_model  # noqa: E402
from tinygrad_nlp.data.text import Vocab  # noqa: E402
from tinygrad_nlp.evaluation.generate import generate  # noqa: E402
from tinygrad_nlp.runs import positive_float, positive_int  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a best.npz or last.npz written by train_rnnlm.py")
    ap.add_argument("--prefix", default="the", help="text to continue (default: %(default)s)")
    ap.add_argument("--length", type=positive_int, default=30, help="tokens to generate (default: %(default)s)")
    ap.add_argument("--temperature", type=positive_float, default=1.0, help="sampling temperature (default: %(default)s)")
    ap.add_argument("--top-k", type=positive_int, default=None, help="sample among the k most likely (default: all)")
    ap.add_argument("--greedy", action="store_true", help="always take the most likely token")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = ap.parse_args()
    try:
        model, ckpt = load_model(args.checkpoint)
    except (OSError, ValueError) as e:
        ap.error(str(e))
    if "vocab" not in ckpt:
        ap.error(f"{args.checkpoint} holds no vocabulary")
    vocab, level = Vocab.from_dict(ckpt["vocab"]), ckpt.get("level", "word")
    try:
        ids = generate(model, args.prefix, length=args.length, temperature=args.temperature, top_k=args.top_k,
                       greedy=args.greedy, seed=args.seed, vocab=vocab, level=level)
    except KeyError as e:
        ap.error(str(e).strip('"'))
    joiner = "" if level == "char" else " "
    print(args.prefix + joiner + joiner.join(vocab.decode(ids)).replace(" <eos>", ".\n"))


if __name__ == "__main__":
    main()
