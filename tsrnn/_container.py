"""The checks every tsrnn safetensors file goes through on reading (forecaster, anomaly detector
and text model files), and the digest written with it.

Reading: the file exists, is a file, reads as safetensors, carries our `format` and a
`format_version` this tsrnn reads; its tensors have a dtype of the file kind, at most MAX_NDIM
dimensions, at most MAX_TENSORS of them, finite values (for floats); and, from format version
DIGEST_SINCE of each kind on, its `digest` matches the tensors and the metadata. Numpy only (no
torch), so the numba back end can use it. Each failure is one ModelFileError sentence naming the
file. Nothing is unpickled, and nothing larger than the file itself is allocated here.

The digest: blake2b (32 bytes, hex) over every metadata entry but `digest` (key and value, keys in
sorted order) and then every tensor (name, dtype, shape and its little-endian bytes, names in
sorted order), stored as ``digest = "blake2b-256:<hex>"``. A flipped bit anywhere in the data a
model is rebuilt from changes it. Files of the kinds' first format version (written before the
digest existed) have none; they are read with every other check, since their content cannot be
verified beyond them.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np

from tsrnn.errors import ModelFileError

DIGEST_KEY = "digest"
DIGEST_ALGO = "blake2b-256"
MAX_TENSORS = 100_000  # a model of ours holds tens to a few thousand
MAX_NDIM = 4
MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header (bytes)
FLOAT_DTYPES = ("float32", "float64")


def tensor_digest(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> str:
    """The digest of a file's content: "blake2b-256:<64 hex digits>" (see the module docstring)."""
    h = hashlib.blake2b(digest_size=32)
    for k in sorted(metadata):
        if k == DIGEST_KEY:
            continue
        for part in (k, metadata[k]):
            b = str(part).encode("utf-8")
            h.update(struct.pack("<Q", len(b)))
            h.update(b)
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"), copy=False))
        head = f"{name}\0{a.dtype.str}\0{','.join(str(n) for n in a.shape)}".encode()
        h.update(struct.pack("<Q", len(head)))
        h.update(head)
        h.update(struct.pack("<Q", a.nbytes))
        h.update(a.reshape(-1).view(np.uint8))
    return f"{DIGEST_ALGO}:{h.hexdigest()}"


def with_digest(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> dict[str, str]:
    """`metadata` plus the digest of (tensors, metadata): what a writer stores."""
    md = {k: str(v) for k, v in metadata.items() if k != DIGEST_KEY}
    md[DIGEST_KEY] = tensor_digest(tensors, md)
    return md


def _header_size(p: Path) -> int:
    """The JSON header's length from a safetensors file's first 8 bytes (-1: shorter file)."""
    with open(p, "rb") as f:
        head = f.read(8)
    return struct.unpack("<Q", head)[0] if len(head) == 8 else -1


def read_container(
    path: str | Path,
    fmt: str,
    max_version: int,
    noun: str = "model file",
    refit: str = "re-train the model",
    digest_since: int | None = None,
    dtypes: tuple[str, ...] = FLOAT_DTYPES,
    finite: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, str], int]:
    """→ (tensors as stored, the raw str → str metadata, format version). `noun` names the kind of
    file in messages; `refit` says what to do about a file from a newer tsrnn; `digest_since`: the
    first format version whose files carry a digest (None: the kind has none); `dtypes`: the tensor
    dtypes the kind uses; `finite`: refuse NaN and infinite values in float tensors (a kind whose
    tensors may hold NaN checks them itself)."""
    from safetensors import SafetensorError, safe_open

    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"{p}: {noun} not found")
    if p.is_dir():
        raise ModelFileError(f"{p}: is a directory, not a {noun}")
    corrupt = f"{p}: not a tsrnn {noun} or it is corrupt (cannot be read as safetensors)"
    try:
        n_head = _header_size(p)
        if not 0 < n_head <= min(MAX_HEADER, p.stat().st_size - 8):
            raise ModelFileError(corrupt)
        with safe_open(str(p), framework="numpy") as f:
            md = f.metadata() or {}
            if md.get("format") != fmt:
                kind = (
                    f"a {md['format']!r} file"
                    if md.get("format")
                    else "a safetensors file without tsrnn metadata"
                )
                raise ModelFileError(f"{p}: not a tsrnn {noun} ({kind})")
            version = _version(p, md, noun, max_version, refit)
            names = list(f.keys())
            if len(names) > MAX_TENSORS:
                raise ModelFileError(
                    f"{p}: {noun} holds {len(names)} tensors (at most {MAX_TENSORS} are read); "
                    "the file is corrupt"
                )
            tensors = {k: f.get_tensor(k) for k in names}
    except ModelFileError:
        raise
    except (
        SafetensorError,
        OSError,
        ValueError,
        RuntimeError,
        UnicodeDecodeError,
        OverflowError,
        TypeError,
    ):
        raise ModelFileError(corrupt) from None
    if digest_since is not None and version >= digest_since:
        stored = md.get(DIGEST_KEY)
        if not stored:
            raise ModelFileError(
                f"{p}: {noun} (format version {version}) has no digest of its content; "
                "the file is corrupt or was not written by tsrnn"
            )
        if stored != tensor_digest(tensors, md):
            raise ModelFileError(
                f"{p}: {noun} content does not match its digest (the file was changed or "
                f"damaged after it was written); {refit}"
            )
    for k, a in tensors.items():
        if a.dtype.name not in dtypes:
            raise ModelFileError(
                f"{p}: tensor '{k}' has dtype {a.dtype.name}; a {noun} holds "
                f"{', '.join(dtypes)} tensors only"
            )
        if a.ndim > MAX_NDIM:
            raise ModelFileError(
                f"{p}: tensor '{k}' has {a.ndim} dimensions (at most {MAX_NDIM}); "
                "the file is corrupt"
            )
        if finite and a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ModelFileError(
                f"{p}: tensor '{k}' holds NaN or infinite values; the file is corrupt"
            )
    return tensors, md, version


def _version(p: Path, md: dict, noun: str, max_version: int, refit: str) -> int:
    try:
        version = int(md.get("format_version", ""))
    except ValueError:
        raise ModelFileError(
            f"{p}: {noun} has an invalid format_version {md.get('format_version')!r}"
        ) from None
    if not 1 <= version <= max_version:
        raise ModelFileError(
            f"{p}: {noun} format version {version} is not supported by this tsrnn (reads versions "
            f"1 to {max_version}); upgrade tsrnn or {refit}"
        )
    return version


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
        raise ModelFileError(f"{path}: weights do not match the stored configuration "
                             f"(the tensors {what}); the file is corrupt")
    for k, shape in want.items():
        if tuple(tensors[k].shape) != shape:
            raise ModelFileError(f"{path}: weights do not match the stored configuration ({k} has "
                                 f"shape {tuple(tensors[k].shape)}, the configuration needs "
                                 f"{shape}); the file is corrupt")
