"""`tsrnn forecast`: read a file, fit a model (or load one), forecast, write CSV/plot, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import (
    budget_seconds,
    given,
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
    Jobs,
    Level,
    PlotOut,
    Quiet,
    SeasonLength,
    Seed,
    TimeBudget,
    TrainThreads,
    read_frame,
    read_options,
)


@app.command("forecast")
@handle_errors
@read_options
def forecast_command(
    ctx: typer.Context,
    file: FileArg,
    horizon: Horizon = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="Model name(s), comma-separated: naive, snaive, drift, mean, ets, arima, theta, "
            "rnn, lstm, gru, seq2seq.",
        ),
    ] = "ets",
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model-file",
            help="Forecast with a saved model (from `tsrnn train`) instead of fitting one.",
        ),
    ] = None,
    backend: Annotated[
        str, typer.Option("--backend", help="Back end for --model-file: torch or numba.")
    ] = "torch",
    read: dict | None = None,
    level: Level = None,
    season_length: SeasonLength = None,
    epochs: Epochs = None,
    seed: Seed = 0,
    device: Device = "auto",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the forecast frame here (.csv or .parquet)."),
    ] = None,
    plot: PlotOut = None,
    plot_series: Annotated[
        int, typer.Option("--plot-series", min=1, help="Series shown in the plot (the first N).")
    ] = 6,
    jobs: Jobs = 1,
    force: Force = False,
    quiet: Quiet = False,
    threads: TrainThreads = None,
    time_budget: TimeBudget = None,
) -> None:
    """Forecast every series of FILE HORIZON steps ahead."""
    from tsrnn_cli.render import err, table

    from tsrnn.core import Forecast
    from tsrnn.data.freq import default_horizon
    from tsrnn.errors import ConfigError
    from tsrnn.frames import parse_levels
    from tsrnn.output import Outputs, frame_format, frame_writer
    from tsrnn.registry import check_models, is_neural, make_models

    # every option is checked before the data is read or anything is fitted
    if model_file is not None:
        refuse_given(
            ctx,
            ("model", "season_length", "epochs", "seed", "jobs", "time_budget"),
            f"with --model-file: {model_file} forecasts as it was fitted",
        )
        if backend not in ("torch", "numba"):
            raise ConfigError(f"--backend '{backend}' is unknown; use torch or numba")
        if backend == "numba":
            refuse_given(ctx, ("device",), "with --backend numba (it runs on the CPU)")
    else:
        refuse_given(ctx, ("backend",), "without --model-file (it says how to run a saved model)")
        keys = check_models(split_list(model) if given(ctx, "model") else ["ets"], "--model")
        if all(is_neural(k) for k in keys):
            refuse_given(ctx, ("jobs",), f"to the neural models of --model {model}")
        opts = model_options(
            ctx,
            ("season_length", "epochs", "seed", "device", "threads"),
            time_budget=budget_seconds(time_budget),
        )
        if any(is_neural(k) for k in keys):
            opts["quiet"] = quiet
        ests = make_models(keys, opts, flag=lambda n: option_name(ctx, n))
    if plot is None:
        refuse_given(ctx, ("plot_series",), "without --plot")
    set_threads(threads)
    outs = Outputs(force)
    outs.add(output, "-o", "frame")
    outs.add(plot, "--plot", "plot")
    levels = parse_levels(level)
    df = read_frame(file, read)
    freq_ = df.attrs["freq"]
    if model_file is not None:
        from tsrnn import Forecaster

        opts = {"device": device} if given(ctx, "device") else {}
        est = Forecaster.load(model_file, backend=backend, **opts)
        if horizon is not None and horizon != est.horizon:
            raise ConfigError(
                f"--horizon {horizon} differs from the model file's horizon {est.horizon}; "
                "omit --horizon"
            )
        status = f"forecasting with {model_file}"
        if not quiet:
            err.print(status)
        fc = est.predict(df=df, level=levels or None)
    else:
        core = Forecast(ests, horizon=horizon or default_horizon(freq_), n_jobs=jobs)
        if not quiet:
            err.print(
                f"fitting {', '.join(core.labels())} on {df['unique_id'].nunique()} series "
                f"({len(df)} rows, freq {freq_})"
            )
        fc = core.forecast(df, level=levels or None)
    with outs:  # every output is written to its temporary file, then all are moved into place
        if output is not None:
            outs.stage(output, frame_writer(fc, frame_format(output)))
        if plot is not None:
            from tsrnn.plotting import plot_forecast

            outs.stage(
                plot,
                lambda t: plot_forecast(
                    df, fc, t, max_series=plot_series, title=f"{Path(file).name}"
                ),
            )
        outs.commit()
    if not quiet:
        if output is not None:
            err.print(f"wrote {output} ({len(fc)} rows)")
        if plot is not None:
            err.print(f"wrote {plot}")
    if not quiet or output is None:
        table(fc, title="forecast")
