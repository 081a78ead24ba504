"""Evaluation and decoding: how good a model is, and what it says.

- `perplexity.py`  exp(mean cross-entropy per word) of a language model
- `generate.py`    text from a language model (greedy, temperature, top-k)
- `decoding.py`    seq2seq decoding: greedy, sampling, batched beam search
- `metrics.py`     accuracy, d2l's BLEU, corpus BLEU (equals sacrebleu's)
- `vectors.py`     word-vector queries: most_similar, analogy, the word2vec text format
"""
