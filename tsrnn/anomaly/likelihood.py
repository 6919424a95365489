"""Score normalisers that judge a score against the series' own score distribution.

Two normalisers, each to the same small surface (fit on training-part scores, causal
`transform`, a `stepper` whose `update` gives the same values one point at a time):

- `AnomalyLikelihood`: the tail probability of the recent score level under the long-run one.
- `TailLevelRatio`: the score divided by the series' own tail level (a POT / SPOT threshold
  fitted on its training-part scores; with SPOT the level keeps learning from the judged points).

Anomaly likelihood. A raw anomaly score (a forecast error, a reconstruction error, an ensemble
score) means different things on different series: an error of 3 typical training errors is routine
on a noisy series and alarming on a smooth one, and a series' noise level drifts after the training
part. The anomaly likelihood (after HTM's, Ahmad et al. 2017) asks instead how rare the *recent*
score level is under the series' own *long-run* score distribution:

    m[t]      = mean of the finite scores among s[t-short+1 .. t]          (short-term level)
    mu, sd    = mean and (population) std of the finite m[t-long .. t-1]   (long-run level)
    z[t]      = (m[t] - mu) / max(sd, min_std)
    out[t]    = -log10(Q(z[t])),  Q(z) = P(N(0, 1) > z)                     (tail probability)

so out[t] = k reads "a score level this high happens about once in 10**k points under the recent
history"; a fixed threshold on it ("fixed:4") is a tail-probability level. Causal: out[t] depends
on s[:t+1] only; NaN until `min_history` finite short-term levels precede t. Scores are clipped
to ±`clip` first (scores are in units of the series' typical training score), which bounds the
round-off of the rolling sums after a huge spike.

    lik = AnomalyLikelihood(short=8, long=1024)
    out = lik.fit(train_scores).transform(scores)     # (T,) -> (T,); fit learns nothing
    st = lik.stepper(); [st.update(v) for v in scores]  # the same values, one point at a time
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError

__all__ = [
    "AnomalyLikelihood",
    "LikelihoodStepper",
    "TailLevelRatio",
    "TailRatioStepper",
    "tail_decades",
    "LEVEL_FLOOR",
]

LEVEL_FLOOR = (
    1e-12  # TailLevelRatio's level never drops below this (a constant zero training score)
)

LN10 = math.log(10.0)


def tail_decades(z: np.ndarray | float) -> np.ndarray | float:
    """-log10 P(N(0, 1) > z), elementwise (z any shape; NaN stays NaN); accurate far in the tail."""
    from scipy.special import log_ndtr

    return -log_ndtr(-np.asarray(z, dtype=np.float64)) / LN10


class AnomalyLikelihood(BaseEstimator):
    """Score normaliser: tail probability (in decades, -log10) of the short-term mean score under
    the mean and std of the long trailing window of short-term means.

    short: points in the short-term mean (1: the score itself). long: points in the trailing
    window whose short-term means give the reference distribution. min_history: finite
    short-term means that window needs before an output (earlier outputs are NaN). min_std: floor
    of the reference std (score units; keeps a perfectly flat stretch from making every wobble
    infinitely rare). clip: scores are clipped to ±clip first.
    """

    def __init__(
        self,
        short: int = 8,
        long: int = 1024,
        min_history: int = 64,
        min_std: float = 0.05,
        clip: float = 1e4,
    ):
        self.short, self.long, self.min_history, self.min_std, self.clip = (
            short,
            long,
            min_history,
            min_std,
            clip,
        )

    def _check(self) -> None:
        for name in ("short", "long", "min_history"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ConfigError(
                    f"AnomalyLikelihood: {name} must be a whole number >= 1 (got {v!r})"
                )
        if self.min_history > self.long:
            raise ConfigError(
                f"AnomalyLikelihood: min_history ({self.min_history}) must not exceed long "
                f"({self.long})"
            )
        if not (self.min_std > 0 and math.isfinite(self.min_std)):
            raise ConfigError(
                f"AnomalyLikelihood: min_std must be a finite number > 0 (got {self.min_std!r})"
            )
        if not (self.clip > 0):
            raise ConfigError(f"AnomalyLikelihood: clip must be > 0 (got {self.clip!r})")

    def fit(self, scores: list[np.ndarray] | None = None) -> AnomalyLikelihood:
        """Check the options; nothing is learned (each series is judged by its own past)."""
        self._check()
        self.fitted_ = True
        return self

    def transform(self, s: np.ndarray) -> np.ndarray:
        """(T,) scores -> (T,) likelihood in decades (NaN where history is too short)."""
        import pandas as pd

        self._check()
        s = np.clip(np.asarray(s, dtype=np.float64).reshape(-1), -self.clip, self.clip)
        s = np.where(np.isfinite(s), s, np.nan)
        m = pd.Series(s).rolling(self.short, min_periods=1).mean()
        ref = m.shift(1).rolling(self.long, min_periods=self.min_history)
        mu, sd = ref.mean().to_numpy(), ref.std(ddof=0).to_numpy()
        z = (m.to_numpy() - mu) / np.maximum(sd, self.min_std)
        return tail_decades(z)

    def stepper(self) -> LikelihoodStepper:
        """A streaming copy: .update(score) -> the value transform gives at that point."""
        self._check()
        return LikelihoodStepper(self.short, self.long, self.min_history, self.min_std, self.clip)


class LikelihoodStepper:
    """One series' AnomalyLikelihood, point by point (O(long) per point)."""

    def __init__(self, short: int, long: int, min_history: int, min_std: float, clip: float):
        self.min_history, self.min_std, self.clip = min_history, min_std, clip
        self.recent: deque = deque(maxlen=short)
        self.levels: deque = deque(maxlen=long)

    def update(self, s: float) -> float:
        s = float(s)
        s = min(max(s, -self.clip), self.clip) if math.isfinite(s) else math.nan
        self.recent.append(s)
        r = np.array(self.recent)
        r = r[np.isfinite(r)]
        m = float(r.mean()) if len(r) else math.nan
        past = np.array(self.levels)
        past = past[np.isfinite(past)]
        self.levels.append(m)
        if len(past) < self.min_history or not math.isfinite(m):
            return math.nan
        z = (m - float(past.mean())) / max(float(past.std()), self.min_std)
        return float(tail_decades(z))


