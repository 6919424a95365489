"""Baselines: hand-computed forecasts and intervals, statsmodels agreement, the frame contract."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import DATASETS
from scipy.stats import norm

from tsrnn import (
    AutoARIMA,
    AutoETS,
    ConfigError,
    DataError,
    Drift,
    Forecast,
    HistoricMean,
    Naive,
    NotFittedError,
    SeasonalNaive,
    Theta,
    make_model,
)
from tsrnn.registry import LOCAL


def frame(values: dict, freq="MS", start="2000-01-01") -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "unique_id": k,
                "ds": pd.date_range(start, periods=len(v), freq=freq),
                "y": np.asarray(v, float),
            }
        )
        for k, v in values.items()
    ]
    df = pd.concat(parts, ignore_index=True)
    df.attrs["freq"] = freq
    return df


def test_simple_models_by_hand():
    y = np.array([1.0, 3.0, 2.0, 6.0, 5.0])
    p = Naive().fit(y).predict(3, [95])
    np.testing.assert_allclose(p.mean, [5, 5, 5])
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))  # residuals 2, -1, 4, -1
    z = norm.ppf(0.975)
    np.testing.assert_allclose(p.intervals[95][1], 5 + z * sigma * np.sqrt([1, 2, 3]))

    p = SeasonalNaive(2).fit(y).predict(5, [80])
    np.testing.assert_allclose(p.mean, [6, 5, 6, 5, 6])
    e = y[2:] - y[:-2]
    s = np.sqrt(np.mean(e**2))
    np.testing.assert_allclose(
        p.intervals[80][1] - p.mean, norm.ppf(0.9) * s * np.sqrt([1, 1, 2, 2, 3])
    )

    p = Drift().fit(y).predict(2, [])
    np.testing.assert_allclose(p.mean, [6.0, 7.0])  # slope (5-1)/4 = 1
    p = HistoricMean().fit(y).predict(2, [90])
    np.testing.assert_allclose(p.mean, [3.4, 3.4])
    np.testing.assert_allclose(
        p.intervals[90][0], 3.4 - norm.ppf(0.95) * np.std(y, ddof=1) * np.sqrt(1.2)
    )


def test_ets_matches_statsmodels_for_the_chosen_form(rng):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    t = np.arange(60)
    y = 50 + 0.5 * t + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, 60)
    ets = AutoETS(12).fit(y)
    assert ets.spec_.endswith(",A)") or ets.spec_.endswith(",M)")  # a seasonal form is chosen
    e, tr, s = ets.spec_[4:-1].split(",")
    kw = dict(
        error={"A": "add", "M": "mul"}[e],
        trend=None if tr == "N" else "add",
        damped_trend=tr == "Ad",
        seasonal={"A": "add", "M": "mul"}[s],
        seasonal_periods=12,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ETSModel(pd.Series(y), **kw).fit(disp=False, maxiter=200)
    np.testing.assert_allclose(ets.predict(12).mean, ref.forecast(12), rtol=1e-6)
    assert ets.aicc_ == pytest.approx(ref.aicc)


def test_ets_simulated_intervals_are_reproducible():
    """A multiplicative-error ETS has simulated intervals; two predictions of one fit, and two fits,
    give the same numbers (the simulation draws from a fixed stream)."""
    co2 = pd.read_csv(DATASETS / "co2_weekly.csv")["y"].to_numpy(float)[:-52]
    a, b = AutoETS(52).fit(co2), AutoETS(52).fit(co2)
    assert "ETS(M," in a.spec_, a.spec_  # the simulated case
    first, again, other = a.predict(26, [80]), a.predict(26, [80]), b.predict(26, [80])
    np.testing.assert_array_equal(first.intervals[80][0], again.intervals[80][0])
    np.testing.assert_array_equal(first.intervals[80][1], other.intervals[80][1])


def test_arima_recovers_an_ar1(rng):
    e = rng.normal(size=400)
    y = np.zeros(400)
    for i in range(1, 400):
        y[i] = 0.7 * y[i - 1] + e[i]
    ar = AutoARIMA(1).fit(y)
    assert ar.spec_.startswith("ARIMA(") and ",0," in ar.spec_  # stationary: d = 0
    assert (
        ar.res_.params[list(ar.res_.model.param_names).index("ar.L1")]
        == pytest.approx(0.7, abs=0.12)
        if "ar.L1" in ar.res_.model.param_names
        else True
    )
    p = ar.predict(5, [95])
    assert np.all(p.intervals[95][0] < p.mean) and np.all(p.mean < p.intervals[95][1])


def test_arima_with_a_long_season_is_an_arma_of_the_seasonal_differences(rng):
    """The search fits ARMA models of the differenced series (R's way, fast for long seasons); the
    final model carries the differencing in its state, so its forecast h <= m steps ahead is the
    ARMA forecast of the differences plus the value one season earlier."""
    import warnings

    from statsmodels.tsa.statespace.sarimax import SARIMAX

    m, n = 48, 480
    e = rng.normal(size=n)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.6 * noise[i - 1] + e[i]
    y = 50 + 10 * np.sin(2 * np.pi * np.arange(n) / m) + noise
    ar = AutoARIMA(m).fit(y)
    assert ar.spec_.endswith("(0,1,0)[48]"), (
        ar.spec_
    )  # D = 1 from the seasonal strength, no seasonal ARMA above 24
    p, d, q = (int(v) for v in ar.spec_[6 : ar.spec_.index(")")].split(","))
    assert d == 0  # the seasonal differences of a season plus AR(1) noise are stationary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diffs = SARIMAX(
            y, order=(p, 0, q), seasonal_order=(0, 1, 0, m), trend="c", simple_differencing=True
        ).filter(ar.res_.params)
    expected = diffs.forecast(m) + y[n - m :]
    np.testing.assert_allclose(ar.predict(m).mean, expected, rtol=1e-6)
    lo, hi = ar.predict(2 * m, [95]).intervals[95]
    assert (
        np.all(np.diff(hi - lo)[m - 2 : m + 2] >= -1e-9) and (hi - lo)[-1] > (hi - lo)[m - 1]
    )  # wider past a season


def test_arima_models_a_long_season_left_undifferenced_by_fourier_terms():
    """A season of 48 too weak for a seasonal difference (STL strength below 0.64) and too long for
    seasonal AR/MA terms: Fourier regressors with ARIMA errors follow it, where an ARIMA without
    them forecasts a flat line."""
    from tsrnn.baselines.arima import _nsdiffs

    rng = np.random.default_rng(0)
    m, n = 48, 480
    t = np.arange(n + m)
    e, u = rng.normal(size=n + m), np.zeros(n + m)
    for i in range(1, n + m):
        u[i] = 0.5 * u[i - 1] + e[i]
    signal = 10 + 1.2 * np.sin(2 * np.pi * t / m)
    y = signal + u
    assert _nsdiffs(y[:n], m) == 0
    ar = AutoARIMA(m).fit(y[:n])
    assert "Fourier(K=" in ar.spec_ and ar.fourier_k_ >= 1
    err = np.mean(np.abs(ar.predict(m).mean - signal[n:]))
    flat = AutoARIMA(m, max_fourier=0).fit(y[:n])
    assert "Fourier" not in flat.spec_
    assert err < 0.5 * np.mean(np.abs(flat.predict(m).mean - signal[n:]))
    p = ar.predict(2 * m, [80])
    assert np.all(p.intervals[80][0] < p.mean) and np.all(p.mean < p.intervals[80][1])


def test_theta_matches_statsmodels(rng):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = 100 + np.cumsum(rng.normal(1, 2, 50))
    th = Theta(1).fit(y)
    ref = ThetaModel(
        y, period=None, deseasonalize=False, use_test=True, method="multiplicative"
    ).fit()
    np.testing.assert_allclose(th.predict(6).mean, ref.forecast(6), rtol=1e-9)


def test_forecast_frame_contract():
    df = frame({"a": np.arange(1, 37) % 12 + 10.0, "b": np.linspace(5, 40, 36)})
    fc = Forecast([SeasonalNaive()], horizon=12).fit(df).predict(level="80,95")
    assert list(fc.columns) == [
        "unique_id",
        "ds",
        "model",
        "yhat",
        "yhat_lo_80",
        "yhat_hi_80",
        "yhat_lo_95",
        "yhat_hi_95",
    ]
    assert fc["model"].unique().tolist() == ["SeasonalNaive"]
    a = fc[fc.unique_id == "a"]
    np.testing.assert_allclose(a["yhat"], (np.arange(25, 37) % 12 + 10.0))  # monthly → season 12
    assert a["ds"].iloc[0] == pd.Timestamp("2003-01-01")
    assert (fc["yhat_lo_95"] <= fc["yhat_lo_80"]).all() and (
        fc["yhat_hi_80"] <= fc["yhat_hi_95"]
    ).all()
    fc2 = Forecast([SeasonalNaive(season_length=1)], horizon=3).fit(df).predict()
    np.testing.assert_allclose(
        fc2[fc2.unique_id == "a"]["yhat"], [10.0] * 3
    )  # season 1 → last value


@pytest.mark.parametrize("name", list(LOCAL))
def test_every_baseline_follows_the_estimator_contract(name):
    # yearly: season 1 keeps ETS/ARIMA searches small (seasonal fits are covered above)
    df = frame(
        {"a": 20 + np.sin(np.arange(40)) + np.arange(40) * 0.1, "b": 30 + np.cos(np.arange(40))},
        freq="YS",
    )
    model = make_model(name, alias=None)
    assert model.get_params()["alias"] is None  # stored as given; the label is resolved
    assert model.clone().get_params() == model.get_params()
    assert make_model(name, alias="mine").label() == "mine"
    core = Forecast([model], horizon=4)
    with pytest.raises(NotFittedError):
        core.predict()
    assert core.fit(df) is core
    assert model.get_params().get("season_length", None) is None  # the core fits clones
    fc = core.predict(level=[90])
    assert len(fc) == 8 and np.isfinite(fc["yhat"]).all()
    assert set(fc["unique_id"]) == {"a", "b"} and set(fc["model"]) == {model.label()}
    # new history → forecasts continue from its end
    new = frame({"c": 10 + np.arange(30) * 0.5}, freq="YS", start="1950-01-01")
    fc_new = core.predict(df=new)
    assert fc_new["unique_id"].unique().tolist() == ["c"] and fc_new["ds"].iloc[0] == pd.Timestamp(
        "1980-01-01"
    )


def test_bad_model_and_short_series():
    with pytest.raises(ConfigError, match="unknown model 'prophet'"):
        make_model("prophet")
    with pytest.raises(DataError, match="series 'a' has 3 observations; ARIMA needs at least 6"):
        Forecast([AutoARIMA()], horizon=2).fit(frame({"a": [1.0, 2.0, 3.0]}))


def test_parallel_fits_equal_serial_fits():
    rng = np.random.default_rng(3)
    df = frame({f"s{i}": 50 + np.cumsum(rng.normal(0, 1, 30)) for i in range(4)}, freq="YS")
    serial = Forecast([Theta()], horizon=3).fit(df).predict(level=[80])
    parallel = Forecast([Theta()], horizon=3, n_jobs=2).fit(df).predict(level=[80])
    pd.testing.assert_frame_equal(serial, parallel)
    with pytest.raises(ConfigError, match="n_jobs"):
        Forecast([Naive()], horizon=3, n_jobs=0).fit(df)


@pytest.mark.slow
def test_dask_local_cluster_equals_serial():
    pytest.importorskip("dask.distributed")
    rng = np.random.default_rng(4)
    df = frame({f"s{i}": 50 + np.cumsum(rng.normal(0, 1, 30)) for i in range(3)}, freq="YS")
    serial = Forecast([AutoETS()], horizon=3).fit(df).predict()
    on_dask = Forecast([AutoETS()], horizon=3, n_jobs=2, scheduler="local").fit(df).predict()
    pd.testing.assert_frame_equal(serial, on_dask)


def test_long_seasons_use_stl_then_ets(rng):
    m = 48
    t = np.arange(12 * m)
    y = 100 + 20 * np.sin(2 * np.pi * t / m) + rng.normal(0, 1, len(t))
    ets = AutoETS(m).fit(y)
    assert ets.spec_.startswith("STL[48]+ETS(")
    truth = 100 + 20 * np.sin(2 * np.pi * np.arange(len(t), len(t) + m) / m)
    pred = ets.predict(m, [80])
    assert np.max(np.abs(pred.mean - truth)) < 4  # the cycle is carried into the forecast
    assert np.all(pred.intervals[80][0] < pred.mean) and np.all(pred.mean < pred.intervals[80][1])
