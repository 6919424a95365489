"""Forecaster: contract, learning, determinism, save/load, unseen series, errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from tsrnn import Forecaster  # noqa: E402
from tsrnn.errors import ConfigError, DataError, ModelFileError, NotFittedError, TrainingError  # noqa: E402

torch.set_num_threads(1)
TINY = dict(hidden=8, layers=1, epochs=2, batch_size=64, quiet=True)


def sine_panel(n_series=2, length=160, freq="h", scale=1.0, names="s"):
    t = np.arange(length)
    rows = []
    for k in range(n_series):
        y = scale * (10 + k + (1 + k) * np.sin(2 * np.pi * t / 24 + k))
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": f"{names}{k}",
                    "ds": pd.date_range("2024-01-01", periods=length, freq=freq),
                    "y": y,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    df.attrs.update(freq=freq, targets=["y"], source="sine.csv")
    return df


@pytest.fixture(scope="module")
def panel():
    return sine_panel()


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "seq2seq"])
def test_contract(panel, model):
    est = Forecaster(model=model, horizon=5, input_len=12, **TINY)
    with pytest.raises(NotFittedError):
        est.predict()
    assert est.get_params()["horizon"] == 5 and est.clone().get_params() == est.get_params()
    assert est.get_params()["alias"] is None  # stored as given; label() resolves the name
    assert est.fit(panel) is est
    fc = est.predict(level=[80])
    assert list(fc.columns) == ["unique_id", "ds", "model", "yhat", "yhat_lo_80", "yhat_hi_80"]
    assert len(fc) == 10 and set(fc["model"]) == {est.label()}
    assert est.label() == {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "seq2seq": "Seq2Seq"}[model]
    assert est.clone().set_params(alias="mine").label() == "mine"
    first = fc[fc.unique_id == "s0"]["ds"].iloc[0]
    assert first == panel["ds"].iloc[159] + pd.Timedelta(hours=1)
    assert (fc.yhat_lo_80 <= fc.yhat).all() and (fc.yhat <= fc.yhat_hi_80).all()
    assert np.isfinite(fc.yhat).all()


def test_overfits_a_tiny_sine_panel(panel):
    est = Forecaster(
        model="lstm",
        horizon=6,
        input_len=24,
        hidden=32,
        layers=1,
        epochs=30,
        batch_size=32,
        lr=1e-2,
        patience=None,
        val_size=0,
        quiet=True,
    ).fit(panel)
    fc = est.predict()
    t = np.arange(160, 166)
    truth = np.concatenate([10 + k + (1 + k) * np.sin(2 * np.pi * t / 24 + k) for k in range(2)])
    err = np.abs(fc["yhat"].to_numpy() - truth)
    assert err.max() < 0.1, err.max()  # amplitude 1–2: the network has learned the pattern
    assert est.train_history_.train_loss[-1] < 0.05 * est.train_history_.train_loss[0]


def test_seed_determinism(panel):
    a = (
        Forecaster(
            model="gru", horizon=4, input_len=12, seed=3, dropout=0.1, **{**TINY, "layers": 2}
        )
        .fit(panel)
        .predict()
    )
    b = (
        Forecaster(
            model="gru", horizon=4, input_len=12, seed=3, dropout=0.1, **{**TINY, "layers": 2}
        )
        .fit(panel)
        .predict()
    )
    c = (
        Forecaster(
            model="gru", horizon=4, input_len=12, seed=4, dropout=0.1, **{**TINY, "layers": 2}
        )
        .fit(panel)
        .predict()
    )
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.yhat, c.yhat)


@pytest.mark.parametrize(
    "opts",
    [
        dict(
            model="lstm",
            embedding=3,
            quantiles=(0.1, 0.5, 0.9),
            bidirectional=True,
            layer_norm=True,
        ),
        dict(model="seq2seq", attention="luong", cell="gru"),
    ],
)
def test_save_load_identical_predictions(panel, tmp_path, opts):
    est = Forecaster(horizon=4, input_len=12, **{**TINY, **opts}).fit(panel)
    path = tmp_path / "m.tsrnn"
    est.save(path)
    loaded = Forecaster.load(path, device="cpu")
    assert loaded.get_params() == est.get_params()
    pd.testing.assert_frame_equal(loaded.predict(level=[80, 95]), est.predict(level=[80, 95]))
    new = panel[panel.unique_id == "s1"].iloc[:100]
    pd.testing.assert_frame_equal(loaded.predict(new), est.predict(new))
    from safetensors.numpy import load_file

    assert all(v.dtype == np.float32 for v in load_file(str(path)).values())


def test_quantile_intervals_come_from_quantile_outputs(panel):
    est = Forecaster(model="gru", horizon=4, input_len=12, quantiles=(0.1, 0.5, 0.9), **TINY).fit(
        panel
    )
    fc = est.predict(level=[80])
    x_in, ref = _inputs(est)
    x = est._run(x_in, None, np.arange(2)) + ref[:, :1, None]
    sc = est.scaler_
    lo = x[:, :, 0] * sc.scale_[:, :1] + sc.loc_[:, :1]
    np.testing.assert_allclose(
        fc["yhat_lo_80"], np.minimum(lo, fc["yhat"].to_numpy().reshape(2, 4)).ravel()
    )


def _inputs(est):
    """Encoder inputs of the training histories, taken relative to their window reference."""
    from tsrnn.forecast.inputs import encoder_inputs, series_stats, window_ref

    h = est.history_
    _, loc, scale = series_stats(h, est.scaler_, est.series_)
    x = encoder_inputs(h, loc, scale, 1, est.features_["calendar"], "h")
    ref = window_ref(x.astype(np.float64), 1, est.config_["window_norm"], False)
    x[:, :, :1] -= ref[:, None, :].astype(np.float32)
    return x, ref


def test_predict_new_history_known_and_unseen(panel):
    est = Forecaster(model="lstm", horizon=4, input_len=12, **TINY).fit(panel)
    # the training frame as new history gives the same forecast as continuing it
    pd.testing.assert_frame_equal(est.predict(panel), est.predict())
    # an unseen series is scaled by its own statistics: an affine copy of s0 gets the affine
    # forecast
    s0 = panel[panel.unique_id == "s0"]
    base = s0.assign(unique_id="new")
    moved = s0.assign(unique_id="new", y=s0["y"] * 100 + 5)
    f_base, f_moved = est.predict(base), est.predict(moved)
    assert list(f_moved.unique_id.unique()) == ["new"]
    np.testing.assert_allclose(f_moved.yhat, f_base.yhat * 100 + 5, rtol=1e-5)
    # known series s0 with shifted values keeps the training statistics: not affine-equivariant
    known = s0.assign(y=s0["y"] * 100 + 5)
    assert not np.allclose(est.predict(known).yhat, f_base.yhat * 100 + 5, rtol=1e-3)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_nan_loss_stops_with_training_error():
    df = sine_panel(scale=1e39)  # float32 overflow → infinite inputs
    with pytest.raises(TrainingError, match="epoch 1"):
        Forecaster(model="gru", horizon=4, input_len=12, scaler="none", **TINY).fit(df)


def test_too_short_series_and_bad_options(panel):
    short = pd.concat(
        [
            panel,
            pd.DataFrame(
                {
                    "unique_id": "tiny",
                    "ds": pd.date_range("2024-01-01", periods=8, freq="h"),
                    "y": 1.0,
                }
            ),
        ],
        ignore_index=True,
    )
    short.attrs.update(panel.attrs)
    with pytest.raises(DataError, match="'tiny' has 8 observations"):
        Forecaster(model="lstm", horizon=4, input_len=12, pad=False, **TINY).fit(short)
    one = pd.concat(
        [
            panel,
            pd.DataFrame(
                {
                    "unique_id": "one",
                    "ds": pd.date_range("2024-01-01", periods=1, freq="h"),
                    "y": 1.0,
                }
            ),
        ],
        ignore_index=True,
    )
    one.attrs.update(panel.attrs)
    with pytest.raises(DataError, match="'one' has 1 observations.*at least 2"):
        Forecaster(model="lstm", horizon=4, input_len=12, **TINY).fit(one)
    with pytest.raises(DataError, match="longest series has 4 observations.*at least 5"):
        Forecaster(model="lstm", horizon=4, input_len=12, **TINY).fit(
            short[short.unique_id == "tiny"].iloc[:4]
        )
    with pytest.raises(ConfigError, match="window_norm 'median'"):
        Forecaster(model="lstm", horizon=4, window_norm="median").fit(panel)
    with pytest.raises(ConfigError, match="model 'tcn'"):
        Forecaster(model="tcn", horizon=4).fit(panel)
    with pytest.raises(ConfigError, match="horizon"):
        Forecaster(model="lstm").fit(panel)
    est = Forecaster(model="lstm", horizon=4, input_len=12, **TINY).fit(panel)
    with pytest.raises(DataError, match="'s0' has 5 observations"):
        est.predict(panel[panel.unique_id == "s0"].iloc[:5])


def test_corrupt_foreign_and_future_files(panel, tmp_path):
    from safetensors.numpy import save_file

    bad = tmp_path / "bad.tsrnn"
    bad.write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(ModelFileError, match="corrupt"):
        Forecaster.load(bad)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, str(foreign))
    with pytest.raises(ModelFileError, match="not a tsrnn model file"):
        Forecaster.load(foreign)
    with pytest.raises(ModelFileError, match="not found"):
        Forecaster.load(tmp_path / "missing.tsrnn")
    est = Forecaster(model="rnn", horizon=4, input_len=12, **TINY).fit(panel)
    good = tmp_path / "good.tsrnn"
    est.save(good)
    truncated = tmp_path / "trunc.tsrnn"
    truncated.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(ModelFileError):
        Forecaster.load(truncated)
    from safetensors import safe_open

    with safe_open(str(good), framework="numpy") as f:
        md, tensors = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}
    future = tmp_path / "future.tsrnn"
    save_file(tensors, str(future), metadata={**md, "format_version": "7"})
    with pytest.raises(ModelFileError, match="format version 7 is not supported"):
        Forecaster.load(future)
    with pytest.raises(ConfigError, match="backend"):
        Forecaster.load(good, backend="onnx")


def test_importing_forecaster_does_not_import_torch():
    code = (
        "import sys, tsrnn, tsrnn.forecastfile; tsrnn.Forecaster; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numba_backend_matches_torch(panel, tmp_path):
    pytest.importorskip("tsrnn.cpu.net")
    est = Forecaster(
        model="gru", horizon=4, input_len=12, hidden=8, layers=2, embedding=2, epochs=1, quiet=True
    ).fit(panel)
    path = tmp_path / "m.tsrnn"
    est.save(path)
    nb = Forecaster.load(path, backend="numba")
    new = sine_panel(names="u").iloc[:100]
    for df in (None, new):
        a, b = est.predict(df, level=[80]), nb.predict(df, level=[80])
        np.testing.assert_allclose(b.yhat, a.yhat, rtol=1e-4, atol=1e-4)
    from tsrnn.cpu.net import NumbaNet

    with pytest.raises(ConfigError, match="window_norm='mean'.*no state can be carried"):
        NumbaNet.from_file(path).streamer(series="s0")
    s2s = Forecaster(model="seq2seq", horizon=4, input_len=12, **TINY).fit(panel)
    s2s.save(tmp_path / "s.tsrnn")
    with pytest.raises(ConfigError, match="seq2seq"):
        Forecaster.load(tmp_path / "s.tsrnn", backend="numba")


def short_panel():
    """Two long sine series and two short ones (shorter than input_len + horizon)."""
    long = sine_panel(n_series=2, length=120)
    short = sine_panel(n_series=2, length=14, names="t")
    df = pd.concat([long, short], ignore_index=True)
    df.attrs.update(long.attrs)
    return df


def test_left_padding_forecasts_short_series_and_round_trips(tmp_path):
    df = short_panel()
    est = Forecaster(
        model="gru",
        horizon=6,
        input_len=24,
        hidden=8,
        layers=1,
        epochs=2,
        quiet=True,
        window_norm="mean",
    ).fit(df)
    assert est.config_["pad"] == 23 and est.features_["columns"][-1] == "observed"
    fc = est.predict(level=[80])
    assert set(fc.unique_id) == {"s0", "s1", "t0", "t1"} and np.isfinite(fc.yhat).all()
    # new history shorter than input_len, for a known and an unseen series
    new = pd.concat(
        [df[df.unique_id == "t0"].iloc[:5], sine_panel(n_series=1, length=3, names="u")],
        ignore_index=True,
    )
    new.attrs.update(df.attrs)
    assert len(est.predict(new)) == 12
    path = tmp_path / "pad.tsrnn"
    est.save(path)
    for backend in ("torch", "numba"):
        back = Forecaster.load(path, backend=backend)
        for d in (None, new):
            np.testing.assert_allclose(
                back.predict(d).yhat, est.predict(d).yhat, rtol=1e-4, atol=1e-4
            )


@pytest.mark.parametrize("norm", ["last", "mean"])
def test_window_norm_is_level_invariant(norm):
    df = short_panel()
    est = Forecaster(
        model="lstm",
        horizon=6,
        input_len=24,
        hidden=8,
        layers=1,
        epochs=2,
        quiet=True,
        scaler="none",
        window_norm=norm,
    ).fit(df)
    shifted = df.assign(y=df.y + 1000.0)
    a, b = est.predict(df), est.predict(shifted)
    np.testing.assert_allclose(b.yhat.to_numpy() - 1000.0, a.yhat.to_numpy(), atol=2e-3)
    plain = Forecaster(
        model="lstm",
        horizon=6,
        input_len=24,
        hidden=8,
        layers=1,
        epochs=2,
        quiet=True,
        scaler="none",
        window_norm=None,
    ).fit(df)
    assert (
        np.abs(
            plain.predict(shifted).yhat.to_numpy() - 1000.0 - plain.predict(df).yhat.to_numpy()
        ).max()
        > 1.0
    )


def test_window_norm_model_still_overfits_a_sine_panel():
    panel = sine_panel()
    est = Forecaster(
        model="gru",
        horizon=6,
        input_len=24,
        hidden=32,
        layers=1,
        epochs=30,
        batch_size=32,
        lr=1e-2,
        patience=None,
        val_size=0,
        quiet=True,
        window_norm="mean",
        scaler="diff",
    ).fit(panel)
    t = np.arange(160, 166)
    truth = np.concatenate([10 + k + (1 + k) * np.sin(2 * np.pi * t / 24 + k) for k in range(2)])
    assert np.abs(est.predict()["yhat"].to_numpy() - truth).max() < 0.2


@pytest.mark.gpu
def test_cuda_trained_model_loads_on_cpu(panel, tmp_path):
    est = Forecaster(model="lstm", horizon=4, input_len=12, device="cuda", **TINY).fit(panel)
    assert est.device_.startswith("cuda")
    path = tmp_path / "gpu.tsrnn"
    est.save(path)
    cpu = Forecaster.load(path, device="cpu")
    assert next(cpu.net_.parameters()).device.type == "cpu"
    # bf16 autocast on CUDA vs fp32 on CPU: close, not identical
    np.testing.assert_allclose(cpu.predict().yhat, est.predict().yhat, rtol=0.05, atol=0.05)


def test_exogenous_columns_are_inputs(panel):
    df = panel.assign(temp=np.cos(np.arange(len(panel)) / 7.0))
    df.attrs.update(panel.attrs)
    est = Forecaster(model="gru", horizon=4, input_len=12, exog=["temp"], **TINY).fit(df)
    assert est.features_["columns"] == ["y", "tod_sin", "tod_cos", "dow_sin", "dow_cos", "temp"]
    assert est.net_.core.input_size == 6
    a = est.predict(df)
    b = est.predict(df.assign(temp=df["temp"] * 3))  # the covariate changes the forecast
    assert not np.allclose(a.yhat, b.yhat)
    with pytest.raises(DataError, match="'temp'"):
        est.predict(panel)


# -- seasonal preparation: log, day segments, seasonal-naive residual, last-season level --------


def weekly_panel(days=20, n_series=3):
    """Positive hourly series with an exact daily cycle (period 24) at different levels."""
    t = np.arange(24 * days)
    rows = [
        pd.DataFrame(
            {
                "unique_id": f"w{k}",
                "ds": pd.date_range("2024-01-01", periods=len(t), freq="h"),
                "y": (50.0 * (k + 1))
                * (1.5 + np.sin(2 * np.pi * t / 24 + k) + 0.3 * np.cos(4 * np.pi * t / 24)),
            }
        )
        for k in range(n_series)
    ]
    df = pd.concat(rows, ignore_index=True)
    df.attrs.update(freq="h", targets=["y"], source="weekly.csv")
    return df


def test_seasonal_preparation_defaults_are_sized_from_the_data(panel):
    QUICK = {
        **TINY,
        "epochs": 1,
        "steps_per_epoch": 1,
    }  # only the resolved configuration is checked
    est = Forecaster(model="gru", horizon=24, **QUICK).fit(weekly_panel())
    cfg = est.config_
    assert cfg["input_len"] == 168 and cfg["segment"] == 24 and cfg["residual"] == 24
    assert cfg["transform"] == "log" and cfg["window_norm"] == "season" and cfg["hidden"] == 8
    assert (
        Forecaster(model="gru", horizon=24, **{**QUICK, "hidden": "auto"})
        .fit(weekly_panel())
        .config_["hidden"]
        == 128
    )
    assert (
        cfg["net_features"] == 24 * cfg["n_features"] and cfg["input_size"] == cfg["net_features"]
    )
    assert est.net_.core.rnn.input_size == 24 * cfg["n_features"]
    # a short window (12 < 4 seasons): everything falls back to one row per step, no log, no
    # residual
    old = Forecaster(model="gru", horizon=4, input_len=12, **QUICK).fit(panel).config_
    assert (old["segment"], old["residual"], old["transform"], old["window_norm"]) == (
        1,
        0,
        None,
        "mean",
    )
    assert (
        Forecaster(model="gru", horizon=4, input_len=12, **{**QUICK, "hidden": "auto"})
        .fit(panel)
        .config_["hidden"]
        == 64
    )
    # weekly data (season 52): not sub-daily, so the old default window of 2 seasons
    wk = sine_panel(n_series=1, length=400, freq="W-SAT")
    cfg = Forecaster(model="lstm", horizon=52, **QUICK).fit(wk).config_
    assert (cfg["input_len"], cfg["segment"], cfg["residual"], cfg["transform"]) == (
        104,
        1,
        0,
        None,
    )
    # yearly data (season 1): the old default window
    yr = sine_panel(n_series=2, length=40, freq="YS")
    cfg = Forecaster(model="lstm", horizon=6, **QUICK).fit(yr).config_
    assert (cfg["input_len"], cfg["segment"], cfg["residual"], cfg["transform"]) == (12, 1, 0, None)
    # non-positive targets: "auto" keeps the values, an explicit log is refused
    neg = weekly_panel()
    neg["y"] -= 200.0
    assert Forecaster(model="gru", horizon=24, **QUICK).fit(neg).config_["transform"] is None
    with pytest.raises(DataError, match="transform 'log' needs target values > 0"):
        Forecaster(model="gru", horizon=24, transform="log", **QUICK).fit(neg)
    with pytest.raises(ConfigError, match="segment 5 must divide input_len 168"):
        Forecaster(model="gru", horizon=24, segment=5, **QUICK).fit(weekly_panel())
    with pytest.raises(ConfigError, match="transform 'box'"):
        Forecaster(model="gru", horizon=24, transform="box", **QUICK).fit(weekly_panel())


@pytest.mark.parametrize("model", ["gru", "seq2seq"])
def test_seasonal_preparation_is_exactly_inverted(model):
    """With the network's output forced to 0 the forecast is what the preparation adds back: the
    last observed day repeated, in raw units, through log, scaler, last-day level and residual."""
    df = weekly_panel()
    est = Forecaster(model=model, horizon=36, **TINY).fit(df)
    assert est.config_["segment"] == 24 and est.config_["transform"] == "log"
    out = est.net_.out if model == "seq2seq" else est.net_.head
    with torch.no_grad():
        out.weight.zero_()
        out.bias.zero_()
    fc = est.predict()
    if model == "seq2seq":  # one decoder step per day: 2 steps for 36 hours, over 7 encoder steps
        assert est.net_.steps == 2 and tuple(est.net_.last_attention.shape) == (3, 2, 7)
    for k in range(3):
        y = df[df.unique_id == f"w{k}"]["y"].to_numpy()
        expect = y[-24:][np.arange(36) % 24]  # the exact continuation of a period-24 series
        np.testing.assert_allclose(
            fc[fc.unique_id == f"w{k}"]["yhat"].to_numpy(), expect, rtol=2e-6
        )


def test_seasonal_model_saves_and_runs_on_numba_and_refuses_bad_history(tmp_path):
    df = weekly_panel()
    est = Forecaster(model="lstm", horizon=24, embedding=2, decoder=16, **TINY).fit(df)
    assert est.net_.head[0].out_features == 16
    fc = est.predict(level=[80])
    assert (
        (fc.yhat > 0).all()
        and (fc.yhat_lo_80 <= fc.yhat).all()
        and (fc.yhat <= fc.yhat_hi_80).all()
    )
    est.save(tmp_path / "m.tsrnn")
    for backend in ("torch", "numba"):
        again = Forecaster.load(tmp_path / "m.tsrnn", backend=backend).predict(level=[80])
        np.testing.assert_allclose(again.yhat, fc.yhat, rtol=1e-5)
        np.testing.assert_allclose(again.yhat_hi_80, fc.yhat_hi_80, rtol=1e-5)
    bad = df.copy()
    bad.loc[bad.index[-3], "y"] = 0.0
    with pytest.raises(DataError, match="series 'w2' has target values <= 0"):
        est.predict(bad)


def test_seasonal_model_is_deterministic_for_a_step_budget():
    df = weekly_panel()
    kw = dict(
        model="gru",
        horizon=24,
        hidden=8,
        layers=1,
        epochs=2,
        steps_per_epoch=3,
        batch_size=32,
        quiet=True,
    )
    a = Forecaster(seed=5, **kw).fit(df)
    b = Forecaster(seed=5, **kw).fit(df)
    c = Forecaster(seed=6, **kw).fit(df)
    assert len(a.train_history_.train_loss) == 2
    np.testing.assert_array_equal(a.predict().yhat, b.predict().yhat)
    assert not np.allclose(a.predict().yhat, c.predict().yhat)
