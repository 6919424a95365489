"""Lazy public names for packages whose import must stay cheap (no torch, numba or statsmodels)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_getattr(package: str, names: dict[str, str], namespace: dict) -> Callable[[str], object]:
    """A module-level ``__getattr__`` that imports ``names[name]`` on first access and caches the
    attribute in `namespace` (the package's globals())."""

    def __getattr__(name: str):
        if name in names:
            value = getattr(import_module(names[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module '{package}' has no attribute {name!r}")

    return __getattr__
