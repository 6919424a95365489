"""Model files that cannot be trusted are refused with one ModelFileError sentence, before anything
is built from them: every header field is checked (type, bounds, agreement with the other fields
and the tensors) and the content must match its digest (format 2); format-1 files, written before
the digest, still load."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

from tsrnn._container import tensor_digest, with_digest  # noqa: E402
from tsrnn.errors import ModelFileError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _frame(n=150, ids=("a", "b")):
    t = np.arange(n)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(list(ids), n),
            "ds": np.tile(pd.date_range("2024-01-01", periods=n, freq="h"), len(ids)),
            "y": np.concatenate([10 + np.sin(2 * np.pi * t / 24) + i for i in range(len(ids))]),
        }
    )


def read_raw(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(str(path), framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def rewrite(src, dst, edit_meta=None, edit_tensors=None, digest=True) -> Path:
    """Copy a model file, editing its decoded JSON metadata (edit_meta(md) on {key: decoded}) and/or
    tensors, with a digest that matches the edited content (digest=True) or the original digest."""
    tensors, md = read_raw(src)
    if edit_meta:
        dec = {
            k: json.loads(v)
            for k, v in md.items()
            if k.startswith(
                (
                    "config",
                    "features",
                    "scaler",
                    "series",
                    "history",
                    "conformal",
                    "detector",
                    "vocab",
                    "extra",
                )
            )
        }
        edit_meta(dec)
        md.update({k: json.dumps(v) for k, v in dec.items()})
    if edit_tensors:
        edit_tensors(tensors)
    save_file(tensors, str(dst), metadata=with_digest(tensors, md) if digest else md)
    return Path(dst)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from tsrnn import Forecaster

    p = tmp_path_factory.mktemp("m") / "lstm.tsrnn"
    Forecaster(
        model="lstm",
        horizon=3,
        input_len=24,
        hidden=8,
        layers=2,
        epochs=1,
        quiet=True,
        device="cpu",
        embedding=2,
    ).fit(_frame()).save(p)
    return p


def _load_both(path):
    from tsrnn import Forecaster

    for backend in ("torch", "numba"):
        with pytest.raises(ModelFileError) as e:
            Forecaster.load(path, backend=backend)
        msg = str(e.value)
        assert "\n" not in msg and str(path) in msg
        yield msg


def test_a_saved_model_has_format_2_and_a_digest_of_its_content(model_file):
    tensors, md = read_raw(model_file)
    assert md["format_version"] == "2"
    assert md["digest"] == tensor_digest(tensors, md) and md["digest"].startswith("blake2b-256:")


SET = {
    "hidden=30000": (
        lambda d: d["config"].update(hidden=30000),
        r"config 'hidden' = 30000 is outside",
    ),
    "horizon=1e9": (
        lambda d: d["config"].update(horizon=10**9),
        r"config 'horizon' = 1000000000 is outside",
    ),
    "horizon float": (
        lambda d: d["config"].update(horizon=1e9),
        r"config 'horizon' is 1000000000.0, not a whole",
    ),
    "layers=10**6": (
        lambda d: d["config"].update(layers=10**6),
        r"config 'layers' = 1000000 is outside",
    ),
    "layers=3": (
        lambda d: d["config"].update(layers=3),
        r"config 'layers' = 3 but the tensors hold 2 layer",
    ),
    "hidden=9": (
        lambda d: d["config"].update(hidden=9),
        r"needs core.rnn.weight_hh_l0 of shape \(36, 9\)",
    ),
    "features=null": (lambda d: d.update(features=None), r"'features' is null, not a JSON object"),
    "freq=null": (lambda d: d["config"].update(freq=None), r"config 'freq' is null"),
    "freq=bogus": (
        lambda d: d["config"].update(freq="bogus"),
        r"config 'freq' = 'bogus' is not a frequency",
    ),
    "input_len=0": (
        lambda d: d["config"].update(input_len=0),
        r"config 'input_len' = 0 is outside",
    ),
    "input_len=23": (
        lambda d: d["config"].update(input_len=23),
        r"history 'values' has shape \(2, 24, 1\)",
    ),
    "empty scaler": (lambda d: d.update(scaler={}), r"scaler lacks 'method'"),
    "scaler rows": (
        lambda d: d["scaler"].update(loc=[[1.0]]),
        r"scaler 'loc' has shape \(1, 1\), expected 2×1",
    ),
    "zero scale": (
        lambda d: d["scaler"].update(scale=[[0.0], [1.0]]),
        r"scaler 'scale' holds values <= 0",
    ),
    "series": (lambda d: d.update(series=["a", "a"]), r"'series' repeats a name"),
    "n_series": (lambda d: d["config"].update(n_series=3), r"'series' has 2 entries, expected 3"),
    "conformal": (
        lambda d: d.update(conformal=[[0.1] * 3] * 98),
        r"'conformal' has shape \(98, 3\)",
    ),
    "config list": (lambda d: d.update(config=[1, 2]), r"'config' is a list, not a JSON object"),
    "cell": (lambda d: d["config"].update(cell="tcn"), r"config 'cell' = 'tcn' is not one of"),
    "bidirectional": (
        lambda d: d["config"].update(bidirectional=True),
        r"'bidirectional' = true but the tensors",
    ),
    "embedding": (
        lambda d: d["config"].update(embedding=3),
        r"'input_size' = 7 is not n_features × segment \+ embedding = 8",
    ),
    "n_outputs": (lambda d: d["config"].update(n_outputs=2), r"'n_outputs' = 2 without quantiles"),
    "history nan": (
        lambda d: d["history"].update(values=[[[float("nan")]] * 24] * 2),
        r"'values' holds NaN",
    ),
}


@pytest.mark.parametrize("case", list(SET))
def test_every_malformed_header_field_is_one_sentence(model_file, tmp_path, case):
    edit, pattern = SET[case]
    bad = rewrite(model_file, tmp_path / "bad.tsrnn", edit_meta=edit)
    for msg in _load_both(bad):
        assert re.search(pattern, msg), msg


def test_an_edited_header_without_a_new_digest_is_refused(model_file, tmp_path):
    bad = rewrite(
        model_file,
        tmp_path / "bad.tsrnn",
        edit_meta=lambda d: d["scaler"].update(loc=[[10.5], [11.0]]),
        digest=False,
    )
    for msg in _load_both(bad):
        assert "content does not match its digest" in msg


def test_flipped_bytes_in_the_tensor_data_are_refused(model_file, tmp_path):
    raw = bytearray(model_file.read_bytes())
    for pos in (len(raw) - 5, len(raw) - 200):  # inside the tensor data, after the header
        bad = bytearray(raw)
        bad[pos] ^= 0x10
        p = tmp_path / "flip.tsrnn"
        p.write_bytes(bytes(bad))
        for msg in _load_both(p):
            assert "does not match its digest" in msg or "NaN or infinite" in msg


def test_a_format_2_file_without_its_digest_is_refused(model_file, tmp_path):
    tensors, md = read_raw(model_file)
    md.pop("digest")
    save_file(tensors, str(tmp_path / "nodigest.tsrnn"), metadata=md)
    for msg in _load_both(tmp_path / "nodigest.tsrnn"):
        assert "has no digest" in msg


def test_a_format_1_file_from_before_the_digest_loads_and_predicts_the_same(model_file, tmp_path):
    from tsrnn import Forecaster

    tensors, md = read_raw(model_file)
    md.pop("digest")
    md["format_version"] = "1"
    save_file(tensors, str(tmp_path / "v1.tsrnn"), metadata=md)
    for backend in ("torch", "numba"):
        a = Forecaster.load(model_file, backend=backend).predict()
        b = Forecaster.load(tmp_path / "v1.tsrnn", backend=backend).predict()
        pd.testing.assert_frame_equal(a, b)
    # its header is still checked
    md["config"] = json.dumps({**json.loads(md["config"]), "hidden": 30000})
    save_file(tensors, str(tmp_path / "v1bad.tsrnn"), metadata=md)
    for msg in _load_both(tmp_path / "v1bad.tsrnn"):
        assert "config 'hidden' = 30000 is outside" in msg


def test_a_format_1_file_with_nan_weights_is_refused(model_file, tmp_path):
    tensors, md = read_raw(model_file)
    md.pop("digest")
    md["format_version"] = "1"
    tensors["head.bias"] = np.full_like(tensors["head.bias"], np.nan)
    save_file(tensors, str(tmp_path / "nan.tsrnn"), metadata=md)
    for msg in _load_both(tmp_path / "nan.tsrnn"):
        assert "tensor 'head.bias' holds NaN or infinite values" in msg


def test_a_tensor_shape_the_config_does_not_describe_is_refused_before_building(
    model_file, tmp_path
):
    def grow(t):
        t["core.rnn.weight_hh_l1"] = np.zeros((32, 9), dtype=np.float32)

    bad = rewrite(model_file, tmp_path / "shape.tsrnn", edit_tensors=grow)
    from tsrnn import Forecaster

    with pytest.raises(
        ModelFileError,
        match=r"core.rnn.weight_hh_l1 has shape \(32, 9\), the configuration needs "
        r"\(32, 8\)",
    ):
        Forecaster.load(bad, backend="torch")
    with pytest.raises(ModelFileError, match=r"weight_hh_l1' has shape \(32, 9\)"):
        Forecaster.load(bad, backend="numba")


def test_cli_refuses_a_corrupt_model_file_with_exit_2_and_one_line(model_file, tmp_path):
    from typer.testing import CliRunner

    try:
        import tsrnn_cli  # noqa: F401
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            "tsrnn_cli",
            ROOT / "cli" / "__init__.py",
            submodule_search_locations=[str(ROOT / "cli")],
        )
        mod = importlib.util.module_from_spec(spec)
        sys.modules["tsrnn_cli"] = mod
        spec.loader.exec_module(mod)
    from tsrnn_cli.app import app

    csv = tmp_path / "s.csv"
    _frame().to_csv(csv, index=False)
    bad = rewrite(
        model_file, tmp_path / "bad.tsrnn", edit_meta=lambda d: d["config"].update(hidden=30000)
    )
    for backend in ("torch", "numba"):
        r = CliRunner().invoke(
            app, ["forecast", str(csv), "--model-file", str(bad), "--backend", backend, "-q"]
        )
        assert r.exit_code == 2, r.output
        lines = [ln for ln in r.output.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and "config 'hidden' = 30000 is outside" in lines[0], r.output


# -- detector files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector_file(tmp_path_factory):
    from tsrnn.anomaly.detector import AnomalyDetector

    p = tmp_path_factory.mktemp("d") / "det.tsrnn"
    AnomalyDetector(scorer="forecast:epochs=1,hidden=8,window=16").fit(_frame(ids=("a",))).save(p)
    return p


DET = {
    "hidden=30000": (
        lambda d: d["detector"]["params"]["scorer"]["params"].update(hidden=30000),
        "params 'hidden' = 30000 is outside",
    ),
    "layers=10**6": (
        lambda d: d["detector"]["params"]["scorer"]["params"].update(layers=10**6),
        "params 'layers' = 1000000 is outside",
    ),
    "layers=2": (
        lambda d: d["detector"]["params"]["scorer"]["params"].update(layers=2),
        "says layers = 2 but the tensors hold 1",
    ),
    "freq=null": (lambda d: d["detector"].update(freq=None), "detector 'freq' is null"),
    "freq=bogus": (
        lambda d: d["detector"].update(freq="bogus"),
        "detector 'freq' = 'bogus' is not a frequency",
    ),
    "empty scaler": (lambda d: d["detector"].update(scaler={}), "detector scaler lacks 'method'"),
    "method": (
        lambda d: d["detector"]["params"]["scorer"].update(name="magic"),
        "scorer 'name' = 'magic' is not one of",
    ),
    "ids": (
        lambda d: d["detector"].update(ids=["a", "b"]),
        "'fit_lengths' has shape \\(1,\\), expected 2",
    ),
    "n_estimators": (
        lambda d: d["detector"]["params"]["scorer"]["params"].update(n_estimators=10**9),
        "'n_estimators' = 1000000000",
    ),
    "fit_lengths": (
        lambda d: d["detector"].update(fit_lengths=[10]),
        "tensor 'train_scores.0' has shape",
    ),
    "n_outputs": (
        lambda d: d["detector"]["scorer"].update(n_outputs=2),
        "tensor 'net.head.weight' has shape",
    ),
}


@pytest.mark.parametrize("case", list(DET))
def test_every_malformed_detector_field_is_one_sentence(detector_file, tmp_path, case):
    from tsrnn.anomaly.detector import AnomalyDetector

    edit, pattern = DET[case]
    bad = rewrite(detector_file, tmp_path / "bad.tsrnn", edit_meta=edit)
    with pytest.raises(ModelFileError) as e:
        AnomalyDetector.load(bad)

    assert "\n" not in str(e.value) and re.search(pattern, str(e.value)), str(e.value)


def test_detector_with_flipped_bytes_is_refused_and_format_1_loads(detector_file, tmp_path):
    from tsrnn.anomaly.detector import AnomalyDetector

    raw = bytearray(detector_file.read_bytes())
    raw[-3] ^= 0x01
    (tmp_path / "flip.tsrnn").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="does not match its digest"):
        AnomalyDetector.load(tmp_path / "flip.tsrnn")
    tensors, md = read_raw(detector_file)
    md.pop("digest")
    md["format_version"] = "1"
    save_file(tensors, str(tmp_path / "v1.tsrnn"), metadata=md)
    df = _frame(ids=("a",))
    np.testing.assert_array_equal(
        AnomalyDetector.load(tmp_path / "v1.tsrnn").score(df),
        AnomalyDetector.load(detector_file).score(df),
    )


def test_the_detector_file_written_through_the_container_api_is_the_same_file(
    detector_file, tmp_path
):
    """The detector's writer can become write_container with this FileKind: the file has the same
    metadata and tensors (the same digest), and read_file with the kind reads it as
    read_detector's read_container call does."""
    from tsrnn._container import FileKind, read_file, write_container
    from tsrnn.anomaly import modelfile as amf
    from tsrnn.anomaly.detector import AnomalyDetector

    kind = FileKind(
        amf.FORMAT,
        amf.FORMAT_VERSION,
        noun="detector file",
        refit="fit the detector again",
        digest_since=amf.DIGEST_SINCE,
        finite=False,
        option="the detector path",
    )
    tensors, md = read_raw(detector_file)
    again = tmp_path / "again.tsrnn"
    write_container(again, kind, tensors, {"detector": json.loads(md["detector"])})
    t2, md2 = read_raw(again)
    assert md2 == md and set(t2) == set(tensors)
    for k in tensors:
        np.testing.assert_array_equal(t2[k], tensors[k])
    t3, dec, version = read_file(again, kind, json_keys=("detector",))
    assert version == amf.FORMAT_VERSION and dec["detector"] == json.loads(md["detector"])
    df = _frame(ids=("a",))
    np.testing.assert_array_equal(
        AnomalyDetector.load(again).score(df), AnomalyDetector.load(detector_file).score(df)
    )


