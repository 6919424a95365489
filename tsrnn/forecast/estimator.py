"""Forecaster: one global recurrent model over all series of a panel (scikit-learn habits).

Models: "rnn", "lstm", "gru" (direct multi-horizon head) and "seq2seq" (encoder–decoder with
attention). Frames are handled here only; the networks see arrays and tensors. torch is imported
inside methods so that importing this module (and loading a model for the numba back end) stays
torch-free.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.base import BaseEstimator, PanelForecast
from tsrnn.data.features import CALENDAR_KINDS, default_calendar, step_inputs
from tsrnn.data.freq import season_length
from tsrnn.data.panel import Panel
from tsrnn.data.scaling import SeriesScaler
from tsrnn.data.windows import window_starts
from tsrnn.errors import ConfigError, DataError
from tsrnn.forecast.inputs import (
    Histories,
    decoder_inputs,
    encoder_inputs,
    pad_panel,
    point_index,
    series_stats,
    window_ref,
)
from tsrnn.forecast.options import model_space, resolve_prep
from tsrnn.forecast.transforms import forward_values, inverse_values, seasonal_base, to_segments
from tsrnn.frames import check_series_lengths, forecast_frame, parse_levels
from tsrnn.netconfig import NetConfig

MODELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "seq2seq": "Seq2Seq"}
BACKENDS = ("torch", "numba")
MAX_INPUT_LEN = 512


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

    def _cell(self) -> str:
        m = str(self.model).lower()
        if m == "seq2seq":
            return self.cell or "lstm"
        return self.cell or m

    def _kinds(self, freq: str | None) -> list[str]:
        if self.calendar is True:
            return default_calendar(freq)
        if not self.calendar:
            return []
        kinds = [self.calendar] if isinstance(self.calendar, str) else list(self.calendar)
        bad = [k for k in kinds if k not in CALENDAR_KINDS]
        if bad:
            raise ConfigError(
                f"calendar feature '{bad[0]}' is unknown; use some of {', '.join(CALENDAR_KINDS)}"
            )
        return kinds

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

    def _exog(self, panel: Panel) -> list[str]:
        """The exogenous columns of a panel built from input_columns: its trailing columns named
        in `exog` (at least one target stays)."""
        names = set([self.exog] if isinstance(self.exog, str) else list(self.exog or []))
        cols = list(panel.targets)
        n = 0
        while n < len(cols) - 1 and cols[len(cols) - 1 - n] in names:
            n += 1
        return cols[len(cols) - n :]

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
        C = len(list(panel.targets)) - len(self._exog(panel))
        targets, exog = list(panel.targets[:C]), list(panel.targets[C:])
        H = int(self.horizon)
        season = season_length(panel.freq)
        lengths = panel.lengths
        shortest = int(lengths.min())
        prep = resolve_prep(
            self, season, H, shortest, panel.values[:, :C], MAX_INPUT_LEN, panel.freq
        )
        L = prep["input_len"]
        W = L + H
        # left padding: windows may start up to P rows before a series (at least one observed input)
        P = L - 1 if self.pad is True or (self.pad == "auto" and shortest < W) else 0
        # padded models forecast every series but learn only from those with a full target window
        check_series_lengths(
            source,
            panel.ids,
            lengths,
            2 if P else W,
            f"model '{self.model}' with input_len {L} and horizon {H}",
        )
        if P and lengths.max() < W - P:
            raise DataError(
                f"{source}: the longest series has {int(lengths.max())} "
                f"observations; model '{self.model}' with horizon {H} needs at least {W - P} "
                "to learn from"
            )
        vs = float(self.val_size)
        val_len = (
            np.maximum(H, np.ceil(vs * lengths)).astype(np.int64)
            if vs < 1
            else np.full(len(lengths), int(vs))
        )
        val_len = np.where((vs > 0) & (lengths - val_len >= W - P), val_len, 0)
        train_end = lengths - val_len
        # the scaler sees only the training part of each series
        rel = np.arange(len(panel.values)) - np.repeat(panel.offsets[:-1], lengths)
        in_train = rel < np.repeat(train_end, lengths)
        values = forward_values(panel.values, C, prep["transform"])
        sc = SeriesScaler(self.scaler).fit(
            values[in_train], np.concatenate([[0], np.cumsum(train_end)])
        )
        sidx = panel.series_index()
        scaled = (values - sc.loc_[sidx]) / sc.scale_[sidx]
        kinds = self._kinds(panel.freq)
        inputs = step_inputs(scaled[:, :C], panel.ds, kinds, scaled[:, C:] if exog else None)
        offsets = panel.offsets
        if P:
            inputs, sidx, offsets = pad_panel(inputs, offsets, P, C, len(exog))
        train_starts = window_starts(offsets, W, last_end=train_end + P)
        # validation windows: targets entirely in the held-out tail (none where val_len == 0)
        val_starts = window_starts(offsets, W, first=np.maximum(train_end + P - L, 0))
        quantiles = [float(q) for q in self.quantiles] if self.quantiles else None
        n_out = len(quantiles) if quantiles else 1
        net_features = int(inputs.shape[1]) * prep["segment"]
        cfg = NetConfig(
            model=str(self.model).lower(),
            cell=self._cell(),
            horizon=H,
            input_len=L,
            hidden=prep["hidden"],
            layers=int(self.layers),
            bidirectional=bool(self.bidirectional),
            layer_norm=bool(self.layer_norm),
            dropout=float(self.dropout),
            attention=self.attention,
            n_outputs=n_out,
            quantiles=quantiles,
            embedding=int(self.embedding),
            n_series=panel.n_series,
            n_features=int(inputs.shape[1]),
            input_size=net_features + int(self.embedding),
            freq=panel.freq,
            season=season,
            n_targets=C,
            n_future=2 * len(kinds),
            pad=int(P),
            window_norm=prep["window_norm"],
            transform=prep["transform"],
            segment=prep["segment"],
            residual=prep["residual"],
            net_features=net_features,
            decoder=int(self.decoder),
        )
        features = {
            "targets": targets,
            "exog": exog,
            "calendar": kinds,
            "n_targets": C,
            "columns": [
                *targets,
                *[f"{k}_{t}" for k in kinds for t in ("sin", "cos")],
                *exog,
                *(["observed"] if P else []),
            ],
        }
        net, hist, conformal, device = fit_network(
            self, cfg, inputs, sidx, train_starts, val_starts, W
        )
        self.config_, self.features_, self.scaler_, self.series_ = (
            cfg,
            features,
            sc,
            list(panel.ids),
        )
        self.history_ = Histories.last(panel, L)
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
        levels = parse_levels(list(levels))
        cfg, feats = self.config_, self.features_
        L = cfg["input_len"]
        if panel is None:
            h, full_v, full_o, where = self.history_, None, None, None
        else:
            need = 1 if cfg.get("pad") else L
            check_series_lengths(
                source,
                panel.ids,
                panel.lengths,
                need,
                f"forecasting with this model (input_len {L})",
            )
            h = Histories.last(panel, L)
            full_v, full_o, where = panel.values, panel.offsets, source
        C, tr = feats["n_targets"], cfg.get("transform")
        h, full_v = model_space(h, full_v, full_o, C, tr, where)
        sid, loc, scale = series_stats(h, self.scaler_, self.series_, full_v, full_o)
        pad = bool(cfg.get("pad"))
        x = encoder_inputs(h, loc, scale, C, feats["calendar"], cfg["freq"], pad)
        ref = window_ref(x.astype(np.float64), C, cfg.get("window_norm"), pad, cfg.get("season", 1))
        if ref is not None:
            x[:, :, :C] -= ref[:, None, :].astype(np.float32)
        base = (
            seasonal_base(x[:, :, 0].astype(np.float64), cfg["residual"], cfg["horizon"])
            if cfg.get("residual")
            else None
        )
        future = (
            decoder_inputs(h, cfg["horizon"], feats["calendar"], cfg["freq"])
            if cfg["model"] == "seq2seq"
            else None
        )
        out = self._run(to_segments(x, int(cfg.get("segment", 1))), future, sid)  # (S, H, Q) scaled
        if base is not None:
            out = out + base[:, :, None]
        if ref is not None:
            out = out + ref[:, :1, None]
        out = out * scale[:, :1, None] + loc[:, :1, None]
        yhat = out[:, :, point_index(cfg["quantiles"])]
        intervals = {
            lv: tuple(inverse_values(b, tr) for b in self._interval(lv, out, yhat, scale[:, :1]))
            for lv in levels
        }
        return PanelForecast(
            list(h.ids),
            np.asarray(h.last_ds, dtype="datetime64[ns]"),
            inverse_values(yhat, tr),
            intervals,
        )

    def _interval(self, level: int, out: np.ndarray, yhat: np.ndarray, scale: np.ndarray):
        qs = self.config_["quantiles"] or []
        a = (1 - level / 100) / 2
        lo_i = [i for i, q in enumerate(qs) if abs(q - a) < 1e-9]
        hi_i = [i for i, q in enumerate(qs) if abs(q - (1 - a)) < 1e-9]
        if lo_i and hi_i:
            return np.minimum(out[:, :, lo_i[0]], yhat), np.maximum(out[:, :, hi_i[0]], yhat)
        if not self.conformal_:
            raise ConfigError(
                f"level {level} needs interval information this model lacks (no validation part); "
                f"train with val_size > 0 or quantiles containing {a:g} and {1 - a:g}"
            )
        half = np.asarray(self.conformal_[level - 1])[None, :] * scale
        return yhat - half, yhat + half

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
