"""Statistical models from statsmodels with automatic model choice: ETS and Theta here, ARIMA in
`arima.py`, all on the unit-scaled base `_UnitScaled` defined here.

Each works on one 1-D array `y` (T,) like the models in `simple.py`. Long histories are cut to the
last `max_train` observations before fitting (state-space fits grow with T and old data rarely
changes the choice); pass max_train=None to use everything.

A series whose largest magnitude lies outside PLAIN_RANGE is fitted divided by that magnitude and
its forecasts and intervals multiplied back (`_UnitScaled`): statsmodels' optimisers and tests have
absolute tolerances, so a series at 1e-40 or at 1e300 then forecasts as its unit-scale twin,
scaled (within the optimisers' tolerance), where it gave noise, NaN or errors before. Series in the
range are fitted as they are (statsmodels' own numbers). A constant series (spread at most
CONSTANT_REL of its magnitude) forecasts its constant with zero-width intervals without any model
being fitted.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd

from tsrnn.base import LocalModel
from tsrnn.baselines.simple import Prediction, SeasonalNaive
from tsrnn.data.scaling import CONSTANT_REL

PLAIN_RANGE = (1e-3, 1e7)  # largest magnitudes fitted without rescaling


@contextmanager
def _silenced():
    """statsmodels warns freely about convergence and frequencies during model search."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _tail(y: np.ndarray, max_train: int | None) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    return y[-max_train:] if max_train and len(y) > max_train else y


class _UnitScaled(LocalModel):
    """Fit on y / max|y| (when max|y| is outside PLAIN_RANGE), forecast in y's units; a constant y
    forecasts itself.

    Subclasses implement `_fit(y_unit)` and `_predict(h, levels)` in unit-scaled numbers. After
    fit: `unit_` (the divisor), `constant_` (the level of a constant series, else None)."""

    def fit(self, y: np.ndarray):
        y = _tail(y, self._train_limit())
        mag = float(np.max(np.abs(y))) if len(y) else 0.0
        self.unit_ = mag if mag > 0 and not PLAIN_RANGE[0] <= mag <= PLAIN_RANGE[1] else 1.0
        self.constant_ = None
        if len(y) and float(np.ptp(y / mag if mag > 0 else y)) <= CONSTANT_REL:
            self.constant_ = float(y[-1])
            self.spec_ = "constant"
            return self
        self._fit(y / self.unit_)
        aicc = getattr(self, "aicc_", None)
        if self.unit_ != 1.0 and aicc is not None and np.isfinite(aicc):
            self.aicc_ = float(self.aicc_) + 2 * len(y) * np.log(self.unit_)  # y's likelihood
        return self

    def _train_limit(self) -> int | None:
        return self.max_train

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        if self.constant_ is not None:
            mean = np.full(h, self.constant_)
            return Prediction(mean, {lv: (mean.copy(), mean.copy()) for lv in levels})
        pred = self._predict(h, levels)
        u = self.unit_
        intervals = {lv: (lo * u, hi * u) for lv, (lo, hi) in pred.intervals.items()}
        return Prediction(pred.mean * u, intervals)


