"""Module and Parameter, with PyTorch's names: parameters(), named_parameters(), zero_grad(),
train()/eval(), state_dict()/load_state_dict()."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np

from ..engine import Tensor, group, no_grad, scope


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (requires_grad=True)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)


class Module:
    """Base class of layers and models. Assigning a Parameter or a Module to an attribute
    registers it; `__call__` runs `forward` inside a scope named after the attribute, so that viz
    can group the nodes by layer. A layer the textbook draws as one node sets `textbook_name`
    ("Affine", "LSTM"): its call becomes a Group that viz folds into that node."""

    textbook_name: str | None = None
    textbook_loss = False  # True for a loss layer: its output is drawn as the loss

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_scope_name", type(self).__name__)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            if value.name is None:
                value.name = name
        elif isinstance(value, Module):
            self._modules[name] = value
            object.__setattr__(value, "_scope_name", name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.textbook_name is None:
            with scope(self._scope_name):
                return self.forward(*args, **kwargs)
        with group(type(self).__name__.lower(), self.textbook_name, "layer", self._scope_name, self.textbook_loss):
            return self.forward(*args, **kwargs)

    # -- traversal -----------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct sub-modules (not theirs)."""
        yield from self._modules.items()

    def children(self) -> Iterator["Module"]:
        yield from self._modules.values()

    def apply(self, fn: Any) -> "Module":
        """fn(m) for every sub-module, children first, then this one (torch's order); returns self."""
        for m in self._modules.values():
            m.apply(fn)
        fn(self)
        return self

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Dotted names such as `encoder.lstm.Wx`; a parameter shared by two modules comes once."""
        seen: set[int] = set()
        for mod_name, m in self.named_modules(prefix):
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name -> a copy of its array."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters; names and shapes must match (all of them when strict)."""
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        for name in sorted(set(own) & set(state)):
            value = np.asarray(state[name].data if isinstance(state[name], Tensor) else state[name])
            if value.shape != own[name].shape:
                problems.append(f"{name}: checkpoint shape {value.shape} != model shape {own[name].shape}")
        if problems:
            raise ValueError(f"load_state_dict ({type(self).__name__}): " + "; ".join(problems))
        for name in set(own) & set(state):
            value = state[name].data if isinstance(state[name], Tensor) else state[name]
            own[name].data = np.array(value, dtype=own[name].dtype)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("]
        for name, m in self._modules.items():
            lines.append(f"  ({name}): " + repr(m).replace("\n", "\n  "))
        for name, p in self._parameters.items():
            lines.append(f"  {name}: Parameter{p.shape}")
        return "\n".join(lines) + ")" if len(lines) > 1 else f"{type(self).__name__}()"


class Sequential(Module):
    """Apply modules in order: y = mₙ(...m₂(m₁(x)))."""

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)


@contextlib.contextmanager
def evaluating(model: Any, reset_state: bool = False) -> Iterator[Any]:
    """Run a block in eval mode with no graph, then restore the model's mode. With reset_state=True
    a recurrent model's state (`model.reset_state()`) is reset before and after the block."""
    was_training = model.training
    model.eval()
    if reset_state:
        model.reset_state()
    try:
        with no_grad():
            yield model
    finally:
        if reset_state:
            model.reset_state()
        model.train(was_training)
