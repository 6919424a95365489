"""Fuzzing of model files in CI: seeded mutations of small forecaster, detector and text files
(truncations, bit flips, hostile header values with a recomputed digest, wrong tensor shapes and
dtypes, absurd sizes in the safetensors header, a pickle or torch.save file in their place) are
always refused with ModelFileError (or load and then predict finite numbers), never run a
payload and allocate little; the corpus of failures the longer run found replays as regressions.

The longer run: python scripts/fuzz_modelfile.py --examples 5000 --seed 1 (not in CI)."""

from __future__ import annotations

import importlib.util
import json
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from tsrnn.errors import ModelFileError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fuzz_corpus" / "modelfile"


def _fuzz():
    spec = importlib.util.spec_from_file_location(
        "fuzz_modelfile", ROOT / "scripts" / "fuzz_modelfile.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def fz():
    return _fuzz()


@pytest.fixture(scope="module")
def bases(fz, tmp_path_factory):
    return fz.make_bases(tmp_path_factory.mktemp("bases"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
def test_seeded_mutations_are_refused_or_harmless(fz, tmp_path):
    res = fz.run(examples=450, seed=0, out=None, work=tmp_path, max_rss_mb=float("inf"), quiet=True)
    assert not res["failures"], res["failures"][:3]
    assert res["counts"]["refused"] > 300  # most mutations are caught (by the digest or the checks)
    assert not (tmp_path / fz.SENTINEL).exists()


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.tsrnn")))
def test_corpus_of_past_failures_is_refused(fz, name):
    kind = json.loads((CORPUS / "INDEX.json").read_text())[name]["kind"]
    assert fz.load_and_use(kind, CORPUS / name) == "refused"


def test_the_corpus_index_describes_every_file():
    index = json.loads((CORPUS / "INDEX.json").read_text())
    assert sorted(index) == sorted(p.name for p in CORPUS.glob("*.tsrnn")) and index


def _absurd(fz, raw: bytes) -> dict[str, bytes]:
    """Files whose header asks for far more memory than the file holds."""
    n, header, data = fz._split(raw)
    name = next(k for k in header if k != "__metadata__")
    out = {"header length 2**60": struct.pack("<Q", 2**60) + raw[8:]}
    for what, change in {
        "shape 1e6 x 1e6": {"shape": [10**6, 10**6]},
        "offsets to 2**40": {"data_offsets": [0, 2**40]},
        "shape 1e12": {"shape": [10**12]},
    }.items():
        h = json.loads(json.dumps(header))
        h[name].update(change)
        out[what] = fz._join(h, data)
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_absurd_sizes_are_refused_without_allocating(fz, bases, tmp_path):
    from safetensors import safe_open

    from tsrnn._container import with_digest

    cases = {}
    for kind, path in bases.items():
        for what, data in _absurd(fz, path.read_bytes()).items():
            cases[f"{kind}: {what}"] = (kind, data)
    with safe_open(str(bases["forecaster"]), framework="numpy") as f:
        tensors, md = {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())
    from safetensors.numpy import save

    for key, value in {
        "hidden": 30000,
        "horizon": 10**9,
        "layers": 10**6,
        "input_len": 10**9,
    }.items():
        cfg = json.loads(md["config"])
        cfg[key] = value
        cases[f"forecaster: config {key}={value}"] = (
            "forecaster",
            save(tensors, metadata=with_digest(tensors, {**md, "config": json.dumps(cfg)})),
        )
    for what, (kind, data) in cases.items():
        p = tmp_path / "absurd.tsrnn"
        p.write_bytes(data)
        tracemalloc.start()
        try:
            assert fz.load_and_use(kind, p) == "refused", what
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 50 * 2**20, (what, peak)


def test_pickles_and_torch_files_are_refused_and_never_run(fz, bases, tmp_path):
    import io
    import pickle

    import torch

    sentinel = tmp_path / fz.SENTINEL
    payloads = {"pickle": pickle.dumps(fz.Payload(str(sentinel)))}
    buf = io.BytesIO()
    torch.save({"x": fz.Payload(str(sentinel))}, buf)
    payloads["torch.save"] = buf.getvalue()
    for kind in bases:
        for what, data in payloads.items():
            p = tmp_path / f"{what}.tsrnn"
            p.write_bytes(data)
            with pytest.raises(ModelFileError, match="cannot be read as safetensors"):
                _load(kind, p)
            assert not sentinel.exists(), (kind, what)


def _load(kind, p):
    if kind == "forecaster":
        from tsrnn import Forecaster

        return Forecaster.load(p)
    if kind == "detector":
        from tsrnn.anomaly.detector import AnomalyDetector

        return AnomalyDetector.load(p)
    from tsrnn.text.classifier import TextClassifier

    return TextClassifier.load(p)


def test_digest_of_zero_size_and_non_native_tensors():
    """Found by the fuzzer: the digest failed on a tensor with a zero in its shape."""
    from tsrnn._container import tensor_digest

    a = tensor_digest({"w": np.zeros((0, 3), dtype=np.float32)}, {"k": "v"})
    b = tensor_digest({"w": np.zeros((3, 0), dtype=np.float32)}, {"k": "v"})
    assert a != b and a.startswith("blake2b-256:")
    le = np.arange(6, dtype="<f4").reshape(2, 3)
    assert tensor_digest({"w": le}, {}) == tensor_digest(
        {"w": le.astype(">f4")}, {}
    )  # byte order does not matter
    assert tensor_digest({"w": le}, {}) != tensor_digest({"w": le.T.copy()}, {})
    assert tensor_digest({"w": le}, {"a": "1"}) != tensor_digest({"w": le}, {"a": "2"})
    assert tensor_digest({"w": le}, {"a": "1", "digest": "x"}) == tensor_digest(
        {"w": le}, {"a": "1"}
    )
