"""The tsrnn model-file container: one safetensors file of tensors and str → str metadata, its
digest, and the checks every file goes through on reading (forecaster, anomaly detector and text
model files).

One writer and one reader for every kind of file, described by a FileKind:

    KIND = FileKind("tsrnn-model", version=2, noun="model file", refit="re-train the model",
                    digest_since=2, dtypes=("float32",))
    write_container(path, KIND, tensors, {"config": {...}}, force=force)
    tensors, meta, version = read_file(path, KIND, json_keys=("config",))

write_container refuses an existing `path` unless force (tsrnn.output.check_writable, before the
work; the final rename checks again), JSON-encodes the metadata values, adds ``format``,
``format_version``, ``tsrnn_version`` and ``digest``, and writes atomically. read_file makes the
checks below and decodes the `json_keys` entries. `read_container` (the same checks with the
kind's fields as arguments) and `with_digest` remain for writers that assemble their own files;
the typed field checks live in tsrnn._container.fields and are importable from here as well.

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
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tsrnn._container.fields import (  # noqa: F401 - importable from here too
    Fields,
    check_freq,
    check_params,
    check_stack,
    check_state_shapes,
)
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


@dataclass(frozen=True)
class FileKind:
    """One kind of tsrnn model file: `format` (the metadata's format name), `version` (the format
    version written, and the newest read), `noun` (the file in messages), `refit` (what to do
    about a file this tsrnn cannot use), `digest_since` (first version with a digest; None:
    none), `dtypes` (the tensor dtypes it holds), `finite` (refuse NaN/inf in float tensors on
    reading), `option` (how messages name the path given to save)."""

    format: str
    version: int
    noun: str = "model file"
    refit: str = "re-train the model"
    digest_since: int | None = None
    dtypes: tuple[str, ...] = FLOAT_DTYPES
    finite: bool = True
    option: str = "the model path"


def write_container(
    path: str | Path,
    kind: FileKind,
    tensors: dict[str, np.ndarray],
    json_meta: dict,
    text_meta: dict[str, str] | None = None,
    force: bool = False,
) -> None:
    """Write `tensors` (name → numpy array, stored in its dtype, which must be one of the kind's)
    with `json_meta` (each value stored as a JSON document) and `text_meta` (str values stored as
    they are) atomically to `path`; an existing `path` is refused (ConfigError, one sentence)
    unless force."""
    from safetensors.numpy import save_file

    from tsrnn._version import __version__
    from tsrnn.output import atomic_write, check_writable

    check_writable(path, force, option=kind.option)
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    odd = [k for k, a in arrays.items() if a.dtype.name not in kind.dtypes]
    if odd:
        raise ValueError(
            f"tensor {odd[0]!r} has dtype {arrays[odd[0]].dtype.name}; a {kind.noun} "
            f"holds {', '.join(kind.dtypes)}"
        )
    md = {"format": kind.format, "format_version": str(kind.version), "tsrnn_version": __version__}
    md.update({k: str(v) for k, v in (text_meta or {}).items()})
    md.update({k: json.dumps(v) for k, v in json_meta.items()})
    if kind.digest_since is not None:
        md = with_digest(arrays, md)
    atomic_write(
        path, lambda t: save_file(arrays, str(t), metadata=md), force=force, option=kind.option
    )


def read_file(
    path: str | Path, kind: FileKind, json_keys: tuple[str, ...] = ()
) -> tuple[dict[str, np.ndarray], dict, int]:
    """Read and check a file of `kind` → (tensors, metadata with the `json_keys` entries decoded
    and the others as stored, format version). A missing or undecodable `json_keys` entry is one
    ModelFileError sentence naming the file."""
    p = Path(path)
    tensors, md, version = read_container(
        p,
        kind.format,
        kind.version,
        noun=kind.noun,
        refit=kind.refit,
        digest_since=kind.digest_since,
        dtypes=kind.dtypes,
        finite=kind.finite,
    )
    out: dict = dict(md)
    for k in json_keys:
        try:
            out[k] = json.loads(md[k])
        except (KeyError, json.JSONDecodeError, RecursionError) as e:
            raise ModelFileError(
                f"{p}: {kind.noun} metadata is incomplete or corrupt "
                f"({type(e).__name__} reading '{k}')"
            ) from None
    return tensors, out, version
