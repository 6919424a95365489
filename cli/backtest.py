"""`tsrnn backtest`: rolling-origin backtest of several models, table sorted by MASE."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import (
    budget_seconds,
    handle_errors,
    model_options,
    option_name,
    refuse_given,
    set_threads,
    split_list,
)
from tsrnn_cli.options import (
    Device,
    Epochs,
    FileArg,
    Force,
    Horizon,
    Level,
    Quiet,
    SeasonLength,
    Seed,
    TimeBudget,
    TrainThreads,
    read_frame,
    read_options,
)


@app.command("backtest")
@handle_errors
@read_options
def backtest_command(
    ctx: typer.Context,
    file: FileArg,
    models: Annotated[
        str,
        typer.Option(
            "--models", help="Comma-separated model names, e.g. snaive,ets,arima,theta,lstm."
        ),
    ] = "naive,snaive,ets,theta",
    windows: Annotated[
        int, typer.Option("--windows", min=1, help="Number of forecast origins.")
    ] = 3,
    horizon: Horizon = None,
    step: Annotated[
        int | None, typer.Option("--step", min=1, help="Steps between origins (default: horizon).")
    ] = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="Refit at every origin, or fit once and forecast later origins from their "
            "history.",
        ),
    ] = True,
    read: dict | None = None,
    level: Level = None,
    season_length: SeasonLength = None,
    epochs: Epochs = None,
    seed: Seed = 0,
    device: Device = "auto",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write per series × window × model metrics (.csv/.parquet)."
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Processes (-1: all cores): with --refit, the fits of every window and model in "
            "parallel; with --no-refit, the series of each statistical fit.",
        ),
    ] = 1,
    force: Force = False,
    quiet: Quiet = False,
    threads: TrainThreads = None,
    time_budget: TimeBudget = None,
) -> None:
    """Backtest models on FILE and print mean metrics per model, best MASE first."""
    from tsrnn_cli.render import err, table

    from tsrnn.backtesting import backtest
    from tsrnn.data.freq import default_horizon
    from tsrnn.frames import parse_levels
    from tsrnn.output import Outputs, frame_format, frame_writer
    from tsrnn.registry import check_models, is_neural, make_models

    # every option is checked before the data is read or anything is fitted
    keys = check_models(split_list(models), "--models")
    if not refit and all(is_neural(k) for k in keys):
        refuse_given(ctx, ("jobs",), f"with --no-refit to the neural models of --models {models}")
    opts = model_options(
        ctx, ("epochs", "seed", "device", "threads"), time_budget=budget_seconds(time_budget)
    )
    if any(is_neural(k) for k in keys):
        opts["quiet"] = True
    ests = make_models(keys, opts, flag=lambda n: option_name(ctx, n))
    parse_levels(level)
    set_threads(threads)
    outs = Outputs(force)
    outs.add(output, "-o", "frame")
    df = read_frame(file, read)
    h = horizon or default_horizon(df.attrs["freq"])
    if not quiet:
        err.print(
            f"backtesting {', '.join(e.label() for e in ests)} on "
            f"{df['unique_id'].nunique()} series, "
            f"{windows} window(s), horizon {h}"
        )
    res = backtest(
        df,
        ests,
        horizon=h,
        windows=windows,
        step=step,
        refit=refit,
        level=level,
        season_length=season_length,
        n_jobs=jobs,
    )
    if output is not None:
        with outs:
            outs.stage(output, frame_writer(res.metrics, frame_format(output)))
            outs.commit()
        if not quiet:
            err.print(f"wrote {output} ({len(res.metrics)} rows)")
    table(res.summary(), title=f"backtest: {Path(file).name} (mean over series and windows)")
