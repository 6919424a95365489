"""Every package is listed in pyproject.toml, and cli/ is installed as tsrnn_cli, not `cli`."""

from __future__ import annotations

import tomllib
from conftest import ROOT


def test_all_packages_listed_and_cli_mapped():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tsrnn").rglob("__init__.py")
    }
    found |= {
        "tsrnn_cli" + "".join("." + part for part in p.parent.relative_to(ROOT / "cli").parts)
        for p in (ROOT / "cli").rglob("__init__.py")
    }
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
    assert "cli" not in listed and cfg["package-dir"] == {"tsrnn_cli": "cli"}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"tsrnn": "tsrnn_cli.app:main"}
