"""Option declarations shared by several commands (Annotated aliases)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FileArg = Annotated[Path, typer.Argument(help="CSV, Parquet or .tsf file with the series.", show_default=False)]
IdCol = Annotated[str | None, typer.Option("--id-col", help="Column naming the series (long format).")]
TimeCol = Annotated[str | None, typer.Option("--time-col", help="Timestamp column (default: detected).")]
TargetCol = Annotated[str | None, typer.Option("--target-col", help="Value column(s), comma-separated.")]
Freq = Annotated[str | None, typer.Option("--freq", help="Pandas frequency alias (h, 30min, D, W, MS, QS, YS); default: inferred.")]
FillGaps = Annotated[str | None, typer.Option("--fill-gaps", help="Fill missing timestamps: interpolate, ffill or zero (default: error).")]
FillNan = Annotated[str | None, typer.Option("--fill-nan", help="Fill missing values: interpolate, ffill or zero (default: error).")]
Duplicates = Annotated[str, typer.Option("--duplicates", help="Rows of one series at the same timestamp: error, first, last or mean.")]
Sep = Annotated[str | None, typer.Option("--sep", help="CSV column separator: ',', ';', 'tab' or another character (default: detected among comma, semicolon, tab).")]
Decimal = Annotated[str | None, typer.Option("--decimal", help="Decimal mark of the values: '.' or ',' (default: detected).")]
DateFormat = Annotated[str | None, typer.Option("--date-format", help="strftime format of every timestamp, e.g. %d/%m/%Y or %Y-%m-%d %H:%M (default: one format inferred for the column).")]
DayFirst = Annotated[bool | None, typer.Option("--dayfirst/--monthfirst", help="Read dates such as 01/02/2020 day-first (1 February) or month-first (2 January); without either, a column that reads both ways is refused.", show_default=False)]
Threads = Annotated[int | None, typer.Option("--threads", min=1, help="CPU threads for torch (default: torch's own choice).")]
TrainThreads = Annotated[int | None, typer.Option(
    "--threads", min=1,
    help="CPU threads for torch (default: OMP_NUM_THREADS, else 1 while training on CPU, the fastest here).")]
TimeBudget = Annotated[str | None, typer.Option(
    "--time-budget",
    help="Stop training neural models after this long, keeping the best validation weights: seconds or "
         "e.g. 90s, 10m, 1h (default: a step budget of about 10 min on 2 CPU cores; see --help of train).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
Horizon = Annotated[int | None, typer.Option("--horizon", min=1, help="Steps to forecast (default: one season; 6 for yearly or unknown seasons).")]
Level = Annotated[str | None, typer.Option("--level", help="Interval levels in percent, e.g. 80,95.")]
SeasonLength = Annotated[int | None, typer.Option("--season-length", min=1, help="Season length (default: from the frequency).")]


def read(file: Path, id_col, time_col, target_col, freq, fill_gaps, fill_nan=None, duplicates="error",
         sep=None, decimal=None, date_format=None, dayfirst=None):
    """read_series with the CLI's options."""
    from tsrnn.data.io import read_series

    return read_series(file, id_col=id_col, time_col=time_col, target_col=target_col, freq=freq,
                       fill_gaps=fill_gaps, fill_nan=fill_nan, duplicates=duplicates, sep=sep,
                       decimal=decimal, date_format=date_format, dayfirst=dayfirst)

Jobs = Annotated[int, typer.Option("--jobs", "-j", help="Processes for per-series statistical fits (-1: all cores).")]
