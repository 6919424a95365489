"""Caches go to a user folder, never into the installed package: numba's compiled kernels
(NUMBA_CACHE_DIR: the user's own, else $XDG_CACHE_HOME/tsrnn/numba; off when not writable) and
matplotlib's font cache (MPLCONFIGDIR, unless the user set it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_TREE = ROOT / "tsrnn" / "cpu" / "__pycache__"

RUN_KERNEL = (
    "import numpy as np, tsrnn.cpu.kernels as K\n"
    "from tsrnn.cpu.rnn import NumbaRNN\n"
    "rng = np.random.default_rng(0)\n"
    "w = {'weight_ih_l0': rng.standard_normal((8, 1)),\n"
    "     'weight_hh_l0': rng.standard_normal((8, 2)),\n"
    "     'bias_ih_l0': np.zeros(8), 'bias_hh_l0': np.zeros(8)}\n"
    "out, _ = NumbaRNN('lstm', w).forward(np.ones((1, 3, 1)))\n"
    "assert np.all(np.isfinite(out))\n"
    "print('CACHE', K.CACHE)\n"
)


def _in_tree() -> dict[str, float]:
    if not IN_TREE.is_dir():
        return {}
    return {p.name: p.stat().st_mtime_ns for p in IN_TREE.iterdir() if p.suffix in (".nbi", ".nbc")}


def _run(code: str, env: dict[str, str], cwd: Path = ROOT) -> str:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NUMBA_CACHE_DIR", "MPLCONFIGDIR", "XDG_CACHE_HOME", "TSRNN_CACHE_DIR")
    }
    res = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def test_numba_cache_goes_to_the_user_cache_folder(tmp_path):
    before = _in_tree()
    out = _run(RUN_KERNEL, {"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert "CACHE True" in out
    assert list((tmp_path / "xdg" / "tsrnn" / "numba").rglob("*.nbi")), (
        "no index in the user cache folder"
    )
    assert _in_tree() == before  # nothing written into the package


def test_numba_cache_choice(tmp_path, monkeypatch):
    """The decision alone (no compile): the user's folder is used as it is; an unwritable one turns
    caching off and is not replaced by another; without one, <XDG_CACHE_HOME>/tsrnn/numba."""
    from tsrnn import _cache

    monkeypatch.setattr(_cache, "_STATE", {})
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert _cache.numba_cache() is True and os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")
    assert (tmp_path / "mine").is_dir()
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setattr(_cache, "_STATE", {})
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "file" / "numba"))
    assert _cache.numba_cache() is False
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "file" / "numba")
    monkeypatch.setattr(_cache, "_STATE", {})
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.delenv("TSRNN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if (
        "numba" in sys.modules
    ):  # numba_cache updates an imported numba's config: restore it afterwards
        from numba.core import config

        monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)
    assert _cache.numba_cache() is True
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "xdg" / "tsrnn" / "numba")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # not writable: off
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(_cache, "_STATE", {})
    assert _cache.numba_cache() is False and "NUMBA_CACHE_DIR" not in os.environ


@pytest.mark.slow
def test_a_users_numba_cache_dir_is_respected_and_an_unwritable_one_turns_caching_off(tmp_path):
    own = tmp_path / "mine"
    assert "CACHE True" in _run(
        RUN_KERNEL, {"NUMBA_CACHE_DIR": str(own), "XDG_CACHE_HOME": str(tmp_path / "x")}
    )
    assert list(own.rglob("*.nbi")) and not (tmp_path / "x").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    before = _in_tree()
    out = _run(RUN_KERNEL, {"NUMBA_CACHE_DIR": str(blocker / "numba")})
    assert "CACHE False" in out  # compiled in memory, not cached in the source tree instead
    assert _in_tree() == before


def test_matplotlib_cache_goes_to_the_user_cache_folder(tmp_path):
    pytest.importorskip("matplotlib")
    code = (
        "import numpy as np, pandas as pd, sys\n"
        "from tsrnn.plotting import plot_forecast\n"
        "ds = pd.date_range('2024-01-01', periods=30, freq='D')\n"
        "h = pd.DataFrame({'unique_id': 'a', 'ds': ds, 'y': np.arange(30.0)})\n"
        "f = pd.DataFrame({'unique_id': 'a',\n"
        "                  'ds': pd.date_range('2024-01-31', periods=3, freq='D'),\n"
        "                  'model': 'Naive', 'yhat': 29.0})\n"
        "plot_forecast(h, f, 'p.png')\n"
        "import matplotlib; print('DIR', matplotlib.get_cachedir())\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    out = _run(
        code,
        {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYTHONPATH": str(ROOT)},
        cwd=work,
    )
    assert f"DIR {tmp_path / 'xdg' / 'tsrnn' / 'matplotlib'}" in out
    assert (work / "p.png").stat().st_size > 0
    assert not (home / ".cache" / "matplotlib").exists() and not (home / ".matplotlib").exists()
    # a user's MPLCONFIGDIR wins
    mine = tmp_path / "mpl"
    out = _run(
        code,
        {
            "MPLCONFIGDIR": str(mine),
            "XDG_CACHE_HOME": str(tmp_path / "xdg2"),
            "PYTHONPATH": str(ROOT),
        },
        cwd=work,
    )
    assert f"DIR {mine}" in out and not (tmp_path / "xdg2").exists()
