"""NetConfig: the resolved configuration of a forecasting network, one typed value shared by the
torch path (tsrnn.forecast.fitting, tsrnn.nn), the numba path (tsrnn.cpu.net) and the ONNX
export (tsrnn.forecast.export).

`Forecaster.fit` builds it once from its parameters and the data; `Forecaster.save` stores it as
the JSON object ``config`` of the model file (`to_dict`, the same keys as format 2 files, so those
keep loading), `Forecaster.load` and `NumbaNet.from_file` read it back with `from_dict`.
Numpy-free and torch-free; every field's type is checked (ConfigError naming it).
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, fields

from tsrnn.errors import ConfigError

CELLS = ("rnn", "rnn_relu", "lstm", "gru")


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return _is_int(v) or isinstance(v, float)


_TYPES = {  # field annotation → the check its values pass
    "int": _is_int,
    "bool": lambda v: isinstance(v, bool),
    "float": _is_num,
    "str": lambda v: isinstance(v, str),
    "str | None": lambda v: v is None or isinstance(v, str),
    "tuple[float, ...] | None": lambda v: (
        v is None or (isinstance(v, (list, tuple)) and all(_is_num(q) for q in v))
    ),
}


@dataclass(frozen=True)
class NetConfig:
    """What a forecasting network is and how its inputs are prepared.

    Network: model ("rnn" | "lstm" | "gru" | "seq2seq"; "" for a bare network: the cell), cell,
    horizon (steps), hidden, layers, bidirectional, layer_norm, dropout, attention (seq2seq),
    n_outputs (1, or one per quantile), quantiles, embedding (E, 0 = none), decoder (MLP width,
    0 = one linear head), input_size (features per network step incl. the embedding; 0: read off
    the weights).
    Inputs: input_len (window rows), n_features (features per row), n_targets, n_future (seq2seq
    calendar features per horizon step), n_series (embedding rows), freq, season, pad (left-padding
    rows, 0 = off; the last feature is then the "observed" flag), window_norm (None | "last" |
    "mean" | "season"), transform (None | "log"), segment (rows per network step), residual (season
    of the seasonal-naive base, 0 = off), net_features (segment × n_features).
    """

    cell: str
    horizon: int
    hidden: int
    layers: int
    model: str = ""
    input_len: int = 0
    bidirectional: bool = False
    layer_norm: bool = False
    dropout: float = 0.0
    attention: str = "bahdanau"
    n_outputs: int = 1
    quantiles: tuple[float, ...] | None = None
    embedding: int = 0
    n_series: int = 1
    n_features: int = 1
    input_size: int = 0
    freq: str | None = None
    season: int = 1
    n_targets: int = 1
    n_future: int = 0
    pad: int = 0
    window_norm: str | None = None
    transform: str | None = None
    segment: int = 1
    residual: int = 0
    net_features: int = 0
    decoder: int = 0

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            ok = _TYPES.get(f.type)
            if ok is not None and not ok(v):
                raise ConfigError(f"network config '{f.name}' is {v!r:.40}, not {f.type}")
            if f.type == "int":  # numpy integers become ints (JSON)
                object.__setattr__(self, f.name, int(v))
        if self.cell not in CELLS:
            raise ConfigError(f"network config cell {self.cell!r} is not one of {', '.join(CELLS)}")
        set_ = object.__setattr__  # frozen: normalise once here
        if not self.model:
            set_(self, "model", "rnn" if self.cell == "rnn_relu" else self.cell)
        if self.quantiles is not None:
            set_(self, "quantiles", tuple(float(q) for q in self.quantiles))
        if not self.net_features:
            set_(self, "net_features", int(self.n_features) * int(self.segment))

    @classmethod
    def from_dict(cls, d: dict) -> NetConfig:
        """From a model file's ``config`` object (its ``params`` entry, the estimator's constructor
        arguments, is not part of it). Needs cell, horizon, hidden, layers; an unknown key is a
        ConfigError naming it."""
        names = {f.name for f in fields(cls)}
        extra = sorted(set(d) - names - {"params"})
        if extra:
            raise ConfigError(f"network config has an unknown entry {extra[0]!r}")
        missing = [k for k in ("cell", "horizon", "hidden", "layers") if k not in d]
        if missing:
            raise ConfigError(
                f"network config lacks '{missing[0]}'; it needs cell, hidden, layers, horizon"
            )
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        """JSON-ready dict (quantiles as a list), the model file's ``config`` object."""
        d = asdict(self)
        if d["quantiles"] is not None:
            d["quantiles"] = list(d["quantiles"])
        return d

    def replace(self, **changes) -> NetConfig:
        """A copy with some fields changed."""
        return NetConfig(**{**asdict(self), **changes})

    @property
    def steps(self) -> int:
        """Network steps per window: input_len / segment."""
        return self.input_len // max(1, self.segment)

    # Read access by name, for callers that still index the configuration like a dict.
    def __getitem__(self, key: str):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key) if key in self.__dataclass_fields__ else default

    def __contains__(self, key: str) -> bool:
        return key in self.__dataclass_fields__
