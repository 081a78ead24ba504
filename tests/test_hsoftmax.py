"""Hierarchical softmax: a Huffman tree, probabilities over the vocabulary that sum to 1, gradients."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp import nn
from tinygrad_nlp.testing import gradcheck_module


def test_huffman_codes_give_frequent_words_short_paths():
    counts = [50, 20, 10, 10, 5, 5]
    paths, codes = nn.huffman_codes(counts)
    assert len(paths[0]) <= min(len(p) for p in paths) and len(paths[-1]) == max(len(p) for p in paths)
    words = [tuple(c) for c in codes]
    assert not any(a != b and b[: len(a)] == a for a in words for b in words)  # no code is a prefix of another
    assert all(p[0] == len(counts) - 2 for p in paths)  # every path starts at the root


def test_probabilities_over_the_vocabulary_sum_to_one_and_gradients_check():
    with tg.default_dtype(np.float64):
        hs = nn.HierarchicalSoftmax([7, 3, 3, 2, 1], hidden_size=4, generator=0)
    h = tg.tensor(np.random.default_rng(1).standard_normal((3, 4)), dtype="float64")
    V = hs.vocab_size
    logp = np.stack([hs.log_prob(h, np.full(3, w)).data for w in range(V)], axis=1)  # (3, V)
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, rtol=1e-12)
    gradcheck_module(lambda: hs.loss(h, np.array([0, 4, 2])), hs)
    with pytest.raises(IndexError, match=r"ids must be in \[0, 5\)"):
        hs.loss(h, np.array([0, 5, 1]))


@pytest.mark.parametrize("Model", ["CBOW", "SkipGram"])
def test_word2vec_with_hierarchical_softmax_is_minus_log_p_and_gradients_check(Model):
    import models

    corpus = np.array([0, 1, 2, 3, 1, 2, 4, 0, 3, 2, 1, 1])
    with tg.default_dtype(np.float64):
        model = getattr(models, Model)(5, 3, 1, corpus, generator=0, output="hierarchical_softmax", sparse=False)
    contexts, target = np.array([[0, 2], [1, 3], [4, 0]]), np.array([1, 2, 3])
    loss = model(contexts, target)
    hs = model.hs_loss
    assert hs.vocab_size == 5 and not hasattr(model, "ns_loss")
    if Model == "CBOW":  # -mean log P(target | mean of the context vectors)
        h = tg.tensor(model.embed_in.W.data[contexts].mean(axis=1), dtype="float64")
        expected = -hs.log_prob(h, target).data.mean()
    else:  # -Σ over the 2 context positions of log P(context | target's vector), averaged over the batch
        h = tg.tensor(model.embed_in.W.data[target], dtype="float64")
        expected = -sum(hs.log_prob(h, contexts[:, j]).data for j in range(2)).mean()
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    gradcheck_module(lambda: model(contexts, target), model)
    with pytest.raises(ValueError, match="output must be one of"):
        getattr(models, Model)(5, 3, 1, corpus, output="softmax")
