"""Writing results without ever losing a user's file.

- `check_writable` (one output) and `Outputs.add` (the set of outputs of one command) run before
  any work: a directory, an existing file or symbolic link (a dangling one too) without force, a
  missing or unwritable folder, an unsupported suffix, or two outputs naming the same file are
  refused with one sentence naming the path and the option that gave it.
- Every file is first written to a temporary file beside it (tsrnn._tempfiles), named
  `.{name}.{pid}.{token}.tsrnn-tmp{suffix}`, then moved into place. Without force the move is a
  hard link, which fails when the target exists, so a file that appeared while the command ran
  (another run, another program) is never replaced. `Outputs.commit` moves all staged files or,
  when one move fails, none: the files it already moved are removed again, or (with force) the
  files they replaced are put back from hard links kept until the end.
- A full, over-quota or read-only disk while writing is one `OutputError` naming the output.
- Temporary files left by a killed run (their process is gone) are removed by the next check or
  write of the same target.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tsrnn._tempfiles import backup, new_file_mode, remove_stale_temps
from tsrnn._tempfiles import new_temp as _new_temp  # a module global: replaceable in tests
from tsrnn.errors import ConfigError, OutputError

FRAME_FORMATS = {".csv": "csv", ".txt": "csv", "": "csv", ".parquet": "parquet", ".pq": "parquet"}
PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

# errors of the disk or folder (not of the data): one sentence naming the output
DISK_ERRORS = {
    errno.ENOSPC: "no space is left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "the file is too large for the file system",
}
# link() is not supported by the file system (FAT, some network and FUSE mounts)
_NO_LINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}


def _by(option: str | None) -> str:
    return f" (given by {option})" if option else ""


def disk_error(path: str | Path, option: str | None, e: OSError) -> OutputError:
    """The one-sentence error for an OSError met while writing `path`."""
    reason = DISK_ERRORS.get(e.errno or 0, e.strerror or str(e))
    err = OutputError(f"cannot write {path}{_by(option)}: {reason}; nothing was written")
    err.errno = e.errno
    return err


def _raise_disk_error(path: Path, option: str | None, e: Exception) -> None:
    """Raise the OutputError naming `path` when `e` is a disk failure: an OSError (or an error of
    ours about the temporary file) with an errno of DISK_ERRORS, or an error of a native writer
    quoting one, as safetensors' 'I/O error: No space left on device (os error 28)'."""
    code = getattr(e, "errno", None) if isinstance(e, OSError) else None
    if code is None:
        m = re.search(r"\(os error (\d+)\)", str(e))
        code = int(m.group(1)) if m else None
    if code in DISK_ERRORS:
        raise disk_error(path, option, OSError(code, os.strerror(code))) from None


def frame_format(path: str | Path, option: str | None = "-o") -> str:
    """'csv' or 'parquet' by the suffix of `path`; ConfigError for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FRAME_FORMATS:
        raise ConfigError(
            f"{path}{_by(option)}: unsupported output type '{suffix}'; use .csv or .parquet"
        )
    return FRAME_FORMATS[suffix]


def plot_format(path: str | Path, option: str | None = "--plot") -> str:
    """'png', 'svg' or 'pdf' by the suffix of `path`; ConfigError for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise ConfigError(
            f"{path}{_by(option)}: unsupported plot type '{suffix or '(none)'}'; "
            "use .png, .svg or .pdf"
        )
    return PLOT_FORMATS[suffix]


# -- moving into place ---------------------------------------------------------------------------


def _before_rename(target: Path) -> None:
    """Called just before a finished temporary file is moved onto `target` (a hook for tests of
    the race with another writer)."""


def _appeared(p: Path, option: str | None) -> ConfigError:
    return ConfigError(
        f"{p}{_by(option)} appeared while this command ran and was left as it is; "
        "nothing was written: pass --force to overwrite it"
    )


def _move_into_place(tmp: Path, p: Path, force: bool, option: str | None) -> None:
    """Move the finished `tmp` onto `p`: replacing it with force,
    else only if `p` does not exist."""
    _before_rename(p)
    if force:
        os.replace(tmp, p)
        return
    try:
        os.link(tmp, p)  # fails if p exists (a file, a folder or a symbolic link, dangling or not)
    except FileExistsError:
        raise _appeared(p, option) from None
    except OSError as e:
        if e.errno not in _NO_LINK:
            raise
        try:  # no hard links here: claim the name exclusively, then rename over the claim
            os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise _appeared(p, option) from None
        os.replace(tmp, p)
        return
    os.unlink(tmp)


# -- checks --------------------------------------------------------------------------------------


def check_writable(path: str | Path | None, force: bool, option: str = "-o") -> None:
    """Fail early (before any work) unless `path` can be written: it must not be a directory, must
    not exist (a dangling symbolic link counts as existing) unless force, and its folder must exist
    and take new files. Also removes the temporary files a killed run left for `path`."""
    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p} is a directory; give a file name to {option}")
    if os.path.lexists(p) and not force:
        what = "is a symbolic link to a missing file" if not p.exists() else "already exists"
        raise ConfigError(f"{p} {what}; pass --force to overwrite it (given by {option})")
    parent = p.parent
    if not parent.exists():
        raise ConfigError(f"{parent} does not exist; create it or choose another path for {option}")
    if not parent.is_dir():
        raise ConfigError(f"{parent} is not a directory; choose another path for {option}")
    try:  # the truest test of "can I create a file here" (also for root on a read-only mount)
        _new_temp(p).unlink()
    except OSError as e:
        raise disk_error(p, option, e) from None
    remove_stale_temps(p)


