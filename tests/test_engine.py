"""Engine behaviour: graph structure (Repeat, Branch), freeing, no_grad/detach, deep chains,
higher-order gradients, dtypes and error messages."""
import gc
import math
import weakref

import numpy as np
import pytest

import tinygrad_nlp as tg
from viz.trace import trace


def test_textbook_example_values():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    W = tg.tensor([[0.5], [-1.0]], requires_grad=True)
    y = (x @ W).tanh().sum()
    y.backward()
    z = 1 * 0.5 + 2 * -1.0
    d = 1 - np.tanh(z) ** 2
    np.testing.assert_allclose(x.grad.data, [[0.5 * d, -1.0 * d]], rtol=1e-6)
    np.testing.assert_allclose(W.grad.data, [[1 * d], [2 * d]], rtol=1e-6)


def test_bias_add_records_repeat_whose_backward_is_sum():
    x = tg.randn(4, 3, generator=0)
    b = tg.zeros(3, requires_grad=True)
    y = x + b
    g = trace(y)
    assert g.count()["Repeat"] == 1 and g.count()["Add"] == 1
    y.backward(np.ones((4, 3), dtype=np.float32))
    np.testing.assert_array_equal(b.grad.data, [4, 4, 4])


def test_no_repeat_for_constants_or_equal_shapes():
    x = tg.randn(4, 3, generator=0, requires_grad=True)
    assert trace(x + 1.0).count() == {"Add": 1}
    assert trace(x * tg.ones(1, 3)).count() == {"Mul": 1}  # the constant needs no gradient
    assert "Repeat" not in trace(x + x).count()


def test_fan_out_accumulates_and_shows_a_branch_node():
    x = tg.tensor([3.0], requires_grad=True)
    y = x * x + x  # x used three times
    g = trace(y)
    assert g.count()["Branch"] == 1
    branch = g.ops("Branch")[0]
    assert sum(1 for e in g.edges if e.src == branch.key) == 3
    y.backward(np.ones(1, dtype=np.float32))
    np.testing.assert_allclose(x.grad.data, [2 * 3.0 + 1])


def test_leaf_grads_accumulate_across_backward_calls():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [6, 6])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 3])


def test_grads_do_not_alias_between_leaves():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10
    np.testing.assert_allclose(b.grad.data, [1, 1])


def test_graph_is_freed_after_backward():
    x = tg.randn(3, 3, requires_grad=True, generator=0)
    h = (x @ x).tanh()
    ref = weakref.ref(h)
    loss = (h * 2).sum()
    del h
    gc.collect()
    assert ref() is not None  # alive: loss's graph holds it
    loss.backward()
    assert ref() is None  # freed with the graph, although loss is still alive
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = tg.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [8.0])


def test_no_grad_builds_no_graph_and_detach_cuts_it():
    x = tg.tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert y._ctx is None and not y.requires_grad
    assert z.requires_grad
    d = (x * 3).detach()
    assert d.is_leaf and not d.requires_grad
    w = d * x
    w.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0])


def test_chain_of_100k_ops_needs_no_recursion():
    x = tg.tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_second_derivatives_and_hessian_vector_product():
    x = tg.tensor([0.3, -0.7], dtype=np.float64, requires_grad=True)
    f = (x.tanh() * x.exp()).sum() + (x * x * x).sum()
    (g,) = tg.grad(f, x, create_graph=True)
    v = np.array([1.0, 2.0])
    (hv,) = tg.grad((g * v).sum(), x)
    xs = x.data
    t, e = np.tanh(xs), np.exp(xs)
    s2 = 1 - t ** 2
    hess_diag = e * (t + 2 * s2 - 2 * t * s2) + 6 * xs
    np.testing.assert_allclose(hv.data, hess_diag * v, rtol=1e-10)


def test_second_derivative_through_matmul_and_log():
    A = tg.tensor(np.array([[1.0, 2.0], [0.5, 1.5]]), dtype=np.float64)
    x = tg.tensor(np.array([[0.4], [0.9]]), dtype=np.float64, requires_grad=True)
    f = (A @ x).log().sum()
    (g,) = tg.grad(f, x, create_graph=True)
    g.sum().backward()
    Ax = A.data @ x.data
    expected = -(A.data.T @ (1 / Ax ** 2 * A.data.sum(axis=1, keepdims=True)))
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-10)


def test_create_graph_backward_fills_grad_with_graph():
    x = tg.tensor(2.0, dtype=np.float64, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_grad_function_does_not_touch_dot_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.data, [2, 4])
    assert x.grad is None


