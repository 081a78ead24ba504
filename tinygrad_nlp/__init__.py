"""tinygrad_nlp: a small, readable deep-learning framework for teaching NLP with backprop.

    >>> import tinygrad_nlp as tg
    >>> x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    >>> W = tg.tensor([[0.5], [-1.0]], requires_grad=True)
    >>> (x @ W).tanh().sum().backward()

Reading order (each folder's `__init__` lists its own files in order):
1. `engine/`      Tensor, the primitive nodes and the backward pass (start with engine/__init__.py)
   `tensor_methods/`, `creation.py`   the Tensor methods made of other methods (mean, softmax ...),
                  installed onto Tensor below; the constructors (zeros, randn, concat, stack ...)
2. `nn/`          activations, losses and layers composed from the engine's ops (Linear,
                  Embedding, RNN/LSTM/GRU, attention and the Transformer layers); `Module` and `Parameter`
3. `optim.py`     optimizers (SGD ... AdamW) and learning-rate schedules
4. `data/`        text and vocabularies, corpus loaders, word2vec windows, LM batches
5. `evaluation/`  perplexity, text generation, seq2seq decoding (greedy, sampling, beam), BLEU, word-vector queries
6. `lm.py`        count-based n-gram language models, add-k and Kneser–Ney (the baselines the RNN LMs beat)
7. `serialization.py`, `files.py`, `runs.py`, `trainer.py`, `heap.py`   checkpoints, atomic file writes,
                  run folders and argument checks, the training loop, the allocator setting the
                  training commands use
8. `testing/`     gradcheck and hypothesis strategies (public API for testing your own ops)
9. `cli/`         the `tinygrad-nlp` command, one module per subcommand (it uses `models/` and `viz/`;
                  nothing here imports it)
10. `interop/`    the models' torch.nn twins, to_torch / from_torch, PyTorch checkpoints (the optional
                  `torch` extra; the only part of the library that imports torch)
The models of the course live in the top-level `models/` package, the drawings in `viz/`.
"""
from .engine import (  # first: every other module builds on Tensor
    Function,
    Group,
    RowSparse,
    Tensor,
    current_scope,
    default_dtype,
    detect_anomaly,
    edge_gradients,
    enable_grad,
    get_default_dtype,
    grad,
    group,
    is_anomaly_enabled,
    is_grad_enabled,
    matmul,
    no_grad,
    scope,
    set_default_dtype,
    set_grad_enabled,
    toposort,
    where,
)
from . import tensor_methods  # noqa: E402

tensor_methods.install(Tensor)  # mean, softmax, squeeze, x += y ...: the methods made of other methods
from .creation import (  # noqa: E402
    arange, as_generator, cat, concat, eye, full, manual_seed, ones, ones_like, rand, randn, stack, tensor, zeros, zeros_like,
)

from . import nn, optim  # noqa: E402
from .nn.functional import maximum, minimum  # noqa: E402 (torch.maximum / torch.minimum)
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "RowSparse", "load", "maximum", "minimum", "nn", "optim", "save",
    "Function", "Group", "Tensor", "group", "arange", "as_generator", "cat", "concat", "eye", "full", "current_scope", "default_dtype", "detect_anomaly",
    "enable_grad", "get_default_dtype", "grad", "is_anomaly_enabled", "is_grad_enabled", "manual_seed", "matmul", "no_grad",
    "ones", "ones_like", "rand", "randn", "scope", "set_default_dtype", "set_grad_enabled", "stack", "tensor", "toposort", "edge_gradients",
    "where", "zeros", "zeros_like",
]
