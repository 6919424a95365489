"""The small real datasets shipped in the repository's datasets/ folder (see datasets/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parents[2] / "datasets"


def list_datasets() -> list[dict]:
    """Entries of datasets/catalog.json (name, file, freq, series, length, source, licence)."""
    catalog = DATASETS_DIR / "catalog.json"
    if not catalog.exists():
        return []
    entries = json.loads(catalog.read_text())
    for e in entries:
        e["path"] = str(DATASETS_DIR / e["file"])
    return entries
