"""Models from the textbook, each a composition of tinygrad_nlp layers."""
from .rnnlm import BetterRnnlm, Rnnlm, SimpleRnnlm
from .word2vec import CBOW, EmbeddingDot, NegativeSamplingLoss, SimpleCBOW, SimpleSkipGram, SkipGram

__all__ = ["BetterRnnlm", "Rnnlm", "SimpleRnnlm", "CBOW", "EmbeddingDot", "NegativeSamplingLoss", "SimpleCBOW", "SimpleSkipGram", "SkipGram"]
