"""Reading a user's file (CSV, Parquet, Monash .tsf) into the validated long frame.

The long frame has one row per observation and the columns ``unique_id`` (str), ``ds``
(datetime64[ns]), ``y`` (float64) — or, when several target columns were asked for, one float
column per target under its own name. ``df.attrs`` carries ``freq`` (pandas alias), ``targets``
(the value columns) and ``source`` (file name, for messages). Rows are sorted by (unique_id, ds);
every series sits on a regular grid at ``freq`` with no duplicate, missing, NaN or infinite value.
The file's table (cells as strings, column names cleaned) is read by tsrnn.data.tables,
timestamps are parsed by tsrnn.data.dates (one format per column), CSV separators and decimal
marks detected by tsrnn.data.dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.data.dates import looks_like_timestamps, parse_timestamps
from tsrnn.data.dialect import normalise_decimal, normalise_sep, sep_name
from tsrnn.data.freq import infer_freq, parse_freq
from tsrnn.data.gaps import fill_column, regularise
from tsrnn.data.tables import clean_names, load_table
from tsrnn.data.tsf import read_tsf
from tsrnn.data.values import decimal_of, is_numeric_frame, mostly_numeric, to_float
from tsrnn.errors import ConfigError, DataError, TsrnnError

__all__ = ["check_length", "read_series"]

TIME_CANDIDATES = ("ds", "timestamp", "datetime", "date", "time", "month", "period", "year")
ID_CANDIDATES = ("unique_id", "series_id", "series", "id", "item_id")
TARGET_CANDIDATES = ("y", "value", "target")
FILL_METHODS = ("interpolate", "ffill", "zero")
DUPLICATE_POLICIES = ("error", "first", "last", "mean")


def read_series(
    source: str | Path | pd.DataFrame,
    id_col: str | None = None,
    time_col: str | None = None,
    target_col: str | Sequence[str] | None = None,
    freq: str | None = None,
    fill_gaps: str | None = None,
    fill_nan: str | None = None,
    duplicates: str = "error",
    regular: bool = True,
    sep: str | None = None,
    decimal: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Read and validate time series from a CSV/Parquet/.tsf file or a DataFrame.

    Layouts: long (an id column, a time column, a value column), single series (time and value
    columns only) and wide (a time column and one numeric column per series; used when no id
    column exists and several numeric columns remain and no ``target_col`` was given).
    ``target_col`` may name several columns ("cpu,mem") for multivariate series.

    CSV dialect: ``sep`` (',', ';', 'tab', ...) and ``decimal`` ('.' or ',') default to the ones
    detected (see tsrnn.data.dialect). Timestamps: one format for the whole column, ``date_format``
    (strftime, e.g. "%d/%m/%Y") or inferred; ``dayfirst`` True/False decides a column that reads
    both ways, which is otherwise refused (see tsrnn.data.dates).

    ``fill_gaps`` / ``fill_nan`` ∈ {"interpolate", "ffill", "zero"}: without them a missing
    timestamp or a missing (NaN) or infinite target is an error naming the series and the line;
    ``fill_nan`` fills infinite values like missing ones.

    ``duplicates``: what to do with several rows of one series at the same timestamp — "error"
    (default: a DataError naming the lines), "first" / "last" (keep that row, in file order) or
    "mean" (average the values; NaN values are ignored unless all are NaN).

    ``regular=False`` keeps the timestamps as given: gaps and off-grid times are allowed, nothing
    is filled or resampled (``fill_gaps`` must then be None), and ``attrs["freq"]`` is None (a
    detector judges the points in order; forecasters need a regular grid). Rows are still sorted
    by (unique_id, ds) and duplicates still follow ``duplicates``.

    Raises DataError with a one-sentence message naming the file, column and line.
    """
    try:
        return _read_series(
            source,
            id_col,
            time_col,
            target_col,
            freq,
            fill_gaps,
            fill_nan,
            duplicates,
            regular,
            sep,
            decimal,
            date_format,
            dayfirst,
        )
    except TsrnnError as e:
        msg = str(e)
        if msg.isprintable():
            raise
        # one line whatever the file holds: newlines, tabs, NULs, lone surrogates escaped
        raise type(e)("".join(c if c.isprintable() else repr(c)[1:-1] for c in msg)) from None


