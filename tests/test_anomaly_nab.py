"""NAB's own files: labels read and mapped onto a real series, a detector scored against them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_anomaly_detector import _det

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
    df = pd.DataFrame(
        {
            "unique_id": "art_daily_jumpsup",
            "ds": pd.to_datetime(raw["timestamp"]),
            "y": raw["value"],
        }
    )
    df.attrs.update(freq="5min", targets=["y"])
    return root, df


def test_nab_windows_map_onto_the_series(nab):
    root, df = nab
    wins = read_labels(root / "labels" / "combined_windows.json", ["art_daily_jumpsup"])[
        "art_daily_jumpsup"
    ]
    assert wins == [(pd.Timestamp("2014-04-10 16:15"), pd.Timestamp("2014-04-12 01:45"))]
    idx = windows_to_index(df["ds"].to_numpy(), wins)
    a, b = idx[0]
    assert df["ds"].iat[a] == wins[0][0] and df["ds"].iat[b] == wins[0][1]
    assert b - a + 1 == 403  # 33.5 hours of 5-minute points
    # point labels (combined_labels.json) become one-point windows inside that window
    pts = read_labels(root / "labels" / "combined_labels.json", ["art_daily_jumpsup"])[
        "art_daily_jumpsup"
    ]
    ((p, q),) = windows_to_index(df["ds"].to_numpy(), pts)
    assert p == q and a <= p <= b
    with pytest.raises(DataError, match="outside"):
        windows_to_index(df["ds"].to_numpy()[:1000], wins)


def test_zscore_finds_the_jump_on_nab(nab):
    root, df = nab
    n_train = int(0.15 * len(df))
    train = df.iloc[:n_train].copy()
    train.attrs.update(df.attrs)
    out = _det("zscore", window=64, threshold="pot:1e-3").fit(train).detect(df)
    wins = read_labels(root / "labels" / "combined_windows.json", ["art_daily_jumpsup"])[
        "art_daily_jumpsup"
    ]
    idx = windows_to_index(df["ds"].to_numpy(), wins)
    m = evaluate(
        out["is_anomaly"].to_numpy(),
        out["score"].to_numpy(),
        label_mask(len(df), idx),
        windows=idx,
        probation=None,
    )
    assert m["event_f1"] == 1.0 and m["windows_hit"] == 1
    assert m["nab"] > 80  # detected early in the window, no false positive
    assert np.isfinite(m["auc_pr"])


def test_the_shipped_nyc_taxi_labels_are_nabs_windows_on_the_shipped_series(shared_data):
    """datasets/ ships NAB's nyc_taxi series with its 5 windows keyed by the file's series id; both
    map onto the series, and they equal NAB's own files where those are present."""
    from conftest import DATASETS

    from tsrnn.data.io import read_series
    from tsrnn.data.shipped import list_datasets

    entry = next(e for e in list_datasets() if e["name"] == "nyc_taxi")
    df = read_series(entry["path"])
    assert (
        df.attrs["freq"] == "30min"
        and len(df) == 10320
        and df["unique_id"].iat[0] == "nyc_taxi_halfhourly"
    )
    wins = read_labels(entry["labels_path"], ["nyc_taxi_halfhourly"])["nyc_taxi_halfhourly"]
    assert len(wins) == 5 and wins[0] == (
        pd.Timestamp("2014-10-30 15:30"),
        pd.Timestamp("2014-11-03 22:30"),
    )
    idx = windows_to_index(df["ds"].to_numpy(), wins)
    assert all(df["ds"].iat[a] == w[0] and df["ds"].iat[b] == w[1] for (a, b), w in zip(idx, wins))
    root = shared_data / "anomaly" / "nab"
    if root.exists():
        raw = pd.read_csv(root / "data" / "realKnownCause" / "nyc_taxi.csv")
        np.testing.assert_array_equal(df["y"].to_numpy(), raw["value"].to_numpy())
        assert (
            wins == read_labels(root / "labels" / "combined_windows.json", ["nyc_taxi"])["nyc_taxi"]
        )
    assert (
        (DATASETS / "LICENSE-NAB.txt")
        .read_text()
        .startswith(("The MIT License", "MIT License", "Copyright"))
    )