class AutoETS(_UnitScaled):
    """ETS (statsmodels ETSModel) chosen by AICc over: additive error with trend N/A/Ad and
    season N/A; multiplicative error with trend N/A/Ad and season N/M (positive data only).
    Seasonal forms need at least two full seasons; seasons longer than `max_seasonal_m` are handled
    by STL decomposition + non-seasonal ETS (as forecast::stlf). Seasonal data are fitted on the
    last `max_seasons` seasons (and at most `max_train` points). Falls back to seasonal naive (noted
    in `spec_`) when no candidate can be fitted."""

    default_alias = "ETS"
    min_obs = 4

    def __init__(
        self,
        season_length: int | None = None,
        max_train: int | None = 2000,
        max_seasons: int | None = 20,
        max_seasonal_m: int = 24,
        alias: str | None = None,
    ):
        self.season_length = season_length
        self.max_train = max_train
        self.max_seasons = max_seasons
        self.max_seasonal_m = max_seasonal_m
        self.alias = alias

    def _candidates(self, y: np.ndarray):
        m = self._m()
        seasonal_ok = m > 1 and len(y) >= 2 * m + 2
        positive = bool(np.all(y > 0))
        trends = [(None, False), ("add", False), ("add", True)]
        for trend, damped in trends:
            for seasonal in [None, "add"] if seasonal_ok else [None]:
                yield "add", trend, damped, seasonal
            if positive:
                for seasonal in [None, "mul"] if seasonal_ok else [None]:
                    yield "mul", trend, damped, seasonal

    def _train_limit(self) -> int | None:
        limit = self.max_train
        if self.max_seasons and self._m() > 1:
            # a seasonal state vector of m entries makes each fit O(T·m);
            # 20 seasons suffice to choose
            limit = min(limit or np.inf, self.max_seasons * self._m())
        return None if limit in (None, np.inf) else int(limit)

    def _fit(self, y: np.ndarray) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        self.n_ = len(y)
        m = self._m()
        self.stl_seasonal_ = None
        candidates = list(self._candidates(y))
        if m > self.max_seasonal_m and len(y) >= 2 * m:
            # Long seasons: ETS with m seasonal states optimises poorly and AICc (one-step errors)
            # then prefers non-seasonal forms that forecast badly. As forecast::stlf does, remove an
            # STL seasonal component, fit a non-seasonal ETS, and add the last cycle back.
            from statsmodels.tsa.seasonal import STL

            with _silenced():
                seasonal = np.asarray(STL(y, period=m, robust=True).fit().seasonal)
            self.stl_seasonal_ = seasonal[-m:]
            y = y - seasonal
            candidates = (
                [c for c in self._candidates(y) if c[3] is None]
                if np.all(y > 0)
                else [c for c in candidates if c[3] is None and c[0] == "add"]
            )
        best, best_aicc, best_spec = None, np.inf, None
        with _silenced():
            for error, trend, damped, seasonal in candidates:
                # a trend needs a few points beyond its parameters
                if trend is not None and len(y) < 5:
                    continue
                try:
                    model = ETSModel(
                        pd.Series(y),
                        error=error,
                        trend=trend,
                        damped_trend=damped,
                        seasonal=seasonal,
                        seasonal_periods=self._m() if seasonal else None,
                    )
                    res = model.fit(disp=False, maxiter=200)
                except (ValueError, np.linalg.LinAlgError, RuntimeError):
                    continue
                aicc = res.aicc
                if np.isfinite(aicc) and aicc < best_aicc and np.all(np.isfinite(res.fittedvalues)):
                    best, best_aicc, best_spec = res, aicc, (error, trend, damped, seasonal)
        self.res_, self.aicc_ = best, best_aicc
        if best is None:
            self.fallback_ = SeasonalNaive(self._m()).fit(y)
            self.spec_ = "SeasonalNaive (no ETS form could be fitted)"
        else:
            e, t, d, s = best_spec
            trend_code = "N" if t is None else ("Ad" if d else "A")
            season_code = "N" if s is None else s[0].upper()
            self.spec_ = f"ETS({e[0].upper()},{trend_code},{season_code})"
            if self.stl_seasonal_ is not None:
                self.spec_ = f"STL[{m}]+{self.spec_}"

    def _reseason(self, pred: Prediction) -> Prediction:
        if self.stl_seasonal_ is None:
            return pred
        s = self.stl_seasonal_[np.arange(len(pred.mean)) % len(self.stl_seasonal_)]
        return Prediction(
            pred.mean + s, {lv: (lo + s, hi + s) for lv, (lo, hi) in pred.intervals.items()}
        )

    def _predict(self, h: int, levels: list[int] = ()) -> Prediction:
        if self.res_ is None:
            return self._reseason(self.fallback_.predict(h, levels))
        with _silenced():
            # multiplicative models' intervals are simulated: a fixed stream keeps them reproducible
            pred = self.res_.get_prediction(
                start=self.n_, end=self.n_ + h - 1, rng=np.random.default_rng(0)
            )
            mean = np.asarray(pred.predicted_mean, dtype=np.float64)
            intervals = {}
            for level in levels:
                frame = pred.summary_frame(alpha=1 - level / 100)
                intervals[level] = (
                    frame["pi_lower"].to_numpy(float),
                    frame["pi_upper"].to_numpy(float),
                )
        return self._reseason(Prediction(mean, intervals))


class Theta(_UnitScaled):
    """The Theta method (Assimakopoulos & Nikolopoulos 2000) as statsmodels' ThetaModel:
    deseasonalised (multiplicatively for positive data) when a season is known, tested and
    there are at least two full seasons."""

    default_alias = "Theta"
    min_obs = 4

    def __init__(
        self,
        season_length: int | None = None,
        max_train: int | None = 5000,
        alias: str | None = None,
    ):
        self.season_length = season_length
        self.max_train = max_train
        self.alias = alias

    def _fit(self, y: np.ndarray) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        m = self._m()
        deseason = m > 1 and len(y) >= 2 * m
        method = "multiplicative" if np.all(y > 0) else "additive"
        with _silenced():
            self.res_ = ThetaModel(
                y, period=m if m > 1 else None, deseasonalize=deseason, use_test=True, method=method
            ).fit()

    def _predict(self, h: int, levels: list[int] = ()) -> Prediction:
        with _silenced():
            mean = np.asarray(self.res_.forecast(h), dtype=np.float64)
            intervals = {}
            for level in levels:
                pi = np.asarray(self.res_.prediction_intervals(h, alpha=1 - level / 100))
                intervals[level] = (pi[:, 0].astype(float), pi[:, 1].astype(float))
        return Prediction(mean, intervals)
