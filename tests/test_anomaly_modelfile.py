"""AnomalyDetector.save / load: a data-only file (safetensors + JSON) that gives back the same
scores, thresholds, decisions and streams; clear errors for files that are not detectors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_anomaly_detector import FAST, _det, _frame, _head  # pytest puts tests/ on sys.path

from tsrnn.anomaly.detector import AnomalyDetector
from tsrnn.errors import ConfigError, ModelFileError


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


CASES = [
    ("forecast", {}, ("y",)),
    ("forecast", {}, ("a", "b")),
    ("forecast", {"input_norm": 24, "error": "scaled", "local_norm": 16}, ("y",)),
    ("forecast", {"input_norm": 24, "error": "scaled"}, ("a", "b")),
    ("autoencoder", {"stride": 2}, ("y",)),
    ("autoencoder", {"stride": 2}, ("a", "b")),
    ("zscore", {}, ("a", "b")),
    ("stl", {}, ("y",)),
    ("iforest", {}, ("a", "b")),
]


@pytest.mark.parametrize("method,kw,columns", CASES)
def test_round_trip_gives_the_same_detections(tmp_path, method, kw, columns):
    df = _frame(n=400, columns=columns, ids=("s1", "s2"))
    det = _det(method, threshold="pot:1e-3", **{**FAST, **kw}).fit(_head(df, 250))
    path = tmp_path / "det.tsrnn"
    det.save(path)
    back = AnomalyDetector.load(path)
    from tsrnn.anomaly.catalog import normaliser_spec

    assert {**back.get_params(), "normaliser": 0} == {**det.get_params(), "normaliser": 0}
    assert normaliser_spec(back.normaliser_) == normaliser_spec(det.normaliser_)
    a, b = det.detect(df), back.detect(df)
    np.testing.assert_array_equal(a["score"].to_numpy(), b["score"].to_numpy())
    np.testing.assert_array_equal(a["threshold"].to_numpy(), b["threshold"].to_numpy())
    np.testing.assert_array_equal(a["is_anomaly"].to_numpy(), b["is_anomaly"].to_numpy())
    assert back.explain(b) == det.explain(a)


def test_loaded_detector_streams_and_keeps_adapting(tmp_path):
    df = _frame(n=500, ids=("s",))
    det = _det("forecast", threshold="pot:1e-3", refit_every=100, **FAST).fit(_head(df, 200))
    det.save(tmp_path / "d.tsrnn")
    back = AnomalyDetector.load(tmp_path / "d.tsrnn")
    batch = det.detect(df)
    values = df["y"].to_numpy()
    st = back.streamer().prime(values[:200])
    streamed = np.array([st.update(v)[0] for v in values[200:]])
    np.testing.assert_allclose(streamed, batch["score"].to_numpy()[200:], rtol=1e-5, atol=1e-6)
    assert st.refits == 2  # at 300 and 400
    np.testing.assert_array_equal(back.detect(df)["is_anomaly"], batch["is_anomaly"])


def test_refit_threshold_after_load_and_save_records_the_current_threshold(tmp_path):
    df = _frame(n=400)
    det = _det("zscore", threshold="pot", window=24).fit(_head(df, 250))
    det.refit_threshold("sigma:4")
    det.save(tmp_path / "z.tsrnn")
    back = AnomalyDetector.load(tmp_path / "z.tsrnn")
    assert back.threshold == "sigma:4"
    np.testing.assert_array_equal(back.detect(df)["threshold"], det.detect(df)["threshold"])


def test_save_refuses_to_overwrite(tmp_path):
    df = _frame(n=300)
    path = tmp_path / "d.tsrnn"
    path.write_text("keep me")
    det = _det("zscore", window=24).fit(df)
    with pytest.raises(ConfigError, match="already exists"):
        det.save(path)
    assert path.read_text() == "keep me"
    det.save(path, force=True)
    assert AnomalyDetector.load(path).scorer_ == det.scorer_
    with pytest.raises(Exception, match="not fitted"):
        AnomalyDetector().save(tmp_path / "n.tsrnn")


def test_bad_files_raise_model_file_error(tmp_path):
    from safetensors.numpy import save_file

    with pytest.raises(ModelFileError, match="not found"):
        AnomalyDetector.load(tmp_path / "missing.tsrnn")
    junk = tmp_path / "junk.tsrnn"
    junk.write_bytes(b"\x00\x01 not a safetensors file")
    with pytest.raises(ModelFileError, match="corrupt"):
        AnomalyDetector.load(junk)
    plain = tmp_path / "plain.safetensors"
    save_file({"w": np.zeros(3, dtype=np.float32)}, str(plain))
    with pytest.raises(ModelFileError, match="without tsrnn metadata"):
        AnomalyDetector.load(plain)
    foreign = tmp_path / "forecaster.tsrnn"
    save_file(
        {"w": np.zeros(3, dtype=np.float32)}, str(foreign), metadata={"format": "tsrnn-model"}
    )
    with pytest.raises(ModelFileError, match="'tsrnn-model' file"):
        AnomalyDetector.load(foreign)
    # a detector file whose network does not match its description
    det = _det("forecast", **FAST).fit(_frame(n=200))
    good = tmp_path / "good.tsrnn"
    det.save(good)
    from safetensors import safe_open

    with safe_open(str(good), framework="numpy") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    d = json.loads(meta["detector"])
    d["params"]["scorer"]["params"]["hidden"] = 9
    bad = tmp_path / "bad.tsrnn"
    save_file(tensors, str(bad), metadata={**meta, "detector": json.dumps(d)})
    with pytest.raises(ModelFileError, match="bad.tsrnn: detector file content does not match"):
        AnomalyDetector.load(bad)
    # the same edit with a digest that matches it: the shapes are checked against the description
    from tsrnn._container import with_digest

    save_file(tensors, str(bad), metadata=with_digest(tensors, {**meta, "detector": json.dumps(d)}))
    with pytest.raises(ModelFileError, match=r"bad.tsrnn: .*hidden 9.*hh_l0 of shape \(36, 9"):
        AnomalyDetector.load(bad)
    newer = tmp_path / "newer.tsrnn"
    save_file(tensors, str(newer), metadata={**meta, "format_version": "99"})
    with pytest.raises(ModelFileError, match="version 99"):
        AnomalyDetector.load(newer)


def test_a_format_2_file_with_flat_options_loads_as_the_composed_detector(tmp_path):
    """Format 1/2 files held one flat option list with a `method` (and no base scores): they are
    translated to the parts (scorer, normaliser, refit) and judge as the composed detector does.
    (Files written by the code before format 3 were checked the same way: identical detections.)"""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    from tsrnn._container import with_digest

    df = _frame(n=500)
    det = _det(
        "zscore", threshold="pot:1e-3", window=24, local_norm=16, refit_every=100, cooldown=8
    ).fit(_head(df, 250))
    det.save(tmp_path / "v3.tsrnn")
    with safe_open(str(tmp_path / "v3.tsrnn"), framework="numpy") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys() if not k.startswith("base_scores.")}
    d = json.loads(meta["detector"])
    d["params"] = {
        "method": "zscore",
        "threshold": "pot:1e-3",
        "window": 24,
        "hidden": 32,
        "local_norm": 16,
        "refit_every": 100,
        "refit_history": 0,
        "cooldown": 8,
        "calibration": 0.0,
        "event_gap": 0,
        "min_event_length": 1,
        "seed": 0,
    }
    md = with_digest(tensors, {**meta, "format_version": "2", "detector": json.dumps(d)})
    save_file(tensors, str(tmp_path / "v2.tsrnn"), metadata=md)
    old = AnomalyDetector.load(tmp_path / "v2.tsrnn")
    assert old.scorer_.name == "zscore" and old.scorer_.window == 24
    assert old.normaliser_.window == 16 and (old.refit.every, old.refit.history) == (100, 0)
    a, b = det.detect(df), old.detect(df)
    for col in ("score", "threshold", "is_anomaly"):
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())
    d["params"]["method"] = "magic"
    md = with_digest(tensors, {**meta, "format_version": "2", "detector": json.dumps(d)})
    save_file(tensors, str(tmp_path / "bad.tsrnn"), metadata=md)
    with pytest.raises(ModelFileError, match="bad.tsrnn: .*corrupt .method 'magic' is unknown"):
        AnomalyDetector.load(tmp_path / "bad.tsrnn")
