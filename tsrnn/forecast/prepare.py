"""The training data of Forecaster.fit_panel, in numpy: the resolved seasonal preparation, the
train/validation split of every series, scaling, step features, left padding, the window starts
and the network's NetConfig. No torch; fitting.py trains on what this returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsrnn.data.features import CALENDAR_KINDS, default_calendar, step_inputs
from tsrnn.data.freq import season_length
from tsrnn.data.panel import Panel
from tsrnn.data.scaling import SeriesScaler
from tsrnn.data.windows import window_starts
from tsrnn.errors import ConfigError, DataError
from tsrnn.forecast.inputs import pad_panel
from tsrnn.forecast.options import resolve_prep
from tsrnn.forecast.transforms import forward_values
from tsrnn.frames import check_series_lengths
from tsrnn.netconfig import NetConfig

MAX_INPUT_LEN = 512


@dataclass
class TrainingData:
    """What fit_panel trains on.

    config: the network configuration; features: the column description stored with the model
    (targets, exog, calendar kinds, n_targets, columns of a step row); scaler: per-series
    statistics fitted on the training part; inputs (N', F) float32 step rows of the (padded)
    panel; sidx (N',) series number of every row (-1 on padding); train_starts, val_starts:
    first rows of the training and validation windows; window: rows per window
    (input_len + horizon).
    """

    config: NetConfig
    features: dict
    scaler: SeriesScaler
    inputs: np.ndarray
    sidx: np.ndarray
    train_starts: np.ndarray
    val_starts: np.ndarray
    window: int


def cell_name(est) -> str:
    """The recurrent cell of a Forecaster: `cell`, else the model's own (lstm for seq2seq)."""
    m = str(est.model).lower()
    if m == "seq2seq":
        return est.cell or "lstm"
    return est.cell or m


def calendar_kinds(est, freq: str | None) -> list[str]:
    """The calendar feature kinds of a Forecaster's `calendar` at frequency `freq`; ConfigError
    naming an unknown kind."""
    if est.calendar is True:
        return default_calendar(freq)
    if not est.calendar:
        return []
    kinds = [est.calendar] if isinstance(est.calendar, str) else list(est.calendar)
    bad = [k for k in kinds if k not in CALENDAR_KINDS]
    if bad:
        raise ConfigError(
            f"calendar feature '{bad[0]}' is unknown; use some of {', '.join(CALENDAR_KINDS)}"
        )
    return kinds


def exog_columns(est, panel: Panel) -> list[str]:
    """The exogenous columns of a panel built from Forecaster.input_columns: its trailing columns
    named in `exog` (at least one target stays)."""
    names = set([est.exog] if isinstance(est.exog, str) else list(est.exog or []))
    cols = list(panel.targets)
    n = 0
    while n < len(cols) - 1 and cols[len(cols) - 1 - n] in names:
        n += 1
    return cols[len(cols) - n :]


def training_data(est, panel: Panel, source: str = "data") -> TrainingData:
    """Everything a Forecaster (parameters checked) trains on from `panel` (columns: targets,
    then exog); `source` names the data in error messages (DataError for too-short series)."""
    C = len(list(panel.targets)) - len(exog_columns(est, panel))
    targets, exog = list(panel.targets[:C]), list(panel.targets[C:])
    H = int(est.horizon)
    season = season_length(panel.freq)
    lengths = panel.lengths
    shortest = int(lengths.min())
    prep = resolve_prep(est, season, H, shortest, panel.values[:, :C], MAX_INPUT_LEN, panel.freq)
    L = prep["input_len"]
    W = L + H
    # left padding: windows may start up to P rows before a series (at least one observed input)
    P = L - 1 if est.pad is True or (est.pad == "auto" and shortest < W) else 0
    # padded models forecast every series but learn only from those with a full target window
    check_series_lengths(
        source,
        panel.ids,
        lengths,
        2 if P else W,
        f"model '{est.model}' with input_len {L} and horizon {H}",
    )
    if P and lengths.max() < W - P:
        raise DataError(
            f"{source}: the longest series has {int(lengths.max())} "
            f"observations; model '{est.model}' with horizon {H} needs at least {W - P} "
            "to learn from"
        )
    vs = float(est.val_size)
    val_len = (
        np.maximum(H, np.ceil(vs * lengths)).astype(np.int64)
        if vs < 1
        else np.full(len(lengths), int(vs))
    )
    val_len = np.where((vs > 0) & (lengths - val_len >= W - P), val_len, 0)
    train_end = lengths - val_len
    # the scaler sees only the training part of each series
    rel = np.arange(len(panel.values)) - np.repeat(panel.offsets[:-1], lengths)
    in_train = rel < np.repeat(train_end, lengths)
    values = forward_values(panel.values, C, prep["transform"])
    sc = SeriesScaler(est.scaler).fit(values[in_train], np.concatenate([[0], np.cumsum(train_end)]))
    sidx = panel.series_index()
    scaled = (values - sc.loc_[sidx]) / sc.scale_[sidx]
    kinds = calendar_kinds(est, panel.freq)
    inputs = step_inputs(scaled[:, :C], panel.ds, kinds, scaled[:, C:] if exog else None)
    offsets = panel.offsets
    if P:
        inputs, sidx, offsets = pad_panel(inputs, offsets, P, C, len(exog))
    train_starts = window_starts(offsets, W, last_end=train_end + P)
    # validation windows: targets entirely in the held-out tail (none where val_len == 0)
    val_starts = window_starts(offsets, W, first=np.maximum(train_end + P - L, 0))
    quantiles = [float(q) for q in est.quantiles] if est.quantiles else None
    n_out = len(quantiles) if quantiles else 1
    net_features = int(inputs.shape[1]) * prep["segment"]
    cfg = NetConfig(
        model=str(est.model).lower(),
        cell=cell_name(est),
        horizon=H,
        input_len=L,
        hidden=prep["hidden"],
        layers=int(est.layers),
        bidirectional=bool(est.bidirectional),
        layer_norm=bool(est.layer_norm),
        dropout=float(est.dropout),
        attention=est.attention,
        n_outputs=n_out,
        quantiles=quantiles,
        embedding=int(est.embedding),
        n_series=panel.n_series,
        n_features=int(inputs.shape[1]),
        input_size=net_features + int(est.embedding),
        freq=panel.freq,
        season=season,
        n_targets=C,
        n_future=2 * len(kinds),
        pad=int(P),
        window_norm=prep["window_norm"],
        transform=prep["transform"],
        segment=prep["segment"],
        residual=prep["residual"],
        net_features=net_features,
        decoder=int(est.decoder),
    )
    features = {
        "targets": targets,
        "exog": exog,
        "calendar": kinds,
        "n_targets": C,
        "columns": [
            *targets,
            *[f"{k}_{t}" for k in kinds for t in ("sin", "cos")],
            *exog,
            *(["observed"] if P else []),
        ],
    }
    return TrainingData(cfg, features, sc, inputs, sidx, train_starts, val_starts, W)
