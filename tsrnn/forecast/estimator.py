"""Forecaster: one global recurrent model over all series of a panel (scikit-learn habits).

Models: "rnn", "lstm", "gru" (direct multi-horizon head) and "seq2seq" (encoder–decoder with
attention). Frames are handled here only; the networks see arrays and tensors. The training data
are prepared in tsrnn.forecast.prepare, forecasts computed in tsrnn.forecast.prediction. torch is
imported inside methods so that importing this module (and loading a model for the numba back end)
stays torch-free.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.base import BaseEstimator, PanelForecast
from tsrnn.data.panel import Panel
from tsrnn.errors import ConfigError, DataError
from tsrnn.forecast.inputs import Histories
from tsrnn.forecast.prediction import forecast_panel
from tsrnn.forecast.prepare import training_data
from tsrnn.frames import forecast_frame, parse_levels

MODELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "seq2seq": "Seq2Seq"}
BACKENDS = ("torch", "numba")


class Forecaster(BaseEstimator):
    """Global recurrent forecaster.

    model: "rnn" | "lstm" | "gru" (direct head) | "seq2seq" (attention encoder–decoder, cell from
    `cell`, default lstm); horizon: steps to forecast (required); input_len: window length (default
    max(2*season, 2*horizon), capped at 512 and by the shortest series; a week for sub-daily data);
    hidden ("auto": 128 with segments, else 64)/layers/dropout/bidirectional/layer_norm: the
    recurrent core; attention: "bahdanau" | "luong" | "dot";
    teacher_forcing: final teacher-forcing ratio of scheduled sampling (from 1 down to it);
    quantiles: e.g. (0.1, 0.5, 0.9) for quantile outputs trained with pinball loss (None: point
    forecasts with `loss` "mae" or "mse"); intervals come from those quantiles when a level
    matches them, else from split-conformal validation residuals; embedding: size of a learned
    per-series embedding (0 = off); calendar: add calendar features (True: by frequency, or a
    list of kinds); exog: extra numeric columns used as past covariates; val_size: fraction (<1)
    or number of final steps of each series held out for early stopping and conformal intervals.
    pad: "auto" (left-pad series shorter than input_len + horizon, with an "observed" input
    feature, so short series still give windows and can be forecast), True, or False (series
    must be long enough; the default input_len then shrinks to the shortest series);
    window_norm: "auto" (default: "season" where the preparation below applies, else "mean") |
    "mean" | "season" | "last" | None — subtract each input window's mean observed (over the
    whole window, over its last season, or the last) scaled target value from its inputs and
    targets and add it back to the outputs, so the model learns shapes relative to the current
    level and can forecast levels it never saw in training (trends); None feeds the per-series
    scaled values as they are.
    Seasonal preparation (tsrnn.forecast.transforms), each "auto" where the window holds at least
    4 whole seasons (e.g. hourly data, whose default window is a week), else off:
    transform: "auto" | "log" | None — log of positive targets (exp on the way out);
    segment: "auto" (the season) | int | None — the recurrent core reads `segment` rows per step;
    residual: "auto" | True | False — learn the target minus the last observed season repeated.
    decoder: width of an MLP decoder (Linear─ReLU─Linear) over the direct network's final state
    (0: one linear head; seq2seq ignores it).
    Training: epochs, batch_size, lr, weight_decay, clip, patience, schedule, steps_per_epoch,
    seed, device ("auto" | "cpu" | "cuda"), bf16 (autocast on CUDA), quiet.
    Budget: max_steps — "auto" (default) caps the optimisation steps so that training takes about
    10 minutes on a 2-core CPU, sized from the number of windows and the network's shapes (epochs
    are then cut to a random sample of windows each), None runs every epoch in full, an int caps
    the steps; time_budget — seconds or "10m": training stops then and keeps the best validation
    weights (a step budget is reproducible with the seed, a time budget is not: where it stops
    depends on the machine's speed and load); threads — torch CPU threads while training ("auto":
    OMP_NUM_THREADS when set, else 1 on CPU, the fastest at these shapes; None: torch's own).

    With several target columns (read_series target_col="a,b") the first is forecast and the
    others are past inputs, like `exog`.
    """

    def __init__(
        self,
        model: str = "lstm",
        horizon: int | None = None,
        input_len: int | None = None,
        hidden: int | str = "auto",
        layers: int = 2,
        cell: str | None = None,
        dropout: float = 0.0,
        bidirectional: bool = False,
        layer_norm: bool = False,
        attention: str = "bahdanau",
        teacher_forcing: float = 0.5,
        quantiles: tuple | None = None,
        loss: str = "mae",
        embedding: int = 0,
        calendar: bool | list = True,
        exog: list | None = None,
        scaler: str = "standard",
        val_size: float = 0.1,
        pad: bool | str = "auto",
        window_norm: str | None = "auto",
        transform: str | None = "auto",
        segment: int | str | None = "auto",
        residual: bool | str = "auto",
        decoder: int = 0,
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        clip: float = 1.0,
        patience: int | None = 5,
        schedule: str = "cosine",
        steps_per_epoch: int | None = None,
        seed: int = 0,
        device: str = "auto",
        bf16: bool = True,
        quiet: bool = False,
        max_steps: int | str | None = "auto",
        time_budget: float | str | None = None,
        threads: int | str | None = "auto",
        alias: str | None = None,
    ):
        self.model, self.horizon, self.input_len, self.hidden, self.layers = (
            model,
            horizon,
            input_len,
            hidden,
            layers,
        )
        self.cell, self.dropout, self.bidirectional, self.layer_norm = (
            cell,
            dropout,
            bidirectional,
            layer_norm,
        )
        self.attention, self.teacher_forcing, self.quantiles, self.loss = (
            attention,
            teacher_forcing,
            quantiles,
            loss,
        )
        self.embedding, self.calendar, self.exog, self.scaler, self.val_size = (
            embedding,
            calendar,
            exog,
            scaler,
            val_size,
        )
        self.pad, self.window_norm = pad, window_norm
        self.transform, self.segment, self.residual, self.decoder = (
            transform,
            segment,
            residual,
            decoder,
        )
        self.epochs, self.batch_size, self.lr, self.weight_decay, self.clip = (
            epochs,
            batch_size,
            lr,
            weight_decay,
            clip,
        )
        self.patience, self.schedule, self.steps_per_epoch = patience, schedule, steps_per_epoch
        self.seed, self.device, self.bf16, self.quiet = seed, device, bf16, quiet
        self.max_steps, self.time_budget, self.threads = max_steps, time_budget, threads
        self.alias = alias

    GLOBAL = True  # fitted once on the whole panel (see the contract in tsrnn/base.py)

    def label(self) -> str:
        """The `model` column value of the forecast frame: the alias given, else "LSTM", "GRU",
        "RNN" or "Seq2Seq"."""
        return self.alias or MODELS.get(str(self.model).lower(), str(self.model))

    # -- configuration --------------------------------------------------------------------------

    def check_params(self) -> None:
        """ConfigError for the first invalid parameter (no data needed; fit calls it)."""
        from tsrnn.forecast.checks import check_forecaster

        check_forecaster(self)

    def input_columns(
        self, targets: list[str], available: list[str], source: str = "data"
    ) -> list[str]:
        """The value columns this model reads, in order: the targets (the first is forecast), then
        `exog`; once fitted, the columns it was fitted on. DataError naming a missing column."""
        if getattr(self, "fitted_", False):
            cols = [*self.features_["targets"], *self.features_["exog"]]
            used = " (used by the model)"
        else:
            exog = [self.exog] if isinstance(self.exog, str) else list(self.exog or [])
            cols, used = [*targets, *[c for c in exog if c not in targets]], ""
        missing = [c for c in ["unique_id", "ds", *cols] if c not in available]
        if missing:
            raise DataError(
                f"{source}: column '{missing[0]}'{used} not found; "
                f"columns are: {', '.join(map(str, available))}"
            )
        return cols

    def _panel(self, df: pd.DataFrame) -> tuple[Panel, str]:
        source = df.attrs.get("source", "data")
        targets = list(df.attrs.get("targets") or ["y"])
        cols = self.input_columns(targets, [str(c) for c in df.columns], source)
        return Panel.from_frame(df, targets=cols), source

    # -- fit ------------------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame) -> Forecaster:
        """Train one global model on every series of the long frame `df` (see tsrnn.read_series);
        the frame is turned into a Panel of input_columns and passed to fit_panel."""
        self.check_params()
        self.fitted_ = False
        return self.fit_panel(*self._panel(df))

    def fit_panel(self, panel: Panel, source: str = "data") -> Forecaster:
        """Train one global model on every series of `panel` (columns: targets, then exog, as
        input_columns returns them); `source` names the data in error messages."""
        from tsrnn.forecast.fitting import fit_network

        self.check_params()
        d = training_data(self, panel, source)
        net, hist, conformal, device = fit_network(
            self, d.config, d.inputs, d.sidx, d.train_starts, d.val_starts, d.window
        )
        self.config_, self.features_, self.scaler_, self.series_ = (
            d.config,
            d.features,
            d.scaler,
            list(panel.ids),
        )
        self.history_ = Histories.last(panel, d.config.input_len)
        self.conformal_, self.train_history_, self.device_ = conformal, hist, device
        self.net_, self.numba_net_, self.backend_ = net, None, "torch"
        self.fitted_ = True
        return self

    # -- predict --------------------------------------------------------------------------------

    def predict(self, df: pd.DataFrame | None = None, level=None) -> pd.DataFrame:
        """Forecast frame of the `horizon` steps after the end of every series (predict_panel
        on the frame's Panel). df=None continues the training series; a frame gives new history.
        level: interval levels in percent (e.g. [80, 95]) → yhat_lo_L / yhat_hi_L columns."""
        self._check_fitted()
        levels = parse_levels(level)
        p = self.predict_panel(*(self._panel(df) if df is not None else (None,)), levels=levels)
        return forecast_frame(
            p.ids, p.last_ds, self.config_["freq"], self.label(), p.mean, p.intervals
        )

    def predict_panel(
        self, panel: Panel | None = None, source: str = "data", levels: list[int] = ()
    ) -> PanelForecast:
        """Forecast `horizon` steps after the end of every series.

        panel=None continues the training series; a Panel (columns from input_columns) gives new
        history (known or unseen series; unseen ones are scaled by their own statistics) and needs
        no refit. levels: interval levels in percent (e.g. [80, 95]).
        """
        self._check_fitted()
        return forecast_panel(self, panel, source, parse_levels(list(levels)))

    def _run(self, x: np.ndarray, future: np.ndarray | None, sid: np.ndarray) -> np.ndarray:
        """Network outputs (S, H, Q) in scaled units for step features x (S, T, F)."""
        cfg = self.config_
        E = cfg.embedding
        if self.backend_ == "numba":
            if E:
                table = self.weights_["embed.weight"]
                emb = np.where((sid >= 0)[:, None], table[np.maximum(sid, 0)], table.mean(0))
                x = np.concatenate(
                    [x, np.broadcast_to(emb[:, None, :], (*x.shape[:2], E))], axis=-1
                )
            y = self.numba_net_.forward(np.ascontiguousarray(x, dtype=np.float32))
            return np.asarray(y, dtype=np.float64).reshape(len(x), cfg.horizon, cfg.n_outputs)
        from tsrnn.forecast.fitting import torch_predict

        return torch_predict(self, x, future, sid)

    # -- save / load / stream -------------------------------------------------------------------

    def save(self, path: str | Path, force: bool = False) -> None:
        """Write the model file (safetensors + JSON metadata), atomically; an existing file is
        replaced only with force=True. See tsrnn.forecastfile. Under torchrun only process 0
        writes (every process holds the same model)."""
        from tsrnn.forecast.persist import save_forecaster

        save_forecaster(self, path, force)

    def _json_params(self) -> dict:
        p = self.get_params()
        for k in ("quantiles", "exog", "calendar"):
            if isinstance(p[k], tuple):
                p[k] = list(p[k])
        return p

    def _weights(self) -> dict[str, np.ndarray]:
        if self.net_ is not None:
            return {k: v.detach().float().cpu().numpy() for k, v in self.net_.state_dict().items()}
        return dict(self.weights_)

    @classmethod
    def load(cls, path: str | Path, backend: str = "torch", device: str = "cpu") -> Forecaster:
        """Read a model file written by `save`. backend "torch" (device "cpu" | "cuda" | "auto") or
        "numba" (torch-free CPU runtime; direct rnn/lstm/gru models only)."""
        from tsrnn.forecast.persist import load_forecaster

        if backend not in BACKENDS:
            raise ConfigError(f"backend '{backend}' is unknown; use one of {', '.join(BACKENDS)}")
        return load_forecaster(cls, path, backend, device)

    def streamer(self, unique_id: str | None = None):
        """A tsrnn.cpu.forecast_stream.ForecastStreamer for one training series (unique_id; None:
        the model's only series) on the numba runtime: ``yhat = s.update(y)`` takes the next raw
        value and returns the (horizon,) point forecast after it, equal to `predict` on the
        series extended by the values fed so far."""
        from tsrnn.forecast.persist import forecast_streamer

        self._check_fitted()
        return forecast_streamer(self, unique_id)
