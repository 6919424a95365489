"""Timestamp parsing: one format for a whole column, never a guess between two readings.

A column of text timestamps is read with a single strftime format, inferred from its values or
given by the user (``date_format``). When two formats fit every value and read them differently
(``01/02/2020``: 2 January month-first, 1 February day-first) the column is refused unless
``dayfirst`` says which to use. Values outside what datetime64[ns] can hold (before 1677-09-22 or
after 2262-04-11), two-digit or shorter years and bare numbers other than 4-digit years or
YYYYMMDD-style digit strings are refused, never wrapped or guessed. Time-zone-aware values are
converted to UTC and made naive; a column mixing aware and naive values is refused.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from tsrnn.errors import ConfigError, DataError

LOWEST, HIGHEST = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_MISSING = {"", "nan", "nat", "none", "null", "na", "n/a"}
_NUMBER = r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"
# digit strings read as dates: length -> format
_DIGIT_FORMATS = {
    4: "%Y",
    6: "%Y%m",
    8: "%Y%m%d",
    10: "%Y%m%d%H",
    12: "%Y%m%d%H%M",
    14: "%Y%m%d%H%M%S",
}
_AWARE = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?|UTC|GMT|utc|gmt)$"
_SHORT_YEAR = re.compile(r"\d{1,3}[-/.]\d{1,2}(?:[-/.]\d{1,3})?")
_EXTRA_FORMATS = ("%b %Y", "%B %Y", "%Y %b", "%Y %B", "%b-%Y", "%Y-%b", "%d %b %Y", "%d-%b-%Y")
RANGE_TEXT = f"{LOWEST:%Y-%m-%d} to {HIGHEST:%Y-%m-%d}"
# pandas 2 parses text to datetime64[ns] only and reads a date outside that range as NaT; pandas 3
# parses it (in microseconds) and the range check below names it
_NS_ONLY = int(pd.__version__.split(".")[0]) < 3
_LOW_US, _HIGH_US = np.datetime64("1677-09-22", "us"), np.datetime64("2262-04-11T23:47:16", "us")
# a run of four or more digits that may be a year outside the datetime64[ns] range
_ISO_LIKE = re.compile(
    r"\d{4}(?:-\d\d?(?:-\d\d?(?:[T ]\d\d?(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?)?)?)?"
    r"\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)?"
)
_FAR_4_DIGITS = r"(?<!\d)(?:0\d{3}|1[0-6]\d\d|22[6-9]\d|2[3-9]\d\d|[3-9]\d{3})(?!\d)"
_FAR_YEAR = r"(?<!\d)(?:0\d{3}|1[0-6]\d\d|22[6-9]\d|2[3-9]\d\d|[3-9]\d{3}|\d{5,})(?!\d)"


def parse_timestamps(
    col: pd.Series,
    name: str,
    where: str,
    line_offset: int = 2,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> np.ndarray:
    """Parse one time column into datetime64[ns] (naive; aware values converted to UTC).

    ``col``: the column as read (strings, datetimes or numbers), row i on file line
    ``i + line_offset``. ``date_format``: a strftime format for every value (default: inferred).
    ``dayfirst``: True/False settles day-first against month-first when both fit; None refuses
    such a column. Raises DataError naming ``where``, the column and a line; ConfigError for a
    ``date_format`` that is not a format.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' format and dayfirst warnings: never shown
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(col):
            return _from_datetimes(col, name, where, line_offset)
        return _from_text(_as_text(col), name, where, line_offset, date_format, dayfirst)


def looks_like_timestamps(col: pd.Series) -> bool:
    """Whether the values of `col` (a few rows are enough) parse as timestamps of one format."""
    try:
        parse_timestamps(col.reset_index(drop=True), "?", "?")
    except DataError:
        return False
    return True