def _read_series(
    source,
    id_col,
    time_col,
    target_col,
    freq,
    fill_gaps,
    fill_nan,
    duplicates,
    regular,
    sep,
    decimal,
    date_format,
    dayfirst,
) -> pd.DataFrame:
    for name, opt in (("fill_gaps", fill_gaps), ("fill_nan", fill_nan)):
        if opt is not None and opt not in FILL_METHODS:
            raise ConfigError(
                f"{name}={opt!r} is not a fill method; use one of {', '.join(FILL_METHODS)}"
            )
    if duplicates not in DUPLICATE_POLICIES:
        raise ConfigError(
            f"duplicates={duplicates!r} is not a duplicates policy; use one of "
            f"{', '.join(DUPLICATE_POLICIES)}"
        )
    if not regular and fill_gaps is not None:
        raise ConfigError(
            "fill_gaps needs a regular grid; it cannot be combined with regular=False "
            "(timestamps as given)"
        )
    sep, decimal = normalise_sep(sep), normalise_decimal(decimal)
    freq = parse_freq(freq) if freq is not None else None
    opts = {"duplicates": duplicates, "regular": regular}
    if isinstance(source, pd.DataFrame):
        where, raw, line_offset = "data frame", source.reset_index(drop=True), 1
        raw = raw.set_axis(clean_names(raw.columns, where), axis=1)
    else:
        path = Path(source)
        where = str(source)
        if path.suffix.lower() == ".tsf":
            df = read_tsf(path)
            return _finish(
                df, where, freq or df.attrs.get("freq"), fill_gaps, fill_nan, ["y"], **opts
            )
        raw, line_offset = load_table(path, sep=sep), 2  # header is line 1
    if raw.empty:
        raise DataError(f"{where}: the file holds no rows")
    tcol = _pick_time_col(raw, time_col, where)
    icol = _pick_col(raw, id_col, where, "--id-col") if id_col else _find(raw, ID_CANDIDATES)
    if icol == tcol:
        icol = None
    if decimal is None:
        rest = raw[[c for c in raw.columns if c not in (tcol, icol)]]
        decimal = "." if rest.empty or is_numeric_frame(rest) else decimal_of(rest, where)
    raw.attrs["decimal"] = decimal
    targets = _pick_targets(raw, target_col, tcol, icol, where)
    ds = parse_timestamps(
        raw[tcol], tcol, where, line_offset, date_format=date_format, dayfirst=dayfirst
    )
    lines = np.arange(len(raw)) + line_offset
    values = {"where": where, "line_offset": line_offset, "fill_nan": fill_nan, "decimal": decimal}

    if targets is None:  # wide layout: every other numeric column is a series
        value_cols = [c for c in raw.columns if c not in (tcol, icol)]
        value_cols = [c for c in value_cols if mostly_numeric(raw[c], decimal)]
        if not value_cols:
            raise DataError(f"{where}: no numeric value column found; {_columns(raw)}")
        parts = []
        for c in value_cols:
            parts.append(
                pd.DataFrame(
                    {"unique_id": c, "ds": ds, "y": to_float(raw[c], c, **values), "_line": lines}
                )
            )
        df = pd.concat(parts, ignore_index=True)
        names = ["y"]
    else:
        uid = (
            raw[icol].astype(str).str.strip()
            if icol
            else pd.Series(_default_id(where), index=raw.index)
        )
        df = pd.DataFrame({"unique_id": uid.to_numpy(), "ds": ds, "_line": lines})
        if len(targets) == 1:
            df["y"] = to_float(raw[targets[0]], targets[0], **values)
            names = ["y"]
        else:
            for c in targets:
                df[c] = to_float(raw[c], c, **values)
            names = list(targets)
    shown = {"y": targets[0]} if targets and len(targets) == 1 else {}
    return _finish(df, where, freq, fill_gaps, fill_nan, names, shown, **opts)


def _default_id(where: str) -> str:
    return Path(where).stem if where != "data frame" else "series"


def _columns(raw: pd.DataFrame) -> str:
    """'columns are: a, b' with the separator that split them, for messages about columns."""
    text = f"columns are: {', '.join(map(str, raw.columns))}"
    sep = raw.attrs.get("sep")
    return (
        text if sep is None else f"{text} (separator {sep_name(sep)}; pass --sep if that is wrong)"
    )


