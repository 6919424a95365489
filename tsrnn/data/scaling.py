"""Per-series scalers with an exact inverse, fitted on the training part only.

Statistics are arrays of shape (S, C): one location and one scale per series and target column.
"""

from __future__ import annotations

import numpy as np

from tsrnn.errors import ConfigError, NotFittedError

SCALERS = ("standard", "minmax", "robust", "diff", "none")
CONSTANT_REL = 1e-12  # a spread at most this share of the series' magnitude is no spread
SAFE_RANGE = (1e-150, 1e150)  # magnitudes whose squares are normal float64 numbers


class SeriesScaler:
    """Scale each series by its own statistics: standard (mean/std), minmax (min/range),
    robust (median/IQR), diff (mean / mean absolute one-step change, the naive forecast's
    in-sample MAE: errors in these units are MASE-like) or none.

    A series whose largest magnitude is outside SAFE_RANGE has its statistics computed on its values
    divided by that magnitude, so series at any finite scale (1e-200 or 1e300) get finite statistics
    (no overflow or underflow in squares and differences). A series whose values all lie within
    CONSTANT_REL of its largest magnitude of each other is constant: its scale is CONSTANT_REL times
    that magnitude (CONSTANT_REL for an all-zero series), so its scaled values stay 0 and anything a
    model outputs for it maps back to its constant (a constant history forecasts the constant).
    Otherwise a spread statistic at most CONSTANT_REL of the series' typical size (the larger of
    |location| and the median |value|; e.g. the zero IQR of a mostly-zero series) is replaced by
    the range. Every test is relative, so a series at 1e-40 is scaled to unit size as one at 1.
    """

    def __init__(self, method: str = "standard"):
        self.method = method

    def fit(self, values: np.ndarray, offsets: np.ndarray) -> SeriesScaler:
        """values: (N, C) stacked series; offsets: (S + 1,) series boundaries
        (training part only)."""
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
            mag = np.max(np.abs(x), axis=0)  # (C,)
            # beyond SAFE_RANGE, divide first: no square or difference overflows or underflows
            safe = (mag >= SAFE_RANGE[0]) & (mag <= SAFE_RANGE[1])
            unit = np.where((mag > 0) & ~safe, mag, 1.0)
            xu = x / unit if np.any(unit != 1.0) else x
            loc_u, spread = self._stats(xu)
            # "no spread" relative to the series' typical size (not its largest value: an outlier?)
            ref = np.maximum(np.abs(loc_u), np.median(np.abs(xu), axis=0))
            ptp = np.ptp(xu, axis=0)
            constant = ~(ptp > CONSTANT_REL * np.max(np.abs(xu), axis=0))
            spread = np.where(spread > CONSTANT_REL * ref, spread, ptp)  # a zero IQR: the range
            loc[s] = loc_u * unit
            scale[s] = np.where(constant, CONSTANT_REL * np.where(mag > 0, mag, 1.0), spread * unit)
        self.loc_, self.scale_ = loc, scale
        return self

    def _stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(location, spread) per column of x (T, C)."""
        if self.method == "standard":
            return x.mean(0), x.std(0)
        if self.method == "diff":
            mad = np.abs(np.diff(x, axis=0)).mean(0) if len(x) > 1 else np.zeros(x.shape[1])
            return x.mean(0), mad
        if self.method == "minmax":
            return x.min(0), x.max(0) - x.min(0)
        q1, med, q3 = np.percentile(x, [25, 50, 75], axis=0)
        return med, q3 - q1

    def _check(self):
        if not hasattr(self, "loc_"):
            raise NotFittedError("SeriesScaler is not fitted; call fit first")

    def transform(
        self, values: np.ndarray, series: np.ndarray, column: int | None = None
    ) -> np.ndarray:
        """Scale `values` of series `series`.

        values: (..., C) with series (...) — or, with `column` given, (...) scaled by that column's
        statistics, series broadcastable to values (e.g. (S, 1) against (S, H)).
        """
        self._check()
        loc, scale = self._rows(series, column)
        return (values - loc) / scale

    def inverse_transform(
        self, values: np.ndarray, series: np.ndarray, column: int | None = None
    ) -> np.ndarray:
        """Exact inverse of `transform` (same argument shapes)."""
        self._check()
        loc, scale = self._rows(series, column)
        return values * scale + loc

    def _rows(self, series, column):
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
