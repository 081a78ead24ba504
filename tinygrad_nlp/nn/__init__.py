"""Neural-network building blocks composed from the engine's ops (`F` is `nn.functional`)."""
from . import functional
from .layers import Dropout, Embedding, Linear, init_weight
from .module import Module, Parameter, Sequential
from .utils import clip_grad_norm_

__all__ = ["Dropout", "Embedding", "Linear", "Module", "Parameter", "Sequential", "clip_grad_norm_", "functional", "init_weight"]
