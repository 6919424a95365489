"""AutoARIMA: (S)ARIMA from statsmodels' SARIMAX with automatic order choice.

The differencing orders come from tests on the series (d: repeated KPSS, `_ndiffs`; D: the STL
seasonal strength, `_nsdiffs`); p, q, P, Q from a stepwise AICc search; a long season left
undifferenced is modelled by Fourier regressors (`_fourier`). Works on one 1-D array `y` (T,),
fitted through the unit scaling and constant handling of `stats._UnitScaled`.
"""

from __future__ import annotations

import numpy as np

from tsrnn.baselines.simple import Prediction, SeasonalNaive
from tsrnn.baselines.stats import _silenced, _UnitScaled


def _ndiffs(y: np.ndarray, max_d: int = 2) -> int:
    """Number of first differences that make y level-stationary by the KPSS test at 5%."""
    from statsmodels.tsa.stattools import kpss

    d = 0
    x = y
    with _silenced():
        while d < max_d and len(x) > 10 and np.ptp(x) > 0:
            try:
                stat, p, *_ = kpss(x, regression="c", nlags="auto")
            except (ValueError, OverflowError, ZeroDivisionError, np.linalg.LinAlgError):
                break  # a degenerate series (e.g. one huge point): no evidence for differencing
            if p >= 0.05:
                break
            x = np.diff(x)
            d += 1
    return d


def _nsdiffs(y: np.ndarray, m: int) -> int:
    """1 when the STL seasonal strength exceeds 0.64 (the rule used by feasts' unitroot_nsdiffs)."""
    if m <= 1 or len(y) < 2 * m + 1:
        return 0
    from statsmodels.tsa.seasonal import STL

    with _silenced():
        try:
            res = STL(y, period=m, robust=True).fit()
        except (ValueError, np.linalg.LinAlgError):
            return 0
    var_r = np.var(res.resid)
    var_sr = np.var(res.seasonal + res.resid)
    strength = max(0.0, 1 - var_r / var_sr) if var_sr > 0 else 0.0
    return int(strength > 0.64)


def _fourier(t: np.ndarray, m: int, k: int) -> np.ndarray:
    """(len(t), 2k): sin and cos of the first k harmonics of a season of m steps at times t."""
    a = 2 * np.pi * np.outer(np.asarray(t, dtype=np.float64), np.arange(1, k + 1)) / m
    return np.column_stack([np.sin(a), np.cos(a)])


