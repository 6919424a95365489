"""`tsrnn detect-stream` and `tsrnn detect-stream-saved`: fit a detector on FILE (or load a saved
one), run it through FILE's values, then score values read from stdin one at a time."""

from __future__ import annotations

import sys

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import handle_errors, set_threads
from tsrnn_cli.detect_options import (
    BadLine,
    CooldownOpt,
    Device,
    Irregular,
    ModelArg,
    NormaliserOpt,
    OnBadLine,
    RefitOpt,
    SaveModel,
    ScorerOpt,
    Seed,
    ThresholdOpt,
    build_detector,
    fit_detector,
    read_input,
    staged_outputs,
)
from tsrnn_cli.options import FileArg, Force, Quiet, Threads, read_options


@app.command("detect-stream")
@handle_errors
@read_options(duplicates="mean")
def detect_stream_command(
    file: FileArg,
    scorer: ScorerOpt = "tailmax",
    threshold: ThresholdOpt = "fixed:1.5",
    normaliser: NormaliserOpt = None,
    refit: RefitOpt = None,
    cooldown: CooldownOpt = 16,
    seed: Seed = 0,
    device: Device = "auto",
    read: dict | None = None,
    irregular: Irregular = False,
    save_model: SaveModel = None,
    on_bad_line: OnBadLine = BadLine.skip,
    threads: Threads = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Fit a detector on all of FILE (one series), then score values read from stdin one at a
    time: one line out per value (value, score, threshold, is_anomaly)."""
    from tsrnn.anomaly.streaming import check_streamable

    det = build_detector(scorer, threshold, normaliser, refit, cooldown, seed, device, quiet)
    check_streamable(det.validate())
    outs = staged_outputs(force, (save_model, "--save-model", "file"))
    set_threads(threads)
    df, _ = read_input(file, None, read)
    _one_series(df, file)
    fit_detector(det, df, 1.0, quiet)
    if save_model is not None:
        with outs:
            outs.stage(save_model, lambda t: det.save(t, force=True))
            outs.commit()
        if not quiet:
            typer.echo(f"wrote {save_model}", err=True)
    _stream(det, df, stop=on_bad_line is BadLine.stop)


@app.command("detect-stream-saved")
@handle_errors
@read_options(duplicates="mean")
def detect_stream_saved_command(
    model: ModelArg,
    file: FileArg,
    read: dict | None = None,
    irregular: Irregular = False,
    on_bad_line: OnBadLine = BadLine.skip,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Run the detector saved in MODEL through the values of FILE (its history, not judged), then
    score values read from stdin one at a time."""
    from tsrnn.anomaly.detector import AnomalyDetector

    set_threads(threads)
    det = AnomalyDetector.load(model)
    df, _ = read_input(file, None, read)
    _one_series(df, file)
    _stream(det, df, stop=on_bad_line is BadLine.stop)


def _one_series(df, file) -> None:
    from tsrnn.errors import ConfigError

    n = df["unique_id"].nunique()
    if n != 1:
        raise ConfigError(f"a stream scores one series; {file} holds {n}")


def _stream(det, df, stop: bool = False) -> None:
    """Prime the detector's streamer with the series of df, then score each stdin line (one value,
    or one per target column, comma-separated). A line that is not that is reported on stderr
    with its number and text and skipped, or (stop) ends the stream with a DataError."""
    from tsrnn.anomaly.streaming import parse_stream_line
    from tsrnn.errors import DataError

    values = df[det.targets_].to_numpy(dtype=float)
    st = det.streamer().prime(values)
    n_cols = len(det.targets_)
    names = ["value"] if n_cols == 1 else det.targets_
    sys.stdout.write(",".join(names) + ",score,threshold,is_anomaly\n")
    for n, line in enumerate(sys.stdin, start=1):
        text = line.strip()
        if not text:
            continue
        v, problem = parse_stream_line(text, n_cols)
        if problem is not None:
            message = f"stdin line {n}: '{text}' {problem}"
            if stop:
                raise DataError(f"{message}; the stream stopped there (--on-bad-line stop)")
            typer.echo(f"warning: {message}; skipped", err=True)
            continue
        score, flag = st.update(v[0] if n_cols == 1 else v)
        sys.stdout.write(f"{text},{score:.6g},{st.threshold.value_:.6g},{int(flag)}\n")
        sys.stdout.flush()
