"""The `tsrnn` command: the root app (cli/base.py) with every sub-command registered. Each
sub-command lives in its own module and only parses, calls the library and renders; importing this
module must not import torch (so `tsrnn --help` is fast)."""

from __future__ import annotations

# Each module registers its command(s) on the root app when imported.
from tsrnn_cli import backtest as _backtest  # noqa: F401
from tsrnn_cli import datasets as _datasets  # noqa: F401
from tsrnn_cli import detect as _detect  # noqa: F401
from tsrnn_cli import export as _export  # noqa: F401
from tsrnn_cli import forecast as _forecast  # noqa: F401
from tsrnn_cli import text as _text  # noqa: F401
from tsrnn_cli import train as _train  # noqa: F401
from tsrnn_cli.base import app

__all__ = ["app", "main"]


def main() -> None:
    app()
