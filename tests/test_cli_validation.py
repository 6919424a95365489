"""The CLI is never silently wrong: every output and option is checked before any work, outputs
are written all or none and never replace a file that appeared meanwhile, disk failures are one
sentence, and each refusal is exit status 2 with exactly one stderr line naming the problem."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import DATASETS
from tsrnn_cli.app import app
from typer.testing import CliRunner

import tsrnn.output
from tsrnn._tempfiles import TMP_TAG

NILE = DATASETS / "nile_yearly.csv"


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def one_error(r, *fragments) -> str:
    """Exit status 2, exactly one stderr line, starting 'error:' and holding every fragment."""
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def temps(folder) -> list[str]:
    return sorted(f.name for f in folder.iterdir() if TMP_TAG in f.name)


def _no_fit(monkeypatch):
    """Make every fit fail loudly: a check that comes after a fit shows up as a traceback."""
    from tsrnn import AnomalyDetector, Forecast, Forecaster

    def boom(self, *a, **k):
        raise AssertionError("fitted before the options were checked")

    for cls in (Forecast, Forecaster, AnomalyDetector):
        monkeypatch.setattr(cls, "fit", boom)
    monkeypatch.setattr(Forecaster, "fit_panel", boom)


@pytest.fixture
def small_csv(tmp_path):
    t = np.arange(120)
    y = 5 + np.sin(2 * np.pi * t / 24) + 0.01 * np.random.default_rng(0).normal(size=120)
    p = tmp_path / "series.csv"
    pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=120, freq="h"), "y": y}).to_csv(
        p, index=False
    )
    return p


# -- outputs checked as a set before any work -----------------------------------------------------


def test_two_outputs_naming_one_file_are_refused_before_any_work(tmp_path, monkeypatch):
    _no_fit(monkeypatch)
    same = tmp_path / "s.csv"
    one_error(
        run("detect", NILE, "-s", "zscore", "-o", same, "--events", same),
        f"-o and --events both name {same}",
    )
    one_error(
        run("detect", NILE, "-s", "zscore", "-o", same, "--events", tmp_path / "." / "s.csv"),
        "both name",
    )
    assert not same.exists()
    same.write_text("keep")
    (tmp_path / "link.csv").symlink_to(same)
    one_error(
        run(
            "detect", NILE, "-s", "zscore", "-o", same, "--events", tmp_path / "link.csv", "--force"
        ),
        "-o and --events both name",
    )
    assert same.read_text() == "keep"
    # forecast: a plot under a table's name (or a table under a plot's) is refused by its suffix
    png = tmp_path / "same.csv"
    one_error(
        run("forecast", NILE, "-m", "naive", "-o", png, "--plot", png),
        "(given by --plot): unsupported plot type '.csv'",
    )
    assert not png.exists()


def test_a_directory_output_is_refused_once_with_the_right_sentence(tmp_path, monkeypatch):
    _no_fit(monkeypatch)
    d = tmp_path / "somedir"
    d.mkdir()
    for extra in ([], ["--force"]):
        line = one_error(run("forecast", NILE, "-m", "naive", "-o", d, *extra))
        assert line == f"error: {d} is a directory; give a file name to -o"


def test_plot_format_is_taken_from_the_suffix(tmp_path, monkeypatch):
    r = run("forecast", NILE, "-m", "naive", "--horizon", 3, "--plot", tmp_path / "f.svg", "-q")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "f.svg").read_bytes().startswith(b"<?xml")
    r = run(
        "detect",
        NILE,
        "-s",
        "zscore:window=8",
        "--train-frac",
        1,
        "--plot",
        tmp_path / "d.pdf",
        "-q",
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "d.pdf").read_bytes().startswith(b"%PDF")
    _no_fit(monkeypatch)
    one_error(
        run("forecast", NILE, "-m", "naive", "--plot", tmp_path / "f.jpg"),
        "f.jpg (given by --plot): unsupported plot type '.jpg'; use .png, .svg or .pdf",
    )
    one_error(
        run("detect", NILE, "-s", "zscore", "--plot", tmp_path / "f.jpg"),
        "unsupported plot type '.jpg'",
    )
    one_error(
        run("forecast", NILE, "-m", "naive", "-o", tmp_path / "f.xlsx"),
        "unsupported output type '.xlsx'",
    )
    assert not (tmp_path / "f.jpg").exists() and not (tmp_path / "f.xlsx").exists()


def test_outputs_are_written_all_or_none(tmp_path, monkeypatch):
    out, events, plot = tmp_path / "s.csv", tmp_path / "e.csv", tmp_path / "p.png"
    from tsrnn.anomaly import plot as anomaly_plot

    def broken(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(anomaly_plot, "plot_detections", broken)
    r = run(
        "detect",
        NILE,
        "-s",
        "zscore:window=8",
        "--train-frac",
        1,
        "-o",
        out,
        "--events",
        events,
        "--plot",
        plot,
        "-q",
    )
    one_error(r, f"cannot write {plot} (given by --plot): no space is left on the device")
    assert not out.exists() and not events.exists() and not plot.exists() and temps(tmp_path) == []


# -- options checked before any fit ----------------------------------------------------------------


def test_every_model_name_is_checked_before_the_first_fit(monkeypatch):
    _no_fit(monkeypatch)
    one_error(run("forecast", NILE, "--model", "arima,lstmm"), "unknown model 'lstmm' in --model")
    one_error(
        run("forecast", NILE, "--model", "arima,lstmm,prophet"), "unknown models 'lstmm', 'prophet'"
    )
    one_error(run("backtest", NILE, "--models", "naive,tbats"), "unknown model 'tbats' in --models")
    one_error(run("backtest", NILE, "--models", ","), "--models names no model")
    one_error(run("forecast", NILE, "--model", "ets,AutoETS"), "names ets more than once")


@pytest.mark.parametrize(
    "args, option",
    [
        (["forecast", NILE, "--horizon", 0], "--horizon"),
        (["forecast", NILE, "--plot-series", 0], "--plot-series"),
        (["backtest", NILE, "--windows", 0], "--windows"),
        (["train", NILE, "-o", "m.tsrnn", "--epochs", 0], "--epochs"),
        (["detect", NILE, "--cooldown", -1], "--cooldown"),
        (["detect", NILE, "--train-frac", 1.5], "--train-frac"),
        (["text", "classify", "train", NILE, "-o", "m.tsrnn", "--hidden", 0], "--hidden"),
        (["forecast", NILE, "--horizon", "three"], "--horizon"),
        (["forecast", NILE, "--horizn", 3], "--horizn"),
        (["train", NILE], "--output"),
    ],
    ids=[
        "horizon",
        "plot-series",
        "windows",
        "epochs",
        "window",
        "train-frac",
        "text-hidden",
        "not-a-number",
        "unknown-option",
        "missing-option",
    ],
)
def test_option_errors_are_one_sentence_without_a_usage_box(args, option):
    line = one_error(run(*args), option)
    assert "Usage" not in line and "─" not in line


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["forecast", NILE, "--backend", "numba"], "--backend does not apply without --model-file"),
        (
            ["forecast", NILE, "--model", "ets,theta", "--epochs", 3, "--seed", 1],
            "--epochs, --seed do not apply to the statistical models ets, theta; drop them",
        ),
        (
            ["forecast", NILE, "--device", "cpu"],
            "--device does not apply to the statistical model ets; drop it",
        ),
        (
            ["forecast", NILE, "--model", "lstm", "--season-length", 4],
            "--season-length does not apply to the recurrent model lstm",
        ),
        (
            ["forecast", NILE, "--model", "gru", "--jobs", 2],
            "--jobs does not apply to the neural models of --model gru",
        ),
        (
            ["backtest", NILE, "--models", "naive,drift", "--seed", 2],
            "--seed does not apply to the statistical",
        ),
        (
            ["backtest", NILE, "--models", "lstm", "--no-refit", "--jobs", 2],
            "--jobs does not apply with --no-refit",
        ),
        (
            ["detect", NILE, "-s", "zscore:hidden=8,period=4"],
            "the zscore scorer takes no option hidden, period",
        ),
        (["detect", NILE, "-s", "stl:window=8"], "the stl scorer takes no option window"),
        (
            ["detect", NILE, "-s", "forecast:period=12"],
            "the forecast scorer takes no option period",
        ),
        (["detect", NILE, "-s", "zscore", "--on-bad-line", "stop"], "--on-bad-line"),
        (["detect-stream", NILE, "-s", "zscore", "--event-gap", 2], "--event-gap"),
        (["detect-stream", NILE, "-s", "stl"], "the stl scorer is not causal"),
        (["detect-stream", NILE, "-s", "zscore", "--on-bad-line", "ignore"], "--on-bad-line"),
        (["forecast", NILE, "--plot-series", 2], "--plot-series does not apply without --plot"),
        (
            ["text", "tag", "train", NILE, "-o", "t.tsrnn", "--calibrate"],
            "--calibrate does not apply without --dev",
        ),
    ],
    ids=[
        "backend",
        "epochs-seed-stats",
        "device-stats",
        "season-neural",
        "jobs-neural",
        "backtest-seed",
        "backtest-jobs",
        "zscore",
        "stl-window",
        "forecast-period",
        "bad-line-no-stream",
        "stream-events",
        "stream-stl",
        "bad-line-value",
        "plot-series",
        "tag-calibrate",
    ],
)
def test_options_that_do_not_apply_are_errors(monkeypatch, args, fragment):
    _no_fit(monkeypatch)
    one_error(run(*args), fragment)


def test_a_model_file_refuses_fitting_options(small_csv, tmp_path, monkeypatch):
    model = tmp_path / "m.tsrnn"
    r = run(
        "train",
        small_csv,
        "--model",
        "gru",
        "--horizon",
        6,
        "--input-len",
        12,
        "--hidden",
        4,
        "--layers",
        1,
        "--epochs",
        1,
        "--device",
        "cpu",
        "-o",
        model,
        "-q",
    )
    assert r.exit_code == 0, r.output
    _no_fit(monkeypatch)
    one_error(
        run("forecast", small_csv, "--model-file", model, "--epochs", 3, "--model", "lstm"),
        f"--model, --epochs do not apply with --model-file: {model} forecasts as it was fitted",
    )
    one_error(
        run("forecast", small_csv, "--model-file", model, "--backend", "numba", "--device", "cpu"),
        "--device does not apply with --backend numba",
    )
    r = run(
        "forecast",
        small_csv,
        "--model-file",
        model,
        "--device",
        "cpu",
        "-o",
        tmp_path / "f.csv",
        "-q",
    )
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(tmp_path / "f.csv")) == 6


def test_stream_reports_a_bad_line_and_goes_on(tmp_path):
    p = tmp_path / "s.csv"
    y = 10 + np.sin(np.arange(200) / 5.0)
    pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=200, freq="h"), "y": y}).to_csv(
        p, index=False
    )
    stdin = "10\nten\n10.2,3\ninf\n\n9.9\n"
    r = run("detect-stream", p, "-s", "zscore:window=8", "-q", input=stdin)
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "value,score,threshold,is_anomaly"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "10",
        "9.9",
    ]  # both scored, the bad ones skipped
    assert r.stderr.splitlines() == [
        "warning: stdin line 2: 'ten' is not a number; skipped",
        "warning: stdin line 3: '10.2,3' holds 2 value(s), not 1; skipped",
        "warning: stdin line 4: 'inf' holds a value that is not finite; skipped",
    ]
    r = run("detect-stream", p, "-s", "zscore:window=8", "-q", "--on-bad-line", "stop", input=stdin)
    one_error(r, "stdin line 2: 'ten' is not a number; the stream stopped there")
    assert r.stdout.strip().splitlines()[1:] == [
        r.stdout.strip().splitlines()[1]
    ]  # line 1 was scored


# -- outputs that never lose data ------------------------------------------------------------------


def test_a_file_that_appears_during_training_is_kept(small_csv, tmp_path, monkeypatch):
    """Two runs writing one -o: the one finishing second does not replace the first one's file."""
    out = tmp_path / "race.tsrnn"
    monkeypatch.setattr(
        tsrnn.output,
        "_before_rename",
        lambda target: target.write_text("the other run's model") if target == out else None,
    )
    args = [
        "train",
        small_csv,
        "--model",
        "gru",
        "--horizon",
        6,
        "--input-len",
        12,
        "--hidden",
        4,
        "--layers",
        1,
        "--epochs",
        1,
        "--device",
        "cpu",
        "-o",
        out,
        "-q",
    ]
    one_error(run(*args), f"{out} (given by -o) appeared while this command ran", "--force")
    assert out.read_text() == "the other run's model" and temps(tmp_path) == []
    monkeypatch.setattr(tsrnn.output, "_before_rename", lambda target: None)
    r = run(*args, "--force")
    assert r.exit_code == 0, r.output
    from tsrnn import Forecaster

    assert Forecaster.load(out).horizon == 6


