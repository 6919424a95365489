"""Statistical anomaly scorers on arrays (the baselines): rolling z-score, STL residual,
IsolationForest.

Every scorer has the same small surface; it works on one scaled series at a time and never sees a
frame (the detector owns the frames). It owns its options (constructor arguments, `get_params`),
its fitted state and how that state goes into a model file:

    scorer.validate()                      # ConfigError naming a bad option (no data needed)
    scorer.fit(train: list[np.ndarray])   # each (T_s, C) float, scaled per series -> self
    scorer.score(x: np.ndarray) -> (T,)    # per-point scores, NaN where the method has no
                                           # opinion yet
    scorer.stepper(...)                    # .update(x (C,)) -> float: score() one row at a time
    scorer.state(tensors, prefix) -> dict  # fitted state: tensors added under prefix, JSON returned
    scorer.restore(tensors, prefix, info, n_features) -> self   # the inverse, on an unfitted scorer

Several value columns (C > 1) are scored jointly: the largest per-column score (z-score, STL) or
one feature vector over all columns (IsolationForest). The array arithmetic they share with the
other scorers (clipping, rolling standardisation, forecast error) is in tsrnn.anomaly.arrays.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tsrnn.anomaly.arrays import (
    NET_CLIP,
    ROLLING_MIN_STD,
    VALUE_CLIP,
    RollingZ,
    clip_values,
    rolling_min_periods,
    rolling_standardise,
)
from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError, DataError

__all__ = [
    "ZScoreScorer",
    "STLScorer",
    "IForestScorer",
    "Scorer",
    "check_window",
]


def check_window(name: str, value, lo: int = 2) -> None:
    """ConfigError unless `value` is an int >= lo (a scorer's look-back or window option)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ConfigError(f"{name} must be a whole number >= {lo} (got {value!r})")


class Scorer(BaseEstimator):
    """The common part of every scorer: options from the signature (`get_params`, `clone`), no
    fitted state of its own. Subclasses define fit, score, stepper, state and restore."""

    name = "scorer"  # the registry name (tsrnn.anomaly.catalog)
    fit_call = "fit(train)"
    causal = True  # a point's score uses only the points up to it (streamable)

    def __eq__(self, other) -> bool:
        """Same class and the same options (a fitted and an unfitted one compare equal)."""
        return type(self) is type(other) and self.get_params() == other.get_params()

    __hash__ = None

    def validate(self) -> None:
        """ConfigError naming the first unusable option."""

    def state(self, tensors: dict, prefix: str) -> dict:
        """Put the fitted state into `tensors` (keys under `prefix`); return its JSON part."""
        return {}

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int) -> Scorer:
        """Rebuild the fitted state written by `state` (tensors and JSON already checked)."""
        return self

    def stepper(self, n_features: int, backend: str = "auto"):
        raise ConfigError(f"the {self.name} scorer has no streaming step (it is not causal)")


class _ZStep:
    def __init__(self, window: int, n_features: int, min_std: float):
        self.rolling = RollingZ(window, n_features, min_std)
        if n_features == 1:
            self.update_scalar = self._scalar(window, min_std)

    def update(self, x: np.ndarray) -> float:
        """|z| of row x (C,), the largest column; use either update or update_scalar, not both."""
        return float(np.max(np.abs(self.rolling(x))))

    def _scalar(self, window: int, min_std: float):
        """RollingZ for one column in float arithmetic (the same operations, the same numbers)."""
        buf: deque = deque()
        sums = [0.0, 0.0]
        lo, sqrt, nan = rolling_min_periods(window), math.sqrt, float("nan")

        def update_scalar(x: float) -> float:
            x = min(max(x, -VALUE_CLIP), VALUE_CLIP) if x == x else x
            n = len(buf)
            if n >= lo:
                m = sums[0] / n
                sd = sqrt(max(sums[1] / n - m * m, 0.0))
                z = abs((x - m) / max(sd, min_std))
            else:
                z = nan
            buf.append(x)
            sums[0] += x
            sums[1] += x * x
            if len(buf) > window:
                old = buf.popleft()
                sums[0] -= old
                sums[1] -= old * old
            return z

        return update_scalar


class WindowStep:
    """A windowed scorer one row at a time: the last `window` rows are kept and `fn` scores the
    window that ends at the newest (O(window) per point)."""

    def __init__(self, window: int, fn):
        self.window, self.fn = window, fn
        self.buf: deque = deque(maxlen=window)

    def update(self, x: np.ndarray) -> float:
        self.buf.append(np.asarray(x, dtype=np.float64))
        if len(self.buf) < self.window:
            return float("nan")
        return float(self.fn(np.asarray(self.buf))[-1])


class ZScoreScorer(Scorer):
    """|x_t - mean| / std over the `window` points before t (causal; NaN until `window`/2 points are
    seen); std (population) floored at `min_std`. Several columns: the largest column's score."""

    name = "zscore"

    def __init__(self, window: int = 64, min_std: float = ROLLING_MIN_STD):
        self.window, self.min_std = window, min_std

    def validate(self) -> None:
        check_window("the z-score's window", self.window)

    def fit(self, train: list[np.ndarray]) -> ZScoreScorer:
        self.validate()
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.abs(rolling_standardise(x, self.window, self.min_std)).max(axis=1)

    def stepper(self, n_features: int, backend: str = "auto") -> _ZStep:
        return _ZStep(self.window, n_features, self.min_std)


