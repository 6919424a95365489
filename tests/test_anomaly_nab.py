"""NAB's own files: labels read and mapped onto a real series, a detector scored against them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn.anomaly.detector import AnomalyDetector
from tsrnn.anomaly.evaluate import evaluate
from tsrnn.anomaly.labels import label_mask, read_labels, windows_to_index
from tsrnn.errors import DataError

NAME = "artificialWithAnomaly/art_daily_jumpsup.csv"


@pytest.fixture
def nab(shared_data):
    root = shared_data / "anomaly" / "nab"
    if not root.exists():
        pytest.skip("NAB data not present")
    raw = pd.read_csv(root / "data" / NAME)
    df = pd.DataFrame({"unique_id": "art_daily_jumpsup", "ds": pd.to_datetime(raw["timestamp"]), "y": raw["value"]})
    df.attrs.update(freq="5min", targets=["y"])
    return root, df


def test_nab_windows_map_onto_the_series(nab):
    root, df = nab
    wins = read_labels(root / "labels" / "combined_windows.json", ["art_daily_jumpsup"])["art_daily_jumpsup"]
    assert wins == [(pd.Timestamp("2014-04-10 16:15"), pd.Timestamp("2014-04-12 01:45"))]
    idx = windows_to_index(df["ds"].to_numpy(), wins)
    a, b = idx[0]
    assert df["ds"].iat[a] == wins[0][0] and df["ds"].iat[b] == wins[0][1]
    assert b - a + 1 == 403  # 33.5 hours of 5-minute points
    # point labels (combined_labels.json) become one-point windows inside that window
    pts = read_labels(root / "labels" / "combined_labels.json", ["art_daily_jumpsup"])["art_daily_jumpsup"]
    (p, q), = windows_to_index(df["ds"].to_numpy(), pts)
    assert p == q and a <= p <= b
    with pytest.raises(DataError, match="outside"):
        windows_to_index(df["ds"].to_numpy()[:1000], wins)


def test_zscore_finds_the_jump_on_nab(nab):
    root, df = nab
    n_train = int(0.15 * len(df))
    train = df.iloc[:n_train].copy()
    train.attrs.update(df.attrs)
    out = AnomalyDetector(method="zscore", window=64, threshold="pot:1e-3").fit(train).detect(df)
    wins = read_labels(root / "labels" / "combined_windows.json", ["art_daily_jumpsup"])["art_daily_jumpsup"]
    idx = windows_to_index(df["ds"].to_numpy(), wins)
    m = evaluate(out["is_anomaly"].to_numpy(), out["score"].to_numpy(), label_mask(len(df), idx), windows=idx,
                 probation=None)
    assert m["event_f1"] == 1.0 and m["windows_hit"] == 1
    assert m["nab"] > 80  # detected early in the window, no false positive
    assert np.isfinite(m["auc_pr"])
