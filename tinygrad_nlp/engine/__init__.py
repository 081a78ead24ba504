"""The autodiff engine: tensors that record a graph, the primitive nodes, and the backward pass.

Reading order:
1. `modes.py`      the global switches (no_grad, detect_anomaly, default dtype, scope)
2. `tensor.py`     `Tensor`, a value that records the graph that made it; `compositions.py`: its
                   methods made of other methods (mean, softmax, squeeze ...), no node of their own
3. `ops/`          `function.py`: `Function`, a graph node; `textbook.py`: Add, Mul, Repeat, Sum,
                   MatMul, Branch, each forward with its local backward; `elementwise.py`,
                   `indexing.py`: the other nodes; `apply.py`: type promotion and broadcasting
4. `autograd.py`   the backward loop (toposort, sweep, backward, grad)
5. `gradbuffer.py` where the gradients reaching a tensor are summed (the Branch rule), in place when safe
6. `sparse.py`     gradients that touch only some rows or positions (RowSparse, Scatter)
7. `creation.py`, `combine.py`, `shapes.py`   constructors, concat/stack/where, argument checking
8. `graph.py`      the recorded graph as the textbook draws it (used by viz)
"""
from .tensor import Tensor  # first: tensor.py and ops/ import each other
from .autograd import backward, edge_gradients, grad, toposort  # noqa: E402
from .combine import cat, concat, stack  # noqa: E402
from .creation import (arange, as_generator, eye, full, manual_seed, ones, ones_like, rand, randn, tensor, zeros,
                       zeros_like)
from .modes import (Group, current_scope, default_dtype, detect_anomaly, enable_grad, get_default_dtype, group,
                    is_anomaly_enabled, is_grad_enabled, no_grad, scope, set_default_dtype, set_grad_enabled)
from .ops import Function, matmul, where  # noqa: E402
from .sparse import RowSparse  # noqa: E402

__all__ = [
    "Function", "Group", "RowSparse", "Tensor", "group", "arange", "as_generator", "backward", "cat", "concat", "eye", "full", "current_scope", "default_dtype",
    "detect_anomaly", "edge_gradients", "enable_grad", "get_default_dtype", "grad", "is_anomaly_enabled", "is_grad_enabled",
    "manual_seed", "matmul", "no_grad", "ones", "ones_like", "rand", "randn", "scope", "set_default_dtype",
    "set_grad_enabled", "stack", "tensor", "toposort", "where", "zeros", "zeros_like",
]
