"""Data: text and vocabularies, corpus loaders, word2vec windows and samplers, language-model batches.

- `text.py`      tokenize, Vocab
- `datasets.py`  PTB, The Time Machine, the seq2seq toy tasks, parallel text (checksummed)
- `contexts.py`  word2vec's (contexts, target) windows, co-occurrence and PPMI, randomized SVD, UnigramSampler
- `batches.py`   the textbook's stateful LM streams, d2l's random and sequential partitioning
"""
