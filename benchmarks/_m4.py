"""M4 files → tsrnn long frames, and M4 scoring of a forecast frame.

The M4 files (see SOURCE.txt next to them) hold one series a row: the id in the first column,
then the values in time order, padded with empty cells after the series ends. The series carry no
dates; they get an hourly calendar starting 2000-01-01 00:00 (the test part continues it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_ROOT = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "series" / "m4_hourly_dev"
)
HORIZON, SEASON = 48, 24
START = pd.Timestamp("2000-01-01 00:00")


def _rows(path: Path) -> dict[str, np.ndarray]:
    wide = pd.read_csv(path, index_col=0)
    return {str(uid): row.dropna().to_numpy(np.float64) for uid, row in wide.iterrows()}


def load_m4(
    root: str | Path = DEFAULT_ROOT, split: str = "odd", series: int | None = None, freq: str = "h"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) long frames (unique_id, ds, y) of the M4 Hourly files in `root`
    (Hourly-train-{split}.csv and Hourly-test-{split}.csv), series in file order, the first
    `series` only when given. ds is an hourly calendar from 2000-01-01; each test part starts one
    hour after its training part ends. train.attrs["freq"] = "h", attrs["source"] names the file."""
    root = Path(root)
    train_path, test_path = root / f"Hourly-train-{split}.csv", root / f"Hourly-test-{split}.csv"
    train, test = _rows(train_path), _rows(test_path)
    ids = list(train)[: series or None]
    tr, te = [], []
    for uid in ids:
        y, yt = train[uid], test[uid]
        ds = pd.date_range(START, periods=len(y) + len(yt), freq=freq)
        tr.append(pd.DataFrame({"unique_id": uid, "ds": ds[: len(y)], "y": y}))
        te.append(pd.DataFrame({"unique_id": uid, "ds": ds[len(y) :], "y": yt}))
    train_df, test_df = pd.concat(tr, ignore_index=True), pd.concat(te, ignore_index=True)
    train_df.attrs.update(freq=freq, source=str(train_path))
    test_df.attrs.update(freq=freq, source=str(test_path))
    return train_df, test_df


def score(
    fc: pd.DataFrame,
    train: pd.DataFrame,
    test: pd.DataFrame,
    column: str = "yhat",
    season: int = SEASON,
) -> tuple[float, float, pd.DataFrame]:
    """Mean over series of sMAPE (%) and MASE (scale: lag-`season` differences of each series'
    training part) of the forecast column `column` of `fc` (unique_id, ds, column) against `test`.
    Returns (sMAPE, MASE, per-series frame). Raises ValueError when a series lacks forecasts."""
    from tsrnn.metrics import mase, smape

    merged = test.merge(fc[["unique_id", "ds", column]], on=["unique_id", "ds"], how="left")
    if merged[column].isna().any():
        bad = merged.loc[merged[column].isna(), "unique_id"].iloc[0]
        raise ValueError(f"no (finite) forecast for series {bad} at every test step")
    hist = {uid: g["y"].to_numpy(float) for uid, g in train.groupby("unique_id", sort=False)}
    rows = []
    for uid, g in merged.groupby("unique_id", sort=False):
        y, f = g["y"].to_numpy(float), g[column].to_numpy(float)
        rows.append({"unique_id": uid, "smape": smape(y, f), "mase": mase(y, f, hist[uid], season)})
    per = pd.DataFrame(rows)
    return float(per["smape"].mean()), float(per["mase"].mean()), per
