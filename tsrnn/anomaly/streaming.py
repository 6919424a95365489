"""Streaming detection: one value in, (score, is_anomaly) out, O(1) work per point.

    st = detector.streamer("series-id")      # fitted detector, one of its series
    st.prime(history)                         # optional: feed past values (their scores are dropped)
    score, flag = st.update(value)            # a float, or a (C,) array for several value columns

Supported methods: "forecast" (one recurrent step per point — on the numba runtime when
`tsrnn.cpu` provides it, else torch), "zscore" (running sums over the look-back window),
"iforest" and "tail" (on the last window) and "ensemble" (its members' streamers). The
score is the one `detect` gives the same point when the stream starts at the series' first value,
with the detector's `local_norm` and `input_norm` applied by running windows, and the threshold is the series' fitted one (SPOT keeps updating it; "dynamic" and
"contamination", which judge a whole batch, use the value chosen on the training scores).
"""

from __future__ import annotations

import copy
import math
from collections import deque

import numpy as np

from tsrnn.anomaly.scorers import (
    INPUT_CLIP,
    ROLLING_MIN_STD,
    SCALE_FLOOR,
    forecast_error,
    rolling_min_periods,
)
from tsrnn.anomaly.thresholds import RTOL, Threshold
from tsrnn.errors import ConfigError, DataError

__all__ = ["make_streamer", "ForecastStreamer", "ZScoreStreamer", "IForestStreamer", "TailStreamer",
           "EnsembleStreamer",
           "AdaptiveStreamer"]


def _row(value, n_features: int) -> np.ndarray:
    """One stream value as a (C,) float64 row; DataError when it has the wrong number of columns."""
    v = np.asarray(value, dtype=np.float64).reshape(-1)
    if v.shape[0] != n_features:
        raise DataError(f"stream value has {v.shape[0]} column(s), the detector was fitted on {n_features}")
    return v


class _Streamer:
    def __init__(self, det, k: int):
        self.unique_id = det.ids_[k]
        self.loc = det.scaler_.loc_[k].astype(np.float64)
        self.scale = det.scaler_.scale_[k].astype(np.float64)
        self.score_scale = det.score_scale_[k]
        self.threshold = copy.deepcopy(det.thresholds_[k])
        self.n_features = len(det.targets_)
        self.local = _LocalRatio(det.local_norm) if det.local_norm else None
        self.cooldown, self.since = int(getattr(det, "cooldown", 0) or 0), None  # since the last exceedance

    def _scaled(self, value) -> np.ndarray:
        return (_row(value, self.n_features) - self.loc) / self.scale

    def _score(self, value) -> float:
        s = self._raw(self._scaled(value)) / self.score_scale
        return s if self.local is None else self.local(s)

    def update(self, value) -> tuple[float, bool]:
        """Score one new value and judge it; NaN score (too little history yet) is never anomalous."""
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

    def prime(self, history) -> _Streamer:
        """Feed past values (T,) or (T, C) without judging them (the threshold is not touched)."""
        h = np.asarray(history, dtype=np.float64)
        for v in h.reshape(len(h), -1):
            self._score(v)
        return self


