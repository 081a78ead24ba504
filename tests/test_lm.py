"""Language-model plumbing: batching (textbook and d2l), perplexity, generation, bad input, Trainer."""
import numpy as np
import pytest

import tinygrad_nlp as tg
from models import Rnnlm, SimpleCBOW
from tinygrad_nlp.evaluation.generate import generate
from tinygrad_nlp.data.batches import d2l_sequential_batches, random_batches, sequential_batches
from tinygrad_nlp.evaluation.perplexity import perplexity
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.data.text import Vocab
from tinygrad_nlp.trainer import Trainer
from tinygrad_nlp.data.contexts import create_contexts_target

CORPUS = np.arange(1000) % 37


def test_textbook_streams_continue_each_other():
    batches = list(sequential_batches(CORPUS, 4, 5))
    assert len(batches) == 999 // 20
    (x0, t0), (x1, _) = batches[0], batches[1]
    np.testing.assert_array_equal(t0, (x0 + 1) % 37)
    np.testing.assert_array_equal(x1[:, 0], (x0[:, -1] + 1) % 37)  # the next window starts where this one stopped
    np.testing.assert_array_equal(x0[:, 0], CORPUS[np.arange(4) * (999 // 4)])


def test_d2l_partitions():
    seen = np.concatenate([x.reshape(-1) for x, _ in random_batches(np.arange(100), 2, 5, generator=0)])
    assert len(np.unique(seen)) == len(seen)  # random subsequences do not overlap
    for x, y in random_batches(np.arange(100), 2, 5, generator=1):
        np.testing.assert_array_equal(y, x + 1)
    (x0, _), (x1, y1) = list(d2l_sequential_batches(np.arange(100), 2, 5, generator=0))[:2]
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)
    np.testing.assert_array_equal(y1, x1 + 1)


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    model = Rnnlm(37, 4, 4, generator=0)
    model.out.W.data[:] = 0
    model.out.b.data[:] = 0
    assert perplexity(model, CORPUS, batch_size=4, time_size=5) == pytest.approx(37, rel=1e-5)


def test_generation_word_and_char_and_no_graph():
    vocab = Vocab(list("abc "))
    model = Rnnlm(len(vocab), 4, 8, generator=0)
    ids = generate(model, "ab", length=10, vocab=vocab, level="char", seed=0, skip_ids=[vocab[" "]])
    assert len(ids) == 10 and vocab[" "] not in ids
    assert generate(model, [0, 1], length=5, greedy=True) == generate(model, [0, 1], length=5, greedy=True)
    assert model.training  # restored after generating
    with pytest.raises(ValueError, match="temperature"):
        generate(model, [0], temperature=0)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda m: m(np.array([[1, 2, 40]])), IndexError, r"ids must be in \[0, 37\)"),
        (lambda m: m(np.array([1, 2, 3])), ValueError, r"expected ids of shape \(N, T\)"),
        (lambda m: m(np.array([[0.5, 1.0]])), TypeError, "integers"),
        (lambda m: m(np.zeros((2, 0), dtype=np.int64)), ValueError, "T = 0"),
        (lambda m: m.rnn(tg.zeros(2, 3, 4), (tg.zeros(1, 3, 4), tg.zeros(1, 3, 4))), ValueError, "initial state has shape"),
    ],
)
def test_lm_bad_input(make, error, message):
    with pytest.raises(error, match=message):
        make(Rnnlm(37, 4, 4, generator=0))


def test_trainer_fits_and_plots(tmp_path, capsys):
    tg.manual_seed(0)
    corpus = np.array([0, 1, 2, 3, 4, 1, 5, 6] * 20)
    contexts, target = create_contexts_target(corpus, 1)
    model = SimpleCBOW(7, 5, generator=0)
    trainer = Trainer(model, tg.optim.Adam(model.parameters(), lr=0.05), generator=0)
    losses = trainer.fit(contexts, target, max_epoch=30, batch_size=8, eval_interval=10)
    assert losses[-1] < losses[0] * 0.6
    assert "targets/s" in capsys.readouterr().out
    assert trainer.plot(tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="batch_size 1000 is larger"):
        trainer.fit(contexts, target, batch_size=1000)


def test_dropout_gradient_is_the_scaled_mask():
    x = tg.ones(1000, requires_grad=True)
    y = F.dropout(x, 0.3, generator=0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, y.data)  # kept units: 1/(1-p), dropped: 0
    np.testing.assert_allclose(np.unique(y.data), [0.0, 1 / 0.7], rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x


def test_fixed_window_lm_shapes_gradients_and_a_tiny_fit():
    from models import FixedWindowLM
    from models.fixed_window_lm import windows
    from tinygrad_nlp.testing import gradcheck_module

    corpus = np.array([0, 1, 2, 3] * 30)
    x, t = windows(corpus, 3)
    assert x.shape == (117, 3) and (x[:-1, 1:] == x[1:, :2]).all() and (t == corpus[3:]).all()
    with tg.default_dtype(np.float64):
        model = FixedWindowLM(4, context=3, wordvec_size=2, hidden_size=3, generator=0)
    gradcheck_module(lambda: F.cross_entropy(model(x[:5]), t[:5]), model)
    opt = tg.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        loss = F.cross_entropy(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1  # the next word of a periodic corpus is certain
    with pytest.raises(ValueError, match="expected 3 context words"):
        model(x[:, :2])


def test_one_hot_rnnlm_is_the_d2l_equations():
    from models import OneHotRnnlm
    model = OneHotRnnlm(vocab_size=5, hidden_size=3, generator=0)
    ids = np.array([[1, 4, 0]])
    s = model(ids).data
    p = {k: v.data for k, v in model.named_parameters()}
    h = np.zeros(3)
    for t, i in enumerate(ids[0]):
        x = np.eye(5)[i]  # one-hot, no embedding
        h = np.tanh(h @ p["rnn.cell_l0.Wh"] + x @ p["rnn.cell_l0.Wx"] + p["rnn.cell_l0.b"])
        np.testing.assert_allclose(s[0, t], h @ p["out.W"] + p["out.b"], rtol=1e-5, atol=1e-6)
