"""Scalers invert exactly; windows equal a naive loop and never cross a series boundary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsrnn.data.scaling import CONSTANT_REL, SCALERS, SeriesScaler
from tsrnn.data.windows import series_windows, torch_window_view, window_starts, window_view


def ragged(rng, n_series=5, lo=3, hi=40, channels=1):
    lengths = rng.integers(lo, hi, size=n_series)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.normal(size=(offsets[-1], channels)) * rng.uniform(0.1, 100) + rng.uniform(-50, 50)
    return values, offsets


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(SCALERS), channels=st.integers(1, 3))
def test_inverse_of_scale_is_identity(seed, method, channels):
    rng = np.random.default_rng(seed)
    values, offsets = ragged(rng, channels=channels)
    sc = SeriesScaler(method).fit(values, offsets)
    idx = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    z = sc.transform(values, idx)
    np.testing.assert_allclose(sc.inverse_transform(z, idx), values, atol=1e-6, rtol=0)
    back = SeriesScaler.from_dict(sc.to_dict())
    np.testing.assert_allclose(back.inverse_transform(z, idx), values, atol=1e-6, rtol=0)


def test_scaler_statistics_and_fit_on_train_only(rng):
    values = np.array([[1.0], [2.0], [3.0], [10.0], [10.0], [10.0]])
    sc = SeriesScaler("standard").fit(values, np.array([0, 3, 6]))
    np.testing.assert_allclose(sc.loc_[:, 0], [2.0, 10.0])
    # a constant series gets a scale of CONSTANT_REL × its magnitude: its values scale to 0 and any
    # network output maps back to its constant
    np.testing.assert_allclose(sc.scale_[:, 0], [np.std([1, 2, 3]), 10.0 * CONSTANT_REL])
    mm = SeriesScaler("minmax").fit(values[:3], np.array([0, 3]))
    np.testing.assert_allclose(
        mm.transform(np.array([1.0, 3.0, 5.0]), np.array([0, 0, 0]), column=0), [0, 1, 2]
    )
    rb = SeriesScaler("robust").fit(
        np.array([[1.0], [2.0], [3.0], [4.0], [100.0]]), np.array([0, 5])
    )
    assert rb.loc_[0, 0] == 3.0 and rb.scale_[0, 0] == 2.0
    df = SeriesScaler("diff").fit(
        np.array([[1.0], [3.0], [2.0], [6.0], [5.0], [5.0]]), np.array([0, 4, 6])
    )
    np.testing.assert_allclose(df.loc_[:, 0], [3.0, 5.0])
    # naive MAE; a series without change is constant
    np.testing.assert_allclose(df.scale_[:, 0], [(2 + 1 + 4) / 3, 5.0 * CONSTANT_REL])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), window=st.integers(1, 12), stride=st.integers(1, 4))
def test_windows_equal_naive_loop_and_stay_inside_series(seed, window, stride):
    rng = np.random.default_rng(seed)
    values, offsets = ragged(rng, n_series=int(rng.integers(1, 6)), lo=1, hi=30, channels=2)
    starts = window_starts(offsets, window, stride)
    expected = []
    for s in range(len(offsets) - 1):
        series = values[offsets[s] : offsets[s + 1]]
        rel = list(range(len(series) - window, -1, -stride))[::-1]
        expected += [(s, r, series[r : r + window]) for r in rel]
    assert len(starts) == len(expected)
    view = window_view(values, window)
    assert len(view) == 0 or np.shares_memory(view, values)  # zero copy
    sid = np.searchsorted(offsets, starts, side="right") - 1
    for (s, r, w), g, gs in zip(expected, starts, sid):
        assert gs == s and g - offsets[s] == r
        assert g + window <= offsets[s + 1]  # never crosses into the next series
        np.testing.assert_array_equal(view[g], w)


def test_window_limits_and_series_windows():
    offsets = np.array([0, 10, 25])
    starts = window_starts(offsets, 4, 1, first=2, last_end=8)
    assert starts.tolist() == [2, 3, 4, 12, 13, 14]
    x, y = series_windows(np.arange(10), 3, 2, stride=2)
    assert x.tolist() == [[1, 2, 3], [3, 4, 5], [5, 6, 7]] and y.tolist() == [
        [4, 5],
        [6, 7],
        [8, 9],
    ]


def test_torch_unfold_matches_numpy(rng):
    torch = pytest.importorskip("torch")
    values, offsets = ragged(rng, channels=3)
    starts = window_starts(offsets, 7)
    t = torch.from_numpy(values)
    tv = torch_window_view(t, 7)
    assert tv.data_ptr() == t.data_ptr()  # a view
    np.testing.assert_array_equal(
        tv[torch.from_numpy(starts)].numpy(), window_view(values, 7)[starts]
    )
