"""Anomalous points merged into events: (start, end, peak score),
with minimum length and gap options."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsrnn.errors import ConfigError

__all__ = ["runs", "merge_runs", "find_events", "events_frame"]


def runs(mask) -> list[tuple[int, int]]:
    """Maximal runs of True in a (T,) bool array, as inclusive (start, end) index pairs."""
    m = np.asarray(mask, dtype=bool).ravel()
    if not m.any():
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def merge_runs(
    spans: list[tuple[int, int]], max_gap: int = 0, min_length: int = 1
) -> list[tuple[int, int]]:
    """Join runs separated by at most `max_gap` normal points, then drop those shorter than
    `min_length`."""
    if max_gap < 0 or min_length < 1:
        raise ConfigError(
            f"event options: gap must be >= 0 (got {max_gap}) and min length >= 1 (got "
            f"{min_length})"
        )
    out: list[list[int]] = []
    for a, b in spans:
        if out and a - out[-1][1] - 1 <= max_gap:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out if b - a + 1 >= min_length]


def find_events(flags, scores=None, max_gap: int = 0, min_length: int = 1) -> list[dict]:
    """Events of one series: flags (T,) bool, scores (T,)
    -> [{start, end, length, peak, peak_score}] with inclusive
    integer positions; `peak` is the position of the highest score in the event."""
    flags = np.asarray(flags, dtype=bool)
    s = np.zeros(len(flags)) if scores is None else np.asarray(scores, dtype=np.float64)
    out = []
    for a, b in merge_runs(runs(flags), max_gap, min_length):
        seg = np.where(np.isfinite(s[a : b + 1]), s[a : b + 1], -np.inf)
        k = a + int(np.argmax(seg))
        out.append(
            {"start": a, "end": b, "length": b - a + 1, "peak": k, "peak_score": float(s[k])}
        )
    return out


def events_frame(detections: pd.DataFrame, max_gap: int = 0, min_length: int = 1) -> pd.DataFrame:
    """Events of a detection frame (unique_id, ds, score, is_anomaly) as a frame with columns
    unique_id, start, end, peak, peak_score, n_points (timestamps for start/end/peak)."""
    cols = ["unique_id", "start", "end", "peak", "peak_score", "n_points"]
    rows = []
    for uid, g in detections.groupby("unique_id", sort=False):
        ds = g["ds"].to_numpy()
        for e in find_events(
            g["is_anomaly"].to_numpy(), g["score"].to_numpy(), max_gap, min_length
        ):
            rows.append(
                {
                    "unique_id": uid,
                    "start": ds[e["start"]],
                    "end": ds[e["end"]],
                    "peak": ds[e["peak"]],
                    "peak_score": e["peak_score"],
                    "n_points": e["length"],
                }
            )
    return pd.DataFrame(rows, columns=cols)
