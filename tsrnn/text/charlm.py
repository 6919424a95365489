"""Character language model: embedding → stacked LSTM/GRU (RecurrentCore) → linear over characters.

Training reads the text as B parallel streams (row b holds a contiguous slice) cut into windows
of `seq_len`; the hidden state is carried from one window to the next and detached (truncated
BPTT), so the model sees context longer than one window while gradients stop at its edge. The
loss is cross-entropy in nats per character. Sampling runs a prime text through the model, then
draws one character at a time with temperature and top-k.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError, DataError
from tsrnn.text._train import check_dropout, check_positive, make_trainer
from tsrnn.text.vocab import Vocab

LN2 = math.log(2.0)


def build_net(vocab_size: int, embed: int, hidden: int, layers: int, cell: str, dropout: float):
    from torch import nn

    from tsrnn.nn.core import RecurrentCore

    class CharLMNet(nn.Module):
        """ids (B, T) int64, state → logits (B, T, vocab_size), new state."""

        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed)
            self.core = RecurrentCore(embed, hidden, layers=layers, cell=cell, dropout=dropout)
            self.drop = nn.Dropout(dropout)
            self.out = nn.Linear(self.core.out_size, vocab_size)

        def forward(self, ids, state=None):
            out, state = self.core(self.embed(ids), state)
            return self.out(self.drop(out)), state

    return CharLMNet()


def detach_state(state):
    """Cut the graph behind a recurrent state (tensor or (h, c) tuple)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def streams(ids: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets as `rows` contiguous streams: X, Y (rows, L) with
    Y[b, t] = ids[b*L + t + 1]; L = (len(ids) - 1) // rows."""
    L = (len(ids) - 1) // rows
    if L < 1:
        raise DataError(
            f"the text is too short ({len(ids)} characters) for {rows} parallel streams"
        )
    return ids[: rows * L].reshape(rows, L), ids[1 : rows * L + 1].reshape(rows, L)


class CharLM(BaseEstimator):
    """Character-level language model trained with truncated BPTT.

    fit(text, val_text=None); evaluate(text) → mean loss in nats/char; sample(n, prime, temperature,
    top_k, seed) → generated text. `epoch_chars` caps the characters per epoch (None = the whole
    stream), so long texts can be validated more often; the position carries over between epochs.
    """

    task = "generate"
    fit_call = "fit(text)"

    def __init__(
        self,
        cell: str = "lstm",
        embed: int = 64,
        hidden: int = 256,
        layers: int = 2,
        dropout: float = 0.1,
        seq_len: int = 128,
        batch_size: int = 64,
        epoch_chars: int | None = None,
        epochs: int = 10,
        lr: float = 3e-3,
        weight_decay: float = 0.0,
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
        self.dropout = dropout
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.epoch_chars = epoch_chars
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.clip = clip
        self.patience = patience
        self.schedule = schedule
        self.seed = seed
        self.device = device
        self.quiet = quiet

    def _validate(self):
        check_positive(
            embed=self.embed,
            hidden=self.hidden,
            layers=self.layers,
            seq_len=self.seq_len,
            batch_size=self.batch_size,
        )
        if self.epoch_chars is not None:
            check_positive(epoch_chars=self.epoch_chars)
        check_dropout(self.dropout)

    def _net(self):
        return build_net(
            len(self.vocab_), self.embed, self.hidden, self.layers, self.cell, self.dropout
        )

    def _ids(self, text: str) -> np.ndarray:
        return np.asarray(self.vocab_.encode(text), dtype=np.int64)

    def fit(self, text: str, val_text: str | None = None) -> CharLM:
        import torch
        import torch.nn.functional as F

        from tsrnn.nn.trainer import seed_everything

        self._validate()
        if len(text) < 2:
            raise DataError("the training text needs at least two characters")
        self.vocab_ = Vocab.build([text], min_freq=1, level="char")
        X, Y = streams(self._ids(text), self.batch_size)
        T = self.seq_len
        n_win = max(1, X.shape[1] // T)  # windows per pass over the streams
        per_epoch = (
            n_win
            if self.epoch_chars is None
            else max(1, min(n_win, self.epoch_chars // (self.batch_size * T)))
        )
        seed_everything(self.seed)
        net = self._net()
        trainer = make_trainer(self)
        dev = trainer.device
        Xt, Yt = torch.from_numpy(X).to(dev), torch.from_numpy(Y).to(dev)
        cursor = {"win": 0}
        carried = {"state": None}

        def batches(epoch):
            for _ in range(per_epoch):
                w = cursor["win"]
                reset = w == 0  # a new pass over the streams starts from a zero state
                cursor["win"] = (w + 1) % n_win
                yield Xt[:, w * T : (w + 1) * T], Yt[:, w * T : (w + 1) * T], reset

        def loss_fn(model, batch):
            x, y, reset = batch
            logits, state = model(x, None if reset else carried["state"])
            carried["state"] = detach_state(state)  # truncated BPTT: keep the state, drop the graph
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

        val_fn = None
        if val_text:
            vids = self._ids(val_text)

            def val_fn(model):
                return self._stream_loss(model, vids, dev)

        self.history_ = trainer.fit(net, batches, loss_fn, val_fn)
        self.net_ = net.cpu().eval()
        self.device_ = str(trainer.device)
        self.fitted_ = True
        return self

    def _stream_loss(self, net, ids: np.ndarray, dev, rows: int = 16, window: int = 512) -> float:
        """Mean next-character loss (nats) over `ids` read as `rows` streams with carried state."""
        import torch
        import torch.nn.functional as F

        rows = max(1, min(rows, (len(ids) - 1) // 2))
        X, Y = streams(ids, rows)
        X, Y = torch.from_numpy(X).to(dev), torch.from_numpy(Y).to(dev)
        state, tot = None, 0.0
        with torch.no_grad():
            for s in range(0, X.shape[1], window):
                logits, state = net(X[:, s : s + window], state)
                tot += float(
                    F.cross_entropy(
                        logits.reshape(-1, logits.shape[-1]).float(),
                        Y[:, s : s + window].reshape(-1),
                        reduction="sum",
                    )
                )
        return tot / Y.numel()

    def evaluate(self, text: str) -> dict:
        """Loss of the model on `text`: {"nats_per_char", "bits_per_char", "chars"}."""
        self._check_fitted()
        unseen = sorted(set(text) - set(self.vocab_.itos[2:]))
        if unseen:
            raise DataError(
                f"the text holds {len(unseen)} character(s) the model never saw: "
                f"{''.join(unseen)[:20]!r}"
            )
        nats = self._stream_loss(self.net_, self._ids(text), "cpu")
        return {"nats_per_char": nats, "bits_per_char": nats / LN2, "chars": len(text)}

    def sample(
        self,
        n: int = 500,
        prime: str = "\n",
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = 0,
    ) -> str:
        """`n` characters drawn after `prime` (returned without the prime). temperature > 0 divides
        the logits (lower = more conservative); top_k keeps only the k likeliest characters."""
        import torch

        self._check_fitted()
        if temperature <= 0:
            raise ConfigError(f"temperature must be > 0 (got {temperature})")
        if top_k is not None and top_k < 1:
            raise ConfigError(f"top_k must be ≥ 1 (got {top_k})")
        if not prime:
            raise ConfigError("the prime text must hold at least one character")
        unseen = sorted(set(prime) - set(self.vocab_.itos[2:]))
        if unseen:
            raise ConfigError(
                f"the prime text holds characters the model never saw: {''.join(unseen)!r}"
            )
        gen = torch.Generator().manual_seed(seed if seed is not None else int(torch.seed() % 2**31))
        net = self.net_.eval()
        ids = torch.tensor([self.vocab_.encode(prime)])
        out = []
        with torch.no_grad():
            state = None
            if ids.shape[1] > 1:
                _, state = net(ids[:, :-1], None)
            cur = ids[:, -1:]
            for _ in range(n):
                logits, state = net(cur, state)
                z = logits[0, -1].float() / temperature
                z[:2] = float("-inf")  # never emit <pad> / <unk>
                if top_k is not None and top_k < z.numel():
                    kth = torch.topk(z, top_k).values[-1]
                    z = z.masked_fill(z < kth, float("-inf"))
                nxt = int(torch.multinomial(torch.softmax(z, 0), 1, generator=gen))
                out.append(nxt)
                cur = torch.tensor([[nxt]])
        return "".join(self.vocab_.decode(out))

    # -- model files ---------------------------------------------------------------------------

    def save(self, path: str | Path, force: bool = False, extra: dict | None = None) -> None:
        from tsrnn.text.modelfile import save_text_model

        self._check_fitted()
        ex = {"history": self.history_.to_dict(), **(extra or {})}
        save_text_model(
            path,
            self.task,
            self.net_.state_dict(),
            self.get_params(),
            {"chars": self.vocab_.to_dict()},
            ex,
            force=force,
        )

    @classmethod
    def load(cls, path: str | Path) -> CharLM:
        from tsrnn.text.modelfile import restore_estimator

        def setup(est, vocab, extra):
            est.vocab_ = Vocab.from_dict(vocab["chars"])

        return restore_estimator(cls, path, setup)
