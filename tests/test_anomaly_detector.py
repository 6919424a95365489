"""AnomalyDetector: the estimator contract for every method, planted anomalies, multivariate input,
streaming equal to batch scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn.anomaly.detector import METHODS, AnomalyDetector
from tsrnn.errors import ConfigError, DataError, NotFittedError

SPIKE = 420


def _frame(n=500, spike=True, columns=("y",), ids=("a",), seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for uid in ids:
        t = np.arange(n)
        d = {"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n, freq="h")}
        for j, c in enumerate(columns):
            v = np.sin(2 * np.pi * t / 24 + j) + 0.05 * rng.normal(size=n)
            if spike and j == len(columns) - 1 and n > SPIKE:
                v[SPIKE] += 4.0
            d[c] = v
        parts.append(pd.DataFrame(d))
    df = pd.concat(parts, ignore_index=True)
    df.attrs.update(freq="h", targets=list(columns))
    return df


def _head(df, n):
    out = df.groupby("unique_id", sort=False).head(n).reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


FAST = dict(epochs=2, hidden=8, window=24, period=24, n_estimators=20)


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.mark.parametrize("method", METHODS)
def test_contract_every_method(method):
    df = _frame(n=300, spike=False)
    det = AnomalyDetector(method=method, **FAST)
    assert det.get_params()["method"] == method
    for call in (lambda: det.score(df), lambda: det.detect(df), det.explain, det.streamer):
        with pytest.raises(NotFittedError):
            call()
    assert det.fit(df) is det
    out = det.detect(df)
    assert list(out.columns) == ["unique_id", "ds", "y", "score", "threshold", "is_anomaly"]
    assert len(out) == len(df) and out["is_anomaly"].dtype == bool
    assert np.allclose(det.score(df), out["score"].to_numpy(), equal_nan=True)
    assert np.isfinite(out["score"]).mean() > 0.8
    assert "POT" in det.explain()
    clone = det.clone()
    assert clone.get_params() == det.get_params() and not hasattr(clone, "fitted_")


@pytest.mark.parametrize("method", ["zscore", "stl", "iforest", "forecast", "autoencoder"])
def test_planted_spike_scores_highest(method):
    df = _frame()
    # IsolationForest's scores are compressed (bounded path lengths): a lower k
    thr = "sigma:4" if method == "iforest" else "sigma:6"
    det = AnomalyDetector(method=method, threshold=thr, **{**FAST, "epochs": 8}).fit(_head(df, 300))
    out = det.detect(df)
    s = out["score"].to_numpy()
    top = int(np.nanargmax(s))
    assert abs(top - SPIKE) <= 2, (method, top)
    assert out["is_anomaly"].to_numpy()[SPIKE - 2 : SPIKE + 3].any()


@pytest.mark.parametrize("method", ["forecast", "autoencoder"])
def test_multivariate_recurrent(method):
    df = _frame(columns=("cpu", "mem"))
    det = AnomalyDetector(method=method, threshold="sigma:6", **{**FAST, "epochs": 8}).fit(_head(df, 300))
    out = det.detect(df)
    assert list(out.columns[:4]) == ["unique_id", "ds", "cpu", "mem"]
    assert abs(int(np.nanargmax(out["score"].to_numpy())) - SPIKE) <= 2


def test_per_series_thresholds_and_unknown_series():
    df = _frame(ids=("a", "b"), spike=False)
    det = AnomalyDetector(method="zscore", threshold="quantile:0.99").fit(df)
    assert len(det.thresholds_) == 2 and det.explain().count("quantile") == 2
    other = _frame(ids=("c",))
    with pytest.raises(DataError, match="'c' was not seen"):
        det.detect(other)


def test_detect_is_repeatable_with_spot():
    df = _frame()
    det = AnomalyDetector(method="zscore", threshold="spot").fit(_head(df, 300))
    a, b = det.detect(df), det.detect(df)
    pd.testing.assert_frame_equal(a, b)
    assert a["threshold"].nunique() > 1  # SPOT moved while judging


def test_calibration_holds_out_the_tail():
    df = _frame(n=300, spike=False)
    seen = []

    from tsrnn.anomaly.scorers import ZScoreScorer

    class Spy(ZScoreScorer):
        def fit(self, train):
            seen.append([len(x) for x in train])
            return self

    det = AnomalyDetector(method="zscore", calibration=0.25)
    det._make_scorer = lambda freq: Spy(24)
    det.fit(df)
    assert seen == [[225]] and len(det.train_scores_[0]) == 300  # thresholds see every training point
    with pytest.raises(ConfigError, match="calibration"):
        AnomalyDetector(method="zscore", calibration=1.0).fit(df)


def test_bad_options():
    df = _frame(n=100, spike=False)
    with pytest.raises(ConfigError, match="method 'nope'"):
        AnomalyDetector(method="nope").fit(df)
    with pytest.raises(ConfigError):
        AnomalyDetector(method="zscore", threshold="quantile:7").fit(df)


def test_local_ratio_known_answer():
    from tsrnn.anomaly.scorers import local_ratio

    s = np.array([1.0, 3.0, np.nan, 2.0, 8.0, 0.01, 0.02])
    out = local_ratio(s, window=2)  # needs 1 finite score among the 2 before
    expected = [np.nan, 3.0 / 1.0, np.nan, 2.0 / 3.0, 8.0 / 2.0, 0.01 / 5.0, 0.02 / max(4.005, 0.1)]
    assert np.allclose(out, expected, equal_nan=True)
    flat = local_ratio(np.full(6, 0.01), window=2)
    assert np.allclose(flat[1:], 0.1)  # the floor (a tenth of the typical score) caps the amplification


def test_local_norm_divides_by_the_recent_score_level():
    df = _frame(n=400, spike=False)
    y = df["y"].to_numpy().copy()
    y[300:310] += np.array([4.0, -4.0] * 5)  # a burst of large errors
    df["y"] = y
    plain = AnomalyDetector(method="zscore", window=24, threshold="quantile:0.99").fit(_head(df, 250))
    local = AnomalyDetector(method="zscore", window=24, threshold="quantile:0.99", local_norm=16).fit(_head(df, 250))
    from tsrnn.anomaly.scorers import local_ratio

    s0, s1 = plain.score(df), local.score(df)
    assert np.allclose(s1, local_ratio(s0, 16), equal_nan=True)
    assert np.isnan(s1[: 24 // 2 + 8]).all() and np.isfinite(s1[40:]).all()
    # the training scores behind the thresholds are normalised the same way
    assert np.allclose(local.train_scores_[0], s1[:250], equal_nan=True)
    # the burst alarms at its start; later points of the burst are judged against the raised level
    assert plain.detect(df)["is_anomaly"].to_numpy()[300:310].sum() > local.detect(df)["is_anomaly"].to_numpy()[300:310].sum() >= 1
    with pytest.raises(ConfigError, match="local_norm must be 0"):
        AnomalyDetector(method="zscore", local_norm=1).fit(df)


@pytest.mark.parametrize("method, local_norm", [("forecast", 0), ("zscore", 0), ("forecast", 16), ("zscore", 16)])
def test_streaming_equals_batch(method, local_norm):
    df = _frame(n=400)
    det = AnomalyDetector(method=method, threshold="quantile:0.995", local_norm=local_norm,
                          **FAST).fit(_head(df, 300))
    out = det.detect(df)
    st = det.streamer()
    res = [st.update(v) for v in df["y"].to_numpy()]
    s = np.array([r[0] for r in res])
    assert np.allclose(s, out["score"].to_numpy(), rtol=1e-4, atol=1e-5, equal_nan=True)
    assert [r[1] for r in res] == out["is_anomaly"].tolist()


@pytest.mark.parametrize("columns, threshold", [(("y",), "quantile:0.99"), (("y",), "spot"), (("a", "b"), "pot")])
def test_streaming_numba_equals_torch(columns, threshold):
    pytest.importorskip("tsrnn.cpu.net")
    from tsrnn.anomaly.streaming import ForecastStreamer

    df = _frame(n=300, columns=columns)
    det = AnomalyDetector(method="forecast", threshold=threshold, **FAST).fit(df)
    torch_st = ForecastStreamer(det, 0, backend="torch")
    numba_st = ForecastStreamer(det, 0, backend="numba")
    assert numba_st.backend == "numba" and det.streamer().backend == "numba"  # auto prefers numba
    values = df[list(columns)].to_numpy()
    feed = [v[0] if len(columns) == 1 else v for v in values]
    a = [torch_st.update(v) for v in feed]
    b = [numba_st.update(v) for v in feed]
    assert np.allclose([x[0] for x in a], [x[0] for x in b], rtol=1e-4, atol=1e-5, equal_nan=True)
    assert [x[1] for x in a] == [x[1] for x in b]


def test_streaming_unsupported_method():
    det = AnomalyDetector(method="stl", period=24).fit(_frame(n=200, spike=False))
    with pytest.raises(ConfigError, match="streaming supports"):
        det.streamer()
