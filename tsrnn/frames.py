"""The forecast frame every model writes, neural or statistical.

Columns: unique_id, ds, model, yhat and, for each interval level L (percent), yhat_lo_L and
yhat_hi_L. One row per series × future step × model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsrnn.data.freq import future_dates
from tsrnn.errors import ConfigError, DataError


def forecast_frame(
    ids: Sequence[str],
    last_ds: Sequence,
    freq: str,
    model: str,
    yhat: np.ndarray,
    intervals: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Assemble a forecast frame.

    yhat: (S, H) point forecasts for S series; intervals: {level: (lo (S, H), hi (S, H))}.
    """
    yhat = np.asarray(yhat, dtype=np.float64)
    S, H = yhat.shape
    off = pd.tseries.frequencies.to_offset(freq)
    if S and isinstance(
        off, pd.offsets.Tick
    ):  # fixed-width steps: one vectorised grid for all series
        step = np.timedelta64(pd.Timedelta(off).value, "ns")
        ds = (
            np.asarray(last_ds, dtype="datetime64[ns]")[:, None] + np.arange(1, H + 1) * step
        ).ravel()
    else:
        ds = (
            np.concatenate([future_dates(pd.Timestamp(t), H, freq).to_numpy() for t in last_ds])
            if S
            else []
        )
    out = pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(ids, dtype=object), H),
            "ds": ds,
            "model": model,
            "yhat": yhat.ravel(),
        }
    )
    for level, (lo, hi) in sorted((intervals or {}).items()):
        out[f"yhat_lo_{level}"] = np.asarray(lo, dtype=np.float64).ravel()
        out[f"yhat_hi_{level}"] = np.asarray(hi, dtype=np.float64).ravel()
    return out


def parse_levels(levels: str | Sequence[int] | None) -> list[int]:
    """'80,95' or [80, 95] → [80, 95]; each level must be in (0, 100)."""
    if levels is None or levels == "":
        return []
    items = levels.split(",") if isinstance(levels, str) else list(levels)
    out = []
    for it in items:
        try:
            v = float(it)
        except (TypeError, ValueError):
            raise ConfigError(
                f"--level '{it}' is not a number; give percentages such as 80,95"
            ) from None
        if not 0 < v < 100 or v != int(v):
            raise ConfigError(f"--level {it} must be a whole percentage between 1 and 99")
        out.append(int(v))
    return sorted(set(out))


def interval_columns(df: pd.DataFrame) -> list[int]:
    """Levels present in a forecast frame."""
    return sorted(int(c.rsplit("_", 1)[1]) for c in df.columns if c.startswith("yhat_lo_"))


def check_series_lengths(
    source: str, ids: Sequence[str], lengths: np.ndarray, needed: int, why: str
) -> None:
    """DataError naming the first series shorter than `needed` observations, e.g. "data.csv:
    series 'a' has 3 observations (and 2 more); ETS needs at least 4"."""
    lengths = np.asarray(lengths)
    short = np.flatnonzero(lengths < needed)
    if len(short):
        more = f" (and {len(short) - 1} more)" if len(short) > 1 else ""
        raise DataError(
            f"{source}: series '{ids[short[0]]}' has {int(lengths[short[0]])} "
            f"observations{more}; {why} needs at least {needed}"
        )
