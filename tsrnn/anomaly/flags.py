"""Per-series helpers shared by the batch detector and the streamers: one series' frame, the
flags a refit leaves out of its threshold calibration, and one alarm per burst (cooldown)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def series_frame(unique_id: str, ds, values: np.ndarray, targets, freq) -> pd.DataFrame:
    """The long frame of one series: unique_id, ds, one column per target from values (T, C)."""
    f = pd.DataFrame({"unique_id": unique_id, "ds": ds})
    for j, c in enumerate(targets):
        f[c] = values[:, j]
    f.attrs.update(freq=freq, targets=list(targets))
    return f


RARE = 0.01  # at most this share of judged points flagged: anomalies; more: a change of regime


def judged_flags(flags: np.ndarray, lo: int, start: int) -> np.ndarray:
    """The rows among lo, lo+1, ... that a refit leaves out of its threshold calibration: those
    judged anomalous after the training part (row >= start; a training row's flag is not a
    judgement), provided they are rare (at most RARE of the judged rows, or one). Anomalies are
    rare by definition: many flags mean the series has moved to a new regime, which the refit
    must learn as normal, so then nothing is left out."""
    judged = np.arange(lo, lo + len(flags)) >= start
    out = np.asarray(flags, dtype=bool) & judged
    return out if out.sum() <= max(1.0, RARE * judged.sum()) else np.zeros_like(out)


def suppress_repeats(flags: np.ndarray, cooldown: int) -> np.ndarray:
    """(T,) bool flags reduced to one alarm per burst: a flag is kept only when no flag (kept or
    not) fell in the `cooldown` points before it, so a run of exceedances, or several close
    together, raise one alarm at their first point, as an operator would be paged once (0:
    unchanged). Causal, so streaming gives the same flags."""
    flags = np.asarray(flags, dtype=bool)
    if cooldown <= 0:
        return flags
    idx = np.flatnonzero(flags)
    keep = np.diff(idx, prepend=-cooldown - 1) > cooldown
    out = np.zeros_like(flags)
    out[idx[keep]] = True
    return out
