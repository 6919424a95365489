"""tsrnn.output: atomic writes keep a user's file intact on failure and give ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from tsrnn.output import atomic_write


def _mode(p):
    return stat.S_IMODE(p.stat().st_mode)


def test_new_file_follows_the_umask_and_an_existing_file_keeps_its_mode(tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.csv"
        atomic_write(new, lambda t: t.write_text("a"))
        assert new.read_text() == "a" and _mode(new) == 0o644  # not mkstemp's private 0o600
        kept = tmp_path / "kept.csv"
        kept.write_text("old")
        kept.chmod(0o640)
        atomic_write(kept, lambda t: t.write_text("b"))
        assert kept.read_text() == "b" and _mode(kept) == 0o640
    finally:
        os.umask(old)


def test_a_failing_writer_leaves_the_file_and_no_temporary(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("keep me")

    def fail(t):
        t.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(p, fail)
    assert p.read_text() == "keep me"
    assert [f.name for f in tmp_path.iterdir()] == ["out.csv"]
