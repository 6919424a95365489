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


@pytest.mark.parametrize("method", ["forecast", "zscore"])
def test_streaming_equals_batch(method):
    df = _frame(n=400)
    det = AnomalyDetector(method=method, threshold="quantile:0.995", **FAST).fit(_head(df, 300))
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
