"""Frequency inference, season lengths and regular time grids.

A frequency is a pandas offset alias string ("h", "30min", "D", "MS", "YS", ...).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from tsrnn.errors import ConfigError, DataError

_DAY = pd.Timedelta(days=1)


def infer_freq(ds: pd.Series | pd.DatetimeIndex | np.ndarray, where: str = "series") -> str:
    """Infer the frequency alias of one series' sorted timestamps.

    Tries pandas' calendar-aware inference first (month/quarter/year starts and ends), then the
    most common spacing, so that a series with a few gaps still gets its true frequency.
    """
    idx = pd.DatetimeIndex(ds)
    if len(idx) < 3:
        raise DataError(
            f"{where}: cannot infer the frequency from {len(idx)} timestamps; pass --freq"
        )
    f = _pandas_infer(idx)
    if f is None:
        # longest gap-free head: pandas needs a regular stretch; use the modal step instead
        diffs = np.diff(idx.values)  # timedelta64 in the index's own unit
        vals, counts = np.unique(diffs, return_counts=True)
        step = pd.Timedelta(vals[np.argmax(counts)])
        if step <= pd.Timedelta(0):
            raise DataError(f"{where}: timestamps are not increasing; cannot infer the frequency")
        # a month/quarter/year spacing varies in days; try calendar inference on a window
        if step >= pd.Timedelta(days=28):
            for start in range(0, max(1, len(idx) - 6), max(1, len(idx) // 8)):
                f = _pandas_infer(idx[start : start + 6])
                if f is not None:
                    break
        if f is None:
            f = _step_alias(step, idx[0])
    return _normalise_alias(f)


def _pandas_infer(idx: pd.DatetimeIndex) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 announces an offset return type
        try:
            f = pd.infer_freq(idx)
        except (TypeError, ValueError):
            return None
    return None if f is None else getattr(f, "freqstr", f)


def _step_alias(step: pd.Timedelta, first: pd.Timestamp) -> str:
    """Alias of a fixed step: whole days as 'D'/'nD',
    7 days as weekly anchored on `first`'s weekday."""
    if step % _DAY == pd.Timedelta(0):
        days = step // _DAY
        if days == 7:
            return "W-" + first.day_name()[:3].upper()
        return "D" if days == 1 else f"{days}D"
    return pd.tseries.frequencies.to_offset(step).freqstr


def _normalise_alias(alias: str) -> str:
    """The alias as pandas 3 names it: quarterly anchors are the first month of the quarter cycle
    for starts (QS-JAN, QS-FEB, QS-MAR) and the last for ends (QE-OCT, QE-NOV, QE-DEC); pandas 2
    infers July starts as QS-OCT, pandas 3 as QS-JAN, for the same dates."""
    off = pd.tseries.frequencies.to_offset(alias)
    if isinstance(off, (pd.offsets.QuarterBegin, pd.offsets.BQuarterBegin)):
        off = type(off)(n=off.n, startingMonth=(off.startingMonth - 1) % 3 + 1)
    elif isinstance(off, (pd.offsets.QuarterEnd, pd.offsets.BQuarterEnd)):
        off = type(off)(n=off.n, startingMonth=(off.startingMonth - 1) % 3 + 10)
    return off.freqstr


def season_length(freq: str | None) -> int:
    """Default season length for a frequency: steps per day for sub-daily data, 7 for daily,
    52 weekly, 12 monthly, 4 quarterly, 5 business-daily, 1 yearly or unknown."""
    if freq is None:
        return 1
    off = pd.tseries.frequencies.to_offset(freq)
    name = off.rule_code.split("-")[0].upper()
    if name.startswith(("Y", "A")):
        return 1
    if name.startswith("Q"):
        return 4
    if name.startswith(("M", "BM", "SM")) and name not in ("MIN",):
        return 12
    if name.startswith("W"):
        return 52
    if name in ("B", "C"):
        return 5
    try:
        step = pd.Timedelta(off)
    except (TypeError, ValueError):
        return 1
    if step == _DAY:
        return 7
    if step < _DAY and _DAY % step == pd.Timedelta(0):
        return int(_DAY / step)
    return 1


