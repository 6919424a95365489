"""Reading Monash forecasting-archive .tsf files into the long frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.errors import DataError


def read_tsf(path: str | Path) -> pd.DataFrame:
    """Read a Monash forecasting-archive .tsf file into the long frame (unique_id, ds, y).

    Series without a start timestamp get a synthetic one (2000-01-01). A start year that the
    archive zeroed out (e.g. '0000') is replaced by 1900 so that dates stay representable.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    freq_map = {
        "yearly": "YS",
        "quarterly": "QS",
        "monthly": "MS",
        "weekly": "W",
        "daily": "D",
        "hourly": "h",
        "half_hourly": "30min",
        "10_minutes": "10min",
        "minutely": "min",
        "4_seconds": "4s",
    }
    attrs: list[str] = []
    freq = None
    rows_id, rows_ds, rows_y = [], [], []
    in_data = False
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                low = line.lower()
                if low.startswith("@attribute"):
                    attrs.append(line.split()[1])
                elif low.startswith("@frequency"):
                    freq = freq_map.get(line.split()[1].lower())
                elif low.startswith("@data"):
                    in_data = True
                continue
            parts = line.split(":")
            if len(parts) != len(attrs) + 1:
                raise DataError(
                    f"{path}: line {n}: expected {len(attrs) + 1} ':'-separated fields, found "
                    f"{len(parts)}"
                )
            name = parts[0]
            start = pd.Timestamp("2000-01-01")
            if "start_timestamp" in attrs:
                raw = parts[attrs.index("start_timestamp")]
                try:
                    start = pd.Timestamp(pd.to_datetime(raw, format="%Y-%m-%d %H-%M-%S"))
                except (ValueError, pd.errors.OutOfBoundsDatetime):
                    fixed = "1900" + raw[4:] if raw[:4] == "0000" or raw[:2] == "00" else None
                    if fixed is None:
                        raise DataError(
                            f"{path}: line {n}: cannot parse start timestamp '{raw}'"
                        ) from None
                    start = pd.Timestamp(pd.to_datetime(fixed, format="%Y-%m-%d %H-%M-%S"))
            vals = parts[-1].split(",")
            try:
                y = np.array([np.nan if v.strip() == "?" else float(v) for v in vals])
            except ValueError:
                raise DataError(
                    f"{path}: line {n}: series '{name}' has a value that is not a number"
                ) from None
            ds = pd.date_range(start, periods=len(y), freq=freq or "D")
            rows_id.append(np.full(len(y), name, dtype=object))
            rows_ds.append(ds.to_numpy())
            rows_y.append(y)
    if not rows_y:
        raise DataError(f"{path}: no @data section with series found")
    df = pd.DataFrame(
        {
            "unique_id": np.concatenate(rows_id),
            "ds": np.concatenate(rows_ds),
            "y": np.concatenate(rows_y),
        }
    )
    df.attrs["freq"] = freq
    return df
