"""Evaluation metrics: exact-match accuracy, perplexity helpers, BLEU (d2l's sentence formula and
standard corpus BLEU equal to sacrebleu's with tokenize="none")."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

import numpy as np


def accuracy(pred: Any, target: Any) -> float:
    """Share of rows predicted exactly (every position equal)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"accuracy: predictions {pred.shape} and targets {target.shape} differ in shape")
    if pred.ndim == 1:
        return float(np.mean(pred == target))
    return float(np.mean((pred == target).all(axis=tuple(range(1, pred.ndim)))))


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu_d2l(pred: str, label: str, k: int = 2) -> float:
    """d2l's sentence BLEU: exp(min(0, 1 - len_label/len_pred)) · Π_n p_n^(1/2^n), n = 1..k."""
    p, l = pred.split(), label.split()
    if not p:
        return 0.0
    score = math.exp(min(0.0, 1 - len(l) / len(p)))
    for n in range(1, min(k, len(p)) + 1):  # as d2l: a prediction shorter than k uses the n-grams it has
        total = len(p) - n + 1
        ref = _ngrams(l, n)
        matches = sum(min(c, ref[g]) for g, c in _ngrams(p, n).items())
        score *= (matches / total) ** (0.5 ** n)
    return score


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Any], max_order: int = 4) -> float:
    """Corpus BLEU on whitespace-split strings, 0-100, with sacrebleu's defaults: clipped n-gram
    counts summed over the corpus, the closest reference length for the brevity penalty, and
    'exp' smoothing of zero counts. `references[i]` is a string or a list of strings."""
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    correct, total = [0] * max_order, [0] * max_order
    sys_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references):
        refs = [refs] if isinstance(refs, str) else list(refs)
        if not refs:
            raise ValueError("corpus_bleu: every hypothesis needs at least one reference")
        h = hyp.split()
        rs = [r.split() for r in refs]
        sys_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
        for n in range(1, max_order + 1):
            hyp_counts = _ngrams(h, n)
            max_ref: Counter = Counter()
            for r in rs:
                for g, c in _ngrams(r, n).items():
                    max_ref[g] = max(max_ref[g], c)
            correct[n - 1] += sum(min(c, max_ref[g]) for g, c in hyp_counts.items())
            total[n - 1] += max(len(h) - n + 1, 0)
    if sys_len == 0 or not any(correct):  # no match at all: 0, as sacrebleu (its #141)
        return 0.0
    precisions = [0.0] * max_order
    smooth = 1.0
    for n in range(max_order):
        if total[n] == 0:
            break
        if correct[n] == 0:
            smooth *= 2
            precisions[n] = 100.0 / (smooth * total[n])
        else:
            precisions[n] = 100.0 * correct[n] / total[n]
    bp = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len)
    logs = [math.log(p) if p > 0 else -9999999999 for p in precisions]
    return bp * math.exp(sum(logs) / max_order)


def per_class_f1(pred: Any, target: Any, num_classes: int) -> list[dict]:
    """Precision, recall and F1 of every class (one dict per class: precision, recall, f1, support)."""
    pred, target = np.asarray(pred).reshape(-1), np.asarray(target).reshape(-1)
    if pred.shape != target.shape:
        raise ValueError(f"per_class_f1: pred {pred.shape} and target {target.shape} differ in size")
    rows = []
    for c in range(num_classes):
        tp = int(np.sum((pred == c) & (target == c)))
        p_count, t_count = int(np.sum(pred == c)), int(np.sum(target == c))
        precision = tp / p_count if p_count else 0.0
        recall = tp / t_count if t_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"precision": precision, "recall": recall, "f1": f1, "support": t_count})
    return rows
