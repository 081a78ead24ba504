"""Batching variable-length text: pad_sequence, masks, padding_idx, masked pooling, last valid state."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp import nn
from tinygrad_nlp.nn.utils import last_valid, lengths_to_mask, masked_max, masked_mean, pad_sequence, padded_batches


def test_pad_sequence_matches_torch(torch):
    seqs = [np.random.default_rng(i).standard_normal((n, 3)) for i, n in enumerate((4, 1, 2))]
    for batch_first in (True, False):
        ours = pad_sequence([tg.tensor(s, dtype="float64") for s in seqs], batch_first=batch_first, padding_value=-1.0)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first, padding_value=-1.0)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    ids = pad_sequence([[5, 6, 7], [8]])
    assert ids.dtype == np.int64 and ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    xs = [tg.tensor(s, requires_grad=True, dtype="float64") for s in seqs]
    (pad_sequence(xs) * 2).sum().backward()
    assert all(np.all(x.grad.data == 2) for x in xs)
    with pytest.raises(ValueError, match="same trailing shape"):
        pad_sequence([np.zeros((2, 3)), np.zeros((2, 4))])


def test_embedding_padding_idx_gets_no_gradient_as_in_torch(torch):
    emb = nn.Embedding(6, 3, padding_idx=0, generator=0)
    emb_t = torch.nn.Embedding(6, 3, padding_idx=0)
    with torch.no_grad():
        emb_t.weight.copy_(torch.tensor(emb.W.data))
    ids = np.array([[1, 0, 2], [0, 0, 5]])
    out, out_t = emb(ids), emb_t(torch.tensor(ids))
    np.testing.assert_allclose(out.data, out_t.detach().numpy())
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    np.testing.assert_allclose(emb.W.grad.data, emb_t.weight.grad.numpy(), rtol=1e-6)
    assert np.all(emb.W.data[0] == 0) and np.all(emb.W.grad.data[0] == 0)


def test_masks_pooling_and_last_valid_state():
    lengths = np.array([3, 1])
    np.testing.assert_array_equal(lengths_to_mask(lengths).data, [[True, True, True], [True, False, False]])
    x = tg.tensor(np.array([[[1.0], [2.0], [3.0]], [[4.0], [np.nan], [np.inf]]]), requires_grad=True, dtype="float64")
    np.testing.assert_allclose(masked_mean(x, lengths).data, [[2.0], [4.0]])
    np.testing.assert_allclose(masked_max(x, lengths).data, [[3.0], [4.0]])
    np.testing.assert_allclose(last_valid(x, lengths).data, [[3.0], [4.0]])
    (masked_mean(x, lengths).sum() + masked_max(x, lengths).sum() + last_valid(x, lengths).sum()).backward()
    assert np.isfinite(x.grad.data).all() and x.grad.data[1, 1, 0] == 0  # padding gets nothing, NaN never leaks
    with pytest.raises(ValueError, match="last_valid: lengths must be 2 counts in \\[1, 3\\]"):
        last_valid(x, np.array([0, 1]))


def test_padded_batches_pad_per_batch_and_bucket():
    seqs = [[1] * n for n in (5, 1, 4, 2, 3, 6)]
    labels = np.arange(6)
    seen = []
    for ids, lengths, ys in padded_batches(seqs, labels, batch_size=2, bucket=True, generator=0):
        assert ids.shape == (len(ys), lengths.max())
        assert lengths.max() - lengths.min() <= 1  # buckets hold similar lengths
        seen.extend(ys.tolist())
    assert sorted(seen) == list(range(6))


def test_a_many_to_one_classifier_trains_on_padded_batches():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(1, 5, rng.integers(2, 7)).tolist() for _ in range(64)]
    labels = np.array([int(3 in s) for s in seqs])  # does the sequence contain word 3?
    emb, rnn, out = nn.Embedding(5, 8, padding_idx=0, generator=0), nn.GRU(8, 16, generator=1), nn.Linear(16, 2, generator=2)
    opt = tg.optim.Adam(emb.parameters() + rnn.parameters() + out.parameters(), lr=0.05)
    for _ in range(30):
        for ids, lengths, ys in padded_batches(seqs, labels, 16, generator=0):
            hs, _ = rnn(emb(ids), lengths=lengths)
            loss = tg.nn.functional.cross_entropy(out(last_valid(hs, lengths)), ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with tg.no_grad():
        ids, lengths = pad_sequence(seqs), np.array([len(s) for s in seqs])
        hs, _ = rnn(emb(ids), lengths=lengths)
        acc = (out(last_valid(hs, lengths)).argmax(axis=1).data == labels).mean()
    assert acc > 0.9
