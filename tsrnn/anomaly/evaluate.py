"""Scoring detections against labels: point, event (range), point-adjusted, AUC-PR and NAB.

All functions take one series as arrays: `pred` (T,) bool decisions, `label` (T,) bool truth (a
labelled window is a run of True), `scores` (T,) raw anomaly scores.

- point P/R/F1: every point counts.
- event (range) P/R/F1: recall = share of labelled windows touched by at least one detection (a
  window counts once however many points hit it); precision = share of detected events (runs of
  True in `pred`) that overlap a labelled window.
- point-adjusted F1 (Xu et al. 2018): a window touched once counts as wholly detected, then point
  F1. Reported because papers do, but optimistic: one lucky point inside a long window earns it all.
- AUC-PR: average precision of the raw score (threshold-free).
- NAB (Lavin & Ahmad 2015), standard profile: windows, scaled-sigmoid position weight, A_TP=1,
  A_FP=0.11, A_FN=1, probationary first 15% (at most 750 points) not scored; normalised per corpus
  as 100·(raw - null)/(perfect - null), null = detector that flags nothing, perfect = one detection
  at the start of each window.
"""

from __future__ import annotations

import math

import numpy as np

from tsrnn.anomaly.events import runs

__all__ = [
    "point_prf",
    "event_prf",
    "point_adjusted_prf",
    "auc_pr",
    "nab_score",
    "nab_normalised",
    "NAB_STANDARD",
    "evaluate",
    "evaluate_frame",
    "event_f1_from_counts",
    "corpus_metrics",
]

NAB_STANDARD = {"tp": 1.0, "fp": 0.11, "fn": 1.0}


def _prf(tp: float, n_pred: float, n_true: float) -> dict:
    p = tp / n_pred if n_pred else float("nan")
    r = tp / n_true if n_true else float("nan")
    f = (
        2 * p * r / (p + r)
        if (n_pred and n_true and p + r > 0)
        else (0.0 if n_pred and n_true else float("nan"))
    )
    return {"precision": p, "recall": r, "f1": f}


def point_prf(pred, label) -> dict:
    """Point-wise precision, recall, F1 (nan where undefined: no positives predicted / labelled)."""
    pred, label = np.asarray(pred, bool), np.asarray(label, bool)
    return _prf(float((pred & label).sum()), float(pred.sum()), float(label.sum()))


def event_prf(pred, label) -> dict:
    """Range-based precision/recall/F1 and the counts behind them (for pooling over series)."""
    pred, label = np.asarray(pred, bool), np.asarray(label, bool)
    windows, events = runs(label), runs(pred)
    hit = sum(1 for a, b in windows if pred[a : b + 1].any())
    good = sum(1 for a, b in events if label[a : b + 1].any())
    out = {
        "windows": len(windows),
        "windows_hit": hit,
        "events": len(events),
        "events_in_window": good,
    }
    p = good / len(events) if events else float("nan")
    r = hit / len(windows) if windows else float("nan")
    out.update(precision=p, recall=r, f1=event_f1_from_counts(hit, len(windows), good, len(events)))
    return out


def event_f1_from_counts(hit: int, n_windows: int, good: int, n_events: int) -> float:
    """Event F1 from (pooled) counts. With no labelled window: 1.0 when nothing was detected,
    else 0."""
    if n_windows == 0:
        return 1.0 if n_events == 0 else 0.0
    if n_events == 0 or hit == 0 or good == 0:
        return 0.0
    p, r = good / n_events, hit / n_windows
    return 2 * p * r / (p + r)


def point_adjusted_prf(pred, label) -> dict:
    """Point F1 after marking every labelled window that holds a detection as fully detected
    (optimistic)."""
    return point_prf(_adjust(pred, label), label)


def _adjust(pred, label) -> np.ndarray:
    pred, label = np.asarray(pred, bool).copy(), np.asarray(label, bool)
    for a, b in runs(label):
        if pred[a : b + 1].any():
            pred[a : b + 1] = True
    return pred


def auc_pr(scores, label) -> float:
    """Average precision of the raw scores (nan without positive labels).
    Non-finite scores rank lowest."""
    from sklearn.metrics import average_precision_score

    label = np.asarray(label, bool)
    if not label.any():
        return float("nan")
    s = np.asarray(scores, dtype=np.float64)
    s = np.where(
        np.isfinite(s), s, np.nanmin(s[np.isfinite(s)]) - 1.0 if np.isfinite(s).any() else 0.0
    )
    return float(average_precision_score(label, s))


def _scaled_sigmoid(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0)


