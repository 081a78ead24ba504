"""Neural-network building blocks composed from the engine's ops (`F` is `nn.functional`)."""
from . import functional
from .layers import Dropout, Embedding, LayerNorm, Linear, init_weight, one_stream
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .hsoftmax import HierarchicalSoftmax, huffman_codes
from .module import Module, Parameter, Sequential, evaluating
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, SimplifiedGRUCell
from .attention import MultiheadAttention, causal_mask, scaled_dot_product_attention
from .transformer import (LearnedPositionalEncoding, PositionalEncoding, PositionwiseFeedForward, TransformerDecoder,
                          TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer)
from .transformer_torch import load_torch_state_dict, torch_state_dict
from . import utils
from .utils import clip_grad_norm_, pad_sequence

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "LogSoftmax", "MSELoss", "NLLLoss", "ReLU", "Sigmoid", "Softmax", "Tanh", "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "SimplifiedGRUCell", "Dropout", "HierarchicalSoftmax", "huffman_codes", "Embedding", "LayerNorm", "Linear", "Module", "Parameter", "Sequential", "clip_grad_norm_", "pad_sequence", "utils", "evaluating", "functional", "init_weight", "one_stream",
           "MultiheadAttention", "causal_mask", "scaled_dot_product_attention", "LearnedPositionalEncoding", "PositionalEncoding",
           "PositionwiseFeedForward", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer", "load_torch_state_dict", "torch_state_dict"]
