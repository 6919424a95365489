"""Level-shift scorer: how far the mean of the newest points moved from the mean just before them.

    score[t] = |mean(x[t-short+1 .. t]) - mean(x[t-short-long+1 .. t-short])|
               / max(std(x[t-short-long+1 .. t-short]), min_std)

The reference window (`long` points) ends where the recent window (`short` points) starts, so a
step in the level scores high for about `short` points after it, however slowly the series varied
before; a single spike moves the recent mean by only 1/short of its size. The score at t uses
the points up to t (causal), NaN until short + long points are seen. Several columns: the largest
column's score. It has the scorer surface of tsrnn.anomaly.scorers (validate, fit, score,
stepper, state, restore) and, like every member, is meant to be put on its own tail scale
(tsrnn.anomaly.likelihood.TailLevelRatio / tsrnn.anomaly.tail_combine.TailRatioMax) before it is
combined with others.
"""

from __future__ import annotations

import numpy as np

from tsrnn.anomaly.arrays import ROLLING_MIN_STD, clip_values
from tsrnn.anomaly.scorers import Scorer, WindowStep, check_window

__all__ = ["LevelShiftScorer", "level_shift"]


def level_shift(
    x: np.ndarray, short: int = 16, long: int = 64, min_std: float = ROLLING_MIN_STD
) -> np.ndarray:
    """(T,) or (T, C) values -> (T,) level-shift scores (the largest over columns), NaN before
    short + long points. Population std of the reference window, floored at min_std (x's units)."""
    x = clip_values(np.asarray(x, dtype=np.float64))
    if x.ndim == 1:
        x = x[:, None]
    n, span = len(x), short + long
    out = np.full(n, np.nan)
    if n < span:
        return out
    win = np.lib.stride_tricks.sliding_window_view(x, span, axis=0)  # (n - span + 1, C, span)
    ref, rec = win[..., :long], win[..., long:]
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.abs(rec.mean(-1) - ref.mean(-1)) / np.maximum(ref.std(-1), min_std)
    out[span - 1 :] = np.nanmax(z, axis=1) if z.shape[1] > 1 else z[:, 0]
    return out


class LevelShiftScorer(Scorer):
    """The level-shift score above; no fitted state (the options are all it needs)."""

    name = "level_shift"

    def __init__(self, short: int = 16, long: int = 64, min_std: float = ROLLING_MIN_STD):
        self.short, self.long, self.min_std = short, long, min_std

    def validate(self) -> None:
        check_window("the level-shift scorer's short window", self.short, lo=1)
        check_window("the level-shift scorer's long window", self.long)

    def fit(self, train: list[np.ndarray]) -> LevelShiftScorer:
        self.validate()
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """(T, C) scaled values -> (T,) scores."""
        return level_shift(x, self.short, self.long, self.min_std)

    def stepper(self, n_features: int, backend: str = "auto") -> WindowStep:
        """One row at a time: the score of the newest row from the last short + long rows."""
        return WindowStep(
            self.short + self.long, lambda w: level_shift(w, self.short, self.long, self.min_std)
        )
