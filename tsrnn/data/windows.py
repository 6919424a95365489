"""Sliding windows over stacked series, as views, never crossing a series boundary.

A panel's rows are stacked end to end (see Panel). `window_starts` lists the global row index of
every window that lies inside one series; `window_view` / `torch_window_view` expose all windows
of the stacked array as a zero-copy view, so a batch is `view[starts[batch]]` — only the batch is
ever materialised.
"""

from __future__ import annotations

import numpy as np


def window_starts(
    offsets: np.ndarray,
    window: int,
    stride: int = 1,
    first: np.ndarray | int | None = None,
    last_end: np.ndarray | int | None = None,
) -> np.ndarray:
    """Global start rows of every window of length `window` inside one series.

    offsets:  (S + 1,) series boundaries.
    stride:   step between consecutive windows of one series (counted back from the series end,
              so the most recent window is always included).
    first:    optional per-series (S,) or scalar: earliest allowed start, relative to the series.
    last_end: optional per-series (S,) or scalar: windows must end at or before this relative row
              (exclusive), e.g. the training cutoff.
    Returns (W,) int64 sorted by series then time.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    S = len(lengths)
    ends = (
        lengths
        if last_end is None
        else np.minimum(lengths, np.broadcast_to(np.asarray(last_end), (S,)))
    )
    lo = (
        np.zeros(S, dtype=np.int64)
        if first is None
        else np.broadcast_to(np.asarray(first, dtype=np.int64), (S,))
    )
    out = []
    for s in range(S):
        hi = int(ends[s]) - window  # last valid relative start
        if hi < lo[s]:
            continue
        rel = np.arange(hi, int(lo[s]) - 1, -stride)[::-1]
        out.append(offsets[s] + rel)
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)


def window_view(values: np.ndarray, window: int) -> np.ndarray:
    """Zero-copy view of all length-`window` windows of a stacked (N, C) array:
    (N-window+1, window, C)."""
    if len(values) < window:
        return np.empty((0, window) + values.shape[1:], dtype=values.dtype)
    v = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)  # (M, C, window)
    return v.transpose(0, 2, 1)


def series_windows(
    y: np.ndarray, input_len: int, horizon: int, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Input/target windows of one 1-D series as views: X (W, input_len), Y (W, horizon)."""
    w = np.lib.stride_tricks.sliding_window_view(np.asarray(y), input_len + horizon)[::-1][
        ::stride
    ][::-1]
    return w[:, :input_len], w[:, input_len:]


def torch_window_view(values, window: int):
    """torch counterpart of `window_view` via Tensor.unfold:
    (N, C) → (N-window+1, window, C) view."""
    return values.unfold(0, window, 1).transpose(1, 2)
