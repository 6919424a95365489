"""M4 Hourly accuracy: tsrnn's recurrent forecasters with their defaults against Naive2, seasonal
naive, tsrnn's statistical models and the peers (statsforecast AutoETS / MSTL, neuralforecast
LSTM / NHITS, darts BlockRNNModel LSTM), all in one invocation, on the development half of M4
Hourly (207 series, horizon 48; ../shared/data/series/m4_hourly_dev/SOURCE.txt).

Scoring as M4: per-series sMAPE and MASE (scale: lag-24 differences of the series' training
part), averaged over the series; OWA against Naive2 of the same run.

Every neural model gets the same wall-clock training budget (--budget seconds; tsrnn through
Forecaster(time_budget=...), the Lightning-based peers through Trainer(max_time=...)) and the
same torch threads (--threads; OMP_NUM_THREADS too). Each model runs in its own fresh Python
process, one after the other (the statistical ones first, tsrnn's recurrent ones last); its row
(scores, training seconds, steps run, the 1-minute load average at its start) is appended to
--rows as soon as it finishes, and the table in benchmarks/RESULTS.md is rewritten from those
rows, so a run cut short keeps what finished. Peers that are not installed (`pip install
-e .[bench]`) are reported as skipped.

    python benchmarks/m4.py                              # all models, 600 s each, 207 series
    python benchmarks/m4.py --budget 20 --series 20 --rows /tmp/rows.csv --no-record   # smoke run
    python benchmarks/m4.py --models naive2,snaive,lstm  # a subset (rows of others are kept)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _m4 import DEFAULT_ROOT, HORIZON, SEASON, load_m4, score  # noqa: E402

# name → (library, description); run in this order
MODELS = {
    "naive2": ("tsrnn", "Naive2 (M4 benchmark)"),
    "snaive": ("tsrnn", "seasonal naive (24)"),
    "theta": ("tsrnn", "Theta"),
    "mstl": ("tsrnn", "MSTL (24, 168) + AutoETS"),
    "sf_autoets": ("statsforecast", "AutoETS (24)"),
    "sf_mstl": ("statsforecast", "MSTL (24, 168) + AutoETS"),
    "nf_nhits": ("neuralforecast", "NHITS (input 96, max_steps 1000)"),
    "nf_nhits_robust": ("neuralforecast", "NHITS (input 96, max_steps 1000, scaler_type robust)"),
    "nf_lstm": ("neuralforecast", "LSTM (defaults, max_steps 1000)"),
    "darts_blockrnn": ("darts", "BlockRNNModel LSTM (input 96, defaults)"),
    "lstm": ("tsrnn", "Forecaster lstm (defaults)"),
    "gru": ("tsrnn", "Forecaster gru (defaults)"),
    "seq2seq": ("tsrnn", "Forecaster seq2seq (defaults)"),
}
NEURAL = {"nf_nhits", "nf_nhits_robust", "nf_lstm", "darts_blockrnn", "lstm", "gru", "seq2seq"}
ROWS = ROOT / "benchmarks" / "m4_rows.csv"
FIELDS = [
    "model",
    "library",
    "description",
    "series",
    "budget_s",
    "threads",
    "smape",
    "mase",
    "train_s",
    "predict_s",
    "steps",
    "stopped",
    "load1",
    "started",
    "status",
]


# -- one model (runs in a child process) ----------------------------------------------------------


def _long(fc, column: str):
    """A peer's forecast frame → (unique_id, ds, yhat)."""
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    out = fc[["unique_id", "ds", column]].rename(columns={column: "yhat"})
    out["unique_id"] = out["unique_id"].astype(str)
    return out


def _tsrnn_stat(name, train, budget, threads):
    from tsrnn import Forecast, make_model

    t0 = time.perf_counter()
    est = Forecast([make_model(name)], horizon=HORIZON, season_length=SEASON, n_jobs=1).fit(train)
    t1 = time.perf_counter()
    return est.predict(), t1 - t0, time.perf_counter() - t1, None, ""


def _tsrnn_neural(name, train, budget, threads):
    from tsrnn import Forecaster

    est = Forecaster(model=name, horizon=HORIZON, time_budget=budget, threads=threads)
    t0 = time.perf_counter()
    est.fit(train)
    t1 = time.perf_counter()
    fc = est.predict()
    h = est.train_history_
    print(
        f"  {name}: {h.steps} steps, stopped by {h.stopped}, best at step {h.best_step}, "
        f"trainer {h.seconds:.1f} s of fit {t1 - t0:.1f} s",
        flush=True,
    )
    return fc, t1 - t0, time.perf_counter() - t1, h.steps, h.stopped


