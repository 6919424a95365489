"""tsrnn's NAB scorer against NAB's published scores (numenta/NAB, standard profile) and hand cases.

The published numbers below were read from NAB's repository and are embedded with their paths:
- results/null/null_standard_scores.csv: the null detector (flags nothing) on every file of the five
  categories in ../shared: Score, TN and FN (FN = points inside windows after the probationary
  period, TN = the other points after it), so the window mapping and the probation rule
  min(floor(15% of rows), 750) are checked too;
- results/numenta/numenta_standard_scores.csv and
  results/numenta/realTraffic/numenta_speed_7578.csv:
  HTM's ("numenta") threshold 0.5126953125, its Score 1.23649741556 on speed_7578 (TP 4, FP 3
  points), and the 7 rows whose anomaly_score reaches that threshold (embedded below as timestamps);
  the file's S(t)_standard column gives the contributions checked one by one.
- config/profiles.json: standard profile tpWeight 1, fnWeight 1, fpWeight 0.11.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from tsrnn.anomaly.evaluate import NAB_STANDARD, nab_normalised, nab_score, nab_weights
from tsrnn.anomaly.labels import label_mask, windows_to_index

# results/null/null_standard_scores.csv (numenta/NAB): file -> (Score, TN, FN)
NULL = {
    "artificialNoAnomaly/art_daily_no_noise.csv": (0.0, 3428, 0),
    "artificialNoAnomaly/art_daily_perfect_square_wave.csv": (0.0, 3428, 0),
    "artificialNoAnomaly/art_daily_small_noise.csv": (0.0, 3428, 0),
    "artificialNoAnomaly/art_flatline.csv": (0.0, 3428, 0),
    "artificialNoAnomaly/art_noisy.csv": (0.0, 3428, 0),
    "artificialWithAnomaly/art_daily_flatmiddle.csv": (-1.0, 3025, 403),
    "artificialWithAnomaly/art_daily_jumpsdown.csv": (-1.0, 3025, 403),
    "artificialWithAnomaly/art_daily_jumpsup.csv": (-1.0, 3025, 403),
    "artificialWithAnomaly/art_daily_nojump.csv": (-1.0, 3025, 403),
    "artificialWithAnomaly/art_increase_spike_density.csv": (-1.0, 3025, 403),
    "artificialWithAnomaly/art_load_balancer_spikes.csv": (-1.0, 3025, 403),
    "realAdExchange/exchange-2_cpc_results.csv": (-1.0, 1218, 163),
    "realAdExchange/exchange-2_cpm_results.csv": (-2.0, 1219, 162),
    "realAdExchange/exchange-3_cpc_results.csv": (-3.0, 1155, 153),
    "realAdExchange/exchange-3_cpm_results.csv": (-1.0, 1155, 153),
    "realAdExchange/exchange-4_cpc_results.csv": (-3.0, 1232, 165),
    "realAdExchange/exchange-4_cpm_results.csv": (-4.0, 1233, 164),
    "realKnownCause/ambient_temperature_system_failure.csv": (-2.0, 5791, 726),
    "realKnownCause/cpu_utilization_asg_misconfiguration.csv": (-1.0, 15801, 1499),
    "realKnownCause/ec2_request_latency_system_failure.csv": (-3.0, 3082, 346),
    "realKnownCause/machine_temperature_system_failure.csv": (-4.0, 19677, 2268),
    "realKnownCause/nyc_taxi.csv": (-5.0, 8535, 1035),
    "realKnownCause/rogue_agent_key_hold.csv": (-2.0, 1410, 190),
    "realKnownCause/rogue_agent_key_updown.csv": (-2.0, 4035, 530),
    "realTraffic/TravelTime_387.csv": (-3.0, 1876, 249),
    "realTraffic/TravelTime_451.csv": (-1.0, 1621, 217),
    "realTraffic/occupancy_6005.csv": (-1.0, 1784, 239),
    "realTraffic/occupancy_t4013.csv": (-2.0, 1875, 250),
    "realTraffic/speed_6005.csv": (-1.0, 1886, 239),
    "realTraffic/speed_7578.csv": (-4.0, 842, 116),
    "realTraffic/speed_t4013.csv": (-2.0, 1871, 250),
}

# results/numenta/realTraffic/numenta_speed_7578.csv: rows with anomaly_score >= 0.5126953125 and
# their S(t)_standard contribution (a window's is written on its first row; 15:34 was missed: -1)
NUMENTA_SPEED_7578 = {
    "2015-09-12 00:16:00": -0.109276714495,  # false positive after the first window
    "2015-09-14 17:45:00": -0.11,  # false positives far from any window
    "2015-09-15 06:05:00": -0.11,
    "2015-09-15 14:34:00": 0.871604206333,  # the window starting 2015-09-15 13:26
    "2015-09-16 14:19:00": 0.847084961863,  # the window starting 2015-09-16 13:04
    # the window starting 2015-09-16 16:00 (first of two hits)
    "2015-09-16 17:15:00": 0.847084961863,
    "2015-09-16 17:45:00": None,  # second hit of that window: not counted again
}
NUMENTA_SPEED_7578_SCORE = 1.23649741556  # results/numenta/numenta_standard_scores.csv


@pytest.fixture
def nab_root(shared_data):
    root = shared_data / "anomaly" / "nab"
    if not root.exists():
        pytest.skip("NAB data not present")
    return root


def _series(root, name):
    """NAB reads each file's rows as they are (no de-duplication): so do we here."""
    raw = pd.read_csv(root / "data" / name)
    ds = pd.to_datetime(raw["timestamp"]).to_numpy()
    wins = json.loads((root / "labels" / "combined_windows.json").read_text())[name]
    return ds, windows_to_index(ds, [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in wins], name)


