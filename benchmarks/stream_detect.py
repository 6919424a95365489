"""Streaming throughput of the forecast-error detector: points per second through
`AnomalyDetector.streamer().update(value)` on the numba runtime and on torch (CPU, one thread).
A row streams the default detector (tailmax) too, checked against its batch scores.

The detector (LSTM, hidden 64, one layer) is fitted briefly on a synthetic sine series; both
back ends then score the same stream; their scores are checked to agree. The numba figure excludes
the first-call compile time, which is reported separately (cached on disk after the first run).
A last row streams through an online-adapting detector (refit_every / refit_history), refits
included in its time.

    python benchmarks/stream_detect.py [--points 200000] [--hidden 64] [--no-record]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--torch-points", type=int, default=5_000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--cell", default="lstm")
    ap.add_argument(
        "--refit-every",
        type=int,
        default=10_000,
        help=(
            "adaptive row: refit every N streamed points on the last --refit-history (0: skip "
            "the row)"
        ),
    )
    ap.add_argument("--refit-history", type=int, default=2_000)
    ap.add_argument(
        "--tailmax-points",
        type=int,
        default=20_000,
        help="points streamed through the default detector (0: skip the row)",
    )
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)

    import os

    import torch

    load0 = os.getloadavg()[0]
    torch.set_num_threads(1)
    from tsrnn.anomaly.detector import AnomalyDetector
    from tsrnn.anomaly.recurrent import ForecastScorer
    from tsrnn.anomaly.refit import Refit

    rng = np.random.default_rng(0)
    n = 2000
    t = np.arange(n)
    df = pd.DataFrame(
        {
            "unique_id": "s",
            "ds": pd.date_range("2024", periods=n, freq="min"),
            "y": np.sin(2 * np.pi * t / 60) + 0.05 * rng.normal(size=n),
        }
    )
    df.attrs.update(freq="min", targets=["y"])
    stream = np.sin(2 * np.pi * np.arange(args.points) / 60) + 0.05 * rng.normal(size=args.points)
    rows, notes = [], []
    # the plain detector (the target: one compiled call per point), then the NAB variant
    # forecast-zs (input_norm + scaled error: running sums and the 2-output head around the same
    # call)
    for label, extra in (
        ("plain", {}),
        ("input_norm=64, error=scaled", {"input_norm": 64, "error": "scaled"}),
    ):
        # cooldown 0: the plain per-point path (a cooldown adds one comparison per alarm)
        scorer = ForecastScorer(hidden=args.hidden, cell=args.cell, window=64, epochs=2, **extra)
        det = AnomalyDetector(scorer=scorer, threshold="pot", cooldown=0).fit(df)
        t0 = time.perf_counter()
        nb = det.streamer(backend="numba")
        nb.update(float(stream[0]))
        compile_s = time.perf_counter() - t0
        nb = det.streamer(backend="numba")
        upd = nb.update
        t0 = time.perf_counter()
        nb_scores = [upd(v)[0] for v in stream.tolist()]
        nb_s = time.perf_counter() - t0

        th = det.streamer(backend="torch")
        k = min(args.torch_points, args.points)
        t0 = time.perf_counter()
        th_scores = [th.update(v)[0] for v in stream[:k].tolist()]
        th_s = time.perf_counter() - t0
        diff = float(np.nanmax(np.abs(np.array(th_scores) - np.array(nb_scores[:k]))))
        rows += [
            {
                "detector": label,
                "back end": "numba (float32)",
                "points": args.points,
                "seconds": nb_s,
                "points/s": args.points / nb_s,
            },
            {
                "detector": label,
                "back end": "torch (CPU, 1 thread)",
                "points": k,
                "seconds": th_s,
                "points/s": k / th_s,
            },
        ]
        notes.append(
            f"{label}: numba first-call compile (or cache load) {compile_s:.2f} s; max |score "
            "difference| "
            f"numba vs torch over the first {k} points {diff:.2e}; numba / torch speed-up "
            f"{(args.points / nb_s) / (k / th_s):.0f}x."
        )
    if args.tailmax_points:
        # the default detector (AnomalyDetector()'s tailmax, fixed:1.5, cooldown 16; 2 epochs here):
        # three member steps (two forecast nets, a running z-score) and three SPOT levels per point
        from tsrnn.anomaly.tailmax import TailMaxScorer, default_members

        members = default_members()
        for m in members.values():
            if hasattr(m, "epochs"):
                m.epochs = 2
        det = AnomalyDetector(scorer=TailMaxScorer(members)).fit(df)
        k = min(args.tailmax_points, args.points)
        series = pd.DataFrame(
            {
                "unique_id": "s",
                "y": np.concatenate([df["y"], stream[:k]]),
                "ds": pd.date_range("2024", periods=n + k, freq="min"),
            }
        )
        series.attrs.update(freq="min", targets=["y"])
        batch = det.detect(series)["score"].to_numpy()
        for backend in ("numba", "torch"):
            st = det.streamer(backend=backend).prime(df["y"].to_numpy())
            t0 = time.perf_counter()
            got = [st.update(v)[0] for v in stream[:k].tolist()]
            secs = time.perf_counter() - t0
            rows.append(
                {
                    "detector": "default (tailmax: 2 LSTM hidden 32 + z-score, SPOT levels)",
                    "back end": st.backend,
                    "points": k,
                    "seconds": secs,
                    "points/s": k / secs,
                }
            )
            diff = float(np.nanmax(np.abs(np.array(got) - batch[n:])))
            notes.append(
                f"default, {backend}: max |stream score - detect score| over {k} points {diff:.2e}."
            )
    if args.refit_every:
        # online adaptation: the same plain detector refitted every N points on the last H values
        # (AdaptiveStreamer); the time includes every refit and the replay that warms it up
        scorer = ForecastScorer(hidden=args.hidden, cell=args.cell, window=64, epochs=2)
        det = AnomalyDetector(
            scorer=scorer,
            threshold="pot",
            cooldown=0,
            refit=Refit(args.refit_every, args.refit_history),
        ).fit(df)
        st = det.streamer(backend="numba").prime(
            df["y"].to_numpy()
        )  # positions count from the first value
        t0 = time.perf_counter()
        for v in stream.tolist():
            st.update(v)
        ad_s = time.perf_counter() - t0
        label = f"plain, refit_every={args.refit_every} on the last {args.refit_history}"
        rows.append(
            {
                "detector": label,
                "back end": st.backend,
                "points": args.points,
                "seconds": ad_s,
                "points/s": args.points / ad_s,
            }
        )
        notes.append(
            f"{label}: {st.refits} refits (each {scorer.epochs} epochs on "
            f"{args.refit_history} points, then "
            f"a replay of them) included in the time."
        )
    from benchmarks._results import markdown_table

    md = (
        f"Load average when measured: {load0:.1f} → {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores (a shared machine: timings are noisy).\n\n"
        f"Forecast-error detector, {args.cell.upper()} hidden {args.hidden}, one layer, threshold "
        "pot; "
        f"`detector.streamer().update(value)` one point at a time (score + decision), one core. "
        "Target (plain detector): >= 50k points/s per core.\n\n"
        + markdown_table(rows, floatfmt="{:,.1f}")
        + "\n"
        + "\n".join(f"- {n}" for n in notes)
        + "\n"
    )
    print(md)
    if not args.no_record:
        from benchmarks._results import update_section

        update_section("Anomaly streaming throughput", md)


if __name__ == "__main__":
    main()
