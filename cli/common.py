"""Shared CLI plumbing: error handling (one line, exit 2), progress/quiet, option parsing."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterable, Iterator

import typer
from typer.core import TyperGroup

from tsrnn.errors import ConfigError, TsrnnError

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on the real click
    from click.exceptions import UsageError

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """Print one line to stderr and exit with status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@contextlib.contextmanager
def _usage_errors_in_one_line() -> Iterator[None]:
    try:
        yield
    except UsageError as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # `tsrnn text` alone: its help was asked for
            raise
        typer.echo(f"error: {e.format_message()}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


class OneLineErrors(TyperGroup):
    """The command group of `tsrnn`: a bad option value (out of its range, not a number), an
    unknown option or a missing argument prints one line `error: ...` and exits with status 2,
    as tsrnn's own errors do (not typer's framed usage box)."""

    def parse_args(self, ctx, args):
        with _usage_errors_in_one_line():
            return super().parse_args(ctx, args)

    def invoke(self, ctx):
        with _usage_errors_in_one_line():
            return super().invoke(ctx)


def handle_errors(fn):
    """Turn tsrnn's own errors (and OS errors) into one stderr line and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TsrnnError as e:
            fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
        except PermissionError as e:
            fail(f"{e.filename}: permission denied")
        except BrokenPipeError:  # the reader of stdout went away (`| head`): typer ends quietly
            raise
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            fail(f"{where}{e.strerror or e}")
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


def given(ctx: typer.Context, name: str) -> bool:
    """Whether the parameter `name` was set on the command line (or by an environment variable)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def model_options(ctx: typer.Context, names: Iterable[str], **values) -> dict:
    """The options among `names` (and `values`, already converted) that were given on the command
    line, parameter name → value: what a command passes to tsrnn.registry.make_models."""
    out = {n: ctx.params[n] for n in names if given(ctx, n)}
    out.update({n: v for n, v in values.items() if given(ctx, n)})
    return out


def option_name(ctx: typer.Context, name: str) -> str:
    """The long flag of parameter `name` as the user types it (`input_len` → `--input-len`)."""
    for p in ctx.command.params:
        if p.name == name:
            longs = [o for o in p.opts if o.startswith("--")]
            return longs[0] if longs else p.opts[0]
    return f"--{name.replace('_', '-')}"


def refuse_given(ctx: typer.Context, names: Iterable[str], why: str) -> None:
    """ConfigError when any parameter of `names` was given: `why` ends the sentence "… does not
    apply …" (e.g. "without --model-file")."""
    flags = [option_name(ctx, n) for n in names if given(ctx, n)]
    if flags:
        one = len(flags) == 1
        raise ConfigError(
            f"{', '.join(flags)} {'does' if one else 'do'} not apply {why}; "
            f"drop {'it' if one else 'them'}"
        )
