"""`tsrnn backtest`: rolling-origin backtest of several models, table sorted by MASE."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import budget_seconds, handle_errors, refuse_given, set_threads, split_list
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
    Horizon,
    IdCol,
    Level,
    Quiet,
    SeasonLength,
    Sep,
    TargetCol,
    TimeBudget,
    TimeCol,
    TrainThreads,
    read,
)


@app.command("backtest")
@handle_errors
def backtest_command(
    ctx: typer.Context,
    file: FileArg,
    models: Annotated[str, typer.Option("--models", help="Comma-separated model names, e.g. snaive,ets,arima,theta,lstm.")] = "naive,snaive,ets,theta",
    windows: Annotated[int, typer.Option("--windows", min=1, help="Number of forecast origins.")] = 3,
    horizon: Horizon = None,
    step: Annotated[int | None, typer.Option("--step", min=1, help="Steps between origins (default: horizon).")] = None,
    refit: Annotated[bool, typer.Option("--refit/--no-refit", help="Refit at every origin, or fit once and forecast later origins from their history.")] = True,
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
    level: Level = None,
    season_length: SeasonLength = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Training epochs (neural models).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda (neural models).")] = "auto",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write per series × window × model metrics (.csv/.parquet).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Processes (-1: all cores): with --refit, the fits of every window and model in parallel; with --no-refit, the series of each statistical fit.")] = 1,
    force: Force = False,
    quiet: Quiet = False,
    threads: TrainThreads = None,
    time_budget: TimeBudget = None,
) -> None:
    """Backtest models on FILE and print mean metrics per model, best MASE first."""
    from tsrnn_cli.forecast import default_horizon
    from tsrnn_cli.render import err, table

    from tsrnn.backtest import backtest
    from tsrnn.frames import parse_levels
    from tsrnn.output import Outputs, frame_format, frame_writer
    from tsrnn.registry import check_models, is_neural, make_estimator

    # every option is checked before the data is read or anything is fitted
    keys = check_models(split_list(models), "--models")
    if not any(is_neural(k) for k in keys):
        refuse_given(ctx, ("epochs", "seed", "device", "threads", "time_budget"),
                     f"to the statistical models of --models {models}")
    if not refit and all(is_neural(k) for k in keys):
        refuse_given(ctx, ("jobs",), f"with --no-refit to the neural models of --models {models}")
    parse_levels(level)
    budget = budget_seconds(time_budget)
    set_threads(threads)
    outs = Outputs(force)
    outs.add(output, "-o", "frame")
    df = read(file, id_col, time_col, target_col, freq, fill_gaps, fill_nan, duplicates,
              sep, decimal, date_format, dayfirst)
    h = horizon or default_horizon(df.attrs["freq"])
    ests = [make_estimator(k, h, season_length=season_length, epochs=epochs, seed=seed, device=device, quiet=True,
                           n_jobs=jobs, threads=threads or "auto", time_budget=budget) for k in keys]
    if not quiet:
        err.print(f"backtesting {', '.join(e.alias for e in ests)} on {df['unique_id'].nunique()} series, "
                  f"{windows} window(s), horizon {h}")
    res = backtest(df, ests, horizon=h, windows=windows, step=step, refit=refit, level=level,
                   season_length=season_length, n_jobs=jobs)
    if output is not None:
        with outs:
            outs.stage(output, frame_writer(res.metrics, frame_format(output)))
            outs.commit()
        if not quiet:
            err.print(f"wrote {output} ({len(res.metrics)} rows)")
    table(res.summary(), title=f"backtest: {Path(file).name} (mean over series and windows)")
