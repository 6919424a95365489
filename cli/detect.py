"""`tsrnn detect` and its modes: fit a detector on the leading part of each series and judge the
rest (`detect`), judge with a saved detector (`detect-saved`), or score values read from stdin one
at a time (`detect-stream`, `detect-stream-saved`). Each mode takes only the options that apply to
it; the library checks their values (tsrnn.anomaly.catalog, AnomalyDetector.validate)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import handle_errors, set_threads
from tsrnn_cli.options import (
    DateFormat,
    DayFirst,
    Decimal,
    Duplicates,
    FileArg,
    FillGaps,
    FillNan,
    Force,
    Freq,
    IdCol,
    Quiet,
    Sep,
    TargetCol,
    Threads,
    TimeCol,
)

ModelArg = Annotated[
    Path, typer.Argument(help="A detector file written by --save-model.", show_default=False)
]
ScorerOpt = Annotated[
    str,
    typer.Option(
        "--scorer",
        "-s",
        help=(
            "The scorer and its options: forecast, autoencoder, zscore, stl, iforest, tail or "
            "ensemble, optionally name:key=value,... e.g. zscore:window=288, "
            "forecast:window=64,hidden=32,input_norm=64,error=scaled, "
            "ensemble:members=zscore+tail+forecast. Default: the LSTM forecast error of the "
            "cross-validated NAB choice."
        ),
    ),
]
ThresholdOpt = Annotated[
    str,
    typer.Option(
        "--threshold",
        "-t",
        help=(
            "pot[:risk], spot[:risk], dynamic[:p], quantile:Q, contamination:C, sigma:K or "
            "fixed:V."
        ),
    ),
]
ReThreshold = Annotated[
    str | None,
    typer.Option(
        "--threshold",
        "-t",
        help="Fit another threshold spec on the saved training scores (default: the saved one).",
        show_default=False,
    ),
]
NormaliserOpt = Annotated[
    str | None,
    typer.Option(
        "--normaliser",
        help=(
            "Score normaliser, e.g. local:64 (each score divided by the mean of the 64 before it)."
            " Default: none."
        ),
        show_default=False,
    ),
]
RefitOpt = Annotated[
    str | None,
    typer.Option(
        "--refit",
        help=(
            "Online adaptation: N or N:H, refit every N points after the training part on the last"
            " H points (all of them without H)."
        ),
        show_default=False,
    ),
]
CooldownOpt = Annotated[
    int,
    typer.Option(
        "--cooldown",
        min=0,
        help="After an exceedance, no new alarm for this many points (0: every exceedance alarms).",
    ),
]
TrainFrac = Annotated[
    float,
    typer.Option(
        "--train-frac",
        min=0.01,
        max=1.0,
        help=(
            "Fit on the first fraction of each series and judge the rest (1: all of it, "
            "in-sample)."
        ),
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (scorers that have one).")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda (recurrent scorers).")]
Irregular = Annotated[
    bool,
    typer.Option(
        "--irregular",
        help=(
            "Keep the timestamps as given (the default unless --freq or --fill-gaps asks for a "
            "grid)."
        ),
    ),
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write per-point scores here (.csv or .parquet)."),
]
EventsOut = Annotated[
    Path | None, typer.Option("--events", help="Write the merged events here (.csv or .parquet).")
]
PlotOut = Annotated[
    Path | None, typer.Option("--plot", help="Write a plot here (.png, .svg or .pdf).")
]
SaveModel = Annotated[
    Path | None,
    typer.Option("--save-model", help="Write the fitted detector here (safetensors + JSON)."),
]
LabelsOpt = Annotated[
    str | None,
    typer.Option(
        "--labels",
        help=(
            "Labels to score against: a JSON file (windows or timestamps per series, NAB format) "
            "or column:NAME for a 0/1 column of FILE."
        ),
        show_default=False,
    ),
]
EventGap = Annotated[
    int,
    typer.Option(
        "--event-gap", min=0, help="Merge events separated by at most this many normal points."
    ),
]
MinEvent = Annotated[
    int, typer.Option("--min-event-length", min=1, help="Drop events shorter than this.")
]


class BadLine(str, enum.Enum):
    skip = "skip"
    stop = "stop"


OnBadLine = Annotated[
    BadLine,
    typer.Option(
        "--on-bad-line",
        help=(
            "A stdin line that is not a value is reported on stderr and skipped, or stops the "
            "stream with exit status 2."
        ),
    ),
]


def _read(
    file,
    labels,
    id_col,
    time_col,
    target_col,
    freq,
    fill_gaps,
    fill_nan,
    duplicates,
    sep,
    decimal,
    date_format,
    dayfirst,
    quiet,
):
    """The frame, its label masks (or None) and one warning line for what was found."""
    from tsrnn.anomaly.reading import label_masks, read_for_detection
    from tsrnn.errors import ConfigError

    label_col = labels[len("column:") :] if labels and labels.startswith("column:") else None
    if labels is not None and label_col is None and not Path(labels).is_file():
        raise ConfigError(
            f"{labels}: labels file not found (given by --labels; a 0/1 column of "
            "FILE is given as column:NAME)"
        )
    df, masks, found = read_for_detection(
        file,
        label_col=label_col,
        target_col=target_col,
        duplicates=duplicates,
        regular=bool(freq or fill_gaps),
        id_col=id_col,
        time_col=time_col,
        freq=freq,
        fill_gaps=fill_gaps,
        fill_nan=fill_nan,
        sep=sep,
        decimal=decimal,
        date_format=date_format,
        dayfirst=dayfirst,
    )
    if labels is not None and label_col is None:
        masks = label_masks(df, labels)
    line = found.warning(Path(file).name, duplicates)
    if line:
        typer.echo(line, err=True)
    return df, masks


def _detector(scorer, threshold, normaliser, refit, cooldown, seed, device, quiet):
    from tsrnn.anomaly.catalog import parse_scorer, set_shared
    from tsrnn.anomaly.detector import AnomalyDetector
    from tsrnn.anomaly.refit import Refit
    from tsrnn.errors import ConfigError

    sc = parse_scorer(scorer)
    set_shared(sc, seed=seed, device=device, quiet=quiet)
    rf = None
    if refit is not None:
        every, _, history = refit.partition(":")
        try:
            rf = Refit(int(every), int(history or 0))
        except ValueError:
            raise ConfigError(f"--refit '{refit}' is not N or N:H (whole numbers)") from None
    det = AnomalyDetector(
        scorer=sc, threshold=threshold, normaliser=normaliser, refit=rf, cooldown=cooldown
    )
    det.validate()
    return det


def _fit(det, df, train_frac, quiet):
    from tsrnn_cli.render import err

    from tsrnn.anomaly.split import train_part

    if not quiet:
        err.print(
            f"fitting {det.scorer_name()} on {df['unique_id'].nunique()} series ({len(df)} "
            f"rows, first {train_frac:.0%} of each)"
        )
    det.fit(train_part(df, train_frac))
    if not quiet:
        typer.echo(f"{det.threshold_summary()} (the first {train_frac:.0%})", err=True)


def _outputs(force, *paths):
    from tsrnn.output import Outputs

    outs = Outputs(force)
    for path, opt, kind in paths:
        outs.add(path, opt, kind)
    return outs


def _judge(det, df, masks, file, outs, output, events, plot, save_model, quiet, train_frac=None):
    """Judge df (the rows after each series' training part when train_frac is given; the scores
    run over every row, so a recurrent state is warm), write the outputs (all or none), print the
    metrics table or the events."""
    from tsrnn_cli.render import detection_table, err, table

    from tsrnn.anomaly.split import judged_part
    from tsrnn.output import frame_format, frame_writer

    out = det.detect(df)
    if train_frac is not None:
        out, masks = judged_part(out, train_frac, masks)
    ev = det.events(out)
    if not quiet:
        err.print(det.explain(out))
    with outs:  # every output to its temporary file first, then all moved into place (or none)
        if save_model is not None:
            outs.stage(save_model, lambda t: det.save(t, force=True))
        if output is not None:
            outs.stage(output, frame_writer(out, frame_format(output)))
        if events is not None:
            outs.stage(events, frame_writer(ev, frame_format(events)))
        if plot is not None:
            from tsrnn.anomaly.plot import plot_detections

            outs.stage(
                plot,
                lambda t: plot_detections(out, t, labels=masks, title=Path(file).name, force=True),
            )
        written = outs.commit()
    if not quiet:
        for p in written:
            err.print(f"wrote {p}")
    if masks is not None:
        from tsrnn.anomaly.evaluate import evaluate_frame

        detection_table(evaluate_frame(out, masks))
    elif not quiet or (output is None and events is None):
        table(ev, title=f"{len(ev)} anomalous event(s)")


@app.command("detect")
@handle_errors
def detect_command(
    file: FileArg,
    scorer: ScorerOpt = "forecast",
    threshold: ThresholdOpt = "pot:1e-3",
    normaliser: NormaliserOpt = None,
    refit: RefitOpt = None,
    cooldown: CooldownOpt = 64,
    train_frac: TrainFrac = 0.15,
    seed: Seed = 0,
    device: Device = "auto",
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target_col: TargetCol = None,
    freq: Freq = None,
    fill_gaps: FillGaps = None,
    fill_nan: FillNan = None,
    duplicates: Duplicates = "mean",
    sep: Sep = None,
    decimal: Decimal = None,
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
    irregular: Irregular = False,
    output: Output = None,
    events: EventsOut = None,
    plot: PlotOut = None,
    labels: LabelsOpt = None,
    save_model: SaveModel = None,
    event_gap: EventGap = 0,
    min_event_length: MinEvent = 1,
    threads: Threads = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Fit a detector on the first part of every series of FILE and find the anomalies in the rest;
    explain the threshold; score against labels. Several value columns (--target-col a,b) are
    judged jointly."""
    det = _detector(scorer, threshold, normaliser, refit, cooldown, seed, device, quiet)
    det.set_params(event_gap=event_gap, min_event_length=min_event_length)
    outs = _outputs(
        force,
        (output, "-o", "frame"),
        (events, "--events", "frame"),
        (plot, "--plot", "plot"),
        (save_model, "--save-model", "file"),
    )
    set_threads(threads)
    df, masks = _read(
        file,
        labels,
        id_col,
        time_col,
        target_col,
        freq,
        fill_gaps,
        fill_nan,
        duplicates,
        sep,
        decimal,
        date_format,
        dayfirst,
        quiet,
    )
    _fit(det, df, train_frac, quiet)
    _judge(det, df, masks, file, outs, output, events, plot, save_model, quiet, train_frac)


