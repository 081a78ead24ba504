"""tinygrad_nlp: a small, readable deep-learning framework for teaching NLP with backprop.

    >>> import tinygrad_nlp as tg
    >>> x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    >>> W = tg.tensor([[0.5], [-1.0]], requires_grad=True)
    >>> (x @ W).tanh().sum().backward()
"""
from .tensor import (  # first: every other module builds on Tensor
    Function,
    Tensor,
    as_generator,
    concat,
    current_scope,
    default_dtype,
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    is_anomaly_enabled,
    is_grad_enabled,
    manual_seed,
    matmul,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    scope,
    set_default_dtype,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

from . import nn, optim  # noqa: E402
from .autograd import grad, toposort  # noqa: E402
from .serialization import load, save  # noqa: E402
from .sparse import RowSparse  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "RowSparse", "load", "nn", "optim", "save",
    "Function", "Tensor", "as_generator", "concat", "current_scope", "default_dtype", "detect_anomaly",
    "enable_grad", "get_default_dtype", "grad", "is_anomaly_enabled", "is_grad_enabled", "manual_seed", "matmul", "no_grad",
    "ones", "ones_like", "rand", "randn", "scope", "set_default_dtype", "stack", "tensor", "toposort", "where",
    "zeros", "zeros_like",
]
