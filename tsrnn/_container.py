"""The checks every tsrnn safetensors file goes through on reading (forecaster, anomaly detector
and text model files): it exists, is a file, reads as safetensors, carries our `format` and a `format_version` this
tsrnn reads. Numpy only (no torch), so the numba back end can use it. Each failure is one
ModelFileError sentence naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsrnn.errors import ModelFileError


def read_container(path: str | Path, fmt: str, max_version: int, noun: str = "model file",
                   refit: str = "re-train the model") -> tuple[dict[str, np.ndarray], dict[str, str], int]:
    """→ (tensors as stored, the raw str → str metadata, format version). `noun` names the kind of
    file in messages; `refit` says what to do about a file from a newer tsrnn."""
    from safetensors import SafetensorError, safe_open

    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"{p}: {noun} not found")
    if p.is_dir():
        raise ModelFileError(f"{p}: is a directory, not a {noun}")
    try:
        with safe_open(str(p), framework="numpy") as f:
            md = f.metadata() or {}
            if md.get("format") != fmt:
                kind = f"a {md['format']!r} file" if md.get("format") else "a safetensors file without tsrnn metadata"
                raise ModelFileError(f"{p}: not a tsrnn {noun} ({kind})")
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except ModelFileError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError, UnicodeDecodeError):
        raise ModelFileError(f"{p}: not a tsrnn {noun} or it is corrupt (cannot be read as safetensors)") from None
    try:
        version = int(md.get("format_version", ""))
    except ValueError:
        raise ModelFileError(f"{p}: {noun} has an invalid format_version {md.get('format_version')!r}") from None
    if not 1 <= version <= max_version:
        raise ModelFileError(f"{p}: {noun} format version {version} is not supported by this tsrnn (reads version "
                             f"{max_version}); upgrade tsrnn or {refit}")
    return tensors, md, version
