"""`tsrnn.backtest`: rolling-origin backtest of models given as objects or names (a tsrnn.Forecast
cross-validation; the splits and metrics are described in tsrnn/crossval.py). The module is
named backtesting so that importing it never shadows the function `tsrnn.backtest`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tsrnn.core import Forecast
from tsrnn.crossval import BacktestResult
from tsrnn.registry import make_model


def backtest(
    df: pd.DataFrame,
    models: Sequence,
    horizon: int,
    windows: int = 3,
    step: int | None = None,
    refit: bool | int = True,
    level: Sequence[int] | str | None = None,
    season_length: int | None = None,
    cutoffs: Sequence | None = None,
    n_jobs: int | None = 1,
) -> BacktestResult:
    """Rolling-origin backtest.

    models: forecasters (tsrnn.AutoETS(), tsrnn.Forecaster(...); their horizon is set to
    `horizon`) or model names ("ets", "lstm"; see tsrnn.registry). step: distance between origins
    (default: horizon). refit: True = fit at every origin; False = fit at the first origin only
    and forecast later origins from their true history (local models are refitted on it, global
    ones forecast from it); an int n = refit every n windows. level: interval levels to score.
    season_length: the season of local models without one and of MASE's scale (default: from the
    frequency). cutoffs: explicit origin timestamps instead of counting back from the end (then
    `windows`/`step` are ignored). n_jobs: with refit=True every (window, model) fit is
    independent, and they are spread over this many processes (-1: all cores); each fit then runs
    in one process (one torch thread). The results equal the serial run's, `seconds` aside. With
    refit False or n the windows depend on each other and run in order, and n_jobs spreads the
    series of each local fit.
    """
    objs = [make_model(x) if isinstance(x, str) else x for x in models]
    core = Forecast(objs, horizon=horizon, season_length=season_length, n_jobs=n_jobs)
    return core.cross_validation(
        df, windows=windows, step=step, refit=refit, level=level, cutoffs=cutoffs
    )
