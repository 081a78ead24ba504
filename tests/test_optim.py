"""Optimizer updates equal torch.optim step for step; clipping; schedules; sparse (lazy) updates."""
import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp import nn, optim

CASES = [
    ("SGD", dict(lr=0.1), "SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, weight_decay=0.01), "SGD", dict(lr=0.1, weight_decay=0.01)),
    ("Momentum", dict(lr=0.05, momentum=0.9), "SGD", dict(lr=0.05, momentum=0.9)),
    ("Momentum", dict(lr=0.05, momentum=0.9, nesterov=True), "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01), "SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("AdaGrad", dict(lr=0.1), "Adagrad", dict(lr=0.1)),
    ("RMSprop", dict(lr=0.01), "RMSprop", dict(lr=0.01)),
    ("Adam", dict(lr=0.01), "Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1), "Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1), "AdamW", dict(lr=0.01, weight_decay=0.1)),
]


def loss_ours(W, x):
    return ((x @ W).tanh() ** 2).sum()


@pytest.mark.parametrize("ours_name, ours_kw, torch_name, torch_kw", CASES)
def test_matches_torch_over_10_steps(torch, ours_name, ours_kw, torch_name, torch_kw):
    rng = np.random.default_rng(0)
    W0, x = rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
    W = tg.tensor(W0, dtype=np.float64, requires_grad=True)
    Wt = torch.tensor(W0, requires_grad=True)
    opt = getattr(optim, ours_name)([W], **ours_kw)
    opt_t = getattr(torch.optim, torch_name)([Wt], **torch_kw)
    for _ in range(10):
        opt.zero_grad()
        loss_ours(W, x).backward()
        opt.step()
        opt_t.zero_grad()
        (torch.tanh(torch.tensor(x) @ Wt) ** 2).sum().backward()
        opt_t.step()
    np.testing.assert_allclose(W.data, Wt.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_sparse_adam_matches_torch_sparse_adam(torch):
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((8, 3))
    emb = nn.Embedding(8, 3, sparse=True)
    emb.W.data = W0.copy()
    emb_t = torch.nn.Embedding(8, 3, sparse=True, _weight=torch.tensor(W0))
    opt, opt_t = optim.Adam(emb.parameters(), lr=0.05), torch.optim.SparseAdam(emb_t.parameters(), lr=0.05)
    for step in range(10):
        ids = rng.integers(0, 8, size=(4, 2))
        opt.zero_grad()
        (emb(ids) ** 2).sum().backward()
        opt.step()
        opt_t.zero_grad()
        (emb_t(torch.tensor(ids)) ** 2).sum().backward()
        opt_t.step()
    np.testing.assert_allclose(emb.W.data, emb_t.weight.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_clip_grad_norm_matches_torch(torch):
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((3, 3)), rng.standard_normal(4)
    a, b = tg.tensor(a0, dtype=np.float64, requires_grad=True), tg.tensor(b0, dtype=np.float64, requires_grad=True)
    at, bt = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ((a * 3).sum() + (b ** 2).sum()).backward()
    ((at * 3).sum() + (bt ** 2).sum()).backward()
    total = nn.clip_grad_norm_([a, b], 1.0)
    total_t = torch.nn.utils.clip_grad_norm_([at, bt], 1.0)
    assert total == pytest.approx(float(total_t))
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(b.grad.data, bt.grad.numpy(), rtol=1e-7)


def test_schedules():
    W = tg.zeros(1, requires_grad=True)
    opt = optim.SGD([W], lr=20.0)
    plateau = optim.ReduceLROnPlateau(opt, factor=0.25, patience=0, threshold=0)
    assert plateau.step(100.0) == 20.0
    assert plateau.step(90.0) == 20.0
    assert plateau.step(95.0) == 5.0
    step = optim.StepLR(opt, step_size=2, gamma=0.5)
    step.step()
    assert step.step() == 2.5


def test_optimizer_state_roundtrip(tmp_path):
    W = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([W], lr=0.1)
    (W * W).sum().backward()
    opt.step()
    tg.save(opt.state_dict(), tmp_path / "opt.npz")
    opt2 = optim.Adam([W], lr=0.5)
    opt2.load_state_dict(tg.load(tmp_path / "opt.npz"))
    assert opt2.lr == 0.1 and opt2.steps == 1
    np.testing.assert_array_equal(opt2.state[0]["m"], opt.state[0]["m"])


def test_empty_params_rejected():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
