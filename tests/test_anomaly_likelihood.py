"""Score normalisers of tsrnn.anomaly.likelihood and the tail-ratio combiner: hand cases,
causality (later values never change earlier outputs) and stepper == transform."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from tsrnn.anomaly.likelihood import AnomalyLikelihood, TailLevelRatio, tail_decades
from tsrnn.anomaly.tail_combine import TailRatioMax
from tsrnn.anomaly.thresholds import POTThreshold
from tsrnn.errors import ConfigError


def _scores(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    s = np.abs(rng.standard_t(3, size=n))
    s[:7] = np.nan  # a scorer's warm-up
    if n > 905:
        s[900] = 1e7  # a huge spike (clipped by the likelihood)
        s[901:905] = 30.0
    return s


def test_tail_decades_matches_the_normal_tail():
    z = np.array([-3.0, 0.0, 1.0, 4.0, 10.0])
    np.testing.assert_allclose(tail_decades(z), -np.log10(norm.sf(z)), rtol=1e-10)
    assert math.isnan(tail_decades(np.nan))


def test_likelihood_hand_case():
    # short 1, long 4: at t=4 the level 5 against the past levels 0, 2, 0, 2 (mean 1, std 1): z = 4
    out = AnomalyLikelihood(short=1, long=4, min_history=4, min_std=1e-6).transform(
        [0, 2, 0, 2, 5.0]
    )
    assert np.isnan(out[:4]).all()
    assert out[4] == pytest.approx(-math.log10(norm.sf(4.0)), rel=1e-9)
    # short 2: levels 0, 1, 1, 1, 1, 3; at t=5 the past four levels are all 1 (std 0 -> min_std 0.5)
    out = AnomalyLikelihood(short=2, long=4, min_history=4, min_std=0.5).transform(
        [0, 2, 0, 2, 0, 6.0]
    )
    assert out[5] == pytest.approx(-math.log10(norm.sf(4.0)), rel=1e-9)


def test_likelihood_hand_case_before_the_last_point():
    # t=4 of the short-2 case: level 1 against the past levels 0, 1, 1, 1 (mean 0.75, std sqrt(3)/4)
    out = AnomalyLikelihood(short=2, long=4, min_history=4, min_std=1e-6).transform(
        [0, 2, 0, 2, 0, 6.0]
    )
    z = (1.0 - 0.75) / (math.sqrt(3.0) / 4.0)
    assert out[4] == pytest.approx(-math.log10(norm.sf(z)), rel=1e-9)
    assert np.isnan(out[:4]).all()


def test_tail_level_ratio_hand_case():
    train = np.abs(np.random.default_rng(1).normal(size=400))
    s = np.array([0.5, 2.0, np.nan, 8.0])
    np.testing.assert_allclose(TailLevelRatio("fixed:2").fit([train]).transform(s), s / 2.0)
    level = POTThreshold(1e-3).fit(train).value_
    out = TailLevelRatio("pot:1e-3").fit([train]).transform(s)
    np.testing.assert_allclose(out, s / level)
    assert np.isnan(out[2])


def test_spot_ratio_level_keeps_learning():
    rng = np.random.default_rng(2)
    train = np.abs(rng.normal(size=500))
    later = 1.2 * np.abs(rng.normal(size=3000))
    r = TailLevelRatio("spot:1e-3").fit([train])
    out = r.transform(later)
    lvl = later / out
    assert lvl[0] == pytest.approx(POTThreshold(1e-3).fit(train).value_)  # starts at the POT level
    assert np.ptp(lvl) > 0.01  # and moves with the judged scores (SPOT)
    fixed = later / TailLevelRatio("pot:1e-3").fit([train]).transform(later)
    np.testing.assert_allclose(fixed, fixed[0])  # a POT level does not
    np.testing.assert_array_equal(
        r.transform(later), out
    )  # transform leaves the fitted state as is


def _normalisers():
    train = _scores(400, seed=3)[7:]
    return [
        AnomalyLikelihood(short=1, long=64, min_history=16),
        AnomalyLikelihood(short=8, long=256, min_history=32, min_std=0.01),
        TailLevelRatio("spot:1e-3").fit([train]),
        TailLevelRatio("pot:1e-2").fit([train]),
    ]


@pytest.mark.parametrize("k", range(4))
def test_normaliser_stepper_equals_transform(k):
    n = _normalisers()[k]
    s = _scores()
    batch = n.transform(s)
    st = n.stepper()
    stream = np.array([st.update(v) for v in s])
    assert np.array_equal(np.isnan(batch), np.isnan(stream))
    np.testing.assert_allclose(stream, batch, rtol=1e-8, atol=1e-9, equal_nan=True)
    assert np.isfinite(batch[100:]).all()


@pytest.mark.parametrize("k", range(4))
def test_normaliser_is_causal(k):
    n = _normalisers()[k]
    s = _scores()
    base = n.transform(s)
    for cut in (300, 899, 1200):
        t = s.copy()
        t[cut:] = np.random.default_rng(cut).normal(size=len(s) - cut) * 50.0
        out = n.transform(t)
        np.testing.assert_array_equal(out[:cut], base[:cut])
        assert not np.allclose(out[cut:], base[cut:], equal_nan=True)


def test_tail_ratio_max_combines_member_ratios():
    rng = np.random.default_rng(4)
    a, b = _scores(1200, seed=5), np.abs(rng.normal(size=1200))
    comb = TailRatioMax("spot:1e-3").fit([a[:300], b[:300]])
    out = comb.transform(np.stack([a, b]))
    ra = TailLevelRatio("spot:1e-3").fit([a[:300]]).transform(a)
    rb = TailLevelRatio("spot:1e-3").fit([b[:300]]).transform(b)
    np.testing.assert_array_equal(out, np.where(np.isnan(ra), np.nan, np.maximum(ra, rb)))
    st = comb.stepper()
    stream = np.array([st.update(v) for v in zip(a, b)])
    np.testing.assert_allclose(stream, out, rtol=1e-12, equal_nan=True)
    t = a.copy()
    t[700:] = 0.0
    np.testing.assert_array_equal(comb.transform(np.stack([t, b]))[:700], out[:700])
    with pytest.raises(ConfigError, match="fitted on 2 members"):
        comb.transform(np.stack([a]))


@pytest.mark.parametrize(
    "opts, word",
    [
        (dict(short=0), "short"),
        (dict(long=2.5), "long"),
        (dict(long=8, min_history=9), "min_history"),
        (dict(min_std=0.0), "min_std"),
    ],
)
def test_likelihood_rejects_bad_options(opts, word):
    with pytest.raises(ConfigError, match=word):
        AnomalyLikelihood(**opts).fit([])


def test_params_are_json_and_ratio_needs_scores():
    for n in (AnomalyLikelihood(), TailLevelRatio(), TailRatioMax()):
        assert json.loads(json.dumps(n.get_params())) == n.get_params()
    with pytest.raises(ConfigError, match="finite training score"):
        TailLevelRatio().fit([np.array([np.nan])])


def test_composed_members_ratio_max_is_causal():
    # members -> per-member tail level (fitted on the training part) -> max: later values never
    # change earlier combined scores
    from tsrnn.anomaly.scorers import ZScoreScorer

    rng = np.random.default_rng(6)
    x = np.sin(np.arange(2000) / 20.0)[:, None] + 0.1 * rng.normal(size=(2000, 1))
    members = [ZScoreScorer(16), ZScoreScorer(64)]

    def combined(values):
        parts = np.stack([m.score(values) for m in members])
        return TailRatioMax("spot:1e-3").fit([p[:300] for p in parts]).transform(parts)

    base = combined(x)
    y = x.copy()
    y[1500:] += 5.0  # a level shift after t = 1500
    out = combined(y)
    np.testing.assert_array_equal(out[:1500], base[:1500])
    assert out[1500] > 5.0  # the shift is several times the members' own tail level
    assert np.nanmax(base[300:1500]) < 1.5  # no point of the clean stretch reaches 1.5x it
