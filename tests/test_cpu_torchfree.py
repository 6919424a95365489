"""The numba runtime works where torch cannot be imported: a subprocess in which `import torch`
raises ImportError loads a model file and reproduces forecasts that torch computed here."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

# Run in the child before anything else: every `import torch` (direct or nested) fails.
BLOCK_TORCH = "import sys; sys.modules['torch'] = None\n"


def run_torchless(code: str, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(BLOCK_TORCH + textwrap.dedent(code))
    res = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


def test_importing_tsrnn_cpu_imports_neither_torch_nor_numba():
    code = (
        "import sys, tsrnn.cpu; assert 'torch' not in sys.modules and 'numba' not in sys.modules, "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numba'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numbanet_from_model_file_without_torch(tmp_path):
    from tsrnn.forecastfile import write_model
    from tsrnn.nn.heads import DirectNet

    torch.manual_seed(0)
    net = DirectNet(
        1,
        horizon=3,
        hidden=16,
        layers=2,
        cell="lstm",
        n_outputs=1,
        layer_norm=True,
        n_series=2,
        embedding=2,
    ).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    cfg = {
        "model": "lstm",
        "cell": "lstm",
        "hidden": 16,
        "layers": 2,
        "bidirectional": False,
        "layer_norm": True,
        "horizon": 3,
        "n_outputs": 1,
        "input_size": 3,
        "embedding": 2,
        "n_targets": 1,
    }
    loc, scale = [[10.0], [-3.0]], [[2.0], [0.5]]
    meta = {
        "config": cfg,
        "features": {},
        "scaler": {"method": "standard", "loc": loc, "scale": scale},
        "series": ["a", "b"],
        "history": {},
        "conformal": None,
    }
    write_model(tmp_path / "m.tsrnn", {k: v.numpy() for k, v in net.state_dict().items()}, meta)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 20, 1)).astype(np.float32)
    sid = np.array([0, 1, 1, 0])
    ys = -3.0 + 0.5 * rng.standard_normal(30)  # a stream of series "b", raw units
    with torch.no_grad():
        window = net(torch.from_numpy(x), torch.from_numpy(sid)).reshape(4, -1).numpy()
        xs = torch.from_numpy(((ys - -3.0) / 0.5).astype(np.float32))
        stream = [
            float(net(xs[None, : t + 1, None], torch.tensor([1]))[0, 0, 0]) * 0.5 - 3.0
            for t in range(30)
        ]
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "sid.npy", sid)
    np.save(tmp_path / "ys.npy", ys)
    (tmp_path / "expected.json").write_text(
        json.dumps({"window": window.tolist(), "stream": stream})
    )
    out = run_torchless(
        """
        import json, sys
        import numpy as np
        try:
            import torch
            raise SystemExit("torch imported")
        except ImportError:
            pass
        from tsrnn.cpu.net import NumbaNet
        exp = json.load(open("expected.json"))
        net = NumbaNet.from_file("m.tsrnn")
        got = net.forward(np.load("x.npy"), series=np.load("sid.npy"))
        w = np.abs(got - np.array(exp["window"])).max()
        st = net.streamer(series="b")
        s = np.abs(
            np.array([st.update(y) for y in np.load("ys.npy")]) - np.array(exp["stream"])
        ).max()
        assert "torch" not in sys.modules or sys.modules["torch"] is None
        print(json.dumps({"window": float(w), "stream": float(s)}))
        """,
        tmp_path,
    )
    err = json.loads(out.strip().splitlines()[-1])
    assert err["window"] <= 1e-5
    assert (
        err["stream"] <= 1e-5 * 0.5 * 4
    )  # scaled-unit tolerance times the series' scale (0.5), a little slack


def test_forecaster_numba_backend_without_torch(tmp_path):
    from tsrnn import Forecaster, read_series

    t = np.arange(150)
    rows = [
        f"s{k},{ts},{10 + k + (1 + k) * np.sin(2 * np.pi * i / 24 + k):.6f}"
        for k in range(2)
        for i, ts in zip(t, np.arange("2024-01-01T00", 150, dtype="datetime64[h]"))
    ]
    csv = tmp_path / "data.csv"
    csv.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    df = read_series(csv)
    est = Forecaster(
        model="lstm",
        horizon=4,
        input_len=12,
        hidden=8,
        layers=2,
        embedding=2,
        epochs=1,
        quiet=True,
        device="cpu",
    ).fit(df)
    est.save(tmp_path / "m.tsrnn")
    new = df[df.unique_id == "s1"].iloc[:100].assign(unique_id="fresh")
    new.attrs = dict(df.attrs)
    new.to_csv(tmp_path / "new.csv", index=False)
    expected = {
        "train": est.predict().yhat.tolist(),
        "new": est.predict(read_series(tmp_path / "new.csv")).yhat.tolist(),
    }
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    out = run_torchless(
        """
        import json, sys
        import numpy as np
        from tsrnn import Forecaster, read_series
        exp = json.load(open("expected.json"))
        est = Forecaster.load("m.tsrnn", backend="numba")
        a = est.predict().yhat.to_numpy()
        b = est.predict(read_series("new.csv")).yhat.to_numpy()
        assert sys.modules.get("torch") is None
        print(json.dumps({"train": float(np.abs(a - exp["train"]).max()),
                          "new": float(np.abs(b - exp["new"]).max()), "n": [len(a), len(b)]}))
        """,
        tmp_path,
    )
    err = json.loads(out.strip().splitlines()[-1])
    assert err["n"] == [8, 4]
    # the series' scales are ~0.7 and ~1.4: 1e-5 in scaled units is < 2e-5 here (slack for float32
    # I/O)
    assert err["train"] < 5e-5 and err["new"] < 5e-5


def test_forecaster_streamer_without_torch(tmp_path):
    """A saved model's streamer runs where torch cannot be imported (also seq2seq, whose predict
    needs torch) and gives the forecasts torch's predict gives for the extended series."""
    import pandas as pd

    from tsrnn import Forecaster

    n = 80
    df = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2024-01-01", periods=n, freq="D"),
            "y": 20 + np.sin(np.arange(n) / 3) + 0.02 * np.arange(n),
        }
    )
    df.attrs.update(freq="D", targets=["y"])
    new = [21.5, 22.0, 20.7]
    expected = {}
    for model in ("gru", "seq2seq"):
        est = Forecaster(model=model, horizon=3, epochs=1, max_steps=5, quiet=True).fit(df)
        est.save(tmp_path / f"{model}.tsrnn")
        ext = pd.concat(
            [
                df,
                pd.DataFrame(
                    {
                        "unique_id": "a",
                        "ds": pd.date_range(df.ds.iloc[-1], periods=4, freq="D")[1:],
                        "y": new,
                    }
                ),
            ],
            ignore_index=True,
        )
        ext.attrs.update(df.attrs)
        expected[model] = est.predict(ext).yhat.tolist()
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    out = run_torchless(
        f"""
        import json, sys
        import numpy as np
        from tsrnn import Forecaster
        from tsrnn.cpu import ForecastStreamer
        exp = json.load(open("expected.json"))
        err = {{}}
        for model in ("gru", "seq2seq"):
            y = ForecastStreamer.from_file(f"{{model}}.tsrnn", "a").run({new!r})[-1]
            err[model] = float(np.abs(y - exp[model]).max() / np.abs(exp[model]).max())
        y = Forecaster.load("gru.tsrnn", backend="numba").streamer().run({new!r})[-1]
        err["gru loaded"] = float(np.abs(y - exp["gru"]).max() / np.abs(exp["gru"]).max())
        assert sys.modules.get("torch") is None
        print(json.dumps(err))
        """,
        tmp_path,
    )
    err = json.loads(out.strip().splitlines()[-1])
    assert max(err.values()) < 1e-5 and len(err) == 3, err
