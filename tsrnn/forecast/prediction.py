"""Forecaster.predict_panel in numpy: the last input_len rows of every series in model space,
scaled and normalised like the training windows, through the network (either back end, via
Forecaster._run), then back to data units with the requested intervals."""

from __future__ import annotations

import numpy as np

from tsrnn.base import PanelForecast
from tsrnn.data.panel import Panel
from tsrnn.errors import ConfigError
from tsrnn.forecast.inputs import (
    Histories,
    decoder_inputs,
    encoder_inputs,
    point_index,
    series_stats,
    window_ref,
)
from tsrnn.forecast.options import model_space
from tsrnn.forecast.transforms import inverse_values, seasonal_base, to_segments
from tsrnn.frames import check_series_lengths


def forecast_panel(est, panel: Panel | None, source: str, levels: list[int]) -> PanelForecast:
    """The forecast of a fitted Forecaster `est` for `horizon` steps after every series: panel
    None continues the training series, a Panel gives new history; levels: parsed interval
    levels in percent. Means and bounds (S, H) in data units."""
    cfg, feats = est.config_, est.features_
    L = cfg["input_len"]
    if panel is None:
        h, full_v, full_o, where = est.history_, None, None, None
    else:
        need = 1 if cfg.get("pad") else L
        check_series_lengths(
            source,
            panel.ids,
            panel.lengths,
            need,
            f"forecasting with this model (input_len {L})",
        )
        h = Histories.last(panel, L)
        full_v, full_o, where = panel.values, panel.offsets, source
    C, tr = feats["n_targets"], cfg.get("transform")
    h, full_v = model_space(h, full_v, full_o, C, tr, where)
    sid, loc, scale = series_stats(h, est.scaler_, est.series_, full_v, full_o)
    pad = bool(cfg.get("pad"))
    x = encoder_inputs(h, loc, scale, C, feats["calendar"], cfg["freq"], pad)
    ref = window_ref(x.astype(np.float64), C, cfg.get("window_norm"), pad, cfg.get("season", 1))
    if ref is not None:
        x[:, :, :C] -= ref[:, None, :].astype(np.float32)
    base = (
        seasonal_base(x[:, :, 0].astype(np.float64), cfg["residual"], cfg["horizon"])
        if cfg.get("residual")
        else None
    )
    future = (
        decoder_inputs(h, cfg["horizon"], feats["calendar"], cfg["freq"])
        if cfg["model"] == "seq2seq"
        else None
    )
    out = est._run(to_segments(x, int(cfg.get("segment", 1))), future, sid)  # (S, H, Q) scaled
    if base is not None:
        out = out + base[:, :, None]
    if ref is not None:
        out = out + ref[:, :1, None]
    out = out * scale[:, :1, None] + loc[:, :1, None]
    yhat = out[:, :, point_index(cfg["quantiles"])]
    intervals = {
        lv: tuple(inverse_values(b, tr) for b in interval(est, lv, out, yhat, scale[:, :1]))
        for lv in levels
    }
    return PanelForecast(
        list(h.ids),
        np.asarray(h.last_ds, dtype="datetime64[ns]"),
        inverse_values(yhat, tr),
        intervals,
    )


def interval(
    est, level: int, out: np.ndarray, yhat: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) (S, H) bounds at `level` percent in model space: from the quantile outputs
    out (S, H, Q) when they hold the level's pair, else yhat ± the split-conformal half-width
    times the series' scale (S, 1). ConfigError where the model has neither."""
    qs = est.config_["quantiles"] or []
    a = (1 - level / 100) / 2
    lo_i = [i for i, q in enumerate(qs) if abs(q - a) < 1e-9]
    hi_i = [i for i, q in enumerate(qs) if abs(q - (1 - a)) < 1e-9]
    if lo_i and hi_i:
        return np.minimum(out[:, :, lo_i[0]], yhat), np.maximum(out[:, :, hi_i[0]], yhat)
    if not est.conformal_:
        raise ConfigError(
            f"level {level} needs interval information this model lacks (no validation part); "
            f"train with val_size > 0 or quantiles containing {a:g} and {1 - a:g}"
        )
    half = np.asarray(est.conformal_[level - 1])[None, :] * scale
    return yhat - half, yhat + half
