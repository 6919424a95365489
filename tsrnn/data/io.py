"""Reading a user's file (CSV, Parquet, Monash .tsf) into the validated long frame.

The long frame has one row per observation and the columns ``unique_id`` (str), ``ds``
(datetime64), ``y`` (float64) — or, when several target columns were asked for, one float column
per target under its own name. ``df.attrs`` carries ``freq`` (pandas alias), ``targets`` (the value
columns) and ``source`` (file name, for messages). Rows are sorted by (unique_id, ds); every series
sits on a regular grid at ``freq`` with no duplicate, missing or NaN value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.data.freq import infer_freq
from tsrnn.errors import ConfigError, DataError

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
) -> pd.DataFrame:
    """Read and validate time series from a CSV/Parquet/.tsf file or a DataFrame.

    Layouts: long (an id column, a time column, a value column), single series (time and value
    columns only) and wide (a time column and one numeric column per series; used when no id
    column exists and several numeric columns remain and no ``target_col`` was given).
    ``target_col`` may name several columns ("cpu,mem") for multivariate series.

    ``fill_gaps`` / ``fill_nan`` ∈ {"interpolate", "ffill", "zero"}: without them a missing
    timestamp or a NaN target is an error naming the series and the first offending time.

    ``duplicates``: what to do with several rows of one series at the same timestamp — "error"
    (default: a DataError naming the lines), "first" / "last" (keep that row, in file order) or
    "mean" (average the values; NaN values are ignored unless all are NaN).

    ``regular=False`` keeps the timestamps as given: gaps and off-grid times are allowed, nothing
    is filled or resampled (``fill_gaps`` must then be None), and ``attrs["freq"]`` is None (a
    detector judges the points in order; forecasters need a regular grid). Rows are still sorted
    by (unique_id, ds) and duplicates still follow ``duplicates``.

    Raises DataError with a one-sentence message naming the file, column and line.
    """
    for name, opt in (("fill_gaps", fill_gaps), ("fill_nan", fill_nan)):
        if opt is not None and opt not in FILL_METHODS:
            raise ConfigError(f"{name}={opt!r} is not a fill method; use one of {', '.join(FILL_METHODS)}")
    if duplicates not in DUPLICATE_POLICIES:
        raise ConfigError(f"duplicates={duplicates!r} is not a duplicates policy; use one of {', '.join(DUPLICATE_POLICIES)}")
    if not regular and fill_gaps is not None:
        raise ConfigError("fill_gaps needs a regular grid; it cannot be combined with regular=False (timestamps as given)")
    opts = {"duplicates": duplicates, "regular": regular}
    if isinstance(source, pd.DataFrame):
        where, raw, line_offset = "data frame", source.reset_index(drop=True), 1
    else:
        path = Path(source)
        where = str(source)
        if path.suffix.lower() == ".tsf":
            df = read_tsf(path)
            return _finish(df, where, freq or df.attrs.get("freq"), fill_gaps, fill_nan, ["y"], **opts)
        raw, line_offset = _load_table(path), 2  # header is line 1
    if raw.empty:
        raise DataError(f"{where}: the file holds no rows")
    raw.columns = [str(c).strip() for c in raw.columns]
    tcol = _pick_time_col(raw, time_col, where)
    icol = _pick_col(raw, id_col, where, "--id-col") if id_col else _find(raw, ID_CANDIDATES)
    if icol == tcol:
        icol = None
    targets = _pick_targets(raw, target_col, tcol, icol, where)
    ds = _parse_time(raw[tcol], tcol, where, line_offset)
    lines = np.arange(len(raw)) + line_offset

    if targets is None:  # wide layout: every other numeric column is a series
        value_cols = [c for c in raw.columns if c not in (tcol, icol)]
        value_cols = [c for c in value_cols if _mostly_numeric(raw[c])]
        if not value_cols:
            raise DataError(f"{where}: no numeric value column found; columns are: {', '.join(raw.columns)}")
        parts = []
        for c in value_cols:
            parts.append(pd.DataFrame({"unique_id": c, "ds": ds, "y": _to_float(raw[c], c, where, line_offset), "_line": lines}))
        df = pd.concat(parts, ignore_index=True)
        names = ["y"]
    else:
        uid = raw[icol].astype(str).str.strip() if icol else pd.Series(_default_id(where), index=raw.index)
        df = pd.DataFrame({"unique_id": uid.to_numpy(), "ds": ds, "_line": lines})
        if len(targets) == 1:
            df["y"] = _to_float(raw[targets[0]], targets[0], where, line_offset)
            names = ["y"]
        else:
            for c in targets:
                df[c] = _to_float(raw[c], c, where, line_offset)
            names = list(targets)
    shown = {"y": targets[0]} if targets and len(targets) == 1 else {}
    return _finish(df, where, freq, fill_gaps, fill_nan, names, shown, **opts)


def _default_id(where: str) -> str:
    return Path(where).stem if where != "data frame" else "series"


def read_columns(path: str | Path) -> list[str]:
    """The column names of a CSV/TSV/Parquet file, stripped as read_series sees them; reads the
    header only (Parquet: the schema). Raises DataError for a missing or unreadable file."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq") and path.is_file():
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except (OSError, ValueError) as e:
            raise DataError(f"{path}: cannot be read as a table ({str(e).strip().splitlines()[0]})") from None
        return [str(c).strip() for c in names if not str(c).startswith("__index_level_")]
    return list(read_head(path, rows=0).columns)


