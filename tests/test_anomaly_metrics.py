"""Every detection metric on hand-made cases; NAB scoring against a literal port of NAB's
sweeper."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tsrnn.anomaly.evaluate import (
    auc_pr,
    evaluate_frame,
    event_prf,
    nab_normalised,
    nab_score,
    point_adjusted_prf,
    point_prf,
)


def _b(idx, n):
    m = np.zeros(n, bool)
    m[list(idx)] = True
    return m


def test_point_prf():
    r = point_prf([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(2 / 3)
    assert math.isnan(point_prf([0, 0], [1, 0])["precision"])
    assert point_prf([0, 0], [1, 0])["recall"] == 0


def test_event_prf_counts_a_window_once():
    label = _b(list(range(2, 5)) + [8, 9], 12)  # windows [2,4] and [8,9]
    pred = _b([2, 3, 4, 6], 12)  # one window hit three times + one false event
    r = event_prf(pred, label)
    assert (r["windows"], r["windows_hit"], r["events"], r["events_in_window"]) == (2, 1, 2, 1)
    assert r["precision"] == 0.5 and r["recall"] == 0.5 and r["f1"] == pytest.approx(0.5)
    # no labelled window: perfect only when nothing is detected
    assert event_prf(np.zeros(5, bool), np.zeros(5, bool))["f1"] == 1.0
    assert event_prf(_b([1], 5), np.zeros(5, bool))["f1"] == 0.0


def test_point_adjusted_is_optimistic():
    label = _b(range(2, 6), 10)
    pred = _b([3], 10)
    assert point_prf(pred, label)["recall"] == 0.25
    pa = point_adjusted_prf(pred, label)
    assert pa["precision"] == 1.0 and pa["recall"] == 1.0


def test_auc_pr_hand_example():
    # ranking: 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.1 (neg): AP = (1/1 + 2/3) / 2
    assert auc_pr([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) == pytest.approx((1 + 2 / 3) / 2)
    assert auc_pr([0.1, 0.9, np.nan], [0, 1, 0]) == pytest.approx(1.0)
    assert math.isnan(auc_pr([1, 2], [0, 0]))


def _sig(x):
    return -1.0 if x > 3.0 else 2 / (1 + math.exp(5 * x)) - 1


def test_nab_hand_cases():
    w = [(10, 19)]  # width 10 in 100 points, nothing probationary
    first = nab_score(_b([10], 100), w, probation=0)
    assert first["raw"] == pytest.approx(1.0) and first["normalised"] == pytest.approx(100.0)
    last = nab_score(_b([19], 100), w, probation=0)
    assert last["raw"] == pytest.approx(_sig(-0.1) / _sig(-1.0))  # late detection earns little
    assert nab_score(np.zeros(100, bool), w, probation=0)["normalised"] == pytest.approx(0.0)
    # a false positive before any window costs A_FP = 0.11 on top of the missed window
    before = nab_score(_b([5], 100), w, probation=0)
    assert before["raw"] == pytest.approx(-1.11) and before["fp"] == 1 and before["fn"] == 1
    # just after the window the cost is small, far after it is the full 0.11
    after = nab_score(_b([10, 20], 100), w, probation=0)
    assert after["raw"] == pytest.approx(1.0 + 0.11 * _sig(1 / 9))
    far = nab_score(_b([10, 90], 100), w, probation=0)
    assert far["raw"] == pytest.approx(1.0 - 0.11)
    # several detections in one window count once (the best one)
    assert nab_score(_b([10, 12, 15], 100), w, probation=0)["raw"] == pytest.approx(1.0)
    # detections in the probationary period are ignored
    assert nab_score(_b([5], 100), w, probation=8)["raw"] == pytest.approx(-1.0)


def _nab_reference(pred, windows, probation, tp=1.0, fp=0.11, fn=1.0):
    """Literal port of NAB's Sweeper.calcSweepScore + the score of one threshold (numenta/NAB)."""
    n = len(pred)
    max_tp = _sig(-1.0)
    wins = list(windows)
    cur = None
    prev_right = prev_width = None
    points = []
    for i in range(n):
        if wins and i == wins[0][0]:
            cur = wins.pop(0)
            cur_right, cur_width = cur[1], float(cur[1] - cur[0] + 1)
            name = cur
        if cur is not None:
            weighted = _sig(-(cur_right - i + 1) / cur_width) * tp / max_tp
        else:
            un = -1.0 if prev_right is None else _sig(abs(prev_right - i) / float(prev_width - 1))
            weighted = un * fp
        points.append(
            (pred[i], weighted, (name if cur is not None else None) if i >= probation else "prob")
        )
        if cur is not None and i == cur[1]:
            prev_right, prev_width, cur = i, cur_width, None
    parts = {"fp": 0.0}
    for _, _, nm in points:
        if nm not in ("prob", None):
            parts[nm] = -fn
    for p, wgt, nm in points:
        if not p or nm == "prob":
            continue
        if nm is None:
            parts["fp"] += wgt
        else:
            parts[nm] = max(parts[nm], wgt)
    return sum(parts.values())


def test_nab_matches_reference_port():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(200, 400))
        starts = np.sort(
            rng.choice(np.arange(40, n - 30, 30), size=int(rng.integers(1, 4)), replace=False)
        )
        windows = [(int(s), int(s) + int(rng.integers(2, 20))) for s in starts]
        pred = rng.random(n) < 0.03
        prob = int(min(math.floor(0.15 * n), 750))
        ours = nab_score(pred, windows)  # default probation = NAB's
        assert ours["raw"] == pytest.approx(_nab_reference(pred, windows, prob))


def test_nab_normalised_and_frame():
    import pandas as pd

    assert nab_normalised(0.0, -2.0, 2.0) == 50.0
    assert math.isnan(nab_normalised(0.0, 0.0, 0.0))
    out = pd.DataFrame(
        {
            "unique_id": ["a"] * 10 + ["b"] * 10,
            "score": np.arange(20.0),
            "is_anomaly": _b([3, 15], 20),
        }
    )
    labels = {"a": _b([3, 4], 10), "b": np.zeros(10, bool)}
    m = evaluate_frame(out, labels).set_index("unique_id")
    assert m.loc["a", "event_f1"] == 1.0 and m.loc["b", "event_f1"] == 0.0
    # pooled: 1 window hit of 1, 1 of 2 events inside a window
    assert m.loc["all", "event_f1"] == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert m.loc["all", "point_precision"] == 0.5 and m.loc["all", "point_recall"] == 0.5
