"""Prediction inputs in numpy (shared by the torch and numba back ends): the last input_len rows
of every series, scaled by the model's statistics (known series) or the history's own (unseen
series), turned into step features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsrnn.data.features import (
    calendar_features,
    future_calendar,
    last_windows,
    past_dates,
    step_inputs,
)
from tsrnn.data.scaling import SeriesScaler


@dataclass
class Histories:
    """The recent past of S series.

    ids: S names; values: (S, T, V) raw value columns (targets then exogenous), T = input_len;
    last_ds: (S,) datetime64[ns] timestamp of each series' last row; n_obs: (S,) how many of the
    T rows are observed (series shorter than T are left-padded with their first row).
    """

    ids: list[str]
    values: np.ndarray
    last_ds: np.ndarray
    n_obs: np.ndarray | None = None

    def __post_init__(self):
        if self.n_obs is None:
            self.n_obs = np.full(len(self.ids), self.values.shape[1], dtype=np.int64)

    @classmethod
    def last(cls, panel, input_len: int) -> Histories:
        """The last input_len rows of every series of a Panel, left-padded where shorter."""
        n_obs = np.minimum(panel.lengths, input_len).astype(np.int64)
        return cls(
            list(panel.ids),
            last_windows(panel.values, panel.offsets, input_len),
            panel.last_ds(),
            n_obs,
        )

    def to_json(self) -> dict:
        return {
            "ids": list(self.ids),
            "values": self.values.tolist(),
            "last_ds": [str(np.datetime64(t, "ns")) for t in self.last_ds],
            "n_obs": self.n_obs.tolist(),
        }

    @classmethod
    def from_json(cls, d: dict) -> Histories:
        vals = np.asarray(d["values"], dtype=np.float64)
        n_obs = np.asarray(d["n_obs"], dtype=np.int64) if "n_obs" in d else None
        return cls(list(d["ids"]), vals, np.asarray(d["last_ds"], dtype="datetime64[ns]"), n_obs)


def point_index(quantiles: list[float] | None) -> int:
    """Which network output is the point forecast: the quantile nearest 0.5, or the only output."""
    if not quantiles:
        return 0
    return int(np.argmin([abs(q - 0.5) for q in quantiles]))


def series_stats(
    h: Histories, scaler: SeriesScaler, known: list[str], full_values=None, full_offsets=None
):
    """Per-series location/scale (S, V) for the histories and each series' index in the training
    set (-1 for unseen). Unseen series are scaled by their own statistics, computed on their full
    given history (full_values (N, V), full_offsets (S+1,)) or, without it, on `h.values`."""
    pos = {s: i for i, s in enumerate(known)}
    sid = np.array([pos.get(s, -1) for s in h.ids], dtype=np.int64)
    S, V = len(h.ids), h.values.shape[2]
    loc, scale = np.zeros((S, V)), np.ones((S, V))
    seen = sid >= 0
    loc[seen], scale[seen] = scaler.loc_[sid[seen]], scaler.scale_[sid[seen]]
    unseen = np.flatnonzero(~seen)
    if len(unseen):
        own = SeriesScaler(scaler.method)
        if full_values is not None:
            parts = [full_values[full_offsets[i] : full_offsets[i + 1]] for i in unseen]
        else:
            parts = [h.values[i] for i in unseen]
        offs = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
        own.fit(np.concatenate(parts), offs)
        loc[unseen], scale[unseen] = own.loc_, own.scale_
    return sid, loc, scale


def encoder_inputs(
    h: Histories,
    loc: np.ndarray,
    scale: np.ndarray,
    n_targets: int,
    kinds: list[str],
    freq: str,
    pad: bool = False,
) -> np.ndarray:
    """(S, T, F) float32 step features of the histories (layout of tsrnn.data.features.step_inputs;
    with `pad`, padded rows get zero calendar features and a last "observed" column is added, as
    in pad_panel)."""
    S, T, V = h.values.shape
    scaled = ((h.values - loc[:, None, :]) / scale[:, None, :]).reshape(S * T, V)
    ds = past_dates(h.last_ds, T, freq)
    x = step_inputs(
        scaled[:, :n_targets], ds, kinds, scaled[:, n_targets:] if V > n_targets else None
    )
    x = x.reshape(S, T, -1)
    if not pad:
        return x
    observed = np.arange(T)[None, :] >= (T - h.n_obs)[:, None]  # (S, T)
    x[:, :, n_targets : n_targets + 2 * len(kinds)] *= observed[:, :, None]
    return np.concatenate([x, observed[:, :, None].astype(np.float32)], axis=2)


def pad_panel(
    inputs: np.ndarray, offsets: np.ndarray, P: int, n_targets: int, n_exog: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left-pad every series of stacked step features (N, F) with P rows and add an "observed"
    column: padded rows repeat the series' first targets and exogenous values, have zero calendar
    features and observed 0. Returns (inputs (N + S*P, F + 1), series numbers, new offsets)."""
    offsets = np.asarray(offsets, dtype=np.int64)
    S = len(offsets) - 1
    N, F = inputs.shape
    new_off = offsets + P * np.arange(S + 1)
    out = np.zeros((N + S * P, F + 1), dtype=np.float32)
    real = np.arange(N) + P * np.repeat(np.arange(S), np.diff(offsets))
    out[real, :F] = inputs
    out[real, F] = 1.0
    pad_rows = (new_off[:-1, None] + np.arange(P)[None, :]).ravel()
    first = np.repeat(offsets[:-1], P)
    value_cols = [*range(n_targets), *range(F - n_exog, F)]
    out[pad_rows[:, None], value_cols] = inputs[first[:, None], value_cols]
    return out, np.repeat(np.arange(S, dtype=np.int64), np.diff(new_off)), new_off


def window_ref(x, n_targets: int, kind: str | None, observed: bool, season: int = 1):
    """The per-window reference level of window_norm (S, C) from step features x (S, T, F), numpy
    or torch (prediction and the training gather share it): the last step's targets ("last"),
    their mean over observed steps ("mean"; `observed`: the last column is the padding flag) or
    over the observed steps of the last `season` rows ("season"); None when off."""
    if kind is None:
        return None
    if kind == "last":
        return x[:, -1, :n_targets]
    if kind == "season":
        x = x[:, -max(1, min(int(season), x.shape[1])) :]
    if not observed:
        return x[:, :, :n_targets].mean(1)
    m = x[:, :, -1:]
    return (x[:, :, :n_targets] * m).sum(1) / m.sum(1)


def decoder_inputs(h: Histories, horizon: int, kinds: list[str], freq: str) -> np.ndarray:
    """(S, horizon, 2*len(kinds)) calendar features of the future steps (seq2seq decoders)."""
    return future_calendar(h.last_ds, horizon, freq, kinds)


__all__ = [
    "Histories",
    "series_stats",
    "encoder_inputs",
    "decoder_inputs",
    "point_index",
    "calendar_features",
    "pad_panel",
    "window_ref",
]