def nab_weights(
    n: int, windows: list[tuple[int, int]], profile: dict = NAB_STANDARD
) -> tuple[np.ndarray, np.ndarray]:
    """Per-point NAB sweep weights (n,) and window number (n,) (-1 outside windows).

    Inside window [a, b]: A_TP·σ*(-(b - i + 1)/w)/σ*(-1) (1 at the first point, ~0 at the last);
    outside: A_FP·σ*(|b_prev - i|/(w_prev - 1)) after a window, -A_FP before the first one, where
    σ*(x) = 2/(1 + e^{5x}) - 1 (and -1 for x > 3).
    """
    max_tp = float(_scaled_sigmoid(-1.0))
    w = np.full(n, -profile["fp"])
    which = np.full(n, -1, dtype=np.int64)
    idx = np.arange(n)
    ends = np.array([b for _, b in windows], dtype=np.int64)
    for k, (a, b) in enumerate(windows):
        width = b - a + 1
        i = idx[a : b + 1]
        w[a : b + 1] = _scaled_sigmoid(-(b - i + 1) / width) * profile["tp"] / max_tp
        which[a : b + 1] = k
    out = which < 0
    if len(windows):
        prev = np.searchsorted(ends, idx, side="right") - 1  # last window ending before i
        has = out & (prev >= 0)
        widths = np.array([b - a + 1 for a, b in windows], dtype=np.float64)
        pos = np.abs(ends[prev[has]] - idx[has]) / np.maximum(widths[prev[has]] - 1.0, 1.0)
        w[has] = _scaled_sigmoid(pos) * profile["fp"]
    return w, which


def nab_score(
    pred, windows: list[tuple[int, int]], probation: int | None = None, profile: dict = NAB_STANDARD
) -> dict:
    """Raw NAB score of one series' detections with its null and perfect scores.

    pred: (T,) bool; windows: inclusive (start, end) positions; probation: points not scored
    (default NAB's min(floor(0.15·T), 750)). Returns raw, null, perfect, tp, fp, fn, normalised
    (per series; nan where perfect == null, i.e. no window).
    """
    pred = np.asarray(pred, bool)
    n = len(pred)
    if probation is None:
        probation = int(min(math.floor(0.15 * n), 0.15 * 5000))
    w, which = nab_weights(n, windows, profile)
    scored = np.arange(n) >= probation
    live = [k for k, (a, b) in enumerate(windows) if b >= probation]
    raw, tp, fn = 0.0, 0, 0
    for k in live:
        hits = pred & (which == k) & scored
        if hits.any():
            raw += float(w[hits].max())
            tp += 1
        else:
            raw -= profile["fn"]
            fn += 1
    fp_mask = pred & (which < 0) & scored
    raw += float(w[fp_mask].sum())
    null, perfect = -profile["fn"] * len(live), profile["tp"] * len(live)
    return {
        "raw": raw,
        "null": null,
        "perfect": perfect,
        "tp": tp,
        "fp": int(fp_mask.sum()),
        "fn": fn,
        "normalised": nab_normalised(raw, null, perfect),
    }


def nab_normalised(raw: float, null: float, perfect: float) -> float:
    """100·(raw - null)/(perfect - null);
    sum raw/null/perfect over series first for a corpus score."""
    return 100.0 * (raw - null) / (perfect - null) if perfect > null else float("nan")


def evaluate(
    pred, scores, label, windows: list[tuple[int, int]] | None = None, probation: int | None = 0
) -> dict:
    """Every metric of one series as a flat dict (windows default to the runs of `label`)."""
    label = np.asarray(label, bool)
    windows = runs(label) if windows is None else windows
    pt, ev, pa = point_prf(pred, label), event_prf(pred, label), point_adjusted_prf(pred, label)
    nab = nab_score(pred, windows, probation=probation)
    return {
        "point_precision": pt["precision"],
        "point_recall": pt["recall"],
        "point_f1": pt["f1"],
        "event_precision": ev["precision"],
        "event_recall": ev["recall"],
        "event_f1": ev["f1"],
        "pa_f1": pa["f1"],
        "auc_pr": auc_pr(scores, label),
        "nab": nab["normalised"],
        "windows": ev["windows"],
        "windows_hit": ev["windows_hit"],
        "events": ev["events"],
        "events_in_window": ev["events_in_window"],
        "nab_raw": nab["raw"],
        "nab_null": nab["null"],
        "nab_perfect": nab["perfect"],
    }


