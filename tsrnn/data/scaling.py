"""Per-series scalers with an exact inverse, fitted on the training part only.

Statistics are arrays of shape (S, C): one location and one scale per series and target column.
"""

from __future__ import annotations

import numpy as np

from tsrnn.errors import ConfigError, NotFittedError

SCALERS = ("standard", "minmax", "robust", "diff", "none")


class SeriesScaler:
    """Scale each series by its own statistics: standard (mean/std), minmax (min/range),
    robust (median/IQR), diff (mean / mean absolute one-step change, the naive forecast's
    in-sample MAE: errors in these units are MASE-like) or none. A zero spread is replaced by 1
    so constant series stay finite.
    """

    def __init__(self, method: str = "standard"):
        self.method = method

    def fit(self, values: np.ndarray, offsets: np.ndarray) -> SeriesScaler:
        """values: (N, C) stacked series; offsets: (S + 1,) series boundaries (training part only)."""
        if self.method not in SCALERS:
            raise ConfigError(f"scaler '{self.method}' is unknown; use one of {', '.join(SCALERS)}")
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        S, C = len(offsets) - 1, values.shape[1]
        loc, scale = np.zeros((S, C)), np.ones((S, C))
        for s in range(S):
            x = values[offsets[s] : offsets[s + 1]]
            if len(x) == 0 or self.method == "none":
                continue
            if self.method == "standard":
                loc[s], scale[s] = x.mean(0), x.std(0)
            elif self.method == "diff":
                loc[s] = x.mean(0)
                scale[s] = np.abs(np.diff(x, axis=0)).mean(0) if len(x) > 1 else 0.0
            elif self.method == "minmax":
                loc[s], scale[s] = x.min(0), x.max(0) - x.min(0)
            else:
                q1, med, q3 = np.percentile(x, [25, 50, 75], axis=0)
                loc[s], scale[s] = med, q3 - q1
        scale[~(scale > 1e-12)] = 1.0
        self.loc_, self.scale_ = loc, scale
        return self

    def _check(self):
        if not hasattr(self, "loc_"):
            raise NotFittedError("SeriesScaler is not fitted; call fit first")

    def transform(self, values: np.ndarray, series: np.ndarray, column: int | None = None) -> np.ndarray:
        """Scale `values` of series `series`.

        values: (..., C) with series (...) — or, with `column` given, (...) scaled by that column's
        statistics, series broadcastable to values (e.g. (S, 1) against (S, H)).
        """
        self._check()
        loc, scale = self._stats(series, column)
        return (values - loc) / scale

    def inverse_transform(self, values: np.ndarray, series: np.ndarray, column: int | None = None) -> np.ndarray:
        """Exact inverse of `transform` (same argument shapes)."""
        self._check()
        loc, scale = self._stats(series, column)
        return values * scale + loc

    def _stats(self, series, column):
        series = np.asarray(series)
        if column is None:
            return self.loc_[series], self.scale_[series]
        return self.loc_[series, column], self.scale_[series, column]

    def to_dict(self) -> dict:
        """JSON-ready statistics (for model files)."""
        self._check()
        return {"method": self.method, "loc": self.loc_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> SeriesScaler:
        sc = cls(d["method"])
        sc.loc_ = np.asarray(d["loc"], dtype=np.float64)
        sc.scale_ = np.asarray(d["scale"], dtype=np.float64)
        return sc
