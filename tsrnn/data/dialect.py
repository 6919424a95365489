"""CSV dialects: the text of a file, its column separator and its decimal mark.

The separator is the one of comma, semicolon and tab that splits the header and the first rows
into the same number (> 1) of fields (quotes respected); the decimal mark is ',' when numbers
such as ``1,5`` occur and none such as ``1.5`` does, and ``1,500``-like values alone (a thousands
separator or a decimal comma?) are refused. Either can be given instead (``--sep``, ``--decimal``).
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pandas as pd

from tsrnn.errors import ConfigError, DataError

SEPARATORS = (",", ";", "\t")
SEP_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'", " ": "space"}
_SNIFF_LINES = 50
_COMMA_NUMBER = r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?"
_DOT_NUMBER = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"
_THOUSANDS_LIKE = r"[+-]?\d{1,3},\d{3}"


def sep_name(sep: str) -> str:
    """How messages name a separator: ',', ';', tab."""
    return SEP_NAMES.get(sep, repr(sep))


def normalise_sep(sep: str | None) -> str | None:
    """The one-character separator `sep` stands for ('tab' and '\\t' mean a tab)."""
    if sep is None:
        return None
    if sep.lower() in ("tab", "\\t", "\t"):
        return "\t"
    if sep.lower() == "space":
        return " "
    if len(sep) != 1 or sep in "\"'\r\n" or sep.isalnum() or sep == ".":
        raise ConfigError(
            f"--sep {sep!r} is not a column separator; use ',', ';', 'tab' or another single "
            "character"
        )
    return sep


def normalise_decimal(decimal: str | None) -> str | None:
    """'.' or ',' (or None: detect)."""
    if decimal is None or decimal in (".", ","):
        return decimal
    raise ConfigError(f"--decimal {decimal!r} is not a decimal mark; use '.' or ','")


def read_text(path: Path) -> str:
    """The whole file as text: UTF-8 (a byte-order mark is dropped), gzip-compressed for .gz.

    Raises DataError naming the line of the first byte that is not UTF-8."""
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot be read ({str(e).strip() or type(e).__name__})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataError(
            f"{path}: line {line} holds byte 0x{data[e.start]:02x}, which is not UTF-8 text; "
            "save the file as UTF-8"
        ) from None


def sniff_sep(text: str, default: str) -> str:
    """The separator of CSV `text`: the candidate that splits the header and the first rows into
    one constant number (> 1) of fields; `default` when none does or when `default` is one of
    several that do. Raises DataError when several others do."""
    lines = [ln for ln in io.StringIO(text[: 1 << 16]).read().splitlines() if ln.strip()]
    if len(text) > 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    lines = lines[:_SNIFF_LINES]
    if not lines:
        return default
    fits, widest = [], (1, default)
    for sep in SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts):
            fits.append(sep)
        if counts and counts[0] > widest[0]:
            widest = (counts[0], sep)
    if len(fits) == 1:
        return fits[0]
    if default in fits:
        return default
    if fits:
        raise DataError(
            f"cannot tell whether the columns are separated by {' or '.join(map(sep_name, fits))}; "
            "pass --sep"
        )
    return widest[1]


def detect_decimal(frame: pd.DataFrame) -> str:
    """The decimal mark of the value columns of `frame` (strings): ',' when some values look like
    '1,5' and none like '1.5', else '.'. Raises DataError when every comma number could as well
    be a thousands separator ('1,500')."""
    texts = [(c, frame[c].astype(str).str.strip()) for c in frame.columns]
    if not any(t.str.contains(",", regex=False).any() for _, t in texts):
        return "."  # the common case, decided without a regular expression
    comma, dot, sure, example = False, False, False, None
    for c, text in texts:
        is_comma = text.str.fullmatch(_COMMA_NUMBER)
        if is_comma.any():
            comma = True
            if example is None:
                example = (c, text[is_comma].iat[0])
            sure = sure or not text[is_comma].str.fullmatch(_THOUSANDS_LIKE).all()
        dot = dot or bool(text.str.fullmatch(_DOT_NUMBER).any())
    if not comma or dot:
        return "."
    if not sure:
        raise DataError(
            f"column '{example[0]}': '{example[1]}' could be a decimal comma or a thousands "
            "separator; pass --decimal , (decimal comma) or write the numbers without separators"
        )
    return ","


def to_number_text(text: pd.Series, decimal: str) -> pd.Series:
    """Strings as pandas.to_numeric reads them: with a decimal comma, '1,5' -> '1.5' and any '.'
    makes the value invalid (no thousands separators are read)."""
    if decimal == ",":
        dotted = text.str.contains(".", regex=False)
        return text.str.replace(",", ".", regex=False).where(~dotted, "\0invalid")
    return text
