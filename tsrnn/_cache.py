"""Where tsrnn's helpers keep their caches: a user cache folder, never the installed package.

    root:        $TSRNN_CACHE_DIR, else $XDG_CACHE_HOME/tsrnn, else ~/.cache/tsrnn
    numba:       $NUMBA_CACHE_DIR when the user set it, else <root>/numba; compiled kernels are not
                 cached at all (compiled in memory on every run) when that folder is not writable.
                 numba's own fallback would otherwise write into tsrnn/cpu/__pycache__ of the
                 installed source tree (failing or polluting a read-only install).
    matplotlib:  $MPLCONFIGDIR when the user set it, else <root>/matplotlib when writable (font
                 cache and config), else matplotlib's own choice.

`numba_cache()` must run before numba is first imported (numba reads NUMBA_CACHE_DIR then; when it
was imported earlier, its config is updated in place). Both are idempotent and cheap.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_root", "numba_cache", "matplotlib_config"]

_STATE: dict[str, bool] = {}


def cache_root() -> Path:
    """tsrnn's user cache folder (not created here)."""
    own = os.environ.get("TSRNN_CACHE_DIR")
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "tsrnn"


def writable_dir(d: Path) -> bool:
    """Whether `d` exists (or can be created) and a file can be written in it."""
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, prefix=".probe-"):
            pass
    except OSError:
        return False
    return True


def numba_cache() -> bool:
    """Point numba's on-disk cache at a user folder; True when kernels may use ``cache=True``.

    A user's own NUMBA_CACHE_DIR is respected (caching is off when it is not writable, rather than
    falling back to the source tree); otherwise <cache_root()>/numba is used when writable."""
    if "numba" in _STATE:
        return _STATE["numba"]
    user = os.environ.get("NUMBA_CACHE_DIR")
    d = Path(user).expanduser() if user else cache_root() / "numba"
    ok = writable_dir(d)
    if ok and not user:
        os.environ["NUMBA_CACHE_DIR"] = str(d)
        if "numba" in sys.modules:  # imported before us: its config was read already
            from numba.core import config

            config.CACHE_DIR = str(d)
    _STATE["numba"] = ok
    return ok


def matplotlib_config() -> None:
    """Set MPLCONFIGDIR to <cache_root()>/matplotlib unless the user set it, matplotlib is already
    imported (too late to move it), or that folder is not writable."""
    if "MPLCONFIGDIR" in os.environ or "matplotlib" in sys.modules:
        return
    d = cache_root() / "matplotlib"
    if writable_dir(d):
        os.environ["MPLCONFIGDIR"] = str(d)
