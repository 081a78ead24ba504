"""0-d and empty tensors, infinities, and the cases where numpy's answer is not torch's (issue 21,
items 2-10): each compared with torch in float64."""
import math

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp.nn import functional as F


def _value_and_grad(lib, fn, values, torch=None):
    """fn applied to a float64 leaf made by `lib` (tg or torch); its value and gradient as arrays."""
    if lib is tg:
        x = tg.tensor(values, dtype="float64", requires_grad=True)
    else:
        x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    y = fn(x)
    y = y[0] if isinstance(y, tuple) else y
    y.sum().backward()
    as_array = (lambda t: t.data) if lib is tg else (lambda t: t.detach().numpy())
    return as_array(y), as_array(x.grad)


ZERO_D = {
    "sum(0)": lambda t: t.sum(0), "sum(-1)": lambda t: t.sum(-1), "mean(0)": lambda t: t.mean(0),
    "softmax(0)": lambda t: t.softmax(0), "log_softmax(0)": lambda t: t.log_softmax(0),
    "logsumexp(0)": lambda t: t.logsumexp(0), "max(0)": lambda t: t.amax(0) if hasattr(t, "amax") else t.max(0),
    "max(dim=0)": lambda t: t.max(dim=0), "min(dim=-1)": lambda t: t.min(dim=-1), "norm(dim=0)": lambda t: t.norm(dim=0),
    "cumsum(0)": lambda t: t.cumsum(0), "squeeze(0)": lambda t: t.squeeze(0), "var(0)": lambda t: t.var(0),
    "std(0, unbiased=False)": lambda t: t.std(0, unbiased=False), "unsqueeze(-1)": lambda t: t.unsqueeze(-1),
}


@pytest.mark.parametrize("name", list(ZERO_D))
def test_zero_dim_tensors_take_dim_0_and_minus_1_as_torch(torch, name):
    fn = ZERO_D[name]
    ours, theirs = _value_and_grad(tg, fn, 2.0), _value_and_grad(torch, fn, 2.0, torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, equal_nan=True)
        assert np.shape(a) == np.shape(b)
    assert F.softmax(tg.tensor(3.0), dim=0).item() == 1.0


def test_zero_dim_indices_of_max_and_gather(torch):
    assert tg.tensor(2.0).max(dim=0).indices.item() == torch.tensor(2.0).max(dim=0).indices.item() == 0
    assert tg.tensor(2.0).gather(0, np.array(0)).item() == torch.tensor(2.0).gather(0, torch.tensor(0)).item()
    with pytest.raises(ValueError, match="split: needs a tensor with at least one dimension"):
        tg.tensor(2.0).split(1)


def test_empty_inner_dimension(torch):
    a = tg.zeros(2, 4, 0, requires_grad=True)
    out = a @ tg.zeros(0, 3)
    assert out.shape == (2, 4, 3) and not out.data.any()
    out.sum().backward()
    assert a.grad.shape == (2, 4, 0)
    assert tg.zeros(2, 0, 4).cumsum(1).shape == tuple(torch.zeros(2, 0, 4).cumsum(1).shape)


@pytest.mark.parametrize("values", [[1.0, math.inf, 2.0], [1.0, math.nan, 2.0], [-math.inf, 1.0, math.inf]])
def test_cumsum_keeps_inf_and_nan_out_of_earlier_sums(torch, values):
    weights = [1.0, 2.0, 3.0]
    fn = lambda t: t.cumsum(0) * (tg.tensor(weights, dtype="float64") if isinstance(t, tg.Tensor) else torch.tensor(weights, dtype=torch.float64))
    for a, b in zip(_value_and_grad(tg, fn, values), _value_and_grad(torch, fn, values, torch)):
        np.testing.assert_array_equal(a, b)


def test_std_gradient_is_zero_where_the_std_is_zero(torch):
    for a, b in zip(_value_and_grad(tg, lambda t: t.std(), [4.0, 4.0, 4.0]),
                    _value_and_grad(torch, lambda t: t.std(), [4.0, 4.0, 4.0], torch)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("index", [(0, slice(None), [0, 1]), ([0, 1], slice(None), 0), (slice(None), 0, [0, 1]),
                                   (Ellipsis, 1, None, [1, 2]), (1, slice(None), [[0], [2]])])
def test_an_int_and_an_index_list_apart_follow_torch(torch, index):
    a = np.arange(24.0).reshape(2, 3, 4)
    torch_index = tuple(torch.tensor(i) if isinstance(i, list) else i for i in index)
    expected = torch.tensor(a)[torch_index]
    x = tg.tensor(a, requires_grad=True)
    y = x[index]
    assert y.shape == tuple(expected.shape)
    np.testing.assert_array_equal(y.data, expected.numpy())
    y.sum().backward()
    xt = torch.tensor(a, requires_grad=True)
    xt[torch_index].sum().backward()
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())
    ours, theirs = tg.tensor(a), torch.tensor(a)
    ours[index] = -expected.numpy()
    theirs[torch_index] = -expected
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_a_0d_integer_tensor_indexes_as_an_integer(torch):
    a = np.arange(24.0).reshape(2, 3, 4)
    expected = torch.tensor(a)[torch.tensor(1), :, [0, 1]]
    ours = tg.tensor(a)[tg.tensor(1), :, [0, 1]]
    assert ours.shape == tuple(expected.shape) == (3, 2)
    np.testing.assert_array_equal(ours.data, expected.numpy())


def test_bce_with_logits_differentiates_the_target(torch):
    logits, targets = [0.3, -2.0, 5.0], [0.2, 0.9, 1.0]
    x, t = tg.tensor(logits, dtype="float64", requires_grad=True), tg.tensor(targets, dtype="float64", requires_grad=True)
    F.binary_cross_entropy_with_logits(x, t).backward()
    xt = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(targets, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(xt, tt).backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy())
    np.testing.assert_allclose(t.grad.data, tt.grad.numpy())


def test_softplus_at_infinities(torch):
    values = [-math.inf, -800.0, 0.0, 800.0, math.inf]
    for a, b in zip(_value_and_grad(tg, F.softplus, values), _value_and_grad(torch, torch.nn.functional.softplus, values, torch)):
        np.testing.assert_allclose(a, b)


def test_pow_exponent_gradient_at_base_zero(torch):
    exps = [-1.0, -0.5, 0.0, 0.5, 2.0]
    for base in (0.0, [0.0] * 5):
        ours = _value_and_grad(tg, lambda b: (tg.tensor(base, dtype="float64") if isinstance(base, list) else base) ** b, exps)
        theirs = _value_and_grad(torch, lambda b: (torch.tensor(base, dtype=torch.float64) if isinstance(base, list) else base) ** b,
                                 exps, torch)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)


def test_an_op_reading_one_tensor_twice_draws_its_branch():
    viz = pytest.importorskip("viz")
    from viz.trace import trace

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    source = viz.draw(y, show="both").source
    assert trace(y).count()["Branch"] == 1
    assert source.count("shape=point") == 1 and source.count("Branch_leaf0 -> Mul_op0") == 2
    assert "dw [2 4]" in source  # the two gradients summed on the edge into the Branch (dw: the leaf w's gradient)
