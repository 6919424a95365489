"""The CLI: forecasts and plots are written, never overwritten without --force, and every bad input
exits with status 2 and one line naming the problem — no traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import DATASETS
from tsrnn_cli.app import app
from typer.testing import CliRunner

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_bad_input(result, *fragments):
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr  # progress lines may precede it; the error is one line
    err = errors[0]
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in err, err


def test_forecast_writes_csv_and_png_and_refuses_overwrite(tmp_path):
    out, png = tmp_path / "f.csv", tmp_path / "f.png"
    r = run(
        "forecast",
        DATASETS / "seattle_temps_hourly.csv",
        "--horizon",
        24,
        "--model",
        "snaive",
        "--level",
        "80,95",
        "-o",
        out,
        "--plot",
        png,
        "--quiet",
    )
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert len(fc) == 24 and list(fc.columns[:4]) == ["unique_id", "ds", "model", "yhat"]
    assert fc["ds"].iloc[0] == pd.Timestamp("2011-01-01 00:00")
    assert {"yhat_lo_80", "yhat_hi_95"} <= set(fc.columns)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    before = out.read_bytes()
    r = run(
        "forecast",
        DATASETS / "seattle_temps_hourly.csv",
        "--horizon",
        24,
        "--model",
        "naive",
        "-o",
        out,
    )
    assert_bad_input(r, "already exists", "--force")
    assert out.read_bytes() == before
    r = run(
        "forecast",
        DATASETS / "seattle_temps_hourly.csv",
        "--horizon",
        24,
        "--model",
        "naive",
        "-o",
        out,
        "--force",
        "--quiet",
    )
    assert r.exit_code == 0 and pd.read_csv(out)["model"].iloc[0] == "Naive"


def test_forecast_several_models_on_a_wide_file(tmp_path):
    r = run(
        "forecast",
        DATASETS / "us_macro_quarterly.csv",
        "--model",
        "naive,drift",
        "--horizon",
        4,
        "-o",
        tmp_path / "m.csv",
        "--quiet",
    )
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(tmp_path / "m.csv")
    assert len(fc) == 5 * 4 * 2 and set(fc["model"]) == {"Naive", "Drift"}
    # the command's frame is the library's: one tsrnn.Forecast over both models
    from tsrnn import Drift, Forecast, Naive, read_series

    df = read_series(DATASETS / "us_macro_quarterly.csv")
    want = Forecast([Naive(), Drift()], horizon=4).forecast(df)
    pd.testing.assert_series_equal(fc["yhat"], want["yhat"], check_exact=False, rtol=1e-12)
    assert fc["model"].tolist() == want["model"].tolist()


def test_backtest_prints_table_sorted_by_mase_and_writes_csv(tmp_path):
    out = tmp_path / "bt.csv"
    r = run(
        "backtest",
        DATASETS / "nile_yearly.csv",
        "--models",
        "naive,mean,drift",
        "--windows",
        3,
        "--horizon",
        5,
        "-o",
        out,
    )
    assert r.exit_code == 0, r.output
    m = pd.read_csv(out)
    assert len(m) == 3 * 3 and {"mase", "smape", "seconds"} <= set(m.columns)
    means = m.groupby("model")["mase"].mean().sort_values()
    shown = [line.split("│")[1].strip() for line in r.stdout.splitlines() if line.startswith("│")]
    assert shown == list(means.index)


def test_datasets_lists_the_catalog():
    r = run("datasets")
    assert r.exit_code == 0
    for name in ["seattle_temps", "co2", "elnino", "us_macro", "sunspots", "nile", "nyc_taxi"]:
        assert name in r.stdout


def write(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text, extra, fragments",
    [
        (None, [], ["missing.csv: file not found"]),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
            ["--target-col", "sales"],
            ["bad.csv: column 'sales'", "columns are: ds, y"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-13-45,2\n2020-01-03,3\n",
            [],
            ["bad.csv: column 'ds' line 3", "cannot parse '2020-13-45'"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n2020-01-03,3\n",
            [],
            ["bad.csv: series 'bad' has duplicate timestamp"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,x\n2020-01-03,3\n",
            [],
            ["bad.csv: column 'y' line 3: 'x' is not a number"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,NaN\n2020-01-03,3\n2020-01-04,3\n",
            [],
            ["bad.csv: column 'y' has 1 missing value", "--fill-nan"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-04,3\n2020-01-05,3\n",
            [],
            ["bad.csv: series 'bad' has 1 missing timestamp", "2020-01-03", "--fill-gaps"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
            ["--model", "arima"],
            ["bad.csv: series 'bad' has 3 observations", "at least 6"],
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
            ["--model", "prophet"],
            ["unknown model 'prophet'"],
        ),
        ("ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n", ["--level", "120"], ["--level 120"]),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
            ["--fill-gaps", "magic"],
            ["fill method"],
        ),
        ("", [], ["bad.csv: the file is empty"]),
    ],
    ids=[
        "missing-file",
        "missing-column",
        "bad-timestamp",
        "duplicate",
        "non-numeric",
        "nan",
        "gap",
        "too-short",
        "unknown-model",
        "bad-level",
        "bad-fill",
        "empty-file",
    ],
)
def test_forecast_bad_input_exits_2_with_one_line(tmp_path, text, extra, fragments):
    path = tmp_path / "missing.csv" if text is None else write(tmp_path, text)
    r = run("forecast", path, "--horizon", 2, *extra)
    assert_bad_input(r, *fragments)


def test_forecast_duplicates_policy(tmp_path):
    p = write(
        tmp_path,
        "ds,y\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 11)) + "2020-01-10,20\n",
    )
    assert_bad_input(run("forecast", p, "--horizon", 2, "--model", "naive"), "duplicate timestamp")
    r = run(
        "forecast",
        p,
        "--horizon",
        2,
        "--model",
        "naive",
        "--duplicates",
        "mean",
        "-o",
        tmp_path / "f.csv",
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "f.csv")["yhat"].tolist() == [15.0, 15.0]  # mean of 10 and 20
    assert_bad_input(run("forecast", p, "--horizon", 2, "--duplicates", "sum"), "duplicates")


def test_backtest_too_short_and_unknown_option(tmp_path):
    p = write(tmp_path, "ds,y\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 11)))
    assert_bad_input(run("backtest", p, "--horizon", 5, "--windows", 3), "needs at least")
    r = run("forecast", p, "--horizon", 2, "--no-such-option")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_missing_output_folder_is_refused_before_work(tmp_path):
    r = run("forecast", DATASETS / "nile_yearly.csv", "-o", tmp_path / "nowhere" / "f.csv")
    assert_bad_input(r, "does not exist")


def test_help_does_not_import_torch():
    code = (
        "import sys; from tsrnn_cli.app import app; import tsrnn; tsrnn.read_series; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
    r = subprocess.run(
        [sys.executable, "-m", "tsrnn_cli", "--help"], capture_output=True, text=True
    )
    assert r.returncode == 0 and "forecast" in r.stdout


def test_version_option_prints_the_package_version():
    from tsrnn import __version__

    r = run("--version")
    assert r.exit_code == 0 and r.output == f"tsrnn {__version__}\n"