def judged_metrics(pred, score, windows: list[tuple[int, int]], start: int) -> dict:
    """Event F1, AUC-PR and NAB of a series' rows from `start` on (its judged part, after the
    training part): pred (T,) bool and score (T,) over the whole series, windows as row ranges
    over it (clipped to the judged rows; NAB with the probationary period = start, so nothing
    before it is scored). The counts are those corpus_metrics pools. score None: no AUC-PR
    (for callers that judge many flag variants of one score)."""
    from tsrnn.anomaly.labels import label_mask

    pred = np.asarray(pred, bool)
    lab = label_mask(len(pred), windows)[start:]
    ev = event_prf(pred[start:], lab)
    nab = nab_score(pred, windows, probation=start)
    auc = {} if score is None else {"auc_pr": auc_pr(np.asarray(score, np.float64)[start:], lab)}
    return {
        "event_f1": ev["f1"],
        "windows": ev["windows"],
        "windows_hit": ev["windows_hit"],
        "events": ev["events"],
        "events_in_window": ev["events_in_window"],
        **auc,
        "nab_raw": nab["raw"],
        "nab_null": nab["null"],
        "nab_perfect": nab["perfect"],
        "flagged": int(pred[start:].sum()),
    }


def evaluate_frame(out, labels: dict, probation: int | None = 0):
    """Metrics of a detect frame against per-series (T,) bool label masks: one row per series and an
    "all" row (event F1 and NAB from pooled counts and raw scores, point and point-adjusted metrics
    over all points, AUC-PR the mean over labelled series). Series absent from `labels` count as
    having no anomaly."""
    import pandas as pd

    rows, preds, labs = [], [], []
    for uid, g in out.groupby("unique_id", sort=False):
        lab = np.asarray(labels.get(uid, np.zeros(len(g), bool)), bool)
        pred = g["is_anomaly"].to_numpy(bool)
        rows.append(
            {"unique_id": uid, **evaluate(pred, g["score"].to_numpy(), lab, probation=probation)}
        )
        preds.append(pred)
        labs.append(lab)
    df = pd.DataFrame(rows)
    pred, lab = np.concatenate(preds), np.concatenate(labs)
    adj = np.concatenate([_adjust(p, q) for p, q in zip(preds, labs)])
    pt, pa = point_prf(pred, lab), point_prf(adj, lab)
    c = {k: int(df[k].sum()) for k in ("windows", "windows_hit", "events", "events_in_window")}
    raw, null, perfect = (float(df[k].sum()) for k in ("nab_raw", "nab_null", "nab_perfect"))
    total = {
        "unique_id": "all",
        "point_precision": pt["precision"],
        "point_recall": pt["recall"],
        "point_f1": pt["f1"],
        "event_precision": c["events_in_window"] / c["events"] if c["events"] else float("nan"),
        "event_recall": c["windows_hit"] / c["windows"] if c["windows"] else float("nan"),
        "event_f1": event_f1_from_counts(
            c["windows_hit"], c["windows"], c["events_in_window"], c["events"]
        ),
        "pa_f1": pa["f1"],
        "auc_pr": float(df["auc_pr"].mean()),
        "nab": nab_normalised(raw, null, perfect),
        **c,
        "nab_raw": raw,
        "nab_null": null,
        "nab_perfect": perfect,
    }
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def corpus_metrics(rows) -> dict:
    """Pooled metrics of a set of per-series rows (a data frame or list of dicts, one row per series
    and seed, with the columns event_f1, windows, windows_hit, events, events_in_window, auc_pr,
    nab_raw, nab_null, nab_perfect as `evaluate` names them). Returns: "mean event F1" (mean over
    rows; a series without labelled window scores 1 when nothing is flagged, else 0), "pooled event
    F1" (from summed counts), "AUC-PR" (mean over rows with a window; nan if none), "NAB" (standard
    score from the summed raw, null and perfect scores, so the false alarms on series without any
    window count against the corpus; nan when no row has a window), "NAB raw" (summed) and
    "events" (summed)."""
    import pandas as pd

    g = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    s = {k: int(g[k].sum()) for k in ("windows", "windows_hit", "events", "events_in_window")}
    auc = g["auc_pr"].dropna()
    raw, null, perfect = (float(g[k].sum()) for k in ("nab_raw", "nab_null", "nab_perfect"))
    return {
        "mean event F1": float(g["event_f1"].mean()),
        "pooled event F1": event_f1_from_counts(
            s["windows_hit"], s["windows"], s["events_in_window"], s["events"]
        ),
        "AUC-PR": float(auc.mean()) if len(auc) else float("nan"),
        "NAB": nab_normalised(raw, null, perfect),
        "NAB raw": raw,
        "events": s["events"],
    }