def _as_text(col: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(col):
        return col.astype(str)
    if pd.api.types.is_integer_dtype(col):
        return col.astype("Int64").astype(str)
    if pd.api.types.is_float_dtype(col):
        vals = col.to_numpy(dtype=np.float64)
        whole = np.isfinite(vals) & (vals == np.round(vals)) & (np.abs(vals) < 1e15)
        if whole.all():
            return pd.Series(vals.astype(np.int64).astype(str), index=col.index)
        return col.astype(str)
    return col.astype(str).str.strip()


def _from_datetimes(col: pd.Series, name: str, where: str, line_offset: int) -> np.ndarray:
    s = pd.Series(col).reset_index(drop=True)
    if s.dt.tz is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    _check_missing(s.isna().to_numpy(), s.astype(str), name, where, line_offset)
    return _to_ns(s, s.astype(str), name, where, line_offset)


def _from_text(text, name, where, line_offset, date_format, dayfirst) -> np.ndarray:
    text = text.reset_index(drop=True)
    _check_missing(text.str.lower().isin(_MISSING).to_numpy(), text, name, where, line_offset)
    sample = _sample(text)
    aware = text.str.contains(_AWARE).to_numpy() if sample.str.contains(_AWARE).any() else None
    if aware is not None and not aware.all():
        _refuse_mixed_zones(
            text, int(np.flatnonzero(aware != aware[0])[0]), name, where, line_offset
        )
    utc = aware is not None
    if date_format is not None:
        parsed = _parse_with(text, date_format, utc, strict_format=True)
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where}: column '{name}' line {i + line_offset}: '{text.iat[i]}' does not match "
                f"--date-format '{date_format}'"
            )
        return _to_ns(parsed, text, name, where, line_offset)
    if sample.str.fullmatch(_NUMBER).all() and text.str.fullmatch(_NUMBER).all():
        return _from_digits(text, name, where, line_offset)
    candidates = _candidates(text, dayfirst)
    survivors = [f for f in candidates if _parse_with(sample, f, utc).notna().all()]
    fits, best, best_bad = [], None, None
    for fmt in survivors or candidates[:1]:
        parsed = _parse_with(text, fmt, utc)
        bad = parsed.isna().to_numpy()
        if not bad.any():
            fits.append((fmt, parsed))
        elif best_bad is None or bad.sum() < best_bad.sum():
            best, best_bad = fmt, bad
    if not fits:
        if best_bad is None or not survivors:
            best = _best_on(sample, candidates, utc)
            best_bad = _parse_with(text, best, utc).isna().to_numpy() if best is not None else None
        i = int(np.flatnonzero(best_bad)[0]) if best_bad is not None and best_bad.any() else 0
        if not utc:  # an offset the sample did not show
            aware = text.str.contains(_AWARE).to_numpy()
            if aware.any():
                _refuse_mixed_zones(
                    text, int(np.flatnonzero(aware != aware[0])[0]), name, where, line_offset
                )
        raise DataError(_unparsable(text.iat[i], name, where, i + line_offset, best))
    fmt, parsed = fits[0]
    for other, alt in fits[1:]:
        differ = (parsed != alt).to_numpy()
        if differ.any():
            i = int(np.flatnonzero(differ)[0])
            raise DataError(
                f"{where}: column '{name}' line {i + line_offset}: '{text.iat[i]}' reads as "
                f"{parsed.iat[i]:%Y-%m-%d} with {fmt} and as {alt.iat[i]:%Y-%m-%d} with {other}, "
                "and every value fits both; pass --dayfirst or --monthfirst, or --date-format "
                f"(e.g. {fmt})"
            )
    return _to_ns(parsed, text, name, where, line_offset)


def _refuse_mixed_zones(text: pd.Series, i: int, name: str, where: str, line_offset: int) -> None:
    """Raise the error for a column whose value i has a UTC offset and value 0 has none, or the
    reverse."""
    raise DataError(
        f"{where}: column '{name}' mixes timestamps with and without a UTC offset (line "
        f"{line_offset}: '{text.iat[0]}', line {i + line_offset}: '{text.iat[i]}'); "
        "give every value an offset or none"
    )


def _sample(text: pd.Series) -> pd.Series:
    """The first 200 values and 200 spread over the rest: where formats are tried first."""
    n = len(text)
    idx = np.unique(
        np.concatenate([np.arange(min(n, 200)), np.linspace(0, n - 1, min(n, 200)).astype(int)])
    )
    return text.iloc[idx]


