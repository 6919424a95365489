"""One series' scoring pipeline, batch and streaming from the same parts.

    values (T, C) ─scale (series loc/scale)─▶ scorer ─÷ score_scale─▶ normaliser ─▶ threshold
                                                                               └─▶ cooldown

`SeriesPipeline.judge` runs the parts over a whole series (the scorer's `score`, the normaliser's
`transform`, the threshold's `apply`); `SeriesPipeline.stepper()` runs the same parts one point at
a time (the scorer's `stepper`, the normaliser's `stepper`, the threshold's `update`, the same
cooldown rule), so a stream started at the series' first value gives `judge`'s scores and flags.
Neither changes the pipeline: the threshold is copied (SPOT moves while it judges).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from tsrnn.anomaly.flags import suppress_repeats
from tsrnn.anomaly.thresholds import RTOL, Threshold
from tsrnn.errors import DataError

__all__ = ["SeriesPipeline", "Stepper", "as_row"]


def as_row(value, n_features: int) -> np.ndarray:
    """One stream value as a (C,) float64 row; DataError when it has the wrong number of columns."""
    v = np.asarray(value, dtype=np.float64).reshape(-1)
    if v.shape[0] != n_features:
        raise DataError(
            f"stream value has {v.shape[0]} column(s), the detector was fitted on {n_features}"
        )
    return v


class SeriesPipeline:
    """loc, scale: (C,) the series' scaling; scorer: fitted; score_scale: the series' mean
    training score; normaliser: fitted or None; threshold: fitted; cooldown: 0 or N points."""

    def __init__(
        self,
        loc,
        scale,
        scorer,
        score_scale: float,
        normaliser,
        threshold: Threshold,
        cooldown: int,
    ):
        self.loc = np.asarray(loc, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.scorer, self.score_scale, self.normaliser = scorer, float(score_scale), normaliser
        self.threshold, self.cooldown = threshold, int(cooldown)

    @property
    def n_features(self) -> int:
        return len(self.loc)

    def scores(self, values: np.ndarray) -> np.ndarray:
        """values (T, C) in the data's units -> (T,) scores (NaN: too little history)."""
        s = self.scorer.score((np.asarray(values, dtype=np.float64) - self.loc) / self.scale)
        s = s / self.score_scale
        return s if self.normaliser is None else self.normaliser.transform(s)

    def judge(self, values: np.ndarray, scores: np.ndarray | None = None, cooldown: bool = True):
        """-> (scores (T,), threshold per point (T,), anomalous (T,) bool); `scores` when already
        computed; cooldown=False gives the flags before the cooldown (what refits calibrate on)."""
        s = self.scores(values) if scores is None else scores
        level, flag = copy.deepcopy(self.threshold).apply(s)
        flag = flag & np.isfinite(s)
        return s, level, (suppress_repeats(flag, self.cooldown) if cooldown else flag)

    def explain(self) -> str:
        return self.threshold.explain()

    def stepper(self, backend: str = "auto") -> Stepper:
        """The pipeline one point at a time (see Stepper)."""
        return Stepper(self, backend)


class Stepper:
    """update(value) -> (score, is_anomaly) for one new value (a float, or (C,) for several
    columns); prime(history) feeds past values without judging them. O(1) work per point beyond
    the scorer's own step (one recurrent step, a running sum, a window)."""

    def __init__(self, pipe: SeriesPipeline, backend: str = "auto"):
        self.pipe, self.n_features = pipe, pipe.n_features
        self.step = pipe.scorer.stepper(self.n_features, backend)
        self.backend = getattr(self.step, "backend", "python")
        self.norm = None if pipe.normaliser is None else pipe.normaliser.stepper()
        self.threshold = copy.deepcopy(pipe.threshold)
        self.cooldown, self.since = pipe.cooldown, None  # points since the last exceedance
        self._loc, self._inv = float(pipe.loc[0]), 1.0 / float(pipe.scale[0])
        self._inv_ss = 1.0 / pipe.score_scale
        scalar = getattr(self.step, "update_scalar", None) if self.n_features == 1 else None
        self._scalar = scalar
        constant = type(self.threshold).update is Threshold.update
        if scalar is not None and constant and self.norm is None and not self.cooldown:
            self.update = self._fast_update()

    def _score(self, value) -> float:
        if self._scalar is not None:
            x = value if isinstance(value, float) else float(as_row(value, 1)[0])
            r = self._scalar((x - self._loc) * self._inv)
        else:
            r = self.step.update((as_row(value, self.n_features) - self.pipe.loc) / self.pipe.scale)
        s = r * self._inv_ss
        return s if self.norm is None else self.norm.update(s)

    def update(self, value) -> tuple[float, bool]:
        """Score one new value and judge it; a NaN score (too little history) is never anomalous."""
        s = self._score(value)
        if self.since is not None:
            self.since += 1
        if not math.isfinite(s):
            return s, False
        _, flag = self.threshold.update(s)
        if flag and self.cooldown:  # suppress_repeats: one alarm per burst
            quiet = self.since is None or self.since > self.cooldown
            self.since = 0  # counts from the last exceedance, alarm or not
            return s, quiet
        return s, bool(flag)

    def _fast_update(self):
        """update for one column, a constant threshold, no normaliser and no cooldown: plain float
        arithmetic around the scorer's scalar step (the same numbers as the generic path)."""
        step, loc, inv, inv_ss = self._scalar, self._loc, self._inv, self._inv_ss
        v = float(self.threshold.value_)
        thr = v + RTOL * abs(v)

        def update(value) -> tuple[float, bool]:
            x = value if isinstance(value, float) else float(as_row(value, 1)[0])
            s = step((x - loc) * inv) * inv_ss
            return s, s > thr

        return update

    def prime(self, history) -> Stepper:
        """Feed past values (T,) or (T, C) without judging them (the threshold is not touched)."""
        h = np.asarray(history, dtype=np.float64)
        for v in h.reshape(len(h), -1):
            self._score(float(v[0]) if self.n_features == 1 else v)
            if self.since is not None:
                self.since += 1
        return self
