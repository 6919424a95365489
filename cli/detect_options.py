"""What `tsrnn detect` and its modes share: option declarations (Annotated aliases; the read
options and --plot come from cli/options.py) and the steps every mode takes (read the input,
build and fit the detector, stage the outputs)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

ModelArg = Annotated[
    Path, typer.Argument(help="A detector file written by --save-model.", show_default=False)
]
ScorerOpt = Annotated[
    str,
    typer.Option(
        "--scorer",
        "-s",
        help=(
            "The scorer and its options: tailmax, forecast, autoencoder, zscore, stl, iforest, "
            "tail or ensemble, optionally name:key=value,... e.g. zscore:window=288, "
            "forecast:window=64,hidden=32,input_norm=64,error=scaled, "
            "ensemble:members=zscore+tail+forecast, tailmax:members=zscore+tail,window=48. "
            "Default: tailmax, the cross-validated NAB choice (two LSTM forecast errors, a "
            "rolling z-score and a level shift, each over its own 1e-3 tail level, max over the "
            "four)."
        ),
    ),
]
ThresholdOpt = Annotated[
    str,
    typer.Option(
        "--threshold",
        "-t",
        help=(
            "pot[:risk], spot[:risk], dynamic[:p], quantile:Q, contamination:C, sigma:K or fixed:V."
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
            "Score normaliser: local:64 (each score divided by the mean of the 64 before it), "
            "likelihood[:short] or tailratio:spot:1e-3 (over the tail level). Default: none."
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
            "Fit on the first fraction of each series and judge the rest (1: all of it, in-sample)."
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


def read_input(file, labels, read: dict):
    """The frame, its label masks (or None) and one warning line for what was found."""
    from tsrnn.anomaly.reading import read_labelled

    df, masks, found = read_labelled(file, labels, read)
    line = found.warning(Path(file).name, read["duplicates"])
    if line:
        typer.echo(line, err=True)
    return df, masks


def build_detector(scorer, threshold, normaliser, refit, cooldown, seed, device, quiet):
    from tsrnn.anomaly.catalog import parse_scorer, set_shared
    from tsrnn.anomaly.detector import AnomalyDetector
    from tsrnn.anomaly.refit import Refit

    sc = parse_scorer(scorer)
    set_shared(sc, seed=seed, device=device, quiet=quiet)
    rf = None if refit is None else Refit.parse(refit)
    det = AnomalyDetector(
        scorer=sc, threshold=threshold, normaliser=normaliser, refit=rf, cooldown=cooldown
    )
    det.validate()
    return det


def fit_detector(det, df, train_frac, quiet):
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


def staged_outputs(force, *paths):
    from tsrnn.output import Outputs

    outs = Outputs(force)
    for path, opt, kind in paths:
        outs.add(path, opt, kind)
    return outs
