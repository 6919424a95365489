"""Finite, correct numbers at extreme scales and for constant series.

- every statistical model and the LSTM forecaster forecast a constant series as that constant;
- a series at 1e-40 (or 1e-300) forecasts as 1e-40 × the forecast of its unit-scale twin (within
  the optimisers' tolerance), and at 1e300 finitely and likewise;
- a single 1e300 point in a sine series is the highest-scoring point for every detector.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tsrnn import Forecast, make_model
from tsrnn.data.scaling import SCALERS, SeriesScaler
from tsrnn.registry import LOCAL as MODELS
from tsrnn.registry import options_of


def _frame(y, freq="h") -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=len(y), freq=freq), "y": y}
    )


def _seasonal(n=120, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 10 + np.cumsum(rng.normal(size=n)) * 0.3 + np.sin(2 * np.pi * t / 12)


@pytest.mark.parametrize("model", list(MODELS))
def test_a_constant_series_forecasts_its_constant(model):
    pred = (
        Forecast([make_model(model)], horizon=5)
        .fit(_frame(np.full(200, 5.0)))
        .predict(level=[80, 95])
    )
    np.testing.assert_array_equal(pred["yhat"].to_numpy(), 5.0)
    for lv in (80, 95):
        np.testing.assert_allclose(pred[f"yhat_lo_{lv}"].to_numpy(), 5.0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(pred[f"yhat_hi_{lv}"].to_numpy(), 5.0, rtol=0, atol=1e-12)


# the optimisers converge to their own tolerance: ARIMA's (maxiter=50) is about 0.2 %
RTOL = {"ets": 1e-4, "arima": 1e-2, "theta": 1e-4}


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("k", [1e-40, 1e-300, 1e300])
def test_statistical_forecasts_are_scale_equivariant(model, k):
    y = _seasonal()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way
        season = {"season_length": 12} if "season_length" in options_of(model) else {}
        unit = make_model(model, **season).fit(y).predict(6, [80])
        scaled = make_model(model, **season).fit(y * k).predict(6, [80])
    for got, want in [(scaled.mean, unit.mean), *zip(scaled.intervals[80], unit.intervals[80])]:
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got / k, want, rtol=RTOL.get(model, 1e-12))


def test_arima_on_extreme_series_does_not_fail():
    t = np.arange(150)
    spike = np.sin(t / 3.0)
    spike[100] = 1e300
    for y in (
        spike,
        np.where(t % 2 == 0, 1e308, -1e308),
        np.r_[np.zeros(149), 1e-300],
        np.full(150, -1e300),
    ):
        pred = Forecast([make_model("arima")], horizon=4).fit(_frame(y)).predict(level=[90])
        assert np.all(np.isfinite(pred["yhat"].to_numpy())), y[:3]


@pytest.mark.parametrize("method", [m for m in SCALERS if m != "none"])
@pytest.mark.parametrize("k", [1e-200, 1e-40, 1e40, 1e300])
def test_scaler_statistics_are_scale_equivariant(method, k):
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(50, 2))
    offs = np.array([0, 20, 50])
    a, b = SeriesScaler(method).fit(x, offs), SeriesScaler(method).fit(x * k, offs)
    np.testing.assert_allclose(b.loc_ / k, a.loc_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.scale_ / k, a.scale_, rtol=1e-12)
    sid = np.repeat([0, 1], [20, 30])
    z = b.transform(x * k, sid)
    np.testing.assert_allclose(z, a.transform(x, sid), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.inverse_transform(z, sid), x * k, rtol=1e-12)


def test_scaler_with_one_huge_point_stays_finite():
    x = np.sin(np.arange(100.0))[:, None]
    x[60] = 1e300
    for method in ("standard", "minmax", "robust", "diff"):
        sc = SeriesScaler(method).fit(x, np.array([0, 100]))
        z = sc.transform(x, np.zeros(100, dtype=int))
        assert (
            np.all(np.isfinite(sc.scale_)) and np.all(sc.scale_ > 0) and np.all(np.isfinite(z))
        ), method
        assert np.argmax(np.abs(z[:, 0])) == 60
    robust = SeriesScaler("robust").fit(x, np.array([0, 100]))
    assert 0.5 < robust.scale_[0, 0] < 3  # the outlier does not set a robust scale


# -- the recurrent forecaster -------------------------------------------------------------------

torch = pytest.importorskip("torch")

FAST = dict(
    model="lstm", horizon=3, input_len=24, hidden=8, epochs=2, quiet=True, device="cpu", seed=0
)


def _lstm(y):
    from tsrnn import Forecaster

    return Forecaster(**FAST).fit(_frame(y)).predict(level=[80])


def test_lstm_forecasts_a_constant_series_as_its_constant():
    pred = _lstm(np.full(300, 5.0))
    np.testing.assert_allclose(pred["yhat"].to_numpy(), 5.0, rtol=1e-9)
    np.testing.assert_allclose(pred["yhat_hi_80"].to_numpy(), 5.0, rtol=1e-9)


def test_lstm_forecasts_are_scale_equivariant():
    y = 10 + np.sin(2 * np.pi * np.arange(300) / 24)
    unit = _lstm(y)
    for k in (1e-40, 1e300):
        pred = _lstm(y * k)
        for col in ("yhat", "yhat_lo_80", "yhat_hi_80"):
            got = pred[col].to_numpy()
            assert np.all(np.isfinite(got)), (k, col)
            np.testing.assert_allclose(got / k, unit[col].to_numpy(), rtol=1e-6)


def test_numba_back_end_forecasts_are_scale_equivariant(tmp_path):
    from tsrnn import Forecaster

    y = 10 + np.sin(2 * np.pi * np.arange(300) / 24)
    out = {}
    for k in (1.0, 1e-40, 1e300):
        Forecaster(**FAST).fit(_frame(y * k)).save(tmp_path / "m.tsrnn", force=True)
        out[k] = Forecaster.load(tmp_path / "m.tsrnn", backend="numba").predict()["yhat"].to_numpy()
    for k in (1e-40, 1e300):
        np.testing.assert_allclose(out[k] / k, out[1.0], rtol=1e-6)


def test_lstm_with_a_1e300_point_forecasts_finite_numbers():
    y = 10 + np.sin(2 * np.pi * np.arange(300) / 24)
    y[200] = 1e300
    assert np.all(np.isfinite(_lstm(y)["yhat"].to_numpy()))


# -- detectors ---------------------------------------------------------------------------------

DETECTORS = [
    "zscore",
    "stl",
    "iforest",
    "forecast:epochs=2,hidden=8",
    "autoencoder:epochs=2,hidden=8",
]


def _spiked():
    y = np.sin(2 * np.pi * np.arange(400) / 24)
    y[300] = 1e300
    return y


@pytest.mark.parametrize("method", DETECTORS)
def test_a_1e300_spike_is_the_most_anomalous_point(method):
    from tsrnn.anomaly.detector import AnomalyDetector

    df = _frame(_spiked())
    det = AnomalyDetector(scorer=method, threshold="quantile:0.99", cooldown=0).fit(
        df
    )  # every exceedance an alarm
    s = det.score(df)
    assert not np.any(np.isinf(s))
    assert np.nanargmax(s) == 300
    assert det.detect(df)["is_anomaly"].to_numpy()[300]


@pytest.mark.parametrize("method", DETECTORS)
def test_a_1e300_spike_after_a_clean_fit_is_flagged_with_finite_scores(method):
    """Fitted on the clean part, judging the series with the spike: scores stay finite (no NaN
    after the spike from an overflowing state or window) and the spike is flagged; for all but the
    forest (whose trees rank every point beyond their training range alike) it scores highest."""
    from tsrnn.anomaly.detector import AnomalyDetector

    y = _spiked()
    det = AnomalyDetector(scorer=method, threshold="quantile:0.99", cooldown=0).fit(_frame(y[:250]))
    s = det.score(_frame(y))
    assert not np.any(np.isinf(s))
    assert (
        np.isnan(s).sum()
        == np.isnan(det.score(_frame(np.sin(2 * np.pi * np.arange(400) / 24)))).sum()
    )
    if method != "iforest":
        assert np.nanargmax(s) == 300
    assert det.detect(_frame(y))["is_anomaly"].to_numpy()[300]
