"""Forecast: the one object that owns frames for any list of forecasters.

It turns the long frame into arrays, infers the frequency and season length, fits every local
(statistical) model once per series — fanned out over processes or a Dask cluster — and every
global (recurrent) model once on the whole panel, and assembles one forecast frame with a block of
rows per model (`model` column = the model's label). Cross-validation refits it at each cutoff
(tsrnn.crossval). The models themselves see arrays only (the contract in tsrnn/base.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsrnn.base import BaseEstimator
from tsrnn.crossval import BacktestResult, cross_validate
from tsrnn.data.freq import season_length as default_season_length
from tsrnn.data.panel import Panel
from tsrnn.errors import ConfigError
from tsrnn.frames import check_series_lengths, forecast_frame, parse_levels
from tsrnn.parallel import map_series


def _fit_local(job: tuple) -> object:
    """(unfitted local model, y (T,)) → the model fitted on y (module level: worker processes
    run it)."""
    model, y = job
    return model.fit(y)


def is_global(model) -> bool:
    """Whether `model` is fitted once on the whole panel (the recurrent Forecaster)."""
    return bool(getattr(model, "GLOBAL", False))


class Forecast(BaseEstimator):
    """Several forecasters over every series of a long frame (unique_id, ds, y [, covariates]).

    models: local models (tsrnn.Naive, tsrnn.AutoETS(season_length=None), ...) and global ones
    (tsrnn.Forecaster(model="lstm", ...)); their labels (alias, else own name) must differ.
    horizon: steps to forecast; None takes the global models' own horizon (local models then need
    one given here). freq: pandas frequency alias (default: the frame's, else inferred).
    season_length: the season of local models whose season_length is None (default: from the
    frequency: hourly 24, daily 7, weekly 52, monthly 12, quarterly 4, yearly 1).
    n_jobs: processes fitting the local models' series in parallel (-1: all cores); scheduler: a
    Dask scheduler address (or "local") to fan them out on instead.

    After fit: models_ (per model: the list of per-series fitted clones of a local model, or the
    fitted global model), ids_, last_ds_, freq_, season_length_, horizon_.
    """

    def __init__(
        self,
        models: Sequence,
        horizon: int | None = None,
        freq: str | None = None,
        season_length: int | None = None,
        n_jobs: int | None = 1,
        scheduler: str | None = None,
    ):
        self.models = models
        self.horizon = horizon
        self.freq = freq
        self.season_length = season_length
        self.n_jobs = n_jobs
        self.scheduler = scheduler

    # -- configuration --------------------------------------------------------------------------

    def _horizon(self) -> int:
        h = self.horizon
        if h is None:
            own = {m.horizon for m in self.models if is_global(m) and m.horizon is not None}
            if len(own) != 1 or any(not is_global(m) for m in self.models):
                raise ConfigError("give Forecast a horizon (the steps to forecast)")
            h = own.pop()
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
            raise ConfigError(f"horizon must be a positive whole number, got {h!r}")
        return int(h)

    def labels(self) -> list[str]:
        """The `model` column value of every model, in order."""
        return [m.label() for m in self.models]

    def check_params(self) -> None:
        """ConfigError for the first invalid setting of the core or of any model, before data."""
        if not isinstance(self.models, (list, tuple)) or not self.models:
            raise ConfigError("Forecast needs a non-empty list of models")
        for m in self.models:
            if not hasattr(m, "label") or not hasattr(m, "check_params"):
                raise ConfigError(f"{m!r} is not a tsrnn forecaster (see tsrnn.base)")
        H = self._horizon()
        for m in self.models:
            (m.clone().set_params(horizon=H) if is_global(m) else m).check_params()
        labels = self.labels()
        twice = sorted({lb for lb in labels if labels.count(lb) > 1})
        if twice:
            raise ConfigError(
                f"two models share the name {', '.join(twice)}; give them distinct aliases"
            )
        m = self.season_length
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1):
            raise ConfigError(f"season_length must be a positive whole number, got {m!r}")

    # -- fit / predict --------------------------------------------------------------------------

    def _panel(self, df: pd.DataFrame, columns: list[str] | None = None) -> Panel:
        panel = Panel.from_frame(df, targets=columns or ["y"])
        if self.freq is not None:
            panel.freq = self.freq
        return panel

    @staticmethod
    def _target(df: pd.DataFrame) -> list[str]:
        """The column local models forecast: the frame's first target."""
        return list(df.attrs.get("targets") or ["y"])[:1]

    @staticmethod
    def _columns(model, df: pd.DataFrame) -> list[str]:
        """The value columns global model `model` reads from `df`."""
        targets = list(df.attrs.get("targets") or ["y"])
        return model.input_columns(
            targets, [str(c) for c in df.columns], df.attrs.get("source", "data")
        )

    def _fit_local(self, panel: Panel, m: int, source: str) -> dict[int, list]:
        """Model number → its per-series fits, for every local model: all their (model, series)
        fits in one fan-out, every length checked before the first fit."""
        jobs, owner = [], []
        for i, model in enumerate(self.models):
            if is_global(model):
                continue
            check_series_lengths(source, panel.ids, panel.lengths, model.min_obs, model.label())
            base = model.clone()
            if "season_length" in base.get_params() and base.season_length is None:
                base.set_params(season_length=m)
            jobs += [(base.clone(), panel.series(s)[:, 0]) for s in range(panel.n_series)]
            owner += [i] * panel.n_series
        done = map_series(_fit_local, jobs, n_jobs=self.n_jobs, scheduler=self.scheduler)
        fits: dict[int, list] = {}
        for i, fitted in zip(owner, done):
            fits.setdefault(i, []).append(fitted)
        return fits

    def _global_frame(self, model, p) -> pd.DataFrame:
        return forecast_frame(p.ids, p.last_ds, self.freq_, model.label(), p.mean, p.intervals)

    def fit(self, df: pd.DataFrame) -> Forecast:
        """Fit every model on the long frame `df` (see tsrnn.read_series)."""
        self.check_params()
        H = self._horizon()
        source = df.attrs.get("source", "data")
        y_panel = self._panel(df, self._target(df))
        m = self.season_length or default_season_length(y_panel.freq)
        local = self._fit_local(y_panel, m, source)
        fitted: list = [local.get(i) for i in range(len(self.models))]
        for i, model in enumerate(self.models):
            if is_global(model):
                est = model.clone().set_params(horizon=H)
                fitted[i] = est.fit_panel(self._panel(df, self._columns(model, df)), source)
        self.models_, self.horizon_, self.season_length_ = fitted, H, m
        self.ids_, self.last_ds_, self.freq_ = y_panel.ids, y_panel.last_ds(), y_panel.freq
        self.fitted_ = True
        return self

    def predict(
        self, level: Sequence[int] | str | None = None, df: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The forecast frame (unique_id, ds, model, yhat [, yhat_lo_L, yhat_hi_L]) of the next
        `horizon` steps of every series, the models' blocks in order. level: interval levels in
        percent. df: new history to forecast from without a refit of the global models (local
        models are refitted on it: that is how they see new data)."""
        self._check_fitted()
        levels = parse_levels(level)
        if df is not None:
            return self._predict_new(df, levels)
        frames = []
        for model, fit in zip(self.models, self.models_):
            if is_global(model):
                frames.append(self._global_frame(model, fit.predict_panel(None, levels=levels)))
            else:
                frames.append(
                    self._local_frame(model.label(), fit, self.ids_, self.last_ds_, levels)
                )
        return pd.concat(frames, ignore_index=True)

    def _local_frame(self, label: str, fits: list, ids, last_ds, levels: list[int]) -> pd.DataFrame:
        preds = [f.predict(self.horizon_, levels) for f in fits]
        mean = np.vstack([p.mean for p in preds])
        ints = {
            lv: (
                np.vstack([p.intervals[lv][0] for p in preds]),
                np.vstack([p.intervals[lv][1] for p in preds]),
            )
            for lv in levels
        }
        return forecast_frame(ids, last_ds, self.freq_, label, mean, ints)

    def _predict_new(self, df: pd.DataFrame, levels: list[int]) -> pd.DataFrame:
        source = df.attrs.get("source", "data")
        y_panel = self._panel(df, self._target(df))
        refits = self._fit_local(y_panel, self.season_length_, source)
        frames = []
        for i, (model, fit) in enumerate(zip(self.models, self.models_)):
            if is_global(model):
                panel = self._panel(df, self._columns(fit, df))
                frames.append(
                    self._global_frame(model, fit.predict_panel(panel, source, levels=levels))
                )
            else:
                frames.append(
                    self._local_frame(
                        model.label(), refits[i], y_panel.ids, y_panel.last_ds(), levels
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def forecast(self, df: pd.DataFrame, level: Sequence[int] | str | None = None) -> pd.DataFrame:
        """fit(df).predict(level): the forecast frame of every model."""
        return self.fit(df).predict(level=level)

    def cross_validation(
        self,
        df: pd.DataFrame,
        windows: int = 3,
        step: int | None = None,
        refit: bool | int = True,
        level: Sequence[int] | str | None = None,
        cutoffs: Sequence | None = None,
    ) -> BacktestResult:
        """Rolling-origin evaluation of every model (tsrnn.crossval): the models
        are fitted at each cutoff on the history before it and scored on the next `horizon`
        steps. Returns a BacktestResult (metrics, forecasts); see tsrnn.backtest."""
        return cross_validate(
            self, df, windows=windows, step=step, refit=refit, level=level, cutoffs=cutoffs
        )

    def specs(self) -> dict[str, dict[str, str]]:
        """The model form chosen for each series of each local model (ETS/ARIMA/MSTL), e.g.
        {'ETS': {'a': 'ETS(A,Ad,N)'}}."""
        self._check_fitted()
        return {
            model.label(): {
                uid: getattr(f, "spec_", model.label()) for uid, f in zip(self.ids_, fit)
            }
            for model, fit in zip(self.models, self.models_)
            if not is_global(model)
        }