def _statsforecast(name, train, budget, threads):
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoETS

    model = (
        AutoETS(season_length=SEASON)
        if name == "sf_autoets"
        else MSTL(season_length=[SEASON, 7 * SEASON], trend_forecaster=AutoETS(model="ZZN"))
    )
    sf = StatsForecast(models=[model], freq="h", n_jobs=1)
    t0 = time.perf_counter()
    sf.fit(train[["unique_id", "ds", "y"]])
    t1 = time.perf_counter()
    fc = sf.predict(h=HORIZON)
    col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
    return _long(fc, col), t1 - t0, time.perf_counter() - t1, None, ""


def _step_counter(budget: float):
    """A Lightning callback class that records the optimisation steps run and what ended them."""
    import pytorch_lightning as pl

    class Steps(pl.Callback):
        steps, reason, t0 = 0, "", 0.0

        def on_train_start(self, trainer, module):
            Steps.t0 = time.perf_counter()

        def on_train_end(self, trainer, module):
            Steps.steps = int(trainer.global_step)
            if time.perf_counter() - Steps.t0 >= budget - 1.0:
                Steps.reason = "time_budget"
            else:
                Steps.reason = (
                    "max_steps" if trainer.max_steps and trainer.max_steps > 0 else "epochs"
                )

    return Steps


def _neuralforecast(name, train, budget, threads):
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM, NHITS

    steps = _step_counter(budget)
    kw = dict(
        h=HORIZON,
        max_steps=1000,
        random_seed=0,
        accelerator="cpu",
        enable_progress_bar=False,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        callbacks=[steps()],
        max_time={"seconds": int(budget)},
    )
    if name.startswith("nf_nhits"):
        # NHITS's own default scaler_type is "identity" (raw values: M4's scales span 10 to 1e5);
        # the _robust row gives it the per-window robust scaling that its LSTM has by default
        robust = {"scaler_type": "robust"} if name == "nf_nhits_robust" else {}
        model = NHITS(input_size=2 * HORIZON, **robust, **kw)
    else:
        model = LSTM(**kw)
    nf = NeuralForecast(models=[model], freq="h")
    t0 = time.perf_counter()
    nf.fit(train[["unique_id", "ds", "y"]])
    t1 = time.perf_counter()
    fc = nf.predict()
    col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
    return _long(fc, col), t1 - t0, time.perf_counter() - t1, steps.steps, steps.reason


def _darts(name, train, budget, threads):
    import pandas as pd
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel

    steps = _step_counter(budget)
    ids = list(dict.fromkeys(train["unique_id"]))
    series = [
        TimeSeries.from_dataframe(g, time_col="ds", value_cols="y", freq="h").astype("float32")
        for _, g in train.groupby("unique_id", sort=False)
    ]
    scaler = Scaler()  # darts' default MinMax scaling per series, as its examples do
    scaled = scaler.fit_transform(series)
    model = BlockRNNModel(
        model="LSTM",
        input_chunk_length=2 * HORIZON,
        output_chunk_length=HORIZON,
        random_state=0,
        pl_trainer_kwargs={
            "accelerator": "cpu",
            "max_time": {"seconds": int(budget)},
            "enable_progress_bar": False,
            "logger": False,
            "callbacks": [steps()],
        },
    )
    t0 = time.perf_counter()
    model.fit(scaled, verbose=False)
    t1 = time.perf_counter()
    preds = scaler.inverse_transform(model.predict(HORIZON, series=scaled, verbose=False))
    frames = [
        pd.DataFrame({"unique_id": uid, "ds": p.time_index, "yhat": p.values()[:, 0]})
        for uid, p in zip(ids, preds)
    ]
    return (
        pd.concat(frames, ignore_index=True),
        t1 - t0,
        time.perf_counter() - t1,
        steps.steps,
        steps.reason,
    )


