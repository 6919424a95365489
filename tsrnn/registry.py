"""Model names → unfitted forecasters, one dict lookup (no registry magic).

`make_model("ets", season_length=12)` is `tsrnn.AutoETS(season_length=12)`; an option the model
does not take is a ConfigError naming it (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tsrnn.baselines.arima import AutoARIMA
from tsrnn.baselines.mstl import MSTL
from tsrnn.baselines.seasonal import Naive2
from tsrnn.baselines.simple import Drift, HistoricMean, Naive, SeasonalNaive
from tsrnn.baselines.stats import AutoETS, Theta
from tsrnn.errors import ConfigError

LOCAL = {
    "naive": Naive,
    "naive2": Naive2,
    "snaive": SeasonalNaive,
    "drift": Drift,
    "mean": HistoricMean,
    "ets": AutoETS,
    "arima": AutoARIMA,
    "theta": Theta,
    "mstl": MSTL,
}
NEURAL = ("rnn", "lstm", "gru", "seq2seq")
ALIASES = {
    "seasonal_naive": "snaive",
    "seasonalnaive": "snaive",
    "autoets": "ets",
    "autoarima": "arima",
}


def available_models() -> list[str]:
    return [*LOCAL, *NEURAL]


def model_key(name: str) -> str | None:
    """The canonical key of a model name ('AutoETS' → 'ets'), None when unknown."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    return key if key in LOCAL or key in NEURAL else None


def check_models(
    names: list[str] | None, option: str = "--model", allowed: tuple[str, ...] | None = None
) -> list[str]:
    """The canonical keys of every name in `names` ('AutoETS' → 'ets'), checked all at once before
    any fit: ConfigError naming every unknown name (and `option`), an empty list or a name given
    twice. allowed: the keys accepted here (default: every model)."""
    if not names:
        raise ConfigError(f"{option} names no model; choose from {', '.join(available_models())}")
    choices = list(allowed) if allowed is not None else available_models()
    keys, unknown = [], []
    for name in names:
        key = model_key(name)
        (keys if key in choices else unknown).append(key if key in choices else name)
    if unknown:
        which = ", ".join(f"'{u}'" for u in unknown)
        raise ConfigError(
            f"unknown model{'s' if len(unknown) > 1 else ''} {which} in {option}; "
            f"choose from {', '.join(choices)}"
        )
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConfigError(f"{option} names {', '.join(twice)} more than once; give each model once")
    return keys


def is_neural(key: str) -> bool:
    """Whether the model key (from check_models) is a neural forecaster."""
    return key in NEURAL


def _class(key: str):
    if key in NEURAL:
        from tsrnn.forecast.estimator import Forecaster

        return Forecaster
    return LOCAL[key]


def options_of(key: str) -> list[str]:
    """The options (constructor parameters) model `key` takes; for neural keys without `model`,
    which the key itself sets."""
    names = _class(key)._param_names()
    return [n for n in names if n != "model"] if key in NEURAL else names


def _unknown(name: str) -> ConfigError:
    return ConfigError(f"unknown model '{name}'; choose from {', '.join(available_models())}")


def make_model(name: str, **options):
    """An unfitted forecaster by name: a statistical model (naive, naive2, snaive, drift, mean,
    ets, arima, theta, mstl) or a recurrent one (rnn, lstm, gru, seq2seq: tsrnn.Forecaster).
    options: constructor parameters of that model; one it does not take is a ConfigError."""
    key = model_key(name)
    if key is None:
        raise _unknown(name)
    takes = options_of(key)
    bad = [k for k in options if k not in takes]
    if bad:
        kind = "the recurrent" if key in NEURAL else "the statistical"
        raise ConfigError(
            f"option '{bad[0]}' does not apply to {kind} model '{key}'; "
            f"its options are: {', '.join(takes)}"
        )
    if key in NEURAL:
        return _class(key)(model=key, **options)
    return _class(key)(**options)


def make_models(
    names: Sequence[str],
    options: Mapping[str, object],
    flag: Callable[[str], str] = lambda n: f"'{n}'",
) -> list:
    """One unfitted forecaster per name, each given the options of `options` it takes. An option
    that no model of the list takes is a ConfigError naming it (`flag` spells the option, e.g. as
    the command-line flag), never silently dropped."""
    keys = [model_key(n) for n in names]
    for n, k in zip(names, keys):
        if k is None:
            raise _unknown(n)
    takes = {k: set(options_of(k)) for k in keys}
    unused = [o for o in options if not any(o in t for t in takes.values())]
    if unused:
        one = len(unused) == 1
        kinds = {"recurrent" if k in NEURAL else "statistical" for k in keys}
        raise ConfigError(
            f"{', '.join(flag(o) for o in unused)} {'does' if one else 'do'} not "
            f"apply to the {' and '.join(sorted(kinds))} model"
            f"{'s' if len(keys) > 1 else ''} {', '.join(keys)}; "
            f"drop {'it' if one else 'them'}"
        )
    return [make_model(k, **{o: v for o, v in options.items() if o in takes[k]}) for k in keys]
