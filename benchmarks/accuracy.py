"""Accuracy of the recurrent forecasters against statistical baselines (issue 4's protocol).

NYC taxi (NAB realKnownCause/nyc_taxi.csv, 30-minute steps): fit every model on the data before
2014-12-01; then 14 daily origins 2014-12-01 … 2014-12-14, horizon 48, each forecast from the true
history up to its origin. Neural models are NOT refitted (predict(history)); statistical models
refit on each history by design. MASE uses the daily season (48) on the history before the origin.

M1 yearly (Monash .tsf): one holdout of the last 6 years per series; neural models fitted on the
training parts of all series, baselines per series; mean MASE (season 1) and sMAPE.

Rows are cached in benchmarks/accuracy_rows.json as they finish (so the neural and statistical
halves can run as two processes, and an interrupted run keeps what it measured); every finished
row re-renders the "Neural accuracy" section of RESULTS.md from the cache.

    python benchmarks/accuracy.py [--part neural|stats|all] [--only nyc|m1] [--epochs 30] [--fresh]
"""

from __future__ import annotations

import argparse
import json
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
CACHE = ROOT / "benchmarks" / "accuracy_rows.json"

NEURAL = {  # settings fixed before looking at the December test period: the Forecaster defaults
    "lstm": dict(model="lstm"),
    "gru": dict(model="gru"),
    "seq2seq": dict(model="seq2seq", attention="bahdanau"),
}
NYC_STATS = [("SeasonalNaive(daily)", "snaive", 48), ("SeasonalNaive(weekly)", "snaive", 336),
             ("Theta", "theta", 48), ("ARIMA", "arima", 48), ("ETS", "ets", 48)]
M1_STATS = [("Naive", "naive"), ("Theta", "theta"), ("ETS", "ets"), ("ARIMA", "arima")]
NOTES = {
    "nyc": ("NYC taxi: fit on the half-hours before 2014-12-01 (7344 rows), 14 daily origins 2014-12-01…"
            "2014-12-14, horizon 48; neural models predict from the true history without refitting, "
            "statistical ones refit per origin (their refits are in 'predict s'). MASE scale: seasonal (48) "
            "naive MAE of each origin's history."),
    "m1": ("M1 yearly: all 181 series, last 6 years held out, one origin; neural models use the default "
           "input_len = min(12, shortest training series − 6) = 3 and val_size 0; MASE season 1."),
}


def load_cache() -> dict:
    return json.loads(CACHE.read_text()) if CACHE.exists() else {}


def save_row(key: str, row: dict) -> None:
    cache = load_cache()  # re-read: another process may have added rows
    cache[key] = row
    CACHE.write_text(json.dumps(cache, indent=1))


def render(record: bool) -> None:
    from _results import markdown_table, update_section

    cache = load_cache()
    parts = []
    for ds in ("nyc", "m1"):
        rows = [r for k, r in cache.items() if k.startswith(ds + "/")]
        if rows:
            rows.sort(key=lambda r: r["mean MASE"])
            parts.append(NOTES[ds] + "\n\n" + markdown_table(rows))
    if record and parts:
        import os

        load = (f"Load average when rendered: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (fit times are wall clock on a shared machine).\n\n"
                "Rows are cached in benchmarks/accuracy_rows.json as each finishes; the command above is the last run that "
                "rendered this section, and rows it did not compute come from earlier `python benchmarks/accuracy.py "
                "--part neural|stats [--only nyc|m1]` runs (use `--fresh` to recompute).\n\n")
        update_section("Neural accuracy", load + "\n".join(parts))


def nyc_data():
    from tsrnn.data.io import read_series

    df = read_series(NYC)
    cutoff = pd.Timestamp("2014-12-01")
    origins = pd.date_range(cutoff, periods=14, freq="D")
    train = df[df.ds < cutoff].copy()
    train.attrs.update(df.attrs)
    hist = []
    for o in origins:
        h = df[df.ds < o].copy()
        h.attrs.update(df.attrs)
        hist.append(h)
    truth = [df[(df.ds >= o) & (df.ds < o + pd.Timedelta(minutes=30 * 48))]["y"].to_numpy() for o in origins]
    return train, hist, truth


def nyc_row(name, preds, hist, truth, fit_s, pred_s, extra=""):
    from tsrnn.metrics import mase, smape

    ma = [mase(t, p, h["y"].to_numpy(), 48) for t, p, h in zip(truth, preds, hist, strict=True)]
    sm = [smape(t, p) for t, p in zip(truth, preds, strict=True)]
    row = {"model": name, "mean MASE": float(np.mean(ma)), "sMAPE %": float(np.mean(sm)),
           "fit s": round(fit_s, 1), "predict s": round(pred_s, 1), "notes": extra}
    print(f"  nyc {name:24s} MASE {row['mean MASE']:.3f}  sMAPE {row['sMAPE %']:.2f}  fit {fit_s:.0f}s", flush=True)
    return row


