"""`tsrnn train`: read a file, train a neural forecaster, write the model file (.tsrnn)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import budget_seconds, handle_errors, set_threads
from tsrnn_cli.options import (
    FileArg,
    Force,
    Quiet,
    TimeBudget,
    TrainThreads,
    read_frame,
    read_options,
)


@app.command("train")
@handle_errors
@read_options
def train_command(
    file: FileArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Model file to write (.tsrnn).", show_default=False),
    ],
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Steps to forecast.")] = 24,
    model: Annotated[
        str, typer.Option("--model", "-m", help="rnn, lstm, gru or seq2seq.")
    ] = "lstm",
    input_len: Annotated[
        int | None,
        typer.Option(
            "--input-len", min=1, help="Input window length (default: from the season and horizon)."
        ),
    ] = None,
    hidden: Annotated[
        int | None,
        typer.Option(
            "--hidden",
            min=1,
            help="Hidden units per layer (default: 128 when the core reads day segments, else 64).",
        ),
    ] = None,
    layers: Annotated[int, typer.Option("--layers", min=1, help="Recurrent layers.")] = 2,
    epochs: Annotated[
        int,
        typer.Option("--epochs", min=1, help="Training epochs (early stopping may end sooner)."),
    ] = 30,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size", min=1, help="Windows per training step (per process under torchrun)."
        ),
    ] = 256,
    scaler: Annotated[
        str,
        typer.Option(
            "--scaler",
            help="Per-series scaling: standard, minmax, robust, diff (naive-MAE units) or none.",
        ),
    ] = "standard",
    window_norm: Annotated[
        str,
        typer.Option(
            "--window-norm",
            help="Take each window relative to its 'mean', 'last' or last-'season' value, or "
            "'none' (default auto: the last season's level where the window holds 4 seasons, "
            "else the mean).",
        ),
    ] = "auto",
    seed: Annotated[
        int,
        typer.Option("--seed", help="Random seed: same data + seed + device gives the same model."),
    ] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    read: dict | None = None,
    force: Force = False,
    quiet: Quiet = False,
    threads: TrainThreads = None,
    time_budget: TimeBudget = None,
) -> None:
    """Train a recurrent forecaster on every series of FILE and save it to -o."""
    from tsrnn import Forecast, Forecaster
    from tsrnn.nn.distributed import is_main, teardown
    from tsrnn.output import Outputs

    params = dict(
        model=model,
        horizon=horizon,
        input_len=input_len,
        hidden=hidden or "auto",
        layers=layers,
        epochs=epochs,
        batch_size=batch_size,
        scaler=scaler,
        window_norm=None if window_norm == "none" else window_norm,
        seed=seed,
        device=device,
    )
    params.update(threads=threads or "auto", time_budget=budget_seconds(time_budget))
    quiet = quiet or not is_main()  # under torchrun, process 0 alone reports
    core = Forecast([Forecaster(**params, quiet=quiet)], horizon=horizon)
    core.check_params()  # every option, then the output, before any work
    set_threads(threads)
    outs = Outputs(force)
    outs.add(output, "-o")
    df = read_frame(file, read)
    if not quiet:
        typer.echo(
            f"training {core.labels()[0]} on {df['unique_id'].nunique()} series "
            f"({len(df)} rows, "
            f"freq {df.attrs.get('freq')}), horizon {horizon}",
            err=True,
        )
    try:
        est = core.fit(df).models_[0]
    finally:
        teardown()  # the other processes are no longer needed once the weights are trained
    if is_main():  # process 0 alone writes (the others hold the same model)
        with outs:
            outs.stage(output, lambda t: est.save(t, force=True))
            outs.commit()  # refused if -o appeared meanwhile (another run), unless --force
    if not quiet:
        h = est.train_history_
        best = h.val_loss[h.best_epoch] if h.val_loss else h.train_loss[h.best_epoch]
        typer.echo(
            f"wrote {output} (input_len {est.config_['input_len']}, {len(h.train_loss)} epochs, "
            f"best loss {best:.4f} at epoch {h.best_epoch + 1}, {h.seconds:.1f} s on "
            f"{est.device_})",
            err=True,
        )
