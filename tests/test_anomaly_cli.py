"""`tsrnn detect` through typer's CliRunner: outputs, labels, metrics table, streaming, and exit
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
    pd.DataFrame({"timestamp": ds, "value": y, "label": (t == SPIKE).astype(int)}).to_csv(p, index=False)
    return p, ds


def run(*args, input=None):
    return CliRunner().invoke(app, ["detect", *map(str, args)], input=input)


def _one_error_line(r):
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_detect_writes_outputs_and_refuses_to_clobber(series_csv, tmp_path):
    p, ds = series_csv
    out, ev, png = tmp_path / "scores.csv", tmp_path / "events.csv", tmp_path / "a.png"
    r = run(p, "--target-col", "value", "-m", "zscore", "-t", "sigma:8", "-o", out, "--events", ev, "--plot", png, "-q")
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["unique_id", "ds", "y", "score", "threshold", "is_anomaly"]
    assert scores["is_anomaly"].to_numpy()[SPIKE]
    events = pd.read_csv(ev)
    assert pd.Timestamp(ds[SPIKE]) in set(pd.to_datetime(events["peak"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = out.read_bytes()
    r = run(p, "--target-col", "value", "-m", "zscore", "-o", out, "-q")
    assert "--force" in _one_error_line(r)
    assert out.read_bytes() == before
    assert run(p, "--target-col", "value", "-m", "zscore", "-o", out, "-q", "--force").exit_code == 0


def test_labels_json_prints_metrics(series_csv, tmp_path):
    p, ds = series_csv
    lab = tmp_path / "labels.json"
    lab.write_text(json.dumps({"data/s.csv": [[str(ds[SPIKE - 1]), str(ds[SPIKE + 1])]]}))
    r = run(p, "--target-col", "value", "-m", "zscore", "-t", "sigma:8", "--labels", lab, "-q")
    assert r.exit_code == 0, r.output
    assert "detection vs labels" in r.stdout and "event F1" in r.stdout and "NAB" in r.stdout
    row = next(line for line in r.stdout.splitlines() if line.startswith("│ s "))
    assert "1.000" in row  # event F1 of the one hit window


def test_label_col(series_csv):
    p, _ = series_csv
    r = run(p, "--label-col", "label", "-m", "zscore", "-t", "sigma:8", "-q")
    assert r.exit_code == 0, r.output
    assert "event F1" in r.stdout


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a valid JSON"),
    (json.dumps({"s": [["2031-01-01", "2031-01-02"]]}), "outside the series' time range"),
    (json.dumps({"s": [["2024-01-03", "yesterday-ish"]]}), "not a timestamp"),
    (json.dumps({"other_series": [["2024-01-03", "2024-01-04"]]}), "no key matches"),
    (json.dumps({"s": [["2024-01-05", "2024-01-03"]]}), "ends"),
])
def test_bad_labels_exit_2(series_csv, tmp_path, content, message):
    p, _ = series_csv
    lab = tmp_path / "labels.json"
    lab.write_text(content)
    line = _one_error_line(run(p, "--target-col", "value", "-m", "zscore", "--labels", lab, "-q"))
    assert message in line


def test_bad_input_exit_2(series_csv, tmp_path):
    p, _ = series_csv
    assert "not found" in _one_error_line(run(p, "--target-col", "value", "--labels", tmp_path / "none.json"))
    assert "method" in _one_error_line(run(p, "--target-col", "value", "-m", "magic"))
    assert "threshold" in _one_error_line(run(p, "--target-col", "value", "-m", "zscore", "-t", "pot:abc"))
    assert "not both" in _one_error_line(run(p, "--labels", p, "--label-col", "label"))
    assert "not found" in _one_error_line(run(tmp_path / "missing.csv"))
    bad = tmp_path / "bad_label.csv"
    df = pd.read_csv(p)
    df.loc[5, "label"] = 3
    df.to_csv(bad, index=False)
    assert "0 or 1" in _one_error_line(run(bad, "--label-col", "label", "-m", "zscore"))


def test_stream_one_line_per_value(series_csv):
    p, _ = series_csv
    r = run(p, "--target-col", "value", "-m", "zscore", "-t", "sigma:8", "--stream", "-q", input="10\n10.5\n30\n\n9.8\n")
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "value,score,threshold,is_anomaly" and len(lines) == 5
    assert [line.split(",")[-1] for line in lines[1:]] == ["0", "0", "1", "0"]
    r = run(p, "--target-col", "value", "-m", "zscore", "--stream", "-q", "--on-bad-line", "stop", input="10\nabc\n")
    assert "stdin line 2" in _one_error_line(r)  # skipped by default: tests/test_cli_validation.py
    r = run(p, "--target-col", "value", "-m", "stl", "--stream", "-q", input="10\n")
    assert "streaming supports" in _one_error_line(r)


def test_duplicates_irregular_threads_and_local_norm(tmp_path):
    import torch

    n = 300
    ds = pd.date_range("2024-01-01", periods=n, freq="5min").to_series()
    y = 10 + np.sin(np.arange(n) / 8.0)
    y[250] += 6
    frame = pd.DataFrame({"timestamp": ds.to_numpy(), "value": y})
    frame = frame.drop(index=[100, 101])  # a gap
    frame.loc[len(frame) + 10] = [ds.iloc[50], 11.0]  # a duplicate timestamp, last in the file
    frame.loc[len(frame) + 10] = [ds.iloc[200] + pd.Timedelta("1min"), 10.0]  # off the 5-minute grid
    p = tmp_path / "nab_like.csv"
    frame.to_csv(p, index=False)
    base = [p, "-m", "zscore", "--window", "24", "-t", "sigma:6", "-q"]
    assert "duplicate timestamp" in _one_error_line(run(*base))
    assert "off the '5min' grid" in _one_error_line(run(*base, "--duplicates", "first"))
    assert "duplicates policy" in _one_error_line(run(*base, "--duplicates", "max"))
    assert "local_norm" in _one_error_line(run(*base, "--duplicates", "mean", "--irregular", "--local-norm", "1"))
    assert "only the forecast method" in _one_error_line(run(*base, "--duplicates", "mean", "--irregular", "--input-norm", "16"))
    assert "'scaled'" in _one_error_line(run(*base, "--duplicates", "mean", "--irregular", "--error", "scaled"))
    torch.set_num_threads(2)
    out = tmp_path / "scores.csv"
    r = run(*base, "--duplicates", "mean", "--irregular", "--local-norm", "16", "--threads", "1", "-o", out)
    assert r.exit_code == 0, r.output
    assert torch.get_num_threads() == 1
    scores = pd.read_csv(out, parse_dates=["ds"])
    assert len(scores) == n - 2 + 1  # the gap stays a gap, the duplicate is merged, the off-grid row kept
    assert scores.loc[scores["ds"] == ds.iloc[50], "y"].item() == pytest.approx((y[50] + 11.0) / 2)
    flagged = scores.loc[scores["is_anomaly"], "ds"].tolist()
    assert ds.iloc[250] in flagged
    r = run(p, "--target-col", "value", "-m", "forecast", "--window", "24", "--hidden", "4", "--epochs", "1",
            "--input-norm", "24", "--error", "scaled", "--duplicates", "mean", "--irregular", "-t", "sigma:6", "-q", "-o", out, "--force")
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out)
    assert scores["score"].iloc[:12].isna().all() and scores["score"].iloc[30:].notna().all()


def test_refit_every_cli(series_csv, tmp_path):
    p, ds = series_csv
    out = tmp_path / "scores.csv"
    base = [p, "--target-col", "value", "-m", "zscore", "--window", "24", "-t", "pot:1e-3", "--train-frac", "0.5"]
    r = run(*base, "--refit-every", "50", "-o", out)
    assert r.exit_code == 0, r.output
    assert "refit 3 time(s), every 50 points" in r.stderr  # 200 training points, refits at 250, 300, 350
    scores = pd.read_csv(out, parse_dates=["ds"])
    assert scores.loc[scores["is_anomaly"], "ds"].tolist() == [ds[SPIKE]]
    assert scores["threshold"].iloc[:250].nunique() == 1 and scores["threshold"].iloc[250:].nunique() > 1
    assert "refit_history" in _one_error_line(run(*base, "--refit-history", "100", "-q"))
    r = run(*base, "--refit-every", "50", "--stream", "-q", input="10\n10.5\n")
    assert r.exit_code == 0 and len(r.stdout.strip().splitlines()) == 3, r.output


def test_save_model_then_model_file(series_csv, tmp_path):
    p, ds = series_csv
    det, out1, out2 = tmp_path / "det.tsrnn", tmp_path / "fit.csv", tmp_path / "loaded.csv"
    base = [p, "--target-col", "value", "--window", "24", "--hidden", "8", "--epochs", "2", "--train-frac", "0.5"]
    r = run(*base, "--save-model", det, "-o", out1)
    assert r.exit_code == 0, r.output
    assert f"wrote {det}" in r.stderr
    r = run(p, "--target-col", "value", "--model-file", det, "-o", out2)
    assert r.exit_code == 0, r.output
    assert "with the forecast detector in" in r.stderr
    a, b = pd.read_csv(out1), pd.read_csv(out2)
    pd.testing.assert_frame_equal(a, b)
    # another threshold on the saved detector: fitted again on its training scores, model unchanged
    out3 = tmp_path / "sigma.csv"
    assert run(p, "--target-col", "value", "--model-file", det, "-t", "sigma:3", "-o", out3, "-q").exit_code == 0
    c = pd.read_csv(out3)
    np.testing.assert_array_equal(c["score"], a["score"])
    assert not np.allclose(c["threshold"], a["threshold"])
    # streaming from the saved detector prints what streaming from the freshly fitted one prints
    r = run(p, "--target-col", "value", "--model-file", det, "--stream", "-q", input="10\n10.4\n16\n")
    assert r.exit_code == 0 and len(r.stdout.strip().splitlines()) == 4, r.output
    fresh = run(*base, "--stream", "-q", input="10\n10.4\n16\n")
    assert fresh.exit_code == 0 and fresh.stdout == r.stdout


def test_save_and_model_file_errors(series_csv, tmp_path):
    p, _ = series_csv
    det = tmp_path / "det.tsrnn"
    det.write_text("not a detector")
    r = run(p, "--target-col", "value", "-m", "zscore", "--save-model", det, "-q")
    assert "--force" in _one_error_line(r)
    assert det.read_text() == "not a detector"
    assert "corrupt" in _one_error_line(run(p, "--target-col", "value", "--model-file", det, "-q"))
    assert "not found" in _one_error_line(run(p, "--target-col", "value", "--model-file", tmp_path / "no.tsrnn", "-q"))
    # IsolationForest: stored as its training series, the seeded forest fitted again on load
    fi, o1, o2 = tmp_path / "i.tsrnn", tmp_path / "i1.csv", tmp_path / "i2.csv"
    assert run(p, "--target-col", "value", "-m", "iforest", "--save-model", fi, "-o", o1, "-q").exit_code == 0
    assert run(p, "--target-col", "value", "--model-file", fi, "-o", o2, "-q").exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(o1), pd.read_csv(o2))
    r = run(p, "--target-col", "value", "--model-file", det, "--save-model", tmp_path / "x.tsrnn", "-q")
    assert "fits nothing" in _one_error_line(r)
    good = tmp_path / "z.tsrnn"
    assert run(p, "--target-col", "value", "-m", "zscore", "--save-model", good, "-q").exit_code == 0
    other = tmp_path / "other.csv"
    pd.read_csv(p).assign(unique_id="b").to_csv(other, index=False)
    r = run(other, "--target-col", "value", "--id-col", "unique_id", "--model-file", good, "-q")
    assert "not seen in fit" in _one_error_line(r)
    r = run(p, "--target-col", "value", "-m", "forecast", "--model-file", good, "-q")
    assert "holds a zscore detector, not forecast" in _one_error_line(r)
    assert run(p, "--target-col", "value", "-m", "zscore", "--model-file", good, "-q").exit_code == 0
    # a fitting option would be silently ignored by a saved detector: it is an error instead
    r = run(p, "--target-col", "value", "--model-file", good, "--window", "16", "--seed", "3", "-q")
    assert "--window, --seed are fitting options" in _one_error_line(r)
    assert "--train-frac is a fitting option" in _one_error_line(
        run(p, "--target-col", "value", "--model-file", good, "--train-frac", "0.5", "-q"))


def test_model_file_takes_the_event_options(series_csv, tmp_path):
    """--event-gap / --min-event-length shape the events of a saved detector as of a fitted one."""
    p, _ = series_csv
    det, e1, e2 = tmp_path / "z.tsrnn", tmp_path / "e1.csv", tmp_path / "e2.csv"
    opts = ["--target-col", "value", "-t", "quantile:0.9"]
    assert run(p, *opts, "-m", "zscore", "--save-model", det, "-q").exit_code == 0
    assert run(p, *opts, "--model-file", det, "--events", e1, "-q").exit_code == 0
    r = run(p, *opts, "--model-file", det, "--events", e2, "--min-event-length", "3", "-q")
    assert r.exit_code == 0, r.output
    fitted = tmp_path / "e3.csv"
    assert run(p, *opts, "-m", "zscore", "--events", fitted, "--min-event-length", "3", "-q").exit_code == 0
    a, b = pd.read_csv(e1), pd.read_csv(e2)
    assert len(b) < len(a)
    pd.testing.assert_frame_equal(b, pd.read_csv(fitted))
