"""Prediction inputs in numpy (shared by the torch and numba back ends): the last input_len rows
of every series, scaled by the model's statistics (known series) or the history's own (unseen
series), turned into step features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsrnn.data.features import calendar_features, future_calendar, past_dates, step_inputs
from tsrnn.data.scaling import SeriesScaler


@dataclass
class Histories:
    """The recent past of S series.

    ids: S names; values: (S, T, V) raw value columns (targets then exogenous), T = input_len;
    last_ds: (S,) datetime64[ns] timestamp of each series' last row.
    """

    ids: list[str]
    values: np.ndarray
    last_ds: np.ndarray

    def to_json(self) -> dict:
        return {
            "ids": list(self.ids),
            "values": self.values.tolist(),
            "last_ds": [str(np.datetime64(t, "ns")) for t in self.last_ds],
        }

    @classmethod
    def from_json(cls, d: dict) -> Histories:
        vals = np.asarray(d["values"], dtype=np.float64)
        return cls(list(d["ids"]), vals, np.asarray(d["last_ds"], dtype="datetime64[ns]"))


def point_index(quantiles: list[float] | None) -> int:
    """Which network output is the point forecast: the quantile nearest 0.5, or the only output."""
    if not quantiles:
        return 0
    return int(np.argmin([abs(q - 0.5) for q in quantiles]))


def series_stats(h: Histories, scaler: SeriesScaler, known: list[str], full_values=None, full_offsets=None):
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


def encoder_inputs(h: Histories, loc: np.ndarray, scale: np.ndarray, n_targets: int, kinds: list[str],
                   freq: str) -> np.ndarray:
    """(S, T, F) float32 step features of the histories (layout of tsrnn.data.features.step_inputs)."""
    S, T, V = h.values.shape
    scaled = ((h.values - loc[:, None, :]) / scale[:, None, :]).reshape(S * T, V)
    ds = past_dates(h.last_ds, T, freq)
    x = step_inputs(scaled[:, :n_targets], ds, kinds, scaled[:, n_targets:] if V > n_targets else None)
    return x.reshape(S, T, -1)


def decoder_inputs(h: Histories, horizon: int, kinds: list[str], freq: str) -> np.ndarray:
    """(S, horizon, 2*len(kinds)) calendar features of the future steps (seq2seq decoders)."""
    return future_calendar(h.last_ds, horizon, freq, kinds)


__all__ = ["Histories", "series_stats", "encoder_inputs", "decoder_inputs", "point_index", "calendar_features"]