# -- text model files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    from tsrnn.text.classifier import TextClassifier

    p = tmp_path_factory.mktemp("t") / "clf.tsrnn"
    texts = ["a great film", "great fun", "a dull mess", "boring and dull"]
    TextClassifier(embed=8, hidden=6, epochs=1, min_freq=1, device="cpu").fit(
        texts, ["pos", "pos", "neg", "neg"]
    ).save(p)
    return p


TXT = {
    "hidden=30000": (
        lambda d: d["config"].update(hidden=30000),
        "config 'hidden' = 30000 is outside",
    ),
    "layers=10**6": (
        lambda d: d["config"].update(layers=10**6),
        "config 'layers' = 1000000 is outside",
    ),
    "hidden=7": (lambda d: d["config"].update(hidden=7), "the configuration needs"),
    "config null": (lambda d: d.update(config=None), "'config' is null, not a JSON object"),
    "cell": (lambda d: d["config"].update(cell="tcn"), "config 'cell' = 'tcn' is not one of"),
}


@pytest.mark.parametrize("case", list(TXT))
def test_every_malformed_text_config_field_is_one_sentence(text_file, tmp_path, case):
    from tsrnn.text.classifier import TextClassifier

    edit, pattern = TXT[case]
    bad = rewrite(text_file, tmp_path / "bad.tsrnn", edit_meta=edit)
    with pytest.raises(ModelFileError) as e:
        TextClassifier.load(bad)
    assert "\n" not in str(e.value) and pattern in str(e.value), str(e.value)


