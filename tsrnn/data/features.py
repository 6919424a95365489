"""Model input features, in numpy only (shared by the torch and the torch-free numba back ends).

Every network step sees the feature row
    [scaled target(s) (C), calendar features (2 per kind: sin, cos), scaled exogenous columns (X)]
and, when the model learns a per-series embedding, the network appends it itself (torch) or the
caller appends ``embed.weight[series]`` (numba). Calendar kinds:

    "tod"  time of day (sub-daily data)      period 1 day
    "dow"  day of week, Monday = 0           period 7 days
    "doy"  day of year                       period 365.25 days
    "moy"  month of year                     period 12 months
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsrnn.errors import ConfigError

CALENDAR_KINDS = ("tod", "dow", "doy", "moy")
_DAY_NS = 86_400 * 10**9


def default_calendar(freq: str | None) -> list[str]:
    """Calendar kinds that vary at a frequency: sub-daily → tod, dow; daily/business → dow, doy;
    weekly → doy; monthly/quarterly → moy; yearly, unknown or irregular → none."""
    if freq is None:
        return []
    off = pd.tseries.frequencies.to_offset(freq)
    name = str(off.rule_code).upper()
    if name.startswith(("Y", "A")):
        return []
    if name.startswith(("Q", "BQ")):
        return ["moy"]
    if name.startswith(("M", "BM", "SM", "BS")) and name != "MIN":
        return ["moy"]
    if name.startswith("W"):
        return ["doy"]
    if name in ("B", "C"):
        return ["dow", "doy"]
    try:
        step = pd.Timedelta(off)
    except (TypeError, ValueError):
        return []
    if step < pd.Timedelta(days=1):
        return ["tod", "dow"]
    if step == pd.Timedelta(days=1):
        return ["dow", "doy"]
    return ["doy"]


def calendar_features(ds: np.ndarray, kinds: list[str]) -> np.ndarray:
    """ds: (N,) datetime64 → (N, 2*len(kinds)) float32: sin and cos of each kind's phase."""
    ds = np.asarray(ds, dtype="datetime64[ns]")
    out = np.empty((len(ds), 2 * len(kinds)), dtype=np.float32)
    if not kinds:
        return out
    days = ds.astype("datetime64[D]")
    for j, kind in enumerate(kinds):
        if kind == "tod":
            phase = (ds - days).astype(np.int64) / _DAY_NS
        elif kind == "dow":
            phase = ((days.astype(np.int64) + 3) % 7) / 7.0  # 1970-01-01 was a Thursday
        elif kind == "doy":
            phase = (days - days.astype("datetime64[Y]")).astype(np.int64) / 365.25
        elif kind == "moy":
            phase = (ds.astype("datetime64[M]").astype(np.int64) % 12) / 12.0
        else:
            raise ConfigError(
                f"calendar feature '{kind}' is unknown; use some of {', '.join(CALENDAR_KINDS)}"
            )
        ang = 2.0 * np.pi * phase
        out[:, 2 * j] = np.sin(ang)
        out[:, 2 * j + 1] = np.cos(ang)
    return out


def step_inputs(
    targets: np.ndarray, ds: np.ndarray, kinds: list[str], exog: np.ndarray | None = None
) -> np.ndarray:
    """The per-step feature rows of stacked series.

    targets: (N, C) scaled target columns; ds: (N,) timestamps; exog: (N, X) scaled covariates.
    Returns (N, C + 2*len(kinds) + X) float32, columns in that order.
    """
    parts = [
        np.asarray(targets, dtype=np.float32).reshape(len(ds), -1),
        calendar_features(ds, kinds),
    ]
    if exog is not None and np.size(exog):
        parts.append(np.asarray(exog, dtype=np.float32).reshape(len(ds), -1))
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def last_windows(inputs: np.ndarray, offsets: np.ndarray, input_len: int) -> np.ndarray:
    """The last `input_len` rows of every series: inputs (N, F), offsets (S+1,) → (S, input_len, F).
    A series shorter than input_len is left-padded with copies of its first row."""
    offsets = np.asarray(offsets, dtype=np.int64)
    n_obs = np.minimum(np.diff(offsets), input_len)
    # row k of series s: its end - n_obs + max(k - (input_len - n_obs), 0)
    k = np.arange(input_len)[None, :] - (input_len - n_obs)[:, None]
    return inputs[(offsets[1:] - n_obs)[:, None] + np.maximum(k, 0)]


def _dates(last_ds: np.ndarray, steps: np.ndarray, freq: str) -> np.ndarray:
    """Timestamps last_ds[s] + steps[k] * freq for every series: → (S*len(steps),) datetime64[ns].
    Fixed-width frequencies are computed in one vectorised step; calendar ones per series."""
    last_ds = np.asarray(last_ds, dtype="datetime64[ns]")
    off = pd.tseries.frequencies.to_offset(freq)
    if isinstance(off, pd.offsets.Tick):
        step = np.timedelta64(pd.Timedelta(off).value, "ns")
        return (last_ds[:, None] + steps[None, :] * step).ravel()
    out = []
    for t in last_ds:
        t = pd.Timestamp(t)
        out.append(np.array([t + int(k) * off for k in steps], dtype="datetime64[ns]"))
    return np.concatenate(out) if out else np.zeros(0, dtype="datetime64[ns]")


def future_calendar(last_ds: np.ndarray, horizon: int, freq: str, kinds: list[str]) -> np.ndarray:
    """Calendar features of the `horizon` steps after each series' end:
    (S,) → (S, horizon, 2*len(kinds))."""
    S = len(last_ds)
    if not kinds or S == 0:
        return np.zeros((S, horizon, 2 * len(kinds)), dtype=np.float32)
    ds = _dates(last_ds, np.arange(1, horizon + 1), freq)
    return calendar_features(ds, kinds).reshape(S, horizon, -1)


def past_dates(last_ds: np.ndarray, n: int, freq: str) -> np.ndarray:
    """The n timestamps ending at each series' last timestamp:
    (S,) → (S*n,) datetime64[ns], row-major."""
    if len(last_ds) == 0:
        return np.zeros(0, dtype="datetime64[ns]")
    return _dates(last_ds, np.arange(-(n - 1), 1), freq)
