"""Weights of the attention and Transformer layers under torch's names, and back.

Ours → torch's: Linear `X.W` (in, out) ↔ `X.weight` (out, in), `X.b` ↔ `X.bias`; LayerNorm `gamma`, `beta`
↔ `weight`, `bias`; MultiheadAttention's q_proj, k_proj, v_proj ↔ the rows of `in_proj_weight` (3E, E)
and `in_proj_bias`; the feed-forward network's `ff.linear1` ↔ the layer's `linear1`. Works for any
module built from these (a layer, a stack, nn.MultiheadAttention alone).
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..engine import Tensor
from .attention import MultiheadAttention
from .layers import LayerNorm, Linear
from .module import Module
from .transformer import PositionwiseFeedForward

_PROJECTIONS = ("q_proj", "k_proj", "v_proj")


def _torch_prefix(name: str) -> str:
    """Our module path as torch's: the FFN's linear1/linear2 sit on the layer itself."""
    parts = [p for p in name.split(".") if p not in ("", "ff")]
    return ".".join(parts) + "." if parts else ""


def _leaves(module: Module) -> Iterator[tuple[str, Module]]:
    """(our path, module) for every Linear, LayerNorm and MultiheadAttention, the attention's own Linears left to it."""
    inside_attention: set[str] = set()
    for name, m in module.named_modules():
        if any(name.startswith(a + ".") or (not a and name) for a in inside_attention):
            continue
        if isinstance(m, MultiheadAttention):
            inside_attention.add(name)
            yield name, m
        elif isinstance(m, (Linear, LayerNorm)):
            yield name, m
        elif not isinstance(m, PositionwiseFeedForward) and any("." not in n for n, _ in m.named_parameters()):
            raise TypeError(f"torch_state_dict: no torch name for the parameters of {type(m).__name__} at {name or 'the top'}")


def torch_state_dict(module: Module) -> dict[str, np.ndarray]:
    """Our weights as the state_dict of the torch module with the same structure."""
    out: dict[str, np.ndarray] = {}
    for name, m in _leaves(module):
        pre = _torch_prefix(name)
        if isinstance(m, MultiheadAttention):
            projections = [getattr(m, p) for p in _PROJECTIONS]
            out[pre + "in_proj_weight"] = np.concatenate([p.W.data.T for p in projections])
            if m.q_proj.b is not None:
                out[pre + "in_proj_bias"] = np.concatenate([p.b.data for p in projections])
            m = m.out_proj
            pre += "out_proj."
        if isinstance(m, Linear):
            out[pre + "weight"] = m.W.data.T.copy()
            if m.b is not None:
                out[pre + "bias"] = m.b.data.copy()
        elif m.gamma is not None:
            out[pre + "weight"], out[pre + "bias"] = m.gamma.data.copy(), m.beta.data.copy()
    return out


def load_torch_state_dict(module: Module, state: dict[str, Any]) -> None:
    """Load a torch state_dict (arrays or torch tensors) into `module`: every key must be used, every weight set."""
    arrays = {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in state.items()}
    ours = torch_state_dict(module)
    missing, unexpected = sorted(set(ours) - set(arrays)), sorted(set(arrays) - set(ours))
    bad = [f"{k}: {arrays[k].shape} != {ours[k].shape}" for k in set(ours) & set(arrays) if arrays[k].shape != ours[k].shape]
    if missing or unexpected or bad:
        raise ValueError(f"load_torch_state_dict ({type(module).__name__}): missing {missing}, unexpected {unexpected}, "
                         f"shapes {bad}")
    for name, m in _leaves(module):
        pre = _torch_prefix(name)
        if isinstance(m, MultiheadAttention):
            W = np.split(arrays[pre + "in_proj_weight"], 3)
            b = np.split(arrays[pre + "in_proj_bias"], 3) if m.q_proj.b is not None else (None,) * 3
            for p, Wp, bp in zip(_PROJECTIONS, W, b):
                _set_linear(getattr(m, p), Wp, bp)
            m, pre = m.out_proj, pre + "out_proj."
        if isinstance(m, Linear):
            _set_linear(m, arrays[pre + "weight"], arrays.get(pre + "bias"))
        elif m.gamma is not None:
            _set(m.gamma, arrays[pre + "weight"])
            _set(m.beta, arrays[pre + "bias"])


def _set_linear(m: Linear, weight: np.ndarray, bias: np.ndarray | None) -> None:
    _set(m.W, weight.T)
    if m.b is not None:
        _set(m.b, bias)


def _set(p: Tensor, value: np.ndarray) -> None:
    p.data = np.array(value, dtype=p.dtype)


__all__ = ["load_torch_state_dict", "torch_state_dict"]