def read_head(path: str | Path, rows: int = 50) -> pd.DataFrame:
    """The first `rows` rows of a CSV/TSV/Parquet file (CSV values as strings), column names
    stripped; the same errors as read_series."""
    head = _load_table(Path(path), nrows=rows)
    head.columns = [str(c).strip() for c in head.columns]
    return head


def _load_table(path: Path, nrows: int | None = None) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a data file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pd.read_parquet(path)
            return table if nrows is None else table.head(nrows)
        if suffix in (".csv", ".txt", ".tsv", ".gz"):
            sep = "\t" if suffix == ".tsv" else ","
            return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True, nrows=nrows)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{path}: cannot be read as a table ({first})") from None
    raise DataError(f"{path}: unsupported file type '{suffix}'; use .csv, .tsv, .parquet or .tsf")


def _find(raw: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    lower = {c.lower(): c for c in raw.columns}
    for c in candidates:
        if c in lower:
            return lower[c]
    return None


def _pick_col(raw: pd.DataFrame, name: str, where: str, option: str) -> str:
    if name in raw.columns:
        return name
    raise DataError(
        f"{where}: column '{name}' (given by {option}) not found; columns are: {', '.join(map(str, raw.columns))}"
    )


def _pick_time_col(raw: pd.DataFrame, time_col: str | None, where: str) -> str:
    if time_col:
        return _pick_col(raw, time_col, where, "--time-col")
    found = _find(raw, TIME_CANDIDATES)
    if found is not None:
        return found
    first = raw.columns[0]
    sample = raw[first].astype(str).head(20)
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    if parsed.notna().all():
        return first
    raise DataError(
        f"{where}: no time column found (looked for {', '.join(TIME_CANDIDATES)}); "
        f"pass --time-col; columns are: {', '.join(map(str, raw.columns))}"
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
    numeric = [c for c in rest if _mostly_numeric(raw[c])]
    if len(numeric) == 1:
        return numeric
    if icol is not None:
        raise DataError(
            f"{where}: several value columns ({', '.join(numeric or rest)}); pass --target-col to pick one"
        )
    return None  # wide layout


def _mostly_numeric(col: pd.Series) -> bool:
    s = col.head(200)
    if pd.api.types.is_numeric_dtype(s):
        return True
    s = s.astype(str).str.strip()
    s = s[s != ""]
    if s.empty:
        return False
    return pd.to_numeric(s, errors="coerce").notna().mean() > 0.9


_MISSING = {"", "na", "nan", "null", "none", "n/a", "?"}


def _to_float(col: pd.Series, name: str, where: str, line_offset: int) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64)
    text = col.astype(str).str.strip()
    missing = text.str.lower().isin(_MISSING)
    out = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = out.isna() & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{where}: column '{name}' line {i + line_offset}: '{text.iloc[i]}' is not a number"
        )
    return out.to_numpy(dtype=np.float64)


