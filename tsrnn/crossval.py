"""Cross-validation of a tsrnn.Forecast: rolling-origin splits, refits and per-window metrics.

Window k (0 … windows−1) of a series of length T has its origin (cutoff) at position
T − horizon − (windows − 1 − k)·step: the model sees positions < cutoff and is scored on the next
`horizon` steps. With explicit `cutoffs` (timestamps), the origin of a series is its first
observation at or after the cutoff. No observation at or after an origin is ever shown to the
model for that window.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsrnn import metrics as M
from tsrnn.data.freq import season_length as default_season_length
from tsrnn.data.panel import Panel
from tsrnn.errors import ConfigError, DataError
from tsrnn.frames import parse_levels
from tsrnn.parallel import map_series, n_workers

METRIC_COLUMNS = ("mae", "rmse", "smape", "mase")


@dataclass
class BacktestResult:
    """metrics: one row per series × window × model (unique_id, window, cutoff, model, mae, rmse,
    smape, mase, coverage_L, pinball_L, seconds). forecasts: the forecast frames of every window
    with the true `y`, `window` and `cutoff` added. models: label → the model of the last fit
    run in this process (a global model, or the list of per-series fits of a local one; empty
    when the fits ran in worker processes)."""

    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    models: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Mean of each metric per model (sorted by MASE) and seconds per series."""
        cols = [
            c
            for c in self.metrics.columns
            if c in METRIC_COLUMNS or c.startswith(("coverage_", "pinball_"))
        ]
        g = self.metrics.groupby("model", sort=False)
        out = g[cols].mean()
        n_series = self.metrics["unique_id"].nunique()
        out["seconds_per_series"] = g["seconds"].sum() / n_series
        return out.sort_values("mase", na_position="last").reset_index()


def _fit_predict(job) -> tuple[pd.DataFrame, float]:
    """(one-model Forecast, training frame, levels) → (its forecast frame, seconds): one backtest
    fit, run in a worker process (one torch thread for a global model, so that parallel fits do
    not oversubscribe)."""
    core, train, levels = job
    if any(getattr(m, "GLOBAL", False) for m in core.models):
        import torch

        torch.set_num_threads(1)
    t0 = time.perf_counter()
    pred = core.fit(train).predict(level=levels or None)
    return pred, time.perf_counter() - t0


