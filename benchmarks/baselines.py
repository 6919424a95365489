"""Backtest every statistical baseline on every shipped dataset and on M1 yearly.

    python benchmarks/baselines.py [--datasets name,name] [--windows 3]

Shipped datasets: rolling origin, `--windows` origins one horizon apart, horizon = one season
(6 for yearly). M1 yearly: the Monash archive's protocol — the last 6 observations of each of the
181 series are the test set (one origin), MASE scaled by the in-sample naive (lag-1) error — so our
figures can be read beside the archive's published ones (Godahewa et al. 2021, "Monash Time Series
Forecasting Archive", Table 4, mean MASE on M1 Yearly: SES 4.938, Theta 4.191, ETS 3.771,
ARIMA 4.479). Writes a section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import RESULTS, markdown_table, update_section  # noqa: E402
from tsrnn import backtest, read_series  # noqa: E402
from tsrnn.data.freq import season_length  # noqa: E402
from tsrnn.data.shipped import list_datasets  # noqa: E402
from tsrnn.registry import LOCAL as MODELS  # noqa: E402

M1 = ROOT.parent / "shared" / "data" / "series" / "m1_yearly" / "m1_yearly_dataset.tsf"
MONASH_M1_YEARLY = {"Naive": "4.938 (SES)", "Theta": "4.191", "ETS": "3.771", "ARIMA": "4.479"}


def run(
    name: str, df, horizon: int, windows: int, season: int | None, reference: dict | None = None
) -> list[dict]:
    t0 = time.perf_counter()
    res = backtest(
        df, list(MODELS), horizon=horizon, windows=windows, level=[80], season_length=season
    )
    s = res.summary()
    print(f"{name}: {time.perf_counter() - t0:.1f}s", flush=True)
    rows = []
    for r in s.itertuples(index=False):
        row = {
            "dataset": name,
            "model": r.model,
            "MASE": float(r.mase),
            "sMAPE": float(r.smape),
            "coverage_80": float(r.coverage_80),
            "s/series": float(r.seconds_per_series),
        }
        if reference is not None:
            row["published MASE"] = reference.get(r.model, "")
        rows.append(row)
    return rows


def previous_table(name: str, error: str) -> str:
    """The dataset's subsection as last recorded in RESULTS.md, headed by why it was not re-run."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    sec = re.search(
        r"<!-- BEGIN Statistical baselines -->(.*?)<!-- END Statistical baselines -->", text, re.S
    )
    prev = re.search(
        rf"^### {re.escape(name)} \(.*?(?=^### |\Z)", sec.group(1) if sec else "", re.S | re.M
    )
    stamp = re.search(r"- date: (.*)", sec.group(1)) if sec else None
    note = f"Not re-run: reading the dataset failed ({error})."
    if prev is None:
        return f"### {name}\n\n{note}\n"
    title, table = prev.group(0).split("\n", 1)
    return (
        f"{title}\n\n{note} The table below is the previous run's "
        f"({stamp.group(1) if stamp else '?'}).\n\n{table.strip()}\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--datasets",
        default=None,
        help="comma-separated shipped dataset names (default: all) and/or m1",
    )
    ap.add_argument("--windows", type=int, default=3)
    args = ap.parse_args()
    wanted = set(args.datasets.split(",")) if args.datasets else None
    sections = []
    for entry in list_datasets():
        if wanted and entry["name"] not in wanted:
            continue
        try:
            df = read_series(entry["path"])
        except Exception as exc:  # keep the dataset's previous table, say why it was not re-run
            print(f"{entry['name']}: FAILED ({type(exc).__name__}: {exc})", flush=True)
            sections.append(previous_table(entry["name"], f"{type(exc).__name__}: {exc}"))
            continue
        m = season_length(df.attrs["freq"])
        h = m if m > 1 else 6
        rows = run(entry["name"], df, h, args.windows, None)
        sections.append(
            f"### {entry['name']} ({entry['freq']}, {df['unique_id'].nunique()} series, horizon "
            f"{h}, "
            f"{args.windows} origins)\n\n"
            + markdown_table(rows[0:], ["model", "MASE", "sMAPE", "coverage_80", "s/series"])
        )
    if wanted is None or "m1" in wanted:
        df = read_series(M1)
        rows = run("m1_yearly", df, 6, 1, 1, MONASH_M1_YEARLY)
        sections.append(
            "### M1 yearly (181 series, horizon 6, last 6 points held out, MASE lag 1)\n\n"
            + markdown_table(
                rows, ["model", "MASE", "sMAPE", "coverage_80", "s/series", "published MASE"]
            )
            + "\nPublished: Monash archive Table 4 (mean MASE). Our Naive is the closest "
            "counterpart of "
            "their SES on yearly data (SES with α near 1 is the naive forecast).\n"
        )
    body = (
        "Rolling-origin backtests of every statistical baseline (`tsrnn.backtest`), mean over "
        "series and "
        "origins; sMAPE in percent; coverage of the 80% interval; seconds per series include "
        "fitting.\n\n" + "\n".join(sections)
    )
    update_section("Statistical baselines", body)


if __name__ == "__main__":
    main()
