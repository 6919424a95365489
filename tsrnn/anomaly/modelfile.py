"""The anomaly detector's model file: one safetensors file that describes itself.

Tensors: the training scores every threshold is fitted on under ``train_scores.<series index>``
(float64; with a normaliser also the scores before it, ``base_scores.<i>``, which it is fitted
on) and the scorer's own state, written by its `state` method: the recurrent network under
``net.<torch state_dict name>`` (float32), STL's residual statistics ``stl.med`` / ``stl.mad``,
IsolationForest's scaled training series ``iforest.train.<i>`` (the seeded forest is fitted on
them again), the tail scorer's ``tail.sorted``, an ensemble's members under ``ens.<member>.``, a
tailmax scorer's members under ``tm.<member>.`` and each series' raw member training scores
``tm_train.<i>`` (float64, (M, T_i); its tail levels are fitted again on them).
Metadata (str → str): ``format`` = "tsrnn-anomaly-model", ``format_version``, ``tsrnn_version``
and ``detector``, a JSON document with the parameters (format 3: the scorer as
catalog.scorer_spec, the threshold, the normaliser spec, the refit, cooldown, ...; formats 1 and
2 held one flat list of options with a ``method``, translated by `legacy_params`) and the fitted
state (series ids, value columns, frequency, training lengths and last timestamps, score scales,
the SeriesScaler's statistics and the scorer's JSON part).

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

from tsrnn._container import FileKind
from tsrnn.errors import ModelFileError

FORMAT = "tsrnn-anomaly-model"
FORMAT_VERSION = 3  # 3: composed parameters (scorer spec, normaliser, refit)
DIGEST_SINCE = 2
MAX_HIDDEN = 16_384
MAX_LAYERS = 64
MAX_WINDOW = 1_000_000
MAX_TREES = 100_000
MAX_EPOCHS = 100_000


KIND = FileKind(
    FORMAT,
    FORMAT_VERSION,
    noun="detector file",
    refit="fit the detector again",
    digest_since=DIGEST_SINCE,
    finite=False,
    option="the detector path",
)


def write_detector(path: str | Path, det, force: bool = False) -> None:
    """Write a fitted AnomalyDetector atomically; an existing file is replaced only with force
    (ConfigError otherwise, checked before anything is written)."""
    from tsrnn._container import write_container
    from tsrnn.anomaly.catalog import normaliser_spec, scorer_spec

    tensors = {
        f"train_scores.{i}": np.asarray(s, dtype=np.float64)
        for i, s in enumerate(det.train_scores_)
    }
    if det.normaliser_ is not None:
        tensors.update(
            {
                f"base_scores.{i}": np.asarray(s, dtype=np.float64)
                for i, s in enumerate(det.base_scores_)
            }
        )
    scorer = det.scorer_.state(tensors, "")
    params = {
        "scorer": scorer_spec(det.scorer_),
        "threshold": det.threshold,
        "normaliser": normaliser_spec(det.normaliser_),
        "refit": None if det.refit is None else det.refit.get_params(),
        "cooldown": det.cooldown,
        "calibration": det.calibration,
        "event_gap": det.event_gap,
        "min_event_length": det.min_event_length,
    }
    detector = {
        "params": params,
        "ids": [str(u) for u in det.ids_],
        "targets": list(det.targets_),
        "freq": det.freq_,
        "fit_lengths": det.fit_lengths_,
        "fit_end": [str(np.datetime64(t, "ns")) for t in det.fit_end_],
        "score_scale": [float(v) for v in det.score_scale_],
        "scaler": det.scaler_.to_dict(),
        "scorer": scorer,
    }
    write_container(path, KIND, tensors, {"detector": detector}, force=force)


_SCORER_KEYS = {
    "forecast": (
        "window",
        "hidden",
        "layers",
        "cell",
        "epochs",
        "lr",
        "batch_size",
        "stride",
        "seed",
        "device",
        "quiet",
        "input_norm",
        "error",
    ),
    "autoencoder": (
        "window",
        "hidden",
        "layers",
        "cell",
        "epochs",
        "lr",
        "batch_size",
        "stride",
        "seed",
        "device",
        "quiet",
    ),
    "zscore": ("window",),
    "stl": ("period",),
    "iforest": ("window", "n_estimators", "seed"),
    "tail": ("window",),
}


def legacy_params(flat: dict) -> dict:
    """Format-1/2 parameters (one flat list of options with a `method`) as format-3 ones."""

    def spec(method: str) -> dict:
        return {"name": method, "params": {k: flat[k] for k in _SCORER_KEYS[method] if k in flat}}

    method = flat["method"]
    if method == "ensemble":
        names = [n.strip() for n in str(flat.get("members", "")).split(",") if n.strip()]
        if any(n not in _SCORER_KEYS for n in names):
            raise ValueError(f"ensemble members '{flat.get('members')}' are unknown")
        scorer = {
            "name": "ensemble",
            "params": {
                "members": {n: spec(n) for n in names},
                "combine": flat.get("combine", "mean"),
            },
        }
    elif method in _SCORER_KEYS:
        scorer = spec(method)
    else:
        raise ValueError(f"method '{method}' is unknown")
    local = flat.get("local_norm", 0)
    every = flat.get("refit_every", 0)
    return {
        "scorer": scorer,
        "threshold": flat.get("threshold", "pot:1e-3"),
        "normaliser": {"name": "local", "params": {"window": local}} if local else None,
        "refit": {"every": every, "history": flat.get("refit_history", 0)} if every else None,
        "cooldown": flat.get("cooldown", 0),
        "calibration": flat.get("calibration", 0.0),
        "event_gap": flat.get("event_gap", 0),
        "min_event_length": flat.get("min_event_length", 1),
    }


def read_detector(path: str | Path, estimator: type):
    """-> the fitted detector a file holds. ModelFileError (one sentence naming the file) for a
    missing, unreadable, foreign, newer or corrupt file."""
    from tsrnn._container import read_container
    from tsrnn.anomaly.catalog import normaliser_from_spec, scorer_from_spec
    from tsrnn.anomaly.refit import Refit
    from tsrnn.errors import ConfigError

    tensors, md, _ = read_container(
        path,
        KIND.format,
        KIND.version,
        noun=KIND.noun,
        refit=KIND.refit,
        digest_since=KIND.digest_since,
        dtypes=KIND.dtypes,
        finite=KIND.finite,
    )
    p = Path(path)
    try:
        detector = json.loads(md["detector"])
        prm = detector["params"]
        if isinstance(prm, dict) and "method" in prm:
            detector["params"] = legacy_params(prm)
    except (KeyError, TypeError, ValueError, RecursionError) as e:
        why = str(e).splitlines()[0] if isinstance(e, ValueError) and str(e) else type(e).__name__
        raise ModelFileError(
            f"{p}: detector file metadata is incomplete or corrupt ({why})"
        ) from None
    check_detector(p, tensors, detector)
    try:
        prm = detector["params"]
        scorer = scorer_from_spec(prm["scorer"])
        refit = None if prm["refit"] is None else Refit(**prm["refit"])
        det = estimator(
            scorer=scorer,
            threshold=prm["threshold"],
            normaliser=normaliser_from_spec(prm["normaliser"]),
            refit=refit,
            **{k: prm[k] for k in ("cooldown", "calibration", "event_gap", "min_event_length")},
        )
        det.validate()
        norm = normaliser_from_spec(prm["normaliser"])
        return det.restore_fitted(detector, tensors, scorer, norm)
    except (KeyError, TypeError, ValueError, RuntimeError, ConfigError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ModelFileError(
            f"{p}: the detector file does not hold a usable detector ({type(e).__name__}: {first})"
        ) from None


def check_detector(p: Path, tensors: dict[str, np.ndarray], d) -> None:
    """Every field and tensor a detector is rebuilt from: types, bounds, per-series counts, every
    scorer's state and the networks' shapes. ModelFileError, one sentence naming the file and the
    field."""
    from tsrnn._container import Fields, check_freq
    from tsrnn.anomaly.thresholds import parse_threshold
    from tsrnn.data.scaling import SCALERS
    from tsrnn.errors import ConfigError

    top = Fields(p, d, "detector")
    prm = Fields(p, top.obj.get("params"), "detector params")
    try:
        parse_threshold(prm.obj.get("threshold"))
    except ConfigError as e:
        prm.fail(f"detector params 'threshold' is unusable ({e})")
    for key, lo in (("cooldown", 0), ("event_gap", 0), ("min_event_length", 1)):
        prm.integer(key, lo, 10**12)
    prm.number("calibration", 0.0, 0.99)
    if prm.obj.get("normaliser") is not None:
        nf = Fields(p, prm.obj["normaliser"], "detector normaliser")
        nf.name("name")
        Fields(p, nf.obj.get("params"), "detector normaliser params")
    if prm.obj.get("refit") is not None:
        rf = Fields(p, prm.obj["refit"], "detector refit")
        rf.integer("every", 1, 10**12)
        rf.integer("history", 0, 10**12)
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
        if prm.obj.get("normaliser") is not None and f"base_scores.{i}" in tensors:
            tensor(f"base_scores.{i}", (int(lengths[i]),), finite=False)
    _check_scorer(p, prm.obj.get("scorer"), top.obj.get("scorer"), "", tensors, tensor, n, C)


def _check_scorer(p: Path, spec, info, prefix: str, tensors: dict, tensor, n: int, C: int) -> None:
    """One scorer's spec (name, params) and state (JSON part, tensors under prefix)."""
    from tsrnn._container import Fields, check_stack
    from tsrnn.anomaly.catalog import SCORERS

    where = f"detector scorer{' ' + prefix.rstrip('.') if prefix else ''}"
    sf = Fields(p, spec, where)
    name = sf.name("name", tuple(SCORERS))
    prm = Fields(p, sf.obj.get("params"), f"{where} params")
    state = Fields(p, info, f"{where} state")
    if name == "ensemble":
        members = Fields(p, prm.obj.get("members"), f"{where} members")
        states = Fields(p, state.obj.get("members"), f"{where} state members")
        stats = Fields(p, state.obj.get("stats"), f"{where} state stats")
        names = set(members.obj)
        if not names or names != set(states.obj) or set(stats.obj) != names:
            sf.fail(f"{where}: members, their states and their statistics do not match")
        for m, mspec in members.obj.items():
            stats.array(m, 1, (2,))
            _check_scorer(p, mspec, states.obj[m], f"{prefix}ens.{m}.", tensors, tensor, n, C)
        return
    if name == "tailmax":
        members = Fields(p, prm.obj.get("members"), f"{where} members")
        states = Fields(p, state.obj.get("members"), f"{where} state members")
        if not members.obj or set(members.obj) != set(states.obj):
            sf.fail(f"{where}: members and their states do not match")
        if state.integer("n_series", 1, 10**9) != n:
            sf.fail(f"{where}: state n_series differs from the detector's {n} series")
        for k in range(n):
            tensor(f"{prefix}tm_train.{k}", (len(members.obj), None), finite=False)
        for m, mspec in members.obj.items():
            _check_scorer(p, mspec, states.obj[m], f"{prefix}tm.{m}.", tensors, tensor, n, C)
        return
    for key, lo, hi in (
        ("window", 2, MAX_WINDOW),
        ("stride", 1, MAX_WINDOW),
        ("batch_size", 1, MAX_WINDOW),
        ("input_norm", 0, MAX_WINDOW),
        ("epochs", 1, MAX_EPOCHS),
        ("n_estimators", 1, MAX_TREES),
        ("hidden", 1, MAX_HIDDEN),
        ("layers", 1, MAX_LAYERS),
    ):
        if key in prm.obj:
            prm.integer(key, lo, hi)
    if "error" in prm.obj:
        prm.name("error", ("abs", "scaled"))
    if name in ("forecast", "autoencoder"):
        cell = prm.name("cell", ("rnn", "lstm", "gru"))
        hidden, layers = prm.integer("hidden", 1, MAX_HIDDEN), prm.integer("layers", 1, MAX_LAYERS)
        net = f"{prefix}net."
        if name == "forecast":
            n_out = state.integer("n_outputs", 1, 2 * C)
            check_stack(prm, tensors, f"{net}core.rnn.", cell, hidden, layers, C)
            tensor(f"{net}head.weight", (n_out, hidden))
        else:
            check_stack(prm, tensors, f"{net}encoder.rnn.", cell, hidden, layers, C)
            check_stack(prm, tensors, f"{net}decoder.rnn.", cell, hidden, layers, hidden)
            tensor(f"{net}out.weight", (C, hidden))
        for k, a in tensors.items():
            if k.startswith(net) and not np.all(np.isfinite(a)):
                sf.fail(f"tensor '{k}' holds NaN or infinite values")
    elif name == "stl":
        state.integer("period", 1, MAX_WINDOW)
        tensor(f"{prefix}stl.med", (C,))
        if not np.all(tensor(f"{prefix}stl.mad", (C,)) > 0):
            sf.fail(f"tensor '{prefix}stl.mad' holds values <= 0")
    elif name == "iforest":
        window = prm.integer("window", 2, MAX_WINDOW, default=64)
        for i in range(n):
            if len(tensor(f"{prefix}iforest.train.{i}", (None, C))) < window:
                sf.fail(f"tensor '{prefix}iforest.train.{i}' is shorter than the window ({window})")
    elif name == "tail":
        tensor(f"{prefix}tail.sorted", (None, 7 * C))