def test_dtypes():
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor(np.zeros(3)).dtype == np.float32
    assert tg.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert tg.tensor([1, 2]).dtype.kind == "i"
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert (x * np.ones(2)).dtype == np.float32  # float64 constants do not creep in
    assert (x / 3.0 + 1).dtype == np.float32
    with tg.default_dtype(np.float64):
        assert tg.tensor([1.0]).dtype == np.float64
    assert tg.tensor([1.0]).dtype == np.float32


def test_comparisons_return_boolean_tensors_without_grad():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    m = x > 0
    assert m.dtype == bool and not m.requires_grad
    np.testing.assert_array_equal(m.data, [True, False])


def test_repeat_like_numpy():
    x = tg.tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(x.repeat(3, axis=0).data, np.repeat(x.data, 3, axis=0))
    np.testing.assert_array_equal(x.repeat(2, axis=1).data, np.repeat(x.data, 2, axis=1))


def test_scalar_sigmoid_is_stable_for_huge_inputs():
    x = tg.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float64, requires_grad=True)
    s = x.sigmoid()
    np.testing.assert_allclose(s.data, [0, 1.9287498479639178e-22, 0.5, 1, 1], atol=1e-15)
    s.sum().backward()
    assert np.isfinite(x.grad.data).all()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tg.randn(3, 4) @ tg.randn(5, 6), r"matmul: \(3, 4\) @ \(5, 6\): inner dimensions 4 != 5"),
        (lambda: tg.tensor(2.0) @ tg.randn(3, 1), "at least 1 dimension"),
        (lambda: tg.randn(3) @ tg.randn(4, 1), r"matmul: \(1, 3\) @ \(4, 1\): inner dimensions 3 != 4"),
        (lambda: tg.randn(3, 4) + tg.randn(5, 6), r"add: shapes \(3, 4\) and \(5, 6\)"),
        (lambda: tg.randn(3, 4) * tg.randn(2), r"mul: shapes \(3, 4\) and \(2,\)"),
        (lambda: tg.randn(3, 4)[7], r"getitem: index 7 is out of range for shape \(3, 4\)"),
        (lambda: tg.randn(3, 4)[np.array([0, 9])], r"out of range for shape \(3, 4\)"),
        (lambda: tg.randn(3, 4).reshape(5, 2), r"reshape: cannot reshape \(3, 4\)"),
        (lambda: tg.randn(3, 4).sum(axis=2), "axis 2 is out of range"),
        (lambda: tg.randn(3, 4).transpose(0, 0, 1), "not a permutation"),
        (lambda: tg.randn(3, 4, requires_grad=True).backward(), r"scalar output.*\(3, 4\)"),
        (lambda: tg.randn(3).sum().backward(), "does not require grad"),
        (lambda: tg.tensor([1, 2], requires_grad=True), "only float tensors"),
        (lambda: tg.concat([tg.randn(2, 3), tg.randn(2, 4)]), "must match except along axis 0"),
        (lambda: tg.randn(2, 3).expand(4, 3), r"repeat: cannot broadcast shape \(2, 3\) to \(4, 3\)"),
        (lambda: tg.randn(2, 3).item(), "one-element"),
    ],
)
def test_errors_name_the_op_and_shapes(make, message):
    with pytest.raises((ValueError, IndexError, RuntimeError, TypeError), match=message):
        make()


