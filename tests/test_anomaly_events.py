"""Merging anomalous points into events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn.anomaly.events import events_frame, find_events, merge_runs, runs
from tsrnn.errors import ConfigError


def test_runs():
    assert runs([0, 1, 1, 0, 1, 0, 0, 1]) == [(1, 2), (4, 4), (7, 7)]
    assert runs(np.zeros(5, bool)) == []
    assert runs(np.ones(3, bool)) == [(0, 2)]


def test_merge_gap_and_min_length():
    spans = [(1, 2), (4, 4), (9, 9)]
    assert merge_runs(spans) == spans
    assert merge_runs(spans, max_gap=1) == [(1, 4), (9, 9)]
    assert merge_runs(spans, max_gap=4) == [(1, 9)]
    assert merge_runs(spans, min_length=2) == [(1, 2)]
    assert merge_runs(spans, max_gap=1, min_length=2) == [(1, 4)]
    with pytest.raises(ConfigError):
        merge_runs(spans, max_gap=-1)


def test_find_events_peak():
    flags = np.array([0, 1, 1, 1, 0, 0, 1], bool)
    scores = np.array([0, 2, 7, 3, 0, 0, 5.0])
    ev = find_events(flags, scores)
    assert [(e["start"], e["end"], e["peak"], e["peak_score"], e["length"]) for e in ev] == [
        (1, 3, 2, 7.0, 3),
        (6, 6, 6, 5.0, 1),
    ]


def test_events_frame_per_series_with_timestamps():
    ds = pd.date_range("2024-01-01", periods=6, freq="h")
    det = pd.DataFrame(
        {
            "unique_id": ["a"] * 6 + ["b"] * 6,
            "ds": list(ds) * 2,
            "score": [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 9, 8.0],
            "is_anomaly": [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1],
        }
    )
    det["is_anomaly"] = det["is_anomaly"].astype(bool)
    ev = events_frame(det)
    assert ev["unique_id"].tolist() == ["a", "b"]  # never merged across series
    assert ev["start"].tolist() == [ds[1], ds[4]] and ev["end"].tolist() == [ds[2], ds[5]]
    assert ev["peak"].tolist() == [ds[2], ds[4]] and ev["n_points"].tolist() == [2, 2]
