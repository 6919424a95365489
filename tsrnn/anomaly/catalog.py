"""Scorers and normalisers by name: the string shortcuts of the CLI, the benchmarks and model files.

    make_scorer("forecast", window=64, hidden=32)      # ForecastScorer(window=64, hidden=32)
    make_scorer("ensemble", members="zscore,forecast", window=32)   # each member takes its options
    parse_scorer("zscore:window=288")                  # the same from one string (CLI --scorer)
    scorer_spec(scorer) / scorer_from_spec(spec)        # JSON for model files, and back

An option the scorer does not take is a ConfigError naming it and the options it does take.
Scorer classes are imported when first named (the recurrent ones import torch).
"""

from __future__ import annotations

import importlib
import inspect
import re

from tsrnn.errors import ConfigError

__all__ = [
    "SCORERS",
    "NORMALISERS",
    "make_scorer",
    "parse_scorer",
    "scorer_spec",
    "scorer_from_spec",
    "scorer_class",
    "make_normaliser",
    "normaliser_spec",
    "set_shared",
]

SCORERS = {
    "forecast": "tsrnn.anomaly.recurrent:ForecastScorer",
    "autoencoder": "tsrnn.anomaly.recurrent:AutoencoderScorer",
    "zscore": "tsrnn.anomaly.scorers:ZScoreScorer",
    "stl": "tsrnn.anomaly.scorers:STLScorer",
    "iforest": "tsrnn.anomaly.scorers:IForestScorer",
    "tail": "tsrnn.anomaly.tails:TailScorer",
    "ensemble": "tsrnn.anomaly.ensemble:EnsembleScorer",
    "tailmax": "tsrnn.anomaly.tailmax:TailMaxScorer",
    "level_shift": "tsrnn.anomaly.level_shift:LevelShiftScorer",
}
NORMALISERS = {
    "local": "tsrnn.anomaly.normalisers:LocalRatio",
    "likelihood": "tsrnn.anomaly.likelihood:AnomalyLikelihood",
    "tailratio": "tsrnn.anomaly.likelihood:TailLevelRatio",
}


def _class(table: dict, kind: str, name: str):
    if name not in table:
        raise ConfigError(f"{kind} '{name}' is unknown; use one of {', '.join(table)}")
    module, cls = table[name].split(":")
    return getattr(importlib.import_module(module), cls)


def scorer_class(name: str):
    """The scorer class registered as `name` (ConfigError for an unknown name)."""
    return _class(SCORERS, "scorer", name)


def _options(cls) -> list[str]:
    return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]


def make_scorer(name: str, **options):
    """The scorer `name` (a key of SCORERS) with `options`; ConfigError naming every option it
    does not take, and any option value it cannot use. For "ensemble", `members` is a
    comma-separated list of scorer names and every other option except `combine` goes to each
    member that takes it (an option no member takes is an error)."""
    cls = _class(SCORERS, "scorer", name)
    if name == "ensemble":
        names = options.pop("members", "zscore,iforest,forecast")
        if isinstance(names, str):
            names = _member_names(names)
        combine = options.pop("combine", "mean")
        if not names or len(set(names)) != len(names) or "ensemble" in names:
            raise ConfigError(
                f"an ensemble's members must be distinct scorer names other than "
                f"ensemble (got {','.join(names)})"
            )
        sc = cls(_members(names, options, "ensemble", "the ensemble"), combine)
    elif name == "tailmax":
        sc = _tailmax(cls, options)
    else:
        bad = [k for k in options if k not in _options(cls)]
        if bad:
            raise ConfigError(
                f"the {name} scorer takes no option {', '.join(bad)}; its options are "
                f"{', '.join(_options(cls))}"
            )
        sc = cls(**options)
    sc.validate()
    return sc


def _member_names(text: str) -> list[str]:
    """Member scorer names from "a,b" or "a+b"."""
    return [n.strip() for n in re.split(r"[,+]", text) if n.strip()]


def _members(names: list[str], options: dict, kind: str, owner: str) -> dict:
    """name -> member scorer of an ensemble or tailmax scorer (`kind`), each with the options
    it takes; ConfigError naming every option no member takes (`owner` names the scorer)."""
    classes = {n: _class(SCORERS, f"{kind} member", n) for n in names}
    unused = [k for k in options if not any(k in _options(c) for c in classes.values())]
    if unused:
        raise ConfigError(f"no member of {owner} ({', '.join(names)}) takes {', '.join(unused)}")
    return {
        n: c(**{k: v for k, v in options.items() if k in _options(c)}) for n, c in classes.items()
    }


