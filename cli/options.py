"""Option declarations shared by several commands (Annotated aliases), and the read options
declared once for every command that reads a series file (`read_options`)."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Annotated

import typer

FileArg = Annotated[
    Path, typer.Argument(help="CSV, Parquet or .tsf file with the series.", show_default=False)
]
IdCol = Annotated[
    str | None, typer.Option("--id-col", help="Column naming the series (long format).")
]
TimeCol = Annotated[
    str | None, typer.Option("--time-col", help="Timestamp column (default: detected).")
]
TargetCol = Annotated[
    str | None, typer.Option("--target-col", help="Value column(s), comma-separated.")
]
Freq = Annotated[
    str | None,
    typer.Option(
        "--freq", help="Pandas frequency alias (h, 30min, D, W, MS, QS, YS); default: inferred."
    ),
]
FillGaps = Annotated[
    str | None,
    typer.Option(
        "--fill-gaps", help="Fill missing timestamps: interpolate, ffill or zero (default: error)."
    ),
]
FillNan = Annotated[
    str | None,
    typer.Option(
        "--fill-nan", help="Fill missing values: interpolate, ffill or zero (default: error)."
    ),
]
Duplicates = Annotated[
    str,
    typer.Option(
        "--duplicates", help="Rows of one series at the same timestamp: error, first, last or mean."
    ),
]
Sep = Annotated[
    str | None,
    typer.Option(
        "--sep",
        help="CSV column separator: ',', ';', 'tab' or another character (default: detected among "
        "comma, semicolon, tab).",
    ),
]
Decimal = Annotated[
    str | None,
    typer.Option("--decimal", help="Decimal mark of the values: '.' or ',' (default: detected)."),
]
DateFormat = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="strftime format of every timestamp, e.g. %d/%m/%Y or %Y-%m-%d %H:%M (default: one "
        "format inferred for the column).",
    ),
]
DayFirst = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Read dates such as 01/02/2020 day-first (1 February) or month-first (2 January); "
        "without either, a column that reads both ways is refused.",
        show_default=False,
    ),
]
Threads = Annotated[
    int | None,
    typer.Option("--threads", min=1, help="CPU threads for torch (default: torch's own choice)."),
]
TrainThreads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="CPU threads for torch (default: OMP_NUM_THREADS, else 1 while training on CPU, the "
        "fastest here).",
    ),
]
TimeBudget = Annotated[
    str | None,
    typer.Option(
        "--time-budget",
        help="Stop training neural models after this long, keeping the best validation weights: "
        "seconds or e.g. 90s, 10m, 1h (default: a step budget of about 10 min on 2 CPU cores; see "
        "--help of train).",
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
Horizon = Annotated[
    int | None,
    typer.Option(
        "--horizon",
        min=1,
        help="Steps to forecast (default: one season; 6 for yearly or unknown seasons).",
    ),
]
Level = Annotated[
    str | None, typer.Option("--level", help="Interval levels in percent, e.g. 80,95.")
]
SeasonLength = Annotated[
    int | None,
    typer.Option("--season-length", min=1, help="Season length (default: from the frequency)."),
]


# name → (declaration, default) of every option that says how to read the input file
READ_OPTIONS = {
    "id_col": (IdCol, None),
    "time_col": (TimeCol, None),
    "target_col": (TargetCol, None),
    "freq": (Freq, None),
    "fill_gaps": (FillGaps, None),
    "fill_nan": (FillNan, None),
    "duplicates": (Duplicates, "error"),
    "sep": (Sep, None),
    "decimal": (Decimal, None),
    "date_format": (DateFormat, None),
    "dayfirst": (DayFirst, None),
}


def read_kwargs(
    id_col=None,
    time_col=None,
    target_col=None,
    freq=None,
    fill_gaps=None,
    fill_nan=None,
    duplicates="error",
    sep=None,
    decimal=None,
    date_format=None,
    dayfirst=None,
) -> dict:
    """The read options as tsrnn.read_series keyword arguments."""
    return dict(
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        freq=freq,
        fill_gaps=fill_gaps,
        fill_nan=fill_nan,
        duplicates=duplicates,
        sep=sep,
        decimal=decimal,
        date_format=date_format,
        dayfirst=dayfirst,
    )


def read_frame(file: Path, kwargs: dict):
    """tsrnn.read_series(file, **kwargs) (kwargs from read_kwargs or `read_options`)."""
    from tsrnn.data.io import read_series

    return read_series(file, **kwargs)


def read_options(fn=None, *, duplicates: str = "error"):
    """Declare the read options (READ_OPTIONS: --id-col … --dayfirst/--monthfirst) on command
    `fn` once: the command takes one parameter `read` where the options are to appear (in its
    signature and in --help) and receives them there as one dict, the read_series keyword
    arguments (read_kwargs). `duplicates` is the command's default for --duplicates
    (`@read_options(duplicates="mean")`: the detectors merge repeated timestamps by default).

    A command adopts the group by taking `read: dict | None = None` instead of the eleven options
    and placing `@read_options` under `@handle_errors`::

        @app.command("detect")
        @handle_errors
        @read_options(duplicates="mean")
        def detect_command(file: FileArg, ..., read: dict | None = None, ...) -> None:
            df = read_frame(file, read)
    """
    if fn is None:
        return functools.partial(read_options, duplicates=duplicates)
    defaults = {name: default for name, (_, default) in READ_OPTIONS.items()}
    defaults["duplicates"] = duplicates
    sig = inspect.signature(fn, eval_str=True)
    names = list(sig.parameters)
    at = names.index("read")  # the group takes the place of `read` (and its place in --help)
    own = [p for p in sig.parameters.values() if p.name != "read"]
    kw = inspect.Parameter.KEYWORD_ONLY  # typer passes every option by name
    extra = [
        inspect.Parameter(name, kw, default=defaults[name], annotation=decl)
        for name, (decl, _) in READ_OPTIONS.items()
    ]
    first, rest = own[:at], [p.replace(kind=kw) for p in own[at:]]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name, default) for name, default in defaults.items()}
        return fn(*args, read=read_kwargs(**values), **kwargs)

    wrapper.__signature__ = sig.replace(parameters=[*first, *extra, *rest])
    wrapper.__annotations__ = {
        p.name: p.annotation for p in wrapper.__signature__.parameters.values()
    } | {"return": sig.return_annotation}
    return wrapper


Jobs = Annotated[
    int,
    typer.Option("--jobs", "-j", help="Processes for per-series statistical fits (-1: all cores)."),
]

# model and training options shared by the commands that fit forecasters (forecast, backtest)
Epochs = Annotated[
    int | None, typer.Option("--epochs", min=1, help="Training epochs (neural models).")
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (neural models).")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda (neural models).")]
# output options shared by the commands that write a frame and a plot (forecast, detect)
PlotOut = Annotated[
    Path | None, typer.Option("--plot", help="Write a plot here (.png, .svg or .pdf).")
]
