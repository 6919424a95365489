"""Metrics against hand-computed values; backtest windows, leakage and refit policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn import AutoETS, Forecaster, Naive, Panel, Theta, backtest
from tsrnn import metrics as M
from tsrnn.base import BaseEstimator, PanelForecast


def test_metrics_by_hand():
    y, f = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])
    assert M.mae(y, f) == pytest.approx(4 / 3)
    assert M.rmse(y, f) == pytest.approx(np.sqrt(10 / 3))
    assert M.smape(y, f) == pytest.approx(200 / 3 * (1 / 3 + 0 + 3 / 5))
    assert M.smape([0.0], [0.0]) == 0.0
    train = np.array([1.0, 3.0, 2.0, 6.0])  # lag-1 diffs 2,1,4 → 7/3 ; lag-2 diffs 1,3 → 2
    assert M.mase(y, f, train, 1) == pytest.approx((4 / 3) / (7 / 3))
    assert M.mase(y, f, train, 2) == pytest.approx((4 / 3) / 2)
    assert M.mase(y, f, train, 12) == pytest.approx((4 / 3) / (7 / 3))  # too short for m → lag 1
    assert np.isnan(M.mase(y, f, np.ones(5), 1))
    assert M.coverage([1, 2, 3, 4], [0, 2.5, 2, 0], [2, 3, 3, 3]) == 0.5
    assert M.pinball([10.0], [8.0], 0.9) == pytest.approx(1.8)
    assert M.pinball([10.0], [12.0], 0.9) == pytest.approx(0.2)
    assert M.interval_pinball([10.0], [8.0], [12.0], 80) == pytest.approx(0.5 * (0.2 + 0.2))


class Spy(BaseEstimator):
    """A global model (the contract of tsrnn/base.py) that records the last timestamp of every
    series it was shown and forecasts the last value."""

    GLOBAL = True
    log: list = []

    def __init__(self, horizon: int = 1, alias: str | None = None):
        self.horizon = horizon
        self.alias = alias

    def label(self) -> str:
        return self.alias or "Spy"

    def check_params(self) -> None:
        pass

    def input_columns(self, targets, available, source="data"):
        return targets[:1]

    @staticmethod
    def _last(p: Panel) -> dict:
        return dict(zip(p.ids, pd.to_datetime(p.last_ds())))

    def fit_panel(self, panel, source="data"):
        Spy.log.append(("fit", self._last(panel)))
        self.fitted_ = True
        self.panel_ = panel
        return self

    def predict_panel(self, panel=None, source="data", levels=()):
        if panel is not None:
            Spy.log.append(("predict", self._last(panel)))
        p = self.panel_ if panel is None else panel
        last = np.array([p.series(s)[-1, 0] for s in range(p.n_series)])
        return PanelForecast(p.ids, p.last_ds(), np.repeat(last[:, None], self.horizon, 1))


def panel():
    parts = [
        pd.DataFrame(
            {
                "unique_id": u,
                "ds": pd.date_range("2020-01-01", periods=n, freq="D"),
                "y": np.arange(n, dtype=float) * k,
            }
        )
        for u, n, k in [("a", 30, 1.0), ("b", 20, 2.0)]
    ]
    df = pd.concat(parts, ignore_index=True)
    df.attrs["freq"] = "D"
    return df


def test_backtest_windows_never_leak_and_refit_policy():
    df = panel()
    Spy.log = []
    res = backtest(df, [Spy()], horizon=3, windows=3, step=2, refit=True, season_length=1)
    fits = [e[1] for e in Spy.log if e[0] == "fit"]
    assert len(fits) == 3
    # origins of series a (length 30): 30-3-4=23, 25, 27 → last training day index 22, 24, 26
    assert [f["a"] for f in fits] == [
        pd.Timestamp("2020-01-01") + pd.Timedelta(days=d) for d in (22, 24, 26)
    ]
    assert [f["b"] for f in fits] == [
        pd.Timestamp("2020-01-01") + pd.Timedelta(days=d) for d in (12, 14, 16)
    ]
    m = res.metrics
    assert len(m) == 2 * 3 and set(m["window"]) == {0, 1, 2}
    # last-value forecast of a linear series: errors 1,2,3 per unit slope
    a0 = m[(m.unique_id == "a") & (m.window == 0)].iloc[0]
    assert a0["mae"] == pytest.approx(2.0) and a0["mase"] == pytest.approx(2.0)
    b0 = m[(m.unique_id == "b") & (m.window == 0)].iloc[0]
    assert b0["mae"] == pytest.approx(4.0) and b0["mase"] == pytest.approx(2.0)
    f = res.forecasts
    assert (f["ds"] > f["cutoff"]).all() and f["y"].notna().all()

    Spy.log = []
    backtest(df, [Spy()], horizon=3, windows=3, step=2, refit=False)
    kinds = [e[0] for e in Spy.log]
    assert kinds == ["fit", "predict", "predict"]
    Spy.log = []
    backtest(df, [Spy()], horizon=3, windows=4, step=2, refit=2)
    assert [e[0] for e in Spy.log] == ["fit", "predict", "fit", "predict"]


def test_backtest_explicit_cutoffs_and_summary():
    df = panel()
    res = backtest(
        df, [Spy(), Naive()], horizon=2, cutoffs=["2020-01-10", "2020-01-15"], level=[80]
    )
    m = res.metrics
    assert set(m["model"]) == {"Spy", "Naive"}
    assert m.loc[(m.unique_id == "a") & (m.window == 0), "cutoff"].iloc[0] == pd.Timestamp(
        "2020-01-09"
    )
    assert "coverage_80" in m and "pinball_80" in m
    s = res.summary()
    assert list(s["model"]) == sorted(s["model"], key=lambda x: s.set_index("model").loc[x, "mase"])
    # Spy and Naive both forecast the last value → identical accuracy
    assert s["mae"].nunique() == 1


def test_backtest_too_short_is_a_clear_error():
    from tsrnn.errors import DataError

    with pytest.raises(
        DataError,
        match=(
            r"series 'b' has 20 observations; a backtest with horizon 5, 4 window\(s\) and step "
            r"5 needs at least 22"
        ),
    ):
        backtest(panel(), ["naive"], horizon=5, windows=4)


def test_backtest_fits_in_parallel_equal_the_serial_run():
    """With refit, the (window, model) fits spread over processes give the serial run's metrics and
    forecasts exactly (seconds aside), for statistical and neural models alike."""
    rng = np.random.default_rng(0)
    t = np.arange(120)
    df = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": u,
                    "ds": pd.date_range("2020-01-01", periods=len(t), freq="D"),
                    "y": 10 + np.sin(2 * np.pi * t / 7 + k) + 0.1 * rng.normal(size=len(t)),
                }
            )
            for k, u in enumerate("ab")
        ],
        ignore_index=True,
    )
    df.attrs["freq"] = "D"
    models = [
        AutoETS(),
        Theta(),
        Forecaster(
            model="gru", hidden=4, layers=1, epochs=1, input_len=14, device="cpu", quiet=True
        ),
    ]
    serial = backtest(df, models, horizon=7, windows=2, level=[80])
    parallel = backtest(df, models, horizon=7, windows=2, level=[80], n_jobs=2)
    pd.testing.assert_frame_equal(
        serial.metrics.drop(columns="seconds"), parallel.metrics.drop(columns="seconds")
    )
    pd.testing.assert_frame_equal(serial.forecasts, parallel.forecasts)
    assert set(serial.metrics["model"]) == {"ETS", "Theta", "GRU"}


def test_process_pool_workers_run_blas_on_one_thread():
    from tsrnn.parallel import map_series

    assert map_series(_blas_threads, [0, 1], n_jobs=2) == [1, 1]


def _blas_threads(_):
    from threadpoolctl import threadpool_info

    return max([p["num_threads"] for p in threadpool_info()] or [1])
