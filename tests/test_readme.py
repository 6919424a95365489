"""The code blocks of README.md and docs/*.md: the Python examples import only public names from
`tsrnn` (and run, on the shipped datasets: slow), every `tsrnn ...` shell line names a command that
exists and options that command declares."""

from __future__ import annotations

import ast
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(lang: str) -> list[tuple[str, str]]:
    """(file name, code) of every fenced ```lang block of the docs."""
    out = []
    for p in DOCS:
        for code in re.findall(
            rf"^```{lang}\n(.*?)^```", p.read_text(encoding="utf-8"), re.S | re.M
        ):
            out.append((p.name, code))
    return out


def test_the_docs_have_code_blocks():
    assert len(_blocks("python")) >= 1 and len(_blocks("bash")) >= 3


@pytest.mark.parametrize("where,code", _blocks("python"))
def test_python_examples_use_public_names_from_tsrnn_only(where, code):
    import tsrnn

    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tsrnn"):
            assert node.module == "tsrnn", f"{where}: imports from {node.module}"
            for a in node.names:
                assert a.name in tsrnn.__all__, f"{where}: {a.name} is not public"
        if isinstance(node, ast.Import):
            for a in node.names:
                assert a.name == "tsrnn" or not a.name.startswith("tsrnn"), f"{where}: {a.name}"
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "tsrnn"
        ):
            assert node.attr in tsrnn.__all__, f"{where}: tsrnn.{node.attr} is not public"
            assert getattr(tsrnn, node.attr) is not None


def _shell_commands(code: str) -> list[list[str]]:
    """The argument lists after `tsrnn` (or `-m tsrnn_cli`) of every command in a shell block."""
    out = []
    for line in re.sub(r"\\\n\s*", " ", code).splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        part: list[str] = []
        for w in [*lex, ";"]:
            if w not in ("|", ";", "&&", "||"):
                part.append(w)
                continue
            for i, x in enumerate(part):
                if x == "tsrnn" or (x == "tsrnn_cli" and i and part[i - 1] == "-m"):
                    out.append(part[i + 1 :])
                    break
            part = []
    return out


def _command(args: list[str]):
    """The click command that `tsrnn args...` runs, and the words after its name."""
    import typer
    from tsrnn_cli.app import app

    cmd = typer.main.get_command(app)
    rest = list(args)
    while hasattr(cmd, "commands") and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        assert name in cmd.commands, f"tsrnn {' '.join(args)}: no command '{name}'"
        cmd = cmd.commands[name]
    return cmd, rest


def test_shell_examples_name_commands_and_options_that_exist():
    seen = 0
    for where, code in _blocks("bash"):
        for args in _shell_commands(code):
            if args and args[0] == "--version":
                continue
            cmd, rest = _command(args)
            flags = {"--help"}
            for p in cmd.params:
                flags.update(getattr(p, "opts", []))
                flags.update(getattr(p, "secondary_opts", []))
            for w in rest:
                if w.startswith("-") and len(w) > 1 and not re.fullmatch(r"-?[\d.]+", w):
                    assert w.split("=")[0] in flags, f"{where}: tsrnn {' '.join(args)}: {w}"
            seen += 1
    assert seen >= 20  # the README's command-line section


def test_the_command_checker_finds_a_wrong_option():
    cmd, rest = _command(["detect", "x.csv", "--scorrer", "zscore"])
    flags = {o for p in cmd.params for o in getattr(p, "opts", [])}
    assert "--scorer" in flags and "--scorrer" not in flags
    with pytest.raises(AssertionError, match="no command 'forcast'"):
        _command(["forcast", "x.csv"])
    assert _shell_commands(
        "tail -f v.txt | tsrnn detect-stream d.csv -s zscore  # note\n"
        "tsrnn text tag --help; tsrnn datasets\n"
    ) == [["detect-stream", "d.csv", "-s", "zscore"], ["text", "tag", "--help"], ["datasets"]]


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python example, run as written on the shipped datasets (about 25 s of CPU,
    three minutes of wall time on a busy 2-core machine)."""
    (tmp_path / "datasets").symlink_to(ROOT / "datasets")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    ((where, code),) = [b for b in _blocks("python") if b[0] == "README.md"]
    ns: dict = {}
    exec(compile(code, where, "exec"), ns)
    fc, same, out = ns["fc"], ns["same"], ns["out"]
    assert list(fc["model"].unique()) == ["SeasonalNaive", "ETS", "theta", "LSTM"]
    assert len(fc) == 4 * 12 and {"yhat_lo_80", "yhat_hi_95"} <= set(fc.columns)
    lstm = fc[fc["model"] == "LSTM"]["yhat"].to_numpy()
    np.testing.assert_allclose(same["yhat"].to_numpy(), lstm, rtol=1e-4)  # numba = torch
    assert ns["next12"].shape == (12,)
    assert (tmp_path / "elnino.tsrnn").is_file()
    assert {"unique_id", "ds", "y", "score", "threshold", "is_anomaly"} <= set(out.columns)
    assert set(ns["res"].summary()["model"]) == {"SeasonalNaive", "ETS", "Theta"}