class AutoARIMA(_UnitScaled):
    """(S)ARIMA chosen by AICc with a stepwise search (Hyndman–Khandakar style, at most `max_fits`
    fits) over p, q ≤ max_pq and, when a season m ≤ max_seasonal_m is known, P, Q ≤ 1.
    d comes from repeated KPSS tests, D from the STL seasonal strength. A constant is included
    when d + D ≤ 1. A longer season that is not differenced away (D = 0) is modelled by K pairs
    of Fourier terms as regressors with ARIMA errors (dynamic harmonic regression, FPP §10.5),
    K ≤ max_fourier chosen by AICc; without them such a season would not be modelled at all."""

    default_alias = "ARIMA"
    min_obs = 6

    def __init__(
        self,
        season_length: int | None = None,
        max_pq: int = 2,
        max_seasonal_m: int = 24,
        max_train: int | None = 480,
        max_fits: int = 10,
        max_fourier: int = 5,
        alias: str | None = None,
    ):
        self.season_length = season_length
        self.max_pq = max_pq
        self.max_seasonal_m = max_seasonal_m
        self.max_train = max_train
        self.max_fits = max_fits
        self.max_fourier = max_fourier
        self.alias = alias

    def _fit(self, y: np.ndarray) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        m = self._m()
        self.aicc_ = None
        D = _nsdiffs(y, m)
        x = y[m:] - y[:-m] if D else y
        seasonal = m > 1 and m <= self.max_seasonal_m and len(y) >= 3 * m
        self.n_, self.fourier_k_ = len(y), 0
        max_k = min(self.max_fourier, (m - 1) // 2)  # Fourier pairs below the Nyquist frequency
        harmonic = not D and m > self.max_seasonal_m and len(y) >= 2 * m and max_k >= 1
        if harmonic:  # d from the series less its seasonal regression (the ARIMA errors')
            X = _fourier(np.arange(len(y)), m, max_k)
            A = np.column_stack([np.ones(len(y)), X])
            x = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
        d = _ndiffs(x)
        # SARIMAX's trend is that of the differenced series: a constant there is a mean (d + D = 0)
        # or a drift (d + D = 1); none after two differences
        trend = "c" if d + D <= 1 else "n"
        cache: dict = {}

        def spec(p, q, P, Q, simple, k=None):
            k = self.fourier_k_ if k is None else k
            return SARIMAX(
                y,
                exog=_fourier(np.arange(len(y)), m, k) if k else None,
                order=(p, d, q),
                seasonal_order=(P, D, Q, m) if (D or P or Q) and m > 1 else (0, 0, 0, 0),
                trend=trend,
                enforce_stationarity=True,
                enforce_invertibility=True,
                simple_differencing=simple,
            )

        if harmonic:  # K by AICc on an AR(1) error model, before the search over the errors' orders
            aiccs = {}
            for k in range(1, max_k + 1):
                with _silenced():
                    try:
                        aiccs[k] = (
                            spec(1, 0, 0, 0, simple=True, k=k).fit(disp=False, maxiter=50).aicc
                        )
                    except (ValueError, np.linalg.LinAlgError, IndexError):
                        continue
            finite = {k: a for k, a in aiccs.items() if np.isfinite(a)}
            self.fourier_k_ = min(finite, key=finite.get) if finite else 0

        def score(p, q, P, Q):
            # the candidates are fitted as ARMA models of the differenced series (as R's arima
            # does; all candidates share d and D, so their AICc compare): a state of a few
            # entries instead of one per season step, tens of times faster for long seasons
            key = (p, q, P, Q)
            if key in cache:
                return cache[key][0]
            if len(cache) >= self.max_fits:
                return np.inf
            with _silenced():
                try:
                    res = spec(p, q, P, Q, simple=True).fit(disp=False, maxiter=50)
                    aicc = res.aicc if np.isfinite(res.aicc) else np.inf
                except (ValueError, np.linalg.LinAlgError, IndexError):
                    res, aicc = None, np.inf
            cache[key] = (aicc, res)
            return aicc

        sP = 1 if seasonal else 0
        # Hyndman–Khandakar also start from (2,2)(1,1); the search climbs there from the simpler
        # starts instead, within max_fits fits
        starts = [(0, 0, 0, 0), (1, 0, sP, 0), (0, 1, 0, sP), (1, 1, 0, 0)]
        best = min(starts, key=lambda k: score(*k))
        improved = True
        while improved:
            improved = False
            p, q, P, Q = best
            for dp, dq, dP, dQ in [
                (1, 0, 0, 0),
                (-1, 0, 0, 0),
                (0, 1, 0, 0),
                (0, -1, 0, 0),
                (1, 1, 0, 0),
                (-1, -1, 0, 0),
                (0, 0, 1, 0),
                (0, 0, -1, 0),
                (0, 0, 0, 1),
                (0, 0, 0, -1),
            ]:
                cand = (p + dp, q + dq, P + dP, Q + dQ)
                if min(cand) < 0 or max(cand[:2]) > self.max_pq or max(cand[2:]) > sP:
                    continue
                if score(*cand) < score(*best):
                    best, improved = cand, True
        aicc, res = cache[best]
        self.res_ = None
        if np.isfinite(aicc):
            # the chosen parameters in the model of y itself (differencing inside the state), so
            # that forecasts and their intervals come out in y's units, past the season too
            with _silenced():
                try:
                    self.res_ = spec(*best, simple=False).filter(res.params)
                except (ValueError, np.linalg.LinAlgError, IndexError):
                    self.res_ = None
        if self.res_ is None:
            self.fallback_ = SeasonalNaive(m).fit(y)
            self.spec_ = "SeasonalNaive (no ARIMA could be fitted)"
        else:
            p, q, P, Q = best
            self.spec_ = (
                f"ARIMA({p},{d},{q})"
                + (f"({P},{D},{Q})[{m}]" if (D or P or Q) and m > 1 else "")
                + (f" + Fourier(K={self.fourier_k_})[{m}]" if self.fourier_k_ else "")
            )
            self.aicc_ = float(aicc)

    def _predict(self, h: int, levels: list[int] = ()) -> Prediction:
        if self.res_ is None:
            return self.fallback_.predict(h, levels)
        exog = (
            _fourier(self.n_ + np.arange(h), self._m(), self.fourier_k_)
            if self.fourier_k_
            else None
        )
        with _silenced():
            fc = self.res_.get_forecast(h, exog=exog)
            mean = np.asarray(fc.predicted_mean, dtype=np.float64)
            intervals = {}
            for level in levels:
                ci = np.asarray(fc.conf_int(alpha=1 - level / 100))
                intervals[level] = (ci[:, 0].astype(float), ci[:, 1].astype(float))
        return Prediction(mean, intervals)
