"""Forecaster.streamer: one value at a time on the numba runtime, equal to predict on the frame
extended by the same values, for the default configurations (window normalisation on)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

from tsrnn import Forecaster  # noqa: E402
from tsrnn.errors import ConfigError, DataError  # noqa: E402

torch.set_num_threads(1)
QUICK = dict(epochs=2, batch_size=64, max_steps=12, quiet=True, seed=0)
STEPS = 6  # values streamed per test


def series(n: int, freq: str, ids=("a",), season=7, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k, uid in enumerate(ids):
        t = np.arange(n)
        y = 50 + 5 * k + 0.05 * t + 4 * np.sin(2 * np.pi * t / season) + rng.normal(0, 0.5, n)
        rows.append(
            pd.DataFrame(
                {"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n, freq=freq), "y": y}
            )
        )
    df = pd.concat(rows, ignore_index=True)
    df.attrs.update(freq=freq, targets=["y"], source="stream.csv")
    return df


def extended(df: pd.DataFrame, uid: str, values: np.ndarray) -> pd.DataFrame:
    """df with `values` appended to series `uid` at the following timestamps."""
    own = df[df.unique_id == uid]
    ds = pd.date_range(own.ds.iloc[-1], periods=len(values) + 1, freq=df.attrs["freq"])[1:]
    out = pd.concat(
        [df, pd.DataFrame({"unique_id": uid, "ds": ds, "y": values})], ignore_index=True
    ).sort_values(["unique_id", "ds"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


def check_stream_equals_predict(est, df, uid, values):
    s = est.streamer(uid)
    for i in range(len(values)):
        got = s.update(values[i])
        fc = est.predict(extended(df, uid, values[: i + 1]))
        want = fc[fc.unique_id == uid].yhat.to_numpy()
        assert got.shape == want.shape == (est.config_.horizon,)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    return s


def new_values(df, uid, n, seed=1):
    y = df[df.unique_id == uid].y.to_numpy()
    return y[-n:] + np.random.default_rng(seed).normal(0, 1.0, n)


@pytest.mark.parametrize("model", ["lstm", "gru", "seq2seq"])
def test_default_config_streams_like_predict_on_a_short_daily_series(model):
    df = series(60, "D")
    est = Forecaster(model=model, horizon=5, **QUICK).fit(df)
    assert est.config_.window_norm == "mean" and est.config_.n_future > 0  # the default here
    check_stream_equals_predict(est, df, "a", new_values(df, "a", STEPS))


@pytest.mark.parametrize("model", ["lstm", "seq2seq"])
def test_seasonal_preparation_streams_like_predict(model):
    """Hourly data long enough for the default week-long window: segments, log transform,
    seasonal residual and window_norm "season" are all on."""
    df = series(24 * 7 + 3 * 12 + 60, "h", ids=("a", "b"), season=24)
    est = Forecaster(model=model, horizon=12, **QUICK).fit(df)
    c = est.config_
    assert (c.segment, c.transform, c.residual, c.window_norm) == (24, "log", 24, "season")
    check_stream_equals_predict(est, df, "a", new_values(df, "a", 4))


def test_padded_short_series_streams_like_predict():
    df = pd.concat(
        [series(80, "D", ids=("a",)), series(9, "D", ids=("s",), seed=3)], ignore_index=True
    )
    df.attrs.update(freq="D", targets=["y"], source="stream.csv")
    est = Forecaster(model="gru", horizon=4, input_len=20, embedding=2, **QUICK).fit(df)
    assert est.config_.pad > 0 and est.config_.embedding == 2
    check_stream_equals_predict(est, df, "s", new_values(df, "s", STEPS))


@pytest.mark.parametrize("backend", ["torch", "numba"])
def test_a_loaded_model_file_streams_like_predict(tmp_path, backend):
    df = series(60, "D", ids=("a", "b"))
    Forecaster(model="lstm", horizon=5, **QUICK).fit(df).save(tmp_path / "m.tsrnn")
    est = Forecaster.load(tmp_path / "m.tsrnn", backend=backend)
    values = new_values(df, "b", STEPS)
    s = check_stream_equals_predict(est, df, "b", values)
    again = est.streamer("b").run(values)  # (N, horizon): a fresh streamer, the same forecasts
    assert again.shape == (STEPS, 5)
    np.testing.assert_array_equal(again[-1], s.forecast())


def test_streamer_errors_name_what_to_change():
    df = series(60, "D", ids=("a", "b"))
    est = Forecaster(model="gru", horizon=3, **QUICK).fit(df)
    with pytest.raises(ConfigError, match="knows 2 series; pass unique_id"):
        est.streamer()
    with pytest.raises(ConfigError, match="'zz' is not one of the model's 2 training series"):
        est.streamer("zz")
    s = est.streamer("a")
    with pytest.raises(ConfigError, match="reads 1 value column"):
        s.update([1.0, 2.0])
    with pytest.raises(DataError, match="non-finite"):
        s.update(float("nan"))
    assert s.forecast() is None  # nothing was accepted
    with pytest.raises(ConfigError, match="window_norm='mean'"):
        from tsrnn.cpu.net import NumbaNet

        NumbaNet.from_state(est.config_, est._weights()).streamer()


def test_exogenous_columns_and_calendar_blocks_stream_like_predict(monkeypatch):
    """A model with an exogenous column streams (targets, exog) rows; calendar rows computed two
    timestamps at a time (blocks crossed at every step, and by the seq2seq horizon) agree."""
    from tsrnn.cpu import forecast_stream

    monkeypatch.setattr(forecast_stream, "CALENDAR_BLOCK", 2)
    df = series(70, "D", ids=("a", "b"))
    df["temp"] = np.cos(np.arange(len(df)) / 5.0) * 3 + 10
    est = Forecaster(model="seq2seq", horizon=4, exog=["temp"], **QUICK).fit(df)
    s = est.streamer("a")
    rows = np.column_stack([new_values(df, "a", STEPS), 10 + np.arange(STEPS) * 0.5])
    for i in range(STEPS):
        got = s.update(rows[i])
        own = df[df.unique_id == "a"]
        ds = pd.date_range(own.ds.iloc[-1], periods=i + 2, freq="D")[1:]
        ext = pd.concat(
            [
                df,
                pd.DataFrame(
                    {"unique_id": "a", "ds": ds, "y": rows[: i + 1, 0], "temp": rows[: i + 1, 1]}
                ),
            ],
            ignore_index=True,
        )
        ext = ext.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        ext.attrs.update(df.attrs)
        fc = est.predict(ext)
        want = fc[fc.unique_id == "a"].yhat.to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    with pytest.raises(ConfigError, match="reads 2 value column"):
        s.update(1.0)
