"""`tsrnn detect`: read a file, fit a detector, score and judge every point, write scores, events
and a plot, and — given labels — print how good the detection was. `--stream` scores values read
from stdin one at a time after fitting on FILE."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import given, handle_errors, refuse_given, set_threads
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

Method = Annotated[str | None, typer.Option("--method", "-m", help="autoencoder, forecast, zscore, stl or iforest (default: forecast; with --model-file, the saved detector's).", show_default=False)]
ThresholdOpt = Annotated[str | None, typer.Option("--threshold", "-t", help="pot[:risk], spot[:risk], dynamic[:p], quantile:Q, contamination:C, sigma:K or fixed:V (default: pot; with --model-file, the saved detector's).", show_default=False)]


def _read_with_labels(file, id_col, time_col, target_col, freq, fill_gaps, fill_nan, label_col, duplicates="error",
                      regular=True, sep=None, decimal=None, date_format=None, dayfirst=None):
    """read_series, keeping a 0/1 label column aside when --label-col is given."""
    from tsrnn.data.io import read_series

    opts = dict(id_col=id_col, time_col=time_col, freq=freq, fill_gaps=fill_gaps, fill_nan=fill_nan,
                duplicates=duplicates, regular=regular, sep=sep, decimal=decimal,
                date_format=date_format, dayfirst=dayfirst)
    if label_col is None:
        return read_series(file, target_col=target_col, **opts), None
    import pandas as pd

    from tsrnn.data.io import ID_CANDIDATES, TIME_CANDIDATES, read_columns, read_head
    from tsrnn.errors import DataError

    cols = read_columns(file, sep=sep)
    if label_col not in cols:
        raise DataError(f"{file}: label column '{label_col}' (given by --label-col) not found; columns are: {', '.join(cols)}")
    if target_col is None:
        head = read_head(file, rows=50, sep=sep)
        skip = {label_col, time_col, id_col} | {c for c in cols if c.lower() in TIME_CANDIDATES + ID_CANDIDATES}
        rest = [c for c in cols if c not in skip and pd.to_numeric(head[c], errors="coerce").notna().mean() > 0.9]
        if len(rest) != 1:
            raise DataError(f"{file}: cannot tell the value column apart from --label-col '{label_col}'; pass --target-col")
        target_col = rest[0]
    targets = [t.strip() for t in target_col.split(",") if t.strip()]
    df = read_series(file, target_col=targets + [label_col], **opts)
    lab = df[label_col].to_numpy()
    bad = ~((lab == 0) | (lab == 1))
    if bad.any():
        i = int(bad.argmax())
        raise DataError(f"{file}: label column '{label_col}' holds {lab[i]!r} (series '{df['unique_id'].iat[i]}', "
                        f"{df['ds'].iat[i]}); labels must be 0 or 1")
    attrs = dict(df.attrs)
    df = df.drop(columns=[label_col])
    if len(targets) == 1:
        df = df.rename(columns={targets[0]: "y"})
        targets = ["y"]
    attrs["targets"] = targets
    df.attrs.update(attrs)
    masks = {uid: (g.to_numpy() == 1) for uid, g in pd.Series(lab, index=df["unique_id"]).groupby(level=0, sort=False)}
    return df, masks


def _label_masks(df, labels_path):
    from tsrnn.anomaly.labels import label_mask, read_labels, windows_to_index

    ids = list(dict.fromkeys(df["unique_id"]))
    wins = read_labels(labels_path, ids)
    masks = {}
    for uid, g in df.groupby("unique_id", sort=False):
        idx = windows_to_index(g["ds"].to_numpy(), wins.get(uid, []), where=f"{labels_path}: series '{uid}'")
        masks[uid] = label_mask(len(g), idx)
    return masks


def _train_part(df, frac: float):
    import math

    parts = [g.iloc[: max(1, math.ceil(frac * len(g)))] for _, g in df.groupby("unique_id", sort=False)]
    import pandas as pd

    train = pd.concat(parts, ignore_index=True)
    train.attrs.update(df.attrs)
    return train


# options that shape the fit; a saved detector (--model-file) was fitted with its own
RECURRENT = ("autoencoder", "forecast")
# the options each method takes (beyond those every method takes); the others are an error
METHOD_OPTIONS = {
    "hidden": RECURRENT, "epochs": RECURRENT, "device": RECURRENT,
    "seed": (*RECURRENT, "iforest"), "window": (*RECURRENT, "zscore", "iforest"), "period": ("stl",),
}  # --input-norm, --error, --refit-history: AnomalyDetector checks them before it fits
STREAM_METHODS = ("forecast", "zscore")  # those with a one-step streamer (tsrnn.anomaly.streaming)
FIT_OPTIONS = ("window", "hidden", "epochs", "period", "train_frac", "calibration", "local_norm", "input_norm", "error",
               "refit_every", "refit_history", "seed")


@app.command("detect")
@handle_errors
def detect_command(
    ctx: typer.Context,
    file: FileArg,
    method: Method = None,
    threshold: ThresholdOpt = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target_col: TargetCol = None,
    freq: Freq = None,
    fill_gaps: FillGaps = None,
    fill_nan: FillNan = None,
    duplicates: Duplicates = "error",
    sep: Sep = None,
    decimal: Decimal = None,
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
    irregular: Annotated[bool, typer.Option("--irregular", help="Keep the timestamps as given: gaps and off-grid times allowed, nothing filled.")] = False,
    window: Annotated[int, typer.Option("--window", min=2, help="Window / look-back length in points.")] = 32,
    hidden: Annotated[int, typer.Option("--hidden", min=1, help="Hidden units (recurrent methods).")] = 32,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Training epochs (recurrent methods).")] = 10,
    period: Annotated[int | None, typer.Option("--period", min=2, help="STL season length (default: from the frequency).")] = None,
    train_frac: Annotated[float, typer.Option("--train-frac", min=0.01, max=1.0, help="Fit on the first fraction of each series (1 = all of it).")] = 1.0,
    calibration: Annotated[float, typer.Option("--calibration", min=0.0, max=0.9, help="Share of the training part held out from the model's fit; thresholds then see out-of-sample scores.")] = 0.0,
    local_norm: Annotated[int, typer.Option("--local-norm", min=0, help="Divide each score by the mean of the N scores before it (surprise relative to the recent error level; 0: off).")] = 0,
    input_norm: Annotated[int, typer.Option("--input-norm", min=0, help="forecast method: the network sees each value standardised by the mean and std of the N values before it, so level and scale drift stop mattering (0: off).")] = 0,
    error: Annotated[str, typer.Option("--error", help="forecast method: abs (|x - prediction|) or scaled (divided by the error scale the network predicts for that point).")] = "abs",
    refit_every: Annotated[int, typer.Option("--refit-every", min=0, help="Online adaptation: after the training part, refit the detector every N points on the series so far; each refit judges the next N points (0: off).")] = 0,
    refit_history: Annotated[int, typer.Option("--refit-history", min=0, help="With --refit-every: refit on the last N points only (0: all of the series so far).")] = 0,
    event_gap: Annotated[int, typer.Option("--event-gap", min=0, help="Merge events separated by at most this many normal points.")] = 0,
    min_event_length: Annotated[int, typer.Option("--min-event-length", min=1, help="Drop events shorter than this.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda (recurrent methods).")] = "auto",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write per-point scores here (.csv or .parquet).")] = None,
    events: Annotated[Path | None, typer.Option("--events", help="Write the merged events here (.csv or .parquet).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a plot here (.png, .svg or .pdf).")] = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="JSON labels: windows or timestamps per series (NAB format).")] = None,
    label_col: Annotated[str | None, typer.Option("--label-col", help="0/1 label column of FILE.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Fit on FILE (or load --model-file) and run through its values, then score values read from stdin, one line out per value.")] = False,
    model_file: Annotated[Path | None, typer.Option("--model-file", help="Judge with a detector saved by --save-model instead of fitting one (fitting options are then an error; -t re-thresholds, --event-gap/--min-event-length/--device apply).")] = None,
    save_model: Annotated[Path | None, typer.Option("--save-model", help="Write the fitted detector here (safetensors + JSON).")] = None,
    on_bad_line: Annotated[str, typer.Option("--on-bad-line", help="--stream: a stdin line that is not a value is reported on stderr and skipped, or stops the stream with exit status 2.")] = "skip",
    threads: Threads = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Find the anomalies of every series of FILE; explain the threshold; score against labels."""
    from tsrnn_cli.render import err, table

    from tsrnn.anomaly.detector import METHODS, AnomalyDetector
    from tsrnn.anomaly.thresholds import parse_threshold
    from tsrnn.errors import ConfigError
    from tsrnn.output import Outputs, frame_format, frame_writer

    # every option is checked before the data is read or anything is fitted
    if method is not None and method not in METHODS:
        raise ConfigError(f"--method '{method}' is unknown; use one of {', '.join(METHODS)}")
    if threshold is not None:
        parse_threshold(threshold)
    if labels is not None and label_col is not None:
        raise ConfigError("give labels either as --labels FILE or as --label-col COL, not both")
    if model_file is not None and save_model is not None:
        raise ConfigError("--model-file judges with a saved detector and fits nothing; --save-model has nothing to write")
    if stream and (output or events or plot or labels or label_col):
        raise ConfigError("--stream writes one line per value to stdout; it takes no -o/--events/--plot/labels")
    if on_bad_line not in ("skip", "stop"):
        raise ConfigError(f"--on-bad-line '{on_bad_line}' is unknown; use skip or stop")
    if stream:
        refuse_given(ctx, ("event_gap", "min_event_length"), "with --stream (it writes no events)")
    else:
        refuse_given(ctx, ("on_bad_line",), "without --stream")
    if model_file is not None:
        fitting = [f"--{n.replace('_', '-')}" for n in FIT_OPTIONS if given(ctx, n)]
        if fitting:
            raise ConfigError(f"{', '.join(fitting)} {'is a fitting option' if len(fitting) == 1 else 'are fitting options'}"
                              f"; {model_file} judges as it was fitted: drop {'it' if len(fitting) == 1 else 'them'}, "
                              "or fit a new detector without --model-file")
    else:
        _check_method_options(ctx, method or "forecast")
        if stream and (method or "forecast") not in STREAM_METHODS:
            raise ConfigError(f"streaming supports the methods {' and '.join(STREAM_METHODS)}, not '{method}'")
    if labels is not None and not labels.exists():
        raise ConfigError(f"{labels}: labels file not found (given by --labels)")
    outs = Outputs(force)
    for path, opt, kind in ((output, "-o", "frame"), (events, "--events", "frame"), (plot, "--plot", "plot"),
                            (save_model, "--save-model", "file")):
        outs.add(path, opt, kind)

    set_threads(threads)
    df, masks = _read_with_labels(file, id_col, time_col, target_col, freq, fill_gaps, fill_nan, label_col,
                                  duplicates, regular=not irregular, sep=sep, decimal=decimal,
                                  date_format=date_format, dayfirst=dayfirst)
    if labels is not None:
        masks = _label_masks(df, labels)
    n_series = df["unique_id"].nunique()
    if stream and n_series != 1:
        raise ConfigError(f"--stream scores one series; {file} holds {n_series}")
    if model_file is not None:
        det = AnomalyDetector.load(model_file)
        if method is not None and method != det.method:
            raise ConfigError(f"{model_file} holds a {det.method} detector, not {method}; drop --method to use it, "
                              "or fit a new detector without --model-file")
        if det.method not in RECURRENT:
            refuse_given(ctx, ("device",), f"to the {det.method} detector in {model_file}")
        for name, value in (("event_gap", event_gap), ("min_event_length", min_event_length), ("device", device)):
            if given(ctx, name):
                setattr(det, name, value)  # how events are merged, where online refits train
        det.quiet = quiet
        if threshold is not None and threshold != det.threshold:
            det.refit_threshold(threshold)  # fitted again on the saved training scores
        if not quiet:
            err.print(f"judging {n_series} series ({len(df)} rows) with the {det.method} detector in {model_file}")
    else:
        method = method or "forecast"
        det = AnomalyDetector(method=method, threshold=threshold or "pot", window=window, hidden=hidden, epochs=epochs,
                              period=period, calibration=calibration, local_norm=local_norm, input_norm=input_norm,
                              error=error, refit_every=refit_every, refit_history=refit_history, event_gap=event_gap,
                              min_event_length=min_event_length, seed=seed, device=device, quiet=quiet)
        if not quiet:
            err.print(f"fitting {method} on {n_series} series ({len(df)} rows, first {train_frac:.0%} of each)")
        det.fit(_train_part(df, train_frac))
    if stream:
        if save_model is not None:
            with outs:
                outs.stage(save_model, lambda t: det.save(t, force=True))
                outs.commit()
            if not quiet:
                err.print(f"wrote {save_model}")
        _stream(det, df, stop=on_bad_line == "stop")
        return
    out = det.detect(df)
    ev = det.events(out)
    if not quiet:
        err.print(det.explain())
    with outs:  # every output to its temporary file first, then all moved into place (or none)
        if save_model is not None:
            outs.stage(save_model, lambda t: det.save(t, force=True))
        if output is not None:
            outs.stage(output, frame_writer(out, frame_format(output)))
        if events is not None:
            outs.stage(events, frame_writer(ev, frame_format(events)))
        if plot is not None:
            from tsrnn.anomaly.plot import plot_detections

            outs.stage(plot, lambda t: plot_detections(out, t, labels=masks, title=Path(file).name, force=True))
        written = outs.commit()
    if not quiet:
        for p in written:
            err.print(f"wrote {p}")
    if masks is not None:
        from tsrnn.anomaly.evaluate import evaluate_frame

        m = evaluate_frame(out, masks)
        names = {"unique_id": "series", "point_precision": "P", "point_recall": "R", "point_f1": "F1",
                 "event_f1": "event F1", "pa_f1": "PA-F1*", "auc_pr": "AUC-PR", "nab": "NAB"}
        shown = m[list(names)].rename(columns=names)
        for c in list(names.values())[1:]:
            fmt = "{:.1f}" if c == "NAB" else "{:.3f}"
            shown[c] = shown[c].map(lambda v, fmt=fmt: "nan" if v != v else fmt.format(v))
        table(shown, title="detection vs labels (* point-adjusted F1: optimistic)")
    elif not quiet or (output is None and events is None):
        table(ev, title=f"{len(ev)} anomalous event(s)")


def _check_method_options(ctx: typer.Context, method: str) -> None:
    """ConfigError naming every given option that `method` does not take (METHOD_OPTIONS)."""
    unused = [name for name, methods in METHOD_OPTIONS.items() if method not in methods]
    refuse_given(ctx, unused, f"to the {method} method")


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
            problem = None if all(math.isfinite(x) for x in v) else "holds a value that is not finite"
        except ValueError:
            v, problem = [], "is not a number" + (f" (nor {n_cols} comma-separated numbers)" if n_cols > 1 else "")
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
