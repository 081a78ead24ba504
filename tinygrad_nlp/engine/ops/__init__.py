"""The primitive graph nodes, each with its forward and its local backward side by side: the textbook's
six (Add, Mul, Repeat, Sum, MatMul, Branch), the elementwise and shape nodes a real model needs, and
`apply.py`, how Tensor methods apply them (dtype rules, broadcasting). Everything else in the library
(sub, div, mean, softmax, cross-entropy, every layer) is a composition of these."""
from .function import Function  # noqa: I001 (the node base class, then the textbook's six)
from .textbook import Add, Branch, MatMul, Mul, Repeat, Sum
from .elementwise import Cast, Cos, Erf, Exp, Log, Max, Neg, Pow, ReLU, Sin, Tanh, Where
from .indexing import Concat, Gather, GetItem, Reshape, ScatterAdd, Transpose
from .apply import NUMBERS, binary, matmul, promote, reciprocal, where

__all__ = [
    "Add", "Branch", "Cast", "Cos", "Erf", "Function", "Concat", "Exp", "Gather", "GetItem", "Log", "MatMul", "Max", "Mul", "Neg", "Pow", "ReLU",
    "Repeat", "Reshape", "ScatterAdd", "Sin", "Sum", "Tanh", "Transpose", "Where", "NUMBERS", "binary", "matmul", "promote", "reciprocal", "where",
]
