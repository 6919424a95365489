"""Online refitting, one part of a detector: `Refit(every=N, history=H)`.

The points after the end of a series' training part are judged in blocks of N: the first block by
the fitted detector, every later block by a detector fitted again (same settings and seed) on the
series up to that block (its last H points; H = 0: all of them), whose model and thresholds then
judge it. Each series adapts on its own. As in SPOT, the points already flagged are left out of a
refit's threshold calibration (its model still learns from them), so one past anomaly does not
raise every later threshold; when more than 1% of the judged points were flagged, the flags are
taken for a change of regime and every point calibrates (`flags.judged_flags`). A refit runs about
as many optimisation steps as the first fit: its epochs are scaled by (points of the first fit /
points of the refit), rounded, at least 1. The cooldown acts on the whole series after the refits.

`adapt` does this over a whole series (batch); `AdaptiveStepper` one point at a time, refitting at
the same points, so its scores equal `adapt`'s. Both use only the detector's public surface
(`refitted`, `fit_thresholds`, `pipeline`, the fitted attributes).
"""

from __future__ import annotations

import hashlib
from collections import deque

import numpy as np
import pandas as pd

from tsrnn.anomaly.flags import judged_flags, series_frame, suppress_repeats
from tsrnn.anomaly.pipeline import as_row
from tsrnn.base import BaseEstimator
from tsrnn.errors import ConfigError

__all__ = ["Refit", "adapt", "AdaptiveStepper"]


