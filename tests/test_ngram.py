"""tinygrad_nlp.lm: add-k and Kneser–Ney counts by hand, distributions that sum to 1, PTB perplexities."""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_nlp.lm import KneserNeyLM, NGramLM

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
    kneser_ney = KneserNeyLM(3, discount=0.75, vocab_size=10000).fit(train).perplexity(test)
    assert kneser_ney < 0.65 * bigram  # far better than add-k: about the LSTM's 136


def test_kneser_ney_by_hand():
    lm = KneserNeyLM(2, discount=0.75, vocab_size=5).fit(CORPUS)  # bigrams seen: ab bc ca bd da
    # continuation counts N1+(• w): a after c and d (2), b, c, d after one word each, e never: 5 in all, 4 kinds
    p1 = {w: max(n - 0.75, 0) / 5 + 0.75 * 4 / 5 * (1 / 5) for w, n in enumerate([2, 1, 1, 1, 0])}
    # after b: c twice, d once (c(b) = 3, two kinds): (2 - D) / 3 + D * 2 / 3 * P1(c)
    assert lm.next_word_probs([1])[2] == pytest.approx(1.25 / 3 + 0.75 * 2 / 3 * p1[2])
    assert lm.next_word_probs([1])[0] == pytest.approx(0.75 * 2 / 3 * p1[0])  # "b a" never seen: all from below
    np.testing.assert_allclose(lm.next_word_probs([4]), [p1[w] for w in range(5)])  # a context never seen


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_kneser_ney_distributions_sum_to_one(n):
    lm = KneserNeyLM(n, discount=0.6, vocab_size=6).fit(CORPUS)
    for history in ([0, 1, 2], [1, 2, 0], [3, 3, 3], [5, 4, 5]):
        probs = lm.next_word_probs(history)
        assert probs.sum() == pytest.approx(1.0) and (probs > 0).all()
    test = np.array([0, 1, 2, 0, 1, 5])
    expected = [lm.next_word_probs(test[:t])[test[t]] for t in range(n - 1, test.size)]
    np.testing.assert_allclose(np.exp(lm.log_prob(test)), expected)
    with pytest.raises(ValueError, match=r"discount must be in \(0, 1\)"):
        KneserNeyLM(n, discount=1.0)
    with pytest.raises(RuntimeError, match="call fit"):
        KneserNeyLM(n).perplexity(CORPUS)