def _parse_time(col: pd.Series, name: str, where: str, line_offset: int) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = pd.to_datetime(col)
    else:
        text = col.astype(str).str.strip()
        if text.str.fullmatch(r"\d{4}").all():  # bare years
            parsed = pd.to_datetime(text, format="%Y", errors="coerce")
        else:
            try:
                parsed = pd.to_datetime(text, errors="coerce")
            except (ValueError, TypeError):
                parsed = pd.to_datetime(text, errors="coerce", format="mixed")
            if parsed.isna().any() and not parsed.isna().all():
                # pandas infers one format from the first value; retry element-wise
                parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where}: column '{name}' line {i + line_offset}: cannot parse '{text.iloc[i]}' as a timestamp"
            )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]")


def _finish(df, where, freq, fill_gaps, fill_nan, names, shown=None, duplicates="error", regular=True) -> pd.DataFrame:
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
        lines = df.loc[dup & (df["unique_id"] == uid).to_numpy() & (df["ds"] == t).to_numpy(), "_line"].tolist()
        raise DataError(
            f"{where}: series '{uid}' has duplicate timestamp {t} (lines {', '.join(map(str, lines[:5]))})"
        )
    for c in names:
        nan = np.isnan(df[c].to_numpy())
        if nan.any() and fill_nan is None:
            i = int(np.flatnonzero(nan)[0])
            raise DataError(
                f"{where}: column '{shown.get(c, c)}' has {int(nan.sum())} missing value(s), first at line "
                f"{df['_line'].iat[i]} (series '{df['unique_id'].iat[i]}', {df['ds'].iat[i]}); "
                "fill them with --fill-nan interpolate|ffill|zero or remove those rows"
            )
    if not regular:
        return _complete(df, names, fill_nan, None, where)
    if freq is None:
        lens = df.groupby("unique_id", sort=False).size()
        longest = lens.idxmax()
        freq = infer_freq(df.loc[df["unique_id"] == longest, "ds"], where=f"{where}: series '{longest}'")
    else:
        try:
            freq = pd.tseries.frequencies.to_offset(freq).freqstr
        except (ValueError, TypeError):
            raise ConfigError(f"--freq '{freq}' is not a pandas frequency alias (e.g. h, 30min, D, W, MS, QS, YS)") from None
    return _complete(_regularise(df, where, freq, fill_gaps, names), names, fill_nan, freq, where)


def _complete(df: pd.DataFrame, names: list[str], fill_nan: str | None, freq: str | None, where: str) -> pd.DataFrame:
    """Fill NaN values if asked, drop the line numbers and set the frame's attrs."""
    for c in names:
        if fill_nan is not None and np.isnan(df[c].to_numpy()).any():
            df[c] = _fill(df, c, fill_nan)
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


def _regularise(df, where, freq, fill_gaps, names) -> pd.DataFrame:
    pieces, changed = [], False
    for uid, g in df.groupby("unique_id", sort=False):
        grid = pd.date_range(g["ds"].iat[0], g["ds"].iat[-1], freq=freq)
        ds = pd.DatetimeIndex(g["ds"])
        off = ~ds.isin(grid)
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise DataError(
                f"{where}: series '{uid}' line {g['_line'].iat[i]}: timestamp {ds[i]} is off the '{freq}' grid "
                f"that starts at {grid[0]}; pass --freq or fix the timestamps"
            )
        if len(grid) == len(ds):
            pieces.append(g)
            continue
        missing = grid.difference(ds)
        if fill_gaps is None:
            shown = ", ".join(str(t) for t in missing[:3])
            raise DataError(
                f"{where}: series '{uid}' has {len(missing)} missing timestamp(s) at frequency '{freq}' "
                f"(first: {shown}); fill them with --fill-gaps interpolate|ffill|zero"
            )
        changed = True
        full = g.set_index("ds").reindex(grid)
        full.index.name = "ds"
        full["unique_id"] = uid
        full["_line"] = full["_line"].fillna(-1).astype(np.int64)
        full = full.reset_index()
        for c in names:
            full[c] = _fill(full, c, fill_gaps, only=full["_line"].to_numpy() < 0)
        pieces.append(full[g.columns])
    return pd.concat(pieces, ignore_index=True) if changed else df


