"""A seed gives one random stream per model (issue 21, item 1): an int `generator=` is turned into one
numpy Generator by the module that receives it, and every weight it and its submodules make is the next
draw from that stream (as after torch.manual_seed)."""
import numpy as np

from tinygrad_nlp import nn
from models import Rnnlm, Seq2seq


def _distinct(arrays):
    flat = [a.ravel()[:4] for a in arrays if a.size >= 4 and a.any()]  # biases start at zero
    return all(not np.array_equal(a, b) for i, a in enumerate(flat) for b in flat[i + 1:])


def test_rnn_input_and_hidden_weights_differ():
    rnn = nn.RNN(2, 2, generator=0)
    assert not np.array_equal(rnn.cell_l0.Wx.data, rnn.cell_l0.Wh.data)


def test_lstm_layers_differ():
    lstm = nn.LSTM(3, 3, num_layers=2, generator=0)
    assert not np.array_equal(lstm.cell_l0.Wh.data, lstm.cell_l1.Wh.data)
    assert not np.array_equal(lstm.cell_l1.Wx.data, lstm.cell_l1.Wh.data)


def test_textbook_rnnlm_weights_all_differ_and_same_seed_same_model():
    a, b = Rnnlm(20, 4, 4, cell="rnn", generator=0), Rnnlm(20, 4, 4, cell="rnn", generator=0)
    assert _distinct([p.data for p in a.parameters()])
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    c = Rnnlm(20, 4, 4, cell="rnn", generator=1)
    assert not np.array_equal(a.rnn.cell_l0.Wx.data, c.rnn.cell_l0.Wx.data)


def test_seq2seq_encoder_and_decoder_differ():
    s = Seq2seq(6, 4, 4, generator=0)
    assert _distinct([p.data for p in s.parameters()])


def test_one_generator_shared_by_separate_modules():
    """The documented rule: modules built separately from one seed start alike (as two
    torch.manual_seed(0) would make them); one Generator passed to both gives one stream."""
    g = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(2, 2, generator=g), nn.Linear(2, 2, generator=g))
    assert not np.array_equal(net[0].W.data, net[1].W.data)
    assert np.array_equal(nn.Linear(2, 2, generator=0).W.data, nn.Linear(2, 2, generator=0).W.data)


def test_one_stream_keeps_none_and_generators():
    g = np.random.default_rng(0)
    assert nn.one_stream(None) is None and nn.one_stream(g) is g
    assert isinstance(nn.one_stream(3), np.random.Generator)