def test_null_and_perfect_detectors_match_nabs_published_null_scores(nab_root):
    assert len(NULL) == 31
    for name, (score, tn, fn) in NULL.items():
        ds, idx = _series(nab_root, name)
        n = len(ds)
        probation = int(min(math.floor(0.15 * n), 0.15 * 5000))
        assert n - probation == tn + fn, name  # NAB's probation rule
        assert int(label_mask(n, idx)[probation:].sum()) == fn, name  # the window mapping
        null = nab_score(np.zeros(n, bool), idx)
        assert null["raw"] == pytest.approx(score, abs=1e-12) and null["null"] == pytest.approx(
            score
        ), name
        # perfect: one detection at the first scored point of every window
        perfect = np.zeros(n, bool)
        for a, b in idx:
            if b >= probation:
                perfect[max(a, probation)] = True
        p = nab_score(perfect, idx)
        assert p["raw"] == pytest.approx(-score) and p["perfect"] == pytest.approx(-score), name
        assert (
            (p["normalised"] == pytest.approx(100.0)) if score < 0 else math.isnan(p["normalised"])
        )


def test_rescoring_htms_published_detections_reproduces_its_published_score(nab_root):
    name = "realTraffic/speed_7578.csv"
    ds, idx = _series(nab_root, name)
    assert len(ds) == 1127 and len(idx) == 4
    pos = {str(pd.Timestamp(t)): i for i, t in enumerate(ds)}
    pred = np.zeros(len(ds), bool)
    pred[[pos[t] for t in NUMENTA_SPEED_7578]] = True
    s = nab_score(pred, idx)
    assert s["raw"] == pytest.approx(NUMENTA_SPEED_7578_SCORE, abs=1e-9)
    assert (s["tp"], s["fn"], s["fp"]) == (3, 1, 3)  # windows hit / missed, false-positive points
    w, which = nab_weights(len(ds), idx)
    for t, contribution in NUMENTA_SPEED_7578.items():
        i = pos[t]
        if which[i] < 0:
            assert w[i] == pytest.approx(contribution, abs=1e-9), t
        elif contribution is not None:
            assert w[i] == pytest.approx(contribution, abs=1e-9), t


def test_nab_hand_cases():
    fp = NAB_STANDARD["fp"]
    n, windows = 100, [(40, 49)]
    # nothing flagged: one missed window; probation min(floor(15), 750) = 15 rows
    assert nab_score(np.zeros(n, bool), windows)["raw"] == -1.0
    # a detection at the window's first point earns the full A_TP = 1
    pred = np.zeros(n, bool)
    pred[40] = True
    assert nab_score(pred, windows)["raw"] == pytest.approx(1.0)
    # at its last point: sigma(-(1/10)) / sigma(-1), with sigma(x) = 2/(1 + e^{5x}) - 1
    sig = lambda x: 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0  # noqa: E731
    pred[:] = False
    pred[49] = True
    assert nab_score(pred, windows)["raw"] == pytest.approx(sig(-0.1) / sig(-1.0))
    # only the earliest detection of a window counts
    pred[40] = True
    assert nab_score(pred, windows)["raw"] == pytest.approx(1.0)
    # a false positive before any window costs A_FP, one right after it almost nothing, one 3 widths
    # later the full A_FP; inside the probationary period nothing counts
    for i, cost in ((20, -fp), (50, fp * sig(1 / 9)), (80, -fp), (10, 0.0)):
        pred[:] = False
        pred[40] = True
        pred[i] = True
        assert nab_score(pred, windows)["raw"] == pytest.approx(1.0 + cost), i
    # a window that ends inside the probationary period is not scored at all
    s = nab_score(np.zeros(n, bool), [(2, 8)])
    assert s["raw"] == 0.0 and s["null"] == 0.0 and math.isnan(s["normalised"])
    assert nab_normalised(-1.0, -2.0, 2.0) == pytest.approx(25.0)
