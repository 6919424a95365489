"""Several anomaly scores of one series combined on the scale of each one's own tail level.

Members (a forecast error, a rolling z-score, ...) disagree on units and on how heavy their
tails are; dividing each by its own tail level (`tsrnn.anomaly.likelihood.TailLevelRatio`, a
SPOT/POT threshold fitted on that member's training-part scores of this series) puts them on
one scale where 1 means "this member's own 1e-3 tail here". The combined score is the largest
ratio: a point is as anomalous as the member that finds it most surprising.

    comb = TailRatioMax("spot:1e-3").fit([train_forecast_scores, train_zscores])   # one series
    out = comb.transform(np.stack([forecast_scores, zscores]))                     # (M, T) -> (T,)
    st = comb.stepper(); st.update([f_t, z_t])                                      # streaming

Causal like its members: out[t] uses the member scores up to t; NaN where any member is NaN.
"""

from __future__ import annotations

import math

import numpy as np

from tsrnn.anomaly.likelihood import TailLevelRatio
from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError

__all__ = ["TailRatioMax", "TailRatioMaxStepper"]


class TailRatioMax(BaseEstimator):
    """threshold: the tail level of every member (a parse_threshold spec, default "spot:1e-3")."""

    fit_call = "fit(member_scores)"

    def __init__(self, threshold: str = "spot:1e-3"):
        self.threshold = threshold

    def fit(self, member_scores: list[np.ndarray]) -> TailRatioMax:
        """member_scores: one (T_train,) array of training-part scores per member (one series)."""
        if not len(member_scores):
            raise ConfigError("TailRatioMax needs the training scores of at least one member")
        self.ratios_ = [TailLevelRatio(self.threshold).fit([s]) for s in member_scores]
        self.fitted_ = True
        return self

    def transform(self, parts: np.ndarray) -> np.ndarray:
        """(M, T) member scores (the fitted order) -> (T,) the largest member ratio."""
        self._check_fitted()
        parts = np.atleast_2d(np.asarray(parts, dtype=np.float64))
        if parts.shape[0] != len(self.ratios_):
            raise ConfigError(
                f"TailRatioMax was fitted on {len(self.ratios_)} members, got {parts.shape[0]}"
            )
        r = np.stack([n.transform(p) for n, p in zip(self.ratios_, parts)])
        return np.where(np.isfinite(r).all(axis=0), r.max(axis=0), np.nan)

    def stepper(self) -> TailRatioMaxStepper:
        self._check_fitted()
        return TailRatioMaxStepper([n.stepper() for n in self.ratios_])


class TailRatioMaxStepper:
    """TailRatioMax point by point: .update(member values, length M) -> float."""

    def __init__(self, steppers: list):
        self.steppers = steppers

    def update(self, values) -> float:
        v = [st.update(x) for st, x in zip(self.steppers, values, strict=True)]
        return max(v) if all(math.isfinite(x) for x in v) else math.nan
