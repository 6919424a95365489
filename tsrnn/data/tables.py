"""A data file's table as read_series sees it, before any layout or value is judged.

CSV/TSV (plain or gzipped) and Parquet files. CSV cells come back as strings stripped of spaces,
the separator detected by tsrnn.data.dialect (or given) kept in ``attrs["sep"]`` (None for
Parquet); NUL bytes survive; column names are stripped of spaces and a byte-order mark, and two
equal names are refused. Errors are DataError naming the file.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from tsrnn.data.dialect import normalise_sep, read_text, sep_name, sniff_sep
from tsrnn.errors import DataError

__all__ = ["clean_names", "load_table", "read_columns", "read_head"]


def read_columns(path: str | Path, sep: str | None = None) -> list[str]:
    """The column names of a CSV/TSV/Parquet file, stripped as read_series sees them; reads the
    header only (Parquet: the schema). Raises DataError for a missing or unreadable file."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq") and path.is_file():
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except (OSError, ValueError) as e:
            raise DataError(
                f"{path}: cannot be read as a table ({str(e).strip().splitlines()[0]})"
            ) from None
        return clean_names([c for c in names if not str(c).startswith("__index_level_")], str(path))
    return list(read_head(path, rows=0, sep=sep).columns)


def read_head(path: str | Path, rows: int = 50, sep: str | None = None) -> pd.DataFrame:
    """The first `rows` rows of a CSV/TSV/Parquet file (CSV values as strings), column names
    stripped, separator as read_series detects it (or `sep`); the same errors as read_series."""
    return load_table(Path(path), nrows=rows, sep=normalise_sep(sep))


def load_table(path: Path, nrows: int | None = None, sep: str | None = None) -> pd.DataFrame:
    """The table of a CSV/TSV/Parquet file; CSV cells as stripped strings, the separator used in
    ``attrs["sep"]`` (None for Parquet)."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a data file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            table = pd.read_parquet(path)
        except (OSError, ValueError) as e:
            raise DataError(f"{path}: cannot be read as a table ({_first_line(e)})") from None
        table = table if nrows is None else table.head(nrows)
        table = table.set_axis(clean_names(table.columns, str(path)), axis=1)
        table.attrs["sep"] = None
        return table
    if suffix not in (".csv", ".txt", ".tsv", ".gz"):
        raise DataError(
            f"{path}: unsupported file type '{suffix}'; use .csv, .tsv, .parquet or .tsf"
        )
    text = read_text(path)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    if sep is None:
        try:
            sep = sniff_sep(text, "\t" if path.name.lower().endswith((".tsv", ".tsv.gz")) else ",")
        except DataError as e:
            raise DataError(f"{path}: {e}") from None
    nul = _stand_in(text, path) if "\0" in text else None
    if nul is not None:  # pandas 2's C parser cuts a cell at a NUL byte; pandas 3 keeps it
        text = text.replace("\0", nul)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            nrows=None if nrows is None else nrows + 1,
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError, OverflowError) as e:
        raise DataError(
            f"{path}: cannot be read as a table with separator {sep_name(sep)} "
            f"({_first_line(e)}); pass --sep if that is not the separator"
        ) from None
    if nul is not None:
        table = table.apply(lambda c: c.str.replace(nul, "\0", regex=False))
    header = [str(c) for c in table.iloc[0]] if len(table) else []
    table = table.iloc[1:].reset_index(drop=True)
    table.columns = clean_names([h or f"Unnamed: {i}" for i, h in enumerate(header)], str(path))
    table = table.apply(lambda c: c.str.strip())
    table.attrs["sep"] = sep
    return table


def _stand_in(text: str, path: Path) -> str:
    """A private-use character that `text` does not hold, to carry NUL bytes through read_csv."""
    for code in range(0xE000, 0xF900):
        if chr(code) not in text:
            return chr(code)
    raise DataError(
        f"{path}: the file holds NUL bytes and every private-use character; remove the NUL bytes"
    )


def clean_names(names, where: str) -> list[str]:
    """Column names stripped of spaces and a byte-order mark; two equal names are an error."""
    out = [str(c).strip().lstrip("\ufeff").strip() for c in names]
    seen: dict[str, int] = {}
    for k, c in enumerate(out):
        if c in seen:
            raise DataError(
                f"{where}: column name '{c}' appears twice (columns {seen[c] + 1} and {k + 1}, "
                "spaces stripped); rename one"
            )
        seen[c] = k
    return out


def _first_line(e: BaseException) -> str:
    s = str(e).strip()
    return s.splitlines()[0] if s else type(e).__name__