def test_text_file_with_flipped_bytes_is_refused(text_file, tmp_path):
    from tsrnn.text.classifier import TextClassifier

    raw = bytearray(text_file.read_bytes())
    raw[-7] ^= 0x40
    (tmp_path / "flip.tsrnn").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="does not match its digest"):
        TextClassifier.load(tmp_path / "flip.tsrnn")


# -- the configuration (NetConfig) and the container API ---------------------------------------

# the `config` keys format-2 files have carried since segments existed, written as a plain dict
FORMAT2_KEYS = {
    "params",
    "model",
    "cell",
    "horizon",
    "input_len",
    "hidden",
    "layers",
    "bidirectional",
    "layer_norm",
    "dropout",
    "attention",
    "n_outputs",
    "quantiles",
    "embedding",
    "n_series",
    "n_features",
    "input_size",
    "freq",
    "season",
    "n_targets",
    "n_future",
    "pad",
    "window_norm",
    "transform",
    "segment",
    "residual",
    "net_features",
    "decoder",
}


def test_the_typed_configuration_is_stored_with_the_format_2_keys(model_file):
    from tsrnn import Forecaster
    from tsrnn.netconfig import NetConfig

    _, md = read_raw(model_file)
    assert md["format_version"] == "2" and set(json.loads(md["config"])) == FORMAT2_KEYS
    est = Forecaster.load(model_file)
    assert isinstance(est.config_, NetConfig)
    assert (est.config_.hidden, est.config_.layers, est.config_.embedding) == (8, 2, 2)
    assert est.config_["input_len"] == est.config_.input_len == 24  # read by name as well