class Refit(BaseEstimator):
    """every: block length N (points) after the training part; history: points a refit learns
    from (0: all of the series so far)."""

    def __init__(self, every: int = 1000, history: int = 0):
        self.every, self.history = every, history

    @classmethod
    def parse(cls, spec: str, option: str = "--refit") -> Refit:
        """Refit from "N" or "N:H" (whole numbers); ConfigError naming `option` otherwise."""
        every, _, history = str(spec).partition(":")
        try:
            return cls(int(every), int(history or 0))
        except ValueError:
            raise ConfigError(f"{option} '{spec}' is not N or N:H (whole numbers)") from None

    def __eq__(self, other) -> bool:
        """Same class and the same options (a fitted and an unfitted one compare equal)."""
        return type(self) is type(other) and self.get_params() == other.get_params()

    __hash__ = None

    def validate(self, window: int | None = None) -> None:
        for key, lo in (("every", 1), ("history", 0)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConfigError(f"refit {key} must be a whole number >= {lo} (got {v!r})")
        if self.history and window is not None and self.history <= window:
            raise ConfigError(
                f"refit history ({self.history}) must exceed the scorer's window "
                f"({window}): a refit learns from at least one window"
            )

    def points(self, n: int, start: int) -> list[tuple[int, int, int]]:
        """(lo, b, e) for every refit over a series of n points whose training part ends before
        row `start`: fit on rows lo:b, judge rows b:e."""
        N, H = self.every, self.history
        return [(max(0, b - H) if H else 0, b, min(b + N, n)) for b in range(start + N, n, N)]


def adapt(det, k: int, uid: str, ds: np.ndarray, values: np.ndarray, cache: dict) -> tuple:
    """Judge series k (fitted series index) of `det` with its refits: ds (T,), values (T, C) ->
    (scores, levels, flags after the cooldown, explanation). `cache` keeps refitted detectors
    between calls (key: series, rows and a digest of the data); the used ones stay in it."""
    pipe = det.pipeline(k)
    score, level, flag = pipe.judge(values, cooldown=False)
    start = int(np.searchsorted(ds, np.datetime64(det.fit_end_[k], "ns"), side="right"))
    refits = det.refit.points(len(values), start)
    explanation = pipe.explain()
    for lo, b, e in refits:
        key = (k, lo, b, hashlib.blake2b(values[lo:b].tobytes(), digest_size=16).hexdigest())
        sub = cache.get(key)
        if sub is None:
            sub = det.refitted(
                k, series_frame(uid, ds[lo:b], values[lo:b], det.targets_, det.freq_)
            )
            cache[key] = sub
        # the flags depend on the threshold spec, so a cached refit is re-thresholded every time
        sub.threshold = det.threshold
        left_out = judged_flags(flag[lo:b], lo, start)
        sub.fit_thresholds([left_out])
        s, lv, f = sub.pipeline(0).judge(values[lo:e], cooldown=False)
        score[b:e], level[b:e], flag[b:e] = s[b - lo :], lv[b - lo :], f[b - lo :]
        explanation = (
            f"{sub.pipeline(0).explain()} (refit {len(refits)} time(s), every "
            f"{det.refit.every} points; this is the last, calibrated without the "
            f"{int(left_out.sum())} point(s) flagged before it)"
        )
    return score, level, suppress_repeats(flag, det.cooldown), explanation


class AdaptiveStepper:
    """The stepper of a detector with a Refit: a fixed pipeline's stepper replaced, every N points
    after the training part, by that of a detector refitted on the values seen so far (the last
    `history`), warmed up by running it over them. Positions count from the series' first value
    (prime() with the training values, or the stream itself, must start there), so the refits
    fall where `detect` makes them. Work: O(1) per point between refits, one fit per N points."""

    def __init__(self, det, k: int, backend: str = "auto"):
        self.det, self.k, self.requested = det, k, backend
        self.unique_id, self.n_features = det.ids_[k], len(det.targets_)
        self.inner = self._fixed(det.pipeline(k))
        self.cooldown, self.since = det.cooldown, None
        self.history: deque = deque(maxlen=det.refit.history or None)
        self.flagged: deque = deque(maxlen=det.refit.history or None)  # before the cooldown
        self.pos, self.refits = 0, 0
        self.next_refit = det.fit_lengths_[k] + det.refit.every

    def _fixed(self, pipe):
        pipe.cooldown = 0  # the cooldown acts on the whole stream, across refits
        return pipe.stepper(self.requested)

    @property
    def threshold(self):
        return self.inner.threshold

    @property
    def backend(self) -> str:
        return self.inner.backend

    def _advance(self) -> None:
        if self.pos != self.next_refit:
            return
        values = np.array(self.history)
        ds = pd.date_range("2000-01-01", periods=len(values), freq="s")  # only the order matters
        sub = self.det.refitted(
            self.k, series_frame(self.unique_id, ds, values, self.det.targets_, self.det.freq_)
        )
        sub.fit_thresholds(
            [
                judged_flags(
                    np.array(self.flagged, dtype=bool),
                    self.pos - len(values),
                    self.det.fit_lengths_[self.k],
                )
            ]
        )
        self.inner = self._fixed(sub.pipeline(0))
        for v in values:  # the state, and a SPOT threshold, as detect leaves them at this point
            self.inner.update(v if self.n_features > 1 else float(v[0]))
        self.refits += 1
        self.next_refit += self.det.refit.every

    def update(self, value) -> tuple[float, bool]:
        """Score one new value and judge it (refitting first when a block starts here)."""
        v = as_row(value, self.n_features)
        self._advance()
        score, flag = self.inner.update(v if self.n_features > 1 else float(v[0]))
        self.history.append(v)
        self.flagged.append(bool(flag))
        self.pos += 1
        if self.since is not None:
            self.since += 1
        if flag and self.cooldown:
            quiet = self.since is None or self.since > self.cooldown
            self.since, flag = 0, quiet
        return score, bool(flag)

    def prime(self, history) -> AdaptiveStepper:
        """Feed past values without judging them; refits still happen on schedule (a primed value
        counts as not flagged in their threshold calibration)."""
        h = np.asarray(history, dtype=np.float64)
        for v in h.reshape(len(h), -1):
            v = as_row(v, self.n_features)
            self._advance()
            self.inner.prime(v.reshape(1, -1))
            self.history.append(v)
            self.flagged.append(False)
            self.pos += 1
            if self.since is not None:
                self.since += 1
        return self
