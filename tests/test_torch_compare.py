"""Forward values and gradients of composite expressions equal PyTorch's (float64)."""
import numpy as np

import tinygrad_nlp as tg
from tinygrad_nlp.nn import functional as F


def run_both(torch, fn_tg, fn_torch, arrays):
    ours = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out_tg, out_t = fn_tg(*ours), fn_torch(*theirs)
    np.testing.assert_allclose(out_tg.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    out_tg.sum().backward()
    out_t.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_two_layer_net_with_softmax_loss(torch, rng):
    x, W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(5, 4), (4, 8), (8,), (8, 3), (3,)])
    t = np.array([0, 2, 1, 1, 0])
    run_both(
        torch,
        lambda x, W1, b1, W2, b2: F.cross_entropy((x @ W1 + b1).sigmoid() @ W2 + b2, t),
        lambda x, W1, b1, W2, b2: torch.nn.functional.cross_entropy(torch.sigmoid(x @ W1 + b1) @ W2 + b2, torch.tensor(t)),
        [x, W1, b1, W2, b2],
    )


def test_rnn_step_and_embedding(torch, rng):
    E, Wx, Wh, b = (rng.standard_normal(s) for s in [(10, 4), (4, 6), (6, 6), (6,)])
    ids = np.array([[1, 3, 3], [9, 0, 1]])

    def ours(E, Wx, Wh, b):
        h = tg.zeros(2, 6, dtype=np.float64)
        xs = F.embedding(ids, E)
        for t in range(3):
            h = (h @ Wh + xs[:, t] @ Wx + b).tanh()
        return h

    def theirs(E, Wx, Wh, b):
        h = torch.zeros(2, 6, dtype=torch.float64)
        xs = torch.nn.functional.embedding(torch.tensor(ids), E)
        for t in range(3):
            h = torch.tanh(h @ Wh + xs[:, t] @ Wx + b)
        return h

    run_both(torch, ours, theirs, [E, Wx, Wh, b])


def test_softmax_attention_weights(torch, rng):
    hs, h = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 4))

    def ours(hs, h):
        a = F.softmax((hs * h.reshape(2, 1, 4)).sum(axis=2), axis=1)
        return (hs * a.reshape(2, 5, 1)).sum(axis=1) / (hs ** 2).sum().sqrt() - F.log_softmax(h).max(axis=1, keepdims=True)

    def theirs(hs, h):
        a = torch.softmax((hs * h.reshape(2, 1, 4)).sum(dim=2), dim=1)
        return (hs * a.reshape(2, 5, 1)).sum(dim=1) / (hs ** 2).sum().sqrt() - torch.log_softmax(h, dim=1).amax(dim=1, keepdim=True)

    run_both(torch, ours, theirs, [hs, h])


def test_batched_matmul_transpose_concat(torch, rng):
    a, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4, 5))

    def ours(a, b):
        return tg.concat([(a @ b).transpose(0, 2, 1), a.mT.exp()], axis=1) ** 2

    def theirs(a, b):
        return torch.cat([(a @ b).permute(0, 2, 1), a.mT.exp()], dim=1) ** 2

    run_both(torch, ours, theirs, [a, b])


def test_binary_cross_entropy_and_mse(torch, rng):
    x, y = rng.standard_normal((4, 3)) * 5, rng.standard_normal((4, 3))
    t = (rng.random((4, 3)) > 0.5).astype(np.float64)
    run_both(
        torch,
        lambda x, y: F.binary_cross_entropy_with_logits(x, t) + F.mse_loss(x, y),
        lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(x, torch.tensor(t))
        + torch.nn.functional.mse_loss(x, y),
        [x, y],
    )