@app.command("detect-saved")
@handle_errors
def detect_saved_command(
    model: ModelArg,
    file: FileArg,
    threshold: ReThreshold = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target_col: TargetCol = None,
    freq: Freq = None,
    fill_gaps: FillGaps = None,
    fill_nan: FillNan = None,
    duplicates: Duplicates = "mean",
    sep: Sep = None,
    decimal: Decimal = None,
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
    irregular: Irregular = False,
    output: Output = None,
    events: EventsOut = None,
    plot: PlotOut = None,
    labels: LabelsOpt = None,
    event_gap: EventGap = 0,
    min_event_length: MinEvent = 1,
    threads: Threads = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Judge every series of FILE with the detector saved in MODEL (it judges as it was fitted)."""
    from tsrnn_cli.render import err

    from tsrnn.anomaly.detector import AnomalyDetector
    from tsrnn.anomaly.thresholds import parse_threshold

    if threshold is not None:
        parse_threshold(threshold)
    outs = _outputs(
        force, (output, "-o", "frame"), (events, "--events", "frame"), (plot, "--plot", "plot")
    )
    set_threads(threads)
    det = AnomalyDetector.load(model)
    det.set_params(event_gap=event_gap, min_event_length=min_event_length)
    if threshold is not None and threshold != det.threshold:
        det.refit_threshold(threshold)  # fitted again on the saved training scores
    df, masks = _read(
        file,
        labels,
        id_col,
        time_col,
        target_col,
        freq,
        fill_gaps,
        fill_nan,
        duplicates,
        sep,
        decimal,
        date_format,
        dayfirst,
        quiet,
    )
    if not quiet:
        err.print(
            f"judging {df['unique_id'].nunique()} series ({len(df)} rows) with the "
            f"{det.scorer_name()} detector in {model}"
        )
        typer.echo(det.threshold_summary(), err=True)
    _judge(det, df, masks, file, outs, output, events, plot, None, quiet)


@app.command("detect-stream")
@handle_errors
def detect_stream_command(
    file: FileArg,
    scorer: ScorerOpt = "forecast",
    threshold: ThresholdOpt = "pot:1e-3",
    normaliser: NormaliserOpt = None,
    refit: RefitOpt = None,
    cooldown: CooldownOpt = 64,
    seed: Seed = 0,
    device: Device = "auto",
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target_col: TargetCol = None,
    freq: Freq = None,
    fill_gaps: FillGaps = None,
    fill_nan: FillNan = None,
    duplicates: Duplicates = "mean",
    sep: Sep = None,
    decimal: Decimal = None,
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
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

    det = _detector(scorer, threshold, normaliser, refit, cooldown, seed, device, quiet)
    check_streamable(det.validate())
    outs = _outputs(force, (save_model, "--save-model", "file"))
    set_threads(threads)
    df, _ = _read(
        file,
        None,
        id_col,
        time_col,
        target_col,
        freq,
        fill_gaps,
        fill_nan,
        duplicates,
        sep,
        decimal,
        date_format,
        dayfirst,
        quiet,
    )
    _one_series(df, file)
    _fit(det, df, 1.0, quiet)
    if save_model is not None:
        with outs:
            outs.stage(save_model, lambda t: det.save(t, force=True))
            outs.commit()
        if not quiet:
            typer.echo(f"wrote {save_model}", err=True)
    _stream(det, df, stop=on_bad_line is BadLine.stop)


@app.command("detect-stream-saved")
@handle_errors
def detect_stream_saved_command(
    model: ModelArg,
    file: FileArg,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target_col: TargetCol = None,
    freq: Freq = None,
    fill_gaps: FillGaps = None,
    fill_nan: FillNan = None,
    duplicates: Duplicates = "mean",
    sep: Sep = None,
    decimal: Decimal = None,
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
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
    df, _ = _read(
        file,
        None,
        id_col,
        time_col,
        target_col,
        freq,
        fill_gaps,
        fill_nan,
        duplicates,
        sep,
        decimal,
        date_format,
        dayfirst,
        quiet,
    )
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
    import math

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
        try:
            v = [float(t) for t in text.split(",")]
            problem = (
                None if all(math.isfinite(x) for x in v) else "holds a value that is not finite"
            )
        except ValueError:
            v, problem = (
                [],
                "is not a number"
                + (f" (nor {n_cols} comma-separated numbers)" if n_cols > 1 else ""),
            )
        if problem is None and len(v) != n_cols:
            problem = f"holds {len(v)} value(s), not {n_cols}"
        if problem is not None:
            message = f"stdin line {n}: '{text}' {problem}"
            if stop:
                raise DataError(f"{message}; the stream stopped there (--on-bad-line stop)")
            typer.echo(f"warning: {message}; skipped", err=True)
            continue
        score, flag = st.update(v[0] if n_cols == 1 else v)
        sys.stdout.write(f"{text},{score:.6g},{st.threshold.value_:.6g},{int(flag)}\n")
        sys.stdout.flush()
