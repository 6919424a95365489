"""Resolving the Forecaster's input-preparation options ("auto" and explicit values) from the
data, and bringing prediction histories into the model's value space."""

from __future__ import annotations

import numpy as np

from tsrnn.errors import ConfigError, DataError
from tsrnn.forecast.inputs import Histories
from tsrnn.forecast.transforms import (
    default_input_len,
    forward_values,
    long_seasonal,
    resolve_transform,
    sub_daily,
)

HIDDEN = 64  # the recurrent state's default width
SEGMENT_HIDDEN = 128  # ... when each step reads a whole season (segment × features inputs)


def resolve_prep(
    est,
    season: int,
    horizon: int,
    shortest: int,
    targets: np.ndarray,
    cap: int,
    freq: str | None = None,
) -> dict:
    """The resolved input_len, window_norm, transform ("log" | None), segment (rows per network
    step, 1 = off), residual (season of the seasonal-naive base, 0 = off) and hidden of a Forecaster
    `est` for data with this season, horizon, shortest series, target values (N, C) and frequency.
    """
    if est.input_len is None:
        L = default_input_len(season, horizon, shortest, est.pad, cap, sub_daily(freq))
    else:
        L = int(est.input_len)
    auto = long_seasonal(season, L)
    if est.transform not in (None, "auto", "log"):
        raise ConfigError(f"transform '{est.transform}' is unknown; use 'auto', 'log' or None")
    transform = resolve_transform(
        est.transform if (auto or est.transform != "auto") else None, targets
    )
    seg = est.segment
    if seg == "auto":
        segment = season if auto else 1
    elif seg in (None, False, 0, 1):
        segment = 1
    elif isinstance(seg, (int, np.integer)) and not isinstance(seg, bool) and seg > 1:
        segment = int(seg)
        if L % segment:
            raise ConfigError(
                f"segment {segment} must divide input_len {L}; choose input_len as a "
                f"multiple of it (e.g. {L - L % segment or segment})"
            )
    else:
        raise ConfigError(f"segment must be 'auto', None or a whole number >= 1 (got {seg!r})")
    res = est.residual
    if res == "auto":
        residual = season if auto else 0
    elif res is True:
        if season < 2 or L < season:
            raise ConfigError(
                f"residual=True needs a season > 1 within input_len (season {season}, "
                f"input_len {L}); use residual='auto' or False"
            )
        residual = season
    elif res is False or res is None:
        residual = 0
    else:
        raise ConfigError(f"residual must be 'auto', True or False (got {res!r})")
    wn = est.window_norm
    window_norm = ("season" if auto else "mean") if wn == "auto" else wn
    hidden = (
        (SEGMENT_HIDDEN if segment > 1 else HIDDEN) if est.hidden == "auto" else int(est.hidden)
    )
    return {
        "input_len": int(L),
        "window_norm": window_norm,
        "transform": transform,
        "segment": int(segment),
        "residual": int(residual),
        "hidden": hidden,
    }


def model_space(
    h: Histories, full_values, full_offsets, n_targets: int, transform: str | None, df=None
):
    """Histories (and the full given history (N, V) with its offsets (S+1,), or None) in the
    model's value space; with the log transform every observed target value must be > 0
    (DataError naming the series otherwise)."""
    if transform is None:
        return h, full_values
    tv = h.values[:, :, :n_targets]
    observed = np.arange(tv.shape[1])[None, :] >= (tv.shape[1] - h.n_obs)[:, None]
    bad = np.flatnonzero(((tv <= 0) & observed[:, :, None]).any(axis=(1, 2)))
    if full_values is not None:
        rows = np.flatnonzero((full_values[:, :n_targets] <= 0).any(axis=1))
        bad = np.union1d(bad, np.searchsorted(full_offsets, rows, side="right") - 1).astype(
            np.int64
        )
    if len(bad):
        src = (
            df
            if isinstance(df, str)
            else (df.attrs.get("source", "data") if df is not None else "history")
        )
        raise DataError(
            f"{src}: series '{h.ids[int(bad[0])]}' has target values <= 0, but this model "
            "forecasts the log of positive series; give positive values or refit with "
            "transform=None"
        )
    fv = forward_values(full_values, n_targets, transform) if full_values is not None else None
    return Histories(h.ids, forward_values(h.values, n_targets, transform), h.last_ds, h.n_obs), fv
