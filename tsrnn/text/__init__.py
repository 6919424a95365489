"""Text tasks on tsrnn's recurrent cores: tokenisation, vocabulary, sentiment classifier,
character language model and sequence tagger.

Importing this package is cheap (no torch); the models import torch when they are built.
"""

from __future__ import annotations

from tsrnn._lazy import lazy_getattr

_LAZY = {
    "Vocab": "tsrnn.text.vocab",
    "tokenize": "tsrnn.text.vocab",
    "char_tokenize": "tsrnn.text.vocab",
    "word_tokenize": "tsrnn.text.vocab",
    "TextClassifier": "tsrnn.text.classifier",
    "CharLM": "tsrnn.text.charlm",
    "Tagger": "tsrnn.text.tagger",
    "span_prf": "tsrnn.text.metrics",
    "bio_spans": "tsrnn.text.metrics",
}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
