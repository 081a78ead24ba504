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
