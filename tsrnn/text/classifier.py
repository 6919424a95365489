"""Sentence classifier: embedding → (bi)LSTM/GRU (RecurrentCore, packed) → pooling → linear.

Pooling: "last" (forward state at the last real token + backward state at the first), "max" or
"mean" over real tokens, or "attention" (a learned score per token, softmax over real tokens).
Padded positions never enter the pooled vector, and the core packs each batch, so a padded batch
gives the same logits as running each sentence alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError, DataError
from tsrnn.text._train import check_choice, check_dropout, check_positive, make_trainer
from tsrnn.text.vocab import Vocab, tokenize

POOLINGS = ("last", "max", "mean", "attention")


def build_net(
    vocab_size: int,
    num_classes: int,
    embed: int,
    hidden: int,
    layers: int,
    cell: str,
    bidirectional: bool,
    pooling: str,
    dropout: float,
):
    import torch
    from torch import nn

    from tsrnn.nn.core import RecurrentCore

    class ClassifierNet(nn.Module):
        """ids (B, T) int64 [, lengths (B,)] → logits (B, num_classes)."""

        def __init__(self):
            super().__init__()
            self.pooling = pooling
            self.embed = nn.Embedding(vocab_size, embed, padding_idx=0)
            self.drop = nn.Dropout(dropout)
            self.core = RecurrentCore(
                embed,
                hidden,
                layers=layers,
                cell=cell,
                bidirectional=bidirectional,
                dropout=dropout,
            )
            d = self.core.out_size
            if pooling == "attention":
                self.att = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, 1, bias=False))
            self.out = nn.Linear(d, num_classes)

        def forward(self, ids, lengths=None):
            x = self.drop(self.embed(ids))
            out, _ = self.core(x, lengths=lengths)  # (B, T, D)
            if self.pooling == "last":
                z = self.core.last(out, lengths)
            else:
                mask = None
                if lengths is not None:
                    T = ids.shape[1]
                    mask = (
                        torch.arange(T, device=ids.device).unsqueeze(0)
                        < lengths.to(ids.device).unsqueeze(1)
                    ).unsqueeze(2)  # (B, T, 1)
                if self.pooling == "max":
                    z = (out if mask is None else out.masked_fill(~mask, float("-inf"))).amax(1)
                elif self.pooling == "mean":
                    if mask is None:
                        z = out.mean(1)
                    else:
                        z = (out * mask).sum(1) / mask.sum(1).clamp(min=1)
                else:  # attention
                    s = self.att(out)  # (B, T, 1)
                    if mask is not None:
                        s = s.masked_fill(~mask, float("-inf"))
                    z = (torch.softmax(s, dim=1) * out).sum(1)
            return self.out(self.drop(z))

    return ClassifierNet()


class TextClassifier(BaseEstimator):
    """Classifies short texts (e.g. review snippets as pos/neg).

    fit(texts, labels, val_texts=None, val_labels=None) learns a word vocabulary (min_freq, lower)
    and the network with tsrnn's Trainer (early stopping on the validation loss when validation
    data are given); predict / predict_proba take a list of texts.
    """

    task = "classify"
    fit_call = "fit(texts, labels)"

    def __init__(
        self,
        cell: str = "lstm",
        embed: int = 200,
        hidden: int = 128,
        layers: int = 1,
        bidirectional: bool = True,
        pooling: str = "max",
        dropout: float = 0.5,
        min_freq: int = 2,
        lower: bool = True,
        epochs: int = 8,
        batch_size: int = 32,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        clip: float = 5.0,
        patience: int | None = 3,
        schedule: str = "cosine",
        seed: int = 0,
        device: str = "auto",
        quiet: bool = True,
    ):
        self.cell = cell
        self.embed = embed
        self.hidden = hidden
        self.layers = layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.min_freq = min_freq
        self.lower = lower
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.clip = clip
        self.patience = patience
        self.schedule = schedule
        self.seed = seed
        self.device = device
        self.quiet = quiet

    # -- helpers -------------------------------------------------------------------------------

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.vocab_.encode(tokenize(t, "word", self.lower)) for t in texts]

    def _validate(self):
        check_choice("pooling", self.pooling, POOLINGS)
        check_positive(
            embed=self.embed,
            hidden=self.hidden,
            layers=self.layers,
            batch_size=self.batch_size,
            min_freq=self.min_freq,
        )
        check_dropout(self.dropout)

    def _net(self):
        return build_net(
            len(self.vocab_),
            len(self.labels_),
            self.embed,
            self.hidden,
            self.layers,
            self.cell,
            self.bidirectional,
            self.pooling,
            self.dropout,
        )

    # -- estimator -----------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence,
        val_texts: Sequence[str] | None = None,
        val_labels: Sequence | None = None,
    ) -> TextClassifier:
        import torch
        import torch.nn.functional as F

        from tsrnn.nn.trainer import seed_everything
        from tsrnn.text.batching import bucket_batches, pad

        self._validate()
        if len(texts) != len(labels):
            raise DataError(f"{len(texts)} texts but {len(labels)} labels")
        if not len(texts):
            raise DataError("no training texts")
        self.labels_ = sorted({str(x) for x in labels})
        if len(self.labels_) < 2:
            raise DataError(
                f"only one label ({self.labels_[0]}) in the training data; need at least two"
            )
        index = {lab: i for i, lab in enumerate(self.labels_)}
        toks = [tokenize(t, "word", self.lower) for t in texts]
        self.vocab_ = Vocab.build(toks, min_freq=self.min_freq, lower=self.lower, level="word")
        ids = [self.vocab_.encode(t) for t in toks]
        y = np.array([index[str(x)] for x in labels], dtype=np.int64)

        seed_everything(self.seed)
        net = self._net()
        trainer = make_trainer(self)
        dev = trainer.device
        lengths = [max(len(s), 1) for s in ids]
        bs = self.batch_size

        def batches(epoch):
            for b in bucket_batches(lengths, bs, shuffle=True, seed=self.seed * 1000 + epoch):
                x, n = pad([ids[i] for i in b])
                yield x.to(dev), n, torch.from_numpy(y[b]).to(dev)

        def loss_fn(model, batch):
            x, n, t = batch
            return F.cross_entropy(model(x, n), t)

        val_fn = None
        if val_texts is not None and val_labels is not None and len(val_texts):
            unknown = sorted({str(v) for v in val_labels} - set(self.labels_))
            if unknown:
                raise DataError(
                    f"validation labels {unknown} do not occur in the training labels "
                    f"{self.labels_}"
                )
            vids = self._encode(val_texts)
            vy = torch.tensor([index[str(v)] for v in val_labels])
            vb = bucket_batches([max(len(s), 1) for s in vids], 256)

            def val_fn(model):
                tot = 0.0
                for b in vb:
                    x, n = pad([vids[i] for i in b])
                    tot += float(
                        F.cross_entropy(model(x.to(dev), n), vy[b].to(dev), reduction="sum")
                    )
                return tot / len(vids)

        self.history_ = trainer.fit(net, batches, loss_fn, val_fn)
        self.net_ = net.cpu().eval()
        self.int8_ = None  # {"embedding": bool} once quantized()
        self.device_ = str(trainer.device)
        self.fitted_ = True
        return self

    def logits(self, texts: Sequence[str], batch_size: int = 256, net=None) -> np.ndarray:
        """Raw scores (N, n_labels) in the order of `texts` (net: optionally a quantised copy)."""
        import torch

        from tsrnn.text.batching import bucket_batches, pad

        self._check_fitted()
        net = net if net is not None else self.net_
        ids = self._encode(texts)
        out = np.zeros((len(ids), len(self.labels_)), dtype=np.float32)
        with torch.no_grad():
            for b in bucket_batches([max(len(s), 1) for s in ids], batch_size):
                x, n = pad([ids[i] for i in b])
                out[b] = net(x, n).float().numpy()
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 256, net=None) -> np.ndarray:
        """Class probabilities (N, n_labels), columns in the order of `labels_`."""
        z = self.logits(texts, batch_size, net=net)
        z = np.exp(z - z.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    def predict_frame(self, texts: Sequence[str], batch_size: int = 256, net=None):
        """A frame (text, label, probability): each text, its likeliest label and that label's
        probability."""
        import pandas as pd

        p = self.predict_proba(texts, batch_size, net=net)
        return pd.DataFrame(
            {
                "text": list(texts),
                "label": [self.labels_[i] for i in p.argmax(1)],
                "probability": p.max(1),
            }
        )

    def predict(self, texts: Sequence[str], batch_size: int = 256, net=None) -> list[str]:
        z = self.logits(texts, batch_size, net=net)
        return [self.labels_[i] for i in z.argmax(1)]

    def score(self, texts: Sequence[str], labels: Sequence, net=None) -> float:
        """Accuracy on (texts, labels)."""
        from tsrnn.text.metrics import accuracy

        return accuracy([str(x) for x in labels], self.predict(texts, net=net))

    # -- model files ---------------------------------------------------------------------------

    def quantized(self, embedding: bool = False) -> TextClassifier:
        """A copy whose network runs with dynamic int8 weights (LSTM/GRU and Linear; the embedding
        too when `embedding`), CPU only. Its `save` writes the int8 weights; `load` restores them as
        they are."""
        import copy

        from tsrnn.text.export import quantize

        self._check_fitted()
        if self.int8_ is not None:
            raise ConfigError("this classifier is already int8; quantise the float model")
        est = copy.copy(self)
        est.net_ = quantize(self.net_, embedding=embedding)
        est.int8_ = {"embedding": bool(embedding)}
        return est

    def save(self, path: str | Path, force: bool = False) -> None:
        """Write the model file; an int8 classifier (from `quantized`) keeps its int8 weights
        (tsrnn.text.int8) and records `int8` in the file's extra metadata."""
        from tsrnn.text.modelfile import save_text_model

        self._check_fitted()
        extra = {"labels": self.labels_, "history": self.history_.to_dict()}
        state = self.net_.state_dict()
        if self.int8_ is not None:
            from tsrnn.text.int8 import int8_tensors

            state, spec = int8_tensors(self.net_)
            extra["int8"] = {**self.int8_, "spec": spec}
        save_text_model(
            path,
            self.task,
            state,
            self.get_params(),
            {"words": self.vocab_.to_dict()},
            extra,
            force=force,
        )

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        from tsrnn.text.modelfile import restore_estimator

        def setup(est, vocab, extra):
            est.vocab_ = Vocab.from_dict(vocab["words"])
            est.labels_ = list(extra["labels"])
            est.int8_ = (
                {"embedding": bool(extra["int8"]["embedding"])} if extra.get("int8") else None
            )

        return restore_estimator(cls, path, setup)