# two processes importing torch (about 20 s on 2 cores); the race itself is tested above
@pytest.mark.slow
def test_two_concurrent_trainings_write_one_model_and_refuse_the_other(small_csv, tmp_path):
    out = tmp_path / "race.tsrnn"
    cmd = [
        sys.executable,
        "-m",
        "tsrnn_cli",
        "train",
        str(small_csv),
        "--model",
        "gru",
        "--horizon",
        "6",
        "--input-len",
        "12",
        "--hidden",
        "4",
        "--layers",
        "1",
        "--epochs",
        "2",
        "--device",
        "cpu",
        "-o",
        str(out),
        "-q",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert refused.count("\n") == 1 and (
        "already exists" in refused or "appeared while" in refused
    ), refused
    assert out.stat().st_size > 0 and temps(tmp_path) == []


def test_a_dangling_symlink_output_is_not_replaced_without_force(tmp_path, monkeypatch):
    link = tmp_path / "f.csv"
    link.symlink_to(tmp_path / "gone" / "f.csv")
    one_error(
        run("forecast", NILE, "-m", "naive", "-o", link),
        "is a symbolic link to a missing file",
        "--force",
    )
    assert link.is_symlink()
    r = run("forecast", NILE, "-m", "naive", "--horizon", 2, "-o", link, "--force", "-q")
    assert r.exit_code == 0, r.output
    assert not link.is_symlink() and len(pd.read_csv(link)) == 2


def test_an_unwritable_folder_is_reported_before_training_naming_the_output(
    small_csv, tmp_path, monkeypatch
):
    _no_fit(monkeypatch)

    def denied(p):
        raise PermissionError(
            errno.EACCES, "Permission denied", str(p.parent / f".{p.name}.1.abc{TMP_TAG}")
        )

    monkeypatch.setattr(tsrnn.output, "_new_temp", denied)
    out = tmp_path / "m.tsrnn"
    line = one_error(
        run("train", small_csv, "-o", out), f"cannot write {out} (given by -o): permission denied"
    )
    assert TMP_TAG not in line


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.ENOSPC, "no space is left on the device"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EDQUOT, "the disk quota is exceeded"),
    ],
)
def test_a_full_or_read_only_disk_is_one_sentence_and_keeps_the_old_file(
    tmp_path, monkeypatch, code, reason
):
    out = tmp_path / "f.csv"
    out.write_text("the old forecast")

    def failing(self, path, *a, **k):
        with open(path, "w") as f:
            f.write("half a frame")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    r = run("forecast", NILE, "-m", "naive", "-o", out, "--force", "-q")
    one_error(r, f"cannot write {out} (given by -o): {reason}; nothing was written")
    assert out.read_text() == "the old forecast" and temps(tmp_path) == []


