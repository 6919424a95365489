"""LevelShiftScorer: the score of a step in the level, causality, stream = batch, bad options."""

import numpy as np
import pytest

from tsrnn.anomaly.level_shift import LevelShiftScorer, level_shift
from tsrnn.anomaly.tail_combine import TailRatioMax
from tsrnn.errors import ConfigError


def _step_series(n=600, at=400, size=3.0, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    x[at:] += size
    return x


def test_value_by_hand():
    x = np.r_[np.zeros(4), [1.0, 3.0], [5.0, 7.0]]
    s = level_shift(x, short=2, long=4)
    assert np.isnan(s[:5]).all()
    # t = 5: reference x[0:4] = 0 (std 0 -> floor 1e-2), recent x[4:6] mean 2
    assert s[5] == pytest.approx(2.0 / 1e-2)
    # t = 7: reference x[2:6] = 0, 0, 1, 3 (mean 1, std sqrt(1.5)), recent 5, 7 (mean 6)
    assert s[7] == pytest.approx(5.0 / np.sqrt(1.5))


def test_step_scores_high_right_after_it_and_spike_less():
    x = _step_series()
    s = LevelShiftScorer(16, 64).fit([x[:200, None]]).score(x[:, None])
    before, after = np.nanmax(s[:400]), np.nanmax(s[400:420])
    assert after > 2.0 * before
    assert 400 <= int(np.nanargmax(s)) < 400 + 17
    y = np.random.default_rng(1).normal(0.0, 1.0, 600)
    y[400] += 20.0  # one spike: moves the recent mean by 20/16
    sy = level_shift(y, 16, 64)
    assert np.nanmax(sy[400:420]) < np.nanmax(s[400:420])


def test_causal_and_stream_equals_batch():
    x = _step_series(n=300, at=200)
    full = level_shift(x, 8, 32)
    cut = level_shift(x[:250], 8, 32)
    np.testing.assert_allclose(cut, full[:250], equal_nan=True)
    sc = LevelShiftScorer(8, 32).fit([x[:100, None]])
    st = sc.stepper(1)
    stream = np.array([st.update(x[t : t + 1]) for t in range(len(x))])
    np.testing.assert_allclose(stream, sc.score(x[:, None]), rtol=1e-12, equal_nan=True)


def test_several_columns_take_the_largest():
    a, b = _step_series(seed=2), np.random.default_rng(3).normal(size=600)
    both = level_shift(np.c_[a, b], 16, 64)
    np.testing.assert_allclose(both, np.fmax(level_shift(a), level_shift(b)), equal_nan=True)


def test_on_the_tail_scale_with_other_members():
    x = _step_series(n=1200, at=900, size=2.5)
    sh = level_shift(x)
    z = np.abs(x)
    comb = TailRatioMax("spot:1e-3").fit([sh[:400][np.isfinite(sh[:400])], z[:400]])
    r = comb.transform(np.stack([np.nan_to_num(sh, nan=0.0), z]))
    assert np.nanmax(r[900:920]) > 1.0
    assert np.nanmedian(r[400:900]) < 0.5


@pytest.mark.parametrize("opts", [dict(short=0), dict(long=1), dict(short=2.5), dict(long=True)])
def test_bad_options(opts):
    with pytest.raises(ConfigError, match="level-shift scorer"):
        LevelShiftScorer(**opts).fit([np.zeros((10, 1))])