def _find(raw: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    lower = {c.lower(): c for c in raw.columns}
    for c in candidates:
        if c in lower:
            return lower[c]
    return None


def _pick_col(raw: pd.DataFrame, name: str, where: str, option: str) -> str:
    if name in raw.columns:
        return name
    raise DataError(f"{where}: column '{name}' (given by {option}) not found; {_columns(raw)}")


def _pick_time_col(raw: pd.DataFrame, time_col: str | None, where: str) -> str:
    if time_col:
        return _pick_col(raw, time_col, where, "--time-col")
    found = _find(raw, TIME_CANDIDATES)
    if found is not None:
        return found
    first = raw.columns[0]
    if looks_like_timestamps(raw[first].head(20)):
        return first
    raise DataError(
        f"{where}: no time column found (looked for {', '.join(TIME_CANDIDATES)}); "
        f"pass --time-col; {_columns(raw)}"
    )


def _pick_targets(raw, target_col, tcol, icol, where) -> list[str] | None:
    if target_col:
        names = target_col.split(",") if isinstance(target_col, str) else list(target_col)
        names = [n.strip() for n in names if n.strip()]
        for n in names:
            _pick_col(raw, n, where, "--target-col")
        return names
    found = _find(raw, TARGET_CANDIDATES)
    if found is not None and found not in (tcol, icol):
        return [found]
    rest = [c for c in raw.columns if c not in (tcol, icol)]
    numeric = [c for c in rest if mostly_numeric(raw[c], raw.attrs.get("decimal", "."))]
    if len(numeric) == 1:
        return numeric
    if icol is not None:
        raise DataError(
            f"{where}: several value columns ({', '.join(numeric or rest)}); pass --target-col "
            "to pick one"
        )
    return None  # wide layout


def _finish(
    df, where, freq, fill_gaps, fill_nan, names, shown=None, duplicates="error", regular=True
) -> pd.DataFrame:
    shown = shown or {}
    df = df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    if "_line" not in df:
        df["_line"] = np.arange(len(df)) + 1
    dup = df.duplicated(["unique_id", "ds"], keep=False).to_numpy()
    if dup.any() and duplicates != "error":
        df = _merge_duplicates(df, names, duplicates)
    elif dup.any():
        i = int(np.flatnonzero(dup)[0])
        uid, t = df["unique_id"].iat[i], df["ds"].iat[i]
        lines = df.loc[
            dup & (df["unique_id"] == uid).to_numpy() & (df["ds"] == t).to_numpy(), "_line"
        ].tolist()
        raise DataError(
            f"{where}: series '{uid}' has duplicate timestamp {t} (lines "
            f"{', '.join(map(str, lines[:5]))})"
        )
    for c in names:
        nan = np.isnan(df[c].to_numpy())
        if nan.any() and fill_nan is None:
            i = int(np.flatnonzero(nan)[0])
            raise DataError(
                f"{where}: column '{shown.get(c, c)}' has {int(nan.sum())} missing value(s), first "
                f"at line {df['_line'].iat[i]} (series '{df['unique_id'].iat[i]}', "
                f"{df['ds'].iat[i]}); fill them with --fill-nan interpolate|ffill|zero or remove "
                "those rows"
            )
    if not regular:
        return _complete(df, names, fill_nan, None, where)
    if freq is None:
        lens = df.groupby("unique_id", sort=False).size()
        longest = lens.idxmax()
        freq = infer_freq(
            df.loc[df["unique_id"] == longest, "ds"], where=f"{where}: series '{longest}'"
        )
    return _complete(regularise(df, where, freq, fill_gaps, names), names, fill_nan, freq, where)


def _complete(
    df: pd.DataFrame, names: list[str], fill_nan: str | None, freq: str | None, where: str
) -> pd.DataFrame:
    """Fill NaN values if asked, drop the line numbers and set the frame's attrs."""
    for c in names:
        if fill_nan is not None and np.isnan(df[c].to_numpy()).any():
            df[c] = fill_column(df, c, fill_nan)
            left = np.isnan(df[c].to_numpy())
            if left.any():
                uid = df["unique_id"].iat[int(np.flatnonzero(left)[0])]
                raise DataError(
                    f"{where}: column '{c}' of series '{uid}' holds no value to fill from"
                )
    df = df.drop(columns=["_line"])
    df.attrs.update({"freq": freq, "targets": list(names), "source": where})
    return df


def _merge_duplicates(df: pd.DataFrame, names: list[str], policy: str) -> pd.DataFrame:
    """One row per (unique_id, ds) of a sorted frame: the first or last row in file order, or the
    mean of the value columns (NaN ignored unless all are NaN); `_line` is the first row's."""
    keys = ["unique_id", "ds"]
    if policy in ("first", "last"):
        return df.drop_duplicates(keys, keep=policy).reset_index(drop=True)
    g = df.groupby(keys, sort=False)
    out = g.agg({"_line": "first", **{c: "mean" for c in names}}).reset_index()
    return out[df.columns].reset_index(drop=True)


def check_length(df: pd.DataFrame, needed: int, why: str) -> None:
    """Raise DataError naming the first series shorter than `needed` observations."""
    lens = df.groupby("unique_id", sort=False).size()
    short = lens[lens < needed]
    if len(short):
        uid = short.index[0]
        more = f" (and {len(short) - 1} more)" if len(short) > 1 else ""
        src = df.attrs.get("source", "data")
        raise DataError(
            f"{src}: series '{uid}' has {int(short.iloc[0])} observations{more}; {why} needs "
            f"at least {needed}"
        )