def test_a_format_2_file_from_before_segments_and_decoders_loads_and_predicts_the_same(
    model_file, tmp_path
):
    """Files written before segment/residual/decoder/net_features existed lack those keys; the
    configuration takes their neutral defaults."""
    from tsrnn import Forecaster

    def drop(d):
        for k in ("segment", "residual", "decoder", "net_features"):
            d["config"].pop(k)

    old = rewrite(model_file, tmp_path / "old.tsrnn", edit_meta=drop)
    assert "segment" not in json.loads(read_raw(old)[1]["config"])
    for backend in ("torch", "numba"):
        a = Forecaster.load(model_file, backend=backend).predict()
        b = Forecaster.load(old, backend=backend).predict()
        pd.testing.assert_frame_equal(a, b)


def test_an_unknown_or_mistyped_configuration_entry_is_refused(model_file, tmp_path):
    bad = rewrite(
        model_file, tmp_path / "k.tsrnn", edit_meta=lambda d: d["config"].update(hiddenn=8)
    )
    for msg in _load_both(bad):
        assert "unknown entry 'hiddenn'" in msg and str(bad) in msg
    bad = rewrite(
        model_file, tmp_path / "s.tsrnn", edit_meta=lambda d: d["config"].update(season="x")
    )
    for msg in _load_both(bad):
        assert "network config 'season' is 'x', not int" in msg and str(bad) in msg