RUNNERS = {
    "naive2": _tsrnn_stat,
    "snaive": _tsrnn_stat,
    "theta": _tsrnn_stat,
    "mstl": _tsrnn_stat,
    "sf_autoets": _statsforecast,
    "sf_mstl": _statsforecast,
    "nf_nhits": _neuralforecast,
    "nf_nhits_robust": _neuralforecast,
    "nf_lstm": _neuralforecast,
    "darts_blockrnn": _darts,
    "lstm": _tsrnn_neural,
    "gru": _tsrnn_neural,
    "seq2seq": _tsrnn_neural,
}
PEER_MODULE = {
    "statsforecast": "statsforecast",
    "neuralforecast": "neuralforecast",
    "darts": "darts",
}


def run_one(name: str, data_root: Path, series: int | None, budget: float, threads: int) -> dict:
    """Fit, forecast and score one model in this process → a row of FIELDS."""
    import importlib.util

    library, description = MODELS[name]
    row = {
        "model": name,
        "library": library,
        "description": description,
        "budget_s": budget,
        "threads": threads,
        "load1": round(os.getloadavg()[0], 2),
        "started": time.strftime("%H:%M:%S", time.gmtime()),
    }
    if library in PEER_MODULE and importlib.util.find_spec(PEER_MODULE[library]) is None:
        return {**row, "status": f"skipped: {library} is not installed (pip install -e .[bench])"}
    import torch

    torch.set_num_threads(threads)
    train, test = load_m4(data_root, series=series)
    row["series"] = train["unique_id"].nunique()
    fc, fit_s, pred_s, steps, stopped = RUNNERS[name](name, train, budget, threads)
    s, m, _ = score(fc, train, test)
    return {
        **row,
        "smape": s,
        "mase": m,
        "train_s": round(fit_s, 1),
        "predict_s": round(pred_s, 1),
        "steps": steps if steps is not None else "",
        "stopped": stopped,
        "status": "ok",
    }


# -- the run (parent process) ----------------------------------------------------------------


def read_rows(path: Path) -> list[dict]:
    import pandas as pd

    if not path.exists():
        return []
    return pd.read_csv(path, keep_default_na=False).to_dict("records")


def write_rows(path: Path, rows: list[dict]) -> None:
    import pandas as pd

    tmp = path.with_suffix(".tmp")
    pd.DataFrame(rows).reindex(columns=FIELDS).to_csv(tmp, index=False)
    os.replace(tmp, path)


def table(rows: list[dict]) -> tuple[str, str]:
    """The markdown table (OWA against this run's Naive2) and a one-line note."""
    from _results import markdown_table

    from tsrnn.metrics import owa

    def num(r, k):
        try:
            return float(r[k])
        except (TypeError, ValueError, KeyError):
            return float("nan")

    ref = next((r for r in rows if r["model"] == "naive2" and r["status"] == "ok"), None)
    snaive = next((r for r in rows if r["model"] == "snaive" and r["status"] == "ok"), None)
    out = []
    for r in sorted(
        rows, key=lambda r: list(MODELS).index(r["model"]) if r["model"] in MODELS else 99
    ):
        ok = r["status"] == "ok"
        o = (
            owa(num(r, "smape"), num(r, "mase"), num(ref, "smape"), num(ref, "mase"))
            if ok and ref
            else float("nan")
        )
        o_sn = (
            owa(num(snaive, "smape"), num(snaive, "mase"), num(ref, "smape"), num(ref, "mase"))
            if snaive and ref
            else float("nan")
        )
        neural = r["model"] in NEURAL
        out.append(
            {
                "model": r["model"],
                "library": r["library"],
                "what": r["description"],
                "sMAPE": num(r, "smape") if ok else r["status"],
                "MASE": num(r, "mase") if ok else "",
                "OWA": o if ok else "",
                "OWA ÷ snaive": o / o_sn if ok and o_sn == o_sn else "",
                "train s": f"{num(r, 'train_s'):.1f}" if ok else "",
                "train s ÷ budget": f"{num(r, 'train_s') / num(r, 'budget_s'):.2f}"
                if ok and neural
                else "",
                "steps": r.get("steps", "") if ok else "",
                "stopped by": r.get("stopped", "") if ok else "",
                "predict s": f"{num(r, 'predict_s'):.1f}" if ok else "",
                "load1 at start": r.get("load1", ""),
                "start (UTC)": r.get("started", ""),
            }
        )
    note = ""
    if rows:
        first = rows[0]
        note = (
            f"{first.get('series', '?')} series, horizon {HORIZON}, training budget "
            f"{first.get('budget_s')} s per neural model, torch threads {first.get('threads')}."
        )
    return markdown_table(out, floatfmt="{:.3f}"), note


