"""The `.tsrnn` model file: one safetensors file that describes itself.

Tensors: the network's state_dict (float32, CPU) under torch's names. Metadata (str → str), each
value a JSON document: ``format`` = "tsrnn-model", ``format_version`` = "1", ``tsrnn_version``,
``config`` (constructor parameters and resolved settings), ``features`` (input column layout),
``scaler`` (SeriesScaler.to_dict()), ``series`` (training series ids), ``history`` (the last
input_len raw rows and last timestamp of every training series, for predict(df=None)),
``conformal`` (absolute scaled residual quantiles, levels 1..99 × horizon) and, from format
version 2 on, ``digest`` (tsrnn._container: blake2b over the metadata and the tensor bytes).

Reading needs only numpy and safetensors (no torch), so the numba back end can load a model.
Before anything is built from a file, `read_model` checks every field the model is rebuilt from:
types, sane bounds (MAX_* below), agreement between the fields (series, scaler rows, history,
conformal table, horizon) and between the configuration and the recurrent tensors' shapes
(hidden, layers, directions, input size, embedding, head). Format-1 files (written before the
digest) are read with these checks but no digest; format-2 files must carry a matching digest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsrnn._container import FileKind, read_file, write_container
from tsrnn._container.fields import Fields, check_freq

MAX_HORIZON = 100_000
MAX_INPUT_LEN = 1_000_000
MAX_HIDDEN = 16_384
MAX_LAYERS = 64
MAX_OUTPUTS = 1_000
MAX_FEATURES = 100_000
MAX_SERIES = 100_000_000
MAX_SCALED = 1e30  # stored history values, in scaled units: finite in the float32 network
GATES = {"rnn": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}

FORMAT = "tsrnn-model"
FORMAT_VERSION = 2
DIGEST_SINCE = 2
_META_KEYS = ("config", "features", "scaler", "series", "history", "conformal")
KIND = FileKind(FORMAT, FORMAT_VERSION, digest_since=DIGEST_SINCE, dtypes=("float32",))


def write_model(
    path: str | Path, tensors: dict[str, np.ndarray], meta: dict, force: bool = False
) -> None:
    """Write tensors (as float32) + JSON metadata atomically; an existing `path` is refused
    unless force. meta keys: those of _META_KEYS (``config`` a dict, e.g. NetConfig.to_dict()
    plus ``params``)."""
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    write_container(path, KIND, arrays, {k: meta[k] for k in _META_KEYS}, force=force)


def read_model(path: str | Path, forecaster: bool = True) -> tuple[dict[str, np.ndarray], dict]:
    """Read a model file → (tensors as float32 numpy arrays, metadata with JSON values decoded).

    Raises ModelFileError (one sentence) for a missing, corrupt, foreign or newer-format file, a
    digest mismatch, or any field that is malformed, out of bounds or disagrees with the tensors.
    forecaster=False (NumbaNet.from_file: a file that may hold a bare network) checks only the
    network's own fields that are present (NumbaNet then checks every tensor shape against them).
    """
    p = Path(path)
    tensors, md, version = read_file(p, KIND, json_keys=_META_KEYS)
    out = {
        "format": md["format"],
        "format_version": version,
        "tsrnn_version": md.get("tsrnn_version", "?"),
        **{k: md[k] for k in _META_KEYS},
    }
    if forecaster:
        check_model(p, tensors, out)
    else:
        check_network_fields(p, out["config"])
    return {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}, out


def check_network_fields(p: Path, config) -> None:
    """Bounds on the network fields of a bare network's config that are present (cell, hidden,
    layers, horizon, n_outputs, input_size, embedding, n_targets)."""
    c = Fields(p, config, "config")
    if "cell" in c.obj:
        c.name("cell", tuple(GATES))
    for key, hi in (
        ("hidden", MAX_HIDDEN),
        ("layers", MAX_LAYERS),
        ("horizon", MAX_HORIZON),
        ("n_outputs", MAX_OUTPUTS),
        ("input_size", MAX_FEATURES + MAX_HIDDEN),
        ("n_targets", MAX_FEATURES),
    ):
        if key in c.obj:
            c.integer(key, 1, hi)
    if c.obj.get("embedding") is not None:
        c.integer("embedding", 0, MAX_HIDDEN)


def check_model(p: Path, tensors: dict[str, np.ndarray], meta: dict) -> None:
    """Every field a Forecaster is rebuilt from, checked for type, bounds and agreement with the
    other fields and the tensors (see the module docstring). ModelFileError, one sentence."""
    c = Fields(p, meta["config"], "config")
    model = c.name("model")
    cell = c.name("cell", tuple(GATES))
    horizon = c.integer("horizon", 1, MAX_HORIZON)
    input_len = c.integer("input_len", 1, MAX_INPUT_LEN)
    hidden = c.integer("hidden", 1, MAX_HIDDEN)
    layers = c.integer("layers", 1, MAX_LAYERS)
    bidi = c.flag("bidirectional")
    c.flag("layer_norm")
    c.number("dropout", 0.0, 1.0)
    n_out = c.integer("n_outputs", 1, MAX_OUTPUTS)
    embedding = c.integer("embedding", 0, MAX_HIDDEN)
    n_series = c.integer("n_series", 1, MAX_SERIES)
    n_features = c.integer("n_features", 1, MAX_FEATURES)
    input_size = c.integer("input_size", 1, MAX_FEATURES + MAX_HIDDEN)
    n_targets = c.integer("n_targets", 1, n_features)
    c.integer("n_future", 0, MAX_FEATURES)
    c.integer("pad", 0, MAX_INPUT_LEN)
    check_freq(c)
    c.name("window_norm", ("last", "mean", "season"), optional=True)
    c.name("transform", ("log",), optional=True)
    # seasonal inputs (format 2): `segment` rows per recurrent step, a seasonal-naive residual
    segment = c.integer("segment", 1, MAX_INPUT_LEN, default=1)
    if input_len % segment:
        c.fail(f"config 'segment' = {segment} does not divide input_len = {input_len}")
    c.integer("residual", 0, MAX_INPUT_LEN, default=0)
    c.integer("decoder", 0, MAX_HIDDEN, default=0)
    if input_size != n_features * segment + embedding:
        c.fail(
            f"config 'input_size' = {input_size} is not n_features × segment + embedding = "
            f"{n_features * segment + embedding}"
        )
    q = c.obj.get("quantiles")
    if q is not None:
        qa = c.array("quantiles", 1, (n_out,))
        if not np.all((qa > 0) & (qa < 1)):
            c.fail("config 'quantiles' holds values outside (0, 1)")
    elif n_out != 1:
        c.fail(f"config 'n_outputs' = {n_out} without quantiles (a point model has 1 output)")

    f = Fields(p, meta["features"], "features")
    targets = f.names("targets", n_targets, unique=True)
    exog = f.names("exog")
    from tsrnn.data.features import CALENDAR_KINDS

    calendar = f.names("calendar", unique=True)
    if not set(calendar) <= set(CALENDAR_KINDS):
        odd = sorted(set(calendar) - set(CALENDAR_KINDS))[0]
        f.fail(f"features 'calendar' holds {odd!r}, not one of {', '.join(CALENDAR_KINDS)}")
    pad = int(c.obj["pad"] > 0)
    f.names("columns", n_features)
    want = n_targets + 2 * len(calendar) + len(exog) + pad
    if n_features != want:
        f.fail(
            f"config 'n_features' = {n_features} is not targets + 2 × calendar + exog"
            f"{' + 1 (padding)' if pad else ''} = {want}"
        )
    if f.integer("n_targets", 1, MAX_FEATURES) != n_targets:
        f.fail(f"features 'n_targets' disagrees with config 'n_targets' = {n_targets}")
    V = len(targets) + len(exog)

    top = Fields(p, {"series": meta["series"], "conformal": meta["conformal"]}, "the model")
    series = top.names("series", n_series, unique=True)
    sc = Fields(p, meta["scaler"], "scaler")
    from tsrnn.data.scaling import SCALERS

    sc.name("method", SCALERS)
    loc = sc.array("loc", 2, (n_series, V))
    scale = sc.array("scale", 2, (n_series, V), positive=True)

    h = Fields(p, meta["history"], "history")
    ids = h.names("ids", unique=True)
    if ids != series:
        h.fail("history 'ids' are not the model's series")
    S = len(ids)
    values = h.array("values", 3, (S, input_len, V))
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (values - loc[:, None, :]) / scale[:, None, :]
    if not np.all(np.abs(scaled) < MAX_SCALED):
        h.fail(
            f"history 'values' lie beyond {MAX_SCALED:g} of their series' scale from its location"
        )
    h.names("last_ds", S)
    try:
        np.asarray(h.obj["last_ds"], dtype="datetime64[ns]")
    except (ValueError, TypeError, OverflowError):
        h.fail("history 'last_ds' holds a value that is not a timestamp")
    if "n_obs" in h.obj:
        n_obs = h.array("n_obs", 1, (S,))
        if not np.all((n_obs >= 1) & (n_obs <= input_len) & (n_obs == np.round(n_obs))):
            h.fail(f"history 'n_obs' holds counts outside [1, {input_len}]")

    conf = top.array("conformal", 2, (99, horizon))
    if not np.all(conf >= 0):
        c.fail("the conformal table holds negative half-widths")
    _check_tensors(
        c,
        tensors,
        model,
        cell,
        hidden,
        layers,
        bidi,
        input_size,
        embedding,
        n_series,
        horizon * n_out,
    )


def _check_tensors(
    c: Fields,
    tensors: dict[str, np.ndarray],
    model: str,
    cell: str,
    hidden: int,
    layers: int,
    bidi: bool,
    input_size: int,
    embedding: int,
    n_series: int,
    n_head: int,
) -> None:
    """The recurrent stack's tensors agree with the config (the rest is compared tensor by tensor
    with the network the config describes before weights are loaded:
    fitting.build_net_from_weights)."""
    pre = "encoder.rnn." if model == "seq2seq" else "core.rnn."
    G = GATES[cell]
    w0 = tensors.get(pre + "weight_ih_l0")
    if w0 is None:
        c.fail(f"the tensors lack '{pre}weight_ih_l0' (a {model} network has it)")
    n_layers = 0
    while pre + f"weight_ih_l{n_layers}" in tensors:
        n_layers += 1
    if n_layers != layers:
        c.fail(f"config 'layers' = {layers} but the tensors hold {n_layers} layer(s)")
    has_rev = pre + "weight_ih_l0_reverse" in tensors
    if has_rev != bidi:
        c.fail(
            f"config 'bidirectional' = {str(bidi).lower()} but the tensors "
            f"{'hold' if has_rev else 'lack'} a backward direction"
        )
    whh = tensors.get(pre + "weight_hh_l0")
    if whh is None or whh.shape != (G * hidden, hidden):
        got = None if whh is None else whh.shape
        c.fail(
            f"config 'hidden' = {hidden} ({cell}) needs {pre}weight_hh_l0 of shape "
            f"{(G * hidden, hidden)}, the tensors hold {got}"
        )
    if model != "seq2seq":
        if w0.shape != (G * hidden, input_size):
            c.fail(
                f"config 'input_size' = {input_size} needs {pre}weight_ih_l0 of shape "
                f"{(G * hidden, input_size)}, the tensors hold {w0.shape}"
            )
        # the last layer of the head: head.weight, or head.2.weight after an MLP decoder
        name = "head.2.weight" if int(c.obj.get("decoder", 0)) else "head.weight"
        hw = tensors.get(name)
        if hw is None or hw.ndim != 2 or hw.shape[0] != n_head:
            c.fail(
                f"config 'horizon' × 'n_outputs' = {n_head} needs {name} with {n_head} "
                f"rows, the tensors hold {None if hw is None else hw.shape}"
            )
    if embedding:
        ew = tensors.get("embed.weight")
        if ew is None or ew.shape != (n_series, embedding):
            c.fail(
                f"config 'embedding' = {embedding} and 'n_series' = {n_series} need "
                f"embed.weight of shape {(n_series, embedding)}, the tensors hold "
                f"{None if ew is None else ew.shape}"
            )