def test_a_read_only_folder_is_found_before_any_fit(tmp_path, monkeypatch):
    _no_fit(monkeypatch)
    real_open = os.open

    def read_only(path, flags, *a):
        if flags & os.O_CREAT and str(path).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *a)

    monkeypatch.setattr(os, "open", read_only)
    one_error(
        run("forecast", NILE, "-m", "naive", "-o", tmp_path / "f.csv"),
        f"cannot write {tmp_path / 'f.csv'} (given by -o): the file system is read-only",
    )


def test_a_killed_runs_temporary_file_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "f.csv"
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # its pid now names no process, as after a kill -9
    stale = tmp_path / f".f.csv.{proc.pid}.5ca1ab1e{TMP_TAG}.csv"
    stale.write_text("half of an interrupted write")
    r = run("forecast", NILE, "-m", "naive", "--horizon", 2, "-o", out, "-q")
    assert r.exit_code == 0, r.output
    assert not stale.exists() and temps(tmp_path) == [] and len(pd.read_csv(out)) == 2


def test_a_full_disk_while_saving_a_model_is_one_sentence(small_csv, tmp_path, monkeypatch):
    import safetensors.numpy

    def full(*a, **k):  # the error safetensors raised on a full tmpfs
        raise RuntimeError(
            "Error while serializing: I/O error: No space left on device (os error 28)"
        )

    monkeypatch.setattr(safetensors.numpy, "save_file", full)
    out = tmp_path / "m.tsrnn"
    r = run(
        "train",
        small_csv,
        "--model",
        "gru",
        "--horizon",
        6,
        "--input-len",
        12,
        "--hidden",
        4,
        "--layers",
        1,
        "--epochs",
        1,
        "--device",
        "cpu",
        "-o",
        out,
        "-q",
    )
    one_error(
        r, f"cannot write {out} (given by -o): no space is left on the device; nothing was written"
    )
    assert not out.exists() and temps(tmp_path) == []