def _tailmax(cls, options: dict):
    """TailMaxScorer from options: members None (the defaults), a dict name -> scorer, or names
    ("forecast+zscore", each with the other options it takes); tail: the tail level spec."""
    members, tail = options.pop("members", None), options.pop("tail", "spot:1e-3")
    if isinstance(members, str):
        names = _member_names(members)
        if not names or len(set(names)) != len(names) or {"ensemble", "tailmax"} & set(names):
            raise ConfigError(
                f"tailmax members must be distinct scorer names other than "
                f"ensemble and tailmax (got {members})"
            )
        members = _members(names, options, "tailmax", "tailmax")
    elif options:
        raise ConfigError(
            f"the tailmax scorer takes no option {', '.join(options)} without "
            "members=NAME+NAME; its options are members, tail"
        )
    return cls(members, tail)


def _value(text: str):
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_scorer(spec: str):
    """A scorer from "name" or "name:key=value,key=value" (ensemble members joined by + or
    listed first: "ensemble:members=zscore+tail,window=48")."""
    name, _, rest = str(spec).strip().partition(":")
    options = {}
    for part in re.split(r",(?=\s*\w+\s*=)", rest) if rest.strip() else []:
        key, eq, val = part.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"scorer spec '{spec}': '{part}' is not key=value")
        options[key.strip()] = _value(val.strip())
    return make_scorer(name.strip(), **options)


def set_shared(scorer, **options) -> None:
    """Set options such as seed, device or quiet on the scorer, and on every ensemble or tailmax
    member, that takes them (the others ignore them: a z-score has no seed). A tailmax scorer with
    the default members (None) gets them spelled out, so that they take the options."""
    if getattr(scorer, "name", None) == "tailmax" and scorer.members is None:
        scorer.members = scorer.member_specs()
    for sc in [scorer, *(getattr(scorer, "members", None) or {}).values()]:
        names = _options(type(sc))
        for k, v in options.items():
            if k in names:
                setattr(sc, k, v)


def scorer_spec(scorer) -> dict:
    """{"name": ..., "params": {...}} for a model file (ensemble members nested)."""
    params = dict(scorer.get_params())
    if scorer.name == "ensemble":
        params["members"] = {n: scorer_spec(m) for n, m in params["members"].items()}
    elif scorer.name == "tailmax":
        params["members"] = {n: scorer_spec(m) for n, m in scorer.member_specs().items()}
    return {"name": scorer.name, "params": params}


def scorer_from_spec(spec: dict):
    """The unfitted scorer a scorer_spec describes (ConfigError for an unknown name/option)."""
    name, params = spec["name"], dict(spec["params"])
    if name == "ensemble":
        members = {n: scorer_from_spec(m) for n, m in params["members"].items()}
        cls = _class(SCORERS, "scorer", name)
        sc = cls(members, params.get("combine", "mean"))
        sc.validate()
        return sc
    if name == "tailmax":
        members = {n: scorer_from_spec(m) for n, m in params["members"].items()}
        sc = _class(SCORERS, "scorer", name)(members, params.get("tail", "spot:1e-3"))
        sc.validate()
        return sc
    return make_scorer(name, **params)


def make_normaliser(spec):
    """None, a normaliser object (returned as is) or "name[:N]" (e.g. "local:64": the local
    ratio over 64 scores; "likelihood:8": AnomalyLikelihood(short=8); "tailratio:spot:1e-3":
    TailLevelRatio("spot:1e-3"), its level fitted on every series' training scores pooled)."""
    if spec is None or not isinstance(spec, str):
        return spec
    name, _, arg = spec.strip().partition(":")
    cls = _class(NORMALISERS, "normaliser", name)
    if not arg:
        return cls()
    if name == "tailratio":  # "tailratio:spot:1e-3": the tail level's threshold spec
        return cls(arg)
    try:
        return cls(int(arg))
    except ValueError:
        raise ConfigError(f"normaliser '{spec}': '{arg}' is not a whole number") from None


def normaliser_spec(norm) -> dict | None:
    """{"name": ..., "params": {...}} for a model file; None stays None."""
    if norm is None:
        return None
    names = {v.split(":")[1]: k for k, v in NORMALISERS.items()}
    name = getattr(norm, "name", None) or names.get(type(norm).__name__)
    if name not in NORMALISERS:
        raise ConfigError(
            f"normaliser {type(norm).__name__} has no name in "
            "tsrnn.anomaly.catalog.NORMALISERS; a model file cannot describe it"
        )
    return {"name": name, "params": dict(norm.get_params())}


def normaliser_from_spec(spec: dict | None):
    if spec is None:
        return None
    return _class(NORMALISERS, "normaliser", spec["name"])(**spec["params"])
