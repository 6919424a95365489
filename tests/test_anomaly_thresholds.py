"""Thresholds on synthetic scores with planted anomalies (known answers), POT against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tsrnn.anomaly.evt import fit_gpd, pot_quantile
from tsrnn.anomaly.thresholds import (
    ContaminationThreshold,
    DynamicThreshold,
    POTThreshold,
    QuantileThreshold,
    SigmaThreshold,
    SPOTThreshold,
    parse_threshold,
    prune_sequences,
)
from tsrnn.errors import ConfigError, NotFittedError

PLANTED = np.array([150, 600, 601, 602, 1400])


def _planted(rng, n=2000):
    """|N(0,1)| scores with spikes of 12 at PLANTED."""
    s = np.abs(rng.normal(size=n))
    s[PLANTED] = 12.0
    return s


def test_quantile_value_and_planted(rng):
    train = np.arange(1001, dtype=float)  # 0..1000
    thr = QuantileThreshold(0.99).fit(train)
    assert thr.value_ == pytest.approx(990.0)
    assert "0.99" in thr.explain() and "990" in thr.explain()
    test = np.full(50, 500.0)
    test[[3, 7]] = 995.0
    _, flags = thr.apply(test)
    assert np.flatnonzero(flags).tolist() == [3, 7]


def test_sigma_robust_to_outliers(rng):
    train = rng.normal(size=20000)
    train[:200] = 1e6  # 1% gross outliers barely move median/MAD
    thr = SigmaThreshold(5).fit(train)
    assert thr.value_ == pytest.approx(5.0, abs=0.15)
    assert "MAD" in thr.explain()
    _, flags = thr.apply(_planted(rng))
    assert np.flatnonzero(flags).tolist() == PLANTED.tolist()


def test_sigma_zero_mad_falls_back_to_std():
    train = np.zeros(100)
    train[-10:] = 1.0
    thr = SigmaThreshold(3).fit(train)
    assert thr.value_ == pytest.approx(3 * train.std())
    assert "std" in thr.explain()


def test_constant_scores_never_alarm():
    for spec in ("quantile:0.99", "sigma:4", "pot", "spot", "dynamic"):
        thr = parse_threshold(spec).fit(np.ones(500))
        _, flags = thr.apply(np.ones(300))
        assert not flags.any(), spec


def test_contamination_flags_top_fraction(rng):
    s = rng.random(1000)
    thr = ContaminationThreshold(0.01).fit(s)
    _, flags = thr.apply(s)
    assert flags.sum() == 10
    assert set(np.flatnonzero(flags)) == set(np.argsort(s)[-10:])


def test_pot_quantile_matches_genpareto_on_large_sample():
    rng = np.random.default_rng(7)
    c, scale = 0.1, 2.0
    x = stats.genpareto.rvs(c, scale=scale, size=400_000, random_state=rng)
    thr = POTThreshold(risk=1e-4, level=0.98).fit(x)
    truth = stats.genpareto.ppf(1 - 1e-4, c, scale=scale)
    assert thr.value_ == pytest.approx(truth, rel=0.05)
    # the excesses over a GPD's quantile are again GPD with the same shape
    assert thr.gamma_ == pytest.approx(c, abs=0.05)
    assert "generalized Pareto" in thr.explain()


def test_fit_gpd_matches_scipy_mle(rng):
    y = stats.genpareto.rvs(0.25, scale=1.5, size=3000, random_state=rng)
    g, s = fit_gpd(y)
    c_ref, _, s_ref = stats.genpareto.fit(y, floc=0)
    ll = stats.genpareto.logpdf(y, g, scale=s).sum()
    ll_ref = stats.genpareto.logpdf(y, c_ref, scale=s_ref).sum()
    assert ll >= ll_ref - 1e-6  # at least as likely as scipy's optimum
    assert g == pytest.approx(c_ref, abs=0.01) and s == pytest.approx(s_ref, rel=0.01)


def test_pot_quantile_exponential_limit():
    # gamma = 0: z = t - sigma * log(q n / N_t)
    assert pot_quantile(1.0, 0.0, 2.0, 1e-3, 1000, 10) == pytest.approx(1.0 - 2.0 * np.log(0.1))


def test_pot_and_spot_find_planted(rng):
    train = np.abs(rng.normal(size=5000))
    for cls in (POTThreshold, SPOTThreshold):
        thr = cls(risk=1e-4).fit(train)
        _, flags = thr.apply(_planted(rng))
        assert set(PLANTED) <= set(np.flatnonzero(flags)), cls.__name__
        assert flags.sum() <= len(PLANTED) + 2, cls.__name__


def test_spot_updates_with_new_peaks(rng):
    thr = SPOTThreshold(risk=1e-3).fit(np.abs(rng.normal(size=2000)))
    before = thr.value_
    level, _ = thr.apply(np.abs(rng.normal(scale=2.0, size=3000)))  # the normal regime got wider
    assert level[-1] > before  # the threshold moved up with the new peaks
    assert len(np.unique(level)) > 1


def test_dynamic_finds_planted_sequences(rng):
    e = np.abs(rng.normal(scale=0.1, size=3000))
    e[1000:1030] = 3.0
    e[2200:2220] = 3.0
    thr = DynamicThreshold().fit(e[:500])
    _, flags = thr.apply(e)
    hit = np.flatnonzero(flags)
    assert flags[1010:1030].all() and flags[2210:2220].all()
    assert (
        hit.min() >= 1000 and not flags[1100:2200].any() and hit.max() < 2240
    )  # EWMA lags a little
    assert "z=" in thr.explain() and "pruned" in thr.explain()


def test_dynamic_pruning_known_answer():
    e = np.zeros(100)
    e[10:13] = 5.0  # strong
    e[40:42] = 1.0  # barely above the normal maximum 0.95: pruned
    e[70:72] = 4.8  # within 13% of the strongest, but followed by a big drop: kept
    e[80] = 0.95
    seqs = [(10, 12), (40, 41), (70, 71)]
    assert prune_sequences(e, seqs, 0.95, 0.13) == [(10, 12), (70, 71)]
    # with p so large no drop qualifies, everything is pruned
    assert prune_sequences(e, seqs, 0.95, 0.99) == []


def test_parse_threshold_specs_and_errors():
    assert (
        isinstance(parse_threshold("pot:1e-4"), POTThreshold)
        and parse_threshold("pot:1e-4").risk == 1e-4
    )
    assert parse_threshold("quantile:0.95").q == 0.95
    assert parse_threshold("sigma:3").k == 3
    assert isinstance(parse_threshold("dynamic"), DynamicThreshold)
    for bad in ("foo", "quantile:2", "pot:x", "sigma:-1", "fixed", ""):
        with pytest.raises(ConfigError):
            parse_threshold(bad)
    with pytest.raises(NotFittedError):
        QuantileThreshold(0.9).apply(np.ones(3))
