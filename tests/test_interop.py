"""to_torch / from_torch: every model of models/ is the same model in PyTorch, both ways.

For each class, on random batches: outputs and every parameter's gradient equal (float64 to 1e-10,
float32 to 1e-5), starting from our weights (ours -> torch) and from torch's own initialisation
(torch -> ours, with torch's redundant second RNN/LSTM bias set non-zero, as a stock model has it);
20 SGD steps from the same start give the same losses (float32, relative 1e-4); the stateful LMs
carry their state from one batch to the next the same way. Skipped only where torch is not installed.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

import models
import tinygrad_nlp as tg
from tinygrad_nlp.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the `compare` or `torch` extra)")
interop = pytest.importorskip("tinygrad_nlp.interop")
torch.set_num_threads(1)

V, N, T = 23, 3, 5
CORPUS = np.random.default_rng(7).zipf(1.5, 400) % V  # word counts with a long tail, every id below V possible


def ids(rng, *shape, low=0):
    return rng.integers(low, V, shape)


def lm_batch(rng):
    return {"xs": ids(rng, N, T), "ts": ids(rng, N, T)}


def seq2seq_batch(rng, lengths=False):
    b = {"xs": ids(rng, N, 6), "ts": ids(rng, N, 4)}
    if lengths:
        b["lengths"] = np.array([6, 2, 4])
    return b


def classifier_batch(rng):
    lengths = np.array([T, 2, 4])
    xs = ids(rng, N, T, low=1) * (np.arange(T)[None, :] < lengths[:, None])  # padded with id 0
    return {"xs": xs, "lengths": lengths, "ts": rng.integers(0, 2, N)}


def word2vec_batch(rng, window=2):
    return {"contexts": ids(rng, N, 2 * window), "target": ids(rng, N)}


# case: (build ours, batch, run ours -> (output, loss), run torch -> (output, loss), stateful)
def run_lm(model, b):
    out = model(b["xs"])
    return out, F.cross_entropy(out, b["ts"])


def run_lm_torch(module, b):
    out = module(torch.as_tensor(b["xs"]))
    return out, torch.nn.functional.cross_entropy(out.flatten(0, -2), torch.as_tensor(b["ts"]).flatten())


def run_classifier(model, b):
    out = model(b["xs"], b.get("lengths"))
    return out, F.cross_entropy(out, b["ts"])


def run_classifier_torch(module, b):
    out = module(torch.as_tensor(b["xs"]), b.get("lengths"))
    return out, torch.nn.functional.cross_entropy(out, torch.as_tensor(b["ts"]))


def run_loss(model, b):  # seq2seq: the model's own loss is its output
    loss = model(b["xs"], b["ts"], b.get("lengths"))
    return loss, loss


def run_loss_torch(module, b):
    loss = module(torch.as_tensor(b["xs"]), torch.as_tensor(b["ts"]), b.get("lengths"))
    return loss, loss


def run_word2vec(model, b):
    if model.output == "negative_sampling":  # the negatives ours will draw, for torch to use too
        targets = b["target"] if isinstance(model, models.CBOW) else b["contexts"]
        b["negatives"] = copy.deepcopy(model.ns_loss.sampler).get_negative_sample(targets)
    loss = model(b["contexts"], b["target"])
    return loss, loss


def run_word2vec_torch(module, b):
    negatives = torch.as_tensor(b["negatives"]) if "negatives" in b else None
    loss = module(torch.as_tensor(b["contexts"]), torch.as_tensor(b["target"]), negatives)
    return loss, loss


LM = (lm_batch, run_lm, run_lm_torch)
CASES = {
    "Rnnlm-lstm": (lambda: models.Rnnlm(V, 6, 7, cell="lstm", generator=0), *LM),
    "Rnnlm-lstm-2-layers": (lambda: models.Rnnlm(V, 6, 7, cell="lstm", num_layers=2, generator=0), *LM),
    "Rnnlm-gru": (lambda: models.Rnnlm(V, 6, 7, cell="gru", generator=0), *LM),
    "Rnnlm-rnn": (lambda: models.Rnnlm(V, 6, 7, cell="rnn", generator=0), *LM),
    "Rnnlm-sgru-2-layers": (lambda: models.Rnnlm(V, 6, 7, cell="sgru", num_layers=2, generator=0), *LM),
    "SimpleRnnlm": (lambda: models.SimpleRnnlm(V, 6, 7, generator=0), *LM),
    "BetterRnnlm": (lambda: models.BetterRnnlm(V, 8, 8, dropout=0.5, generator=0), *LM),
    "OneHotRnnlm": (lambda: models.OneHotRnnlm(V, 9, generator=0), *LM),
    "FixedWindowLM": (lambda: models.FixedWindowLM(V, 3, 5, 9, generator=0), lambda rng: {"xs": ids(rng, N, 3), "ts": ids(rng, N)},
                      run_lm, run_lm_torch),
    "Tagger": (lambda: models.Tagger(V, 5, 6, num_tags=4, generator=0), lambda rng: {"xs": ids(rng, N, T), "ts": rng.integers(0, 4, (N, T))},
               run_lm, run_lm_torch),
    **{f"SentenceClassifier-{kind}": (lambda kind=kind: models.SentenceClassifier(V, kind, 5, 6, generator=0), classifier_batch,
                                      run_classifier, run_classifier_torch) for kind in ("average", "gru", "bigru")},
    "SentenceClassifier-bigru-unpadded": (lambda: models.SentenceClassifier(V, "bigru", 5, 6, generator=0),
                                          lambda rng: {"xs": ids(rng, N, T), "ts": rng.integers(0, 2, N)}, run_classifier, run_classifier_torch),
    "Seq2seq": (lambda: models.Seq2seq(V, 5, 8, generator=0), seq2seq_batch, run_loss, run_loss_torch),
    "Seq2seq-gru-bidirectional-lengths": (lambda: models.Seq2seq(V, 5, 8, cell="gru", bidirectional=True, generator=0),
                                          lambda rng: seq2seq_batch(rng, lengths=True), run_loss, run_loss_torch),
    "PeekySeq2seq": (lambda: models.PeekySeq2seq(V, 5, 8, generator=0), seq2seq_batch, run_loss, run_loss_torch),
    "AttentionSeq2seq-dot": (lambda: models.AttentionSeq2seq(V, 5, 8, generator=0), seq2seq_batch, run_loss, run_loss_torch),
    "AttentionSeq2seq-additive-bidirectional-lengths": (
        lambda: models.AttentionSeq2seq(V, 5, 8, bidirectional=True, score="additive", generator=0),
        lambda rng: seq2seq_batch(rng, lengths=True), run_loss, run_loss_torch),
    "AttentionSeq2seq-scaled-gru": (lambda: models.AttentionSeq2seq(V, 5, 8, cell="gru", score="scaled_dot", generator=0),
                                    seq2seq_batch, run_loss, run_loss_torch),
    **{f"{cls.__name__}-{output}": (lambda cls=cls, output=output: cls(V, 6, 2, CORPUS, sample_size=3, output=output, generator=0),
                                    word2vec_batch, run_word2vec, run_word2vec_torch)
       for cls in (models.CBOW, models.SkipGram) for output in ("negative_sampling", "hierarchical_softmax")},
}
STATEFUL = ("Rnnlm-lstm-2-layers", "Rnnlm-gru", "Rnnlm-sgru-2-layers", "BetterRnnlm", "OneHotRnnlm")
TOL = {"float64": 1e-10, "float32": 1e-5}


def build(name, dtype):
    with tg.default_dtype(dtype):
        model = CASES[name][0]()
    return model.eval()  # dropout off: the two engines draw different masks


def dense(grad):
    return grad.to_dense() if isinstance(grad, tg.RowSparse) else grad.data


def assert_same(model, module, batch, tol):
    """Outputs, losses and every parameter's gradient of ours and of the torch twin on one batch."""
    _, _, run, run_torch = CASES[model.case]
    out, loss = run(model, batch)
    out_t, loss_t = run_torch(module, batch)
    np.testing.assert_allclose(out_t.detach().numpy(), out.data, rtol=tol, atol=tol)
    model.zero_grad()
    module.zero_grad()
    loss.backward()
    loss_t.backward()
    theirs = dict(module.named_parameters())
    checked = 0
    for p in interop.pairs(model, module):
        np.testing.assert_allclose(theirs[p.theirs].grad.numpy(), p.there(dense(p.ours.grad)), rtol=tol, atol=tol, err_msg=p.theirs)
        checked += 1
    assert checked == len(model.parameters())


