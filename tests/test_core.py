"""tsrnn.Forecast: several models in one call, local and global together, intervals,
cross-validation against manual refits, the forecaster contract and option errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import (
    AutoETS,
    ConfigError,
    DataError,
    Drift,
    Forecast,
    Naive,
    NotFittedError,
    SeasonalNaive,
    Theta,
    make_model,
)
from tsrnn.registry import LOCAL, make_models


def frame(n=60, freq="MS", ids="ab") -> pd.DataFrame:
    t = np.arange(n)
    parts = [
        pd.DataFrame(
            {
                "unique_id": u,
                "ds": pd.date_range("2000-01-01", periods=n, freq=freq),
                "y": 20 + k + 0.3 * t + 3 * np.sin(2 * np.pi * t / 12 + k),
            }
        )
        for k, u in enumerate(ids)
    ]
    df = pd.concat(parts, ignore_index=True)
    df.attrs["freq"] = freq
    return df


def by_hand(model, y: np.ndarray, h: int, levels=()):
    return model.clone().fit(y).predict(h, list(levels))


def test_several_models_in_one_call_equal_each_model_by_hand():
    df = frame()
    core = Forecast([SeasonalNaive(), Drift(), Theta(alias="th")], horizon=6)
    fc = core.fit(df).predict(level=[80])
    assert fc.groupby("model", sort=False).size().to_dict() == {
        "SeasonalNaive": 12,
        "Drift": 12,
        "th": 12,
    }
    for uid in "ab":
        y = df.loc[df.unique_id == uid, "y"].to_numpy()
        for model, label in [
            (SeasonalNaive(12), "SeasonalNaive"),
            (Drift(), "Drift"),
            (Theta(12), "th"),
        ]:
            got = fc[(fc.unique_id == uid) & (fc.model == label)]
            want = by_hand(model, y, 6, [80])
            np.testing.assert_array_equal(got["yhat"], want.mean)
            np.testing.assert_array_equal(got["yhat_lo_80"], want.intervals[80][0])
            np.testing.assert_array_equal(got["yhat_hi_80"], want.intervals[80][1])
    assert (fc["ds"].iloc[:6] == pd.date_range("2005-01-01", periods=6, freq="MS")).all()


def test_season_length_of_the_core_fills_models_without_one():
    df = frame()
    y = df.loc[df.unique_id == "a", "y"].to_numpy()
    fc = (
        Forecast(
            [SeasonalNaive(), SeasonalNaive(season_length=3, alias="m3")],
            horizon=4,
            season_length=6,
        )
        .fit(df)
        .predict()
    )
    np.testing.assert_array_equal(
        fc[(fc.unique_id == "a") & (fc.model == "SeasonalNaive")]["yhat"], y[-6:-2]
    )
    np.testing.assert_array_equal(
        fc[(fc.unique_id == "a") & (fc.model == "m3")]["yhat"], np.r_[y[-3:], y[-3]]
    )


def test_intervals_nest_and_levels_are_checked():
    fc = Forecast([AutoETS(), Naive()], horizon=3).fit(frame()).predict(level="95,80")
    assert list(fc.columns[-4:]) == ["yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]
    assert (fc.yhat_lo_95 <= fc.yhat_lo_80).all() and (fc.yhat_hi_80 <= fc.yhat_hi_95).all()
    assert ((fc.yhat_lo_80 <= fc.yhat) & (fc.yhat <= fc.yhat_hi_80)).all()
    with pytest.raises(ConfigError, match="--level 120"):
        Forecast([Naive()], horizon=3).fit(frame()).predict(level=[120])


def test_cross_validation_equals_a_manual_refit_at_each_cutoff():
    df = frame()
    core = Forecast([Theta(), Naive()], horizon=4)
    res = core.cross_validation(df, windows=3, step=2, level=[80])
    assert sorted(res.forecasts["window"].unique()) == [0, 1, 2]
    for k in range(3):
        origin = 60 - 4 - (2 - k) * 2
        train = df.groupby("unique_id", sort=False).head(origin)
        train.attrs.update(df.attrs)
        want = Forecast([Theta(), Naive()], horizon=4).fit(train).predict(level=[80])
        got = res.forecasts[res.forecasts.window == k]
        np.testing.assert_array_equal(got["yhat"], want["yhat"])
        np.testing.assert_array_equal(got["yhat_lo_80"], want["yhat_lo_80"])
        truth = df.groupby("unique_id", sort=False).nth(list(range(origin, origin + 4)))["y"]
        np.testing.assert_array_equal(got.loc[got.model == "Naive", "y"], truth)
    # tsrnn.backtest is the same cross-validation over models given by name
    bt = tsrnn.backtest(df, ["theta", "naive"], horizon=4, windows=3, step=2, level=[80])
    pd.testing.assert_frame_equal(bt.forecasts, res.forecasts)


def test_cross_validation_with_explicit_cutoffs():
    df = frame()
    res = Forecast([Naive()], horizon=3).cross_validation(df, cutoffs=["2003-01-01", "2004-01-01"])
    first = res.forecasts[res.forecasts.window == 0]
    assert (first["ds"].min() == pd.Timestamp("2003-01-01")) and len(first) == 6
    a = df.loc[df.unique_id == "a", "y"].to_numpy()
    np.testing.assert_array_equal(first.loc[first.unique_id == "a", "yhat"], [a[35]] * 3)


@pytest.mark.parametrize("name", [*LOCAL, "lstm"])
def test_every_forecaster_follows_the_contract(name):
    model = make_model(name)
    params = model.get_params()
    assert params["alias"] is None and model.clone().get_params() == params
    assert type(model)(**params).get_params() == params  # __init__ stores, nothing else
    assert make_model(name, alias="x").label() == "x" and model.label() != "x"
    model.set_params(alias="y")
    assert model.get_params()["alias"] == "y"
    with pytest.raises(ConfigError, match="has no parameter 'nonsense'"):
        model.set_params(nonsense=1)
    with pytest.raises(NotFittedError):
        Forecast([make_model(name)], horizon=2).predict()


def test_unknown_and_non_applicable_options_are_one_config_error():
    with pytest.raises(
        ConfigError,
        match="option 'epochs' does not apply to the statistical model "
        "'ets'; its options are: season_length",
    ):
        make_model("ets", epochs=3)
    with pytest.raises(
        ConfigError, match="option 'season_length' does not apply to the recurrent model 'lstm'"
    ):
        make_model("lstm", season_length=4)
    with pytest.raises(ConfigError, match="unknown model 'prophet'"):
        make_model("prophet")
    # in a list, an option must apply to one of the models at least
    with pytest.raises(
        ConfigError,
        match="'epochs', 'seed' do not apply to the statistical models ets, naive; drop them",
    ):
        make_models(["ets", "naive"], {"epochs": 2, "seed": 1})
    ets, lstm = make_models(["ets", "lstm"], {"epochs": 2, "season_length": 12})
    assert ets.season_length == 12 and lstm.epochs == 2 and lstm.model == "lstm"
    with pytest.raises(ConfigError, match="share the name Naive"):
        Forecast([Naive(), Naive()], horizon=2).fit(frame())
    with pytest.raises(ConfigError, match="season_length must be a positive whole number"):
        Forecast([SeasonalNaive(season_length=0)], horizon=2).fit(frame())
    with pytest.raises(ConfigError, match="give Forecast a horizon"):
        Forecast([Naive()]).fit(frame())
    with pytest.raises(ConfigError, match="non-empty list of models"):
        Forecast([], horizon=2).fit(frame())


def test_short_series_name_the_series_and_the_model():
    with pytest.raises(DataError, match="series 'b' has 3 observations; ETS needs at least 4"):
        Forecast([Naive(), AutoETS()], horizon=2).fit(
            pd.concat([frame(10, ids="a"), frame(3, ids="b")])
        )


def test_new_history_refits_local_models():
    df = frame()
    core = Forecast([Naive(), Drift()], horizon=2).fit(df)
    new = frame(30, ids="z")
    got = core.predict(df=new)
    want = Forecast([Naive(), Drift()], horizon=2).fit(new).predict()
    pd.testing.assert_frame_equal(got, want)


def test_mixed_local_and_global_models_in_one_call():
    pytest.importorskip("torch")
    from tsrnn import Forecaster

    df = frame(80)
    kw = dict(model="gru", input_len=12, hidden=4, layers=1, epochs=1, quiet=True, device="cpu")
    core = Forecast([SeasonalNaive(), Forecaster(**kw)], horizon=4)
    fc = core.fit(df).predict(level=[80])
    assert fc.groupby("model", sort=False).size().to_dict() == {"SeasonalNaive": 8, "GRU": 8}
    # the global model is fitted once on the whole panel, with the core's horizon: the same
    # numbers as the Forecaster on its own
    alone = Forecaster(**kw, horizon=4).fit(df).predict(level=[80])
    got = fc[fc.model == "GRU"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone)
    assert core.models_[1].series_ == ["a", "b"] and core.models_[1].horizon == 4
    # new history: the global model forecasts from it without a refit
    new = frame(80, ids="ab")
    new["y"] += 5
    moved = core.predict(df=new)
    np.testing.assert_array_equal(
        moved[moved.model == "GRU"]["yhat"], core.models_[1].predict(df=new)["yhat"]
    )
