"""Module/Parameter bookkeeping, layers (gradients and torch cross-checks), save/load."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nlp as tg
from tinygrad_nlp import nn
from tinygrad_nlp.nn import functional as F
from tinygrad_nlp.testing import gradcheck
from tinygrad_nlp.testing.strategies import arrays, shapes


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4, generator=0)
        self.fc = nn.Linear(4, 3, generator=1)
        self.drop = nn.Dropout(0.5, generator=2)

    def forward(self, ids):
        return self.fc(self.drop(self.embed(ids))).tanh()


def test_named_parameters_are_dotted_and_registered():
    m = TwoLayer()
    assert [n for n, _ in m.named_parameters()] == ["embed.W", "fc.W", "fc.b"]
    assert m.num_parameters() == 10 * 4 + 4 * 3 + 3
    seq = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.W", "0.b", "1.W", "1.b"]


def test_children_and_apply_as_torch():
    m = TwoLayer()
    assert [n for n, _ in m.named_children()] == ["embed", "fc", "drop"] and list(m.children())[1] is m.fc
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Embedding", "Linear", "Dropout", "TwoLayer"]  # children first, as torch


def test_shared_parameter_listed_once():
    m = TwoLayer()
    m.tied = m.embed  # weight tying by sharing the module
    assert len(m.parameters()) == 3


def test_train_eval_toggles_dropout():
    m = TwoLayer()
    ids = np.arange(10)
    m.eval()
    np.testing.assert_array_equal(m(ids).data, m(ids).data)
    m.train()
    assert not np.array_equal(m(ids).data, m(ids).data)


def test_zero_grad_and_state_dict_roundtrip(tmp_path):
    m = TwoLayer().eval()
    m(np.array([1, 2])).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    tg.save(m, tmp_path / "m.npz")
    other = TwoLayer()
    other.load_state_dict(tg.load(tmp_path / "m.npz"))
    for (n1, p1), (n2, p2) in zip(m.named_parameters(), other.named_parameters()):
        assert n1 == n2 and np.array_equal(p1.data, p2.data) and p1.dtype == p2.dtype


def test_load_state_dict_says_what_differs():
    m = TwoLayer()
    sd = m.state_dict()
    sd["fc.W"] = np.zeros((5, 3))
    del sd["fc.b"]
    sd["extra"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing keys: fc.b.*unexpected keys: extra.*fc.W: checkpoint shape \(5, 3\) != model shape \(4, 3\)"):
        m.load_state_dict(sd)


def test_checkpoint_with_nested_state(tmp_path):
    state = {"model": {"w": np.arange(6.0).reshape(2, 3)}, "epoch": 3, "lr": 0.5, "words": ["a", "b"], "best": None}
    tg.save(state, tmp_path / "ckpt.npz")
    back = tg.load(tmp_path / "ckpt.npz")
    assert back["epoch"] == 3 and back["words"] == ["a", "b"] and back["best"] is None
    np.testing.assert_array_equal(back["model"]["w"], state["model"]["w"])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "empty"])
def test_corrupted_checkpoints_are_refused(tmp_path, damage):
    path = tmp_path / "m.npz"
    tg.save({"w": np.random.default_rng(0).standard_normal((50, 50))}, path)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":
        i = len(raw) // 2
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:])
    elif damage == "foreign":
        np.savez(path, w=np.zeros(3))
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a valid tinygrad_nlp checkpoint"):
        tg.load(path)


def test_linear_matches_equation_and_gradcheck():
    with tg.default_dtype(np.float64):
        lin = nn.Linear(4, 3, generator=0)
    x = np.random.default_rng(1).standard_normal((5, 4))
    np.testing.assert_allclose(lin(tg.tensor(x, dtype=np.float64)).data, x @ lin.W.data + lin.b.data)
    gradcheck(lambda x, W, b: x @ W + b, [x, lin.W.data, lin.b.data])
    with pytest.raises(ValueError, match="Linear: input of shape \\(5, 2\\) has 2 features, expected 4"):
        lin(tg.zeros(5, 2))


@settings(max_examples=20, deadline=None)
@given(arrays(shapes(2, 2, max_side=6)), st.data())
def test_embedding_repeated_ids_accumulate(w, data):
    ids = np.array(data.draw(st.lists(st.integers(0, w.shape[0] - 1), min_size=1, max_size=10)))
    gradcheck(lambda table: F.embedding(ids, table) * 2, [w])


def test_sparse_embedding_gradient_equals_dense():
    for sparse in (False, True):
        emb = nn.Embedding(6, 3, sparse=sparse, generator=0)
        ids = np.array([[1, 1, 4], [0, 1, 5]])
        (emb(ids) * np.arange(18).reshape(2, 3, 3)).sum().backward()
        grad = emb.W.grad.to_dense() if sparse else emb.W.grad.data
        if not sparse:
            dense = grad
    np.testing.assert_allclose(grad, dense)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: F.embedding(np.array([0.5]), tg.zeros(3, 2)), "ids must be integers"),
        (lambda: F.embedding(np.array([3]), tg.zeros(3, 2)), r"ids must be in \[0, 3\)"),
        (lambda: F.cross_entropy(tg.zeros(2, 3), np.array([0, 3])), r"target ids must be in \[0, 3\)"),
        (lambda: F.cross_entropy(tg.zeros(2, 3), np.array([0.0, 1.0])), "integer class ids"),
        (lambda: F.cross_entropy(tg.zeros(2, 3), np.array([0, 1, 2])), r"need targets of shape \(2,\)"),
        (lambda: F.cross_entropy(tg.zeros(2, 3), np.array([0, 1]), reduction="avg"), "reduction must be"),
        (lambda: nn.Dropout(1.5), "p must be in"),
    ],
)
def test_layer_errors(make, message):
    with pytest.raises((ValueError, TypeError, IndexError), match=message):
        make()


def test_log_softmax_stable_for_huge_logits():
    x = tg.tensor([[1e4, -1e4, 0.0]], dtype=np.float64, requires_grad=True)
    out = F.log_softmax(x)
    np.testing.assert_allclose(out.data, [[0.0, -2e4, -1e4]])
    F.cross_entropy(x, np.array([1])).backward()
    assert np.isfinite(x.grad.data).all()


def test_cross_entropy_matches_torch(torch, rng):
    logits = rng.standard_normal((2, 5, 7))
    t = rng.integers(0, 7, (2, 5))
    t[1, 2] = -100
    ours = tg.tensor(logits, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(logits, requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        a = F.cross_entropy(ours, t, ignore_index=-100, reduction=reduction)
        b = torch.nn.functional.cross_entropy(theirs.reshape(-1, 7), torch.tensor(t.reshape(-1)), ignore_index=-100,
                                              reduction=reduction)
        np.testing.assert_allclose(a.data.reshape(-1), b.detach().numpy().reshape(-1), rtol=1e-10, atol=1e-12)
    F.cross_entropy(ours, t, ignore_index=-100).backward()
    torch.nn.functional.cross_entropy(theirs.reshape(-1, 7), torch.tensor(t.reshape(-1)), ignore_index=-100).backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_cross_entropy_with_and_without_the_max_shift(torch, scale):
    """Small logits skip the max-shift, large ones take it: both equal torch."""
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 9)) * scale
    t = rng.integers(0, 9, 6)
    ours = tg.tensor(logits, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(ours, t)
    loss_t = torch.nn.functional.cross_entropy(theirs, torch.tensor(t))
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-10)
    loss.backward()
    loss_t.backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_weights_match_torch(torch, rng, loss):
    logits = rng.standard_normal((2, 5, 7))
    t = rng.integers(0, 7, (2, 5))
    t[1, 2] = -100
    weight = rng.uniform(0.1, 3.0, 7)
    scores = (lambda x: x) if loss == "cross_entropy" else (lambda x: x.log_softmax(-1))
    theirs_fn = getattr(torch.nn.functional, loss)
    for reduction in ("mean", "sum", "none"):
        ours = tg.tensor(logits, dtype=np.float64, requires_grad=True)
        theirs = torch.tensor(logits, requires_grad=True)
        a = getattr(F, loss)(scores(ours), t, weight=weight, reduction=reduction)
        b = theirs_fn(scores(theirs).reshape(-1, 7), torch.tensor(t.reshape(-1)), weight=torch.tensor(weight),
                      reduction=reduction)
        np.testing.assert_allclose(a.data.reshape(-1), b.detach().numpy().reshape(-1), rtol=1e-10, atol=1e-12)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_matches_torch(torch, rng, weighted):
    logits = rng.standard_normal((2, 5, 7)) * 3
    t = rng.integers(0, 7, (2, 5))
    t[0, 1] = -100
    weight = rng.uniform(0.1, 3.0, 7) if weighted else None
    for reduction in ("mean", "sum", "none"):
        ours = tg.tensor(logits, dtype=np.float64, requires_grad=True)
        theirs = torch.tensor(logits, requires_grad=True)
        a = nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=0.1)(ours, t)
        b = torch.nn.functional.cross_entropy(theirs.reshape(-1, 7), torch.tensor(t.reshape(-1)), reduction=reduction,
                                              weight=None if weight is None else torch.tensor(weight), label_smoothing=0.1)
        np.testing.assert_allclose(a.data.reshape(-1), b.detach().numpy().reshape(-1), rtol=1e-10, atol=1e-12)
        (a * 1.5).sum().backward()
        (b * 1.5).sum().backward()
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(tg.zeros(2, 3), np.array([0, 1]), label_smoothing=1.5)


def test_class_weights_need_one_entry_per_class():
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have one entry per class, shape \(3,\), got \(2,\)"):
        F.cross_entropy(tg.zeros(2, 3), np.array([0, 1]), weight=np.ones(2))


def test_layer_norm_matches_torch_and_draws_as_one_node(torch, rng):
    import viz

    x = rng.standard_normal((2, 3, 4))
    with tg.default_dtype(np.float64):
        ln = nn.LayerNorm(4)
    ln.gamma.data[:], ln.beta.data[:] = rng.standard_normal(4), rng.standard_normal(4)
    ref = torch.nn.LayerNorm(4).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ln.gamma.data))
        ref.bias.copy_(torch.tensor(ln.beta.data))
    a, at = tg.tensor(x, requires_grad=True, dtype=np.float64), torch.tensor(x, requires_grad=True)
    y, yt = ln(a), ref(at)
    w = rng.standard_normal(y.shape)
    (y * tg.tensor(w, dtype=np.float64)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((a.grad, at.grad), (ln.gamma.grad, ref.weight.grad), (ln.beta.grad, ref.bias.grad)):
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-9, atol=1e-12)
    assert "LayerNorm" in viz.draw(ln(a).sum(), names=ln).source
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(2, 3, 4\) does not end in normalized_shape \(3,\)"):
        F.layer_norm(a, 3)
