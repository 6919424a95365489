"""TailMaxScorer (the default scorer): the max over members of each one's score / its own tail
level, per series; streaming == batch; detect leaves the fit alone; model files; the catalog."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from tsrnn.anomaly.catalog import (
    make_normaliser,
    normaliser_spec,
    parse_scorer,
    scorer_from_spec,
    scorer_spec,
)
from tsrnn.anomaly.detector import AnomalyDetector
from tsrnn.anomaly.scorers import ZScoreScorer
from tsrnn.anomaly.tail_combine import TailRatioMax
from tsrnn.anomaly.tailmax import TailMaxScorer, default_members
from tsrnn.anomaly.thresholds import parse_threshold
from tsrnn.errors import ConfigError


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


def _frame(ys: dict[str, np.ndarray]) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {"unique_id": u, "ds": pd.date_range("2024-01-01", periods=len(y), freq="h"), "y": y}
        )
        for u, y in ys.items()
    ]
    df = pd.concat(parts, ignore_index=True)
    df.attrs.update(freq="h", targets=["y"])
    return df


def _series(n: int, seed: int, noise: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.sin(2 * np.pi * t / 24) + noise * rng.normal(size=n)


def _head(df: pd.DataFrame, n: int) -> pd.DataFrame:
    out = df.groupby("unique_id", sort=False).head(n).reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


def _zmax(tail: str = "pot:1e-3") -> TailMaxScorer:
    return TailMaxScorer({"z16": ZScoreScorer(window=16), "z48": ZScoreScorer(window=48)}, tail)


def test_tail_ratio_max_by_hand():
    """TailRatioMax with POT levels (constant): max over members of score / own level, NaN where
    any member is NaN, the levels fitted on each member's own training scores."""
    rng = np.random.default_rng(0)
    ta, tb = np.abs(rng.normal(size=3000)), 10.0 * rng.exponential(size=3000)
    la = parse_threshold("pot:1e-3").fit(ta).value_
    lb = parse_threshold("pot:1e-3").fit(tb).value_
    assert lb > 5 * la  # the members' scales differ: the ratios, not the raw scores, are compared
    a = np.array([np.nan, 0.5 * la, 2.0 * la, 0.1 * la, 1.0])
    b = np.array([1.0, 0.25 * lb, 0.5 * lb, 3.0 * lb, np.nan])
    got = TailRatioMax("pot:1e-3").fit([ta, tb]).transform(np.stack([a, b]))
    want = np.array([np.nan, 0.5, 2.0, 3.0, np.nan])
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_detector_score_is_the_max_of_member_tail_ratios():
    """Through the detector: every member / its mean training score / its POT level on that series,
    max over members; no further division by the combined score's mean (unit-free)."""
    df = _frame({"a": _series(600, 1), "b": _series(600, 2, noise=0.5)})
    train = _head(df, 300)
    det = AnomalyDetector(scorer=_zmax(), threshold="fixed:1.5", cooldown=0).fit(train)
    assert det.score_scale_ == [1.0, 1.0]
    got = det.score(df)
    for k, uid in enumerate(("a", "b")):
        y = df.loc[df["unique_id"] == uid, "y"].to_numpy()
        x = ((y - y[:300].mean()) / y[:300].std())[:, None]
        ratios = []
        for w in (16, 48):
            z = ZScoreScorer(window=w)
            raw = z.score(x)
            u = raw / np.nanmean(raw[:300])
            ratios.append(u / parse_threshold("pot:1e-3").fit(u[:300][np.isfinite(u[:300])]).value_)
        r = np.stack(ratios)
        want = np.where(np.isfinite(r).all(axis=0), r.max(axis=0), np.nan)
        np.testing.assert_allclose(got[600 * k : 600 * (k + 1)], want, rtol=1e-9, equal_nan=True)
    # the noisier series has its own (higher) levels: its typical ratio is not inflated
    med = [np.nanmedian(got[600 * k + 300 : 600 * (k + 1)]) for k in (0, 1)]
    assert 0.2 < med[0] / med[1] < 5.0
    with pytest.raises(ConfigError, match="fitted on 2 series"):
        det.scorer_.score(np.zeros((10, 1)))


def _default_fast() -> TailMaxScorer:
    """The default members with 3 epochs (everything else as the default)."""
    members = default_members()
    for m in members.values():
        if hasattr(m, "epochs"):
            m.epochs = 3
    return TailMaxScorer(members)


def test_default_members_and_options():
    sc = AnomalyDetector().validate()
    assert sc.name == "tailmax" and sc.tail == "spot:1e-3"
    members = sc.member_specs()
    assert list(members) == ["forecast", "forecast-in", "zscore", "level_shift"]
    f, fi, z, ls = (members[k] for k in members)
    for m in (f, fi):
        got = (
            m.window,
            m.stride,
            m.hidden,
            m.layers,
            m.cell,
            m.epochs,
            m.lr,
            m.batch_size,
            m.error,
        )
        assert got == (64, 4, 32, 1, "lstm", 30, 3e-3, 32, "abs")
    assert (f.input_norm, fi.input_norm, z.name, z.window) == (0, 64, "zscore", 64)
    assert (ls.name, ls.short, ls.long) == ("level_shift", 16, 64)
    det = AnomalyDetector()
    assert (det.threshold, det.cooldown, det.normaliser, det.refit) == ("fixed:1.5", 16, None, None)


