"""StatsForecaster: the one object that runs statistical models over a panel frame.

Models (simple.py, stats.py) see 1-D arrays only; this class owns grouping, season lengths,
fan-out and assembling the forecast frame (the statsforecast split of work).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsrnn.base import BaseEstimator
from tsrnn.baselines.mstl import MSTL
from tsrnn.baselines.seasonal import Naive2
from tsrnn.baselines.simple import Drift, HistoricMean, Naive, SeasonalNaive
from tsrnn.baselines.stats import AutoARIMA, AutoETS, Theta
from tsrnn.data.freq import season_length as default_season_length
from tsrnn.data.panel import Panel
from tsrnn.errors import ConfigError, DataError
from tsrnn.frames import forecast_frame, parse_levels
from tsrnn.parallel import map_series

# name → (factory(season_length), minimum observations)
MODELS = {
    "naive": (lambda m: Naive(), 2),
    "naive2": (lambda m: Naive2(m), 2),
    "snaive": (lambda m: SeasonalNaive(m), 2),
    "drift": (lambda m: Drift(), 2),
    "mean": (lambda m: HistoricMean(), 2),
    "ets": (lambda m: AutoETS(m), 4),
    "arima": (lambda m: AutoARIMA(m), 6),
    "theta": (lambda m: Theta(m), 4),
    "mstl": (lambda m: MSTL(m), 4),
}
ALIASES = {"seasonal_naive": "snaive", "seasonalnaive": "snaive", "autoets": "ets", "autoarima": "arima"}


def _fit_one(job: tuple[str, int, np.ndarray]):
    """Fit one series (module level so that worker processes can run it)."""
    key, m, y = job
    return MODELS[key][0](m).fit(y)


def model_key(name: str) -> str:
    """Canonical key of a statistical model name ('SeasonalNaive' → 'snaive'); ConfigError if unknown."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in MODELS:
        raise ConfigError(f"unknown statistical model '{name}'; choose from {', '.join(MODELS)}")
    return key


class StatsForecaster(BaseEstimator):
    """A statistical model fitted per series of a panel.

    model: one of naive, naive2 (M4's benchmark), snaive, drift, mean, ets, arima, theta, mstl
    (several seasons, e.g. 24 and 168 for hourly data, removed by MSTL; ETS on the rest).
    horizon: steps to forecast. season_length: overrides the one inferred from the frequency
    (hourly 24, daily 7, weekly 52, monthly 12, quarterly 4, yearly 1).
    alias: the `model` column value (default: the model's own name, e.g. 'ETS').
    n_jobs: processes fitting series in parallel (-1: all cores); scheduler: a Dask scheduler
    address (or "local") to fan the series out on instead.
    """

    def __init__(self, model: str = "ets", horizon: int = 1, season_length: int | None = None,
                 alias: str | None = None, n_jobs: int | None = 1, scheduler: str | None = None):
        self.model = model
        self.horizon = horizon
        self.season_length = season_length
        self.alias = alias
        self.n_jobs = n_jobs
        self.scheduler = scheduler

    @property
    def alias(self) -> str:
        """The `model` column value: the alias given, else the model's own name (e.g. 'ETS')."""
        if self._alias:
            return self._alias
        return type(MODELS[model_key(self.model)][0](1)).alias

    @alias.setter
    def alias(self, value: str | None) -> None:
        self._alias = value

    def fit(self, df: pd.DataFrame) -> StatsForecaster:
        """Fit one model per series of the long frame `df` (unique_id, ds, y)."""
        key = model_key(self.model)
        if not isinstance(self.horizon, (int, np.integer)) or self.horizon < 1:
            raise ConfigError(f"horizon must be a positive whole number, got {self.horizon!r}")
        panel = Panel.from_frame(df, targets=["y"])
        m = self.season_length or default_season_length(panel.freq)
        min_obs = MODELS[key][1]
        jobs = []
        for s in range(panel.n_series):
            y = panel.series(s)[:, 0]
            if len(y) < min_obs:
                raise DataError(
                    f"{df.attrs.get('source', 'data')}: series '{panel.ids[s]}' has {len(y)} observations; "
                    f"{self.alias} needs at least {min_obs}"
                )
            jobs.append((key, m, y))
        models = map_series(_fit_one, jobs, n_jobs=self.n_jobs, scheduler=self.scheduler)
        self.models_, self.ids_, self.last_ds_, self.freq_ = models, panel.ids, panel.last_ds(), panel.freq
        self.season_length_ = m
        self.fitted_ = True
        return self

    def predict(self, df: pd.DataFrame | None = None, level=None) -> pd.DataFrame:
        """Forecast frame for the next `horizon` steps. With `df`, the models are refitted on that
        history first (statistical models are cheap to refit; this is how they see new data)."""
        self._check_fitted()
        if df is not None:
            return self.clone().set_params(season_length=self.season_length_).fit(df).predict(level=level)
        levels = parse_levels(level)
        means, intervals = [], {lv: ([], []) for lv in levels}
        for mod in self.models_:
            pred = mod.predict(self.horizon, levels)
            means.append(pred.mean)
            for lv in levels:
                intervals[lv][0].append(pred.intervals[lv][0])
                intervals[lv][1].append(pred.intervals[lv][1])
        ints = {lv: (np.vstack(lo), np.vstack(hi)) for lv, (lo, hi) in intervals.items()}
        return forecast_frame(self.ids_, self.last_ds_, self.freq_, self.alias, np.vstack(means), ints)

    def specs(self) -> dict[str, str]:
        """The model form chosen for each series (for ETS/ARIMA), e.g. {'a': 'ETS(A,Ad,N)'}."""
        self._check_fitted()
        return {uid: getattr(m, "spec_", self.alias) for uid, m in zip(self.ids_, self.models_)}
