"""The ensemble method (quantile-normalised members), its streaming, and joint multivariate
judging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_anomaly_detector import _det

from tsrnn.anomaly.detector import AnomalyDetector
from tsrnn.anomaly.ensemble import EnsembleScorer, normalise
from tsrnn.anomaly.evaluate import auc_pr
from tsrnn.anomaly.scorers import IForestScorer, ZScoreScorer
from tsrnn.errors import ConfigError


def _frame(values: np.ndarray, cols=("y",), uid="s") -> pd.DataFrame:
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    f = pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=len(values), freq="5min")}
    )
    for j, c in enumerate(cols):
        f[c] = values[:, j]
    f.attrs.update(freq="5min", targets=list(cols))
    return f


def _series(n=900, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = np.sin(2 * np.pi * t / 48) + 0.1 * rng.standard_normal(n)
    y[int(n * 0.78)] += 3.0  # one spike in the judged part
    return y


def test_members_are_put_on_one_scale_by_their_training_quantiles():
    rng = np.random.default_rng(1)
    train = [rng.standard_normal((400, 1))]
    ens = EnsembleScorer({"zscore": ZScoreScorer(32), "iforest": IForestScorer(16, 50, 0)}).fit(
        train
    )
    for name, m in ens.members_.items():
        s = m.score(train[0])
        s = s[np.isfinite(s)]
        med, spread = ens.stats_[name]
        u = normalise(s, med, spread)
        assert np.median(u) == pytest.approx(1.0) and np.quantile(u, 0.99) == pytest.approx(2.0)
    x = rng.standard_normal((100, 1))
    parts = np.stack(list(ens.member_scores(x).values()))
    np.testing.assert_allclose(
        ens.score(x), np.where(np.isfinite(parts).all(0), parts.mean(0), np.nan)
    )
    assert np.isnan(ens.score(x)[:16]).all() and np.isfinite(ens.score(x)[16:]).all()  # look-backs
    mx = EnsembleScorer(ens.members, "max")
    mx.stats_, mx.members_ = ens.stats_, ens.members_
    np.testing.assert_allclose(mx.score(x)[40:], parts.max(0)[40:])
    with pytest.raises(ConfigError, match="combine"):
        EnsembleScorer(ens.members, "median").validate()


def test_ensemble_detector_finds_the_spike_refuses_bad_members_and_saves(tmp_path):
    y = _series()
    df = _frame(y)
    det = _det("ensemble", members="zscore,iforest", window=32, threshold="pot:1e-3").fit(
        df.iloc[:300]
    )
    out = det.detect(df)
    k = int(len(y) * 0.78)
    assert out["is_anomaly"].iloc[k] and out["score"].iloc[k] == out["score"].max()
    with pytest.raises(ConfigError, match="ensemble member 'nope' is unknown"):
        _det("ensemble", members="zscore,nope").fit(df.iloc[:300])
    full = _det(
        "ensemble",
        members="zscore,iforest,forecast",
        window=32,
        hidden=8,
        epochs=2,
        stride=4,
        input_norm=32,
        error="scaled",
        threshold="pot:1e-3",
    ).fit(df.iloc[:300])
    full.save(tmp_path / "e.tsrnn")
    back = AnomalyDetector.load(tmp_path / "e.tsrnn")
    pd.testing.assert_frame_equal(back.detect(df), full.detect(df))


def test_ensemble_streaming_equals_batch():
    y = _series(600)
    df = _frame(y)
    det = _det(
        "ensemble",
        members="zscore,iforest,forecast",
        window=32,
        hidden=8,
        epochs=2,
        stride=4,
        input_norm=32,
        error="scaled",
        threshold="pot:1e-3",
    ).fit(df.iloc[:200])
    out = det.detect(df)
    for backend in ("torch", "auto"):
        st = det.streamer(backend=backend)
        got = np.array([st.update(v) for v in y], dtype=object)
        scores = got[:, 0].astype(float)
        np.testing.assert_allclose(
            scores, out["score"].to_numpy(), rtol=1e-5, atol=1e-6, equal_nan=True
        )
        np.testing.assert_array_equal(got[:, 1].astype(bool), out["is_anomaly"].to_numpy())


def test_two_columns_judged_jointly_find_an_anomaly_no_single_column_shows():
    """cpu and memory of one host move together; for 60 points memory runs in anti-phase. Each
    column alone stays a normal sine (same level, range and period), so a per-column z-score sees
    nothing; judged jointly (IsolationForest on both columns' window features, and the ensemble
    that holds it) the stretch stands out."""
    rng = np.random.default_rng(3)
    n, t = 1200, np.arange(1200)
    base = np.sin(2 * np.pi * t / 48)
    cpu = base + 0.05 * rng.standard_normal(n)
    mem = base + 0.05 * rng.standard_normal(n)
    lab = np.zeros(n, bool)
    lab[800:860] = True
    mem[lab] = -base[lab] + 0.05 * rng.standard_normal(lab.sum())
    df = _frame(np.column_stack([cpu, mem]), cols=("cpu", "memory"))
    train = df.iloc[:600]

    def judged(method, **kw):
        out = _det(method, window=16, threshold="pot:1e-3", **kw).fit(train).detect(df)
        s = out["score"].to_numpy()[600:]
        return auc_pr(s, lab[600:]), out["is_anomaly"].to_numpy()[600:]

    z_auc, z_flags = judged("zscore")
    i_auc, i_flags = judged("iforest")
    e_auc, e_flags = judged("ensemble", members="zscore,iforest")
    share = lab[600:].mean()  # AUC-PR of a score that knows nothing
    assert z_auc < 2 * share and not (z_flags & lab[600:]).any()
    assert i_auc > 0.5 and (i_flags & lab[600:]).any()
    assert e_auc > 4 * share and (e_flags & lab[600:]).any()  # diluted by the blind z-score member


def test_cooldown_keeps_one_alarm_per_burst_in_batch_and_stream():
    from tsrnn.anomaly.flags import suppress_repeats

    f = np.zeros(20, bool)
    f[[2, 3, 4, 9, 10, 15]] = True
    # a new alarm only when none of the `cooldown` points before it was flagged: 3, 4 and 10 repeat
    # the alarm before them; 9 and 15 come 5 points after the last flag
    np.testing.assert_array_equal(np.flatnonzero(suppress_repeats(f, 4)), [2, 9, 15])
    np.testing.assert_array_equal(np.flatnonzero(suppress_repeats(f, 5)), [2])
    np.testing.assert_array_equal(suppress_repeats(f, 0), f)
    y = _series(900)
    y[750:760] += 2.5  # a burst: several exceedances in a row
    df = _frame(y)
    det = _det("zscore", window=32, threshold="pot:1e-2", cooldown=20).fit(df.iloc[:300])
    out = det.detect(df)
    raw = _det("zscore", window=32, threshold="pot:1e-2", cooldown=0).fit(df.iloc[:300]).detect(df)
    assert raw["is_anomaly"].sum() > out["is_anomaly"].sum() >= 1
    np.testing.assert_array_equal(
        out["is_anomaly"].to_numpy(), suppress_repeats(raw["is_anomaly"].to_numpy(), 20)
    )
    st = det.streamer()
    flags = [st.update(v)[1] for v in y]
    np.testing.assert_array_equal(flags, out["is_anomaly"].to_numpy())
    with pytest.raises(ConfigError, match="cooldown"):
        _det("zscore", cooldown=-1).fit(df.iloc[:300])
    # with online refits: the same cooldown over the whole series, batch and stream
    on = _det("zscore", window=32, threshold="pot:1e-2", cooldown=20, refit_every=150)
    out = on.fit(df.iloc[:300]).detect(df)
    raw = on.clone().set_params(cooldown=0).fit(df.iloc[:300]).detect(df)
    np.testing.assert_array_equal(
        out["is_anomaly"].to_numpy(), suppress_repeats(raw["is_anomaly"].to_numpy(), 20)
    )
    st = on.streamer()
    np.testing.assert_array_equal([st.update(v)[1] for v in y], out["is_anomaly"].to_numpy())


def test_tail_scorer_surprise_and_streaming(tmp_path):
    from tsrnn.anomaly.tails import TailScorer

    rng = np.random.default_rng(5)
    sc = TailScorer(8).fit([rng.standard_normal((300, 1))])
    n = len(sc.sorted_)
    # a window beyond every training window in all 7 features' upper tail: 7·log(n + 1) at most
    far = np.full((8, 1), 50.0)
    far[-1] = 60.0
    s = sc.score(far)[-1]
    assert np.isnan(sc.score(far)[:7]).all() and 0 < s <= 7 * np.log(n + 1) + 1e-9
    typical = sc.score(rng.standard_normal((200, 1)))[7:]
    assert np.median(typical) < s / 3
    y = _series(500)
    df = _frame(y)
    det = _det("tail", window=16, threshold="pot:1e-3", cooldown=10).fit(df.iloc[:200])
    out = det.detect(df)
    st = det.streamer()
    got = np.array([st.update(v) for v in y], dtype=float)
    np.testing.assert_allclose(got[:, 0], out["score"].to_numpy(), rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(got[:, 1].astype(bool), out["is_anomaly"].to_numpy())
    det.save(tmp_path / "t.tsrnn")
    pd.testing.assert_frame_equal(AnomalyDetector.load(tmp_path / "t.tsrnn").detect(df), out)


def test_default_configuration_streams_exactly_as_it_judges():
    """AnomalyDetector() with every default (the cross-validated NAB choice, cooldown included):
    one value at a time gives detect's scores and flags, on both streaming back ends."""
    y = _series(700)
    y[600:606] += 2.0  # a burst: the cooldown keeps one alarm
    df = _frame(y)
    det = AnomalyDetector().fit(df.iloc[:200])
    sc = det.scorer_
    assert (sc.name, sc.tail, det.threshold, det.cooldown, det.normaliser, det.refit) == (
        "tailmax",
        "spot:1e-3",
        "fixed:1.5",
        16,
        None,
        None,
    )
    assert list(sc.members_) == ["forecast", "forecast-in", "zscore", "level_shift"]
    f = sc.members_["forecast"]
    assert (f.window, f.hidden, f.epochs, f.lr, f.batch_size, f.stride) == (64, 32, 30, 3e-3, 32, 4)
    out = det.detect(df)
    assert out["is_anomaly"].sum() >= 1
    for backend in ("torch", "auto"):
        st = det.streamer(backend=backend)
        got = np.array([st.update(v) for v in y], dtype=float)
        np.testing.assert_allclose(
            got[:, 0], out["score"].to_numpy(), rtol=1e-4, atol=1e-5, equal_nan=True
        )
        np.testing.assert_array_equal(got[:, 1].astype(bool), out["is_anomaly"].to_numpy())
