"""Tensor methods people reach for, against torch: values and gradients (float64)."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp.testing import gradcheck

X = np.array([[1.0, -2.0, 3.0, 0.5], [4.0, 5.0, -6.0, 0.25], [0.0, 2.0, 2.0, -1.0]])


def both(torch, fn_ours, fn_torch, x=X):
    a = tg.tensor(x, requires_grad=True, dtype="float64")
    at = torch.tensor(x, requires_grad=True)
    out, out_t = fn_ours(a), fn_torch(at)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * tg.tensor(w, dtype="float64")).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["min0", "min1", "unsqueeze", "squeeze", "view", "permute", "clamp", "clamp_lo",
                                  "masked_fill", "var", "var1", "std1", "biased", "cumsum0", "cumsum1", "abs"])
def test_methods_match_torch(torch, name):
    mask = np.array([[True, False, False, True]])
    cases = {
        "min0": (lambda a: a.min(axis=0), lambda t: t.amin(dim=0)),
        "min1": (lambda a: a.min(axis=1, keepdims=True), lambda t: t.amin(dim=1, keepdim=True)),
        "unsqueeze": (lambda a: a.unsqueeze(-1), lambda t: t.unsqueeze(-1)),
        "squeeze": (lambda a: a.reshape(3, 1, 4).squeeze(1), lambda t: t.reshape(3, 1, 4).squeeze(1)),
        "view": (lambda a: a.view(4, 3), lambda t: t.view(4, 3)),
        "permute": (lambda a: a.reshape(3, 2, 2).permute(2, 0, 1), lambda t: t.reshape(3, 2, 2).permute(2, 0, 1)),
        "clamp": (lambda a: a.clamp(-1.0, 2.0), lambda t: t.clamp(-1.0, 2.0)),
        "clamp_lo": (lambda a: a.clamp(min=0.5), lambda t: t.clamp(min=0.5)),
        "masked_fill": (lambda a: a.masked_fill(mask, -9.0), lambda t: t.masked_fill(torch.tensor(mask), -9.0)),
        "var": (lambda a: a.var(), lambda t: t.var()),
        "var1": (lambda a: a.var(axis=1), lambda t: t.var(dim=1)),
        "std1": (lambda a: a.std(axis=0, keepdims=True), lambda t: t.std(dim=0, keepdim=True)),
        "biased": (lambda a: a.var(axis=1, unbiased=False), lambda t: t.var(dim=1, unbiased=False)),
        "cumsum0": (lambda a: a.cumsum(axis=0), lambda t: t.cumsum(dim=0)),
        "cumsum1": (lambda a: a.cumsum(axis=-1), lambda t: t.cumsum(dim=-1)),
        "abs": (lambda a: abs(a), lambda t: abs(t)),
    }
    both(torch, *cases[name])


def test_split_chunk_argmax_argmin_and_matmul_vectors(torch):
    a, t = tg.tensor(X), torch.tensor(X)
    for ours, theirs in ((a.split(3, axis=1), t.split(3, dim=1)), (a.chunk(2, axis=0), t.chunk(2, dim=0)),
                         (a.chunk(3, axis=1), t.chunk(3, dim=1))):
        assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
        for p, q in zip(ours, theirs):
            np.testing.assert_array_equal(p.data, q.numpy())
    assert a.argmax().item() == t.argmax().item() and a.argmin().item() == t.argmin().item()
    np.testing.assert_array_equal(a.argmax(axis=1).data, t.argmax(dim=1).numpy())
    np.testing.assert_array_equal(a.argmin(axis=0, keepdims=True).data, t.argmin(dim=0, keepdim=True).numpy())
    assert not a.argmax().requires_grad
    v = np.arange(4.0)
    np.testing.assert_allclose((tg.tensor(X) @ tg.tensor(v)).data, X @ v)


def test_gradchecks_of_the_compositions():
    x = np.random.default_rng(1).standard_normal((3, 4))
    for fn in (lambda a: a.cumsum(axis=1), lambda a: a.var(axis=0), lambda a: a.clamp(-0.5, 0.5), lambda a: a.min(axis=1)):
        gradcheck(fn, [x])


def test_bad_arguments_name_the_method():
    a = tg.tensor(X)
    with pytest.raises(ValueError, match="split: size must be >= 1"):
        a.split(0)
    with pytest.raises(ValueError, match="chunk: n must be >= 1"):
        a.chunk(0)
    with pytest.raises(ValueError, match="unsqueeze: axis 5 is out of range"):
        a.unsqueeze(5)
    with pytest.raises(ValueError, match=r"split: sizes \[1, 2\] must be >= 0 and add up to 4"):
        a.split([1, 2], axis=1)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "logsumexp", "softmax", "log_softmax", "var", "cat", "stack",
                                  "unsqueeze", "squeeze", "transpose01", "transpose3d", "permute01", "t",
                                  "tile", "tile_short", "repeat_numpy", "repeat_interleave", "repeat_flat", "correction", "split_sizes",
                                  "norm"])
def test_torch_argument_names_dim_and_keepdim(torch, name):
    """Code written for torch runs: `dim=`/`keepdim=` are taken for `axis=`/`keepdims=`."""
    cases = {
        "sum": (lambda a: a.sum(dim=1, keepdim=True), lambda t: t.sum(dim=1, keepdim=True)),
        "mean": (lambda a: a.mean(dim=0), lambda t: t.mean(dim=0)),
        "amax": (lambda a: a.max(dim=1).values, lambda t: t.max(dim=1).values),
        "logsumexp": (lambda a: a.logsumexp(dim=0, keepdim=True), lambda t: t.logsumexp(dim=0, keepdim=True)),
        "softmax": (lambda a: tg.nn.functional.softmax(a, dim=0), lambda t: t.softmax(dim=0)),
        "log_softmax": (lambda a: a.log_softmax(dim=1), lambda t: t.log_softmax(dim=1)),
        "var": (lambda a: a.var(dim=1, keepdim=True), lambda t: t.var(dim=1, keepdim=True)),
        "cat": (lambda a: tg.cat([a, a * 2], dim=1), lambda t: torch.cat([t, t * 2], dim=1)),
        "stack": (lambda a: tg.stack([a, a.exp()], dim=-1), lambda t: torch.stack([t, t.exp()], dim=-1)),
        "unsqueeze": (lambda a: a.unsqueeze(dim=1), lambda t: t.unsqueeze(dim=1)),
        "transpose01": (lambda a: a.transpose(0, 1), lambda t: t.transpose(0, 1)),
        "transpose3d": (lambda a: a.reshape(3, 2, 2).transpose(-1, 0), lambda t: t.reshape(3, 2, 2).transpose(-1, 0)),
        "permute01": (lambda a: a.permute(0, 1), lambda t: t.permute(0, 1)),
        "t": (lambda a: a.t(), lambda t: t.t()),
        "tile": (lambda a: a.tile(2, 1, 3), lambda t: t.repeat(2, 1, 3)),
        "tile_short": (lambda a: a.tile(2), lambda t: t.tile(2)),
        "repeat_numpy": (lambda a: a.repeat(2, 1), lambda t: t.repeat_interleave(2, dim=1)),
        "repeat_interleave": (lambda a: a.repeat_interleave(2, dim=1), lambda t: t.repeat_interleave(2, dim=1)),
        "repeat_flat": (lambda a: a.repeat_interleave(3), lambda t: t.repeat_interleave(3)),
        "correction": (lambda a: a.var(dim=1, correction=0) + a.std(correction=2),
                       lambda t: t.var(dim=1, correction=0) + t.std(correction=2)),
        "norm": (lambda a: a.norm() + a.norm(p=1, dim=1).sum() + a.norm(float("inf"), dim=0, keepdim=True).sum(),
                 lambda t: t.norm() + t.norm(p=1, dim=1).sum() + t.norm(float("inf"), dim=0, keepdim=True).sum()),
        "split_sizes": (lambda a: tg.cat(a.split([1, 3], dim=1)[::-1], dim=1),
                        lambda t: torch.cat(t.split([1, 3], dim=1)[::-1], dim=1)),
        "squeeze": (lambda a: a[:1].squeeze(dim=0), lambda t: t[:1].squeeze(dim=0)),
    }
    both(torch, *cases[name])
    with pytest.raises(TypeError, match="sum: got both axis= and dim="):
        tg.tensor(X).sum(axis=0, dim=0)


def test_dtype_conversions_stay_in_the_graph():
    x = tg.tensor(X, requires_grad=True)  # float32
    d = x.double()
    assert d.dtype == np.float64 and d.grad_fn.name == "Cast" and x.float() is x and x.to("float32") is x
    (d ** 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, 3 * X.astype(np.float32) ** 2, rtol=1e-6)
    ids = x.long()
    assert ids.dtype == np.int64 and not ids.requires_grad and x.to(bool).dtype == np.bool_
    c = x.clone()
    assert c.grad_fn.name == "Cast" and not np.shares_memory(c.data, x.data)
    (g,) = tg.grad((x.double() ** 3).sum(), x, create_graph=True)  # second order through Cast
    (g.sum()).backward()
    np.testing.assert_allclose(x.grad.data, 3 * X ** 2 + 6 * X, rtol=1e-5)
    gradcheck(lambda a: a.clone() * a.clone().tanh(), [np.random.default_rng(2).standard_normal((2, 3))])


def test_retain_grad_keeps_a_non_leaf_gradient(torch):
    x = tg.tensor(X, requires_grad=True, dtype="float64")
    xt = torch.tensor(X, requires_grad=True)
    h, ht = (x * 2).tanh(), (xt * 2).tanh()
    h.retain_grad()
    ht.retain_grad()
    assert h.retains_grad and not x.retains_grad
    for _ in range(2):  # accumulates over backward calls, like a leaf's
        (h * h * x).sum().backward(retain_graph=True)
        (ht * ht * xt).sum().backward(retain_graph=True)
    np.testing.assert_allclose(h.grad.data, ht.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12)
    u = x * 3
    assert u.grad is None
    u.sum().backward()
    assert u.grad is None  # not asked for
    with pytest.raises(RuntimeError, match="retain_grad: tensor of shape"):
        tg.tensor(X).retain_grad()


def test_norm_at_zero_has_torchs_zero_gradient(torch):
    x = tg.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    xt = torch.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    (x.norm(dim=1) * tg.tensor([2.0, 1.0])).sum().backward()
    (xt.norm(dim=1) * torch.tensor([2.0, 1.0])).sum().backward()
    assert x.grad.tolist() == xt.grad.tolist()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-6)
    with pytest.raises(ValueError, match="norm: p must be 1, 2 or inf, got 3"):
        x.norm(3)


def test_d2l_autograd_example_with_dot_and_zero_():
    """d2l 2.5: y = 2 x·x, dy/dx = 4x; the gradient zeroed in place, then y = sum(x)."""
    x = tg.arange(4.0).requires_grad_()
    y = 2 * x.dot(x)
    y.backward()
    assert x.grad.tolist() == (4 * x).tolist() == [0.0, 4.0, 8.0, 12.0]
    x.grad.zero_()
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"dot: expects two vectors of the same length, got \(4,\) and \(3,\)"):
        x.dot(tg.ones(3))


def test_backward_takes_torchs_gradient_keyword():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(gradient=tg.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 40.0]


def test_torch_helpers_numel_dim_t_all_any_full_arange_eye(torch):
    a, t = tg.tensor(X), torch.tensor(X)
    assert a.numel() == t.numel() and a.dim() == t.dim()
    np.testing.assert_array_equal(a.t().data, t.t().numpy())
    assert a[0].t().shape == (4,)
    with pytest.raises(ValueError, match="t: expects a tensor with at most 2 dimensions"):
        a.reshape(3, 2, 2).t()
    assert bool((a > -10).all()) and not bool((a > 10).any())
    np.testing.assert_array_equal((a > 0).any(dim=1).data, (t > 0).any(dim=1).numpy())
    for ours, theirs in ((tg.full((2, 3), 7), torch.full((2, 3), 7)), (tg.full((2,), 0.5), torch.full((2,), 0.5)),
                         (tg.full((2,), True), torch.full((2,), True)), (tg.arange(5), torch.arange(5)),
                         (tg.arange(1, 2, 0.25), torch.arange(1, 2, 0.25)), (tg.eye(2, 3), torch.eye(2, 3))):
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_activation_and_loss_layers_match_torch(torch, rng):
    x, ids = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    ours = tg.nn.Sequential(tg.nn.Tanh(), tg.nn.ReLU(), tg.nn.Sigmoid(), tg.nn.Softmax(dim=1))
    theirs = torch.nn.Sequential(torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.Sigmoid(), torch.nn.Softmax(dim=1))
    np.testing.assert_allclose(ours(tg.tensor(x, dtype="float64")).data, theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    xt = torch.tensor(x)
    pairs = [(tg.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), ids),
             (tg.nn.CrossEntropyLoss(ignore_index=1, reduction="sum"),
              torch.nn.CrossEntropyLoss(ignore_index=1, reduction="sum"), ids),
             (tg.nn.NLLLoss(), torch.nn.NLLLoss(), ids), (tg.nn.MSELoss(), torch.nn.MSELoss(), x[::-1].copy()),
             (tg.nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), (x > 0).astype(float))]
    for mine, torchs, target in pairs:
        inp = tg.tensor(x, dtype="float64")
        inp = tg.nn.LogSoftmax(dim=1)(inp) if isinstance(mine, tg.nn.NLLLoss) else inp
        inp_t = xt.log_softmax(dim=1) if isinstance(mine, tg.nn.NLLLoss) else xt
        np.testing.assert_allclose(mine(inp, target).item(), torchs(inp_t, torch.tensor(target)).item(), rtol=1e-12)
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        tg.nn.MSELoss(reduction="avg")


def test_in_place_updates_like_torch(torch, rng):
    """`p -= lr * p.grad` under no_grad updates the parameter itself (a silent no-op would be the worst bug)."""
    model = tg.nn.Linear(3, 2)
    ((model(tg.tensor(rng.standard_normal((4, 3)))) ** 2).sum()).backward()
    W0, g = model.W.data.copy(), model.W.grad.data.copy()
    with tg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(model.W.data, W0 - 0.1 * g, rtol=1e-6)
    model.W.grad.zero_()
    assert not model.W.grad.data.any() and model.W.requires_grad
    with pytest.raises(RuntimeError, match=r"\+=: a leaf tensor that requires grad \(shape \(3, 2\)\)"):
        model.W += 1
    # in a graph, x += y is x = x + y (the gradient flows as torch's)
    w, wt = tg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    acc, acc_t = tg.zeros(2), torch.zeros(2)
    for i in range(3):
        acc += w * i
        acc_t += wt * i
    acc.sum().backward()
    acc_t.sum().backward()
    np.testing.assert_array_equal(w.grad.data, wt.grad.numpy())
    with pytest.raises(RuntimeError, match="add_: cannot change a tensor of a recorded graph in place"):
        (w * 2).add_(1)
    # a graph that saved the old values still differentiates correctly
    a, b = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0])
    y = (a * b).sum()
    b += 5
    b.mul_(2)
    y.backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])
    np.testing.assert_array_equal(b.data, [16.0, 18.0])
    x = tg.tensor([np.inf, 1.0])
    assert x.fill_(2) is x and x.tolist() == [2.0, 2.0] and x.add_(1, alpha=3).tolist() == [5.0, 5.0]
    with pytest.raises(TypeError, match=r"\+=: a float32 result cannot be stored in place in a int64 tensor"):
        ids = tg.tensor([1, 2])
        ids += 1.5
    with pytest.raises(ValueError, match=r"\+=: the result has shape \(3, 2\)"):
        z = tg.ones(2)
        z += tg.ones(3, 2)


def test_max_and_min_with_dim_give_torchs_values_and_indices(torch):
    x = np.array([[1.0, 3.0, 3.0], [5.0, 2.0, 5.0]])  # ties: torch picks the first, and sends it the gradient
    for name in ("max", "min"):
        for keepdim in (False, True):
            a, at = tg.tensor(x, requires_grad=True, dtype="float64"), torch.tensor(x, requires_grad=True)
            values, indices = getattr(a, name)(dim=1, keepdim=keepdim)
            ref = getattr(at, name)(dim=1, keepdim=keepdim)
            np.testing.assert_array_equal(values.data, ref.values.detach().numpy())
            np.testing.assert_array_equal(indices.data, ref.indices.numpy())
            assert indices.dtype == np.int64 and not indices.requires_grad
            (values * tg.tensor([[2.0], [3.0]] if keepdim else [2.0, 3.0], dtype="float64")).sum().backward()
            (ref.values * torch.tensor([[2.0], [3.0]] if keepdim else [2.0, 3.0], dtype=torch.float64)).sum().backward()
            np.testing.assert_array_equal(a.grad.data, at.grad.numpy())
    assert tg.tensor(x).max(1).tolist() == [3.0, 5.0]  # numpy's max: values only
    assert tg.tensor(x).min(axis=1, keepdim=True).shape == (2, 1) and tg.tensor(x).max(keepdim=True).shape == (1, 1)
    with pytest.raises(ValueError, match="cannot reduce axis 1 of size 0"):
        tg.zeros(2, 0).max(dim=1)


def test_gather_and_setitem_as_torch(torch, rng):
    x, idx = rng.standard_normal((3, 4)), np.array([[0, 0], [3, 1], [2, 2]])  # a repeated index adds up
    a, at = tg.tensor(x, requires_grad=True, dtype="float64"), torch.tensor(x, requires_grad=True)
    out, ref = a.gather(1, idx), at.gather(1, torch.tensor(idx))
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-12)
    assert a.gather(dim=0, index=np.array([[2, 1, 0, 0]])).shape == (1, 4)
    with pytest.raises(ValueError, match=r"gather: index must be integer with 2 dimensions"):
        a.gather(1, np.array([0, 1]))
    m, mt = tg.zeros(2, 3), torch.zeros(2, 3)
    m[0, 1], mt[0, 1] = 5.0, 5.0
    m[1] = tg.tensor([1.0, 2.0, 3.0])
    mt[1] = torch.tensor([1.0, 2.0, 3.0])
    m[:, 2] = m[:, 2] * 0 - 1
    mt[:, 2] = mt[:, 2] * 0 - 1
    np.testing.assert_array_equal(m.data, mt.numpy())
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        w[0] = 3.0
    with pytest.raises(RuntimeError, match="setitem: cannot record assigning a tensor that requires grad"):
        m[0] = w * 2
    with tg.no_grad():
        w[0] = 3.0
    assert w.tolist() == [3.0, 1.0] and w.requires_grad
