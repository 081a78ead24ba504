"""tinygrad_nlp.lm.NGramLM: add-k counts by hand, distributions that sum to 1, PTB perplexities."""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_nlp.lm import NGramLM

CORPUS = np.array([0, 1, 2, 0, 1, 3, 0, 1, 2])  # "a b c a b d a b c", V = 4


def test_add_k_probabilities_by_hand():
    bigram = NGramLM(2, k=1.0, vocab_size=4).fit(CORPUS)
    # count(b, c) = 2, count(b as a context) = 3, V = 4: (2 + 1) / (3 + 4)
    assert bigram.next_word_probs([1])[2] == pytest.approx(3 / 7)
    assert bigram.next_word_probs([3])[0] == pytest.approx((1 + 1) / (1 + 4))  # "d a" once
    wider = NGramLM(2, k=1.0, vocab_size=5).fit(CORPUS)
    np.testing.assert_allclose(wider.next_word_probs([4]), np.full(5, 1 / 5))  # a context never seen: uniform
    unigram = NGramLM(1, k=0.5, vocab_size=4).fit(CORPUS)
    assert unigram.next_word_probs([])[0] == pytest.approx((3 + 0.5) / (9 + 2))
    trigram = NGramLM(3, k=0.1, vocab_size=4).fit(CORPUS)
    np.testing.assert_allclose(np.exp(trigram.log_prob(np.array([0, 1, 2]))), [trigram.next_word_probs([0, 1])[2]])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_distributions_sum_to_one_and_perplexity_is_their_geometric_mean(n):
    lm = NGramLM(n, k=0.3).fit(CORPUS)
    for history in ([0, 1], [1, 2], [3, 3]):
        assert lm.next_word_probs(history[-(n - 1):] if n > 1 else []).sum() == pytest.approx(1.0)
    test = np.array([0, 1, 2, 0, 1])
    assert lm.perplexity(test) == pytest.approx(np.exp(-lm.log_prob(test).mean()))


def test_bad_input_names_the_method():
    with pytest.raises(ValueError, match="n must be >= 1"):
        NGramLM(0)
    with pytest.raises(ValueError, match="k must be > 0"):
        NGramLM(2, k=0)
    with pytest.raises(RuntimeError, match="call fit"):
        NGramLM(2).perplexity(CORPUS)
    with pytest.raises(ValueError, match="integer ids"):
        NGramLM(2).fit(np.array([0.5, 1.0]))
    with pytest.raises(IndexError, match=r"ids must be in \[0, 4\)"):
        NGramLM(2, vocab_size=4).fit(CORPUS).perplexity(np.array([0, 9]))


@pytest.mark.corpus("ptb/ptb.train.txt", "ptb/ptb.test.txt")
def test_ptb_perplexities_order_as_expected():
    from tinygrad_nlp.data.datasets import load_ptb

    train, test = load_ptb("train").ids, load_ptb("test").ids
    unigram = NGramLM(1, k=1.0, vocab_size=10000).fit(train).perplexity(test)
    bigram = NGramLM(2, k=0.01, vocab_size=10000).fit(train).perplexity(test)
    assert 600 < unigram < 800 and bigram < 0.6 * unigram
