"""Models from the textbook, each a composition of tinygrad_nlp layers."""
from .attention import Attention, AttentionWeight, WeightSum
from .rnnlm import BetterRnnlm, Rnnlm, SimpleRnnlm
from .word2vec import CBOW, EmbeddingDot, NegativeSamplingLoss, SimpleCBOW, SimpleSkipGram, SkipGram

__all__ = [
    "Attention", "AttentionWeight", "WeightSum","BetterRnnlm", "Rnnlm", "SimpleRnnlm", "CBOW", "EmbeddingDot", "NegativeSamplingLoss", "SimpleCBOW", "SimpleSkipGram", "SkipGram"]