def record(rows: list[dict], args) -> None:
    from _results import update_section

    body, note = table(rows)
    if getattr(args, "note", None):
        note = f"{note} {args.note}"
    text = (
        f"{note} OWA = (sMAPE/sMAPE_Naive2 + MASE/MASE_Naive2)/2 with this run's Naive2; "
        f"MASE scale: lag-{SEASON} differences of each series' training part. Each model ran in "
        "its own process, one after the other, in the order of the table; `load1 at start` is the "
        "1-minute load average of this shared 2-core machine when the model started (other work "
        "ran at the same time, so seconds are noisy). `train s` is the fit call (data preparation "
        "included); `steps` are optimisation steps; `stopped by`: what ended training.\n\n" + body
    )
    update_section("M4 Hourly (dev half)", text)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--root", type=Path, default=DEFAULT_ROOT, help="folder with Hourly-{train,test}-odd.csv"
    )
    ap.add_argument("--budget", type=float, default=600.0, help="training seconds per neural model")
    ap.add_argument("--series", type=int, default=None, help="the first N series only")
    ap.add_argument(
        "--threads", type=int, default=1, help="torch (and OMP) threads for every model"
    )
    ap.add_argument(
        "--models", default=",".join(MODELS), help="comma-separated, from: " + ", ".join(MODELS)
    )
    ap.add_argument(
        "--rows", type=Path, default=ROWS, help="CSV of finished rows (appended as models finish)"
    )
    ap.add_argument(
        "--fresh", action="store_true", help="forget the rows of earlier runs in --rows"
    )
    ap.add_argument("--no-record", action="store_true", help="do not write benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None, help="a sentence added to the RESULTS.md section")
    ap.add_argument(
        "--record-only", action="store_true", help="rewrite the section from --rows, run nothing"
    )
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child process: one model
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        row = run_one(args.one, args.root, args.series, args.budget, args.threads)
        args.out.write_text(json.dumps(row))
        return
    if args.record_only:
        record(read_rows(args.rows), args)
        return
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model '{unknown[0]}'; choose from {', '.join(MODELS)}")
    names = [n for n in MODELS if n in names]  # the fixed order: tsrnn's recurrent models last
    rows = [] if args.fresh else [r for r in read_rows(args.rows) if r["model"] not in names]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(args.threads),
        "MKL_NUM_THREADS": str(args.threads),
        "PYTHONWARNINGS": "ignore",
    }
    print(
        f"M4 Hourly: {', '.join(names)}; budget {args.budget:g} s, threads {args.threads}",
        flush=True,
    )
    for name in names:
        t0 = time.time()
        print(
            f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {name} starts "
            f"(load {os.getloadavg()[0]:.2f})",
            flush=True,
        )
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "row.json"
            cmd = [
                sys.executable,
                __file__,
                "--one",
                name,
                "--out",
                str(out),
                "--root",
                str(args.root),
                "--budget",
                str(args.budget),
                "--threads",
                str(args.threads),
            ]
            if args.series:
                cmd += ["--series", str(args.series)]
            limit = (3 * args.budget + 900) if name in NEURAL else 3600
            try:
                proc = subprocess.run(cmd, env=env, timeout=limit)
                row = (
                    json.loads(out.read_text())
                    if out.exists()
                    else {
                        "model": name,
                        "library": MODELS[name][0],
                        "description": MODELS[name][1],
                        "status": f"failed (exit {proc.returncode}; see the log)",
                    }
                )
            except subprocess.TimeoutExpired:
                row = {
                    "model": name,
                    "library": MODELS[name][0],
                    "description": MODELS[name][1],
                    "status": f"killed after {limit:.0f} s",
                }
        row.setdefault("budget_s", args.budget)
        row.setdefault("threads", args.threads)
        rows = [r for r in rows if r["model"] != name] + [row]
        write_rows(args.rows, rows)
        if not args.no_record:
            record(rows, args)
        extra = (
            f" sMAPE {row['smape']:.3f} MASE {row['mase']:.3f}" if row.get("status") == "ok" else ""
        )
        print(f"  {name}: {row.get('status')}{extra}, {time.time() - t0:.0f} s wall", flush=True)
    print(table(rows)[0], flush=True)


if __name__ == "__main__":
    main()
