"""`tsrnn export`: write a trained forecaster's network (.tsrnn) as an ONNX graph,
with a parity check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import handle_errors
from tsrnn_cli.options import Force, Quiet


@app.command("export")
@handle_errors
def export_command(
    model: Annotated[
        Path,
        typer.Argument(
            help="Forecaster model file written by `tsrnn train` (.tsrnn).", show_default=False
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="ONNX file to write (.onnx).", show_default=False)
    ],
    check: Annotated[
        bool,
        typer.Option("--check/--no-check", help="Compare onnxruntime with torch on random inputs."),
    ] = True,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Export the network of the trained forecaster MODEL as ONNX
    (inputs and outputs in scaled units)."""
    from tsrnn.output import Outputs

    outs = Outputs(force)
    outs.add(output, "-o")
    from tsrnn import Forecaster
    from tsrnn.forecast.export import export_onnx, onnx_input_names, onnx_parity

    est = Forecaster.load(model, backend="torch", device="cpu")
    with outs:
        outs.stage(output, lambda tmp: export_onnx(est, tmp))
        outs.commit()
    cfg = est.config_
    if not quiet:
        typer.echo(
            f"wrote {output}: inputs {', '.join(onnx_input_names(cfg))} → y (batch, "
            f"{cfg.horizon}, {cfg.n_outputs}), scaled units",
            err=True,
        )
    if check:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            typer.echo("parity not checked: onnxruntime is not installed", err=True)
            return
        typer.echo(f"onnxruntime parity: max |difference| {onnx_parity(est, output):.2e}")
