"""`tsrnn forecast`: read a file, fit a model (or load one), forecast, write CSV/plot, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.app import app
from tsrnn_cli.common import handle_errors, split_list
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
    Jobs,
    Level,
    Quiet,
    SeasonLength,
    Sep,
    TargetCol,
    TimeCol,
    read,
)


def default_horizon(freq: str | None) -> int:
    from tsrnn.data.freq import season_length

    m = season_length(freq)
    return m if m > 1 else 6


@app.command("forecast")
@handle_errors
def forecast_command(
    file: FileArg,
    horizon: Horizon = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model name(s), comma-separated: naive, snaive, drift, mean, ets, arima, theta, rnn, lstm, gru, seq2seq.")] = "ets",
    model_file: Annotated[Path | None, typer.Option("--model-file", help="Forecast with a saved model (from `tsrnn train`) instead of fitting one.")] = None,
    backend: Annotated[str, typer.Option("--backend", help="Back end for --model-file: torch or numba.")] = "torch",
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
    seed: Annotated[int, typer.Option("--seed", help="Random seed (neural models).")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda (neural models).")] = "auto",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the forecast frame here (.csv or .parquet).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG plot here.")] = None,
    plot_series: Annotated[int, typer.Option("--plot-series", min=1, help="Series shown in the plot (the first N).")] = 6,
    jobs: Jobs = 1,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Forecast every series of FILE HORIZON steps ahead."""
    from tsrnn_cli.render import err, table

    from tsrnn.frames import parse_levels
    from tsrnn.output import check_writable, write_frame
    from tsrnn.registry import make_estimator

    check_writable(output, force, "-o")
    check_writable(plot, force, "--plot")
    levels = parse_levels(level)
    df = read(file, id_col, time_col, target_col, freq, fill_gaps, fill_nan, duplicates,
              sep, decimal, date_format, dayfirst)
    freq_ = df.attrs["freq"]
    if model_file is not None:
        from tsrnn.forecaster import Forecaster

        est = Forecaster.load(model_file, backend=backend)
        if horizon is not None and horizon != est.horizon:
            from tsrnn.errors import ConfigError

            raise ConfigError(f"--horizon {horizon} differs from the model file's horizon {est.horizon}; omit --horizon")
        status = f"forecasting with {model_file}"
        if not quiet:
            err.print(status)
        fc = est.predict(df=df, level=levels or None)
    else:
        h = horizon or default_horizon(freq_)
        names = split_list(model) or ["ets"]
        frames = []
        for name in names:
            est = make_estimator(name, h, season_length=season_length, epochs=epochs, seed=seed,
                                 device=device, quiet=quiet, n_jobs=jobs)
            if not quiet:
                err.print(f"fitting {est.alias} on {df['unique_id'].nunique()} series ({len(df)} rows, freq {freq_})")
            frames.append(est.fit(df).predict(level=levels or None))
        import pandas as pd

        fc = pd.concat(frames, ignore_index=True)
    if output is not None:
        write_frame(fc, output, force=force)
        if not quiet:
            err.print(f"wrote {output} ({len(fc)} rows)")
    if plot is not None:
        from tsrnn.plotting import plot_forecast

        plot_forecast(df, fc, plot, max_series=plot_series, title=f"{Path(file).name}")
        if not quiet:
            err.print(f"wrote {plot}")
    if not quiet or output is None:
        table(fc, title="forecast")