def _best_on(sample: pd.Series, candidates: list[str], utc: bool) -> str | None:
    """The first candidate that parses most of the sample (None when none parses any of it)."""
    counts = [
        (int(_parse_with(sample, f, utc).notna().sum()), -k, f) for k, f in enumerate(candidates)
    ]
    n, _, fmt = max(counts) if counts else (0, 0, None)
    return fmt if n > 0 else None


def _check_missing(
    missing: np.ndarray, text: pd.Series, name: str, where: str, line_offset: int
) -> None:
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"{where}: column '{name}' line {i + line_offset}: the timestamp is missing "
            f"('{text.iat[i]}'); every row needs one"
        )


def _from_digits(text: pd.Series, name: str, where: str, line_offset: int) -> np.ndarray:
    """Digit strings: 4-digit years, YYYYMM, YYYYMMDD[HH[MM[SS]]]; anything else is refused."""
    lengths = text.str.len()
    fmt = _DIGIT_FORMATS.get(int(lengths.iat[0])) if text.str.fullmatch(r"\d+").all() else None
    if fmt is not None and (lengths == lengths.iat[0]).all():
        parsed = _parse_with(text, fmt, False)
        bad = parsed.isna().to_numpy()
        if not bad.any():
            return _to_ns(parsed, text, name, where, line_offset)
        i = int(np.flatnonzero(bad)[0])
    else:
        odd = (lengths != lengths.iat[0]).to_numpy() | ~text.str.fullmatch(r"\d+").to_numpy()
        i = int(np.flatnonzero(odd)[0]) if fmt is not None and odd.any() else 0
    raise DataError(
        f"{where}: column '{name}' line {i + line_offset}: '{text.iat[i]}' is a number, not a "
        "timestamp (digit strings are read only as YYYY, YYYYMM or YYYYMMDD[HH[MM[SS]]]); pass "
        "--date-format or write dates such as 2020-01-31"
    )