class STLScorer(Scorer):
    """STL decomposition (statsmodels) of the judged series; score = |residual - median| over
    1.4826·MAD of the training residuals. STL is two-sided: a point's score uses later points too
    (no streaming step). robust=False by default (the robust fit absorbed isolated spikes in our
    tests); a series shorter than two seasons is decomposed with the longest period it holds.
    period None: the season length of the data's frequency (set by the detector at fit)."""

    name = "stl"
    uses_freq = True  # fit(train, freq): the default period comes from the frequency
    causal = False

    def __init__(self, period: int | None = None, robust: bool = False):
        self.period, self.robust = period, robust

    def validate(self) -> None:
        if self.period is not None:
            check_window("STL's period", self.period)

    def _resid(self, x: np.ndarray) -> np.ndarray:
        from statsmodels.tsa.seasonal import STL

        if self.period_ < 2:
            raise ConfigError("STL needs a season length >= 2; pass period=... for this data")
        if len(x) < 7:
            raise DataError(f"STL needs at least 7 points, a series has {len(x)}")
        # a series shorter than two seasons is decomposed with the longest period it can hold
        period = min(self.period_, (len(x) - 1) // 2)
        x = clip_values(x)
        out = np.empty_like(x)
        for c in range(x.shape[1]):
            out[:, c] = STL(x[:, c], period=period, robust=self.robust).fit().resid
        return out

    def fit(self, train: list[np.ndarray], freq: str | None = None) -> STLScorer:
        from tsrnn.data.freq import season_length

        self.validate()
        self.period_ = int(self.period or season_length(freq))
        r = np.concatenate([self._resid(x) for x in train])
        self.med_ = np.median(r, axis=0)
        mad = 1.4826 * np.median(np.abs(r - self.med_), axis=0)
        self.mad_ = np.where(mad > 1e-9, mad, np.maximum(r.std(axis=0), 1e-9))
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return (np.abs(self._resid(x) - self.med_) / self.mad_).max(axis=1)

    def state(self, tensors: dict, prefix: str) -> dict:
        tensors[f"{prefix}stl.med"] = np.asarray(self.med_, dtype=np.float64)
        tensors[f"{prefix}stl.mad"] = np.asarray(self.mad_, dtype=np.float64)
        return {"period": int(self.period_)}

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int) -> STLScorer:
        self.period_ = int(info["period"])
        self.med_ = np.asarray(tensors[f"{prefix}stl.med"], dtype=np.float64)
        self.mad_ = np.asarray(tensors[f"{prefix}stl.mad"], dtype=np.float64)
        return self


def window_features(x: np.ndarray, window: int) -> np.ndarray:
    """(T, C) -> (T - window + 1, 7C) features of every `window`-row window: for each column the
    last value, its first difference, the window's mean, std, min, max and last minus mean."""
    from numpy.lib.stride_tricks import sliding_window_view

    x = clip_values(x, NET_CLIP)  # sklearn's trees compare in float32
    if len(x) < window:
        raise DataError(
            f"a scorer with window {window} needs at least that many points, a series has {len(x)}"
        )
    v = sliding_window_view(x, window, axis=0)  # (W, C, w)
    last, mean = v[:, :, -1], v.mean(axis=2)
    feats = [
        last,
        last - v[:, :, -2],
        mean,
        v.std(axis=2),
        v.min(axis=2),
        v.max(axis=2),
        last - mean,
    ]
    return np.concatenate(feats, axis=1)


class IForestScorer(Scorer):
    """IsolationForest (scikit-learn) on window_features of the `window` most recent rows. A point
    is scored by the window that ends at it (causal), score = -score_samples (higher = more
    anomalous). `train_` keeps the series it learned from: a model file stores them and the seeded
    forest is fitted on them again on load (the same trees), since sklearn's trees have no
    data-only format."""

    name = "iforest"

    def __init__(self, window: int = 64, n_estimators: int = 100, seed: int = 0):
        self.window, self.n_estimators, self.seed = window, n_estimators, seed

    def validate(self) -> None:
        check_window("IsolationForest's window", self.window)
        check_window("n_estimators", self.n_estimators, 1)

    def _features(self, x: np.ndarray) -> np.ndarray:
        return window_features(x, self.window)

    def fit(self, train: list[np.ndarray]) -> IForestScorer:
        from sklearn.ensemble import IsolationForest

        self.validate()
        self.train_ = [np.asarray(x, dtype=np.float64) for x in train]
        feats = np.concatenate([self._features(x) for x in self.train_])
        self.model_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed).fit(
            feats
        )
        return self

    def _window_scores(self, x: np.ndarray) -> np.ndarray:
        return -self.model_.score_samples(self._features(x))

    def score(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        out = np.full(len(x), np.nan)
        out[self.window - 1 :] = self._window_scores(x)
        return out

    def stepper(self, n_features: int, backend: str = "auto") -> WindowStep:
        return WindowStep(self.window, self._window_scores)

    def state(self, tensors: dict, prefix: str) -> dict:
        tensors.update({f"{prefix}iforest.train.{i}": x for i, x in enumerate(self.train_)})
        return {}

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int) -> IForestScorer:
        key = f"{prefix}iforest.train."
        n = sum(1 for k in tensors if k.startswith(key))
        return self.fit([np.asarray(tensors[f"{key}{i}"], dtype=np.float64) for i in range(n)])
