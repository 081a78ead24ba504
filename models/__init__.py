"""Models from the textbook, each a composition of tinygrad_nlp layers."""
from .attention import AdditiveAttentionWeight, Attention, AttentionWeight, WeightSum
from .seq2seq import AttentionDecoder, AttentionSeq2seq, Decoder, Encoder, PeekyDecoder, PeekySeq2seq, Seq2seq
from .rnnlm import BetterRnnlm, OneHotRnnlm, Rnnlm, SimpleRnnlm
from .fixed_window_lm import FixedWindowLM
from .transformer import TransformerLM, TransformerSeq2seq
from .classifiers import SentenceClassifier, Tagger
from .word2vec import CBOW, EmbeddingDot, NegativeSamplingLoss, SimpleCBOW, SimpleSkipGram, SkipGram
from .checkpoint import build_model, load_model, save_model  # noqa: E402 (after the classes it builds)

__all__ = [
    "AdditiveAttentionWeight", "Attention", "AttentionDecoder", "AttentionSeq2seq", "AttentionWeight", "Decoder", "Encoder",
    "PeekyDecoder", "PeekySeq2seq", "Seq2seq", "WeightSum","BetterRnnlm", "OneHotRnnlm", "Rnnlm", "SimpleRnnlm", "CBOW", "EmbeddingDot", "NegativeSamplingLoss", "SimpleCBOW", "SimpleSkipGram", "SkipGram",
    "FixedWindowLM", "SentenceClassifier", "Tagger", "TransformerLM", "TransformerSeq2seq", "build_model", "load_model", "save_model"]
