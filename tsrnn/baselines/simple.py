"""Benchmark methods with closed-form forecasts and normal prediction intervals.

Every model works on one 1-D float array `y` (T,) and returns a `Prediction` of horizon h.
Interval formulas follow Hyndman & Athanasopoulos, Forecasting: Principles and Practice, §5.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from tsrnn.base import LocalModel


@dataclass
class Prediction:
    """Point forecast (h,) and intervals {level: (lo (h,), hi (h,))}."""

    mean: np.ndarray
    intervals: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def normal_intervals(mean: np.ndarray, sd: np.ndarray, levels: list[int]) -> dict:
    """Symmetric normal intervals mean ± z·sd for each level (percent)."""
    out = {}
    for level in levels:
        z = norm.ppf(0.5 + level / 200.0)
        out[level] = (mean - z * sd, mean + z * sd)
    return out


def _unit(y: np.ndarray) -> float:
    """max |y| (1 for an all-zero or empty y): dividing by it first keeps squares and sums of
    values at any finite scale from overflowing (1e300) or underflowing (1e-200)."""
    m = float(np.max(np.abs(y))) if len(y) else 0.0
    return m if m > 0 else 1.0


def _resid_sd(e: np.ndarray, n_params: int = 0) -> float:
    e = e[np.isfinite(e)]
    if len(e) <= n_params:
        return float("nan")
    u = _unit(e)
    return float(np.sqrt(np.sum((e / u) ** 2) / (len(e) - n_params)) * u)


class Naive(LocalModel):
    """Last value carried forward; sd_h = σ·√h."""

    default_alias = "Naive"

    def __init__(self, alias: str | None = None):
        self.alias = alias

    def fit(self, y: np.ndarray) -> Naive:
        self.y_ = np.asarray(y, dtype=np.float64)
        u = _unit(self.y_)
        self.sigma_ = _resid_sd(np.diff(self.y_ / u)) * u
        return self

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        mean = np.full(h, self.y_[-1])
        sd = self.sigma_ * np.sqrt(np.arange(1, h + 1))
        return Prediction(mean, normal_intervals(mean, sd, list(levels)))


class SeasonalNaive(LocalModel):
    """Value of the same season one cycle earlier; sd_h = σ·√(⌊(h−1)/m⌋ + 1)."""

    default_alias = "SeasonalNaive"

    def __init__(self, season_length: int | None = None, alias: str | None = None):
        self.season_length = season_length
        self.alias = alias

    def fit(self, y: np.ndarray) -> SeasonalNaive:
        y = np.asarray(y, dtype=np.float64)
        m = self._m() if len(y) >= self._m() else 1
        self.m_ = m
        self.y_ = y
        u = _unit(y)
        self.sigma_ = _resid_sd(y[m:] / u - y[:-m] / u) * u
        return self

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        m = self.m_
        last = self.y_[-m:]
        mean = np.array([last[i % m] for i in range(h)])
        k = np.arange(h) // m
        sd = self.sigma_ * np.sqrt(k + 1)
        return Prediction(mean, normal_intervals(mean, sd, list(levels)))


class Drift(LocalModel):
    """Line through the first and last observation; sd_h = σ·√(h(1 + h/(T−1)))."""

    default_alias = "Drift"

    def __init__(self, alias: str | None = None):
        self.alias = alias

    def fit(self, y: np.ndarray) -> Drift:
        y = np.asarray(y, dtype=np.float64)
        self.y_ = y
        T = len(y)
        u = _unit(y)
        self.slope_ = (y[-1] / u - y[0] / u) / (T - 1) * u if T > 1 else 0.0
        self.sigma_ = _resid_sd(np.diff(y / u) - self.slope_ / u, n_params=1) * u
        return self

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        steps = np.arange(1, h + 1)
        mean = self.y_[-1] + self.slope_ * steps
        T = len(self.y_)
        sd = self.sigma_ * np.sqrt(steps * (1 + steps / max(T - 1, 1)))
        return Prediction(mean, normal_intervals(mean, sd, list(levels)))


class HistoricMean(LocalModel):
    """Mean of the history; sd = s·√(1 + 1/T)."""

    default_alias = "Mean"

    def __init__(self, alias: str | None = None):
        self.alias = alias

    def fit(self, y: np.ndarray) -> HistoricMean:
        y = np.asarray(y, dtype=np.float64)
        u = _unit(y)
        self.mu_ = float((y / u).mean() * u)
        sd = float((y / u).std(ddof=1) * u) if len(y) > 1 else float("nan")
        self.sd_ = sd * np.sqrt(1 + 1 / len(y))
        return self

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        mean = np.full(h, self.mu_)
        return Prediction(mean, normal_intervals(mean, np.full(h, self.sd_), list(levels)))
