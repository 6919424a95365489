"""Array arithmetic shared by the anomaly scorers, batch and stream: value clipping, rolling
standardisation (whole series and one row at a time), the forecast detector's error, the local
ratio of a score to its recent level, and the per-point mean of window errors.

Everything works on scaled float arrays of one series, (T,) or (T, C); nothing here is fitted.
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = [
    "LOCAL_FLOOR",
    "INPUT_CLIP",
    "ROLLING_MIN_STD",
    "SCALE_FLOOR",
    "VALUE_CLIP",
    "NET_CLIP",
    "RollingZ",
    "clip_values",
    "cover_mean",
    "forecast_error",
    "local_ratio",
    "rolling_min_periods",
    "rolling_standardise",
]

LOCAL_FLOOR = (
    0.1  # local_ratio's denominator never drops below a tenth of the typical training score
)
INPUT_CLIP = (
    10.0  # the forecast detector's input_norm clips the net's inputs here (a spike's z can be huge)
)
ROLLING_MIN_STD = 1e-2  # the rolling z-score's std floor (scaled units), batch and stream
SCALE_FLOOR = (
    0.05  # error="scaled": the predicted error scale never drops below this (scaled units)
)
# Scaled values beyond these magnitudes (a 1e300 point in a unit-scale series) are clipped where a
# method would overflow: squares and sums stay finite in float64 below VALUE_CLIP, and float32
# networks and forests see at most NET_CLIP (far outside any training range: cells saturate, trees
# send it past their outermost split). Such a point still gets the largest score of its series.
VALUE_CLIP = 1e100
NET_CLIP = 1e6


def clip_values(x: np.ndarray, bound: float = VALUE_CLIP) -> np.ndarray:
    """x (any shape) as float64 with values beyond ±bound set to ±bound (NaN stays NaN)."""
    return np.clip(np.asarray(x, dtype=np.float64), -bound, bound)


def forecast_error(x: np.ndarray, out: np.ndarray, scaled: bool) -> np.ndarray:
    """The forecast detector's score from the values x (..., C) and the net's outputs for them:
    mean_c |x - x̂| (out = x̂, (..., C)), or with `scaled` mean_c |x - μ| / σ where out = (μ, r)
    (..., 2C) and σ = softplus(r) + SCALE_FLOOR, the scale of a Laplace prediction (the net is
    trained by its negative log-likelihood, so σ is its expected |error| at that point)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    C = x.shape[-1]
    err = np.abs(x - out[..., :C])
    if scaled:
        with np.errstate(invalid="ignore"):  # NaN outputs (no history yet) stay NaN
            err = err / (np.logaddexp(0.0, out[..., C:]) + SCALE_FLOOR)
    return err.mean(axis=-1)


def local_ratio(s: np.ndarray, window: int, floor: float = LOCAL_FLOOR) -> np.ndarray:
    """Surprise relative to the recent score level: s[t] / max(mean of the finite scores among
    s[t-window..t-1], floor). Causal; NaN until `window` // 2 past scores are finite. `s` (T,) is
    in units of the series' mean training score, so `floor` is a share of that typical score."""
    import pandas as pd

    s = np.asarray(s, dtype=np.float64)
    past = pd.Series(s).shift(1).rolling(window, min_periods=max(1, window // 2)).mean().to_numpy()
    return s / np.maximum(past, floor)


def rolling_min_periods(window: int) -> int:
    """Rows a rolling look-back of `window` needs before it gives a mean and std
    (batch and stream)."""
    return max(2, window // 2)


def rolling_standardise(x: np.ndarray, window: int, min_std: float = ROLLING_MIN_STD) -> np.ndarray:
    """(x[t] - mean) / std, both over the `window` rows before t (causal, population std floored at
    `min_std`), per column; NaN until rolling_min_periods(window) rows are seen.
    x: (T, C) -> (T, C). The rolling z-score is |.| of this; the forecast detector's `input_norm`
    feeds it to the net."""
    import pandas as pd

    f = pd.DataFrame(clip_values(x))
    past = f.shift(1).rolling(window, min_periods=rolling_min_periods(window))
    return ((f - past.mean()) / np.maximum(past.std(ddof=0).to_numpy(), min_std)).to_numpy()


def cover_mean(err: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Per-point mean of window errors over the windows that cover the point.

    err: (W, w) error of every position of every window; starts: (W,) window start rows; n: series
    length. Returns (n,) with NaN where no window covers the point.
    """
    W, w = err.shape
    acc, cnt = np.zeros(n), np.zeros(n)
    for k in range(w):
        np.add.at(acc, starts + k, err[:, k])
        np.add.at(cnt, starts + k, 1.0)
    out = np.full(n, np.nan)
    ok = cnt > 0
    out[ok] = acc[ok] / cnt[ok]
    return out


class RollingZ:
    """rolling_standardise one row at a time: (x - mean) / max(std, min_std) over the last
    `window` rows, NaN until rolling_min_periods(window) are seen; running sums, O(C) per point."""

    def __init__(self, window: int, n_features: int, min_std: float = ROLLING_MIN_STD):
        self.window, self.min_std, self.min_periods = window, min_std, rolling_min_periods(window)
        self.buf: deque = deque()
        self.s1 = np.zeros(n_features)
        self.s2 = np.zeros(n_features)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = clip_values(x)
        n = len(self.buf)
        if n >= self.min_periods:
            m = self.s1 / n
            sd = np.sqrt(np.maximum(self.s2 / n - m * m, 0.0))
            z = (x - m) / np.maximum(sd, self.min_std)
        else:
            z = np.full(len(x), np.nan)
        self.buf.append(x)
        self.s1 += x
        self.s2 += x * x
        if len(self.buf) > self.window:
            old = self.buf.popleft()
            self.s1 -= old
            self.s2 -= old * old
        return z
