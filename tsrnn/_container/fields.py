"""Typed reads of a model file's JSON metadata and the agreement checks between a stored
configuration and its tensors (shared by the forecaster, anomaly-detector and text model files).
Each failure is one ModelFileError sentence naming the file and the field. numpy only (pandas for
frequencies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsrnn.errors import ModelFileError


class Fields:
    """Typed reads of one JSON object of a model file's metadata: each malformed or out-of-range
    field raises one ModelFileError sentence naming the file, the object and the field.

        f = Fields(path, config, "config")
        hidden = f.integer("hidden", 1, MAX_HIDDEN)
    """

    def __init__(self, path: str | Path, obj, where: str):
        self.path, self.where = Path(path), where
        if not isinstance(obj, dict):
            self.fail(f"'{where}' is {_kind(obj)}, not a JSON object")
        self.obj = obj

    def fail(self, what: str):
        raise ModelFileError(f"{self.path}: {what}; the file is corrupt or was edited")

    def _get(self, key: str):
        if key not in self.obj:
            self.fail(f"{self.where} lacks '{key}'")
        return self.obj[key]

    def integer(self, key: str, lo: int, hi: int, default=None) -> int:
        v = self.obj.get(key, default) if default is not None else self._get(key)
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(f"{self.where} '{key}' is {_kind(v)}, not a whole number")
        if not lo <= v <= hi:
            self.fail(f"{self.where} '{key}' = {v} is outside [{lo}, {hi}]")
        return v

    def flag(self, key: str, default=None) -> bool:
        v = self.obj.get(key, default) if default is not None else self._get(key)
        if not isinstance(v, bool):
            self.fail(f"{self.where} '{key}' is {_kind(v)}, not true or false")
        return v

    def number(self, key: str, lo: float, hi: float, default=None) -> float:
        v = self.obj.get(key, default) if default is not None else self._get(key)
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or not np.isfinite(v)
            or not lo <= v <= hi
        ):
            self.fail(f"{self.where} '{key}' is {_kind(v)}, not a number in [{lo}, {hi}]")
        return float(v)

    def name(
        self, key: str, choices: tuple[str, ...] | None = None, optional: bool = False
    ) -> str | None:
        v = self.obj.get(key) if optional else self._get(key)
        if v is None and optional:
            return None
        if not isinstance(v, str) or not v:
            self.fail(f"{self.where} '{key}' is {_kind(v)}, not a name")
        if choices is not None and v not in choices:
            self.fail(f"{self.where} '{key}' = {v!r} is not one of {', '.join(choices)}")
        return v

    def names(self, key: str, n: int | None = None, unique: bool = False) -> list[str]:
        v = self._get(key)
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            self.fail(f"{self.where} '{key}' is {_kind(v)}, not a list of names")
        if n is not None and len(v) != n:
            self.fail(f"{self.where} '{key}' has {len(v)} entries, expected {n}")
        if unique and len(set(v)) != len(v):
            self.fail(f"{self.where} '{key}' repeats a name")
        return v

    def array(
        self,
        key: str,
        ndim: int,
        shape: tuple | None = None,
        positive: bool = False,
        finite: bool = True,
    ) -> np.ndarray:
        """A numeric (nested) list as a float64 array of `ndim` dimensions; `shape` entries that are
        not None must match."""
        v = self._get(key)
        try:
            a = np.asarray(v, dtype=np.float64)
        except (ValueError, TypeError):
            self.fail(f"{self.where} '{key}' is not a regular array of numbers")
        if a.ndim != ndim or (
            shape is not None and any(s is not None and s != g for s, g in zip(shape, a.shape))
        ):
            want = "×".join("?" if s is None else str(s) for s in shape) if shape else f"{ndim}-D"
            self.fail(f"{self.where} '{key}' has shape {a.shape}, expected {want}")
        if finite and not np.all(np.isfinite(a)):
            self.fail(f"{self.where} '{key}' holds NaN or infinite values")
        if positive and not np.all(a > 0):
            self.fail(f"{self.where} '{key}' holds values <= 0")
        return a


def check_stack(
    f: Fields,
    tensors: dict[str, np.ndarray],
    prefix: str,
    cell: str,
    hidden: int,
    layers: int,
    n_in: int | None,
    bidirectional: bool | None = False,
) -> None:
    """A torch RNN/LSTM/GRU stack's tensors under `prefix` (``weight_ih_l0`` ...) agree with the
    configuration: layer count, directions, weight_hh_l0 (G·hidden, hidden) and, when `n_in` is
    given, weight_ih_l0 (G·hidden, n_in). G: 1 (rnn), 3 (gru), 4 (lstm)."""
    G = {"rnn": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}[cell]
    if prefix + "weight_ih_l0" not in tensors:
        f.fail(f"the tensors lack '{prefix}weight_ih_l0'")
    n = 0
    while prefix + f"weight_ih_l{n}" in tensors:
        n += 1
    if n != layers:
        f.fail(
            f"{f.where} says layers = {layers} but the tensors hold {n} layer(s) under '{prefix}'"
        )
    rev = prefix + "weight_ih_l0_reverse" in tensors
    if bidirectional is not None and rev != bidirectional:
        f.fail(
            f"{f.where} says bidirectional = {str(bidirectional).lower()} but the tensors "
            f"{'hold' if rev else 'lack'} a backward direction under '{prefix}'"
        )
    for key, shape in (
        ("weight_hh_l0", (G * hidden, hidden)),
        ("weight_ih_l0", (G * hidden, n_in)),
    ):
        a = tensors.get(prefix + key)
        if key == "weight_ih_l0" and n_in is None:
            shape = (G * hidden, None if a is None else a.shape[-1])
        if a is None or a.shape != shape:
            f.fail(
                f"{f.where} (cell {cell}, hidden {hidden}) needs {prefix}{key} of shape {shape}, "
                f"the tensors hold {None if a is None else a.shape}"
            )


_SIMPLE = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
    "None": (type(None),),
}


def check_params(f: Fields, cls) -> None:
    """Each entry of `f` whose name is a parameter of `cls.__init__` annotated with simple types
    (int, float, bool, str, None and unions of them) has one of those types (a bool is not an int,
    floats are finite). Entries with other annotations are left to the estimator's own checks."""
    import inspect

    for name, prm in inspect.signature(cls.__init__).parameters.items():
        if name not in f.obj or not isinstance(prm.annotation, str):
            continue
        parts = [t.strip() for t in prm.annotation.split("|")]
        if not all(t in _SIMPLE for t in parts):
            continue
        v = f.obj[name]
        ok = any(
            isinstance(v, _SIMPLE[t]) and not (t in ("int", "float") and isinstance(v, bool))
            for t in parts
        )
        if ok and isinstance(v, float) and not np.isfinite(v):
            ok = False
        if not ok:
            f.fail(f"{f.where} '{name}' is {_kind(v)}, not {' or '.join(parts)}")


