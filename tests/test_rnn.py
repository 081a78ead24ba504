"""RNN/LSTM/GRU layers equal torch.nn.RNN/LSTM/GRU (outputs, final states, every gradient);
hypothesis gradient checks on the cells; bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nlp as tg
from tinygrad_nlp import nn
from tinygrad_nlp.testing import gradcheck_module

CONFIGS = [dict(num_layers=1, bidirectional=False), dict(num_layers=2, bidirectional=False),
           dict(num_layers=1, bidirectional=True), dict(num_layers=2, bidirectional=True)]


def _torch_run(torch, kind, layer_t, x, state, lengths):
    xt = torch.tensor(x, requires_grad=True)
    inp = xt
    if lengths is not None:
        inp = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, st_ = layer_t(inp, state)
    if lengths is not None:
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return xt, out, st_


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"L{c['num_layers']}{'-bi' if c['bidirectional'] else ''}")
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)], ids=["f64", "f32"])
@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
def test_matches_torch(torch, kind, config, dtype, tol, with_lengths):
    rng = np.random.default_rng(0)
    N, T, D, H = 3, 5, 4, 6
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    torch.manual_seed(0)
    layer_t = getattr(torch.nn, kind)(D, H, batch_first=True, **config).to(tdtype)
    with tg.default_dtype(dtype):
        layer = getattr(nn, kind)(D, H, **config)
    layer.load_torch_state_dict(layer_t.state_dict())
    x = rng.standard_normal((N, T, D)).astype(dtype)
    L = config["num_layers"] * (2 if config["bidirectional"] else 1)
    h0 = rng.standard_normal((L, N, H)).astype(dtype)
    c0 = rng.standard_normal((L, N, H)).astype(dtype)
    lengths = np.array([5, 2, 4]) if with_lengths else None

    state_t = (torch.tensor(h0), torch.tensor(c0)) if kind == "LSTM" else torch.tensor(h0)
    xt, out_t, fin_t = _torch_run(torch, kind, layer_t, x, state_t, lengths)
    state = (tg.tensor(h0, dtype=dtype), tg.tensor(c0, dtype=dtype)) if kind == "LSTM" else tg.tensor(h0, dtype=dtype)
    xs = tg.tensor(x, dtype=dtype, requires_grad=True)
    out, fin = layer(xs, state, lengths=lengths)

    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=tol, atol=tol)
    fins, fins_t = (fin, fin_t) if kind == "LSTM" else ((fin,), (fin_t,))
    for a, b in zip(fins, fins_t):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=tol, atol=tol)

    w = rng.standard_normal(out.shape).astype(dtype)
    loss = (out * w).sum() + sum((f * f).sum() for f in fins)
    loss_t = (out_t * torch.tensor(w)).sum() + sum((f * f).sum() for f in fins_t)
    loss.backward()
    loss_t.backward()
    np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    theirs = {k: v.grad.numpy() for k, v in layer_t.named_parameters()}
    grads_as_torch = _grads_in_torch_layout(layer)
    for name, g in grads_as_torch.items():
        if name.startswith("bias_hh") and kind != "GRU":
            g_t = theirs[name]  # our single bias b gets the gradient of both torch biases
            np.testing.assert_allclose(grads_as_torch[name.replace("hh", "ih")], g_t, rtol=tol * 10, atol=tol * 10)
            continue
        np.testing.assert_allclose(g, theirs[name], rtol=tol * 10, atol=tol * 10, err_msg=name)


def _grads_in_torch_layout(layer):
    saved = {n: p.data for n, p in layer.named_parameters()}
    for n, p in layer.named_parameters():
        p.data = p.grad.data
    sd = layer.torch_state_dict()
    for n, p in layer.named_parameters():
        p.data = saved[n]
    return sd


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["RNNCell", "LSTMCell", "GRUCell"]), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4))
def test_cells_gradcheck(kind, n, d, h):
    with tg.default_dtype(np.float64):
        cell = getattr(nn, kind)(d, h, generator=0)
    rng = np.random.default_rng(1)
    for p in cell.parameters():
        p.data = rng.standard_normal(p.shape)
    x = tg.tensor(rng.standard_normal((n, d)), dtype=np.float64)
    h0 = tg.tensor(rng.standard_normal((n, h)), dtype=np.float64)
    c0 = tg.tensor(rng.standard_normal((n, h)), dtype=np.float64)

    def loss_fn():
        out = cell(x, (h0, c0)) if kind == "LSTMCell" else cell(x, h0)
        out = out if isinstance(out, tuple) else (out,)
        return sum(((o * o).sum() for o in out), tg.tensor(0.0, dtype=np.float64))

    gradcheck_module(loss_fn, cell)


def test_stateful_carries_state_with_graph_cut():
    lstm = nn.LSTM(2, 3, stateful=True, generator=0)
    x = tg.randn(1, 4, 2, generator=1)
    _, (h1, _) = lstm(x)
    assert lstm.state[0].is_leaf and not lstm.state[0].requires_grad
    np.testing.assert_allclose(lstm.state[0].data, h1.data)
    out, _ = lstm(x)  # starts from the carried state
    lstm.reset_state()
    out_reset, _ = lstm(x)
    out_zero, _ = nn.LSTM(2, 3, generator=0)(x)
    np.testing.assert_allclose(out_reset.data, out_zero.data)
    assert not np.allclose(out.data, out_zero.data)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nn.LSTM(2, 3)(tg.zeros(4, 2)), "expected input of 3 dimensions"),
        (lambda: nn.LSTM(2, 3)(tg.zeros(1, 0, 2)), "T = 0"),
        (lambda: nn.LSTM(2, 3)(tg.zeros(1, 2, 5)), "input has 5 features, expected 2"),
        (lambda: nn.LSTM(2, 3)(tg.zeros(1, 2, 2), (tg.zeros(1, 2, 3), tg.zeros(1, 2, 3))), r"initial state has shape \(1, 2, 3\), expected \(1, 1, 3\)"),
        (lambda: nn.GRU(2, 3)(tg.zeros(2, 2, 2), lengths=[1, 3]), r"lengths must be in \[1, 2\]"),
    ],
)
def test_rnn_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_lm_training_steps_free_their_graph():
    """Each training step's graph is gone when the step ends (freed by reference counting, the
    cycle collector off): its loss tensor is dead, and the live Tensors and graph nodes after 40 more
    steps are the same in number (parameters, carried state). What other tests left is collected first."""
    import gc
    import weakref

    from models import Rnnlm
    from tinygrad_nlp.nn import functional as F

    rng = np.random.default_rng(0)
    model = Rnnlm(50, 8, 16, generator=0)
    opt = tg.optim.SGD(model.parameters(), lr=0.5)

    def step():
        xs = rng.integers(0, 50, (4, 10))
        loss = F.cross_entropy(model(xs), xs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return weakref.ref(loss)

    def live():
        objs = gc.get_objects()
        return sum(issubclass(type(o), tg.Tensor) for o in objs), sum(issubclass(type(o), tg.Function) for o in objs)

    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            step()
        before = live()
        losses = [step() for _ in range(40)]
        assert live() == before
    finally:
        gc.enable()
    assert all(loss() is None for loss in losses)


def test_simplified_gru_follows_ngs_equations_and_its_gradients_check():
    from tinygrad_nlp.testing import gradcheck

    with tg.default_dtype(np.float64):
        gru = nn.GRU(3, 4, simplified=True, generator=0)
    cell = gru.cell_l0
    assert isinstance(cell, nn.SimplifiedGRUCell) and cell.Wx.shape == (3, 8)
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    out, h_n = gru(tg.tensor(x, dtype="float64"))
    c = np.zeros((2, 4))
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    for t in range(5):  # Ng: Γu = σ(...), c̃ = tanh(...), c = Γu c̃ + (1 - Γu) c
        A = x[:, t] @ cell.Wx.data + c @ cell.Wh.data + cell.b.data
        u, c_tilde = sig(A[:, :4]), np.tanh(A[:, 4:])
        c = u * c_tilde + (1 - u) * c
        np.testing.assert_allclose(out.data[:, t], c, rtol=1e-12)
    gradcheck(lambda a: gru(a)[0].sum(), [x[:, :3]])
    with pytest.raises(ValueError, match="no torch counterpart"):
        gru.torch_state_dict()
