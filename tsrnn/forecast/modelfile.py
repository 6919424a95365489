"""The `.tsrnn` model file: one safetensors file that describes itself.

Tensors: the network's state_dict (float32, CPU) under torch's names. Metadata (str → str), each
value a JSON document: ``format`` = "tsrnn-model", ``format_version`` = "1", ``tsrnn_version``,
``config`` (constructor parameters and resolved settings), ``features`` (input column layout),
``scaler`` (SeriesScaler.to_dict()), ``series`` (training series ids), ``history`` (the last
input_len raw rows and last timestamp of every training series, for predict(df=None)),
``conformal`` (absolute scaled residual quantiles, levels 1..99 × horizon).

Reading needs only numpy and safetensors (no torch), so the numba back end can load a model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tsrnn.errors import ModelFileError

FORMAT = "tsrnn-model"
FORMAT_VERSION = 1
_META_KEYS = ("config", "features", "scaler", "series", "history", "conformal")


def write_model(path: str | Path, tensors: dict[str, np.ndarray], meta: dict) -> None:
    """Write tensors + JSON metadata atomically. meta keys: those of _META_KEYS."""
    from safetensors.numpy import save_file

    from tsrnn._version import __version__
    from tsrnn.output import atomic_write

    md = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "tsrnn_version": __version__}
    for k in _META_KEYS:
        md[k] = json.dumps(meta[k])
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    atomic_write(path, lambda p: save_file(arrays, str(p), metadata=md))


def read_model(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a model file → (tensors as float32 numpy arrays, metadata with JSON values decoded).

    Raises ModelFileError (one sentence) for a missing, corrupt, foreign or newer-format file.
    """
    from tsrnn._container import read_container

    p = Path(path)
    tensors, md, version = read_container(p, FORMAT, FORMAT_VERSION)
    out = {"format": md["format"], "format_version": version, "tsrnn_version": md.get("tsrnn_version", "?")}
    try:
        for k in _META_KEYS:
            out[k] = json.loads(md[k])
    except (KeyError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{p}: model file metadata is incomplete or corrupt ({type(e).__name__}: {e})") from None
    return {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}, out
