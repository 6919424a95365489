"""Text tasks on tsrnn's recurrent cores: tokenisation (vocab.py), sentiment classifier
(classifier.py), character language model (charlm.py) and sequence tagger (tagger.py, crf.py).

Importing this package is cheap (no torch); the models import torch when they are built. The
models are imported from `tsrnn`, their one import path: ``from tsrnn import TextClassifier``.
"""
