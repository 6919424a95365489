"""Accuracy of the recurrent forecasters against statistical baselines (issue 4's protocol).

NYC taxi (NAB realKnownCause/nyc_taxi.csv, 30-minute steps): fit every model on the data before
2014-12-01; then 14 daily origins 2014-12-01 … 2014-12-14, horizon 48, each forecast from the true
history up to its origin. Neural models are NOT refitted (predict(history)); statistical models
refit on each history by design. MASE uses the daily season (48) on the history before the origin.

M1 yearly (Monash .tsf): one holdout of the last 6 years per series; neural models fitted on the
training parts of all series, baselines per series; mean MASE (season 1) and sMAPE.

    python benchmarks/accuracy.py [--only nyc|m1] [--models lstm,gru,seq2seq] [--epochs 40] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SHARED = ROOT.parent / "shared" / "data"
NYC = SHARED / "anomaly" / "nab" / "data" / "realKnownCause" / "nyc_taxi.csv"
M1 = SHARED / "series" / "m1_yearly" / "m1_yearly_dataset.tsf"

NEURAL_DEFAULTS = {
    # hidden/layers/input_len chosen once, before looking at the December test period
    "lstm": dict(model="lstm"),
    "gru": dict(model="gru"),
    "seq2seq": dict(model="seq2seq", attention="bahdanau"),
}


def neural(name: str, horizon: int, epochs: int, seed: int, **extra):
    from tsrnn.forecaster import Forecaster

    return Forecaster(horizon=horizon, epochs=epochs, seed=seed, quiet=True, **{**NEURAL_DEFAULTS[name], **extra})


def baselines(horizon: int, season: int) -> dict:
    from tsrnn.baselines.core import StatsForecaster

    return {
        "SeasonalNaive(daily)": StatsForecaster(model="snaive", horizon=horizon, season_length=season),
        "SeasonalNaive(weekly)": StatsForecaster(model="snaive", horizon=horizon, season_length=7 * season),
        "ETS": StatsForecaster(model="ets", horizon=horizon, season_length=season),
        "ARIMA": StatsForecaster(model="arima", horizon=horizon, season_length=season),
        "Theta": StatsForecaster(model="theta", horizon=horizon, season_length=season),
    }


def nyc(models: list[str], epochs: int, seed: int, stats: bool) -> tuple[list[dict], str]:
    from tsrnn.data.io import read_series
    from tsrnn.metrics import mase, smape

    df = read_series(NYC)
    H, m = 48, 48
    cutoff = pd.Timestamp("2014-12-01")
    origins = pd.date_range(cutoff, periods=14, freq="D")
    train = df[df.ds < cutoff].copy()
    train.attrs.update(df.attrs)
    hist = [(o, df[df.ds < o].copy()) for o in origins]
    for _, h in hist:
        h.attrs.update(df.attrs)
    truth = [df[(df.ds >= o) & (df.ds < o + pd.Timedelta(minutes=30 * H))]["y"].to_numpy() for o in origins]

    rows = []

    def score(name, preds, fit_s, pred_s):
        ma = [mase(t, p, h["y"].to_numpy(), m) for t, p, (_, h) in zip(truth, preds, hist, strict=True)]
        sm = [smape(t, p) for t, p in zip(truth, preds, strict=True)]
        rows.append({"model": name, "mean MASE": float(np.mean(ma)), "sMAPE %": float(np.mean(sm)),
                     "fit s": fit_s, "predict s (14 origins)": pred_s})
        print(f"  {name:24s} MASE {np.mean(ma):.3f}  sMAPE {np.mean(sm):.2f}  fit {fit_s:.1f}s", flush=True)

    for name in models:
        est = neural(name, H, epochs, seed)
        t0 = time.perf_counter()
        est.fit(train)
        t1 = time.perf_counter()
        preds = [est.predict(h)["yhat"].to_numpy() for _, h in hist]
        score(f"{est.alias} (no refit)", preds, t1 - t0, time.perf_counter() - t1)
        hs = est.train_history_
        print(f"    epochs {len(hs.train_loss)} best {hs.best_epoch + 1} input_len {est.config_['input_len']}", flush=True)
    if stats:
        for name, est in baselines(H, m).items():
            t0 = time.perf_counter()
            preds = [est.clone().fit(h).predict()["yhat"].to_numpy() for _, h in hist]
            score(name, preds, 0.0, time.perf_counter() - t0)
    note = (f"NYC taxi: fit on {len(train)} half-hours before {cutoff.date()}, 14 daily origins "
            f"{origins[0].date()}…{origins[-1].date()}, horizon {H}; neural models predict from the true "
            f"history without refitting, statistical ones refit per origin (their 'fit s' is 0 and the refits "
            f"are in the predict time). MASE scale: seasonal (48) naive MAE of each origin's history.")
    return rows, note


def m1(models: list[str], epochs: int, seed: int, stats: bool) -> tuple[list[dict], str]:
    from tsrnn.data.io import read_series
    from tsrnn.metrics import mase, smape

    df = read_series(M1)
    H = 6
    n = df.groupby("unique_id", sort=False).size()
    keep = n[n >= H + 3].index
    df = df[df.unique_id.isin(keep)].copy()
    df.attrs.update(read_series(M1).attrs)
    pos = df.groupby("unique_id", sort=False).cumcount()
    size = df.groupby("unique_id", sort=False)["y"].transform("size")
    train = df[pos < size - H].copy()
    train.attrs.update(df.attrs)
    test = df[pos >= size - H]
    truth = {u: g["y"].to_numpy() for u, g in test.groupby("unique_id", sort=False)}
    ytr = {u: g["y"].to_numpy() for u, g in train.groupby("unique_id", sort=False)}
    rows = []

    def score(name, fc, fit_s):
        ma, sm = [], []
        for u, g in fc.groupby("unique_id", sort=False):
            ma.append(mase(truth[u], g["yhat"].to_numpy(), ytr[u], 1))
            sm.append(smape(truth[u], g["yhat"].to_numpy()))
        rows.append({"model": name, "mean MASE": float(np.nanmean(ma)), "sMAPE %": float(np.mean(sm)), "fit s": fit_s})
        print(f"  {name:24s} MASE {np.nanmean(ma):.3f}  sMAPE {np.mean(sm):.2f}  fit {fit_s:.1f}s", flush=True)

    for name in models:
        est = neural(name, H, epochs, seed, hidden=32, val_size=0)
        t0 = time.perf_counter()
        fc = est.fit(train).predict()
        score(est.alias, fc, time.perf_counter() - t0)
    if stats:
        from tsrnn.baselines.core import StatsForecaster

        for key, alias in [("naive", "Naive"), ("ets", "ETS"), ("arima", "ARIMA"), ("theta", "Theta")]:
            t0 = time.perf_counter()
            fc = StatsForecaster(model=key, horizon=H, season_length=1).fit(train).predict()
            score(alias, fc, time.perf_counter() - t0)
    note = (f"M1 yearly: {train.unique_id.nunique()} series with ≥ {H + 3} observations, last {H} years held "
            f"out, one origin; neural input_len = min(12, shortest training series − {H}); MASE season 1.")
    return rows, note


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["nyc", "m1"], default=None)
    ap.add_argument("--models", default="lstm,gru,seq2seq")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-stats", action="store_true", help="skip the statistical baselines")
    ap.add_argument("--no-record", action="store_true", help="do not write benchmarks/RESULTS.md")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from _results import markdown_table, update_section

    models = [m for m in args.models.split(",") if m]
    parts = []
    for key, fn in (("nyc", nyc), ("m1", m1)):
        if args.only not in (None, key):
            continue
        print(f"== {key}", flush=True)
        rows, note = fn(models, args.epochs, args.seed, not args.no_stats)
        parts.append(f"{note}\n\n" + markdown_table(rows))
    if not args.no_record:
        update_section("Neural accuracy", "\n".join(parts))


if __name__ == "__main__":
    main()
