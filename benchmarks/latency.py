"""Prediction latency from a loaded model file on CPU: 24 steps for one series (median over many
calls of Forecaster.predict(df) — frame in, frame out) and for a batch of 1000 series; torch
back end and, when tsrnn.cpu is present, the numba back end; and the streamer's throughput
(Forecaster.streamer(uid).update(y): one new value in, the next 24-step forecast out, equal to
predict on the extended series).

    python benchmarks/latency.py [--calls 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

H, L, HIDDEN, LAYERS = 24, 48, 64, 2


def panel(n_series: int, length: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ds = pd.date_range("2024-01-01", periods=length, freq="h")
    y = (
        10
        + np.sin(2 * np.pi * t / 24)[None, :] * rng.uniform(1, 3, (n_series, 1))
        + rng.normal(0, 0.1, (n_series, length))
    )
    df = pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:04d}" for i in range(n_series)], length),
            "ds": np.tile(ds, n_series),
            "y": y.ravel(),
        }
    )
    df.attrs.update(freq="h", targets=["y"])
    return df


def timed(fn, calls: int) -> tuple[float, float]:
    fn()  # warm-up (numba compile / first torch call)
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3, float(np.percentile(ts, 90)) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from _results import markdown_table, update_section

    from tsrnn import Forecaster

    train = panel(8, 400)
    est = Forecaster(
        model="lstm",
        horizon=H,
        input_len=L,
        hidden=HIDDEN,
        layers=LAYERS,
        epochs=1,
        device="cpu",
        quiet=True,
    ).fit(train)
    path = Path(tempfile.mkdtemp()) / "latency.tsrnn"
    est.save(path)
    one = panel(1, L, seed=1)  # one series, exactly input_len of history
    batch = panel(1000, L, seed=2)
    rows = []
    backends = ["torch"]
    try:
        import tsrnn.cpu.net  # noqa: F401

        backends.append("numba")
    except ImportError:
        pass
    for backend in backends:
        t0 = time.perf_counter()
        model = Forecaster.load(
            path, backend=backend, **({"device": "cpu"} if backend == "torch" else {})
        )
        load_ms = (time.perf_counter() - t0) * 1e3
        med1, p90 = timed(lambda m=model: m.predict(one), args.calls)
        medb, _ = timed(lambda m=model: m.predict(batch), max(5, args.calls // 20))
        x = np.zeros((1, L, 5), np.float32)
        net_ms = None
        if backend == "torch":
            xt = torch.from_numpy(x)
            with torch.no_grad():
                net_ms, _ = timed(lambda m=model, a=xt: m.net_(a), args.calls)
        else:
            net_ms, _ = timed(lambda m=model, a=x: m.numba_net_.forward(a), args.calls)
        rows.append(
            {
                "back end": backend,
                "load ms": load_ms,
                "1 series predict(df) median ms": med1,
                "p90 ms": p90,
                "network only ms": net_ms,
                "1000 series predict(df) ms": medb,
            }
        )
        print(rows[-1], flush=True)
    stream_rows = []
    if "numba" in backends:
        model = Forecaster.load(path, backend="numba")
        values = 10 + np.random.default_rng(3).normal(0, 1, 20 * args.calls)
        st = model.streamer("s0000")
        st.run(values[:20])  # warm-up (compile)
        t0 = time.perf_counter()
        st.run(values)
        dt = time.perf_counter() - t0
        stream_rows.append(
            {
                "streamer": "Forecaster.streamer().update (numba)",
                "window_norm": str(model.config_.window_norm),
                "values": len(values),
                "points/s": len(values) / dt,
                "µs per update": dt / len(values) * 1e6,
            }
        )
        print(stream_rows[-1], flush=True)
    import os

    load = os.getloadavg()[0]
    body = (
        f"Load average when measured: {load:.1f} on {os.cpu_count()} cores (a shared machine "
        "inflates the "
        f"pandas-side times most). LSTM, {LAYERS} layers × {HIDDEN} hidden, input_len {L}, horizon "
        f"{H}, hourly data (F = 5 features); "
        "Forecaster.predict(df) from a model file loaded on CPU (frame in → forecast frame out, "
        "scaling, "
        f"calendar features included); median of {args.calls} calls after one warm-up call; torch "
        "threads "
        f"{args.threads}. Target: ≤ 5 ms for one series.\n\n"
        + markdown_table(rows, floatfmt="{:.2f}")
    )
    if stream_rows:
        body += (
            "\n\nStreaming the same model, one value at a time (the window of input_len values "
            "is recomputed at each update, since window_norm rescales all of it):\n\n"
            + markdown_table(stream_rows, floatfmt="{:.0f}")
        )
    if not args.no_record:
        update_section("Latency (CPU)", body)


if __name__ == "__main__":
    main()