def _positions(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = df.groupby("unique_id", sort=False)
    return g.cumcount().to_numpy(), g["ds"].transform("size").to_numpy()


def cross_validate(
    core,
    df: pd.DataFrame,
    windows: int = 3,
    step: int | None = None,
    refit: bool | int = True,
    level: Sequence[int] | str | None = None,
    cutoffs: Sequence | None = None,
) -> BacktestResult:
    """Rolling-origin evaluation of every model of `core` (a tsrnn.Forecast; see its
    cross_validation and tsrnn.backtest for the options). Each model is fitted by a one-model
    copy of the core, so that its seconds are its own."""
    core.check_params()
    levels = parse_levels(level)
    horizon = core._horizon()
    step = step or horizon
    if step < 1:
        raise ConfigError("horizon and step must be positive")
    panel_freq = core.freq or df.attrs.get("freq") or Panel.from_frame(df).freq
    m = core.season_length or default_season_length(panel_freq)
    ests = [core.clone().set_params(models=[model], horizon=horizon) for model in core.models]
    labels = core.labels()

    pos, length = _positions(df)
    if cutoffs is not None:
        cut_ts = [pd.Timestamp(c) for c in cutoffs]
        origin_rows = []
        for c in cut_ts:
            first_after = (df["ds"] >= c).to_numpy()
            rel = (
                pd.Series(np.where(first_after, pos, np.iinfo(np.int64).max))
                .groupby(df["unique_id"].to_numpy(), sort=False)
                .transform("min")
                .to_numpy()
            )
            origin_rows.append(rel)
        n_windows = len(cut_ts)
    else:
        n_windows = windows
        origin_rows = [length - horizon - (windows - 1 - k) * step for k in range(windows)]
        shortest = int(length.min())
        need = horizon + (windows - 1) * step + 2
        if shortest < need:
            uid = df["unique_id"].iat[int(np.argmin(length))]
            raise DataError(
                f"{df.attrs.get('source', 'data')}: series '{uid}' has {shortest} observations; "
                f"a backtest with "
                f"horizon {horizon}, {windows} window(s) and step {step} needs at least {need}"
            )

    metric_rows, frames = [], []
    base = df.attrs.copy()
    splits = []
    for k in range(n_windows):
        origin = origin_rows[k]
        train = df[pos < origin]
        test = df[(pos >= origin) & (pos < origin + horizon)]
        train.attrs.update(base)
        if train.empty or test.empty:
            raise DataError(f"backtest window {k}: no training or test data at this origin")
        splits.append((train, test))
    fanned = None
    n_jobs = core.n_jobs
    if refit is True and n_workers(n_jobs) > 1 and n_windows * len(ests) > 1:
        # independent fits: (window, model) jobs over processes, each fit on one core
        jobs = [
            (est.clone().set_params(n_jobs=1), train, levels) for train, _ in splits for est in ests
        ]
        fanned = iter(map_series(_fit_predict, jobs, n_jobs=n_jobs))
    fitted: dict[int, object] = {}
    for k, (train, test) in enumerate(splits):
        truth = {uid: g["y"].to_numpy() for uid, g in test.groupby("unique_id", sort=False)}
        hist = {uid: g["y"].to_numpy() for uid, g in train.groupby("unique_id", sort=False)}
        cutoff_ds = train.groupby("unique_id", sort=False)["ds"].last()
        for i, est in enumerate(ests):
            if fanned is not None:
                pred, seconds = next(fanned)
            else:
                t0 = time.perf_counter()
                do_fit = (
                    refit is True
                    or i not in fitted
                    or (not isinstance(refit, bool) and k % int(refit) == 0)
                )
                if do_fit:
                    fitted[i] = est.clone().fit(train)
                    pred = fitted[i].predict(level=levels or None)
                else:
                    pred = fitted[i].predict(df=train, level=levels or None)
                seconds = time.perf_counter() - t0
            pred = pred[pred["unique_id"].isin(truth)]
            n_here = pred["unique_id"].nunique()
            for uid, g in pred.groupby("unique_id", sort=False):
                y = truth[uid]
                yhat = g["yhat"].to_numpy()[: len(y)]
                row = {
                    "unique_id": uid,
                    "window": k,
                    "cutoff": cutoff_ds[uid],
                    "model": labels[i],
                    "mae": M.mae(y, yhat),
                    "rmse": M.rmse(y, yhat),
                    "smape": M.smape(y, yhat),
                    "mase": M.mase(y, yhat, hist[uid], m),
                    "seconds": seconds / max(n_here, 1),
                }
                for lv in levels:
                    if f"yhat_lo_{lv}" not in g:  # a model without intervals
                        row[f"coverage_{lv}"] = row[f"pinball_{lv}"] = float("nan")
                        continue
                    lo, hi = (
                        g[f"yhat_lo_{lv}"].to_numpy()[: len(y)],
                        g[f"yhat_hi_{lv}"].to_numpy()[: len(y)],
                    )
                    row[f"coverage_{lv}"] = M.coverage(y, lo, hi)
                    row[f"pinball_{lv}"] = M.interval_pinball(y, lo, hi, lv)
                metric_rows.append(row)
            pred = pred.merge(test[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left")
            pred["window"] = k
            pred["cutoff"] = pred["unique_id"].map(cutoff_ds)
            frames.append(pred)
    fits = {labels[i]: core.models_[0] for i, core in fitted.items()}
    return BacktestResult(pd.DataFrame(metric_rows), pd.concat(frames, ignore_index=True), fits)
