"""The autodiff engine: tensors that record a graph, the primitive nodes, and the backward pass.

Reading order (one sitting), following `(x @ W + b).tanh().sum().backward()`:
1. `tensor.py`          `Tensor`: an array, its `.grad`, and the node that made it (`grad_fn`). Each
                        operator applies one node: `x @ W` a MatMul, `+ b` a Repeat (b broadcast) and
                        an Add, `.tanh()` a Tanh, `.sum()` a Sum.
2. `ops/function.py`    `Function`, a graph node: `__call__` runs `forward` on the arrays and records
                        the output's creator; `backward(g, out, *inputs)` gives the inputs' gradients,
                        written once for arrays (the fast path) and Tensors (`create_graph=True`).
3. `ops/textbook.py`    the textbook's nodes, forward and local backward side by side: Add, Mul,
                        Repeat, Sum, MatMul, and Branch (fan-out: the gradients reaching a tensor add up).
4. `autograd.py`        the backward loop: `toposort`, `sweep` (each node's backward; the Branch rule, in
                        place only into the sums the loop allocated; the leaves' gradients), `backward`,
                        `grad`, `edge_gradients` (what viz draws), and the 0 · ∞ rule of `where`.
5. `ops/elementwise.py`, `ops/indexing.py`   the other nodes (Exp, Log, Where, GetItem, Gather ...);
   `sparse.py`          the lazy gradients of indexing (Scatter, RowSparse).
6. `ops/apply.py`       the dtype rules in one function (`promote`), broadcasting, where, matmul.
7. `modes.py`           the switches (no_grad, detect_anomaly, default dtype, scope, group);
   `shapes.py`          argument checking (axes, shapes, indices; torch's dim= and keepdim=).

Not the engine, but built on it without a node of its own: the Tensor methods made of other methods
(mean, softmax, max(dim=), squeeze, x += y ...) are in `tinygrad_nlp/tensor_methods/`, attached to
Tensor by one call, `tensor_methods.install(Tensor)`, in `tinygrad_nlp/__init__.py` (which also makes
every method taking axis= take torch's dim=); the constructors (zeros, randn, concat, stack) are in
`tinygrad_nlp/creation.py`; the recorded graph as the textbook draws it (Branch nodes made explicit)
is `viz/trace.py`.
"""
from .tensor import Tensor  # first: tensor.py and ops/ import each other
from .autograd import backward, edge_gradients, grad, toposort  # noqa: E402
from .modes import (Group, current_scope, default_dtype, detect_anomaly, enable_grad, get_default_dtype, group,
                    is_anomaly_enabled, is_grad_enabled, no_grad, scope, set_default_dtype, set_grad_enabled)
from .ops import Function, matmul, where  # noqa: E402
from .sparse import RowSparse  # noqa: E402

__all__ = [
    "Function", "Group", "RowSparse", "Tensor", "group", "backward", "current_scope", "default_dtype", "detect_anomaly",
    "edge_gradients", "enable_grad", "get_default_dtype", "grad", "is_anomaly_enabled", "is_grad_enabled", "matmul",
    "no_grad", "scope", "set_default_dtype", "set_grad_enabled", "toposort", "where",
]
