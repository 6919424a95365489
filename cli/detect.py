"""`tsrnn detect` and `tsrnn detect-saved`: fit a detector on the leading part of each series and
judge the rest, or judge with a saved detector. Each mode takes only the options that apply to it;
the library checks their values (tsrnn.anomaly.catalog, AnomalyDetector.validate). The streaming
modes (`detect-stream`, `detect-stream-saved`) live in cli/detect_stream.py."""

from __future__ import annotations

from pathlib import Path

import typer
from tsrnn_cli import detect_stream as _detect_stream  # noqa: F401  (registers the streaming modes)
from tsrnn_cli.base import app
from tsrnn_cli.common import handle_errors, set_threads
from tsrnn_cli.detect_options import (
    CooldownOpt,
    Device,
    EventGap,
    EventsOut,
    Irregular,
    LabelsOpt,
    MinEvent,
    ModelArg,
    NormaliserOpt,
    Output,
    RefitOpt,
    ReThreshold,
    SaveModel,
    ScorerOpt,
    Seed,
    ThresholdOpt,
    TrainFrac,
    build_detector,
    fit_detector,
    read_input,
    staged_outputs,
)
from tsrnn_cli.options import FileArg, Force, PlotOut, Quiet, Threads, read_options


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
@read_options(duplicates="mean")
def detect_command(
    file: FileArg,
    scorer: ScorerOpt = "tailmax",
    threshold: ThresholdOpt = "fixed:1.5",
    normaliser: NormaliserOpt = None,
    refit: RefitOpt = None,
    cooldown: CooldownOpt = 16,
    train_frac: TrainFrac = 0.15,
    seed: Seed = 0,
    device: Device = "auto",
    read: dict | None = None,
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
    det = build_detector(scorer, threshold, normaliser, refit, cooldown, seed, device, quiet)
    det.set_params(event_gap=event_gap, min_event_length=min_event_length)
    outs = staged_outputs(
        force,
        (output, "-o", "frame"),
        (events, "--events", "frame"),
        (plot, "--plot", "plot"),
        (save_model, "--save-model", "file"),
    )
    set_threads(threads)
    df, masks = read_input(file, labels, read)
    fit_detector(det, df, train_frac, quiet)
    _judge(det, df, masks, file, outs, output, events, plot, save_model, quiet, train_frac)


@app.command("detect-saved")
@handle_errors
@read_options(duplicates="mean")
def detect_saved_command(
    model: ModelArg,
    file: FileArg,
    threshold: ReThreshold = None,
    read: dict | None = None,
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
    outs = staged_outputs(
        force, (output, "-o", "frame"), (events, "--events", "frame"), (plot, "--plot", "plot")
    )
    set_threads(threads)
    det = AnomalyDetector.load(model)
    det.set_params(event_gap=event_gap, min_event_length=min_event_length)
    if threshold is not None and threshold != det.threshold:
        det.refit_threshold(threshold)  # fitted again on the saved training scores
    df, masks = read_input(file, labels, read)
    if not quiet:
        err.print(
            f"judging {df['unique_id'].nunique()} series ({len(df)} rows) with the "
            f"{det.scorer_name()} detector in {model}"
        )
        typer.echo(det.threshold_summary(), err=True)
    _judge(det, df, masks, file, outs, output, events, plot, None, quiet)
