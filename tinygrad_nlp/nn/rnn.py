"""Recurrent cells and layers, each written as the textbook's equations over engine ops.

Cells take one time step: `RNNCell`, `LSTMCell`, `GRUCell`. Layers (`RNN`, `LSTM`, `GRU`) run a
cell over time with PyTorch's signature and return values: multi-layer, bidirectional, dropout
between layers, `lengths` for padded batches, and `stateful=True` for truncated BPTT (the state
is carried across calls with the graph cut).

Gate order. LSTMCell keeps the textbook's order f, g, i, o in its fused affine map
`A = x @ Wx + h_prev @ Wh + b`; PyTorch uses i, f, g, o. `load_torch_state_dict` and
`torch_state_dict` convert between the two.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from ..creation import concat, stack
from ..engine import Tensor, get_default_dtype, group, scope, where
from ..engine.tensor import wrap
from .layers import Dropout, init_weight, one_stream
from .module import Module, Parameter

# where each of the textbook's LSTM gate blocks (f, g, i, o) sits in PyTorch's (i, f, g, o)
_LSTM_TORCH_BLOCK = {"f": 1, "g": 2, "i": 0, "o": 3}
_LSTM_ORDER = "fgio"


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=get_default_dtype())


class RNNCell(Module):
    """h = tanh(x @ Wx + h_prev @ Wh + b)"""

    textbook_name = "RNN"

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, generator: Any = None):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        H = hidden_size * self.gates
        generator = one_stream(generator)
        self.Wx = Parameter(init_weight(input_size, (input_size, H), "xavier", generator))
        self.Wh = Parameter(init_weight(hidden_size, (hidden_size, H), "xavier", generator))
        self.b = Parameter(_zeros(H)) if bias else None

    def affine(self, x: Tensor, h_prev: Tensor) -> Tensor:
        a = x @ self.Wx + h_prev @ self.Wh
        return a + self.b if self.b is not None else a

    def forward(self, x: Tensor, h_prev: Tensor) -> Tensor:
        return named(self.affine(x, h_prev).tanh(), "h_next")

    def init_state(self, n: int) -> Tensor:
        return _named_zeros("h0", self.Wh, n, self.hidden_size)


def _named_zeros(name: str, like: Tensor, *shape: int) -> Tensor:
    """A zero initial state in the dtype of the weights `like` (not the default dtype of the moment)."""
    t = wrap(np.zeros(shape, dtype=like.dtype))
    t.name = name
    return t


class LSTMCell(RNNCell):
    """A = x @ Wx + h_prev @ Wh + b, split into f, g, i, o:
    f = σ(A_f), g = tanh(A_g), i = σ(A_i), o = σ(A_o);  c = f ⊙ c_prev + g ⊙ i;  h = o ⊙ tanh(c)

    Drawn as the textbook's cell: one Affine box whose slices feed the gates f, g, i, o; outputs
    h_next, c_next (a time layer names them h_t, c_t)."""

    textbook_name = "LSTM"

    gates = 4

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        (h_prev, c_prev), H = state, self.hidden_size
        with group("affine", "Affine"):  # x @ Wx + h_prev @ Wh + b, sliced into the four gates' inputs
            A = self.affine(x, h_prev)
            a_f, a_g, a_i, a_o = (A[:, k * H:(k + 1) * H] for k in range(4))
        f, g, i, o = named(a_f.sigmoid(), "f"), named(a_g.tanh(), "g"), named(a_i.sigmoid(), "i"), named(a_o.sigmoid(), "o")
        c = named(f * c_prev + g * i, "c_next")
        return named(o * c.tanh(), "h_next"), c

    def init_state(self, n: int) -> tuple[Tensor, Tensor]:
        return _named_zeros("h0", self.Wh, n, self.hidden_size), _named_zeros("c0", self.Wh, n, self.hidden_size)


class GRUCell(Module):
    """PyTorch's GRU:  r = σ(x W_xr + b_xr + h W_hr + b_hr),  z = σ(x W_xz + b_xz + h W_hz + b_hz),
    h̃ = tanh(x W_xn + b_xn + r ⊙ (h W_hn + b_hn)),  h = (1 - z) ⊙ h̃ + z ⊙ h_prev

    (Cho et al. and d2l write the same; DLFS2's and Ng's z is this 1 - z.) Drawn with the gates r, z and
    the candidate h̃ (written h~: a combining tilde floats off the h in Graphviz's fonts) each one box,
    the mix of h_prev and h~ in the open, and a note saying which z the figure uses."""

    textbook_name = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, generator: Any = None):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        H3 = 3 * hidden_size
        generator = one_stream(generator)
        self.Wx = Parameter(init_weight(input_size, (input_size, H3), "xavier", generator))
        self.Wh = Parameter(init_weight(hidden_size, (hidden_size, H3), "xavier", generator))
        self.bx = Parameter(_zeros(H3)) if bias else None
        self.bh = Parameter(_zeros(H3)) if bias else None

    def forward(self, x: Tensor, h_prev: Tensor) -> Tensor:
        H = self.hidden_size
        with group("affine", "Affine"):  # x @ Wx + bx and h_prev @ Wh + bh, sliced for r, z and h̃
            ax, ah = x @ self.Wx, h_prev @ self.Wh
            if self.bx is not None:
                ax, ah = ax + self.bx, ah + self.bh
            (xr, hr), (xz, hz), (xn, hn) = [(ax[:, k * H:(k + 1) * H], ah[:, k * H:(k + 1) * H]) for k in range(3)]
        with group("reset_gate", "reset gate r"):
            r = named((xr + hr).sigmoid(), "r")
        with group("update_gate", "update gate z"):
            z = named((xz + hz).sigmoid(), "z")
        with group("candidate", "candidate h~"):
            n = named((xn + r * hn).tanh(), "h~")
        with group("one_minus", "1 −"):  # one node, as the book draws 1 − z
            keep = 1.0 - z
        return named(keep * n + z * h_prev, "h_next")

    def init_state(self, n: int) -> Tensor:
        return _named_zeros("h0", self.Wh, n, self.hidden_size)

class SimplifiedGRUCell(RNNCell):
    """Ng's simplified GRU (the update gate only), with c the memory cell (= h):
    Γu = σ(x Wx_u + c_prev Wh_u + b_u),  c̃ = tanh(x Wx_c + c_prev Wh_c + b_c),  c = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev"""

    textbook_name = "GRU (simplified)"
    gates = 2

    def forward(self, x: Tensor, c_prev: Tensor) -> Tensor:
        H = self.hidden_size
        A = self.affine(x, c_prev)
        with scope("u"):
            update = A[:, :H].sigmoid()
        c_tilde = named(A[:, H:].tanh(), "c̃")
        return named(update * c_tilde + (1.0 - update) * c_prev, "c_next")


class _RecurrentLayer(Module):
    """Runs a cell over time; subclasses choose the cell. Inputs (N, T, D) when batch_first."""

    cell_class: type = RNNCell
    has_cell_state = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = True,
                 dropout: float = 0.0, bidirectional: bool = False, stateful: bool = False, generator: Any = None,
                 cell_class: type | None = None):
        super().__init__()
        if cell_class is not None:
            self.cell_class = cell_class
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.batch_first, self.dropout, self.bidirectional, self.stateful = batch_first, dropout, bidirectional, stateful
        self._last_states: list[Any] = []  # weak references to the top layer's h_t of the last call
        self.num_directions = 2 if bidirectional else 1
        self.cells: list[list[Module]] = []
        generator = one_stream(generator)  # every cell and the dropout draw from one stream
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * self.num_directions
            row = []
            for d in range(self.num_directions):
                cell = self.cell_class(in_size, hidden_size, bias, generator)
                setattr(self, f"cell_l{layer}" + ("_reverse" if d else ""), cell)
                row.append(cell)
            self.cells.append(row)
        self.drop = Dropout(dropout, generator) if dropout else None
        self.state: Any = None

    def reset_state(self) -> None:
        self.state = None

    @property
    def hidden_states(self) -> list[Tensor]:
        """The top layer's state h_t at every step of the last call (for `viz.gradient_flow`); held
        weakly, so they live only as long as the graph of that call."""
        states = [r() for r in self._last_states]
        if any(h is None for h in states):
            raise RuntimeError(f"{type(self).__name__}.hidden_states: the last call's graph is gone; ask right after the forward")
        return states

    def torch_state_dict(self) -> dict[str, np.ndarray]:
        """Weights under torch's names and gate order (see the module-level function)."""
        return torch_state_dict(self)

    def load_torch_state_dict(self, sd: dict[str, Any]) -> None:
        load_torch_state_dict(self, sd)

    # -- state in torch's layout: (num_layers * num_directions, N, H) -----------------------------
    def _split_state(self, state: Any, n: int) -> list[Any]:
        L = self.num_layers * self.num_directions
        if state is None:
            return [self.cells[k // self.num_directions][k % self.num_directions].init_state(n) for k in range(L)]
        parts = state if self.has_cell_state else (state,)
        for p in parts:
            if p.shape != (L, n, self.hidden_size):
                raise ValueError(f"{type(self).__name__}: initial state has shape {p.shape}, expected {(L, n, self.hidden_size)}")
        pieces = [tuple(_piece(p, k) for p in parts) for k in range(L)]
        return pieces if self.has_cell_state else [p[0] for p in pieces]

    def _join_state(self, finals: list[Any]) -> Any:
        if self.has_cell_state:
            return stack([h for h, _ in finals]), stack([c for _, c in finals])
        return stack(finals)

    def _detached(self, state: Any) -> Any:
        """The state carried to the next window, cut from this window's graph (truncated BPTT):
        named so that a drawing of the next window shows where the gradient stops."""
        parts = state if isinstance(state, tuple) else (state,)
        cut = tuple(named(s.detach(), f"{n} carried (detached)") for s, n in zip(parts, "hc"))
        return cut if isinstance(state, tuple) else cut[0]

    def forward(self, x: Any, state: Any = None, lengths: Any = None) -> tuple[Tensor, Any]:
        x = x if isinstance(x, Tensor) else wrap(np.asarray(x, dtype=get_default_dtype()))
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__}: expected input of 3 dimensions {'(N, T, D)' if self.batch_first else '(T, N, D)'}, got shape {x.shape}")
        if not self.batch_first:
            x = x.transpose(0, 1)
        N, T, D = x.shape
        if T == 0:
            raise ValueError(f"{type(self).__name__}: sequence length T = 0 (input shape {x.shape})")
        if D != self.input_size:
            raise ValueError(f"{type(self).__name__}: input has {D} features, expected {self.input_size}")
        if state is None and self.stateful:
            state = self.state
        masks = _length_masks(lengths, N, T, x.dtype)
        states = self._split_state(state, N)
        xs = [x[:, t] for t in range(T)]
        finals = []
        for layer, row in enumerate(self.cells):
            outs = []
            for d, cell in enumerate(row):
                k = layer * self.num_directions + d
                hs, final, carried = self._run(cell, xs, states[k], masks, reverse=d == 1)
                outs.append(hs)
                finals.append(final)
                if d == 0:
                    self._last_states = [weakref.ref(h) for h in carried]
            xs = outs[0] if len(outs) == 1 else [concat([a, b], axis=1) for a, b in zip(*outs)]
            if self.drop is not None and layer < self.num_layers - 1:
                xs = [self.drop(h) for h in xs]
        out = stack(xs, axis=1)
        if not self.batch_first:
            out = out.transpose(0, 1)
        final_state = self._join_state(finals)
        if self.stateful:
            self.state = self._detached(final_state)
        return out, final_state

    def _run(self, cell: Module, xs: list[Tensor], state: Any, masks: list[np.ndarray] | None, reverse: bool) -> tuple[list[Tensor], Any]:
        steps = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
        hs: list[Any] = [None] * len(xs)
        carried: list[Any] = [None] * len(xs)  # the state h_t handed to the next step
        for t in steps:
            m = masks[t] if masks is not None else None
            x = xs[t] if m is None else where(m, xs[t], 0.0)  # a padded input never reaches the cell
            x.name = x.name or f"x_{t}"  # drawn as x_t (a slice of xs, or the layer below's h_t)
            with scope(f"t={t}"):
                new = cell(x, state)
            if m is not None:  # padded positions keep the state and output zeros
                new = tuple(where(m, n, s) for n, s in zip(new, state)) if isinstance(new, tuple) else where(m, new, state)
            state = new
            for part, stem in zip(state if isinstance(state, tuple) else (state,), "hc"):
                named(part, f"{stem}_{t}")  # step t's output is step t + 1's h_prev (c_prev): drawn as h_t (c_t)
            h = carried[t] = state[0] if isinstance(state, tuple) else state
            hs[t] = h if m is None else where(m, h, 0.0)
        return hs, state, carried


def _piece(state: Tensor, k: int) -> Tensor:
    """Layer k's part of a stacked state; a named (carried) state keeps its name on the piece."""
    piece = state[k]
    if state.name and piece.name is None:
        piece.name = state.name if state.shape[0] == 1 else f"{state.name} [{k}]"
    return piece


def named(t: Tensor, name: str) -> Tensor:
    """`t`, named for drawings (its edges carry the name, its gradient is d<name>)."""
    t.name = name
    return t


def _length_masks(lengths: Any, N: int, T: int, dtype: np.dtype) -> list[np.ndarray] | None:
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if lengths.shape != (N,) or lengths.dtype.kind not in "iu":
        raise ValueError(f"lengths must be {N} integers (one per sequence), got shape {lengths.shape} dtype {lengths.dtype}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"lengths must be in [1, {T}], got {lengths.min()}..{lengths.max()}")
    return [(t < lengths)[:, None] for t in range(T)]


class RNN(_RecurrentLayer):
    """Elman RNN over time: h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b).  `out, h_n = rnn(x, h_0)`"""

    cell_class = RNNCell


class LSTM(_RecurrentLayer):
    """LSTM over time.  `out, (h_n, c_n) = lstm(x, (h_0, c_0))`"""

    cell_class = LSTMCell
    has_cell_state = True


class GRU(_RecurrentLayer):
    """GRU over time (PyTorch's formulation).  `out, h_n = gru(x, h_0)`.
    `simplified=True`: Ng's simplified GRU, the update gate only (`SimplifiedGRUCell`)."""

    cell_class = GRUCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = True,
                 dropout: float = 0.0, bidirectional: bool = False, stateful: bool = False, generator: Any = None,
                 simplified: bool = False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, stateful, generator,
                         cell_class=SimplifiedGRUCell if simplified else GRUCell)


# ---------------------------------------------------------------------------------------------
# conversion to and from PyTorch's parameter names and gate order
# ---------------------------------------------------------------------------------------------
def _permute_lstm_blocks(W: np.ndarray, H: int, to_torch: bool) -> np.ndarray:
    """Reorder the four H-wide gate blocks of the last axis: f,g,i,o (ours) <-> i,f,g,o (torch's)."""
    out = np.empty_like(W)
    for k, gate in enumerate(_LSTM_ORDER):
        j = _LSTM_TORCH_BLOCK[gate]
        src, dst = (k, j) if to_torch else (j, k)
        out[..., dst * H:(dst + 1) * H] = W[..., src * H:(src + 1) * H]
    return out


def torch_state_dict(layer: _RecurrentLayer) -> dict[str, np.ndarray]:
    """Our weights under torch.nn.RNN/LSTM/GRU's names, shapes and gate order (numpy arrays).
    Our single bias b goes to bias_ih and zeros to bias_hh (their sum is what matters)."""
    if layer.cell_class is SimplifiedGRUCell:
        raise ValueError("torch_state_dict: the simplified GRU has no torch counterpart")
    sd = {}
    H = layer.hidden_size
    for layer_i, row in enumerate(layer.cells):
        for d, cell in enumerate(row):
            sfx = f"_l{layer_i}" + ("_reverse" if d else "")
            Wx, Wh = cell.Wx.data, cell.Wh.data
            if isinstance(cell, GRUCell):
                sd["weight_ih" + sfx], sd["weight_hh" + sfx] = Wx.T.copy(), Wh.T.copy()
                if cell.bx is not None:
                    sd["bias_ih" + sfx], sd["bias_hh" + sfx] = cell.bx.data.copy(), cell.bh.data.copy()
                continue
            if isinstance(cell, LSTMCell):
                Wx, Wh = _permute_lstm_blocks(Wx, H, True), _permute_lstm_blocks(Wh, H, True)
            sd["weight_ih" + sfx], sd["weight_hh" + sfx] = Wx.T.copy(), Wh.T.copy()
            if cell.b is not None:
                b = _permute_lstm_blocks(cell.b.data, H, True) if isinstance(cell, LSTMCell) else cell.b.data.copy()
                sd["bias_ih" + sfx], sd["bias_hh" + sfx] = b, np.zeros_like(b)
    return sd


def load_torch_state_dict(layer: _RecurrentLayer, sd: dict[str, Any]) -> None:
    """Copy torch.nn.RNN/LSTM/GRU weights (tensors or arrays, torch's names) into our layer."""
    H = layer.hidden_size
    arrays = {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in sd.items()}
    expected = set(torch_state_dict(layer))
    if set(arrays) != expected:
        raise ValueError(f"load_torch_state_dict: keys differ: missing {sorted(expected - set(arrays))}, "
                         f"unexpected {sorted(set(arrays) - expected)}")
    for layer_i, row in enumerate(layer.cells):
        for d, cell in enumerate(row):
            sfx = f"_l{layer_i}" + ("_reverse" if d else "")
            Wx, Wh = arrays["weight_ih" + sfx].T, arrays["weight_hh" + sfx].T
            if Wx.shape != cell.Wx.shape or Wh.shape != cell.Wh.shape:
                raise ValueError(f"load_torch_state_dict: weights{sfx} have shapes {Wx.shape}, {Wh.shape}; "
                                 f"expected {cell.Wx.shape}, {cell.Wh.shape}")
            dtype = cell.Wx.dtype
            if isinstance(cell, GRUCell):
                cell.Wx.data, cell.Wh.data = Wx.astype(dtype), Wh.astype(dtype)
                if cell.bx is not None:
                    cell.bx.data = arrays["bias_ih" + sfx].astype(dtype)
                    cell.bh.data = arrays["bias_hh" + sfx].astype(dtype)
                continue
            b = arrays["bias_ih" + sfx] + arrays["bias_hh" + sfx] if cell.b is not None else None
            if isinstance(cell, LSTMCell):
                Wx, Wh = _permute_lstm_blocks(Wx, H, False), _permute_lstm_blocks(Wh, H, False)
                b = _permute_lstm_blocks(b, H, False) if b is not None else None
            cell.Wx.data, cell.Wh.data = np.ascontiguousarray(Wx, dtype=dtype), np.ascontiguousarray(Wh, dtype=dtype)
            if b is not None:
                cell.b.data = b.astype(dtype)


__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "load_torch_state_dict", "torch_state_dict"]
