"""Shared CLI plumbing: error handling (one line, exit 2), progress/quiet, option parsing."""

from __future__ import annotations

import functools
import sys

import typer

from tsrnn.errors import TsrnnError

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """Print one line to stderr and exit with status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def handle_errors(fn):
    """Turn tsrnn's own errors (and a few OS errors) into one stderr line and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TsrnnError as e:
            fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
        except PermissionError as e:
            fail(f"{e.filename}: permission denied")
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def set_threads(threads: int | None) -> None:
    """torch.set_num_threads(threads) when given (imports torch only then)."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def budget_seconds(time_budget: str | None) -> float | None:
    """--time-budget in seconds (None when not given); a ConfigError names the option when it is
    not a duration. Checked before any data is read."""
    from tsrnn.nn.budget import parse_duration

    return parse_duration(time_budget, "--time-budget")


def split_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    return items or None
