"""The one matplotlib setup every plot of tsrnn goes through: the Agg back end with its config and
font cache under tsrnn's user cache folder, the file format checked before any drawing, and the
figure written atomically and closed."""

from __future__ import annotations

from pathlib import Path

from tsrnn._cache import matplotlib_config
from tsrnn.output import atomic_write, check_writable, plot_format

__all__ = ["pyplot_for", "save_figure"]


def pyplot_for(path: str | Path, option: str | None = "--plot", force: bool = True):
    """(matplotlib.pyplot on the Agg back end, format) for a plot to be written at `path`.

    The format ('png', 'svg' or 'pdf') comes from the suffix of `path` (any other: ConfigError
    naming `option`); with force=False an existing `path` is refused here, before any drawing.
    MPLCONFIGDIR is set to tsrnn's cache folder unless the user set it."""
    fmt = plot_format(path, option)
    if not force:
        check_writable(path, force, option or "--plot")
    matplotlib_config()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, fmt


def save_figure(
    fig, path: str | Path, fmt: str, dpi: int, force: bool = True, option: str | None = None
) -> None:
    """Write `fig` to `path` in format `fmt` at `dpi` dots per inch through a temporary file
    (tsrnn.output.atomic_write; force=False leaves an existing `path` as it is), then close it."""
    import matplotlib.pyplot as plt

    try:
        atomic_write(
            path, lambda t: fig.savefig(t, dpi=dpi, format=fmt), force=force, option=option
        )
    finally:
        plt.close(fig)
