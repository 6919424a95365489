"""Putting each series of a long frame on its regular grid, filling gaps and missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsrnn.errors import DataError

MAX_GRID_GROWTH = 100  # a grid may hold at most this many times a series' rows (plus 10,000)


def regularise(df, where, freq, fill_gaps, names) -> pd.DataFrame:
    pieces, changed = [], False
    for uid, g in df.groupby("unique_id", sort=False):
        grid = _grid(g["ds"].iat[0], g["ds"].iat[-1], freq, len(g), where, uid)
        ds = pd.DatetimeIndex(g["ds"])
        if len(grid) == 0 or grid[0] != ds[0]:  # an anchored --freq (W-SUN, MS) the start misses
            raise DataError(
                f"{where}: series '{uid}' line {g['_line'].iat[0]}: the first timestamp {ds[0]} is "
                f"not a '{freq}' step; pass another --freq or fix the timestamps"
            )
        off = ~ds.isin(grid)
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise DataError(
                f"{where}: series '{uid}' line {g['_line'].iat[i]}: timestamp {ds[i]} is off the "
                f"'{freq}' grid that starts at {grid[0]}; pass --freq or fix the timestamps"
            )
        if len(grid) == len(ds):
            pieces.append(g)
            continue
        missing = grid.difference(ds)
        if fill_gaps is None:
            shown = ", ".join(str(t) for t in missing[:3])
            raise DataError(
                f"{where}: series '{uid}' has {len(missing)} missing timestamp(s) at frequency "
                f"'{freq}' (first: {shown}); fill them with --fill-gaps interpolate|ffill|zero"
            )
        changed = True
        full = g.set_index("ds").reindex(grid)
        full.index.name = "ds"
        full["unique_id"] = uid
        full["_line"] = full["_line"].fillna(-1).astype(np.int64)
        full = full.reset_index()
        for c in names:
            full[c] = fill_column(full, c, fill_gaps, only=full["_line"].to_numpy() < 0)
        pieces.append(full[g.columns])
    return pd.concat(pieces, ignore_index=True) if changed else df


def fill_column(
    df: pd.DataFrame, col: str, method: str, only: np.ndarray | None = None
) -> np.ndarray:
    """Fill NaNs of one column within each series; `only` restricts which rows may be written."""
    s = df[col]
    g = s.groupby(df["unique_id"].to_numpy(), sort=False)
    if method == "interpolate":
        filled = g.transform(lambda x: x.interpolate(limit_direction="both"))
    elif method == "ffill":
        filled = g.transform(lambda x: x.ffill().bfill())
    else:
        filled = s.fillna(0.0)
    out = s.to_numpy(copy=True)
    mask = np.isnan(out) if only is None else only
    out[mask] = filled.to_numpy()[mask]
    return out


def _grid(
    first: pd.Timestamp, last: pd.Timestamp, freq: str, rows: int, where: str, uid
) -> pd.DatetimeIndex:
    """The grid from `first` to `last`, refused (DataError) when it would be far longer than the
    series: timestamps years apart at a minute frequency are a mistake, not gaps to fill."""
    step = pd.date_range(first, periods=2, freq=freq)
    # in seconds: a Timedelta of nanoseconds overflows beyond ~292 years (sunspots: 1700-2008)
    span = (last.as_unit("s") - first.as_unit("s")).total_seconds()
    size = span / (step[1] - step[0]).total_seconds() if len(step) == 2 else 0
    if size > MAX_GRID_GROWTH * rows + 10_000:
        raise DataError(
            f"{where}: series '{uid}' spans {first} to {last}, about {int(size):,} steps of "
            f"'{freq}' for {rows} rows; check the timestamps or pass --freq"
        )
    return pd.date_range(first, last, freq=freq)
