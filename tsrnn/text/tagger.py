"""Sequence tagger: BiLSTM/GRU over word embeddings + a character-level encoder, with a softmax or
CRF output, decoded by Viterbi (tsrnn.text.crf) under BIO constraints. The network, the word
shapes and the padded batches are in tsrnn.text.tagger_net; training, calibration, decoding and
model files here.

Each word is the concatenation of its (lower-cased) word embedding, an embedding of its shape
(`word_shape`: capitalisation pattern, digits, @mention, #hashtag, URL, punctuation; `shape_embed`
> 0) and the final states of a bidirectional RecurrentCore run over its characters (case kept), so
words never seen in training still get a representation from their spelling; word dropout
(`word_dropout`) replaces training words by `<unk>` so the model learns to lean on that. Both cores
pack their inputs.

After training with validation data, `calibrate=True` picks one shift subtracted from the "O"
emission score (`o_shift_`, from a fixed grid) that maximises validation entity F1: a model that
finds too few entities trades some precision for recall there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError, DataError
from tsrnn.text._train import check_choice, check_dropout, check_positive, make_trainer
from tsrnn.text.tagger_net import MAX_WORD_CHARS, build_net, pad_batch, word_shape
from tsrnn.text.vocab import UNK_ID, Vocab

OUTPUTS = ("softmax", "crf")
SELECT = ("f1", "loss")
O_SHIFTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)  # calibration grid (emission units)


class Tagger(BaseEstimator):
    """Named-entity style tagger over tokenised sentences with BIO tags.

    fit(sentences, tags, val_sentences=None, val_tags=None); predict(sentences) → tag lists;
    evaluate(sentences, tags) → entity-level P/R/F1 (CoNLL convention, tsrnn.text.metrics).
    With validation data the Trainer keeps the epoch with the best validation entity F1
    (`select="f1"`, monitored as 1 − F1 + 0.001 × loss) or the lowest validation loss
    (`select="loss"`), and `calibrate` then sets `o_shift_` (see the module docstring; 0 without
    validation data).
    """

    task = "tag"
    fit_call = "fit(sentences, tags)"

    def __init__(
        self,
        cell: str = "lstm",
        word_embed: int = 100,
        char_embed: int = 32,
        char_hidden: int = 50,
        hidden: int = 128,
        layers: int = 1,
        dropout: float = 0.5,
        output: str = "crf",
        shape_embed: int = 16,
        min_freq: int = 2,
        word_dropout: float = 0.5,
        select: str = "f1",
        calibrate: bool = True,
        epochs: int = 20,
        batch_size: int = 16,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        clip: float = 5.0,
        patience: int | None = 5,
        schedule: str = "cosine",
        seed: int = 0,
        device: str = "auto",
        quiet: bool = True,
    ):
        self.cell = cell
        self.word_embed = word_embed
        self.char_embed = char_embed
        self.char_hidden = char_hidden
        self.hidden = hidden
        self.layers = layers
        self.dropout = dropout
        self.output = output
        self.shape_embed = shape_embed
        self.min_freq = min_freq
        self.word_dropout = word_dropout
        self.select = select
        self.calibrate = calibrate
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

    def _validate(self):
        check_choice("output", self.output, OUTPUTS)
        check_choice("select", self.select, SELECT)
        check_positive(
            word_embed=self.word_embed,
            char_embed=self.char_embed,
            char_hidden=self.char_hidden,
            hidden=self.hidden,
            layers=self.layers,
            batch_size=self.batch_size,
            min_freq=self.min_freq,
        )
        check_dropout(self.dropout)
        check_dropout(self.word_dropout)
        if self.shape_embed is None or self.shape_embed < 0:
            raise ConfigError(f"shape_embed must be ≥ 0 (got {self.shape_embed})")

    def _net(self):
        """The network with its BIO transition constraints in place."""
        net = build_net(
            len(self.words_),
            len(self.chars_),
            len(self.tags_),
            self.word_embed,
            self.char_embed,
            self.char_hidden,
            self.hidden,
            self.layers,
            self.cell,
            self.dropout,
            self.output,
            self.shape_embed,
        )
        self._constrain(net)
        return net

    def _constrain(self, net) -> None:
        """BIO transition constraints (used by the CRF and by Viterbi over softmax scores)."""
        from tsrnn.text.crf import bio_constraints

        self.trans_ok_, self.start_ok_ = bio_constraints(self.tags_)
        if net.crf is not None:
            net.crf.constrain(self.trans_ok_, self.start_ok_)

    def _encode(self, sents: Sequence[Sequence[str]]):
        """Id lists of sentences: (words, chars, shapes), one entry per sentence."""
        words = [self.words_.encode(s) for s in sents]
        chars = [[self.chars_.encode(w[:MAX_WORD_CHARS]) for w in s] for s in sents]
        shapes = [[word_shape(w) for w in s] for s in sents]
        return words, chars, shapes

    _batch = staticmethod(pad_batch)

    def fit(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]],
        val_sentences: Sequence[Sequence[str]] | None = None,
        val_tags: Sequence[Sequence[str]] | None = None,
    ) -> Tagger:
        import torch

        from tsrnn.nn.trainer import seed_everything
        from tsrnn.text.batching import bucket_batches
        from tsrnn.text.metrics import bio_spans

        self._validate()
        if len(sentences) != len(tags) or not len(sentences):
            raise DataError(
                f"{len(sentences)} sentences but {len(tags)} tag sequences (need the same, ≥ 1)"
            )
        for i, (s, t) in enumerate(zip(sentences, tags, strict=False)):
            if len(s) != len(t):
                raise DataError(f"sentence {i}: {len(s)} tokens but {len(t)} tags")
        all_tags = {t for ts in tags for t in ts}
        for t in all_tags:
            bio_spans([t])  # raises DataError on a tag that is not BIO
        self.tags_ = ["O", *sorted(all_tags - {"O"})]
        tindex = {t: i for i, t in enumerate(self.tags_)}
        self.words_ = Vocab.build(sentences, min_freq=self.min_freq, lower=True, level="word")
        self.chars_ = Vocab.build((c for s in sentences for c in s), min_freq=1, level="char")
        enc = self._encode(sentences)
        y = [[tindex[t] for t in ts] for ts in tags]
        self.o_shift_ = 0.0

        seed_everything(self.seed)
        net = self._net()
        trainer = make_trainer(self)
        dev = trainer.device
        lengths = [len(w) for w in enc[0]]
        wd = self.word_dropout

        def batches(epoch):
            for b in bucket_batches(
                lengths, self.batch_size, shuffle=True, seed=self.seed * 1000 + epoch
            ):
                (W, *rest), Y = self._batch(enc, b, y)
                if wd > 0:  # word dropout: teach the model to tag from spelling alone
                    W = W.masked_fill((torch.rand(W.shape) < wd) & (W > 0), UNK_ID)
                yield tuple(t.to(dev) for t in (W, *rest)), Y.to(dev)

        def loss_fn(model, batch):
            return self._loss(model, *batch)

        val_fn = None
        if val_sentences is not None and val_tags is not None and len(val_sentences):
            for i, (s, t) in enumerate(zip(val_sentences, val_tags, strict=False)):
                if len(s) != len(t):
                    raise DataError(f"validation sentence {i}: {len(s)} tokens but {len(t)} tags")
            venc = self._encode(val_sentences)
            # a tag the training data never shows cannot be scored: it counts as "O" in the
            # validation loss
            vy = [[tindex.get(t, 0) for t in ts] for ts in val_tags]
            vb = bucket_batches([len(w) for w in venc[0]], 128)
            n_tok = sum(len(w) for w in venc[0])

            def val_fn(model):
                tot = 0.0
                for b in vb:
                    inputs, Y = self._batch(venc, b, vy)
                    tot += float(
                        self._loss(
                            model, tuple(t.to(dev) for t in inputs), Y.to(dev), reduction="sum"
                        )
                    )
                loss = tot / n_tok
                if self.select == "loss":
                    return loss
                # 1 - entity F1, minimised by the Trainer; the small loss term breaks ties (e.g. F1
                # = 0 in the first epochs) so patience does not run out while the loss still
                # improves
                from tsrnn.text.metrics import span_prf

                return 1.0 - span_prf(val_tags, self._decode(model, venc, dev))["f1"] + 1e-3 * loss

        self.history_ = trainer.fit(net, batches, loss_fn, val_fn)
        self.net_ = net.cpu().eval()
        self.device_ = str(trainer.device)
        self.fitted_ = True
        if val_fn is not None and self.calibrate:
            self.o_shift_ = self._calibrate(val_sentences, val_tags)
        return self

    def _calibrate(self, sentences, tags) -> float:
        """The O-emission shift from O_SHIFTS with the best entity F1 on (sentences, tags) (the
        smallest such shift on ties)."""
        import torch

        from tsrnn.text.metrics import span_prf

        enc = self._encode(sentences)
        with torch.no_grad():
            ems = self._emissions(self.net_.eval(), enc, "cpu", 128)
        f1 = [
            span_prf(tags, self._paths(self.net_.crf, ems, len(enc[0]), s))["f1"] for s in O_SHIFTS
        ]
        return float(O_SHIFTS[int(np.argmax(f1))])

    @staticmethod
    def _loss(model, inputs, Y, reduction: str = "mean"):
        """CRF negative log-likelihood or token cross-entropy, per token ("mean") or summed."""
        import torch
        import torch.nn.functional as F

        em = model(*inputs)
        W, N = inputs[0], inputs[3]
        if model.crf is not None:
            nll = model.crf.nll(em.float(), Y, N).sum()
        else:
            T = W.shape[1]
            mask = torch.arange(T, device=W.device).unsqueeze(0) < N.unsqueeze(1)
            nll = F.cross_entropy(em.float()[mask], Y[mask], reduction="sum")
        return nll / N.sum() if reduction == "mean" else nll

    def predict(self, sentences: Sequence[Sequence[str]], batch_size: int = 128) -> list[list[str]]:
        """Tag lists, one per sentence (empty sentences give empty lists)."""
        import torch

        self._check_fitted()
        enc = self._encode(sentences)
        with torch.no_grad():
            return self._decode(self.net_.eval(), enc, "cpu", batch_size, self.o_shift_)

    def _emissions(self, net, enc, dev, batch_size: int = 128) -> list:
        """(sentence indices, emission scores (B, T, K) float32, lengths (B,)) per length bucket of
        the non-empty encoded sentences; softmax outputs give log-probabilities."""
        import torch

        from tsrnn.text.batching import bucket_batches

        words = enc[0]
        keep = [i for i, w in enumerate(words) if len(w)]
        out = []
        for b in bucket_batches([len(words[i]) for i in keep], batch_size):
            idx = [keep[i] for i in b]
            inputs, _ = self._batch(enc, idx)
            em = net(*(t.to(dev) for t in inputs)).float()
            out.append((idx, em if net.crf is not None else torch.log_softmax(em, -1), inputs[3]))
        return out

    def _paths(self, crf, ems, n: int, o_shift: float = 0.0) -> list[list[str]]:
        """Viterbi tag lists of `n` sentences from `_emissions` output (under `crf`'s transitions,
        or the BIO constraints alone when crf is None), the O score lowered by o_shift."""
        import torch

        from tsrnn.text.crf import NEG, viterbi

        out: list[list[str]] = [[] for _ in range(n)]
        for idx, em, N in ems:
            if o_shift:
                em = em.clone()
                em[..., 0] -= o_shift  # tags_[0] is "O"
            if crf is not None:
                paths = crf.decode(em, N)
            else:
                trans = torch.where(self.trans_ok_, 0.0, NEG).to(em.device)
                start = torch.where(self.start_ok_, 0.0, NEG).to(em.device)
                paths = viterbi(em, trans, start, torch.zeros_like(start), N)
            for i, p in zip(idx, paths, strict=False):
                out[i] = [self.tags_[k] for k in p]
        return out

    def _decode(
        self, net, enc, dev, batch_size: int = 128, o_shift: float = 0.0
    ) -> list[list[str]]:
        """Viterbi-decoded tags of encoded sentences (CRF scores,
        or log-softmax under BIO constraints)."""
        return self._paths(
            net.crf, self._emissions(net, enc, dev, batch_size), len(enc[0]), o_shift
        )

    def evaluate(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> dict:
        """Entity-level precision/recall/F1 (CoNLL convention) of predict(sentences) against
        tags."""
        from tsrnn.text.metrics import span_prf

        return span_prf(tags, self.predict(sentences))

    # -- model files ---------------------------------------------------------------------------

    def save(self, path: str | Path, force: bool = False) -> None:
        from tsrnn.text.modelfile import save_text_model

        self._check_fitted()
        extra = {"tags": self.tags_, "o_shift": self.o_shift_, "history": self.history_.to_dict()}
        save_text_model(
            path,
            self.task,
            self.net_.state_dict(),
            self.get_params(),
            {"words": self.words_.to_dict(), "chars": self.chars_.to_dict()},
            extra,
            force=force,
        )

    @classmethod
    def load(cls, path: str | Path) -> Tagger:
        from tsrnn.text.modelfile import restore_estimator

        def setup(est, vocab, extra):
            est.words_ = Vocab.from_dict(vocab["words"])
            est.chars_ = Vocab.from_dict(vocab["chars"])
            est.tags_ = list(extra["tags"])
            est.o_shift_ = float(extra.get("o_shift", 0.0))

        # files from before word shapes and calibration existed
        return restore_estimator(cls, path, setup, defaults={"shape_embed": 0, "calibrate": False})
