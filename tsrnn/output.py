"""Writing results without ever clobbering a user's file: refuse without force, write atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tsrnn.errors import ConfigError, DataError


def check_writable(path: str | Path | None, force: bool, option: str = "-o") -> None:
    """Fail early (before any work) if `path` exists and force is off, or its folder is missing."""
    if path is None:
        return
    p = Path(path)
    if p.exists() and not force:
        raise ConfigError(f"{p} already exists; pass --force to overwrite it (given by {option})")
    if p.exists() and p.is_dir():
        raise ConfigError(f"{p} is a directory; give a file name to {option}")
    if not p.parent.exists():
        raise ConfigError(f"{p.parent} does not exist; create it or choose another path for {option}")


def _new_file_mode(p: Path) -> int:
    """The permissions `p` gets: those it has when it exists, else what open() would give (0o666
    less the umask). mkstemp's temporary file is private (0o600), which a rename would keep."""
    try:
        return p.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Call writer(tmp_path) on a temporary file beside `path`, then rename it over `path` (with
    the permissions `path` has, or an ordinary new file's)."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=p.suffix or ".tmp", dir=p.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, _new_file_mode(p))
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_frame(df: pd.DataFrame, path: str | Path, force: bool = False) -> None:
    """Write a frame as CSV or Parquet (by suffix), atomically, refusing to overwrite without force."""
    check_writable(path, force)
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        atomic_write(path, lambda t: df.to_parquet(t, index=False))
    elif suffix in (".csv", ".txt", ""):
        atomic_write(path, lambda t: df.to_csv(t, index=False))
    else:
        raise DataError(f"{path}: unsupported output type '{suffix}'; use .csv or .parquet")