def default_horizon(freq: str | None) -> int:
    """Steps to forecast when none is asked for: one season of `freq`, or 6 where the season is
    one step (yearly or unknown frequency)."""
    m = season_length(freq)
    return m if m > 1 else 6


def regular_grid(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """All timestamps from start to end (inclusive) at the given frequency."""
    return pd.date_range(start, end, freq=freq)


# aliases pandas 2.2 deprecated and pandas 3 removed -> their new names; refused on every pandas
# (pandas 2 would still read 'M' as month end), the message naming the new alias
_REMOVED = {
    "M": "ME",
    "Q": "QE",
    "Y": "YE",
    "A": "YE",
    "BM": "BME",
    "BQ": "BQE",
    "BY": "BYE",
    "BA": "BYE",
    "SM": "SME",
    "CBM": "CBME",
    "H": "h",
    "BH": "bh",
    "CBH": "cbh",
    "T": "min",
    "S": "s",
    "L": "ms",
    "U": "us",
    "N": "ns",
}
_ENDS = {
    "ME": "month end; MS is month start",
    "QE": "quarter end; QS is quarter start",
    "YE": "year end; YS is year start",
}
_STILL_READ = {"w", "MIN", "d"}  # deprecated spellings that pandas 3 still reads (with a warning)
_PANDAS_2 = int(pd.__version__.split(".")[0]) < 3
_ALIAS = re.compile(r"\s*([+-]?\d*)\s*([A-Za-z]+)(-[A-Za-z]+)?\s*")


def parse_freq(freq: str, option: str = "--freq") -> str:
    """The normalised alias of a user's frequency (e.g. '1D' -> 'D'); ConfigError for anything
    that is not a pandas alias or not a positive step ('0D', '-1D').

    Only aliases that pandas 3 reads are accepted, on pandas 2 as well: 'M', 'H', 'T', 'A', ...
    are refused with their new names ('ME' for month end, 'h', 'min', 'YE')."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            off = pd.tseries.frequencies.to_offset(freq)
        except (ValueError, TypeError):
            off = None
    m = _ALIAS.fullmatch(freq) if isinstance(freq, str) else None
    code = m.group(2) if m else ""
    renamed = (
        _PANDAS_2
        and code not in _STILL_READ
        and any(
            issubclass(w.category, FutureWarning) and "deprecated" in str(w.message) for w in caught
        )
    )
    if m and (off is None or renamed) and code.upper() in _REMOVED and code not in ("s", "ms"):
        new = _REMOVED[code.upper()]
        anchor = (m.group(3) or "").upper()
        hint = f" ({_ENDS[new]})" if new in _ENDS else ""
        raise ConfigError(
            f"{option} '{freq}' is not a pandas frequency alias any more; use "
            f"'{m.group(1)}{new}{anchor}'{hint}"
        )
    if off is None or renamed:
        raise ConfigError(
            f"{option} '{freq}' is not a pandas frequency alias (e.g. h, 30min, D, W, MS, QS, YS)"
        )
    if off.n <= 0:
        raise ConfigError(f"{option} '{freq}' is not a positive step; use e.g. D, 2h, MS")
    return off.freqstr


def future_dates(last: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    """The `horizon` timestamps that follow `last` at frequency `freq` (datetime64[ns]).

    Raises DataError when they pass the last date datetime64[ns] holds (2262-04-11)."""
    try:
        out = pd.date_range(
            pd.Timestamp(last).as_unit("ns"), periods=horizon + 1, freq=freq, unit="ns"
        )[1:]
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        out = None
    if out is None or (len(out) and out[-1] < pd.Timestamp(last)):
        raise DataError(
            f"a forecast {horizon} steps of '{freq}' after {pd.Timestamp(last)} would pass "
            f"{pd.Timestamp.max:%Y-%m-%d}, the last date tsrnn can represent; use a shorter horizon"
        )
    return out