def m1_data():
    from tsrnn.data.io import read_series

    df = read_series(M1)
    pos = df.groupby("unique_id", sort=False).cumcount()
    size = df.groupby("unique_id", sort=False)["y"].transform("size")
    train = df[pos < size - 6].copy()
    train.attrs.update(df.attrs)
    test = df[pos >= size - 6]
    truth = {u: g["y"].to_numpy() for u, g in test.groupby("unique_id", sort=False)}
    ytr = {u: g["y"].to_numpy() for u, g in train.groupby("unique_id", sort=False)}
    return train, truth, ytr


def m1_row(name, fc, truth, ytr, fit_s, extra=""):
    from tsrnn.metrics import mase, smape

    ma, sm = [], []
    for u, g in fc.groupby("unique_id", sort=False):
        ma.append(mase(truth[u], g["yhat"].to_numpy(), ytr[u], 1))
        sm.append(smape(truth[u], g["yhat"].to_numpy()))
    row = {"model": name, "mean MASE": float(np.nanmean(ma)), "sMAPE %": float(np.mean(sm)),
           "fit s": round(fit_s, 1), "notes": extra}
    print(f"  m1  {name:24s} MASE {row['mean MASE']:.3f}  sMAPE {row['sMAPE %']:.2f}  fit {fit_s:.0f}s", flush=True)
    return row


def run_neural(ds: str, name: str, epochs: int, seed: int) -> dict:
    from tsrnn.forecaster import Forecaster

    if ds == "nyc":
        train, hist, truth = nyc_data()
        est = Forecaster(horizon=48, epochs=epochs, seed=seed, quiet=True, **NEURAL[name])
        t0 = time.perf_counter()
        est.fit(train)
        t1 = time.perf_counter()
        preds = [est.predict(h)["yhat"].to_numpy() for h in hist]
        h = est.train_history_
        extra = (f"input_len {est.config_['input_len']}, {len(h.train_loss)} epochs (best {h.best_epoch + 1}), "
                 f"seed {seed}")
        return nyc_row(f"{est.alias} (no refit)", preds, hist, truth, t1 - t0, time.perf_counter() - t1, extra)
    train, truth, ytr = m1_data()
    est = Forecaster(horizon=6, epochs=epochs, seed=seed, quiet=True, hidden=32, val_size=0, **NEURAL[name])
    t0 = time.perf_counter()
    fc = est.fit(train).predict()
    return m1_row(est.alias, fc, truth, ytr, time.perf_counter() - t0,
                  f"input_len {est.config_['input_len']}, hidden 32, {epochs} epochs")


def run_stats(ds: str, alias: str) -> dict:
    from tsrnn.baselines.core import StatsForecaster

    if ds == "nyc":
        key, m = {a: (k, m) for a, k, m in NYC_STATS}[alias]
        train, hist, truth = nyc_data()
        est = StatsForecaster(model=key, horizon=48, season_length=m)
        t0 = time.perf_counter()
        preds = [est.clone().fit(h).predict()["yhat"].to_numpy() for h in hist]
        return nyc_row(alias, preds, hist, truth, 0.0, time.perf_counter() - t0, f"season {m}, refit per origin")
    key = {a: k for a, k in M1_STATS}[alias]
    train, truth, ytr = m1_data()
    t0 = time.perf_counter()
    fc = StatsForecaster(model=key, horizon=6, season_length=1).fit(train).predict()
    return m1_row(alias, fc, truth, ytr, time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["neural", "stats", "all"], default="all")
    ap.add_argument("--only", choices=["nyc", "m1"], default=None)
    ap.add_argument("--models", default="lstm,gru,seq2seq", help="neural models")
    ap.add_argument("--baselines", default=None, help="only these statistical rows, e.g. ETS,ARIMA")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fresh", action="store_true", help="recompute rows already in the cache")
    ap.add_argument("--no-record", action="store_true", help="do not write benchmarks/RESULTS.md")
    ap.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md from the cached rows only")
    args = ap.parse_args()
    if args.render_only:
        render(True)
        return
    import torch

    torch.set_num_threads(args.threads)
    datasets = [d for d in ("nyc", "m1") if args.only in (None, d)]
    tasks = []
    if args.part in ("neural", "all"):
        tasks += [(d, "neural", m) for d in datasets for m in args.models.split(",") if m]
    if args.part in ("stats", "all"):
        for d in datasets:
            keep = args.baselines.split(",") if args.baselines else None
            tasks += [(d, "stats", a) for a, *_ in (NYC_STATS if d == "nyc" else M1_STATS) if keep is None or a in keep]
    for ds, kind, name in tasks:
        key = f"{ds}/{kind}/{name}" + (f"/e{args.epochs}/s{args.seed}" if kind == "neural" else "")
        if key in load_cache() and not args.fresh:
            print(f"  {key}: cached", flush=True)
            continue
        row = run_neural(ds, name, args.epochs, args.seed) if kind == "neural" else run_stats(ds, name)
        save_row(key, row)
        render(not args.no_record)


if __name__ == "__main__":
    main()