def _fill(df: pd.DataFrame, col: str, method: str, only: np.ndarray | None = None) -> np.ndarray:
    """Fill NaNs of one column within each series; `only` restricts which rows may be written."""
    s = df[col]
    g = s.groupby(df["unique_id"].to_numpy(), sort=False)
    if method == "interpolate":
        filled = g.transform(lambda x: x.interpolate(limit_direction="both"))
    elif method == "ffill":
        filled = g.transform(lambda x: x.ffill().bfill())
    else:
        filled = s.fillna(0.0)
    out = s.to_numpy(copy=True)
    mask = np.isnan(out) if only is None else only
    out[mask] = filled.to_numpy()[mask]
    return out


def check_length(df: pd.DataFrame, needed: int, why: str) -> None:
    """Raise DataError naming the first series shorter than `needed` observations."""
    lens = df.groupby("unique_id", sort=False).size()
    short = lens[lens < needed]
    if len(short):
        uid = short.index[0]
        more = f" (and {len(short) - 1} more)" if len(short) > 1 else ""
        src = df.attrs.get("source", "data")
        raise DataError(
            f"{src}: series '{uid}' has {int(short.iloc[0])} observations{more}; {why} needs at least {needed}"
        )


def read_tsf(path: str | Path) -> pd.DataFrame:
    """Read a Monash forecasting-archive .tsf file into the long frame (unique_id, ds, y).

    Series without a start timestamp get a synthetic one (2000-01-01). A start year that the
    archive zeroed out (e.g. '0000') is replaced by 1900 so that dates stay representable.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    freq_map = {"yearly": "YS", "quarterly": "QS", "monthly": "MS", "weekly": "W", "daily": "D", "hourly": "h",
                "half_hourly": "30min", "10_minutes": "10min", "minutely": "min", "4_seconds": "4s"}
    attrs: list[str] = []
    freq = None
    rows_id, rows_ds, rows_y = [], [], []
    in_data = False
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                low = line.lower()
                if low.startswith("@attribute"):
                    attrs.append(line.split()[1])
                elif low.startswith("@frequency"):
                    freq = freq_map.get(line.split()[1].lower())
                elif low.startswith("@data"):
                    in_data = True
                continue
            parts = line.split(":")
            if len(parts) != len(attrs) + 1:
                raise DataError(f"{path}: line {n}: expected {len(attrs) + 1} ':'-separated fields, found {len(parts)}")
            name = parts[0]
            start = pd.Timestamp("2000-01-01")
            if "start_timestamp" in attrs:
                raw = parts[attrs.index("start_timestamp")]
                try:
                    start = pd.Timestamp(pd.to_datetime(raw, format="%Y-%m-%d %H-%M-%S"))
                except (ValueError, pd.errors.OutOfBoundsDatetime):
                    fixed = "1900" + raw[4:] if raw[:4] == "0000" or raw[:2] == "00" else None
                    if fixed is None:
                        raise DataError(f"{path}: line {n}: cannot parse start timestamp '{raw}'") from None
                    start = pd.Timestamp(pd.to_datetime(fixed, format="%Y-%m-%d %H-%M-%S"))
            vals = parts[-1].split(",")
            try:
                y = np.array([np.nan if v.strip() == "?" else float(v) for v in vals])
            except ValueError:
                raise DataError(f"{path}: line {n}: series '{name}' has a value that is not a number") from None
            ds = pd.date_range(start, periods=len(y), freq=freq or "D")
            rows_id.append(np.full(len(y), name, dtype=object))
            rows_ds.append(ds.to_numpy())
            rows_y.append(y)
    if not rows_y:
        raise DataError(f"{path}: no @data section with series found")
    df = pd.DataFrame({"unique_id": np.concatenate(rows_id), "ds": np.concatenate(rows_ds), "y": np.concatenate(rows_y)})
    df.attrs["freq"] = freq
    return df
