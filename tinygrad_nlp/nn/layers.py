"""Linear, Embedding, Dropout, LayerNorm: each forward reads like its equation, composed from engine ops."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import as_generator
from ..engine import Tensor, get_default_dtype
from . import functional as F
from .module import Module, Parameter

_INITS = ("xavier", "he", "uniform")


def one_stream(generator: Any) -> Any:
    """The one random stream a module draws its weights from and hands to the modules it builds.

    An int seed becomes one numpy Generator, so every weight of the module and of its submodules is the
    next draw from the same stream (as after `torch.manual_seed(seed)`): `RNN(2, 2, generator=0)` has
    Wx != Wh and the layers of an LSTM differ; the same seed builds the same model again. Two modules
    built separately from the same seed start alike, as two `torch.manual_seed(0)` would make them: to
    give several modules one stream, pass them one Generator (`np.random.default_rng(0)`). A Generator
    stays as it is, and None stays None: the default stream of `tg.manual_seed`, read at each draw.
    """
    return generator if generator is None or isinstance(generator, np.random.Generator) else as_generator(generator)


def init_weight(fan_in: int, shape: tuple[int, ...], init: str, generator: Any = None) -> np.ndarray:
    """Initial weights: "xavier" N(0, 1/fan_in) (the textbook's), "he" N(0, 2/fan_in),
    "uniform" U(-1/√fan_in, 1/√fan_in) (PyTorch's Linear default)."""
    rng = as_generator(generator)
    if init == "xavier":
        w = rng.standard_normal(shape) / np.sqrt(fan_in)
    elif init == "he":
        w = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
    elif init == "uniform":
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, shape)
    else:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    return w.astype(get_default_dtype())


class Linear(Module):
    """y = x @ W + b, with W stored (in_features, out_features) as in the textbook."""

    textbook_name = "Affine"

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init: str = "xavier", generator: Any = None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.W = Parameter(init_weight(in_features, (in_features, out_features), init, generator))
        self.b = Parameter(np.zeros(out_features, dtype=get_default_dtype())) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear: input of shape {x.shape} has {x.shape[-1]} features, expected {self.in_features}")
        y = x @ self.W
        return y + self.b if self.b is not None else y

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, bias={self.b is not None})"


class Embedding(Module):
    """y = W[ids]: a Gather node whose backward scatter-adds (repeated ids accumulate).

    With `sparse=True` the weight's gradient is a RowSparse (only the rows used), which the
    optimizers update lazily: the fast path for word2vec.
    """

    textbook_name = "Embedding"

    def __init__(self, num_embeddings: int, embedding_dim: int, init_std: float = 0.01, sparse: bool = False, generator: Any = None,
                 padding_idx: int | None = None):
        super().__init__()
        self.num_embeddings, self.embedding_dim, self.sparse = num_embeddings, embedding_dim, sparse
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding: padding_idx must be in [-{num_embeddings}, {num_embeddings}), got {padding_idx}")
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        rng = as_generator(generator)
        W = (rng.standard_normal((num_embeddings, embedding_dim)) * init_std).astype(get_default_dtype())
        if self.padding_idx is not None:
            W[self.padding_idx] = 0  # as torch: the padding row starts at zero and is never updated
        self.W = Parameter(W)

    def forward(self, ids: Any) -> Tensor:
        return F.embedding(ids, self.W, sparse=self.sparse, padding_idx=self.padding_idx)

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{', sparse=True' if self.sparse else ''})"


class Dropout(Module):
    """Inverted dropout: keep with probability 1-p, scale by 1/(1-p); identity in eval mode."""

    textbook_name = "Dropout"

    def __init__(self, p: float = 0.5, generator: Any = None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = one_stream(generator)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class LayerNorm(Module):
    """y = (x - mean) / √(var + eps) · γ + β over the last axes (`normalized_shape`), as torch's
    (drawn as one LayerNorm node: `F.layer_norm` is a group)."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        dtype = get_default_dtype()
        self.gamma = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.beta = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.gamma, self.beta, self.eps)

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"
