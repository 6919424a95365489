"""Each benchmark owns one section of benchmarks/RESULTS.md, delimited by markers, and replaces
only that section, so scripts never overwrite each other's figures."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\nEvery figure here was produced by the script named in its section; "
    "each section says when, on which machine and with which command.\n"
)


def machine() -> str:
    """One line describing this machine: CPU model, cores, torch/CUDA device when present."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    desc = f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        desc += f", torch {torch.__version__}"
        if torch.cuda.is_available():
            desc += f", GPU {torch.cuda.get_device_name(0)}"
    return desc


def command() -> str:
    return "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])


def update_section(name: str, body: str) -> None:
    """Replace (or append) the section `name` of RESULTS.md with a dated header and `body`."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=RESULTS.parent,
        ).stdout.strip()
    except OSError:
        rev = "?"
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"<!-- BEGIN {name} -->\n## {name}\n\n- date: {stamp} (commit {rev or '?'})\n- machine: "
        f"{machine()}\n"
        f"- command: `{command()}`\n\n{body.rstrip()}\n<!-- END {name} -->\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pat = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->\n?", re.S)
    text = pat.sub(lambda _m: block, text) if pat.search(text) else text.rstrip() + "\n\n" + block
    RESULTS.write_text(text)


def markdown_table(
    rows: list[dict], columns: list[str] | None = None, floatfmt: str = "{:.3f}"
) -> str:
    if not rows:
        return "(no rows)\n"
    columns = columns or list(rows[0])

    def fmt(v):
        return floatfmt.format(v) if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"
