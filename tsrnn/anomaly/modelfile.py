"""The anomaly detector's model file: one safetensors file that describes itself.

Tensors: the recurrent scorer's network under ``net.<torch state_dict name>`` (float32), the
training scores every threshold is fitted on under ``train_scores.<series index>`` (float64) and,
for STL, the residual statistics ``stl.med`` / ``stl.mad`` (float64) and, for IsolationForest,
the scaled training series ``iforest.train.<i>`` (float64) the seeded forest is fitted on again. Metadata (str → str):
``format`` = "tsrnn-anomaly-model", ``format_version``, ``tsrnn_version`` and ``detector``, a JSON
document with the constructor parameters and the fitted state (series ids, value columns,
frequency, training lengths and last timestamps, score scales, the SeriesScaler's statistics and,
for the forecast method, the number of network outputs).

Data, not code: nothing is unpickled. Thresholds are not stored as such: `load` fits them again on
the stored training scores, as `refit_threshold` does (the same numbers as the saved detector).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tsrnn.errors import ModelFileError

FORMAT = "tsrnn-anomaly-model"
FORMAT_VERSION = 1


def write_detector(path: str | Path, tensors: dict[str, np.ndarray], detector: dict,
                   force: bool = True) -> None:
    """Write tensors (kept in their dtype) and the detector's JSON description atomically;
    force=False leaves a file that exists by the final rename as it is (ConfigError)."""
    from safetensors.numpy import save_file

    from tsrnn._version import __version__
    from tsrnn.output import atomic_write

    md = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "tsrnn_version": __version__,
          "detector": json.dumps(detector)}
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    atomic_write(path, lambda p: save_file(arrays, str(p), metadata=md), force=force)


def read_detector(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """→ (tensors, the detector's description). ModelFileError (one sentence naming the file) for a
    missing, unreadable, foreign or newer file."""
    from tsrnn._container import read_container

    tensors, md, _ = read_container(path, FORMAT, FORMAT_VERSION, noun="detector file", refit="fit the detector again")
    try:
        detector = json.loads(md["detector"])
    except (KeyError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{Path(path)}: detector file metadata is incomplete or corrupt ({type(e).__name__})") from None
    return tensors, detector
