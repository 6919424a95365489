"""`tsrnn text ...` through typer's CliRunner on tiny files: train → predict/sample, errors → exit
2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

from tsrnn_cli.app import app  # noqa: E402

runner = CliRunner()


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_classify_train_predict(tmp_path):
    data = tmp_path / "reviews"
    data.mkdir()
    (data / "r.pos").write_text(
        "\n".join(["great fun", "a great film", "wonderful fun"] * 4) + "\n"
    )
    (data / "r.neg").write_text("\n".join(["dull mess", "a dull film", "awful mess"] * 4) + "\n")
    model = tmp_path / "clf.tsrnn"
    args = [
        "text",
        "classify",
        "train",
        str(data),
        "-o",
        str(model),
        "--embed",
        "8",
        "--hidden",
        "8",
        "--epochs",
        "15",
        "--lr",
        "0.02",
        "--min-freq",
        "1",
        "--dropout",
        "0",
        "--quiet",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "test accuracy 1.0000" in r.output
    r = runner.invoke(app, args)  # refuses to overwrite
    assert r.exit_code == 2 and "--force" in r.output
    out = tmp_path / "pred.csv"
    r = runner.invoke(
        app,
        [
            "text",
            "classify",
            "predict",
            str(model),
            "-t",
            "great fun",
            "-t",
            "dull mess",
            "--int8",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    import pandas as pd

    assert pd.read_csv(out)["label"].tolist() == ["pos", "neg"]
    r = runner.invoke(app, ["text", "generate", "sample", str(model)])  # wrong kind of model
    assert r.exit_code == 2 and "'classify' model" in r.output

    q = tmp_path / "clf-int8.tsrnn"
    r = runner.invoke(
        app, ["text", "classify", "quantize", str(model), "-o", str(q), "--embedding"]
    )
    assert r.exit_code == 0, r.output
    assert q.stat().st_size < model.stat().st_size
    out8 = tmp_path / "pred8.csv"
    r = runner.invoke(
        app,
        [
            "text",
            "classify",
            "predict",
            str(q),
            "-t",
            "great fun",
            "-t",
            "dull mess",
            "-o",
            str(out8),
        ],
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out8)["label"].tolist() == ["pos", "neg"]
    r = runner.invoke(app, ["text", "classify", "quantize", str(model), "-o", str(q)])  # exists
    assert r.exit_code == 2 and "--force" in r.output

    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    r = runner.invoke(
        app, ["text", "classify", "export", str(model), "-o", str(tmp_path / "c.onnx")]
    )
    assert r.exit_code == 0, r.output
    assert float(r.output.split()[-1]) < 1e-5
    r = runner.invoke(app, ["text", "classify", "export", str(q), "-o", str(tmp_path / "q.onnx")])
    assert r.exit_code == 2 and r.output.startswith("error:") and "int8" in r.output


def test_generate_train_sample(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("to be or not to be. " * 60)
    model = tmp_path / "lm.tsrnn"
    r = runner.invoke(
        app,
        [
            "text",
            "generate",
            "train",
            str(f),
            "-o",
            str(model),
            "--embed",
            "8",
            "--hidden",
            "32",
            "--layers",
            "1",
            "--seq-len",
            "16",
            "--batch-size",
            "4",
            "--epochs",
            "6",
            "--lr",
            "0.01",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    nats = float(r.output.split("validation loss ")[1].split()[0])
    assert nats < 1.0
    r = runner.invoke(
        app,
        ["text", "generate", "sample", str(model), "-n", "40", "--prime", "to be", "--top-k", "1"],
    )
    assert r.exit_code == 0 and r.output.startswith("to be or not to be")
    r = runner.invoke(app, ["text", "generate", "sample", str(model), "--prime", "Zz"])
    assert r.exit_code == 2 and "never saw" in r.output


def test_tag_train_predict(tmp_path):
    conll = (
        "\n\n".join(
            [
                "Alice\tB-person\nlikes\tO\nParis\tB-location",
                "Bob\tB-person\nsaw\tO\nLondon\tB-location",
                "we\tO\nmet\tO\nAlice\tB-person",
            ]
            * 3
        )
        + "\n"
    )
    f = tmp_path / "train.conll"
    f.write_text(conll)
    model = tmp_path / "tag.tsrnn"
    r = runner.invoke(
        app,
        [
            "text",
            "tag",
            "train",
            str(f),
            "-o",
            str(model),
            "--dev",
            str(f),
            "--test",
            str(f),
            "--word-embed",
            "8",
            "--char-hidden",
            "8",
            "--hidden",
            "16",
            "--epochs",
            "20",
            "--lr",
            "0.02",
            "--dropout",
            "0",
            "--batch-size",
            "3",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "test: entity precision 100.00, recall 100.00, F1 100.00" in r.output
    sents = tmp_path / "s.txt"
    sents.write_text("Bob likes London\n")
    r = runner.invoke(app, ["text", "tag", "predict", str(model), str(sents), "--lines"])
    assert r.exit_code == 0 and r.output == "Bob\tB-person\nlikes\tO\nLondon\tB-location\n"
    bad = tmp_path / "bad.tsrnn"
    bad.write_text("garbage")
    r = runner.invoke(app, ["text", "tag", "predict", str(bad), str(sents), "--lines"])
    assert r.exit_code == 2 and "not a tsrnn text model file or it is corrupt" in r.output