@pytest.fixture(params=list(CASES))
def case(request):
    return request.param


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ours_to_torch(case, dtype):
    model = build(case, dtype)
    model.case = case
    module = interop.to_torch(model)
    assert type(module).__name__ == type(model).__name__ and not module.training
    assert next(module.parameters()).dtype == {"float64": torch.float64, "float32": torch.float32}[dtype]
    assert_same(model, module, CASES[case][1](np.random.default_rng(1)), TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_to_ours(case, dtype):
    twin = interop.to_torch(build(case, "float32"))
    torch.manual_seed(0)
    module = type(twin)(**twin.args).to(getattr(torch, dtype)).eval()  # torch's own initialisation
    with torch.no_grad():
        for name, p in module.named_parameters():
            if not p.requires_grad:  # a stock torch RNN/LSTM trains bias_hh too: ours gets the sum
                p.normal_()
    model = interop.from_torch(module)
    model.case = case
    assert type(model).__name__ == type(module).__name__ and model.parameters()[0].dtype == np.dtype(dtype)
    assert_same(model, module, CASES[case][1](np.random.default_rng(2)), TOL[dtype])


def test_twenty_sgd_steps_give_the_same_losses(case):
    model = build(case, "float32")
    model.case = case
    module = interop.to_torch(model)
    _, batch, run, run_torch = CASES[case]
    ours_opt = tg.optim.SGD(model.parameters(), lr=0.5)
    torch_opt = torch.optim.SGD([p for p in module.parameters() if p.requires_grad], lr=0.5)
    rng = np.random.default_rng(3)
    losses, losses_t = [], []
    for _ in range(20):
        b = batch(rng)
        _, loss = run(model, b)
        _, loss_t = run_torch(module, b)
        for opt, lo in ((ours_opt, loss), (torch_opt, loss_t)):
            opt.zero_grad()
            lo.backward()
            opt.step()
        losses.append(loss.item())
        losses_t.append(loss_t.item())
    np.testing.assert_allclose(losses_t, losses, rtol=1e-4)
    assert losses[-1] != losses[0]


@pytest.mark.parametrize("name", STATEFUL)
def test_stateful_lms_carry_their_state_the_same_way(name):
    model = build(name, "float64")
    module = interop.to_torch(model)
    rng = np.random.default_rng(4)
    first, second = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    model(first)
    module(torch.as_tensor(first))
    assert module.state is not None and not any(s.requires_grad for s in (module.state if isinstance(module.state, tuple) else (module.state,)))
    np.testing.assert_allclose(module(torch.as_tensor(second)).detach().numpy(), model(second).data, rtol=1e-10, atol=1e-10)
    carried = model(second).data
    model.reset_state()
    module.reset_state()
    fresh = model(second).data
    assert not np.allclose(fresh, carried)
    np.testing.assert_allclose(module(torch.as_tensor(second)).detach().numpy(), fresh, rtol=1e-10, atol=1e-10)


def test_dropout_and_tied_weights_carry_over():
    module = interop.to_torch(models.BetterRnnlm(V, 8, 8, dropout=0.5, generator=0))
    assert module.out.weight is module.embed.weight and module.training
    assert module.drop.p == 0.5 and module.rnn.dropout == 0.5 and module.rnn.num_layers == 2


def test_a_model_without_a_twin_is_a_clear_error():
    with pytest.raises(TypeError, match="no torch twin for SimpleCBOW"):
        interop.to_torch(models.SimpleCBOW(V, 4, generator=0))
    with pytest.raises(TypeError, match="not one of the torch twins"):
        interop.from_torch(torch.nn.Linear(2, 3))
