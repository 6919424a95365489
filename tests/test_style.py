"""The code's style and shape, checked in CI: ruff (the rules and the 100-character line length
of pyproject.toml, E501 included), ruff's formatter, and no library module over 400 lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ["tsrnn", "cli", "tests", "benchmarks", "scripts"]
MAX_MODULE_LINES = 400


def _ruff(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    return subprocess.run([*cmd, *args, *TREES], cwd=ROOT, capture_output=True, text=True)


def _have_ruff() -> bool:
    if shutil.which("ruff"):
        return True
    return (
        subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode
        == 0
    )


needs_ruff = pytest.mark.skipif(
    not _have_ruff(), reason="ruff is not installed (pip install -e '.[dev]')"
)


@needs_ruff
def test_ruff_check_passes():
    res = _ruff("check", "--no-cache", "--output-format", "concise")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


@needs_ruff
def test_ruff_format_is_clean():
    res = _ruff("format", "--check", "--no-cache")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_line_length_is_enforced():
    text = (ROOT / "pyproject.toml").read_text()
    assert "line-length = 100" in text
    ignore = [line for line in text.splitlines() if line.strip().startswith("ignore")]
    assert ignore and all("E501" not in line for line in ignore), ignore


def test_no_library_module_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / "tsrnn").rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
