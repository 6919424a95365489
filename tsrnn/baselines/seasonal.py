"""Classical seasonal adjustment and the M4 competition's Naive2 benchmark.

Naive2 (Makridakis et al., 2020) is the reference of M4's OWA: the series is divided by
multiplicative seasonal indices from a classical decomposition (centred moving average), but only
when the lag-m autocorrelation passes M4's 90% seasonality test; the last deseasonalised value is
carried forward and multiplied back by the indices of the next m steps.
"""

from __future__ import annotations

import numpy as np

from tsrnn.base import LocalModel
from tsrnn.baselines.simple import Prediction, _resid_sd, _unit, normal_intervals


def acf(y: np.ndarray, k: int) -> float:
    """Sample autocorrelation of y (T,) at lag k (the series' own mean and variance)."""
    y = np.asarray(y, float)
    u = _unit(y)
    d = y / u - np.mean(y / u)  # in units of max|y|: no overflow at 1e300, no underflow at 1e-300
    den = float(np.sum(d * d))
    if den == 0.0 or k >= len(y):
        return 0.0
    return float(np.sum(d[k:] * d[:-k]) / den) if k > 0 else 1.0


def seasonality_test(y: np.ndarray, m: int) -> bool:
    """M4's 90% test: |acf_m| > 1.645·sqrt((1 + 2·s)/T), where s = acf_1 + Σ_{k=2}^{m-1} acf_k².

    (s adds acf_1 unsquared, as the M4 organisers' benchmark code does; kept so that Naive2
    reproduces their published figures.)"""
    y = np.asarray(y, float)
    if m < 2 or len(y) < 3 * m:
        return False
    s = acf(y, 1) + sum(acf(y, k) ** 2 for k in range(2, m))
    limit = 1.645 * np.sqrt(max(1.0 + 2.0 * s, 0.0) / len(y))
    return abs(acf(y, m)) > limit


def classical_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Multiplicative seasonal indices (m,) of a classical decomposition, normalised to mean 1.

    Index j belongs to positions t with t % m == j. The trend is the centred moving average of
    order m (2×m for even m); each index is the mean of y / trend over its positions."""
    y = np.asarray(y, float)
    if m % 2 == 0:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        w = np.ones(m) / m
    trend = np.convolve(y, w, mode="valid")  # trend[i] is centred at t = i + len(w)//2
    off = len(w) // 2
    ratio = y[off : off + len(trend)] / trend
    pos = np.arange(off, off + len(trend)) % m
    idx = np.array([ratio[pos == j].mean() for j in range(m)])
    return idx / idx.mean()


class Naive2(LocalModel):
    """Naive forecast of the seasonally adjusted series (M4's benchmark; multiplicative indices
    only when `seasonality_test` passes and the series is positive)."""

    default_alias = "Naive2"

    def __init__(self, season_length: int | None = None, alias: str | None = None):
        self.season_length = season_length
        self.alias = alias

    def fit(self, y: np.ndarray) -> Naive2:
        y = np.asarray(y, dtype=np.float64)
        m = self._m()
        self.m_ = m
        self.seasonal_ = bool(m > 1 and np.all(y > 0) and seasonality_test(y, m))
        self.indices_ = classical_indices(y, m) if self.seasonal_ else np.ones(max(m, 1))
        self.T_ = len(y)
        adj = y / self.indices_[np.arange(len(y)) % len(self.indices_)]
        self.last_ = float(adj[-1])
        self.sigma_ = _resid_sd(np.diff(adj))
        return self

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        season = self.indices_[np.arange(self.T_, self.T_ + h) % len(self.indices_)]
        mean = self.last_ * season
        sd = self.sigma_ * np.sqrt(np.arange(1, h + 1)) * season
        return Prediction(mean, normal_intervals(mean, sd, list(levels)))
