"""tinygrad_nlp: a small, readable deep-learning framework for teaching NLP with backprop.

    >>> import tinygrad_nlp as tg
    >>> x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    >>> W = tg.tensor([[0.5], [-1.0]], requires_grad=True)
    >>> (x @ W).tanh().sum().backward()
"""
from .autograd import grad, toposort
from .tensor import (
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

__version__ = "0.1.0"

__all__ = [
    "Function", "Tensor", "as_generator", "concat", "current_scope", "default_dtype", "detect_anomaly",
    "enable_grad", "get_default_dtype", "grad", "is_anomaly_enabled", "is_grad_enabled", "matmul", "no_grad",
    "ones", "ones_like", "rand", "randn", "scope", "set_default_dtype", "stack", "tensor", "toposort", "where",
    "zeros", "zeros_like",
]