def _kind(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        return f"{v[:40]!r}"
    if isinstance(v, (bool, int, float)):
        return repr(v)
    return f"a {type(v).__name__}"


def check_freq(f: Fields, key: str = "freq") -> str:
    """A pandas frequency alias (e.g. "h", "D", "MS") that pandas can build dates with."""
    import pandas as pd

    v = f.name(key)
    try:
        pd.tseries.frequencies.to_offset(v)
        pd.date_range("2000-01-01", periods=2, freq=v)
    except (ValueError, TypeError, OverflowError):
        f.fail(f"{f.where} '{key}' = {v!r} is not a frequency pandas knows")
    return v


def check_state_shapes(state: dict, tensors: dict, path) -> None:
    """The stored `tensors` have exactly the names and shapes of `state` (the state_dict of the
    network the stored configuration describes, built on torch's meta device so that nothing is
    allocated); ModelFileError naming the first difference otherwise."""
    want = {k: tuple(v.shape) for k, v in state.items()}
    missing, extra = sorted(set(want) - set(tensors)), sorted(set(tensors) - set(want))
    if missing or extra:
        what = f"lack {missing[0]!r}" if missing else f"hold an unexpected {extra[0]!r}"
        raise ModelFileError(
            f"{path}: weights do not match the stored configuration "
            f"(the tensors {what}); the file is corrupt"
        )
    for k, shape in want.items():
        if tuple(tensors[k].shape) != shape:
            raise ModelFileError(
                f"{path}: weights do not match the stored configuration ({k} has "
                f"shape {tuple(tensors[k].shape)}, the configuration needs "
                f"{shape}); the file is corrupt"
            )
