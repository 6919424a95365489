"""M4 scoring: OWA, the seasonality test, classical indices and Naive2 (hand values and M4's own
published Naive2 figures on the development half)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn import Naive2
from tsrnn.baselines.seasonal import acf, classical_indices, seasonality_test
from tsrnn.metrics import mase, owa, smape


def test_owa_hand_values():
    # half of (10/20 + 1/2) = 0.5; equal to the reference = 1
    assert owa(10.0, 1.0, 20.0, 2.0) == pytest.approx(0.5)
    assert owa(18.0, 2.4, 18.0, 2.4) == pytest.approx(1.0)
    assert owa(9.0, 2.4, 18.0, 2.4) == pytest.approx(0.75)
    assert np.isnan(owa(1.0, 1.0, 0.0, 1.0))


def test_smape_and_mase_hand_values():
    # |1-2| / (1+2) * 200 = 66.67, |2-2| = 0 → mean 33.33
    assert smape([1.0, 2.0], [2.0, 2.0]) == pytest.approx(100.0 / 3.0)
    # training seasonal differences at lag 2: |3-1|, |4-2| → scale 2; MAE 1 → MASE 0.5
    assert mase([5.0, 6.0], [4.0, 7.0], [1.0, 2.0, 3.0, 4.0], 2) == pytest.approx(0.5)


def test_acf_hand_value():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    # deviations -1.5 -0.5 0.5 1.5; lag 1: (0.75 - 0.25 + 0.75) / 5 = 0.25
    assert acf(y, 1) == pytest.approx(0.25)
    assert acf(y, 0) == 1.0


def test_classical_indices_recover_a_multiplicative_season():
    season = np.array([0.5, 1.0, 1.5, 1.0])
    t = np.arange(48)
    y = (10.0 + 0.1 * t) * season[t % 4]
    idx = classical_indices(y, 4)
    assert idx.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(idx, season, rtol=0.02)


def test_naive2_on_a_seasonal_and_a_flat_series():
    season = np.array([0.5, 1.0, 1.5, 1.0])
    y = 10.0 * season[np.arange(40) % 4]
    assert seasonality_test(y, 4)
    f = Naive2(4).fit(y).predict(6).mean
    # last adjusted value is 10; forecast = 10 × the indices of positions 40..45
    np.testing.assert_allclose(f, 10.0 * season[np.arange(40, 46) % 4], rtol=1e-9)
    rng = np.random.default_rng(0)
    noise = 100 + rng.normal(size=200)
    m = Naive2(24).fit(noise)
    assert not m.seasonal_
    np.testing.assert_allclose(m.predict(3).mean, noise[-1])


def test_naive2_reproduces_m4_published_figures(shared_data):
    root = shared_data / "series" / "m4_hourly_dev"
    tr = pd.read_csv(root / "Hourly-train-odd.csv", index_col=0)
    te = pd.read_csv(root / "Hourly-test-odd.csv", index_col=0)
    s, m = [], []
    for uid in tr.index:
        y = tr.loc[uid].dropna().to_numpy(float)
        yt = te.loc[uid].dropna().to_numpy(float)
        f = Naive2(24).fit(y).predict(48).mean
        s.append(smape(yt, f))
        m.append(mase(yt, f, y, 24))
    # SOURCE.txt: Naive2 sMAPE 18.22 / MASE 2.432 on this half
    assert np.mean(s) == pytest.approx(18.22, abs=0.005)
    assert np.mean(m) == pytest.approx(2.432, abs=0.0005)
