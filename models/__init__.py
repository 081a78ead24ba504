"""Models from the textbook, each a composition of tinygrad_nlp layers."""
from .word2vec import CBOW, EmbeddingDot, NegativeSamplingLoss, SimpleCBOW, SimpleSkipGram, SkipGram

__all__ = ["CBOW", "EmbeddingDot", "NegativeSamplingLoss", "SimpleCBOW", "SimpleSkipGram", "SkipGram"]
