"""MultiheadAttention and the Transformer layers equal torch's nn.MultiheadAttention,
nn.TransformerEncoderLayer / DecoderLayer and their stacks in float64 (values and every gradient, masks,
both norm orders); scaled dot-product attention equals F.scaled_dot_product_attention; bad input."""
import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp import nn

N, T, S, E, H, FF = 2, 4, 5, 8, 2, 12


def _inputs(torch, rng, *shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return [tg.tensor(a, requires_grad=True, dtype="float64") for a in arrays], [torch.tensor(a, requires_grad=True) for a in arrays]


def _compare_backward(torch, ours_out, theirs_out, ours_in, theirs_in, ours_module, theirs_module, rng):
    np.testing.assert_allclose(ours_out.data, theirs_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(ours_out.shape)
    ours_out.backward(g)
    theirs_out.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-11)
    theirs_grads = {k: p.grad for k, p in theirs_module.named_parameters()}
    ours_grads = nn.torch_state_dict(_grads_as_weights(ours_module))
    assert set(ours_grads) == set(theirs_grads)
    for k, v in ours_grads.items():
        np.testing.assert_allclose(v, theirs_grads[k].numpy(), rtol=1e-9, atol=1e-11, err_msg=k)


def _grads_as_weights(module):
    """A copy of the module whose weights are its gradients (to convert them with torch_state_dict)."""
    import copy
    clone = copy.deepcopy(module)
    for (_, p), (_, q) in zip(module.named_parameters(), clone.named_parameters()):
        q.data = np.asarray(p.grad)
    return clone


def _masks(kind, rng, T_, S_):
    if kind == "none":
        return {}
    if kind == "causal":
        return dict(attn_mask=nn.causal_mask(T_, S_))
    padding = np.zeros((N, S_), dtype=bool)
    padding[0, -2:] = True
    if kind == "padding":
        return dict(key_padding_mask=padding)
    return dict(attn_mask=rng.standard_normal((T_, S_)), key_padding_mask=np.where(padding, -np.inf, 0.0))  # float masks


@pytest.mark.parametrize("mask", ["none", "causal", "padding", "float+padding"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_torch(torch, rng, mask, average):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, H, batch_first=True).double()
    with tg.default_dtype(np.float64):
        ours = nn.MultiheadAttention(E, H)
    nn.load_torch_state_dict(ours, theirs.state_dict())
    (q, k, v), (qt, kt, vt) = _inputs(torch, rng, (N, T, E), (N, S, E), (N, S, E))
    masks = _masks(mask, rng, T, S)
    out, w = ours(q, k, v, average_attn_weights=average, **masks)
    tmasks = {key: torch.tensor(m) for key, m in masks.items()}
    out_t, w_t = theirs(qt, kt, vt, average_attn_weights=average, **tmasks)
    np.testing.assert_allclose(w.data, w_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    loss, loss_t = (out * out).sum() + (w * w).sum(), (out_t * out_t).sum() + (w_t * w_t).sum()
    _compare_backward(torch, loss, loss_t, [q, k, v], [qt, kt, vt], ours, theirs, rng)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("mask", ["none", "causal", "padding"])
def test_encoder_stack_matches_torch(torch, rng, norm_first, mask):
    torch.manual_seed(1)
    layer_t = torch.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    theirs = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(E), enable_nested_tensor=False).double()
    with tg.default_dtype(np.float64):
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first), 2,
                                     norm=nn.LayerNorm(E))
    state = {k: v + 0.1 * torch.randn_like(v) for k, v in theirs.state_dict().items()}  # layers and norms differ
    theirs.load_state_dict(state)
    nn.load_torch_state_dict(ours, state)
    (x,), (xt,) = _inputs(torch, rng, (N, S, E))
    masks = {"mask" if k == "attn_mask" else "src_key_padding_mask": m for k, m in _masks(mask, rng, S, S).items()}
    out = ours(x, **masks)
    out_t = theirs(xt, **{k: torch.tensor(m) for k, m in masks.items()})
    _compare_backward(torch, out, out_t, [x], [xt], ours, theirs, rng)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_stack_matches_torch(torch, rng, norm_first):
    torch.manual_seed(2)
    layer_t = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    theirs = torch.nn.TransformerDecoder(layer_t, 2).double()
    with tg.default_dtype(np.float64):
        ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first), 2)
    state = {k: v + 0.1 * torch.randn_like(v) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict(state)
    nn.load_torch_state_dict(ours, state)
    (y, mem), (yt, memt) = _inputs(torch, rng, (N, T, E), (N, S, E))
    padding = np.zeros((N, S), dtype=bool)
    padding[1, -1] = True
    tgt_padding = np.zeros((N, T), dtype=bool)
    tgt_padding[0, -1] = True
    masks = dict(tgt_mask=nn.causal_mask(T), tgt_key_padding_mask=tgt_padding, memory_key_padding_mask=padding)
    out = ours(y, mem, **masks, tgt_is_causal=True)
    out_t = theirs(yt, memt, **{k: torch.tensor(m) for k, m in masks.items()}, tgt_is_causal=True)
    _compare_backward(torch, out, out_t, [y, mem], [yt, memt], ours, theirs, rng)


def test_is_causal_alone_builds_the_mask(rng):
    with tg.default_dtype(np.float64):
        layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0)
    y, mem = (tg.tensor(rng.standard_normal(s), dtype="float64") for s in ((N, T, E), (N, S, E)))
    with tg.no_grad():
        a = layer(y, mem, tgt_is_causal=True).data
        b = layer(y, mem, tgt_mask=nn.causal_mask(T)).data
        y2 = y.data.copy()
        y2[:, -1] += 1.0  # the last position's input cannot change earlier outputs
        c = layer(tg.tensor(y2, dtype="float64"), mem, tgt_is_causal=True).data
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a[:, :-1], c[:, :-1], atol=1e-12)


