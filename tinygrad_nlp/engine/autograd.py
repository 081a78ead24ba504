"""Reverse-mode autodiff over the recorded graph: `toposort` lists the nodes that lead to the outputs,
inputs first (iteratively: a chain of 100,000 ops needs no deep recursion); `sweep` walks it backwards,
each node turning dL/d(output) into dL/d(inputs) with its local `backward`, the gradients reaching a
tensor added up (the Branch rule), the leaves' gradients returned for `.grad`. The loop calls each
backward on the arrays (the fast path: nothing recorded), or with `create_graph=True` on the Tensors with
recording on, so that the gradients are themselves differentiable (higher-order gradients)."""
from __future__ import annotations

import warnings
import weakref
from operator import attrgetter
from typing import Any, Sequence

import numpy as np

from .modes import check_finite, set_grad_enabled, state
from .ops import Where
from .sparse import RowSparse, Scatter
from .tensor import Tensor, wrap

_FREED = (
    "backward: trying to backward through the graph a second time (or after its buffers were freed). "
    "Pass retain_graph=True to the first backward() if you need to go through it again."
)


def toposort(roots: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
    """(nodes, leaves) that require grad and lead to `roots`; nodes inputs first (by creation number)."""
    nodes, leaves, stack = [], [], [r for r in roots if r.requires_grad]
    seen = {id(r) for r in stack}
    while stack:
        t = stack.pop()
        (nodes if t._ctx else leaves).append(t)
        if t._ctx and t._ctx.parents is None:
            raise RuntimeError(_FREED)
        for p in t._ctx.parents if t._ctx else ():
            if isinstance(p, Tensor) and p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return sorted(nodes, key=attrgetter("_ctx.seq")), leaves


def sweep(roots: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool = False, retain_graph: bool = False,
          keep: Any = (), edges: dict | None = None) -> dict[int, tuple[Tensor, Any]]:
    """The backward loop: {id: (tensor, gradient)} for the leaves and the non-leaf tensors in `keep` (ids),
    each gradient one the caller may keep; `edges` (if given) gets {id(node): (g, its inputs' gradients)}."""
    nodes, leaves = toposort(roots)
    grads, ours, found = {}, set(), {}  # ours: ids whose gradient is an array this loop allocated

    def add(t: Tensor, g: Any) -> None:  # the Branch rule: the gradients reaching a tensor add up
        total = grads.get(k := id(t))
        grads[k] = g if total is None else branch_sum(t, total, g, k in ours)
        if total is not None and type(grads[k]) is np.ndarray:
            ours.add(k)  # a sum allocated here: later gradients are added into it in place

    for r, s in zip(roots, seeds):
        add(r, s)
    with np.errstate(invalid="raise"):  # 0 · ∞ in a backward raises here, and run_backward redoes it
        while nodes:
            t = nodes.pop()
            g, fn = grads.pop(id(t), None), t._ctx
            if g is None:  # nothing reached this node (its output does not affect the roots)
                continue
            g = g.to_dense() if isinstance(g, Scatter) else g
            if id(t) in keep:
                found[id(t)] = t, (g if create_graph else np.array(g))
            gs = run_backward(fn, g, *((t, fn.parents) if create_graph else (t.data, fn.args)))
            t = None  # its forward array can go before the gradients are added (the allocator reuses it)
            if edges is not None:
                edges[id(fn)] = g, gs
            for p, gp, need in zip(fn.parents, gs, fn.needs_input_grad):
                if need and gp is not None:
                    add(p, gp)
            if not retain_graph:
                fn.parents = fn.args = None  # free the graph as we go
    for leaf in (t for t in leaves if id(t) in grads):  # .grad gets an array of its own (optimizers change it)
        g = grads[id(leaf)]
        if not create_graph and not (id(leaf) in ours and g.dtype == leaf.dtype or isinstance(g, RowSparse)):
            g = g.to_dense().astype(leaf.dtype, copy=False) if isinstance(g, Scatter) else np.array(g, dtype=leaf.dtype)
        found[id(leaf)] = leaf, g
    return found


def branch_sum(t: Tensor, total: Any, g: Any, in_place: bool) -> Any:
    """total + g (g an array, a Scatter or a RowSparse), in place into `total` if the loop allocated it.
    +inf meeting -inf gives NaN, as in torch, with a warning (numpy raises once the sum is done)."""
    try:
        return (g.add_to(total) if isinstance(g, Scatter) else np.add(total, g, out=total)) if in_place else total + g
    except FloatingPointError:
        with np.errstate(invalid="ignore"):
            total = total if in_place else total + g
        warnings.warn(f"Branch: the gradients reaching the output of {t._ctx.name if t._ctx else 'a leaf'} "
                      f"(shape {t.shape}) add up to NaN (+inf meets -inf)", RuntimeWarning, stacklevel=5)
        return total


def run_backward(fn: Any, g: Any, out: Any, xs: Sequence[Any]) -> tuple:
    """`fn.backward(g, out, *xs)`, redone if it met 0 · ∞ (numpy's "invalid", raised in the sweep): where
    an elementwise node's output got a zero gradient, its inputs get 0, not 0 · ∞ = NaN.

    That is what a selection means: at x = 0, where(x > 0, log(x), 0) does not depend on log(x),
    so its gradient is 0 (torch gives NaN). A NaN that is not of this kind stays, with a warning.
    Under detect_anomaly(), a NaN or inf in the result raises, naming the node.
    """
    try:
        gs = fn.backward(g, out, *xs)
    except FloatingPointError:
        with np.errstate(invalid="ignore"):
            gs = fn.backward(g, out, *xs)
            if fn.elementwise:
                gs = tuple(gp if gp is None or np.shape(gp) != np.shape(g) else Where(np.equal(g, 0) & np.isnan(gp))(0, gp)
                           for gp in gs)
        if any(gp is not None and np.isnan(gp).any() for gp in gs):
            warnings.warn(f"{fn.name} backward: invalid value (NaN) in a gradient", RuntimeWarning, stacklevel=5)
    if state.anomaly:
        check_finite(fn.name, fn.scope, "backward", gs)
    return gs


def _seed(root: Tensor, grad: Any, create_graph: bool) -> Any:
    if not root.requires_grad:
        raise RuntimeError(f"backward: tensor of shape {root.shape} does not require grad and has no graph "
                           "(was it computed under no_grad(), or from tensors without requires_grad=True?)")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward: grad can be created implicitly only for a scalar output, but this tensor has "
                               f"shape {root.shape}; pass grad= with that shape (or reduce it, e.g. .sum())")
        g = np.ones_like(root.data)
    else:
        g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
        if g.shape != root.shape:
            raise ValueError(f"backward: grad has shape {g.shape} but the output has shape {root.shape}")
    if create_graph:
        return grad if isinstance(grad, Tensor) else wrap(g)
    return g


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False,
             keep_edge_grads: bool | None = None) -> None:
    """Accumulate d(root)/d(leaf) into `leaf.grad` for every leaf that requires grad (and into
    the `.grad` of the non-leaf tensors that called retain_grad()).

    retain_graph: keep the graph for another backward (implied by create_graph).
    keep_edge_grads: keep the gradient that flowed along each edge, for `edge_gradients(root)` (what
    viz draws); by default it follows retain_graph (a graph kept to be drawn shows its gradients).
    """
    retain_graph = retain_graph or create_graph
    edges = {} if (retain_graph if keep_edge_grads is None else keep_edge_grads) else None
    seed = _seed(root, grad, create_graph)
    with set_grad_enabled(create_graph):
        for t, g in sweep([root], [seed], create_graph, retain_graph, state.retaining, edges).values():
            if create_graph:
                t.grad = g if t.grad is None else t.grad + g
            else:  # g is an array (or a RowSparse) nothing else holds
                g = g if t.grad is None else g + t.grad.data
                t.grad = g if isinstance(g, RowSparse) else wrap(g)
    if edges is not None:
        if id(root) not in _kept:
            weakref.finalize(root, _kept.pop, id(root), None)
        _kept[id(root)] = edges


