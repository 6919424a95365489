"""The Forecaster's input preparation around the network, shared by training (torch tensors on the
device) and prediction (numpy): a log transform of positive targets, the seasonal-naive base of
the residual target, and the segment reshape that lets the recurrent core read one season per
step.

    raw y ─[log, when every training target is > 0]─▶ per-series scaler ─▶ step features x (B, L, F)
      ─[window_norm: minus the window's reference level]─▶ target relative to
      [residual: the last observed season repeated over the horizon] ─▶ segments (B, L/s, s*F)

Each step is exactly inverted on the outputs (`Forecaster.predict`): + base, + reference level,
× scale + loc, exp.
"""

from __future__ import annotations

import numpy as np

from tsrnn.errors import DataError

TRANSFORMS = (None, "log", "auto")


def resolve_transform(option, targets: np.ndarray) -> str | None:
    """The transform a model uses: "log" when asked ("log") or allowed ("auto") and every target
    value (N, C) is > 0, else None. An explicit "log" on non-positive data is the caller's error."""
    if option is None:
        return None
    positive = bool(len(targets)) and bool(np.all(targets > 0))
    if option == "log" and not positive:
        raise DataError(
            "transform 'log' needs target values > 0 and some are <= 0; "
            "use transform='auto' (log only where it applies) or None"
        )
    return "log" if positive else None


def forward_values(values: np.ndarray, n_targets: int, transform: str | None) -> np.ndarray:
    """Raw value columns (..., V) → the model's value space
    (targets logged when transform is "log")."""
    if transform != "log":
        return values
    out = np.array(values, dtype=np.float64, copy=True)
    out[..., :n_targets] = np.log(out[..., :n_targets])
    return out


def inverse_values(y: np.ndarray, transform: str | None) -> np.ndarray:
    """Forecasts in the model's value space → raw units (exp for "log")."""
    return np.exp(y) if transform == "log" else y


def resolve_segment(option, season: int, input_len: int) -> int:
    """Segment length s (1 = off): "auto" → the season when it is > 1, divides input_len and the
    window holds at least 4 seasons; an integer as given (it must divide input_len, checked by
    the caller); None/0/1 → 1."""
    if option in (None, 0, 1, False):
        return 1
    if option == "auto":
        ok = season > 1 and input_len % season == 0 and input_len // season >= 4
        return int(season) if ok else 1
    return int(option)


def to_segments(x, segment: int):
    """Step features x (B, L, F) → (B, L/segment, segment*F): step j holds rows j*s .. j*s+s-1,
    feature index t*F + f for row t of the segment (numpy array or torch tensor)."""
    if segment <= 1:
        return x
    B, L, F = x.shape
    return x.reshape(B, L // segment, segment * F)


def seasonal_base(x_target, season: int, horizon: int):
    """The seasonal-naive base (B, H): the last `season` values of the window's target column
    x_target (B, L), repeated over the horizon (numpy or torch)."""
    L = x_target.shape[1]
    idx = L - season + (np.arange(horizon) % season)
    return x_target[:, idx]


def long_seasonal(season: int, input_len: int) -> bool:
    """Whether the "auto" preparation applies: a season > 1 that divides the window, which holds at
    least 4 seasons (sub-daily data with its default week-long window, for example)."""
    return season > 1 and input_len % season == 0 and input_len // season >= 4


def sub_daily(freq: str | None) -> bool:
    """Whether a pandas frequency string is a fixed step shorter than a day ("h", "30min", ...)."""
    if not freq:
        return False
    import pandas as pd

    try:
        off = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        return False
    return isinstance(off, pd.offsets.Tick) and pd.Timedelta(off) < pd.Timedelta("1D")


def default_input_len(
    season: int, horizon: int, shortest: int, pad, cap: int, subdaily: bool
) -> int:
    """The default window: a week of values for sub-daily data (`subdaily`, season = steps a day)
    when the shortest series holds it, the horizon and a validation part besides (rounded down to
    whole seasons under `cap`), else max(2*season, 2*horizon, 4) as before (capped, and shrunk to
    the shortest series when pad is False)."""
    if subdaily and season > 1:
        week = season * max(WEEK_SEASONS, -(-2 * horizon // season))
        week = min(week, (cap // season) * season)
        if shortest >= week + 3 * horizon:
            return int(week)
    L = min(max(2 * season, 2 * horizon, 4), cap)
    if pad is False:
        L = min(L, max(1, shortest - horizon))
    return int(L)


WEEK_SEASONS = 7


__all__ = [
    "TRANSFORMS",
    "resolve_transform",
    "forward_values",
    "inverse_values",
    "resolve_segment",
    "to_segments",
    "seasonal_base",
    "long_seasonal",
    "default_input_len",
    "sub_daily",
]