def test_scaled_dot_product_attention_matches_torch(torch, rng):
    (q, k, v), (qt, kt, vt) = _inputs(torch, rng, (N, H, T, 3), (N, H, S, 3), (N, H, S, 5))
    allowed = rng.random((T, S)) > 0.3
    allowed[:, 0] = True
    for kwargs in (dict(), dict(is_causal=True), dict(attn_mask=allowed), dict(attn_mask=rng.standard_normal((T, S)))):
        out = nn.scaled_dot_product_attention(q, k, v, **kwargs)
        targs = {key: torch.tensor(m) if isinstance(m, np.ndarray) else m for key, m in kwargs.items()}
        out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, **targs)
        np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_positional_encoding_is_d2l_table():
    P = nn.transformer.sinusoidal_table(50, 6, np.float64)
    t, j = 7, 2
    assert P[t, 2 * j] == pytest.approx(np.sin(t / 10000 ** (2 * j / 6)))
    assert P[t, 2 * j + 1] == pytest.approx(np.cos(t / 10000 ** (2 * j / 6)))
    x = tg.zeros(1, 3, 6, requires_grad=True)
    y = nn.PositionalEncoding(6)(x, start=2)
    np.testing.assert_allclose(y.data[0], P[2:5], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((1, 3, 6)))
    learned = nn.LearnedPositionalEncoding(6, max_len=4)
    learned(x[:, :2]).sum().backward()
    assert learned.embed.W.grad is not None


def test_a_seed_gives_every_projection_its_own_weights():
    layer = nn.TransformerDecoderLayer(E, H, FF, generator=0)
    weights = [p.data for name, p in layer.named_parameters() if name.endswith(".W") and p.shape == (E, E)]
    assert len(weights) == 8 and len({w.tobytes() for w in weights}) == 8
    again = nn.TransformerDecoderLayer(E, H, FF, generator=0)
    assert all((p.data == q.data).all() for p, q in zip(layer.parameters(), again.parameters()))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="not divisible"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(E, H)
    x = tg.randn(N, T, E)
    with pytest.raises(ValueError, match="MultiheadAttention: expected query"):
        mha(x, tg.randn(N, S, E + 1), tg.randn(N, S, E + 1))
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=np.zeros((N, T + 1), dtype=bool))
    with pytest.raises(ValueError, match="attn_mask must have shape"):
        mha(x, x, x, attn_mask=np.zeros((T, T + 1), dtype=bool))
    with pytest.raises(ValueError, match="exceed max_len=3"):
        nn.PositionalEncoding(E, max_len=3)(x)
    with pytest.raises(ValueError, match="unexpected"):
        nn.load_torch_state_dict(mha, {**nn.torch_state_dict(mha), "extra": np.zeros(1)})


def test_the_figures_name_the_textbook_boxes():
    import viz
    head = viz.transformer_figure("attention_head").source
    for name in ("QKᵀ/√d", "Softmax", "Attention Weight", "Weight Sum", "head 1", "head 2", "Affine", "causal mask"):
        assert name in head, name
    encoder = viz.transformer_figure("encoder").source
    assert encoder.count("Multi-Head Attention") >= 2 and encoder.count("Feed Forward") >= 2 and "LayerNorm" in encoder
    assert "QKᵀ/√d" not in encoder  # folded
    causal = viz.transformer_figure("causal_mask").source
    assert "causal mask" in causal and "memory" in causal and "QKᵀ/√d" in causal
