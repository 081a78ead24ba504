"""The primitive graph nodes. Each one keeps its forward and its local backward side by side.

The textbook's six: Add, Mul, Repeat (broadcast), Sum, MatMul, Branch (fan-out). Plus the
elementwise and shape nodes a real model needs. Everything else in the library (sub, div, mean,
sigmoid, softmax, cross-entropy, every layer) is a composition of these.

`backward(g, out, *xs)` gets the gradient of the loss w.r.t. the output (`g`), the output and the
inputs, and returns dL/d(input) for each input, None for an input that needs none
(`self.needs_input_grad`). It is written once, with operators and nodes that arrays and Tensors
both understand: on the fast path these are numpy arrays; under `create_graph=True` they are
Tensors, and the same lines record a graph of the backward pass.
"""
from .function import Function  # noqa: I001 (the node base class, then the textbook's six)
from .textbook import Add, Branch, MatMul, Mul, Repeat, Sum
from .elementwise import Cast, Cos, Erf, Exp, Log, Max, Neg, Pow, ReLU, Sin, Tanh, Where
from .indexing import Concat, Gather, GetItem, Reshape, ScatterAdd, Transpose
from .apply import NUMBERS, binary, matmul, promote, reciprocal, where

__all__ = [
    "Add", "Branch", "Cast", "Cos", "Erf", "Function", "Concat", "Exp", "Gather", "GetItem", "Log", "MatMul", "Max", "Mul", "Neg", "Pow", "ReLU",
    "Repeat", "Reshape", "ScatterAdd", "Sin", "Sum", "Tanh", "Transpose", "Where", "NUMBERS", "binary", "matmul", "promote", "reciprocal", "where",
]