_kept: dict[int, dict] = {}  # id(root) -> the edge gradients its last backward kept (while root lives)


def edge_gradients(root: Tensor, compute: bool = True) -> dict[int, tuple[Any, tuple]] | None:
    """{id(Function): (dL/d its output, dL/d each input)} over the graph of a scalar `root` (what
    viz draws): those its last backward kept (see keep_edge_grads), else computed by a sweep that
    changes no `.grad` and keeps the graph; with compute=False, None when none were kept."""
    if id(root) in _kept or not compute:
        return _kept.get(id(root))
    edges: dict[int, tuple[Any, tuple]] = {}
    with set_grad_enabled(False):
        sweep([root], [_seed(root, None, False)], retain_graph=True, edges=edges)
    return edges


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, create_graph: bool = False, retain_graph: bool | None = None,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) as a tuple of Tensors, without touching `.grad` (like torch.autograd.grad);
    with create_graph=True they are part of the graph (higher-order gradients)."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    gos = [None] * len(outs) if grad_outputs is None else \
        list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
    if len(gos) != len(outs):
        raise ValueError(f"grad: got {len(gos)} grad_outputs for {len(outs)} outputs")
    for x in ins:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor with requires_grad=True")
    retain = create_graph if retain_graph is None else retain_graph
    seeds = [_seed(o, go, create_graph) for o, go in zip(outs, gos)]
    with set_grad_enabled(create_graph):
        grads = sweep(outs, seeds, create_graph, retain, keep={id(x) for x in ins if not x.is_leaf})
        result: list[Tensor | None] = []
        for i, x in enumerate(ins):
            g = grads.get(id(x), (x, None))[1]
            if g is None and not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; pass allow_unused=True")
            g = g.to_dense() if isinstance(g, RowSparse) else g
            result.append(g if g is None or isinstance(g, Tensor) else wrap(g))
    return tuple(result)
