"""ONNX export of the forecaster's network: onnxruntime equals torch (direct and seq2seq,
embeddings, quantile outputs, any batch size), metadata, the `tsrnn export` command and its
errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from typer.testing import CliRunner  # noqa: E402

from tsrnn import Forecaster  # noqa: E402
from tsrnn.errors import ConfigError, NotFittedError  # noqa: E402
from tsrnn.forecast.export import (  # noqa: E402
    example_inputs,
    export_onnx,
    onnx_input_names,
    onnx_parity,
    torch_outputs,
)

torch.set_num_threads(1)
TINY = dict(
    horizon=5, input_len=12, hidden=8, layers=1, epochs=1, batch_size=64, device="cpu", quiet=True
)


def sine_panel(n_series=3, length=120):
    t = np.arange(length)
    rows = [
        pd.DataFrame(
            {
                "unique_id": f"s{k}",
                "ds": pd.date_range("2024-01-01", periods=length, freq="h"),
                "y": 10 + k + (1 + k) * np.sin(2 * np.pi * t / 24 + k),
            }
        )
        for k in range(n_series)
    ]
    df = pd.concat(rows, ignore_index=True)
    df.attrs.update(freq="h", targets=["y"], source="sine.csv")
    return df


@pytest.fixture(scope="module")
def panel():
    return sine_panel()


CASES = {
    "lstm": dict(model="lstm"),
    "gru": dict(model="gru"),
    "seq2seq": dict(model="seq2seq"),
    "lstm-bi-norm-embed": dict(
        model="lstm", layers=2, bidirectional=True, layer_norm=True, embedding=2
    ),
    "seq2seq-luong-quantiles-embed": dict(
        model="seq2seq", attention="luong", quantiles=(0.1, 0.5, 0.9), embedding=3
    ),
    # a window of 4 days: log, day segments (4 steps of 24 rows) and the seasonal-naive residual
    "gru-segments-embed-mlp": dict(model="gru", input_len=96, embedding=2, decoder=8),
    "seq2seq-segments": dict(model="seq2seq", input_len=96),
}


@pytest.mark.parametrize("case", list(CASES))
def test_onnxruntime_equals_torch(panel, case, tmp_path):
    est = Forecaster(**(TINY | CASES[case])).fit(panel)
    cfg = est.config_
    path = tmp_path / "f.onnx"
    export_onnx(est, path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    assert names == onnx_input_names(cfg)
    assert ("future" in names) == (cfg["model"] == "seq2seq") and ("embed" in names) == bool(
        cfg["embedding"]
    )
    if cfg["input_len"] == 96:
        assert cfg["segment"] == 24 and sess.get_inputs()[0].shape[1:] == [
            4,
            24 * cfg["n_features"],
        ]
    inputs = example_inputs(cfg, batch=7, seed=3)  # the graph was traced with batch 2
    got = sess.run(["y"], inputs)[0]
    assert got.shape == (7, cfg["horizon"], cfg["n_outputs"])
    np.testing.assert_allclose(got, torch_outputs(est, inputs), atol=1e-5, rtol=0)
    assert onnx_parity(est, path, batches=(1, 4)) <= 1e-5
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["tsrnn_config"])["horizon"] == cfg["horizon"]
    assert json.loads(meta["tsrnn_inputs"]) == names


def test_torch_reference_is_the_forecasters_own_prediction_path(panel):
    """torch_outputs (the parity reference) equals what the Forecaster computes for known series."""
    from tsrnn.forecast.fitting import torch_predict

    est = Forecaster(**(TINY | CASES["seq2seq-luong-quantiles-embed"])).fit(panel)
    inputs = example_inputs(est.config_, batch=3, seed=1)
    sid = np.array([2, 0, 1])
    inputs["embed"] = est.net_.embed.weight.detach().numpy()[sid]
    ref = torch_predict(est, inputs["x"], inputs["future"], sid)
    np.testing.assert_allclose(torch_outputs(est, inputs), ref, atol=1e-6)


def test_export_errors(panel, tmp_path):
    with pytest.raises(NotFittedError):
        export_onnx(Forecaster(**TINY), tmp_path / "x.onnx")
    est = Forecaster(**(TINY | CASES["lstm"])).fit(panel)
    est.save(tmp_path / "m.tsrnn")
    numba_est = Forecaster.load(tmp_path / "m.tsrnn", backend="numba") if _has_numba() else None
    if numba_est is not None:
        with pytest.raises(ConfigError, match="backend='torch'"):
            export_onnx(numba_est, tmp_path / "x.onnx")


def _has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def test_cli_export(panel, tmp_path):
    from tsrnn_cli.app import app

    est = Forecaster(**(TINY | CASES["gru"])).fit(panel)
    est.save(tmp_path / "m.tsrnn")
    runner = CliRunner()
    out = tmp_path / "m.onnx"
    r = runner.invoke(app, ["export", str(tmp_path / "m.tsrnn"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "onnxruntime parity" in r.output and float(r.output.split()[-1]) <= 1e-5
    assert onnx_parity(est, out) <= 1e-5
    r = runner.invoke(
        app, ["export", str(tmp_path / "m.tsrnn"), "-o", str(out)]
    )  # exists, no --force
    assert r.exit_code == 2 and "--force" in r.output and r.output.count("error:") == 1
    r = runner.invoke(
        app, ["export", str(tmp_path / "missing.tsrnn"), "-o", str(tmp_path / "n.onnx")]
    )
    assert r.exit_code == 2 and r.output.startswith("error:") and "Traceback" not in r.output
