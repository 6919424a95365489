"""Forecast accuracy metrics on arrays.

All take y (H,) true values and yhat (H,) forecasts (or broadcastable arrays) and return floats.
sMAPE is in percent (0–200) with 0/0 counted as 0, as in the Monash archive; MASE divides MAE by
the in-sample MAE of the seasonal naive forecast on the training part. `owa` is the M4
competition's overall weighted average of sMAPE and MASE relative to a reference (Naive2).
"""

from __future__ import annotations

import numpy as np


def mae(y, yhat) -> float:
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(yhat, float))))


def rmse(y, yhat) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(yhat, float)) ** 2)))


def smape(y, yhat) -> float:
    y, yhat = np.asarray(y, float), np.asarray(yhat, float)
    den = np.abs(y) + np.abs(yhat)
    ratio = np.divide(np.abs(y - yhat), den, out=np.zeros_like(den), where=den > 0)
    return float(200.0 * np.mean(ratio))


def mase_scale(y_train, season_length: int = 1) -> float:
    """Mean absolute seasonal difference of the training part (lag m; lag 1 if too short)."""
    y_train = np.asarray(y_train, float)
    m = season_length if len(y_train) > season_length else 1
    if len(y_train) <= m:
        return float("nan")
    return float(np.mean(np.abs(y_train[m:] - y_train[:-m])))


def mase(y, yhat, y_train, season_length: int = 1) -> float:
    """MAE scaled by the seasonal-naive in-sample MAE of `y_train`; NaN when that scale is 0."""
    scale = mase_scale(y_train, season_length)
    if not scale > 0:
        return float("nan")
    return mae(y, yhat) / scale


def coverage(y, lo, hi) -> float:
    """Share of true values inside [lo, hi]."""
    y = np.asarray(y, float)
    return float(np.mean((y >= np.asarray(lo, float)) & (y <= np.asarray(hi, float))))


def pinball(y, q_pred, q: float) -> float:
    """Mean pinball (quantile) loss of the q-quantile forecast q_pred."""
    diff = np.asarray(y, float) - np.asarray(q_pred, float)
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def interval_pinball(y, lo, hi, level: int) -> float:
    """Mean of the pinball losses of an interval's two bounds, read as the (1−L)/2 and
    (1+L)/2 quantiles."""
    a = (1 - level / 100) / 2
    return 0.5 * (pinball(y, lo, a) + pinball(y, hi, 1 - a))


def owa(smape_value: float, mase_value: float, smape_ref: float, mase_ref: float) -> float:
    """M4's overall weighted average: (sMAPE / sMAPE_ref + MASE / MASE_ref) / 2, where the
    references are the Naive2 benchmark's sMAPE and MASE on the same series (OWA 1 = Naive2).
    Each argument is already averaged over the series."""
    if not (smape_ref > 0 and mase_ref > 0):
        return float("nan")
    return 0.5 * (smape_value / smape_ref + mase_value / mase_ref)
