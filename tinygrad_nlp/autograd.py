"""Reverse-mode automatic differentiation over the graph recorded by Tensor operations.

1. `toposort` lists the nodes that lead to the outputs, inputs before outputs (iteratively:
   a chain of 100,000 ops needs no deep recursion).
2. The sweep walks that list backwards. Each node turns dL/d(output) into dL/d(input) with its
   local `backward`; a tensor reached by several consumers sums what they send (the Branch node).
3. Leaves (tensors created by the user with requires_grad=True) accumulate into `.grad`.

Fast path (`create_graph=False`): everything is a numpy array and nothing is recorded.
With `create_graph=True` the same backward code runs on Tensors with recording on, so the
gradients are themselves differentiable.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .ops import Branch
from .sparse import RowSparse, Scatter
from .tensor import Tensor, _check_finite, _set_grad_enabled, is_anomaly_enabled, wrap

_FREED = (
    "backward: trying to backward through the graph a second time (or after its buffers were freed). "
    "Pass retain_graph=True to the first backward() if you need to go through it again."
)


def toposort(roots: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
    """(nodes, leaves): the non-leaf tensors that require grad and lead to `roots`, inputs before
    outputs; and the leaf tensors that require grad.

    Every node gets a creation number when it is recorded, and a node's inputs always exist
    before it, so sorting the reachable nodes by that number is a topological order.
    """
    nodes: list[Tensor] = []
    leaves: list[Tensor] = []
    stack = [r for r in roots if r.requires_grad]
    seen = {id(r) for r in stack}
    while stack:
        t = stack.pop()
        fn = t._ctx
        if fn is None:
            leaves.append(t)
            continue
        parents = fn.parents
        if parents is None:
            raise RuntimeError(_FREED)
        nodes.append(t)
        for p in parents:
            if isinstance(p, Tensor) and p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    nodes.sort(key=_creation)
    return nodes, leaves


def _creation(t: Tensor) -> int:
    return t._ctx.seq


def _seed(root: Tensor, grad: Any, create_graph: bool) -> Any:
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be created implicitly only for a scalar output, but this tensor has shape "
                f"{root.shape}; pass grad= with that shape (or reduce it, e.g. .sum())"
            )
        g = np.ones_like(root.data)
    else:
        g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
        if g.shape != root.shape:
            raise ValueError(f"backward: grad has shape {g.shape} but the output has shape {root.shape}")
    if create_graph:
        return grad if isinstance(grad, Tensor) else wrap(g)
    return g


def _sweep(roots: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool, retain_graph: bool,
           capture: set[int] | None = None) -> tuple[dict[int, Any], list[Tensor], set[int]]:
    """Run the backward sweep. Returns the gradients by tensor id (leaves and captured tensors), the
    leaves, and the ids whose gradient buffer the sweep allocated itself (nothing else refers to it)."""
    for r in roots:
        if not r.requires_grad:
            raise RuntimeError(
                f"backward: tensor of shape {r.shape} does not require grad and has no graph "
                "(was it computed under no_grad(), or from tensors without requires_grad=True?)"
            )
    order, leaves = toposort(roots)
    grads: dict[int, Any] = {}
    for r, s in zip(roots, seeds):
        k = id(r)
        grads[k] = Branch.accumulate(grads[k], s) if k in grads else s
    captured: dict[int, Any] = {}
    owned: set[int] = set()  # ids whose gradient buffer only this sweep refers to: safe to add into in place
    anomaly = is_anomaly_enabled()
    for t in reversed(order):
        k = id(t)
        g = grads.pop(k, None)
        if g is None:
            continue
        if type(g) is Scatter:  # a node's backward works on arrays
            g = g.to_dense()
        if capture is not None and k in capture:
            captured[k] = g
        fn = t._ctx
        parents = fn.parents
        if create_graph:
            gs = fn.backward(g, t, *parents)
        else:
            gs = fn.backward(g, t.data, *fn.args)
        if anomaly:
            _check_finite(fn, "backward", gs)
        if retain_graph:
            fn.grad_out, fn.grad_inputs = g, gs
        else:
            fn.parents = fn.args = None
        fresh = fn.fresh_grads and not create_graph and not retain_graph  # retained edge gradients stay intact
        for p, gp in zip(parents, gs):
            if gp is None or not isinstance(p, Tensor) or not p.requires_grad:
                continue
            kp = id(p)
            if kp not in grads:
                grads[kp] = gp
                if fresh and type(gp) is np.ndarray:
                    owned.add(kp)
            elif kp in owned and type(gp) in (np.ndarray, Scatter):  # Branch's sum, in place
                if type(gp) is Scatter:
                    gp.add_to(grads[kp])
                else:
                    grads[kp] += gp
            elif fresh and type(gp) is np.ndarray and gp.shape == p.shape and type(grads[kp]) in (np.ndarray, Scatter):
                if type(grads[kp]) is Scatter:
                    grads[kp].add_to(gp)
                else:
                    gp += grads[kp]
                grads[kp] = gp
                owned.add(kp)
            else:
                grads[kp] = Branch.accumulate(grads[kp], gp)
                if not create_graph and type(grads[kp]) is np.ndarray:
                    owned.add(kp)
    for leaf in leaves:
        k = id(leaf)
        if k in grads:
            captured[k] = grads[k].to_dense() if type(grads[k]) is Scatter else grads[k]
    return captured, leaves, owned


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into `leaf.grad` for every leaf that requires grad."""
    retain_graph = retain_graph or create_graph
    seed = _seed(root, grad, create_graph)
    with _set_grad_enabled(create_graph):
        grads, leaves, owned = _sweep([root], [seed], create_graph, retain_graph)
        for leaf in leaves:
            g = grads.get(id(leaf))
            if g is None:
                continue
            if create_graph:
                leaf.grad = g if leaf.grad is None else leaf.grad + g
            elif isinstance(g, RowSparse):
                leaf.grad = g if leaf.grad is None else g + leaf.grad.data
            elif leaf.grad is None:  # keep a buffer the sweep owns; copy one that may be shared
                leaf.grad = wrap(g if id(leaf) in owned and g.dtype == leaf.dtype else np.array(g, dtype=leaf.dtype))
            else:
                leaf.grad = wrap(g + leaf.grad.data)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, create_graph: bool = False, retain_graph: bool | None = None,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) as a tuple of Tensors, without touching `.grad` (like torch.autograd.grad).

    With create_graph=True the returned gradients are part of the graph (for higher-order gradients).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        gos: list[Any] = [None] * len(outs)
    else:
        gos = [grad_outputs] if isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)) else list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: got {len(gos)} grad_outputs for {len(outs)} outputs")
    for x in ins:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor with requires_grad=True")
    retain = create_graph if retain_graph is None else retain_graph
    seeds = [_seed(o, go, create_graph) for o, go in zip(outs, gos)]
    with _set_grad_enabled(create_graph):
        found, _, _ = _sweep(outs, seeds, create_graph, retain, capture={id(x) for x in ins})
    result: list[Tensor | None] = []
    for i, x in enumerate(ins):
        g = found.get(id(x))
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; pass allow_unused=True")
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(wrap(np.array(g, dtype=x.dtype)))
    return tuple(result)
