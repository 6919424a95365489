"""Model names → estimators, one dict lookup (no registry magic)."""

from __future__ import annotations

from tsrnn.baselines.core import ALIASES, MODELS, StatsForecaster, model_key
from tsrnn.errors import ConfigError

NEURAL = ("rnn", "lstm", "gru", "seq2seq")


def available_models() -> list[str]:
    return [*MODELS, *NEURAL]


def check_models(names: list[str] | None, option: str = "--model",
                 allowed: tuple[str, ...] | None = None) -> list[str]:
    """The canonical keys of every name in `names` ('AutoETS' → 'ets'), checked all at once before
    any fit: ConfigError naming every unknown name (and `option`), an empty list or a name given
    twice. allowed: the keys accepted here (default: every model)."""
    if not names:
        raise ConfigError(f"{option} names no model; choose from {', '.join(available_models())}")
    choices = list(allowed) if allowed is not None else available_models()
    keys, unknown = [], []
    for name in names:
        key = name.strip().lower()
        key = ALIASES.get(key, key)
        (keys if key in choices else unknown).append(key if key in choices else name)
    if unknown:
        which = ", ".join(f"'{u}'" for u in unknown)
        raise ConfigError(f"unknown model{'s' if len(unknown) > 1 else ''} {which} in {option}; "
                          f"choose from {', '.join(choices)}")
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConfigError(f"{option} names {', '.join(twice)} more than once; give each model once")
    return keys


def is_neural(key: str) -> bool:
    """Whether the model key (from check_models) is a neural forecaster."""
    return key in NEURAL


def make_estimator(
    name: str,
    horizon: int,
    season_length: int | None = None,
    epochs: int | None = None,
    seed: int = 0,
    device: str = "auto",
    quiet: bool = True,
    input_len: int | None = None,
    n_jobs: int | None = 1,
    threads: int | str | None = "auto",
    time_budget: float | str | None = None,
):
    """Build an unfitted estimator by name: a statistical model (naive, snaive, drift, mean, ets,
    arima, theta) or a neural forecaster (rnn, lstm, gru, seq2seq). n_jobs: processes for the
    per-series fits of statistical models; threads, time_budget: the neural forecaster's training
    threads and wall-clock budget (see Forecaster)."""
    key = name.strip().lower()
    if key in NEURAL:
        from tsrnn.forecaster import Forecaster

        opts = {"seed": seed, "device": device, "quiet": quiet, "threads": threads,
                "time_budget": time_budget}
        if epochs is not None:
            opts["epochs"] = epochs
        if input_len is not None:
            opts["input_len"] = input_len
        return Forecaster(model=key, horizon=horizon, **opts)
    if key in MODELS or key in ALIASES:
        return StatsForecaster(model=model_key(key), horizon=horizon, season_length=season_length, n_jobs=n_jobs)
    raise ConfigError(f"unknown model '{name}'; choose from {', '.join(available_models())}")
