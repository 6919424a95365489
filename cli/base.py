"""The root Typer object that every command module registers itself on (imports no command, so
that command modules and app.py do not import each other)."""

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
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print tsrnn's version and exit.",
    ),
) -> None:
    """Time-series forecasting and anomaly detection with recurrent networks."""
