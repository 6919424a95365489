"""Recurrent anomaly scorers (torch): a sequence autoencoder and a one-step forecaster.

Both follow the scorer surface of `tsrnn.anomaly.scorers` (fit on a list of scaled (T_s, C)
series, score one (T, C) series) and are built on `tsrnn.nn.core.RecurrentCore`, trained by
`tsrnn.nn.trainer.Trainer`. torch is imported when this module is.

- `AutoencoderScorer`: an encoder reads a window (B, w, C) into its last hidden state, a decoder
  fed that code at every step rebuilds the window; a point's score is the mean, over the windows
  that cover it, of the squared reconstruction error at its position (averaged over columns).
- `ForecastScorer`: a stateful recurrent net predicts x[t+1] from x[..t]; trained on chunks of
  `window` steps (stride window/8 unless `stride` > 1), it runs over a whole series in one pass
  (state carried), so the score of x[t] is mean_c |x[t] - x̂[t]| and streaming costs one recurrent
  step per point. The first `burn` = min(8, window/4) points (state still warming up) score NaN.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tsrnn.anomaly.arrays import (
    INPUT_CLIP,
    NET_CLIP,
    SCALE_FLOOR,
    clip_values,
    forecast_error,
    rolling_min_periods,
    rolling_standardise,
)
from tsrnn.anomaly.scorers import Scorer, check_window
from tsrnn.data.windows import window_starts, window_view
from tsrnn.errors import ConfigError, DataError
from tsrnn.nn.core import RecurrentCore
from tsrnn.nn.trainer import TrainConfig, Trainer, seed_everything

__all__ = ["RecurrentAutoencoder", "OneStepNet", "AutoencoderScorer", "ForecastScorer"]


class RecurrentAutoencoder(nn.Module):
    """x (B, w, C) -> reconstruction (B, w, C) through a code (B, hidden)."""

    def __init__(self, n_features: int, hidden: int, layers: int = 1, cell: str = "lstm"):
        super().__init__()
        self.encoder = RecurrentCore(n_features, hidden, layers, cell)
        self.decoder = RecurrentCore(hidden, hidden, layers, cell)
        self.out = nn.Linear(hidden, n_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        enc, _ = self.encoder(x)
        code = self.encoder.last(enc)  # (B, hidden)
        dec, _ = self.decoder(code.unsqueeze(1).expand(-1, x.shape[1], -1).contiguous())
        return self.out(dec)


class OneStepNet(nn.Module):
    """x (B, T, C) -> outputs (B, T, n_outputs) for the next step
    (out[:, t] is about x[:, t+1]), state.

    n_outputs: C (the prediction, default) or 2C (prediction, then scale logits: error="scaled").
    Weights: ``core.rnn.*`` (torch's RNN/LSTM/GRU layout) and ``head.weight`` (n_outputs, hidden),
    ``head.bias`` (n_outputs,)."""

    def __init__(
        self,
        n_features: int,
        hidden: int,
        layers: int = 1,
        cell: str = "lstm",
        n_outputs: int | None = None,
    ):
        super().__init__()
        self.core = RecurrentCore(n_features, hidden, layers, cell)
        self.head = nn.Linear(hidden, n_outputs or n_features)

    def forward(self, x: torch.Tensor, state=None):
        out, state = self.core(x, state)
        return self.head(out), state


class _TorchScorer(Scorer):
    """Options shared by the recurrent scorers. The defaults are those of the forecast members of
    the detector's default scorer (tsrnn.anomaly.tailmax; benchmarks/nab.py's `forecast`): window
    64, hidden 32, one LSTM layer, 30 epochs at lr 3e-3, batches of 32, windows every 4 points."""

    def __init__(
        self,
        window: int = 64,
        hidden: int = 32,
        layers: int = 1,
        cell: str = "lstm",
        epochs: int = 30,
        lr: float = 3e-3,
        batch_size: int = 32,
        stride: int = 4,
        seed: int = 0,
        device: str = "cpu",
        quiet: bool = True,
    ):
        self.window, self.hidden, self.layers, self.cell = window, hidden, layers, cell
        self.epochs, self.lr, self.batch_size, self.stride = epochs, lr, batch_size, stride
        self.seed, self.device, self.quiet = seed, device, quiet

    def validate(self) -> None:
        check_window(f"the {self.name} scorer's window", self.window)
        for key in ("hidden", "layers", "epochs", "batch_size", "stride"):
            check_window(key, getattr(self, key), 1)
        if self.cell not in ("rnn", "lstm", "gru"):
            raise ConfigError(f"cell must be rnn, lstm or gru (got '{self.cell}')")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ConfigError(f"lr must be a positive number (got {self.lr!r})")

    def _net(self, n_features: int, n_outputs: int):
        raise NotImplementedError

    def state(self, tensors: dict, prefix: str) -> dict:
        sd = self.model_.state_dict()
        tensors.update(
            {f"{prefix}net.{k}": v.detach().float().cpu().numpy() for k, v in sd.items()}
        )
        return {}

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int):
        net = self._net(n_features, int(info.get("n_outputs", n_features)))
        key = f"{prefix}net."
        net.load_state_dict(
            {
                k[len(key) :]: torch.from_numpy(np.array(v, dtype=np.float32))
                for k, v in tensors.items()
                if k.startswith(key)
            },
            strict=True,
        )
        self.model_ = net.eval()
        return self

    def _train(self, model, data: torch.Tensor, loss_fn):
        """data: (W, L, C) training sequences on the device; plain shuffled mini-batches."""
        cfg = TrainConfig(
            epochs=self.epochs,
            lr=self.lr,
            patience=None,
            schedule="cosine",
            seed=self.seed,
            device=self.device,
            bf16=False,
            quiet=self.quiet,
        )
        trainer = Trainer(cfg)
        data = data.to(trainer.device)
        gen = torch.Generator(device="cpu").manual_seed(self.seed)

        def batches(epoch):
            perm = torch.randperm(len(data), generator=gen).to(trainer.device)
            for i in range(0, len(data), self.batch_size):
                yield data[perm[i : i + self.batch_size]]

        self.history_ = trainer.fit(model, batches, loss_fn)
        self.model_ = model.to(torch.device("cpu")).eval()
        return self

    def _stack(self, train: list[np.ndarray], length: int, stride: int) -> torch.Tensor:
        values = np.clip(np.concatenate(train), -NET_CLIP, NET_CLIP).astype(np.float32)
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in train])])
        starts = window_starts(offsets, length, stride)
        if len(starts) == 0:
            raise DataError(
                f"no training window of {length} points fits in the series "
                f"(longest has {max(len(x) for x in train)}); lower the window"
            )
        return torch.from_numpy(np.ascontiguousarray(window_view(values, length)[starts]))


class AutoencoderScorer(_TorchScorer):
    """Windowed recurrent autoencoder; see the module docstring. Not causal (a point's score
    averages the windows that cover it, later points included): no streaming step."""

    name = "autoencoder"
    causal = False

    def _net(self, n_features: int, n_outputs: int):
        return RecurrentAutoencoder(n_features, self.hidden, self.layers, self.cell)

    def fit(self, train: list[np.ndarray]):
        self.validate()
        C = train[0].shape[1]
        seed_everything(
            self.seed
        )  # the initial weights come from the seed, not from whatever ran before
        model = self._net(C, C)
        data = self._stack(train, self.window, max(1, self.stride))
        return self._train(model, data, lambda m, x: torch.mean((m(x) - x) ** 2))

    @torch.no_grad()
    def score(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        self._check_fitted()
        x64 = clip_values(x)  # errors in float64: a 1e300 point's square stays finite
        x = np.clip(x64, -NET_CLIP, NET_CLIP).astype(np.float32)
        n, w = len(x), self.window
        if n < w:
            raise DataError(f"a series of {n} points is shorter than the autoencoder window {w}")
        starts = window_starts(np.array([0, n]), w, max(1, self.stride))
        views, views64 = window_view(x, w), window_view(x64, w)
        errs = []
        for i in range(0, len(starts), batch):
            xb = torch.from_numpy(np.ascontiguousarray(views[starts[i : i + batch]]))
            rec = self.model_(xb).numpy().astype(np.float64)
            errs.append(((rec - views64[starts[i : i + batch]]) ** 2).mean(axis=2))
        from tsrnn.anomaly.arrays import cover_mean

        return cover_mean(np.concatenate(errs), starts, n)


class ForecastScorer(_TorchScorer):
    """Stateful one-step-ahead recurrent forecaster; see the module docstring.

    input_norm: 0 (off) or a window W: the network sees each value standardised by the mean and
        std of the W values before it (the rolling z-score's statistics) and predicts the next
        such value; the score is the prediction error in those units, so a drift in level or scale
        stops mattering once the look-back has passed it.
    error: "abs" (|x - x̂|) or "scaled": the network also predicts the scale of its error at each
        point (Laplace likelihood) and the score is |x - x̂| divided by it.
    """

    name = "forecast"

    def __init__(
        self,
        window: int = 64,
        hidden: int = 32,
        layers: int = 1,
        cell: str = "lstm",
        epochs: int = 30,
        lr: float = 3e-3,
        batch_size: int = 32,
        stride: int = 4,
        seed: int = 0,
        device: str = "cpu",
        quiet: bool = True,
        input_norm: int = 0,
        error: str = "abs",
    ):
        super().__init__(
            window, hidden, layers, cell, epochs, lr, batch_size, stride, seed, device, quiet
        )
        self.input_norm, self.error = input_norm, error

    def validate(self) -> None:
        super().validate()
        if self.error not in ("abs", "scaled"):
            raise ConfigError(f"error must be 'abs' or 'scaled' (got '{self.error}')")
        if self.input_norm != 0:
            check_window("input_norm (0: off, else a window)", self.input_norm)

    def _net(self, n_features: int, n_outputs: int):
        return OneStepNet(n_features, self.hidden, self.layers, self.cell, n_outputs=n_outputs)

    def state(self, tensors: dict, prefix: str) -> dict:
        super().state(tensors, prefix)
        return {"n_outputs": int(self.model_.head.out_features)}

    def stepper(self, n_features: int, backend: str = "auto"):
        """One recurrent step per point: backend "numba" (tsrnn.cpu), "torch", or "auto" (numba
        where it can run the network); see tsrnn.anomaly.forecast_step."""
        from tsrnn.anomaly.forecast_step import ForecastStep

        return ForecastStep(
            self.model_, n_features, self.lead, self.input_norm, self.error == "scaled", backend
        )

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        """input_norm's rolling z (T, C); rows without enough history are 0
        (their scores are NaN)."""
        return np.nan_to_num(rolling_standardise(x, self.input_norm), nan=0.0)

    def fit(self, train: list[np.ndarray]):
        self.validate()
        if self.input_norm:
            lead = rolling_min_periods(
                self.input_norm
            )  # rows before the look-back holds enough points
            train = [np.clip(self._standardise(x)[lead:], -INPUT_CLIP, INPUT_CLIP) for x in train]
            if not all(len(x) for x in train):
                raise DataError(
                    f"input_norm {self.input_norm} needs more than {lead} training points per "
                    "series"
                )
        C = train[0].shape[1]
        scaled = self.error == "scaled"
        seed_everything(
            self.seed
        )  # the initial weights come from the seed, not from whatever ran before
        model = self._net(C, 2 * C if scaled else C)
        L = self.window
        data = self._stack(train, L + 1, self.stride if self.stride > 1 else max(1, L // 8))
        burn = self.burn

        def loss(m, x):
            out, _ = m(x[:, :-1])
            err = torch.abs(out[:, burn:, :C] - x[:, 1 + burn :])
            if not scaled:
                return torch.mean(err)
            sigma = nn.functional.softplus(out[:, burn:, C:]) + SCALE_FLOOR
            return torch.mean(torch.log(sigma) + err / sigma)  # Laplace negative log-likelihood

        return self._train(model, data, loss)

    @torch.no_grad()
    def predict(self, x: np.ndarray) -> np.ndarray:
        """(T, C) -> (T, n_outputs) the net's outputs about each row from the rows before it: the
        one-step prediction (then, for error="scaled", the scale logits); row 0 is NaN."""
        self._check_fitted()
        xt = torch.from_numpy(np.clip(x, -NET_CLIP, NET_CLIP).astype(np.float32))[None]
        pred, _ = self.model_(xt)
        out = np.full((len(x), pred.shape[-1]), np.nan)
        out[1:] = pred[0, :-1].numpy()
        return out

    @property
    def burn(self) -> int:
        """Steps a zero state needs before its predictions count:
        skipped in the loss, NaN scores."""
        return max(1, min(8, self.window // 4))

    @property
    def lead(self) -> int:
        """Leading points that score NaN:
        the burn-in, and with input_norm the look-back's first half."""
        return (
            max(self.burn, rolling_min_periods(self.input_norm)) if self.input_norm else self.burn
        )

    def score(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        x = np.asarray(x, dtype=np.float64)
        if self.input_norm:
            x = self._standardise(x)
            pred = self.predict(np.clip(x, -INPUT_CLIP, INPUT_CLIP))
        else:
            pred = self.predict(x)
        s = forecast_error(x, pred, self.error == "scaled")
        s[: self.lead] = np.nan
        return s
