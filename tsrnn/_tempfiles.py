"""Temporary files beside an output: naming, creating, finding stale ones, keeping a backup.

A temporary file of `path` is named `.{name}.{pid}.{token}.tsrnn-tmp{suffix}` in the folder of
`path`, so that it is on the same file system (a rename or hard link moves it into place) and the
process that wrote it can be told from its name. tsrnn.output writes every file through them.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["TMP_TAG", "backup", "new_file_mode", "new_temp", "remove_stale_temps"]

TMP_TAG = ".tsrnn-tmp"


def _temp_pattern(p: Path) -> re.Pattern:
    return re.compile(
        rf"\.{re.escape(p.name)}\.(\d+)\.[0-9a-f]+{re.escape(TMP_TAG)}{re.escape(p.suffix)}"
    )


def new_temp(p: Path) -> Path:
    """Create (exclusively, mode 0o600) an empty temporary file beside `p` and return its path."""
    while True:
        tmp = p.parent / f".{p.name}.{os.getpid()}.{secrets.token_hex(4)}{TMP_TAG}{p.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no harmless liveness probe: keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it runs, as another user
        return True
    return True


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Remove the temporary files of `path` whose writing process no longer runs (a run killed
    while writing); return them. Temporary files of running processes are kept."""
    p = Path(path)
    pattern = _temp_pattern(p)
    removed = []
    try:
        entries = list(os.scandir(p.parent))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m and not _pid_alive(int(m.group(1))):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass  # someone else removed it, or the folder is read-only: nothing of ours to lose
    return removed


def new_file_mode(p: Path) -> int:
    """The permissions `p` gets: those it has when it exists, else what open() would give (0o666
    less the umask). The temporary file is private (0o600), which a rename would keep."""
    try:
        return p.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def backup(p: Path) -> Callable[[], None] | None:
    """Keep the existing `p` so that it can be put back: a hard link to a file under a temporary
    name, or the target of a symbolic link. Returns restore(keep): keep=True puts the old `p`
    back, keep=False drops the backup; None where the file system has no hard links."""

    def temp_name() -> Path:
        return p.parent / f".{p.name}.{os.getpid()}.{secrets.token_hex(4)}{TMP_TAG}{p.suffix}"

    if p.is_symlink():
        target = os.readlink(p)

        def restore_link(keep: bool = True) -> None:
            if keep:
                t = temp_name()
                os.symlink(target, t)
                os.replace(t, p)

        return restore_link
    backup = temp_name()
    try:
        os.link(p, backup)
    except OSError:
        return None

    def restore_file(keep: bool = True) -> None:
        if keep:
            os.replace(backup, p)
        else:
            backup.unlink(missing_ok=True)

    return restore_file
