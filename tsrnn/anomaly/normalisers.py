"""Score normalisers: a separate part of a detector, applied to one series' scores after they are
divided by the series' mean training score (see tsrnn.anomaly.detector).

Interface (every normaliser): __init__(**options) stores them; fit(scores: list of (T,)) -> self
(training-part scores of each series, may be a no-op); transform(s (T,)) -> (T,), causal;
stepper() -> object whose update(s: float) -> float equals transform element-wise; get_params().
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tsrnn.anomaly.arrays import LOCAL_FLOOR, local_ratio
from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError

__all__ = ["LocalRatio"]


class _LocalStep:
    """local_ratio one score at a time (O(1) per point)."""

    def __init__(self, window: int, floor: float):
        self.window, self.floor, self.min_periods = window, floor, max(1, window // 2)
        self.buf: deque = deque()
        self.total, self.count = 0.0, 0

    def update(self, s: float) -> float:
        out = (
            s / max(self.total / self.count, self.floor)
            if self.count >= self.min_periods
            else float("nan")
        )
        self.buf.append(s)
        if math.isfinite(s):
            self.total += s
            self.count += 1
        if len(self.buf) > self.window:
            old = self.buf.popleft()
            if math.isfinite(old):
                self.total -= old
                self.count -= 1
        return out


class LocalRatio(BaseEstimator):
    """Surprise relative to the recent score level: s[t] / max(mean of the finite scores among the
    `window` before t, floor) (tsrnn.anomaly.arrays.local_ratio); NaN for the first window // 2
    points. A burst of large errors in a noisy stretch then alarms once, not at every point."""

    name = "local"

    def __init__(self, window: int = 64, floor: float = LOCAL_FLOOR):
        self.window, self.floor = window, floor

    def __eq__(self, other) -> bool:
        """Same class and the same options (a fitted and an unfitted one compare equal)."""
        return type(self) is type(other) and self.get_params() == other.get_params()

    __hash__ = None

    def validate(self) -> None:
        """ConfigError for an unusable window (no scores needed)."""
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 2:
            raise ConfigError(
                f"the local normaliser's window must be a whole number >= 2 (got {self.window!r})"
            )

    def fit(self, scores: list[np.ndarray]) -> LocalRatio:
        self.validate()
        return self

    def transform(self, s: np.ndarray) -> np.ndarray:
        return local_ratio(s, self.window, self.floor)

    def stepper(self) -> _LocalStep:
        return _LocalStep(self.window, self.floor)
