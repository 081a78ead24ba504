"""The Tensor methods made of other Tensor methods: the library built on the engine, not the engine.

`engine/tensor.py` defines the methods that apply one node (`exp`, `sum`, `reshape`, `+`, `@` ...).
Everything here is written with those, has no node and no backward of its own, and is attached to
`Tensor` by one explicit call, `install(Tensor)`, made by `tinygrad_nlp/__init__.py` (as DeZero's
`setup_variable()` attaches its operators to Variable), so the engine never imports it:

1. `compositions.py`  mean, var, std, norm, softmax, logsumexp, sigmoid, max/min with torch's dim=, topk ...
2. `shaping.py`       flatten, squeeze, split, chunk, tile, repeat, tril ... (Reshape, Transpose, GetItem nodes)
3. `inplace.py`       x += y, x[i] = v, add_, mul_, fill_, zero_ (allowed where no graph is recorded)
"""
from __future__ import annotations

import inspect

from ..engine.shapes import torch_names
from .compositions import Compositions, ValuesIndices
from .inplace import InPlace
from .shaping import Shaping

SKIP = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__", "__static_attributes__"}


def install(cls: type) -> None:
    """Attach the methods of Compositions, Shaping and InPlace to `cls` (the Tensor class); then every
    method of it that takes axis= and keepdims= takes torch's dim= and keepdim= too (`torch_names`)."""
    for methods in (Compositions, Shaping, InPlace):
        for name, member in vars(methods).items():
            if name not in SKIP:
                setattr(cls, name, member)
    for name, member in list(vars(cls).items()):
        if inspect.isfunction(member):
            setattr(cls, name, torch_names(member))


__all__ = ["ValuesIndices", "install"]
