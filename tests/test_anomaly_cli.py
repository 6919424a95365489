"""`tsrnn detect` and its modes (detect-saved, detect-stream, detect-stream-saved) through typer's
CliRunner: outputs, labels, metrics table, streaming, what a monitoring export holds, and exit
status 2 with one line on bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tsrnn_cli.app import app
from typer.testing import CliRunner

SPIKE = 300


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def series_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    t = np.arange(n)
    y = 10 + np.sin(2 * np.pi * t / 24) + 0.05 * rng.normal(size=n)
    y[SPIKE] += 5
    ds = pd.date_range("2024-01-01", periods=n, freq="h")
    p = tmp_path / "s.csv"
    pd.DataFrame({"timestamp": ds, "value": y, "label": (t == SPIKE).astype(int)}).to_csv(
        p, index=False
    )
    return p, ds


def run(*args, input=None, command="detect"):
    return CliRunner().invoke(app, [command, *map(str, args)], input=input)


def saved(*args, input=None):
    return run(*args, input=input, command="detect-saved")


def stream(*args, input=None):
    return run(*args, input=input, command="detect-stream")


def _one_error_line(r):
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_detect_writes_outputs_of_the_judged_part_and_refuses_to_clobber(series_csv, tmp_path):
    p, ds = series_csv
    out, ev, png = tmp_path / "scores.csv", tmp_path / "events.csv", tmp_path / "a.png"
    r = run(
        p,
        "--target-col",
        "value",
        "-s",
        "zscore",
        "-t",
        "sigma:8",
        "-o",
        out,
        "--events",
        ev,
        "--plot",
        png,
    )
    assert r.exit_code == 0, r.output
    assert (
        "threshold sigma:8: " in r.stderr
        and "fitted on the scores of the first 60 points" in r.stderr
    )
    assert "warning" not in r.stderr  # a clean hourly file: nothing to say about it
    scores = pd.read_csv(out, parse_dates=["ds"])
    assert list(scores.columns) == ["unique_id", "ds", "y", "score", "threshold", "is_anomaly"]
    assert scores["ds"].iloc[0] == ds[60] and len(scores) == 400 - 60  # never in-sample
    assert scores.loc[scores["is_anomaly"], "ds"].tolist() == [ds[SPIKE]]
    events = pd.read_csv(ev)
    assert pd.Timestamp(ds[SPIKE]) in set(pd.to_datetime(events["peak"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = out.read_bytes()
    r = run(p, "--target-col", "value", "-s", "zscore", "-o", out, "-q")
    assert "--force" in _one_error_line(r)
    assert out.read_bytes() == before
    assert (
        run(p, "--target-col", "value", "-s", "zscore", "-o", out, "-q", "--force").exit_code == 0
    )
    r = run(
        p, "--target-col", "value", "-s", "zscore", "--train-frac", "1", "-o", out, "-q", "--force"
    )
    assert r.exit_code == 0 and len(pd.read_csv(out)) == 400  # in-sample when asked


def test_labels_json_and_label_column_print_metrics(series_csv, tmp_path):
    p, ds = series_csv
    lab = tmp_path / "labels.json"
    lab.write_text(json.dumps({"data/s.csv": [[str(ds[SPIKE - 1]), str(ds[SPIKE + 1])]]}))
    for labels in (lab, "column:label"):
        r = run(
            p, "--target-col", "value", "-s", "zscore", "-t", "sigma:8", "--labels", labels, "-q"
        )
        assert r.exit_code == 0, r.output
        assert "detection vs labels" in r.stdout and "event F1" in r.stdout and "NAB" in r.stdout
        row = next(line for line in r.stdout.splitlines() if line.startswith("│ s "))
        assert "1.000" in row  # event F1 of the one hit window
    r = run(
        p, "--labels", "column:label", "-s", "zscore", "-t", "sigma:8", "-q"
    )  # value column found
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not a valid JSON"),
        (json.dumps({"s": [["2031-01-01", "2031-01-02"]]}), "outside the series' time range"),
        (json.dumps({"s": [["2024-01-03", "yesterday-ish"]]}), "not a timestamp"),
        (json.dumps({"other_series": [["2024-01-03", "2024-01-04"]]}), "no key matches"),
        (json.dumps({"s": [["2024-01-05", "2024-01-03"]]}), "ends"),
    ],
)
def test_bad_labels_exit_2(series_csv, tmp_path, content, message):
    p, _ = series_csv
    lab = tmp_path / "labels.json"
    lab.write_text(content)
    line = _one_error_line(run(p, "--target-col", "value", "-s", "zscore", "--labels", lab, "-q"))
    assert message in line


def test_bad_input_exit_2(series_csv, tmp_path):
    p, _ = series_csv
    assert "not found" in _one_error_line(
        run(p, "--target-col", "value", "--labels", tmp_path / "none.json")
    )
    assert "scorer 'magic' is unknown" in _one_error_line(
        run(p, "--target-col", "value", "-s", "magic")
    )
    line = _one_error_line(run(p, "-s", "zscore:hidden=8,period=4"))
    assert (
        "the zscore scorer takes no option hidden, period; its options are window, min_std" in line
    )
    assert "'abc' is not a number" in _one_error_line(run(p, "-s", "zscore", "-t", "pot:abc"))
    assert "--refit 'x' is not N or N:H" in _one_error_line(run(p, "-s", "zscore", "--refit", "x"))
    assert "label column 'nope' not found" in _one_error_line(run(p, "--labels", "column:nope"))
    assert "not found" in _one_error_line(run(tmp_path / "missing.csv"))
    bad = tmp_path / "bad_label.csv"
    df = pd.read_csv(p)
    df.loc[5, "label"] = 3
    df.to_csv(bad, index=False)
    assert "0 or 1" in _one_error_line(run(bad, "--labels", "column:label", "-s", "zscore"))


def test_stream_one_line_per_value(series_csv):
    p, _ = series_csv
    r = stream(
        p,
        "--target-col",
        "value",
        "-s",
        "zscore",
        "-t",
        "sigma:8",
        "-q",
        input="10\n10.5\n30\n\n9.8\n",
    )
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "value,score,threshold,is_anomaly" and len(lines) == 5
    assert [line.split(",")[-1] for line in lines[1:]] == ["0", "0", "1", "0"]
    r = stream(
        p, "--target-col", "value", "-s", "zscore", "-q", "--on-bad-line", "stop", input="10\nabc\n"
    )
    assert "stdin line 2" in _one_error_line(r)  # skipped by default: tests/test_cli_validation.py
    r = stream(p, "--target-col", "value", "-s", "stl", "-q", input="10\n")
    assert "stl scorer is not causal" in _one_error_line(r)
    assert "--on-bad-line" in _one_error_line(stream(p, "--on-bad-line", "ignore"))


def _monitoring_export(tmp_path):
    """A 5-minute series with a gap of 2 points, a repeated timestamp and an off-grid time."""
    n = 300
    ds = pd.date_range("2024-01-01", periods=n, freq="5min").to_series()
    y = 10 + np.sin(np.arange(n) / 8.0)
    y[250] += 6
    frame = pd.DataFrame({"timestamp": ds.to_numpy(), "value": y})
    frame = frame.drop(index=[100, 101])  # a gap
    frame.loc[len(frame) + 10] = [ds.iloc[50], 11.0]  # a duplicate timestamp, last in the file
    frame.loc[len(frame) + 10] = [
        ds.iloc[200] + pd.Timedelta("1min"),
        10.0,
    ]  # off the 5-minute grid
    p = tmp_path / "export.csv"
    frame.to_csv(p, index=False)
    return p, ds, y


def test_a_monitoring_export_is_judged_as_given_with_one_warning(tmp_path):
    import torch

    p, ds, y = _monitoring_export(tmp_path)
    base = [p, "-s", "zscore:window=24", "-t", "sigma:6", "--train-frac", "0.5"]
    torch.set_num_threads(2)
    out = tmp_path / "scores.csv"
    r = run(*base, "--normaliser", "local:16", "--threads", "1", "-o", out)
    assert r.exit_code == 0, r.output
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning")]
    assert warnings == [
        "warning: export.csv has 1 repeated timestamp(s) (averaged), 1 gap(s) "
        "(2 missing point(s)) and 1 off-grid time(s); judged as given"
    ]
    assert torch.get_num_threads() == 1
    scores = pd.read_csv(out, parse_dates=["ds"])
    assert (
        len(scores) == 299 - 149
    )  # the gap stays a gap, the duplicate merged, the off-grid row kept
    flagged = scores.loc[scores["is_anomaly"], "ds"].tolist()
    assert ds.iloc[250] in flagged
    assert ds.iloc[200] + pd.Timedelta("1min") in set(scores["ds"])
    assert "duplicate timestamp" in _one_error_line(run(*base, "--duplicates", "error", "-q"))
    assert "off the '5min' grid" in _one_error_line(run(*base, "--freq", "5min", "-q"))
    assert "duplicates policy" in _one_error_line(run(*base, "--duplicates", "max", "-q"))
    assert "window must be a whole number >= 2" in _one_error_line(
        run(*base, "--normaliser", "local:1", "-q")
    )
    assert "takes no option input_norm" in _one_error_line(
        run(p, "-s", "zscore:input_norm=16", "-q")
    )
    r = run(
        p,
        "-s",
        "forecast:window=24,hidden=4,epochs=1,input_norm=24,error=scaled",
        "-t",
        "sigma:6",
        "--train-frac",
        "0.5",
        "-q",
        "-o",
        out,
        "--force",
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out)["score"].notna().all()  # judged rows lie past the scorer's lead


def test_refit_cli(series_csv, tmp_path):
    p, ds = series_csv
    out = tmp_path / "scores.csv"
    base = [
        p,
        "--target-col",
        "value",
        "-s",
        "zscore:window=24",
        "-t",
        "pot:1e-3",
        "--train-frac",
        "0.5",
    ]
    r = run(*base, "--refit", "50", "-o", out)
    assert r.exit_code == 0, r.output
    assert (
        "refit 3 time(s), every 50 points" in r.stderr
    )  # 200 training points, refits at 250, 300, 350
    scores = pd.read_csv(out, parse_dates=["ds"])
    assert scores.loc[scores["is_anomaly"], "ds"].tolist() == [ds[SPIKE]]
    assert (
        scores["threshold"].iloc[:50].nunique() == 1 and scores["threshold"].iloc[50:].nunique() > 1
    )
    assert "refit history (20) must exceed" in _one_error_line(run(*base, "--refit", "50:20", "-q"))
    r = stream(
        p,
        "--target-col",
        "value",
        "-s",
        "zscore:window=24",
        "--refit",
        "50",
        "-q",
        input="10\n10.5\n",
    )
    assert r.exit_code == 0 and len(r.stdout.strip().splitlines()) == 3, r.output


def test_save_model_then_detect_saved(series_csv, tmp_path):
    p, ds = series_csv
    det, out1, out2 = tmp_path / "det.tsrnn", tmp_path / "fit.csv", tmp_path / "loaded.csv"
    base = [p, "--target-col", "value", "-s", "forecast:window=24,hidden=8,epochs=2"]
    r = run(*base, "--train-frac", "0.5", "--save-model", det, "-o", out1)
    assert r.exit_code == 0, r.output
    assert f"wrote {det}" in r.stderr
    r = saved(det, p, "--target-col", "value", "-o", out2)
    assert r.exit_code == 0, r.output
    assert "with the forecast detector in" in r.stderr
    a, b = pd.read_csv(out1), pd.read_csv(out2)
    pd.testing.assert_frame_equal(a, b.iloc[200:].reset_index(drop=True))  # it judges every row
    # another threshold on the saved detector: fitted again on its training scores, model unchanged
    out3 = tmp_path / "sigma.csv"
    assert saved(det, p, "--target-col", "value", "-t", "sigma:3", "-o", out3, "-q").exit_code == 0
    c = pd.read_csv(out3)
    np.testing.assert_array_equal(c["score"], b["score"])
    assert not np.allclose(c["threshold"], b["threshold"])
    # streaming from the saved detector prints what streaming from a freshly fitted one prints
    det2 = tmp_path / "all.tsrnn"
    fresh = stream(*base, "--save-model", det2, "-q", input="10\n10.4\n16\n")
    assert fresh.exit_code == 0 and len(fresh.stdout.strip().splitlines()) == 4, fresh.output
    r = run(
        det2,
        p,
        "--target-col",
        "value",
        "-q",
        input="10\n10.4\n16\n",
        command="detect-stream-saved",
    )
    assert r.exit_code == 0 and fresh.stdout == r.stdout, r.output


def test_save_and_detect_saved_errors(series_csv, tmp_path):
    p, _ = series_csv
    det = tmp_path / "det.tsrnn"
    det.write_text("not a detector")
    r = run(p, "--target-col", "value", "-s", "zscore", "--save-model", det, "-q")
    assert "--force" in _one_error_line(r)
    assert det.read_text() == "not a detector"
    assert "corrupt" in _one_error_line(saved(det, p, "--target-col", "value", "-q"))
    assert "not found" in _one_error_line(
        saved(tmp_path / "no.tsrnn", p, "--target-col", "value", "-q")
    )
    # IsolationForest: stored as its training series, the seeded forest fitted again on load
    fi, o1, o2 = tmp_path / "i.tsrnn", tmp_path / "i1.csv", tmp_path / "i2.csv"
    assert (
        run(
            p,
            "--target-col",
            "value",
            "-s",
            "iforest",
            "--train-frac",
            "1",
            "--save-model",
            fi,
            "-o",
            o1,
            "-q",
        ).exit_code
        == 0
    )
    assert saved(fi, p, "--target-col", "value", "-o", o2, "-q").exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(o1), pd.read_csv(o2))
    good = tmp_path / "z.tsrnn"
    assert (
        run(p, "--target-col", "value", "-s", "zscore", "--save-model", good, "-q").exit_code == 0
    )
    other = tmp_path / "other.csv"
    pd.read_csv(p).assign(unique_id="b").to_csv(other, index=False)
    r = saved(good, other, "--target-col", "value", "--id-col", "unique_id", "-q")
    assert "not seen in fit" in _one_error_line(r)
    # a fitting option does not exist in this mode: the parser names it
    assert "--scorer" in _one_error_line(saved(good, p, "--scorer", "zscore", "-q"))


def test_detect_saved_takes_the_event_options(series_csv, tmp_path):
    """--event-gap / --min-event-length shape the events of a saved detector as of a fitted one."""
    p, _ = series_csv
    det, e1, e2 = tmp_path / "z.tsrnn", tmp_path / "e1.csv", tmp_path / "e2.csv"
    opts = ["--target-col", "value", "-t", "quantile:0.9"]
    assert (
        run(p, *opts, "-s", "zscore", "--train-frac", "1", "--save-model", det, "-q").exit_code == 0
    )
    assert saved(det, p, *opts, "--events", e1, "-q").exit_code == 0
    r = saved(det, p, *opts, "--events", e2, "--min-event-length", "3", "-q")
    assert r.exit_code == 0, r.output
    fitted = tmp_path / "e3.csv"
    assert (
        run(
            p,
            *opts,
            "-s",
            "zscore",
            "--train-frac",
            "1",
            "--events",
            fitted,
            "--min-event-length",
            "3",
            "-q",
        ).exit_code
        == 0
    )
    a, b = pd.read_csv(e1), pd.read_csv(e2)
    assert len(b) < len(a)
    pd.testing.assert_frame_equal(b, pd.read_csv(fitted))


def test_several_value_columns_are_judged_jointly(tmp_path):
    """cpu and mem of one host: --target-col cpu,mem fits one joint detector (one score per row)."""
    rng = np.random.default_rng(0)
    n = 400
    t = np.arange(n)
    cpu = np.sin(2 * np.pi * t / 24) + 0.05 * rng.normal(size=n)
    mem = cpu + 0.05 * rng.normal(size=n)
    mem[SPIKE] += 3
    p = tmp_path / "host.csv"
    pd.DataFrame(
        {"timestamp": pd.date_range("2024", periods=n, freq="h"), "cpu": cpu, "mem": mem}
    ).to_csv(p, index=False)
    out = tmp_path / "scores.csv"
    r = run(
        p, "--target-col", "cpu,mem", "-s", "zscore:window=24", "-t", "sigma:6", "-o", out, "-q"
    )
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out)
    assert list(scores.columns) == [
        "unique_id",
        "ds",
        "cpu",
        "mem",
        "score",
        "threshold",
        "is_anomaly",
    ]
    assert int(np.nanargmax(scores["score"])) + 60 == SPIKE


@pytest.mark.slow
def test_flag_free_detect_on_the_shipped_taxi_series(tmp_path):
    """No flags beyond the labels: the default configuration, the judged part, the metrics table,
    the threshold line and a readable PNG."""
    png = tmp_path / "taxi.png"
    r = run(
        "datasets/nyc_taxi_halfhourly.csv",
        "--labels",
        "datasets/nyc_taxi_halfhourly_labels.json",
        "--plot",
        png,
    )
    assert r.exit_code == 0, r.output
    assert "detection vs labels" in r.stdout and "nyc_taxi_halfhou" in r.stdout
    assert "threshold fixed:1.5: 1.5 × the 1e-3 tail level of each member" in r.stderr
    assert "first 1548 points" in r.stderr
    import matplotlib.image as mpimg

    img = mpimg.imread(png)
    assert img.shape[0] > 200 and img.shape[1] > 600 and img.std() > 0.05
