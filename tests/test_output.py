"""tsrnn.output: atomic writes keep a user's file intact on failure and give ordinary permissions;
outputs are checked as a set before any work, never replace a file that appeared meanwhile, turn
disk failures into one sentence, and leave no temporary file a later run would not remove."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import tsrnn.output
from tsrnn._tempfiles import TMP_TAG
from tsrnn.errors import ConfigError, OutputError
from tsrnn.output import Outputs, atomic_write, check_writable, plot_format, write_frame


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


# -- the final move never replaces a file that appeared meanwhile ---------------------------------


def _temps(folder):
    return sorted(f.name for f in folder.iterdir() if TMP_TAG in f.name)


def test_a_file_that_appears_before_the_rename_is_kept_without_force(tmp_path, monkeypatch):
    p = tmp_path / "race.tsrnn"
    monkeypatch.setattr(
        tsrnn.output, "_before_rename", lambda target: target.write_text("other run")
    )
    with pytest.raises(ConfigError, match="appeared while this command ran"):
        atomic_write(p, lambda t: t.write_text("mine"), force=False, option="-o")
    assert p.read_text() == "other run" and _temps(tmp_path) == []
    atomic_write(p, lambda t: t.write_text("mine"), force=True)  # force replaces it
    assert p.read_text() == "mine"


def test_without_hard_links_the_move_claims_the_name_exclusively(tmp_path, monkeypatch):
    def no_link(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    p = tmp_path / "f.csv"
    atomic_write(p, lambda t: t.write_text("a"), force=False)
    assert p.read_text() == "a" and _temps(tmp_path) == []
    with pytest.raises(ConfigError, match="appeared"):
        atomic_write(p, lambda t: t.write_text("b"), force=False)
    assert p.read_text() == "a" and _temps(tmp_path) == []


def test_outputs_are_committed_all_or_none(tmp_path, monkeypatch):
    a, b = tmp_path / "a.csv", tmp_path / "b.png"
    outs = Outputs(force=False)
    outs.add(a, "-o", "frame")
    outs.add(b, "--plot", "plot")
    monkeypatch.setattr(
        tsrnn.output,
        "_before_rename",
        lambda target: target.write_bytes(b"theirs") if target == b else None,
    )
    with outs, pytest.raises(ConfigError, match=r"b\.png \(given by --plot\) appeared"):
        outs.stage(a, lambda t: t.write_text("scores"))
        outs.stage(b, lambda t: t.write_bytes(b"png"))
        outs.commit()
    assert not a.exists() and b.read_bytes() == b"theirs" and _temps(tmp_path) == []


def test_an_error_before_commit_leaves_no_output_and_no_temporary(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    outs = Outputs()
    outs.add(a, "-o", "frame")
    outs.add(b, "--events", "frame")
    with pytest.raises(RuntimeError), outs:
        outs.stage(a, lambda t: t.write_text("x"))
        raise RuntimeError("the plot failed")
    assert not a.exists() and not b.exists() and _temps(tmp_path) == []


# -- checks before any work ------------------------------------------------------------------------


def test_outputs_naming_the_same_file_are_refused(tmp_path):
    (tmp_path / "sub").mkdir()
    target = tmp_path / "s.csv"
    for other in (target, tmp_path / "sub" / ".." / "s.csv"):
        outs = Outputs()
        outs.add(target, "-o", "frame")
        with pytest.raises(ConfigError, match=r"-o and --events both name"):
            outs.add(other, "--events", "frame")
    target.write_text("old")
    (tmp_path / "link.csv").symlink_to(target)
    os.link(target, tmp_path / "hard.csv")
    for other in (tmp_path / "link.csv", tmp_path / "hard.csv"):
        outs = Outputs(force=True)
        outs.add(target, "-o", "frame")
        with pytest.raises(ConfigError, match="both name"):
            outs.add(other, "--events", "frame")


def test_a_directory_is_refused_once_with_its_own_sentence(tmp_path):
    for force in (False, True):
        with pytest.raises(ConfigError) as e:
            check_writable(tmp_path, force, "-o")
        assert str(e.value) == f"{tmp_path} is a directory; give a file name to -o"


def test_a_dangling_symlink_counts_as_existing(tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "gone.csv")
    with pytest.raises(ConfigError, match="symbolic link to a missing file; pass --force"):
        check_writable(link, False, "-o")
    with pytest.raises(ConfigError, match="appeared"):  # and the final move does not replace it
        atomic_write(link, lambda t: t.write_text("x"), force=False)
    assert link.is_symlink()
    write_frame(pd.DataFrame({"a": [1]}), link, force=True)
    assert not link.is_symlink() and link.read_text() == "a\n1\n"


@pytest.mark.parametrize(
    "name, fragment",
    [("f.jpg", "unsupported plot type '.jpg'"), ("f", "unsupported plot type '(none)'")],
)
def test_plot_format_comes_from_the_suffix(name, fragment):
    for ok, fmt in (("a.png", "png"), ("a.SVG", "svg"), ("a.pdf", "pdf")):
        assert plot_format(ok) == fmt
    with pytest.raises(ConfigError, match=re.escape(f"{name} (given by --plot): {fragment}")):
        plot_format(name)


def test_plot_forecast_writes_the_format_of_its_suffix(tmp_path):
    from tsrnn.plotting import plot_forecast

    ds = pd.date_range("2020-01-01", periods=30, freq="D")
    hist = pd.DataFrame({"unique_id": "a", "ds": ds[:24], "y": np.arange(24.0)})
    fc = pd.DataFrame({"unique_id": "a", "ds": ds[24:], "model": "Naive", "yhat": 23.0})
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    for fmt, head in magic.items():
        plot_forecast(hist, fc, tmp_path / f"f.{fmt}")
        assert (tmp_path / f"f.{fmt}").read_bytes()[: len(head)] == head
    with pytest.raises(ConfigError, match="unsupported plot type '.jpg'"):
        plot_forecast(hist, fc, tmp_path / "f.jpg")
    assert not (tmp_path / "f.jpg").exists()


# -- full or read-only disks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.ENOSPC, "no space is left on the device"),
        (errno.EDQUOT, "the disk quota is exceeded"),
        (errno.EROFS, "the file system is read-only"),
    ],
)
def test_a_failing_disk_is_one_sentence_naming_the_output(tmp_path, code, reason):
    p = tmp_path / "out.csv"
    p.write_text("keep me")

    def fail(t):
        t.write_text("half")
        raise OSError(code, os.strerror(code))

    with pytest.raises(OutputError) as e:
        atomic_write(p, fail, option="-o")
    assert str(e.value) == f"cannot write {p} (given by -o): {reason}; nothing was written"
    assert e.value.errno == code and isinstance(e.value, OSError)
    assert p.read_text() == "keep me" and _temps(tmp_path) == []


def test_an_unwritable_folder_is_found_before_the_work(tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags, *args):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OutputError) as e:
        Outputs().add(tmp_path / "m.tsrnn", "-o")
    msg = str(e.value)
    assert msg == (
        f"cannot write {tmp_path / 'm.tsrnn'} (given by -o): the file system is read-only; "
        "nothing was written"
    )


# -- leftovers of a killed run ---------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_temporary_file_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    p = tmp_path / "big.csv"
    code = (
        "import time, sys; from tsrnn.output import atomic_write\n"
        "def slow(t):\n    t.write_text('partial'); print('writing', flush=True); time.sleep(60)\n"
        f"atomic_write({str(p)!r}, slow)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = _temps(tmp_path)
    assert len(left) == 1 and left[0].startswith(".big.csv.") and left[0].endswith(".tsrnn-tmp.csv")
    assert not p.exists()
    atomic_write(p, lambda t: t.write_text("done"))
    assert p.read_text() == "done" and _temps(tmp_path) == []


def test_only_temporary_files_of_dead_processes_are_removed(tmp_path):
    p = tmp_path / "f.csv"
    dead = tmp_path / f".f.csv.{_dead_pid()}.0badc0de{TMP_TAG}.csv"
    alive = tmp_path / f".f.csv.{os.getpid()}.0badc0de{TMP_TAG}.csv"
    other = tmp_path / f".g.csv.{_dead_pid()}.0badc0de{TMP_TAG}.csv"  # another target's
    for f in (dead, alive, other):
        f.write_text("x")
    check_writable(p, False, "-o")
    assert not dead.exists() and alive.exists() and other.exists()


def test_a_native_writers_disk_error_is_one_sentence_too(tmp_path):
    """safetensors (Rust) reports a full disk as a SafetensorError quoting the OS error; the text
    below is what it raised on a full 64 KiB tmpfs."""
    p = tmp_path / "m.tsrnn"

    def rust_writer(t):
        raise RuntimeError(
            "Error while serializing: I/O error: No space left on device (os error 28)"
        )

    with pytest.raises(
        OutputError, match=r"m\.tsrnn: no space is left on the device; nothing was written"
    ):
        atomic_write(p, rust_writer)
    with pytest.raises(RuntimeError, match="shape mismatch"):  # other errors pass through unchanged
        atomic_write(p, lambda t: (_ for _ in ()).throw(RuntimeError("shape mismatch")))
    assert _temps(tmp_path) == []


def test_a_disk_error_of_a_nested_write_names_the_output_not_a_temporary(tmp_path):
    p = tmp_path / "m.tsrnn"
    outs = Outputs()
    outs.add(p, "-o")

    def save(t):  # a library writer that itself writes atomically (Forecaster.save, plots)
        atomic_write(
            t, lambda u: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
        )

    with outs, pytest.raises(OutputError) as e:
        outs.stage(p, save)
    assert (
        str(e.value)
        == f"cannot write {p} (given by -o): no space is left on the device; nothing was written"
    )
    assert _temps(tmp_path) == [] and not p.exists()


def test_a_failed_commit_with_force_puts_the_replaced_files_back(tmp_path, monkeypatch):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    a.write_text("old a")
    (tmp_path / "x.csv").write_text("x")
    b.symlink_to(tmp_path / "x.csv")

    def read_only_at_c(target):
        if target == c:
            raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tsrnn.output, "_before_rename", read_only_at_c)
    outs = Outputs(force=True)
    for p, opt in ((a, "-o"), (b, "--events"), (c, "--plot")):
        outs.add(p, opt)
    with (
        outs,
        pytest.raises(
            OutputError,
            match=r"cannot write .*c\.csv \(given by --plot\): the file system is read-only",
        ),
    ):
        for p in (a, b, c):
            outs.stage(p, lambda t, p=p: t.write_text(f"new {p.name}"))
        outs.commit()
    assert a.read_text() == "old a" and b.is_symlink() and b.read_text() == "x" and not c.exists()
    assert _temps(tmp_path) == []
    monkeypatch.setattr(tsrnn.output, "_before_rename", lambda target: None)
    with outs:
        for p in (a, b, c):
            outs.stage(p, lambda t, p=p: t.write_text(f"new {p.name}"))
        assert outs.commit() == [a, b, c]
    assert [p.read_text() for p in (a, b, c)] == ["new a.csv", "new b.csv", "new c.csv"]
    assert not b.is_symlink() and (tmp_path / "x.csv").read_text() == "x" and _temps(tmp_path) == []
