"""The anomaly detector's model file: one safetensors file that describes itself.

Tensors: the recurrent scorer's network under ``net.<torch state_dict name>`` (float32), the
training scores every threshold is fitted on under ``train_scores.<series index>`` (float64) and,
for STL, the residual statistics ``stl.med`` / ``stl.mad`` (float64) and, for IsolationForest,
the scaled training series ``iforest.train.<i>`` (float64) the seeded forest is fitted on again. Metadata (str → str):
``format`` = "tsrnn-anomaly-model", ``format_version``, ``tsrnn_version`` and ``detector``, a JSON
document with the constructor parameters and the fitted state (series ids, value columns,
frequency, training lengths and last timestamps, score scales, the SeriesScaler's statistics and,
for the forecast method, the number of network outputs).

From format version 2 on the file also carries ``digest`` (tsrnn._container: blake2b over the
metadata and the tensor bytes); a mismatch is refused. Format-1 files (written before it) are read
without one. Either way `read_detector` checks every field and tensor shape a detector is rebuilt
from (types, bounds, per-series counts, the networks' shapes against hidden/layers/cell) before
anything is built.

Data, not code: nothing is unpickled. Thresholds are not stored as such: `load` fits them again on
the stored training scores, as `refit_threshold` does (the same numbers as the saved detector).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tsrnn.errors import ModelFileError

FORMAT = "tsrnn-anomaly-model"
FORMAT_VERSION = 2
DIGEST_SINCE = 2
METHODS = ("autoencoder", "forecast", "zscore", "stl", "iforest")
MAX_HIDDEN = 16_384
MAX_LAYERS = 64
MAX_WINDOW = 1_000_000
MAX_TREES = 100_000
MAX_EPOCHS = 100_000


def write_detector(path: str | Path, tensors: dict[str, np.ndarray], detector: dict,
                   force: bool = True) -> None:
    """Write tensors (kept in their dtype) and the detector's JSON description atomically;
    force=False leaves a file that exists by the final rename as it is (ConfigError)."""
    from safetensors.numpy import save_file

    from tsrnn._container import with_digest
    from tsrnn._version import __version__
    from tsrnn.output import atomic_write

    md = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "tsrnn_version": __version__,
          "detector": json.dumps(detector)}
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    md = with_digest(arrays, md)
    atomic_write(path, lambda p: save_file(arrays, str(p), metadata=md), force=force)


def read_detector(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """→ (tensors, the detector's description). ModelFileError (one sentence naming the file) for a
    missing, unreadable, foreign or newer file."""
    from tsrnn._container import read_container

    tensors, md, _ = read_container(path, FORMAT, FORMAT_VERSION, noun="detector file",
                                    refit="fit the detector again", digest_since=DIGEST_SINCE,
                                    finite=False)
    try:
        detector = json.loads(md["detector"])
    except (KeyError, json.JSONDecodeError, RecursionError) as e:
        raise ModelFileError(f"{Path(path)}: detector file metadata is incomplete or corrupt ({type(e).__name__})") from None
    check_detector(Path(path), tensors, detector)
    return tensors, detector


def check_detector(p: Path, tensors: dict[str, np.ndarray], d) -> None:
    """Every field and tensor a detector is rebuilt from: types, bounds, per-series counts and the
    networks' shapes. ModelFileError, one sentence naming the file and the field."""
    from tsrnn._container import Fields, check_freq, check_params, check_stack
    from tsrnn.anomaly.detector import AnomalyDetector
    from tsrnn.anomaly.thresholds import parse_threshold
    from tsrnn.data.scaling import SCALERS
    from tsrnn.errors import ConfigError

    top = Fields(p, d, "detector")
    prm = Fields(p, top.obj.get("params"), "detector params")
    check_params(prm, AnomalyDetector)
    method = prm.name("method", METHODS)
    try:
        parse_threshold(prm.obj.get("threshold"))
    except ConfigError as e:
        prm.fail(f"detector params 'threshold' is unusable ({e})")
    for key, lo, hi in (("stride", 1, MAX_WINDOW), ("batch_size", 1, MAX_WINDOW),
                        ("local_norm", 0, MAX_WINDOW), ("input_norm", 0, MAX_WINDOW),
                        ("refit_every", 0, 10**12), ("refit_history", 0, 10**12),
                        ("event_gap", 0, 10**12), ("min_event_length", 1, 10**12)):
        if key in prm.obj:
            prm.integer(key, lo, hi)
    if "calibration" in prm.obj:
        prm.number("calibration", 0.0, 0.99)
    if "error" in prm.obj:
        prm.name("error", ("abs", "scaled"))
    cell = prm.name("cell", ("rnn", "lstm", "gru"))
    hidden = prm.integer("hidden", 1, MAX_HIDDEN)
    layers = prm.integer("layers", 1, MAX_LAYERS)
    window = prm.integer("window", 1, MAX_WINDOW)
    prm.integer("epochs", 1, MAX_EPOCHS)
    prm.integer("n_estimators", 1, MAX_TREES)
    if prm.obj.get("period") is not None:
        prm.integer("period", 1, MAX_WINDOW)
    ids = top.names("ids", unique=True)
    n = len(ids)
    if n == 0:
        top.fail("detector 'ids' is empty")
    targets = top.names("targets", unique=True)
    C = len(targets)
    if C == 0:
        top.fail("detector 'targets' is empty")
    check_freq(top)
    lengths = top.array("fit_lengths", 1, (n,))
    if not np.all((lengths >= 1) & (lengths == np.round(lengths))):
        top.fail("detector 'fit_lengths' holds counts below 1 or fractions")
    top.names("fit_end", n)
    try:
        np.asarray(top.obj["fit_end"], dtype="datetime64[ns]")
    except (ValueError, TypeError, OverflowError):
        top.fail("detector 'fit_end' holds a value that is not a timestamp")
    top.array("score_scale", 1, (n,), positive=True)
    sc = Fields(p, top.obj.get("scaler"), "detector scaler")
    sc.name("method", SCALERS)
    sc.array("loc", 2, (n, C))
    sc.array("scale", 2, (n, C), positive=True)
    scorer = Fields(p, top.obj.get("scorer"), "detector scorer")

    def tensor(name: str, shape: tuple, finite: bool = True) -> np.ndarray:
        a = tensors.get(name)
        if a is None:
            top.fail(f"the tensors lack '{name}'")
        if a.ndim != len(shape) or any(s is not None and s != g for s, g in zip(shape, a.shape)):
            want = tuple("?" if s is None else s for s in shape)
            top.fail(f"tensor '{name}' has shape {a.shape}, expected {want}")
        if np.any(np.isinf(a)) or (finite and np.any(np.isnan(a))):
            top.fail(f"tensor '{name}' holds {'NaN or infinite' if finite else 'infinite'} values")
        return a

    for i in range(n):
        tensor(f"train_scores.{i}", (int(lengths[i]),), finite=False)
    if method in ("forecast", "autoencoder"):
        for k, a in tensors.items():
            if k.startswith("net.") and not np.all(np.isfinite(a)):
                top.fail(f"tensor '{k}' holds NaN or infinite values")
        if method == "forecast":
            n_out = scorer.integer("n_outputs", 1, 2 * C)
            check_stack(prm, tensors, "net.core.rnn.", cell, hidden, layers, C)
            tensor("net.head.weight", (n_out, hidden))
        else:
            check_stack(prm, tensors, "net.encoder.rnn.", cell, hidden, layers, C)
            check_stack(prm, tensors, "net.decoder.rnn.", cell, hidden, layers, hidden)
            tensor("net.out.weight", (C, hidden))
    elif method == "stl":
        scorer.integer("period", 1, MAX_WINDOW)
        tensor("stl.med", (C,))
        if not np.all(tensor("stl.mad", (C,)) > 0):
            top.fail("tensor 'stl.mad' holds values <= 0")
    elif method == "iforest":
        for i in range(n):
            if len(tensor(f"iforest.train.{i}", (None, C))) < window:
                top.fail(f"tensor 'iforest.train.{i}' is shorter than the window ({window})")
