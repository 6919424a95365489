"""The `tsrnn` command. Each sub-command lives in its own module and only parses, calls the
library and renders; importing this module must not import torch (so `tsrnn --help` is fast)."""

from __future__ import annotations

import typer
from tsrnn_cli.common import OneLineErrors

app = typer.Typer(
    cls=OneLineErrors,  # option errors: one line and exit 2, like tsrnn's own errors
    name="tsrnn",
    help="Time-series forecasting and anomaly detection with recurrent networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from tsrnn._version import __version__

        typer.echo(f"tsrnn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print tsrnn's version and exit."),
) -> None:
    """Time-series forecasting and anomaly detection with recurrent networks."""


# Each module registers its command(s) on `app` when imported.
from tsrnn_cli import backtest as _backtest  # noqa: E402,F401
from tsrnn_cli import datasets as _datasets  # noqa: E402,F401
from tsrnn_cli import detect as _detect  # noqa: E402,F401
from tsrnn_cli import export as _export  # noqa: E402,F401
from tsrnn_cli import forecast as _forecast  # noqa: E402,F401
from tsrnn_cli import text as _text  # noqa: E402,F401
from tsrnn_cli import train as _train  # noqa: E402,F401


def main() -> None:
    app()