def _candidates(text: pd.Series, dayfirst: bool | None) -> list[str]:
    """Formats worth trying: pandas' guesses for a few values, both day orders, then ISO 8601."""
    n = len(text)
    probes = dict.fromkeys(text.iat[i] for i in (0, n // 2, n - 1))
    found: list[str] = []
    for v in probes:
        for df in (False, True):
            fmt = _guess(v, df)
            if fmt and fmt not in found and _usable(fmt):
                found.append(fmt)
    for fmt in list(found):  # the other day order of every guess
        swapped = _swap_day_month(fmt)
        if swapped and swapped not in found and _usable(swapped):
            found.append(swapped)
    if dayfirst is not None:  # year-first formats are always year-month-day
        found = [f for f in found if _day_order(f) in (None, dayfirst) or _year_first(f)]
    found += [f for f in ("ISO8601", *_EXTRA_FORMATS) if f not in found]
    return found


def _guess(value: str, dayfirst: bool) -> str | None:
    """pandas' guess of the format of `value`; on pandas 2, which guesses nothing for a date
    outside datetime64[ns], the guess for the value with its far year written as 2000."""
    try:
        fmt = guess_datetime_format(value, dayfirst=dayfirst)
        if fmt is None and _NS_ONLY and re.search(_FAR_4_DIGITS, value):
            fmt = guess_datetime_format(re.sub(_FAR_4_DIGITS, "2000", value), dayfirst=dayfirst)
    except (ValueError, TypeError):
        fmt = None
    return fmt


def _usable(fmt: str) -> bool:
    """Two-digit years are a guess about the century, and year-day-month is not a real order."""
    if "%y" in fmt:
        return False
    y, d, m = fmt.find("%Y"), fmt.find("%d"), fmt.find("%m")
    return not (0 <= y < d < m)


def _year_first(fmt: str) -> bool:
    y, d, m = fmt.find("%Y"), fmt.find("%d"), fmt.find("%m")
    return 0 <= y < min(d, m) if d >= 0 and m >= 0 else False


def _day_order(fmt: str) -> bool | None:
    """True when %d comes before %m (day-first), False when after, None without both."""
    d, m = fmt.find("%d"), fmt.find("%m")
    if d < 0 or m < 0:
        return None
    return d < m


def _swap_day_month(fmt: str) -> str | None:
    if _day_order(fmt) is None:
        return None
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _parse_with(text: pd.Series, fmt: str, utc: bool, strict_format: bool = False) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError) as e:
        if strict_format:
            raise ConfigError(
                f"--date-format '{fmt}' is not a usable strftime format ({_first_line(e)})"
            ) from None
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if utc:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    elif getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    if _NS_ONLY and parsed.isna().any():
        parsed = _with_far_dates(parsed, text, fmt)
    return parsed


def _with_far_dates(parsed: pd.Series, text: pd.Series, fmt: str) -> pd.Series:
    """`parsed` (datetime64[ns], NaT where pandas 2 failed) with the values that `fmt` reads as a
    date outside the datetime64[ns] range filled in, as datetime64[us] (what pandas 3 gives)."""
    maybe = parsed.isna().to_numpy() & text.str.contains(_FAR_YEAR, na=False).to_numpy(dtype=bool)
    far = {}
    for i in np.flatnonzero(maybe):
        value = _far_date(str(text.iat[i]), fmt)
        if value is not None:
            far[i] = value
    if not far:
        return parsed
    vals = parsed.to_numpy().astype("datetime64[us]")
    vals[list(far)] = list(far.values())
    return pd.Series(vals, index=parsed.index)


def _far_date(value: str, fmt: str) -> np.datetime64 | None:
    """`value` read with `fmt` (naive, UTC for an offset) when that is a real date outside the
    datetime64[ns] range; None otherwise."""
    try:
        if fmt == "ISO8601":  # pandas' own ISO 8601 reader, which pd.Timestamp uses beyond ns
            if not _ISO_LIKE.fullmatch(value):
                return None
            ts = pd.Timestamp(value)
            ts = ts.tz_convert("UTC").tz_localize(None) if ts.tz is not None else ts
            out = ts.asm8.astype("datetime64[us]")
        else:
            dt = datetime.strptime(value, fmt)
            if dt.tzinfo is not None:
                dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
            out = np.datetime64(dt, "us")
    except (ValueError, OverflowError):
        return None
    # bounds in microseconds too: in ns the far date overflows
    inside = _LOW_US <= out <= _HIGH_US
    return None if inside else out


def _to_ns(
    parsed: pd.Series, text: pd.Series, name: str, where: str, line_offset: int
) -> np.ndarray:
    vals = parsed.to_numpy()
    # the nanosecond bounds in the parsed values' own unit (pandas 2 parses to ns, 3 may not):
    # comparing across units makes numpy convert to ns, which overflows for far dates (and a
    # microsecond-rounded bound overflowed itself: every date was "out of range" on pandas 2)
    unit = np.datetime_data(vals.dtype)[0] if vals.dtype.kind == "M" else "ns"
    lo, hi = _LOW_US.astype(f"datetime64[{unit}]"), _HIGH_US.astype(f"datetime64[{unit}]")
    out = (vals < lo) | (vals > hi)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise DataError(
            f"{where}: column '{name}' line {i + line_offset}: '{text.iat[i]}' is outside the "
            f"dates tsrnn can represent ({RANGE_TEXT}); fix the year or pass --date-format"
        )
    return vals.astype("datetime64[ns]")


def _unparsable(value: str, name: str, where: str, line: int, fmt: str | None) -> str:
    head = f"{where}: column '{name}' line {line}: cannot parse '{value}' as a timestamp"
    if _SHORT_YEAR.fullmatch(value) and not re.search(r"\d{4}", value):
        return (
            f"{head}: it has no four-digit year (dates from {RANGE_TEXT} are supported); write "
            "full years such as 2001-01, or pass --date-format with %y if every year has two digits"
        )
    if fmt is not None and fmt != "ISO8601":
        return f"{head} (the other values fit the format {fmt}); fix it or pass --date-format"
    return f"{head}; pass --date-format (e.g. %d.%m.%Y %H:%M)"


def _first_line(e: BaseException) -> str:
    s = str(e).strip()
    return s.splitlines()[0] if s else type(e).__name__