class _LocalRatio:
    """scorers.local_ratio one score at a time: s / max(mean of the finite scores among the last
    `window`, LOCAL_FLOOR), NaN until window // 2 of them are finite (O(1) per point)."""

    def __init__(self, window: int):
        self.window, self.min_periods = window, max(1, window // 2)
        self.buf: deque = deque()
        self.total, self.count = 0.0, 0

    def __call__(self, s: float) -> float:
        from tsrnn.anomaly.scorers import LOCAL_FLOOR

        out = s / max(self.total / self.count, LOCAL_FLOOR) if self.count >= self.min_periods else float("nan")
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


class _RollingZ:
    """scorers.rolling_standardise one row at a time: (x - mean) / max(std, min_std) over the last
    `window` rows, NaN until rolling_min_periods(window) are seen; running sums, O(C) per point."""

    def __init__(self, window: int, n_features: int, min_std: float = ROLLING_MIN_STD):
        self.window, self.min_std, self.min_periods = window, min_std, rolling_min_periods(window)
        self.buf: deque = deque()
        self.s1 = np.zeros(n_features)
        self.s2 = np.zeros(n_features)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = len(self.buf)
        if n >= self.min_periods:
            m = self.s1 / n
            sd = np.sqrt(np.maximum(self.s2 / n - m * m, 0.0))
            z = (x - m) / np.maximum(sd, self.min_std)
        else:
            z = np.full(len(x), np.nan)
        self.buf.append(x)
        self.s1 += x
        self.s2 += x * x
        if len(self.buf) > self.window:
            old = self.buf.popleft()
            self.s1 -= old
            self.s2 -= old * old
        return z


class ZScoreStreamer(_Streamer):
    """Rolling z-score with running sums over the last `window` values (O(C) per point)."""

    def __init__(self, det, k):
        super().__init__(det, k)
        sc = det.scorer_
        self.rolling = _RollingZ(sc.window, self.n_features, sc.min_std)

    def _raw(self, x):
        return float(np.max(np.abs(self.rolling(x))))


class ForecastStreamer(_Streamer):
    """One recurrent step per point; backend "numba" (tsrnn.cpu) or "torch"."""

    def __init__(self, det, k, backend: str = "auto"):
        super().__init__(det, k)
        model = det.scorer_.model_
        self.pred = None
        self.seen, self.lead = 0, det.scorer_.lead
        self.rolling = _RollingZ(det.input_norm, self.n_features) if det.input_norm else None
        self.scaled = det.scorer_.error == "scaled"
        self.backend = backend
        if backend in ("auto", "numba"):
            step = _numba_step(det)
            if step is not None:
                self._step, self.backend = step, "numba"
                if (step.scalar is not None and type(self.threshold).update is Threshold.update
                        and self.local is None and not self.cooldown):
                    self.update = self._fast_update(step.scalar, step.outputs)
            elif backend == "numba":
                raise ConfigError("the numba runtime (tsrnn.cpu) cannot run this detector's network")
        if self.backend in ("auto", "torch"):
            import torch

            self.backend = "torch"
            self._torch, self._state, self._model = torch, None, model

            def step(x):
                with torch.no_grad():
                    xt = torch.from_numpy(x.astype(np.float32)).view(1, 1, -1)
                    y, self._state = self._model(xt, self._state)
                return y.view(-1).numpy().astype(np.float64)

            self._step = step

    def _raw(self, x):
        if self.rolling is not None:  # input_norm: the net works on the rolling z (see recurrent.py)
            x = np.nan_to_num(self.rolling(x), nan=0.0)
        s = float("nan") if self.seen < self.lead else float(forecast_error(x, self.pred, self.scaled))
        self.pred = self._step(x if self.rolling is None else np.clip(x, -INPUT_CLIP, INPUT_CLIP))
        self.seen += 1
        return s

    def _fast_update(self, scalar_step, outputs):
        """update(value: float) for one column, a constant threshold and the numba step: plain
        float arithmetic around one compiled call (the same numbers as the generic path), input_norm's
        running sums and the scaled error's second output included. outputs: the step's output
        vector (a view, read after each call)."""
        loc, inv_scale = float(self.loc[0]), 1.0 / float(self.scale[0])
        inv_ss = 1.0 / self.score_scale
        v = float(self.threshold.value_)
        thr = v + RTOL * abs(v)
        scaled = self.scaled
        W = self.rolling.window if self.rolling is not None else 0
        min_periods, min_std = (self.rolling.min_periods, self.rolling.min_std) if W else (0, 0.0)
        buf: deque = deque()
        # last prediction, its error scale, points still to skip, running sum and sum of squares
        state = [float("nan"), 1.0, self.lead, 0.0, 0.0]
        nan, exp, log1p, sqrt = float("nan"), math.exp, math.log1p, math.sqrt

        def update(value) -> tuple[float, bool]:
            x = (float(value) - loc) * inv_scale
            if W:  # the rolling z of x (0 while the look-back is too short), then the clipped input
                n = len(buf)
                if n >= min_periods:
                    m = state[3] / n
                    var = state[4] / n - m * m
                    z = (x - m) / max(sqrt(var) if var > 0.0 else 0.0, min_std)
                else:
                    z = 0.0
                buf.append(x)
                state[3] += x
                state[4] += x * x
                if n + 1 > W:
                    old = buf.popleft()
                    state[3] -= old
                    state[4] -= old * old
                x = z
                xin = INPUT_CLIP if z > INPUT_CLIP else (-INPUT_CLIP if z < -INPUT_CLIP else z)
            else:
                xin = x
            p, sig = state[0], state[1]
            y = scalar_step(xin)
            if scaled:
                r = float(outputs[1])
                state[0], state[1] = float(outputs[0]), (r if r > 30.0 else log1p(exp(r))) + SCALE_FLOOR
            else:
                state[0] = y
            if state[2] > 0:
                state[2] -= 1
                return nan, False
            s = abs(x - p) / sig * inv_ss
            return s, s > thr

        def prime(history):
            for v in np.asarray(history, dtype=np.float64).reshape(-1):
                update(v)
            return self

        self.prime = prime
        return update


def _numba_step(det):
    """A numba one-step function x (C,) -> the net's outputs (n_outputs,) for the detector's net, or None when the
    numba runtime does not offer a streaming network yet."""
    try:
        from tsrnn.anomaly.numba_stream import numba_step
    except ImportError:
        return None
    return numba_step(det)


def make_streamer(det, unique_id: str | None = None, backend: str = "auto"):
    """A streamer for one fitted series of `det` (the only one when unique_id is None)."""
    if unique_id is None:
        if len(det.ids_) != 1:
            raise ConfigError(f"the detector was fitted on {len(det.ids_)} series; name one for the streamer")
        k = 0
    elif unique_id in det.ids_:
        k = det.ids_.index(unique_id)
    else:
        raise DataError(f"series '{unique_id}' was not seen in fit")
    if getattr(det, "refit_every", 0):
        return AdaptiveStreamer(det, k, backend)
    return _fixed_streamer(det, k, backend)


def _fixed_streamer(det, k: int, backend: str) -> _Streamer:
    if det.method == "forecast":
        return ForecastStreamer(det, k, backend)
    if det.method == "zscore":
        return ZScoreStreamer(det, k)
    if det.method == "iforest":
        return IForestStreamer(det, k)
    if det.method == "tail":
        return TailStreamer(det, k)
    if det.method == "ensemble":
        return EnsembleStreamer(det, k, backend)
    raise ConfigError(f"streaming supports the methods forecast, zscore, iforest, tail and ensemble, "
                      f"not '{det.method}'")


class IForestStreamer(_Streamer):
    """IsolationForest on the window that ends at each point: the last `window` values are kept and
    scored with the fitted forest (O(window + trees) per point)."""

    def __init__(self, det, k):
        super().__init__(det, k)
        self.sc = det.scorer_
        self.buf: deque = deque(maxlen=self.sc.window)

    def _raw(self, x):
        self.buf.append(x)
        if len(self.buf) < self.sc.window:
            return float("nan")
        return float(-self.sc.model_.score_samples(self.sc._features(np.asarray(self.buf)))[-1])


class TailStreamer(IForestStreamer):
    """The tail scorer on the window that ends at each point (O(window + features·log n))."""

    def _raw(self, x):
        self.buf.append(x)
        if len(self.buf) < self.sc.window:
            return float("nan")
        return float(self.sc._surprise(self.sc._feat(np.asarray(self.buf)))[-1])


class EnsembleStreamer(_Streamer):
    """The ensemble method one point at a time: every member's streamer scores the value, each score
    is put on the common scale by the member's training median and spread, and they are combined
    (tsrnn.anomaly.ensemble), NaN until every member has a score."""

    def __init__(self, det, k, backend: str = "auto"):
        super().__init__(det, k)
        ens = det.scorer_
        self.ens, self.members = ens, []
        for name, sc in ens.members.items():
            proxy = copy.copy(det)  # the member seen as a detector of its own method (same scaling)
            proxy.method, proxy.scorer_, proxy.local_norm = name, sc, 0
            if name != "forecast":
                proxy.input_norm = 0
            self.members.append((name, _fixed_streamer(proxy, k, backend)))

    def _raw(self, x):
        from tsrnn.anomaly.ensemble import normalise

        parts = np.array([normalise(st._raw(x), *self.ens.stats_[n]) for n, st in self.members])
        return float(self.ens.combine_scores(parts[:, None])[0])


class AdaptiveStreamer:
    """The streamer of a detector with refit_every = N: a fixed-model streamer that is replaced,
    every N points after the training part, by one of a detector refitted on the values seen so far
    (the last refit_history of them; 0: all), warmed up by running it over those values. Positions
    count from the series' first value (prime() with the training values, or the stream itself,
    must start there), so the refits fall where `detect` makes them and the scores are the same.
    Work: O(1) per point between refits, one fit per N points; memory: the kept history."""

    def __init__(self, det, k: int, backend: str = "auto"):
        self.det, self.k, self.requested = det, k, backend
        self.unique_id, self.n_features = det.ids_[k], len(det.targets_)
        self.inner = _fixed_streamer(det, k, backend)
        # the cooldown acts on the whole stream, across refits, after the raw flags are recorded
        self.cooldown, self.since, self.inner.cooldown = self.inner.cooldown, None, 0
        self.history: deque = deque(maxlen=det.refit_history or None)
        self.flagged: deque = deque(maxlen=det.refit_history or None)  # judged anomalous, per kept value
        self.pos, self.refits = 0, 0
        self.next_refit = det.fit_lengths_[k] + det.refit_every

    @property
    def threshold(self) -> Threshold:
        return self.inner.threshold

    @property
    def backend(self) -> str:
        return getattr(self.inner, "backend", "python")

    def _advance(self) -> None:
        if self.pos == self.next_refit:
            import pandas as pd

            from tsrnn.anomaly.flags import judged_flags, series_frame

            values = np.array(self.history)
            ds = pd.date_range("2000-01-01", periods=len(values), freq="s")  # only the order matters to a fit
            sub = self.det.refitted(self.k, series_frame(self.unique_id, ds, values, self.det.targets_,
                                                         self.det.freq_))
            # as detect does: rare flagged points are left out of the threshold calibration
            sub._fit_thresholds([judged_flags(np.array(self.flagged, dtype=bool), self.pos - len(values),
                                              self.det.fit_lengths_[self.k])])
            self.inner = _fixed_streamer(sub, 0, self.requested)
            self.inner.cooldown = 0
            for v in values:  # the state, and a SPOT threshold, as detect leaves them at this point
                self.inner.update(v if self.n_features > 1 else v[0])
            self.refits += 1
            self.next_refit += self.det.refit_every

    def update(self, value) -> tuple[float, bool]:
        """Score one new value and judge it (refitting first when a block starts here)."""
        v = _row(value, self.n_features)
        self._advance()
        score, flag = self.inner.update(v if self.n_features > 1 else v[0])
        self.history.append(v)
        self.flagged.append(bool(flag))  # before the cooldown, as detect calibrates refits
        self.pos += 1
        if self.since is not None:
            self.since += 1
        if flag and self.cooldown:
            quiet = self.since is None or self.since > self.cooldown
            self.since, flag = 0, quiet
        return score, bool(flag)

    def prime(self, history) -> AdaptiveStreamer:
        """Feed past values (T,) or (T, C) without judging them; refits still happen on schedule (a
        primed value counts as not flagged in their threshold calibration)."""
        h = np.asarray(history, dtype=np.float64)
        for v in h.reshape(len(h), -1):
            v = _row(v, self.n_features)
            self._advance()
            self.inner.prime(v.reshape(1, -1))
            self.history.append(v)
            self.flagged.append(False)  # not judged
            self.pos += 1
            if self.since is not None:
                self.since += 1
        return self
