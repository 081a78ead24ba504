"""No silent wrong answers: each case once gave a wrong number or a NaN (issue 10); torch is the
reference wherever it has the op."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp import nn, optim
from tinygrad_nlp.nn import functional as F

INF = np.inf


# -- 1. where is a selection --------------------------------------------------------------------
def test_where_never_mixes_in_the_branch_not_chosen():
    x = tg.tensor([INF, 1.0], requires_grad=True)
    y = tg.tensor([5.0, 5.0], requires_grad=True)
    out = tg.where(np.array([False, True]), x, y)
    np.testing.assert_array_equal(out.data, [5.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])
    np.testing.assert_array_equal(y.grad.data, [1.0, 0.0])


@pytest.mark.parametrize("case", ["log", "sqrt", "div", "pow", "deep", "second_order"])
def test_a_masked_branch_gets_a_zero_gradient_not_nan(case):
    """where(c, f(x), 0) does not depend on f(x) where c is false, so d/dx is 0 there even when f'(x) is
    infinite (0 · ∞ on the backward pass is 0 where no gradient flows; torch gives NaN)."""
    x = tg.tensor([0.0, 2.0], requires_grad=True, dtype="float64")
    keep = np.array([False, True])
    f, df = {
        "log": (lambda v: v.log(), 1 / 2.0),
        "sqrt": (lambda v: v.sqrt(), 0.5 / math.sqrt(2.0)),
        "div": (lambda v: 3.0 / v, -3.0 / 4.0),
        "pow": (lambda v: v ** -2, -2 * 2.0 ** -3),
        "deep": (lambda v: (v.log() * 3).exp(), 3 * 2.0 ** 2),  # exp(3 log x) = x³ past two more nodes
        "second_order": (lambda v: v.log() * v, math.log(2.0) + 1),
    }[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's forward warnings: log(0), 1/0
        y = tg.where(keep, f(x), 0.0)
        if case == "second_order":
            (g,) = tg.grad(y.sum(), x, create_graph=True)
            np.testing.assert_allclose(g.data, [0.0, df])
            g.sum().backward()
            np.testing.assert_allclose(x.grad.data, [0.0, 1 / 2.0])  # d/dx (log x + 1)
            return
        y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, df])


def test_an_undefined_gradient_that_is_not_masked_stays_nan_with_a_warning():
    x = tg.tensor([np.inf, 2.0], requires_grad=True)
    y = x.log() * x  # Log's backward at x = ∞ gets g = ∞: ∞ / ∞, a NaN no mask explains
    with pytest.warns(RuntimeWarning, match="Log backward: invalid value"):
        y.sum().backward()
    assert np.isnan(x.grad.data[0]) and np.isfinite(x.grad.data[1])


def test_masked_softmax_with_minus_inf_is_exact(torch):
    s = np.random.default_rng(0).standard_normal((3, 5))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    a = tg.tensor(s, requires_grad=True, dtype="float64")
    p = F.softmax(tg.where(mask, a, -INF), axis=-1)
    (p * tg.tensor(np.arange(5.0))).sum().backward()
    at = torch.tensor(s, requires_grad=True)
    pt = torch.softmax(torch.where(torch.tensor(mask), at, -torch.inf), -1)
    (pt * torch.arange(5.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(p.data, pt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.all(p.data[~mask] == 0)


def test_where_with_python_scalars_and_broadcasting():
    out = tg.where(np.array([True, False]), 1.0, 0.0)
    assert out.dtype == np.float32 and out.tolist() == [1.0, 0.0]
    x = tg.tensor([[1.0], [2.0]], requires_grad=True)
    out = tg.where(np.array([True, False, True]), x, 0.0)  # (2, 1) against (3,) -> (2, 3)
    assert out.shape == (2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0], [2.0]])


def test_rnn_lengths_never_let_a_padded_position_leak():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    lengths = np.array([4, 2])
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        clean = cls(3, 5, generator=0)
        poisoned = cls(3, 5, generator=0)
        xp = x.copy()
        xp[1, 2:] = np.nan  # garbage where the second sequence is padding
        out_c, _ = clean(tg.tensor(x), lengths=lengths)
        out_p, state_p = poisoned(tg.tensor(xp), lengths=lengths)
        assert np.isfinite(out_p.data).all()
        np.testing.assert_allclose(out_p.data[0], out_c.data[0], rtol=1e-6)
        np.testing.assert_allclose(out_p.data[1, :2], out_c.data[1, :2], rtol=1e-6)
        out_p.sum().backward()
        for name, p in poisoned.named_parameters():
            assert np.isfinite(p.grad.data).all(), f"{cls.__name__}.{name}.grad has NaN"


# -- 2. logsumexp of a fully masked row ----------------------------------------------------------
def test_logsumexp_of_a_fully_masked_row_is_minus_inf(torch):
    x = np.array([[-INF, -INF, -INF], [0.0, -INF, 1.0]])
    got = F.logsumexp(tg.tensor(x, dtype="float64"), axis=-1).data
    want = torch.logsumexp(torch.tensor(x), -1).numpy()
    np.testing.assert_array_equal(got, want)
    y = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(F.logsumexp(tg.tensor(y, dtype="float64"), axis=(0, 2)).data,
                               torch.logsumexp(torch.tensor(y), (0, 2)).numpy(), rtol=1e-12)


# -- 3. sigmoid with full relative precision -----------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_and_log_sigmoid_keep_relative_precision(torch, dtype):
    x = np.array([-700.0 if dtype == "float64" else -87.0, -40.0, -20.0, -17.0, -1.0, 0.0, 1.0, 17.0, 40.0], dtype=dtype)
    t = tg.tensor(x, requires_grad=True, dtype=dtype)
    s = t.sigmoid()
    s.sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    st = torch.sigmoid(xt)
    st.sum().backward()
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(s.data, st.detach().numpy(), rtol=rtol)
    e = np.exp(-np.abs(x.astype(np.float64)))
    exact = e / (1 + e) ** 2  # torch's σ(1-σ) cancels to 0 for large x; ours keeps the true value
    np.testing.assert_allclose(t.grad.data, exact, rtol=rtol * 4)
    np.testing.assert_allclose(t.grad.data[:6], xt.grad.numpy()[:6], rtol=rtol * 4)
    assert s.data[2] > 0 and t.grad.data[2] > 0  # sigmoid(-20) is 2e-9, not 0
    left = slice(1, 7)  # x <= 1: where log σ(x) is far from 0 (beyond, σ rounds to 1 in any formula)
    np.testing.assert_allclose(s.log().data[left], torch.nn.functional.logsigmoid(torch.tensor(x[left])).numpy(), rtol=rtol)


def test_binary_cross_entropy_with_logits_matches_torch(torch):
    x = np.array([-100.0, -30.0, -1.0, 0.0, 2.0, 30.0, 100.0], dtype=np.float32)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.0, 1.0], dtype=np.float32)
    a = tg.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(a, t)
    loss.backward()
    at = torch.tensor(x, requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(at, torch.tensor(t))
    lt.backward()
    np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-5, atol=1e-12)


# -- 4. Python and numpy scalars are weakly typed ------------------------------------------------
def test_numpy_scalars_do_not_widen_float32():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for y in (x / np.sqrt(4.0), x * np.float64(2), x * np.int64(2), np.float64(2) * x, x + np.float64(1), x - np.float64(1),
              x ** np.float64(2), x * np.array(3.0), tg.where(np.array([True, False]), x, np.float64(0))):
        assert y.dtype == np.float32, y
    assert (tg.tensor([1, 2]) * tg.tensor([1.5, 2.0])).dtype == np.float32  # int64 x float32 -> float32
    assert (tg.tensor([1, 2]) * 2.5).dtype == np.float32
    assert (tg.tensor([1.0], dtype="float64") * tg.tensor([1.0])).dtype == np.float64  # two floats promote


def test_scaled_attention_stays_float32():
    from models.attention import Attention

    att = Attention(score="scaled_dot")
    hs = tg.randn(2, 5, 8, generator=0)
    h = tg.randn(2, 8, generator=1)
    out = att(hs, h)
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float32


# -- 5. true division ----------------------------------------------------------------------------
def test_true_division_follows_torch(torch):
    np.testing.assert_array_equal((tg.tensor([1, 2]) / tg.tensor([2, 4])).data, [0.5, 0.5])
    assert (tg.tensor([1, 2]) / tg.tensor([2, 4])).dtype == np.float32
    np.testing.assert_allclose((np.array([1, 2, 3]) / tg.tensor([2.0, 4.0, 8.0])).data, [0.5, 0.5, 0.375])
    with np.errstate(all="ignore"):
        got = (tg.tensor([1.0, -1.0, 0.0]) / 0).data
        got_t = (tg.tensor([1.0, -1.0, 0.0]) / tg.tensor(0.0)).data
    want = (torch.tensor([1.0, -1.0, 0.0]) / 0).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_t, want)
    np.testing.assert_array_equal((tg.tensor([3, 4]) / 2).data, [1.5, 2.0])


# -- 6. power edge cases -------------------------------------------------------------------------
def test_power_edge_cases_match_torch(torch):
    x = tg.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    a = tg.tensor([0.0, -2.0, 3.0], requires_grad=True)
    b = tg.tensor([2.0, 2.0, 0.5], requires_grad=True)
    with np.errstate(invalid="ignore"):
        out = a ** b
        out.sum().backward()
    at = torch.tensor([0.0, -2.0, 3.0], requires_grad=True)
    bt = torch.tensor([2.0, 2.0, 0.5], requires_grad=True)
    outt = at ** bt
    outt.sum().backward()
    np.testing.assert_allclose(out.data, outt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.data, bt.grad.numpy(), rtol=1e-6)  # NaN at x < 0 in both
    z = tg.tensor([1.0, 2.0], requires_grad=True)
    (2.0 ** z).sum().backward()
    np.testing.assert_allclose(z.grad.data, np.log(2) * 2.0 ** np.array([1.0, 2.0]), rtol=1e-6)


# -- 7. optimizers as torch ----------------------------------------------------------------------
def test_adam_counts_steps_per_parameter(torch):
    w0 = np.array([1.0, -2.0])
    ours = [tg.tensor(w0, requires_grad=True, dtype="float64"), tg.tensor(w0, requires_grad=True, dtype="float64")]
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)]
    opt, opt_t = optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    for step in range(4):
        used = [0, 1] if step else [0]  # the second parameter gets no gradient in the first step
        opt.zero_grad()
        opt_t.zero_grad()
        sum((ours[i] * ours[i]).sum() for i in used).backward()
        sum((theirs[i] * theirs[i]).sum() for i in used).backward()
        opt.step()
        opt_t.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12)


def test_sparse_adam_matches_torch_sparse_adam(torch):
    W0 = np.random.default_rng(0).standard_normal((6, 3))
    emb = nn.Embedding(6, 3, sparse=True)
    emb.W.data = W0.copy()
    emb_t = torch.nn.Embedding(6, 3, sparse=True, _weight=torch.tensor(W0))
    opt, opt_t = optim.Adam([emb.W], lr=0.05), torch.optim.SparseAdam(list(emb_t.parameters()), lr=0.05)
    for ids in ([0, 1, 1], [2, 1], [5, 0, 0]):
        opt.zero_grad()
        opt_t.zero_grad()
        (emb(np.array(ids)) ** 2).sum().backward()
        (emb_t(torch.tensor(ids)) ** 2).sum().backward()
        opt.step()
        opt_t.step()
    np.testing.assert_allclose(emb.W.data, emb_t.weight.detach().numpy(), rtol=1e-10)


def test_reduce_lr_on_plateau_matches_torch(torch):
    metrics = [10, 9, 9.0005, 9.5, 9.2, 8, 8, 8, 8.1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7.5]
    for kwargs in ({}, {"patience": 1, "factor": 0.5}, {"threshold": 0.1, "threshold_mode": "abs", "cooldown": 2, "patience": 0},
                   {"mode": "max", "patience": 2}, {"min_lr": 0.3, "patience": 0, "factor": 0.5}):
        w = torch.zeros(1, requires_grad=True)
        opt_t = torch.optim.SGD([w], lr=1.0)
        sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs)
        opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
        sched = optim.ReduceLROnPlateau(opt, **kwargs)
        for m in metrics:
            sched_t.step(m)
            assert sched.step(m) == pytest.approx(opt_t.param_groups[0]["lr"]), kwargs


def test_optimizer_state_of_the_wrong_shape_is_refused_on_load():
    W = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([W])
    (W * W).sum().backward()
    opt.step()
    sd = opt.state_dict()
    other = optim.Adam([tg.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match=r"state 'm' of parameter 0 has shape \(2,\), the parameter has \(3,\)"):
        other.load_state_dict(sd)
    with pytest.raises(ValueError, match="not an optimizer state"):
        other.load_state_dict({"state": {}})


# -- 8. gradients through sparse lookups ---------------------------------------------------------
def test_grad_of_a_sparse_embedding_weight_is_dense_and_second_order_works(torch):
    W0 = np.random.default_rng(0).standard_normal((5, 2))
    W = tg.tensor(W0, requires_grad=True, dtype="float64")
    ids = np.array([0, 3, 3])
    (g,) = tg.grad((F.embedding(ids, W, sparse=True) ** 2).sum(), W)
    Wt = torch.tensor(W0, requires_grad=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.embedding(torch.tensor(ids), Wt) ** 2).sum(), Wt)
    np.testing.assert_allclose(g.data, gt.numpy())
    (g2,) = tg.grad((F.embedding(ids, W, sparse=True) ** 3).sum(), W, create_graph=True)
    (h,) = tg.grad(g2.sum(), W)
    np.testing.assert_allclose(h.data, np.bincount(ids, minlength=5)[:, None] * 6 * W0)


# -- 10. BLEU as d2l -----------------------------------------------------------------------------
def test_bleu_d2l_on_a_prediction_shorter_than_k():
    from tinygrad_nlp.evaluation.metrics import bleu_d2l

    # d2l 1.x: n runs to min(k, len_pred); one matching token of a two-token label
    assert bleu_d2l("il", "il est", k=2) == pytest.approx(math.exp(1 - 2 / 1) * 1.0 ** 0.5)
    assert bleu_d2l("il est", "il est", k=4) == pytest.approx(1.0)


# -- 11. empty reductions and target checks ------------------------------------------------------
def test_empty_reductions_are_nan_as_in_torch(torch):
    assert math.isnan(F.cross_entropy(tg.zeros(0, 4), np.zeros(0, dtype=int)).item())
    assert math.isnan(F.cross_entropy(tg.zeros(2, 4), np.array([-100, -100])).item())
    assert F.cross_entropy(tg.zeros(2, 4), np.array([-100, -100]), reduction="sum").item() == 0.0
    assert math.isnan(tg.zeros(0).mean().item()) and math.isnan(torch.zeros(0).mean().item())
    logits = tg.tensor(np.array([[INF, 0.0], [0.0, 1.0]]), requires_grad=True, dtype="float64")
    loss = F.cross_entropy(logits, np.array([-100, 1]))  # an ignored row with inf never reaches the loss
    assert np.isfinite(loss.item())
    loss.backward()
    assert np.isfinite(logits.grad.data).all()


def test_nll_loss_checks_targets_like_cross_entropy(torch):
    lp = F.log_softmax(tg.randn(3, 4, generator=0), axis=-1)
    with pytest.raises(ValueError, match=r"nll_loss: scores \(3, 4\) need targets of shape \(3,\)"):
        F.nll_loss(lp, np.array([0, 1]))
    with pytest.raises(IndexError, match=r"nll_loss: target ids must be in \[0, 4\)"):
        F.nll_loss(lp, np.array([0, -2, 1]))
    t = np.array([0, 3, -100])
    want = torch.nn.functional.nll_loss(torch.tensor(lp.data), torch.tensor(t))
    assert F.nll_loss(lp, t).item() == pytest.approx(want.item(), rel=1e-6)


def test_one_hot_and_flatten():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3).data, [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot(np.array([2, 0])).dtype == np.int64 and F.one_hot(np.array([2, 0])).shape == (2, 3)  # as torch
    assert F.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    with pytest.raises(IndexError, match=r"one_hot: ids must be in \[0, 3\)"):
        F.one_hot(np.array([-1, 2]), 3)  # numpy would wrap -1 to the last class
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x.flatten() * tg.tensor(np.arange(6.0))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.arange(6.0).reshape(2, 3))


# -- 12. torch's shapes ----------------------------------------------------------------------------
def test_matmul_with_vectors_sum_over_no_axes_and_expand_minus_one(torch):
    A, v = np.arange(12.0).reshape(3, 4), np.arange(4.0)
    np.testing.assert_allclose((tg.tensor(A) @ tg.tensor(v)).data, (torch.tensor(A) @ torch.tensor(v)).numpy())
    np.testing.assert_allclose((tg.tensor(np.arange(3.0)) @ tg.tensor(A)).data, np.arange(3.0) @ A)
    assert (tg.tensor(v) @ tg.tensor(v)).shape == ()
    a = tg.tensor(v, requires_grad=True)
    (tg.tensor(A) @ a).sum().backward()
    np.testing.assert_allclose(a.grad.data, A.sum(0))
    assert tg.tensor(A).sum(axis=()).item() == torch.tensor(A).sum(dim=()).item()
    assert tg.tensor([[1.0], [2.0]]).expand(-1, 3).shape == (2, 3)


def test_adam_with_the_textbooks_eps_rule_matches_the_book_formula():
    w0, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -1e-6, 0.0])
    w = tg.tensor(w0, requires_grad=True, dtype="float64")
    opt = optim.Adam([w], lr=0.01, eps=1e-7, eps_before_correction=True)
    m = v = np.zeros(3)
    ref = w0.copy()
    for t in range(1, 4):  # DLFS2 common/optimizer.Adam, written out
        w.grad = tg.tensor(g, dtype="float64")
        opt.step()
        m = m + (1 - 0.9) * (g - m)
        v = v + (1 - 0.999) * (g ** 2 - v)
        ref = ref - 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w.data, ref, rtol=1e-12)


def test_matmul_refuses_mixed_float_dtypes_and_states_follow_the_weights():
    """A float32 input into a float64 model (or the other way) would silently run in float64: refused, as torch."""
    with pytest.raises(TypeError, match=r"matmul: \(2, 3\) float32 @ \(3, 4\) float64: the operands' float dtypes differ"):
        tg.ones(2, 3) @ tg.ones(3, 4, dtype=np.float64)
    assert (tg.ones(2, 3) @ np.ones((3, 4))).dtype == np.float32  # an ndarray constant takes the tensor's dtype
    with tg.default_dtype(np.float64):
        lstm = nn.LSTM(2, 3, generator=0)
    out, (h, c) = lstm(tg.zeros(1, 4, 2, dtype=np.float64))  # its zero initial state is float64 like its weights
    assert out.dtype == h.dtype == c.dtype == np.float64