class TailLevelRatio(BaseEstimator):
    """Score normaliser: s[t] / level[t], where level is the threshold `threshold` (a spec for
    tsrnn.anomaly.thresholds.parse_threshold, e.g. "spot:1e-3" or "pot:1e-3") fitted on the
    series' training-part scores. 1 is the series' own tail level at that risk, so a threshold
    "fixed:1.5" on the output means "1.5 times this series' 1e-3 tail level", whatever the
    scorer's units. With "spot:..." the level keeps learning from every judged score that does
    not exceed it (SPOT, Siffer et al. 2017), so it follows a series whose noise changes; the level
    used at t is the one before s[t] is seen (causal). NaN scores stay NaN and teach nothing.

    fit pools the arrays it is given: give it one series' training scores for a per-series level.
    """

    fit_call = "fit(scores)"

    def __init__(self, threshold: str = "spot:1e-3"):
        self.threshold = threshold

    def fit(self, scores: list[np.ndarray]) -> TailLevelRatio:
        """Fit the tail level on the finite training scores (a list of (T_s,) arrays, pooled)."""
        from tsrnn.anomaly.thresholds import parse_threshold

        parts = [np.asarray(s, dtype=np.float64).reshape(-1) for s in scores]
        s = np.concatenate(parts) if parts else np.empty(0)
        s = s[np.isfinite(s)]
        if not len(s):
            raise ConfigError(
                "TailLevelRatio needs at least one finite training score to fit its level"
            )
        self.level_ = parse_threshold(self.threshold).fit(s)
        self.fitted_ = True
        return self

    def transform(self, s: np.ndarray) -> np.ndarray:
        """(T,) scores -> (T,) score / tail level (the fitted state is left unchanged)."""
        import copy

        self._check_fitted()
        s = np.asarray(s, dtype=np.float64).reshape(-1)
        level, _ = copy.deepcopy(self.level_).apply(s)
        with np.errstate(invalid="ignore"):
            return s / np.maximum(np.asarray(level, dtype=np.float64), LEVEL_FLOOR)

    def stepper(self) -> TailRatioStepper:
        """A streaming copy of the fitted level: .update(score) -> the value transform gives."""
        import copy

        self._check_fitted()
        return TailRatioStepper(copy.deepcopy(self.level_))


class TailRatioStepper:
    """One series' TailLevelRatio, point by point (SPOT: one update of its peaks per point)."""

    def __init__(self, level):
        self.level = level

    def update(self, s: float) -> float:
        level, _ = self.level.update(float(s))
        return float(s) / max(float(level), LEVEL_FLOOR)
