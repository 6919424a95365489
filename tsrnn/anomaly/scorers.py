"""Statistical anomaly scorers on arrays (the baselines): rolling z-score, STL residual, IsolationForest.

Every scorer has the same small surface; it works on one scaled series at a time and never sees a
frame (the detector owns the frames):

    scorer.fit(train: list[np.ndarray])   # each (T_s, C) float, scaled per series -> self
    scorer.score(x: np.ndarray) -> (T,)    # per-point scores, NaN where the method has no opinion yet

Several value columns (C > 1) are scored jointly: the largest per-column score (z-score, STL) or
one feature vector over all columns (IsolationForest).
"""

from __future__ import annotations

import numpy as np

from tsrnn.errors import ConfigError, DataError

__all__ = ["ZScoreScorer", "STLScorer", "IForestScorer", "cover_mean", "local_ratio", "rolling_standardise",
           "rolling_min_periods", "forecast_error", "LOCAL_FLOOR", "INPUT_CLIP", "SCALE_FLOOR",
           "VALUE_CLIP", "NET_CLIP", "clip_values"]

LOCAL_FLOOR = 0.1  # local_ratio's denominator never drops below a tenth of the typical training score
INPUT_CLIP = 10.0  # the forecast detector's input_norm clips the net's inputs here (a spike's z can be huge)
ROLLING_MIN_STD = 1e-2  # the rolling z-score's std floor (scaled units), batch and stream
SCALE_FLOOR = 0.05  # error="scaled": the predicted error scale never drops below this (scaled units)
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
    """Rows a rolling look-back of `window` needs before it gives a mean and std (batch and stream)."""
    return max(2, window // 2)


def rolling_standardise(x: np.ndarray, window: int, min_std: float = ROLLING_MIN_STD) -> np.ndarray:
    """(x[t] - mean) / std, both over the `window` rows before t (causal, population std floored at
    `min_std`), per column; NaN until rolling_min_periods(window) rows are seen. x: (T, C) -> (T, C).
    The rolling z-score is |.| of this; the forecast detector's `input_norm` feeds it to the net."""
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


class ZScoreScorer:
    """|x_t - mean| / std over the `window` points before t (causal; NaN until `window`/2 points are
    seen); std (population) floored at `min_std`."""

    def __init__(self, window: int = 48, min_std: float = ROLLING_MIN_STD):
        if window < 2:
            raise ConfigError(f"window must be >= 2 for the rolling z-score (got {window})")
        self.window, self.min_std = window, min_std

    def fit(self, train: list[np.ndarray]) -> ZScoreScorer:
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.abs(rolling_standardise(x, self.window, self.min_std)).max(axis=1)


class STLScorer:
    """STL decomposition (statsmodels) of the judged series; score = |residual - median| over
    1.4826·MAD of the training residuals. STL is two-sided: a point's score uses later points too.
    robust=False by default (the robust fit absorbed isolated spikes in our tests); a series shorter
    than two seasons is decomposed with the longest period it holds."""

    def __init__(self, period: int = 24, robust: bool = False):
        self.period, self.robust = period, robust

    def _resid(self, x: np.ndarray) -> np.ndarray:
        from statsmodels.tsa.seasonal import STL

        if self.period < 2:
            raise ConfigError("STL needs a season length >= 2; pass period=... (--period) for this data")
        if len(x) < 7:
            raise DataError(f"STL needs at least 7 points, a series has {len(x)}")
        # a series shorter than two seasons is decomposed with the longest period it can hold
        period = min(self.period, (len(x) - 1) // 2)
        x = clip_values(x)
        out = np.empty_like(x)
        for c in range(x.shape[1]):
            out[:, c] = STL(x[:, c], period=period, robust=self.robust).fit().resid
        return out

    def fit(self, train: list[np.ndarray]) -> STLScorer:
        r = np.concatenate([self._resid(x) for x in train])
        self.med_ = np.median(r, axis=0)
        mad = 1.4826 * np.median(np.abs(r - self.med_), axis=0)
        self.mad_ = np.where(mad > 1e-9, mad, np.maximum(r.std(axis=0), 1e-9))
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return (np.abs(self._resid(x) - self.med_) / self.mad_).max(axis=1)


class IForestScorer:
    """IsolationForest (scikit-learn) on window features: for the `window` most recent values of
    every column, the last value, its first difference, the window's mean, std, min, max and the
    last value minus the mean. A point is scored by the window that ends at it (causal),
    score = -score_samples (higher = more anomalous). `train_` keeps the series it learned from:
    a saved detector stores them and fits the forest again on load (the same trees: the forest is
    seeded), since sklearn's trees have no data-only format."""

    def __init__(self, window: int = 16, n_estimators: int = 100, seed: int = 0):
        self.window, self.n_estimators, self.seed = window, n_estimators, seed

    def _features(self, x: np.ndarray) -> np.ndarray:
        from numpy.lib.stride_tricks import sliding_window_view

        x = clip_values(x, NET_CLIP)  # sklearn's trees compare in float32
        if len(x) < self.window:
            raise DataError(f"IsolationForest with window {self.window} needs at least that many points, "
                            f"a series has {len(x)}")
        v = sliding_window_view(x, self.window, axis=0)  # (W, C, w)
        last, mean = v[:, :, -1], v.mean(axis=2)
        feats = [last, last - v[:, :, -2], mean, v.std(axis=2), v.min(axis=2), v.max(axis=2), last - mean]
        return np.concatenate(feats, axis=1)

    def fit(self, train: list[np.ndarray]) -> IForestScorer:
        from sklearn.ensemble import IsolationForest

        self.train_ = [np.asarray(x, dtype=np.float64) for x in train]
        feats = np.concatenate([self._features(x) for x in self.train_])
        self.model_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed).fit(feats)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), np.nan)
        out[self.window - 1 :] = -self.model_.score_samples(self._features(x))
        return out
