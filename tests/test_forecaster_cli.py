"""`tsrnn train` through Typer's CliRunner."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
from typer.testing import CliRunner  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _app():
    try:
        import tsrnn_cli  # noqa: F401
    except ImportError:  # not installed yet: map cli/ to the package name, as pyproject does
        spec = importlib.util.spec_from_file_location(
            "tsrnn_cli",
            ROOT / "cli" / "__init__.py",
            submodule_search_locations=[str(ROOT / "cli")],
        )
        mod = importlib.util.module_from_spec(spec)
        sys.modules["tsrnn_cli"] = mod
        spec.loader.exec_module(mod)
    from tsrnn_cli.app import app

    return app


@pytest.fixture
def csv(tmp_path):
    t = np.arange(120)
    df = pd.DataFrame(
        {
            "ds": pd.date_range("2024-01-01", periods=120, freq="h"),
            "y": 5 + np.sin(2 * np.pi * t / 24),
        }
    )
    p = tmp_path / "series.csv"
    df.to_csv(p, index=False)
    return p


def test_train_writes_a_loadable_model_and_refuses_to_overwrite(csv, tmp_path, monkeypatch):
    app = _app()
    out = tmp_path / "m.tsrnn"
    args = [
        "train",
        str(csv),
        "--model",
        "gru",
        "--horizon",
        "6",
        "--input-len",
        "12",
        "--hidden",
        "8",
        "--layers",
        "1",
        "--epochs",
        "1",
        "--device",
        "cpu",
        "-o",
        str(out),
    ]
    r = CliRunner().invoke(app, [*args, "--quiet"])
    assert r.exit_code == 0, r.output
    from tsrnn import Forecaster

    est = Forecaster.load(out)
    assert est.horizon == 6 and est.label() == "GRU" and len(est.predict()) == 6

    # exists and no --force: refused with exit 2 BEFORE any training
    def boom(self, df):
        raise AssertionError("trained although the output exists")

    monkeypatch.setattr(Forecaster, "fit", boom)
    r = CliRunner().invoke(app, [*args, "--quiet"])
    assert r.exit_code == 2 and "already exists" in r.output and "--force" in r.output


def test_train_bad_option_is_one_line(csv, tmp_path):
    app = _app()
    r = CliRunner().invoke(
        app,
        [
            "train",
            str(csv),
            "--model",
            "tcn",
            "--horizon",
            "6",
            "-o",
            str(tmp_path / "m.tsrnn"),
            "-q",
        ],
    )
    assert r.exit_code == 2
    assert "model 'tcn' is unknown" in r.output and "Traceback" not in r.output


def test_train_short_series_options_reach_the_model(tmp_path):
    app = _app()
    rows = [
        pd.DataFrame(
            {
                "unique_id": u,
                "ds": pd.date_range("2000-01-01", periods=n, freq="YS"),
                "y": 10.0 + np.arange(n) * k,
            }
        )
        for u, n, k in (("a", 30, 1.0), ("b", 9, 2.0))
    ]
    p = tmp_path / "yearly.csv"
    pd.concat(rows).to_csv(p, index=False)
    out = tmp_path / "y.tsrnn"
    r = CliRunner().invoke(
        app,
        [
            "train",
            str(p),
            "--model",
            "lstm",
            "--horizon",
            "6",
            "--hidden",
            "8",
            "--layers",
            "1",
            "--epochs",
            "1",
            "--scaler",
            "diff",
            "--window-norm",
            "mean",
            "--batch-size",
            "8",
            "-o",
            str(out),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.output
    from tsrnn import Forecaster

    est = Forecaster.load(out)
    assert (
        est.config_["pad"] == 11
        and est.config_["window_norm"] == "mean"
        and est.scaler_.method == "diff"
    )
    assert set(est.predict().unique_id) == {"a", "b"}  # the 9-point series is padded, not refused
    r = CliRunner().invoke(
        app,
        [
            "train",
            str(p),
            "--horizon",
            "6",
            "--window-norm",
            "median",
            "-o",
            str(tmp_path / "z.tsrnn"),
            "-q",
        ],
    )
    assert (
        r.exit_code == 2
        and "window_norm 'median' is unknown" in r.output
        and "Traceback" not in r.output
    )
