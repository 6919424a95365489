"""MSTL forecaster: continues two known seasons, matches its parts (statsmodels' decomposition +
ETS on the adjusted series), drops seasons that do not fit in the history, runs in the panel
runner, and beats Naive2 on real M4 Hourly series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn import MSTL, ConfigError, Forecast, Naive2, SeasonalNaive
from tsrnn.baselines.mstl import default_seasons
from tsrnn.metrics import mae, mase, owa, smape


def _two_seasons(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    day = 3.0 * np.sin(2 * np.pi * t / 24)
    week = np.where((t // 24) % 7 >= 5, -4.0, 1.0)  # weekends lower
    return 50.0 + day + week + 0.1 * rng.normal(size=n)


def test_default_seasons():
    assert default_seasons(24) == (24, 168)
    assert default_seasons(48) == (48, 336)
    assert default_seasons(12) == (12,)
    assert default_seasons(1) == ()


def test_continues_a_daily_and_a_weekly_season():
    y = _two_seasons(24 * 7 * 6 + 48)
    train, test = y[:-48], y[-48:]
    m = MSTL(24).fit(train)
    assert m.periods_ == (24, 168)
    f = m.predict(48).mean
    # the weekly step (5 units) is captured: error near the noise level, far below seasonal naive's
    snaive = SeasonalNaive(24).fit(train).predict(48).mean
    assert mae(test, f) < 0.5
    assert mae(test, snaive) > 2.0


def test_forecast_is_trend_forecast_plus_last_cycles():
    y = _two_seasons(24 * 7 * 4, seed=1)
    m = MSTL(24, trend="naive").fit(y)
    h = 200
    pred = m.predict(h, [80])
    adjusted_last = m.trend_model_.y_[-1]
    seasonal = sum(c[np.arange(h) % len(c)] for c in m.cycles_)
    np.testing.assert_allclose(pred.mean, adjusted_last + seasonal)
    # the seasonal part repeats with the longer period and the interval is shifted alike
    np.testing.assert_allclose(pred.mean[168:], pred.mean[: h - 168])
    lo, hi = pred.intervals[80]
    assert np.all(lo < pred.mean) and np.all(hi > pred.mean)
    # the adjusted series plus the seasonal components gives back the data
    from statsmodels.tsa.seasonal import MSTL as SMMSTL

    ref = SMMSTL(y, periods=(24, 168), stl_kwargs={"seasonal_deg": 0}).fit()
    np.testing.assert_allclose(m.cycles_[0], np.asarray(ref.seasonal)[-24:, 0])
    np.testing.assert_allclose(m.cycles_[1], np.asarray(ref.seasonal)[-168:, 1])


def test_seasons_without_two_cycles_are_dropped():
    y = _two_seasons(24 * 10)  # 10 days: the week does not fit twice
    m = MSTL(24).fit(y)
    assert m.periods_ == (24,) and m.spec_.startswith("MSTL[24]+ETS")
    short = MSTL(24).fit(y[:30])  # not two days: no season at all, ETS alone
    assert short.periods_ == () and short.spec_.startswith("ETS")
    assert np.all(np.isfinite(short.predict(5).mean))
    with pytest.raises(ConfigError, match="trend 'bogus'"):
        MSTL(24, trend="bogus").fit(y)


def test_panel_runner_knows_mstl():
    y = _two_seasons(24 * 7 * 3)
    ds = pd.date_range("2024-01-01", periods=len(y), freq="h")
    df = pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": ds, "y": y + k}) for k, uid in enumerate("ab")]
    )
    df.attrs["freq"] = "h"
    est = Forecast([MSTL()], horizon=24).fit(df)
    fc = est.predict()
    assert est.labels() == ["MSTL"] and len(fc) == 48 and set(fc["model"]) == {"MSTL"}
    a = fc.loc[fc.unique_id == "a", "yhat"].to_numpy()
    b = fc.loc[fc.unique_id == "b", "yhat"].to_numpy()
    np.testing.assert_allclose(b - a, 1.0, atol=0.05)  # the same series shifted by 1
    assert est.specs()["MSTL"]["a"].startswith("MSTL[24,168]+")


def test_beats_naive2_on_m4_hourly(shared_data):
    root = shared_data / "series" / "m4_hourly_dev"
    tr = pd.read_csv(root / "Hourly-train-odd.csv", index_col=0).iloc[:12]
    te = pd.read_csv(root / "Hourly-test-odd.csv", index_col=0).iloc[:12]
    s, m, s2, m2 = [], [], [], []
    for uid in tr.index:
        y = tr.loc[uid].dropna().to_numpy(float)
        yt = te.loc[uid].dropna().to_numpy(float)
        f = MSTL(24, trend="naive").fit(y).predict(48).mean
        f2 = Naive2(24).fit(y).predict(48).mean
        s.append(smape(yt, f))
        m.append(mase(yt, f, y, 24))
        s2.append(smape(yt, f2))
        m2.append(mase(yt, f2, y, 24))
    assert owa(np.mean(s), np.mean(m), np.mean(s2), np.mean(m2)) < 1.0