def _identity(p: Path) -> tuple:
    """What makes two paths the same file: the resolved path, or (device, inode) when it exists."""
    try:
        st = p.stat()
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.normcase(os.path.realpath(p)))


# -- writing -------------------------------------------------------------------------------------


def atomic_write(
    path: str | Path, writer: Callable[[Path], None], force: bool = True, option: str | None = None
) -> None:
    """Call writer(tmp_path) on a temporary file beside `path`, then move it onto `path` (with the
    permissions `path` has, or an ordinary new file's). force=False: a `path` that exists by then
    is left as it is (ConfigError). A full or read-only disk: OutputError naming `path`; the
    temporary file is removed in every case."""
    p = Path(path)
    remove_stale_temps(p)
    tmp = None
    try:
        tmp = _new_temp(p)
        writer(tmp)
        os.chmod(tmp, new_file_mode(p))
        _move_into_place(tmp, p, force, option)
    except Exception as e:
        _raise_disk_error(p, option, e)
        raise
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def frame_writer(df: pd.DataFrame, fmt: str) -> Callable[[Path], None]:
    """A writer(path) that writes `df` as 'csv' or 'parquet' (no index)."""
    if fmt == "parquet":
        return lambda t: df.to_parquet(t, index=False)
    return lambda t: df.to_csv(t, index=False)


def write_frame(
    df: pd.DataFrame, path: str | Path, force: bool = False, option: str = "-o"
) -> None:
    """Write a frame as CSV or Parquet (by suffix), atomically,
    refusing to overwrite without force."""
    fmt = frame_format(path, option)
    check_writable(path, force, option)
    atomic_write(path, frame_writer(df, fmt), force=force, option=option)


class Outputs:
    """The files one command writes, checked as a set before any work and written all or none.

        outs = Outputs(force)
        outs.add(output, "-o", "frame"); outs.add(plot, "--plot", "plot")   # before any work
        ...
        with outs:
            outs.stage(output, frame_writer(df, "csv")); outs.stage(plot, draw)
            outs.commit()       # every staged file moved into place, or none

    kind: "frame" (.csv/.parquet), "plot" (.png/.svg/.pdf) or "file" (any name). Leaving the
    `with` block without commit (an error, Ctrl-C) removes the staged temporary files.
    """

    def __init__(self, force: bool = False):
        self.force = force
        self._options: dict[Path, str] = {}
        self._ids: dict[tuple, Path] = {}
        self._staged: dict[Path, Path] = {}

    def add(self, path: str | Path | None, option: str, kind: str = "file") -> None:
        """Check one output (None: not asked for); ConfigError naming `option` when it cannot be
        written or names the same file as an output added before."""
        if path is None:
            return
        p = Path(path)
        if kind == "frame":
            frame_format(p, option)
        elif kind == "plot":
            plot_format(p, option)
        check_writable(p, self.force, option)
        key = _identity(p)
        if key in self._ids:
            first = self._ids[key]
            raise ConfigError(
                f"{self._options[first]} and {option} both name {p}; give each output its own file"
            )
        self._ids[key] = p
        self._options[p] = option

    def option(self, path: str | Path) -> str:
        return self._options[Path(path)]

    def stage(self, path: str | Path | None, writer: Callable[[Path], None]) -> None:
        """Write one added output to its temporary file (writer(tmp_path)); nothing is visible
        under its name until commit."""
        if path is None:
            return
        p = Path(path)
        if p not in self._options:
            raise ValueError(f"{p} was not added to these outputs")
        option = self._options[p]
        tmp = None
        try:
            tmp = _new_temp(p)
            self._staged[p] = tmp
            writer(tmp)
            os.chmod(tmp, new_file_mode(p))
        except Exception as e:
            _raise_disk_error(p, option, e)
            raise

    def commit(self) -> list[Path]:
        """Move every staged file into place (in the order staged) and return their paths. When
        one cannot be moved (it appeared meanwhile without force, or the disk failed), every
        output is put back as it was before commit (a file that did not exist is removed again; a
        file replaced with force is restored from a hard link kept until the end), the rest are
        discarded and the error raised."""
        done: list[Path] = []
        backups: dict[Path, Callable | None] = {}  # only the outputs that existed before
        try:
            for p, tmp in list(self._staged.items()):
                if self.force and os.path.lexists(p):
                    backups[p] = backup(p)
                try:
                    _move_into_place(tmp, p, self.force, self._options[p])
                except Exception as e:
                    _raise_disk_error(p, self._options[p], e)
                    raise
                del self._staged[p]
                done.append(p)
        except BaseException:
            for p in done:
                if p not in backups:  # it did not exist before
                    p.unlink(missing_ok=True)
                elif backups[p] is not None:
                    backups.pop(p)(keep=True)
                # else: replaced where no backup could be kept; the new file stays, not nothing
            self.discard()
            raise
        finally:
            for restore in backups.values():
                if restore is not None:
                    restore(keep=False)
        return done

    def discard(self) -> None:
        """Remove every staged temporary file."""
        for tmp in self._staged.values():
            tmp.unlink(missing_ok=True)
        self._staged.clear()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()
