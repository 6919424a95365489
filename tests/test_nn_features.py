"""tsrnn.data.features: calendar phases, column layout, windows and date grids (numpy only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn.data.features import (
    calendar_features,
    default_calendar,
    future_calendar,
    last_windows,
    past_dates,
    step_inputs,
)
from tsrnn.data.freq import future_dates
from tsrnn.errors import ConfigError


def test_calendar_known_values():
    ds = np.array(
        ["2024-01-01T06:00", "2024-01-03T18:00", "2024-07-01T00:00"], dtype="datetime64[ns]"
    )
    f = calendar_features(ds, ["tod", "dow", "moy"])
    assert f.shape == (3, 6) and f.dtype == np.float32
    ang = 2 * np.pi * np.array([[0.25, 0 / 7, 0 / 12], [0.75, 2 / 7, 0 / 12], [0.0, 0 / 7, 6 / 12]])
    # 2024-01-01 is a Monday (dow 0); 2024-07-01 is a Monday too; July is month 6 (0-based)
    expect = np.stack([np.sin(ang), np.cos(ang)], -1).reshape(3, 6)
    np.testing.assert_allclose(f, expect, atol=1e-6)
    with pytest.raises(ConfigError, match="'week'"):
        calendar_features(ds, ["week"])


def test_default_calendar_by_frequency():
    assert default_calendar("30min") == ["tod", "dow"]
    assert default_calendar("D") == ["dow", "doy"]
    assert default_calendar("MS") == ["moy"] and default_calendar("QS") == ["moy"]
    assert default_calendar("YS") == [] and default_calendar(None) == []


def test_step_inputs_layout_and_last_windows():
    ds = pd.date_range("2024-01-01", periods=10, freq="h").to_numpy()
    y = np.arange(10.0)[:, None]
    ex = -np.arange(10.0)[:, None]
    x = step_inputs(y, ds, ["tod"], ex)
    assert x.shape == (10, 4)
    np.testing.assert_array_equal(x[:, 0], np.arange(10))
    np.testing.assert_array_equal(x[:, 3], -np.arange(10))
    w = last_windows(x, np.array([0, 4, 10]), 3)
    np.testing.assert_array_equal(w[:, :, 0], [[1, 2, 3], [7, 8, 9]])
    short = last_windows(
        x, np.array([0, 2, 10]), 4
    )  # a 2-row series: left-padded with its first row
    np.testing.assert_array_equal(short[:, :, 0], [[0, 0, 0, 1], [6, 7, 8, 9]])


@pytest.mark.parametrize("freq", ["30min", "h", "D", "MS", "YS"])
def test_date_grids_match_future_dates(freq):
    last = np.array([pd.Timestamp("2020-01-01").to_datetime64()], dtype="datetime64[ns]")
    fut = future_dates(pd.Timestamp(last[0]), 5, freq).to_numpy()
    np.testing.assert_array_equal(
        future_calendar(last, 5, freq, ["moy"])[0], calendar_features(fut, ["moy"])
    )
    past = past_dates(np.array([fut[-1]]), 6, freq)
    np.testing.assert_array_equal(past, np.concatenate([last, fut]))
