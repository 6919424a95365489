"""The Forecaster's parameter checks: one ConfigError for the first invalid parameter, raised
before any data is read (Forecaster.check_params)."""

from __future__ import annotations

import numpy as np

from tsrnn.data.scaling import SCALERS
from tsrnn.errors import ConfigError
from tsrnn.nn.budget import check_budget_options

MODELS = ("rnn", "lstm", "gru", "seq2seq")
LOSSES = ("mae", "mse")
WINDOW_NORMS = (None, "last", "mean", "season", "auto")


def check_forecaster(est) -> None:
    """ConfigError for the first invalid parameter of a Forecaster `est`."""
    if est.alias is not None and (not isinstance(est.alias, str) or not est.alias):
        raise ConfigError(f"alias must be a non-empty string or None (got {est.alias!r})")
    m = str(est.model).lower()
    if m not in MODELS:
        raise ConfigError(f"model '{est.model}' is unknown; use one of {', '.join(MODELS)}")
    if est.horizon is None or not isinstance(est.horizon, (int, np.integer)) or est.horizon < 1:
        raise ConfigError(f"horizon must be a positive whole number (got {est.horizon!r})")
    if est.input_len is not None and (
        not isinstance(est.input_len, (int, np.integer)) or est.input_len < 1
    ):
        raise ConfigError(f"input_len must be a positive whole number (got {est.input_len!r})")
    if (
        isinstance(est.decoder, bool)
        or not isinstance(est.decoder, (int, np.integer))
        or est.decoder < 0
    ):
        raise ConfigError(f"decoder must be a whole number >= 0 (got {est.decoder!r})")
    for name in ("hidden", "layers", "epochs", "batch_size"):
        v = getattr(est, name)
        if name == "hidden" and v == "auto":
            continue
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ConfigError(f"{name} must be a positive whole number (got {v!r})")
    if m != "seq2seq" and est.cell not in (None, m) and not (m == "rnn" and est.cell == "rnn_relu"):
        raise ConfigError(
            f"cell '{est.cell}' contradicts model '{m}'; leave cell unset or use model='seq2seq'"
        )
    if est.scaler not in SCALERS:
        raise ConfigError(f"scaler '{est.scaler}' is unknown; use one of {', '.join(SCALERS)}")
    if not est.quantiles and est.loss not in LOSSES:
        raise ConfigError(
            f"loss '{est.loss}' is unknown; use one of {', '.join(LOSSES)} (or give quantiles)"
        )
    if est.quantiles:
        q = list(est.quantiles)
        if any(not 0 < float(v) < 1 for v in q) or sorted(q) != q or len(set(q)) != len(q):
            raise ConfigError(
                f"quantiles must be increasing values in (0, 1) (got {est.quantiles!r})"
            )
    if est.pad not in (True, False, "auto"):
        raise ConfigError(f"pad must be 'auto', True or False (got {est.pad!r})")
    if est.window_norm not in WINDOW_NORMS:
        raise ConfigError(
            f"window_norm '{est.window_norm}' is unknown; "
            "use one of 'auto', 'mean', 'season', 'last', None"
        )
    check_budget_options(est.max_steps, est.time_budget, est.threads)
    if not 0 <= float(est.teacher_forcing) <= 1:
        raise ConfigError(f"teacher_forcing must be in [0, 1] (got {est.teacher_forcing})")
    if not (0 <= float(est.val_size) < 1 or float(est.val_size) == int(est.val_size) >= 1):
        raise ConfigError(
            f"val_size must be a fraction in [0, 1) or a whole number of steps (got {est.val_size})"
        )
