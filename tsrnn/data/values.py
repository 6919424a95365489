"""Value columns: text cells to float64, with the file's decimal mark; infinite values refused
or left for filling."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsrnn.data.dialect import detect_decimal, to_number_text
from tsrnn.errors import DataError


def is_numeric_frame(frame: pd.DataFrame) -> bool:
    """Whether every column is numeric already (a DataFrame or Parquet source)."""
    return all(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns)


def decimal_of(frame: pd.DataFrame, where: str) -> str:
    """The decimal mark of the text columns of `frame` (see dialect.detect_decimal)."""
    text = frame[[c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]]
    try:
        return detect_decimal(text)
    except DataError as e:
        raise DataError(f"{where}: {e}") from None


def mostly_numeric(col: pd.Series, decimal: str = ".") -> bool:
    """Whether over 90% of the first 200 non-empty cells are numbers."""
    s = col.head(200)
    if pd.api.types.is_numeric_dtype(s):
        return True
    s = s.astype(str).str.strip()
    s = s[s != ""]
    if s.empty:
        return False
    return to_numbers(to_number_text(s, decimal)).notna().mean() > 0.9


# a decimal number in plain or exponent notation, as float() and pandas.to_numeric both read it
_PANDAS_2 = int(pd.__version__.split(".")[0]) < 3
_DECIMAL = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def to_numbers(text: pd.Series) -> pd.Series:
    """Strings (NaN for missing cells) as float64, NaN where a value is not a number (a NUL byte
    included); a number beyond float64's range (1e309, 400 digits) is infinite (pandas 3 reads it
    so, pandas 2 as NaN)."""
    num = pd.to_numeric(text, errors="coerce").astype(np.float64)
    if _PANDAS_2:  # pandas 2 reads '1.5\x009' as 1.5 (its parser stops at the NUL); pandas 3: NaN
        nul = text.str.contains("\0", regex=False, na=False).to_numpy(dtype=bool)
        num[nul] = np.nan
    nan = np.flatnonzero(num.isna().to_numpy())
    if len(nan):
        over = text.iloc[nan].str.fullmatch(_DECIMAL, na=False).to_numpy(dtype=bool)
        num.iloc[nan[over]] = [float(v) for v in text.iloc[nan[over]]]
    return num


_MISSING = {"", "na", "nan", "null", "none", "n/a", "?"}


def to_float(
    col: pd.Series,
    name: str,
    where: str,
    line_offset: int,
    fill_nan: str | None = None,
    decimal: str = ".",
) -> np.ndarray:
    """A value column as float64: missing cells NaN; infinite values (inf, 1e309) NaN when
    `fill_nan` will fill them, else a DataError naming the line."""
    if pd.api.types.is_numeric_dtype(col):
        out = col.to_numpy(dtype=np.float64, na_value=np.nan)
        text = col.astype(str)
    else:
        text = col.astype(str).str.strip()
        missing = text.str.lower().isin(_MISSING)
        num = to_numbers(to_number_text(text, decimal).where(~missing))
        bad = num.isna() & ~missing
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"{where}: column '{name}' line {i + line_offset}: {_show(text.iloc[i])} is "
                "not a number" + _decimal_hint(text.iloc[i], decimal)
            )
        out = num.to_numpy(dtype=np.float64)
    inf = np.isinf(out)
    if inf.any():
        if fill_nan is None:
            i = int(np.flatnonzero(inf)[0])
            raise DataError(
                f"{where}: column '{name}' line {i + line_offset}: '{text.iloc[i]}' is not a "
                f"finite number ({int(inf.sum())} such value(s)); fill them with --fill-nan "
                "interpolate|ffill|zero or remove those rows"
            )
        out = np.where(inf, np.nan, out)
    return out


def _show(value: str) -> str:
    """A cell quoted for a message; control characters (a NUL byte) escaped."""
    return f"'{value}'" if value.isprintable() else repr(value)


def _decimal_hint(value: str, decimal: str) -> str:
    if (
        decimal == "."
        and "," in value
        and pd.notna(pd.to_numeric(value.replace(",", "."), errors="coerce"))
    ):
        return " (the decimal mark is '.'; pass --decimal , if it is ',')"
    if decimal == "," and "." in value:
        return (
            " (the decimal mark is ','; numbers with '.' are not read, pass --decimal . if it is "
            "'.')"
        )
    return ""
