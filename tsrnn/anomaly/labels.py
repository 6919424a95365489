"""Anomaly labels: reading a labels file and turning labelled windows into per-point masks.

Accepted JSON layouts (NAB's own two files included):

- windows per series: ``{"name": [["2014-04-10 07:15", "2014-04-11 16:45"], ...], ...}``
  (NAB's combined_windows.json; the key may be a path, matched on its file stem);
- timestamps per series: ``{"name": ["2014-04-10 07:15", ...]}`` (combined_labels.json): each
  timestamp is a window of one point;
- the same list without a key, for a single series: ``[["start", "end"], ...]`` or ``["t", ...]``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.errors import DataError

__all__ = ["read_labels", "windows_to_index", "label_mask", "labels_from_column"]

Windows = list[tuple[pd.Timestamp, pd.Timestamp]]


def _parse_windows(items, where: str) -> Windows:
    if not isinstance(items, list):
        raise DataError(
            f"{where}: expected a list of [start, end] windows or timestamps, found "
            f"{type(items).__name__}"
        )
    out = []
    for k, it in enumerate(items):
        pair = it if isinstance(it, (list, tuple)) else [it, it]
        if len(pair) != 2:
            raise DataError(
                f"{where}: item {k + 1} should be [start, end], found {len(pair)} values"
            )
        try:
            a, b = (pd.Timestamp(x) for x in pair)
        except (ValueError, TypeError):
            raise DataError(
                f"{where}: item {k + 1} ({pair!r}) is not a timestamp or [start, end] pair"
            ) from None
        if a.tzinfo is not None:
            a, b = a.tz_convert("UTC").tz_localize(None), b.tz_convert("UTC").tz_localize(None)
        if b < a:
            raise DataError(f"{where}: window {k + 1} ends ({b}) before it starts ({a})")
        out.append((a, b))
    return sorted(out)


def read_labels(path: str | Path, ids: list[str]) -> dict[str, Windows]:
    """Labelled windows per series id from a JSON file; series absent from the file get none.

    A key matches a series when it equals the id or its file stem does
    ("realKnownCause/nyc_taxi.csv" matches "nyc_taxi"). A file with keys of which none matches is an
    error (likely the wrong file).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: labels file not found")
    try:
        raw = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{p}: not a valid JSON labels file ({str(e).splitlines()[0]})") from None
    if isinstance(raw, list):
        if len(ids) != 1:
            raise DataError(
                f"{p}: a bare list of labels fits one series, but the data holds {len(ids)}; "
                "key the labels by series id"
            )
        return {ids[0]: _parse_windows(raw, str(p))}
    if not isinstance(raw, dict):
        raise DataError(f"{p}: expected a JSON object of series -> windows or a list of windows")
    out: dict[str, Windows] = {uid: [] for uid in ids}
    matched = False
    for key, items in raw.items():
        stem = Path(str(key)).stem
        uid = key if key in out else stem if stem in out else None
        if uid is None:
            continue
        matched = True
        out[uid] = _parse_windows(items, f"{p}: '{key}'")
    if raw and not matched:
        shown = ", ".join(list(map(str, raw))[:3])
        raise DataError(
            f"{p}: no key matches a series of the data (keys: {shown}...; series: "
            f"{', '.join(ids[:3])})"
        )
    return out


def windows_to_index(
    ds: np.ndarray, windows: Windows, where: str = "labels"
) -> list[tuple[int, int]]:
    """Map timestamp windows onto inclusive positions of the sorted timestamps `ds` (T,).

    A window covering no timestamp of the series (outside its time range) is a DataError.
    """
    ds = np.asarray(ds, dtype="datetime64[ns]")
    out = []
    for a, b in windows:
        i = int(np.searchsorted(ds, np.datetime64(a, "ns"), side="left"))
        j = int(np.searchsorted(ds, np.datetime64(b, "ns"), side="right")) - 1
        if len(ds) == 0 or i > j:
            lo, hi = (pd.Timestamp(ds[0]), pd.Timestamp(ds[-1])) if len(ds) else (None, None)
            raise DataError(
                f"{where}: labelled window {a} – {b} lies outside the series' time range "
                f"({lo} – {hi}) or between its timestamps"
            )
        out.append((i, j))
    return out


def label_mask(n: int, windows: list[tuple[int, int]]) -> np.ndarray:
    """(n,) bool mask, True inside the inclusive index windows."""
    m = np.zeros(n, dtype=bool)
    for a, b in windows:
        m[a : b + 1] = True
    return m


def labels_from_column(values: np.ndarray, column: str, where: str = "data") -> np.ndarray:
    """A 0/1 (or true/false) label column as a (T,) bool array."""
    v = pd.Series(values)
    if v.dtype == bool:
        return v.to_numpy()
    num = pd.to_numeric(
        v.astype(str).str.strip().str.lower().replace({"true": "1", "false": "0"}), errors="coerce"
    )
    bad = ~num.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{where}: label column '{column}' row {i + 1}: '{values[i]}' is not 0/1 or true/false"
        )
    return num.to_numpy().astype(bool)