def test_default_streams_as_it_judges_and_detect_leaves_the_fit_alone():
    """The default configuration (3 epochs): one value at a time gives detect's scores and flags
    on both back ends; detect and score change no fitted state (SPOT levels included)."""
    y = _series(700, 3)
    y[600:606] += 3.0
    df = _frame({"s": y})
    det = AnomalyDetector(scorer=_default_fast()).fit(_head(df, 250))
    sc = det.scorer_
    before = copy.deepcopy([[vars(r.level_) for r in c.ratios_] for c in sc.combs_])
    out = det.detect(df)
    assert out["is_anomaly"].iloc[600:620].sum() == 1  # the burst: one alarm (cooldown 16)
    np.testing.assert_array_equal(det.score(df), out["score"].to_numpy())
    after = [[vars(r.level_) for r in c.ratios_] for c in sc.combs_]
    for b, a in zip(before[0], after[0]):
        assert b.keys() == a.keys()
        for key in b:
            np.testing.assert_array_equal(np.asarray(b[key]), np.asarray(a[key]))
    pd.testing.assert_frame_equal(det.detect(df), out)
    for backend in ("torch", "auto"):
        st = det.streamer(backend=backend)
        got = np.array([st.update(v) for v in y], dtype=float)
        np.testing.assert_allclose(
            got[:, 0], out["score"].to_numpy(), rtol=1e-4, atol=1e-5, equal_nan=True
        )
        np.testing.assert_array_equal(got[:, 1].astype(bool), out["is_anomaly"].to_numpy())


def test_save_load_gives_identical_scores_and_flags(tmp_path):
    """Two series, the default members (3 epochs): the loaded detector judges identically (its
    tail levels fitted again on the stored raw member training scores)."""
    df = _frame({"a": _series(500, 4), "b": 3.0 + 2.0 * _series(500, 5, noise=0.3)})
    df.loc[450, "y"] += 4.0
    det = AnomalyDetector(scorer=_default_fast()).fit(_head(df, 220))
    out = det.detect(df)
    det.save(tmp_path / "d.tsrnn")
    back = AnomalyDetector.load(tmp_path / "d.tsrnn")
    assert scorer_spec(back.scorer_) == scorer_spec(det.scorer_)
    pd.testing.assert_frame_equal(back.detect(df), out)
    st = back.streamer("b", backend="torch")
    yb = df.loc[df["unique_id"] == "b", "y"].to_numpy()
    got = np.array([st.update(v) for v in yb], dtype=float)
    np.testing.assert_allclose(
        got[:, 0], out["score"].to_numpy()[500:], rtol=1e-4, atol=1e-5, equal_nan=True
    )


def test_catalog_names_tailmax_and_the_normalisers(tmp_path):
    sc = parse_scorer("tailmax:members=zscore+tail,window=16,tail=spot:1e-2")
    assert list(sc.members) == ["zscore", "tail"] and sc.tail == "spot:1e-2"
    assert sc.members["zscore"].window == 16 == sc.members["tail"].window
    again = scorer_from_spec(scorer_spec(sc))
    assert scorer_spec(again) == scorer_spec(sc)
    assert list(parse_scorer("tailmax").member_specs()) == [
        "forecast",
        "forecast-in",
        "zscore",
        "level_shift",
    ]
    for bad, why in (
        ("tailmax:window=16", "takes no option window"),
        ("tailmax:members=zscore+zscore", "distinct"),
        ("tailmax:members=zscore,tail=quantile:0.9", "POT or SPOT"),
        ("tailmax:members=zscore+stl", "not causal"),
    ):
        with pytest.raises(ConfigError, match=why):
            parse_scorer(bad)
    norm = make_normaliser("tailratio:spot:1e-3")
    assert normaliser_spec(norm) == {"name": "tailratio", "params": {"threshold": "spot:1e-3"}}
    assert normaliser_spec(make_normaliser("likelihood"))["name"] == "likelihood"
    df = _frame({"s": _series(400, 6)})
    det = AnomalyDetector(
        scorer="zscore:window=32",
        normaliser="tailratio:spot:1e-3",
        threshold="fixed:1.5",
        cooldown=0,
    ).fit(_head(df, 200))
    out = det.detect(df)
    det.save(tmp_path / "n.tsrnn")
    pd.testing.assert_frame_equal(AnomalyDetector.load(tmp_path / "n.tsrnn").detect(df), out)


def test_too_short_a_training_part_is_one_clear_error():
    from tsrnn.errors import DataError

    df = _frame({"s": _series(20, 7)})
    with pytest.raises(DataError, match="no finite training score.*too few points"):
        AnomalyDetector(scorer=TailMaxScorer({"z": ZScoreScorer(window=64)})).fit(df)