def test_forecaster_save_refuses_an_existing_file_unless_force(model_file, tmp_path):
    from tsrnn import Forecaster
    from tsrnn.errors import ConfigError

    est = Forecaster.load(model_file)
    target = tmp_path / "m.tsrnn"
    target.write_bytes(b"precious")
    with pytest.raises(ConfigError, match="already exists; pass --force"):
        est.save(target)
    assert target.read_bytes() == b"precious"
    est.save(target, force=True)
    pd.testing.assert_frame_equal(Forecaster.load(target).predict(), est.predict())


def test_container_write_and_read_round_trip_with_every_check(tmp_path):
    from tsrnn._container import FileKind, read_file, write_container
    from tsrnn.errors import ConfigError

    kind = FileKind("tsrnn-test", 3, noun="test file", digest_since=2)
    t = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    p = tmp_path / "c.tsrnn"
    write_container(p, kind, t, {"config": {"a": [1, 2]}}, text_meta={"task": "x"})
    tensors, md, version = read_file(p, kind, json_keys=("config",))
    np.testing.assert_array_equal(tensors["w"], t["w"])
    assert version == 3 and md["config"] == {"a": [1, 2]} and md["task"] == "x"
    assert md["digest"] == tensor_digest(tensors, {k: v for k, v in read_raw(p)[1].items()})
    with pytest.raises(ConfigError, match="already exists"):
        write_container(p, kind, t, {"config": {}})
    with pytest.raises(ValueError, match="dtype int64"):
        write_container(p, kind, {"i": np.arange(3)}, {}, force=True)
    older = FileKind("tsrnn-test", 2, noun="test file", refit="make it again", digest_since=2)
    with pytest.raises(ModelFileError, match="format version 3 is not supported.*make it again"):
        read_file(p, older)
    with pytest.raises(ModelFileError, match="not a tsrnn test file"):
        read_file(p, FileKind("tsrnn-other", 3, noun="test file"))
    with pytest.raises(ModelFileError, match="metadata is incomplete or corrupt"):
        read_file(p, kind, json_keys=("vocab",))
