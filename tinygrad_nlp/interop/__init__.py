"""Every model of the course in PyTorch and back: `to_torch(model)` gives the torch.nn twin of one of
our models with its weights, `from_torch(module)` ours from a twin (`convert.py` pairs the parameters).
The twins are plain torch.nn code (`torch_lm.py`, `torch_seq2seq.py`, `torch_word2vec.py`) that a
PyTorch user trains as any other model, on GPUs and with DistributedDataParallel.

PyTorch is an optional extra (`pip install 'tinygrad_nlp[torch]'`), imported only by this package.
"""
try:
    import torch  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised only without torch
    raise ImportError("tinygrad_nlp.interop needs PyTorch: pip install 'tinygrad_nlp[torch]' (or torch itself)") from e

from .convert import from_torch, pairs, to_torch
from .torch_lm import BetterRnnlm, FixedWindowLM, OneHotRnnlm, Rnnlm, SentenceClassifier, SimpleRnnlm, SimplifiedGRU, Tagger
from .torch_seq2seq import AttentionSeq2seq, PeekySeq2seq, Seq2seq
from .torch_word2vec import CBOW, SkipGram

__all__ = ["AttentionSeq2seq", "BetterRnnlm", "CBOW", "FixedWindowLM", "OneHotRnnlm", "PeekySeq2seq", "Rnnlm", "Seq2seq",
           "SentenceClassifier", "SimpleRnnlm", "SimplifiedGRU", "SkipGram", "Tagger", "from_torch", "pairs", "to_torch"]