def test_detect_anomaly_names_the_op():
    x = tg.tensor([-1.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        with pytest.raises(FloatingPointError, match="Log"):
            with np.errstate(invalid="ignore"):
                x.log()
        y = tg.tensor([0.0, 1.0], requires_grad=True)
        z = (y ** 0.5).sum()
        with pytest.raises(FloatingPointError, match="Pow .*backward"):
            with np.errstate(divide="ignore"):
                z.backward()


def test_batched_matmul_broadcasts_with_a_repeat_node():
    a = tg.randn(2, 3, 4, requires_grad=True, generator=1)
    b = tg.randn(1, 4, 5, requires_grad=True, generator=2)
    y = a @ b
    assert trace(y).count()["Repeat"] == 1
    y.sum().backward()
    assert b.grad.shape == (1, 4, 5)
    np.testing.assert_allclose(b.grad.data[0], a.data.sum(axis=0).T @ np.ones((3, 5)), rtol=1e-5)


def test_edges_carry_gradients_after_retained_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.tensor([3.0, 4.0], requires_grad=True, name="w")
    loss = (x * w).sum()
    loss.backward(retain_graph=True)
    g = trace(loss)
    mul_key = g.ops("Mul")[0].key
    into_mul = {g.nodes[e.src].label: e.grad for e in g.edges if e.dst == mul_key}
    np.testing.assert_allclose(into_mul["x"], w.data)
    np.testing.assert_allclose(into_mul["w"], x.data)


def test_in_place_accumulation_keeps_edge_gradients_and_user_arrays():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 2.0, x * 3.0  # two fresh gradients reach x
    loss = (a + b).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, [5, 5])
    edges = tg.edge_gradients(loss)
    assert [tuple(edges[id(t.grad_fn)][1][0]) for t in (a, b)] == [(2, 2), (3, 3)]

    saved = np.ones(2, dtype=np.float32)

    class ReturnsSaved(tg.Function):  # a user op whose backward hands out an array it keeps
        __slots__ = ()

        def forward(self, x):
            return x.copy()

        def backward(self, g, out, x):
            return (saved,)

    y = tg.tensor([1.0, 2.0], requires_grad=True)
    (ReturnsSaved()(y) + y * 2.0).sum().backward()
    np.testing.assert_allclose(y.grad.data, [3, 3])
    np.testing.assert_array_equal(saved, [1, 1])  # not added into


def test_cross_entropy_gradient_with_in_place_accumulation():
    from tinygrad_nlp.testing import gradcheck
    from tinygrad_nlp.nn import functional as F

    t = np.array([0, 2, 2, 1])
    gradcheck(lambda z: F.cross_entropy(z, t), [np.random.default_rng(0).standard_normal((4, 3))])


# ---------------------------------------------------------------------------------------------
# the gradient buffer: in place only into arrays nothing else refers to
# ---------------------------------------------------------------------------------------------
def _hands_out(array: np.ndarray) -> tg.Function:
    class HandsOut(tg.Function):  # a user op whose backward returns an array it keeps
        __slots__ = ()

        def forward(self, x):
            return x.copy()

        def backward(self, g, out, x):
            return (array,)

    return HandsOut()


def test_grad_buffer_keeps_unshared_arrays_and_copies_shared_ones():
    users, view = np.ones(3), np.ones(6)[::2]  # the caller still holds one; the other's memory belongs to another array
    a, b, c = (tg.tensor(np.zeros(3), requires_grad=True, dtype=np.float64) for _ in range(3))
    (a * 1.0 + _hands_out(users)(b) + _hands_out(view)(c)).sum().backward()
    ga, gb, gc = a.grad.data, b.grad.data, c.grad.data
    assert gb is not users and gb.base is None and np.shares_memory(gb, users) is False
    assert gc.base is None and gc.flags.owndata
    assert ga.flags.owndata and np.all(ga == 1)


def test_grad_buffer_never_adds_into_an_array_someone_else_holds():
    t = tg.tensor(np.zeros(3), requires_grad=True, dtype=np.float64)
    first, second, third = np.ones(3), np.full(3, 2.0), np.full(3, 4.0)
    y = t * 2.0
    (_hands_out(first)(y) + _hands_out(second)(y) + _hands_out(third)(y)).sum().backward()
    assert np.all(first == 1) and np.all(second == 2) and np.all(third == 4)  # the caller's arrays unchanged
    assert np.all(t.grad.data == 14)  # 2 · (1 + 2 + 4)


def test_shared_gradients_are_not_aliased_between_leaves():
    # Add sends the same array to both inputs: each leaf must get its own .grad buffer
    a, b = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data *= 10  # what clip_grad_norm_ does in place
    assert np.all(b.grad.data == 1)


def test_edge_gradients_kept_for_viz_are_never_modified_in_place():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    loss = (y * y).sum() + y.sum() + y[1:].sum()  # y gets three gradients, one a Scatter
    loss.backward(keep_edge_grads=True)
    grad_inputs = tg.edge_gradients(loss)[id(loss.grad_fn)][1]
    kept = [np.array(g) for g in grad_inputs if g is not None]
    for fn_input, copy in zip([g for g in grad_inputs if g is not None], kept):
        np.testing.assert_array_equal(np.asarray(fn_input), copy)
    np.testing.assert_allclose(x.grad.data, 2 * (2 * 2 * np.array([1.0, 2.0, 3.0]) + 1 + np.array([0, 1, 1])))


def test_opposite_infinite_gradients_meeting_at_a_tensor_give_nan_with_a_warning_as_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        loss = (x * math.inf + x * -math.inf + x).sum()  # x's gradients: +inf, -inf and 1 meet in the Branch sum
    with pytest.warns(RuntimeWarning, match=r"Branch: .* a leaf \(shape \(2,\)\) add up to NaN"):
        loss.backward()
    assert np.isnan(x.grad.data).all()  # torch: tensor([nan, nan])
