"""MSTL forecaster: several seasons removed by statsmodels' MSTL decomposition (Bandara et al.,
2021), the seasonally adjusted series (trend + remainder) forecast by a non-seasonal model, and
the last cycle of every seasonal component repeated and added back (as statsforecast's MSTL).

Works on one 1-D array `y` (T,) like the models in `simple.py` and `stats.py`.
"""

from __future__ import annotations

import numpy as np

from tsrnn.base import LocalModel
from tsrnn.baselines.simple import Naive, Prediction
from tsrnn.baselines.stats import AutoETS, _silenced, _tail
from tsrnn.errors import ConfigError

TRENDS = ("ets", "naive")


def default_seasons(m: int) -> tuple[int, ...]:
    """Seasons for a base season m: hourly (24) and half-hourly (48) data also get the week (7m)."""
    if m in (24, 48):
        return (m, 7 * m)
    return (m,) if m > 1 else ()


class MSTL(LocalModel):
    """Multiple-seasonal decomposition + non-seasonal forecast of the adjusted series.

    season_length: the base season m (used when `seasons` is None: see default_seasons);
    seasons: the periods to remove, e.g. (24, 168); only those with at least two full cycles in the
    fitted history are used (statsmodels' requirement), none left → the trend model alone.
    trend: "ets" (AutoETS without season, chosen by AICc) or "naive" for the adjusted series.
    max_train: only the last max_train observations are used (None: all)."""

    default_alias = "MSTL"
    min_obs = 4

    def __init__(
        self,
        season_length: int | None = None,
        seasons: tuple[int, ...] | None = None,
        trend: str = "ets",
        max_train: int | None = 2000,
        alias: str | None = None,
    ):
        self.season_length = season_length
        self.seasons = seasons
        self.trend = trend
        self.max_train = max_train
        self.alias = alias

    def fit(self, y: np.ndarray) -> MSTL:
        if self.trend not in TRENDS:
            raise ConfigError(
                f"MSTL trend '{self.trend}' is unknown; use one of {', '.join(TRENDS)}"
            )
        y = _tail(y, self.max_train)
        wanted = tuple(self.seasons) if self.seasons is not None else default_seasons(self._m())
        periods = tuple(sorted(int(s) for s in wanted if s > 1 and len(y) >= 2 * s + 1))
        self.periods_ = periods
        self.cycles_: list[np.ndarray] = []
        adjusted = np.asarray(y, dtype=np.float64)
        if periods and np.ptp(y) > 0:
            from statsmodels.tsa.seasonal import MSTL as _MSTL

            with _silenced():
                # locally constant seasonal smoothing and one pass for a single season, as R's
                # forecast::mstl and statsforecast do
                res = _MSTL(
                    adjusted,
                    periods=periods if len(periods) > 1 else periods[0],
                    iterate=2 if len(periods) > 1 else 1,
                    stl_kwargs={"seasonal_deg": 0},
                ).fit()
            seasonal = np.asarray(res.seasonal, dtype=np.float64).reshape(len(y), -1)
            self.cycles_ = [seasonal[-p:, j].copy() for j, p in enumerate(periods)]
            adjusted = adjusted - seasonal.sum(axis=1)
        else:
            self.periods_ = ()
        self.trend_model_ = (AutoETS(1, max_train=None) if self.trend == "ets" else Naive()).fit(
            adjusted
        )
        spec = getattr(self.trend_model_, "spec_", "Naive")
        self.spec_ = f"MSTL[{','.join(map(str, self.periods_))}]+{spec}" if self.periods_ else spec
        return self

    def seasonal_forecast(self, h: int) -> np.ndarray:
        """(h,) sum of the seasonal components over the next h steps (last cycles repeated)."""
        out = np.zeros(h)
        for cycle in self.cycles_:
            out += cycle[np.arange(h) % len(cycle)]
        return out

    def predict(self, h: int, levels: list[int] = ()) -> Prediction:
        self._check_fitted()
        pred = self.trend_model_.predict(h, list(levels))
        s = self.seasonal_forecast(h)
        return Prediction(
            pred.mean + s, {lv: (lo + s, hi + s) for lv, (lo, hi) in pred.intervals.items()}
        )
