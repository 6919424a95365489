"""The small real datasets shipped in the repository's datasets/ folder (see datasets/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parents[2] / "datasets"


def list_datasets() -> list[dict]:
    """Entries of datasets/catalog.json (name, file, freq, series, length, source, licence; labels:
    the anomaly labels file of a labelled series)."""
    catalog = DATASETS_DIR / "catalog.json"
    if not catalog.exists():
        return []
    entries = json.loads(catalog.read_text())
    for e in entries:
        e["path"] = str(DATASETS_DIR / e["file"])
        if e.get("labels"):
            e["labels_path"] = str(DATASETS_DIR / e["labels"])
    return entries
