"""Random CSV files for fuzzing read_series, and what read_series may answer.

Shared by tests/test_fuzz_read.py (a short, seeded run in CI) and scripts/fuzz_read.py (long runs).
Two kinds of input:

- ``csv_files()``: arbitrary CSV bytes (headers, separators, quoting, BOM, CRLF, empty cells,
  extreme numbers, dates in many formats, non-UTF-8 bytes). read_series must return a clean frame
  (``check_clean``) or raise a TsrnnError; nothing else, and no warning.
- ``known_series()``: a regular series written with a random date format and CSV dialect, with
  the truth kept. read_series must return exactly the truth, or refuse it for a stated reason
  (day-first and month-first both fit, a decimal comma that could be a thousands separator).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from tsrnn.data.io import read_series
from tsrnn.errors import TsrnnError

SEPS = [",", ";", "\t"]
NAMES = [
    "ds",
    "date",
    "timestamp",
    "Month",
    "year",
    "y",
    "value",
    "unique_id",
    "id",
    "x",
    "sales",
    "",
    " y ",
    "y ",
    "ds;y",
    'a"b',
    "Umsatz €",
    "\ufeffds",
    "1,5",
]
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S+01:00",
    "%Y-%m-%dT%H:%M:%SZ",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%b %Y",
    "%Y",
    "%y-%m",
    "%Y-%m",
    "%d-%b-%Y",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%m/%d/%y",
    "%I:%M %p",
]
SPECIAL_CELLS = [
    "",
    " ",
    "NA",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "1e308",
    "-0.0",
    "1,5",
    "1.5",
    "1,500",
    "1.234,5",
    "0x10",
    "1_000",
    "?",
    "null",
    "None",
    "NaT",
    "1-01",
    "12-01",
    "0",
    "-1",
    "1e-320",
    "9" * 40,
    "2020-02-30",
    "0000-01-01",
    "9999-12-31",
    "1577836800",
    '"',
    '""',
    "a,b",
    "a;b",
    "é",
    "日本",
    "\x00",
    "1.5.2",
]


@dataclass
class Case:
    """A file to read: its bytes, name, read_series options, and (known series) the truth."""

    data: bytes
    name: str = "s.csv"
    options: dict = field(default_factory=dict)
    truth: pd.DataFrame | None = None
    ambiguous_dates: bool = False  # the truth's dates also fit the other day order
    thousands_like: bool = False  # every comma number looks like 1,500


def check_clean(df: pd.DataFrame, regular: bool = True) -> None:
    """Assert that `df` is a valid long frame: sorted, unique, regular at attrs['freq'] (unless
    read with regular=False: then freq is None), finite float64 values, datetime64[ns]
    timestamps."""
    targets = df.attrs["targets"]
    assert list(df.columns) == ["unique_id", "ds", *targets], list(df.columns)
    assert df["ds"].dtype == np.dtype("datetime64[ns]"), df["ds"].dtype
    assert len(df) > 0
    for c in targets:
        assert df[c].dtype == np.float64, (c, df[c].dtype)
        assert np.isfinite(df[c].to_numpy()).all(), c
    assert df["unique_id"].map(type).eq(str).all()
    keys = list(zip(df["unique_id"], df["ds"], strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys), "not sorted or duplicated"
    freq = df.attrs["freq"]
    if not regular:
        assert freq is None
        return
    assert freq is not None
    for _, g in df.groupby("unique_id", sort=False):
        grid = pd.date_range(g["ds"].iat[0], periods=len(g), freq=freq)
        np.testing.assert_array_equal(g["ds"].to_numpy(), grid.to_numpy())


def run_case(case: Case, directory) -> pd.DataFrame | TsrnnError:
    """Read the case's file from `directory` with read_series: the frame (checked clean) or the
    TsrnnError raised. Any other exception, and any warning, propagates/fails."""
    path = directory / case.name
    path.write_bytes(case.data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            df = read_series(path, **case.options)
        except TsrnnError as e:
            out = e
        else:
            check_clean(df, regular=case.options.get("regular", True))
            out = df
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]
    if isinstance(out, TsrnnError):
        msg = str(out)
        assert msg and "\n" not in msg, repr(msg)
    return out


def check_known(case: Case, out) -> None:
    """A known series comes back exactly, or is refused for a reason its truth allows."""
    if isinstance(out, TsrnnError):
        msg = str(out)
        allowed = (case.ambiguous_dates and "fits both" in msg) or (
            case.thousands_like and "thousands separator" in msg
        )
        assert allowed, msg
        return
    truth = case.truth
    names = list(truth.columns.drop(["unique_id", "ds"]))
    assert out.attrs["targets"] == names
    np.testing.assert_array_equal(out["unique_id"].to_numpy(), truth["unique_id"].to_numpy())
    np.testing.assert_array_equal(out["ds"].to_numpy(), truth["ds"].to_numpy())
    for c in names:
        np.testing.assert_array_equal(out[c].to_numpy(), truth[c].to_numpy())


# ----------------------------------------------------------------------------- arbitrary files


def _dates_cell(draw) -> str:
    fmt = draw(st.sampled_from(DATE_FORMATS))
    t = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    try:
        return t.strftime(fmt)
    except ValueError:
        return str(t.year)


@st.composite
def _cell(draw) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return _dates_cell(draw)
    if kind == 1:
        return draw(st.sampled_from(SPECIAL_CELLS))
    if kind == 2:
        return repr(draw(st.floats(allow_nan=True, allow_infinity=True)))
    if kind == 3:
        return str(draw(st.integers(-(10**20), 10**20)))
    if kind == 4:
        return draw(st.text(max_size=8))
    return ""


def _often(times: int = 4) -> st.SearchStrategy[bool]:
    """True `times` times as often as False."""
    return st.sampled_from([True] * times + [False])


@st.composite
def csv_files(draw) -> Case:
    """Arbitrary CSV-like bytes with a plausible shape: a header, rows of cells, a dialect."""
    sep = draw(st.sampled_from(SEPS + ["|"]))
    ncol = draw(st.integers(1, 4))
    header = [draw(st.sampled_from(NAMES) | st.text(max_size=6)) for _ in range(ncol)]
    if draw(_often()):
        header[0] = draw(st.sampled_from(["ds", "date", "timestamp", "Month"]))
    if draw(_often()):  # mostly distinct names (equal names are an error of their own)
        header = [
            h if h.strip() not in [g.strip() for g in header[:k]] else f"{h}{k}"
            for k, h in enumerate(header)
        ]
    if ncol >= 2 and draw(st.booleans()):
        header[-1] = draw(st.sampled_from(["y", "value", "sales"]))
    noise = draw(st.sampled_from([0, 0, 1, 5]))  # percent of cells drawn at random
    with_id = ncol >= 3 and draw(st.booleans())
    if with_id:
        header[1] = "unique_id"
    nrows = draw(st.integers(0, 25))
    # mostly columnar: a date-like column and a number column, with random cells mixed in
    fmt = draw(st.sampled_from(DATE_FORMATS))
    start = draw(st.datetimes(min_value=datetime(1600, 1, 1), max_value=datetime(2300, 1, 1)))
    step = draw(
        st.sampled_from(
            [
                timedelta(days=1),
                timedelta(hours=1),
                timedelta(days=31),
                timedelta(days=366),
                timedelta(minutes=5),
            ]
        )
    )
    jitter = draw(st.integers(0, 3)) == 0  # repeated, missing and out-of-order timestamps
    rows = []
    for i in range(nrows):
        row = []
        for j in range(ncol):
            if draw(st.integers(0, 99)) < noise:
                row.append(draw(_cell()))
            elif j == 0:
                k = i if not jitter else draw(st.integers(max(0, i - 2), i + 2))
                try:
                    row.append((start + k * step).strftime(fmt))
                except (ValueError, OverflowError):
                    row.append(draw(_cell()))
            elif j == 1 and with_id:
                row.append(draw(st.sampled_from(["a", "b", " a", "1"])))
            else:
                row.append(
                    repr(draw(st.floats(-1e6, 1e6, allow_nan=False)))
                    if draw(st.booleans())
                    else str(draw(st.integers(-1000, 1000)))
                )
        rows.append(row)
    quote = draw(st.sampled_from(["never", "always", "sometimes"]))

    def q(cell):
        if quote == "always" or (quote == "sometimes" and draw(st.booleans())):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(sep.join(q(c) for c in r) for r in [header] + rows)
    if draw(st.booleans()):
        text += eol
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if not draw(_often(9)) and data:
        at = draw(st.integers(0, len(data) - 1))
        data = (
            data[:at] + draw(st.sampled_from([b"\xe9", b"\xff\xfe", b"\x80", b"\x00"])) + data[at:]
        )
    name = draw(st.sampled_from(["s.csv", "s.tsv", "s.txt"]))
    choices = {
        "fill_nan": st.sampled_from(["interpolate", "ffill", "zero"]),
        "fill_gaps": st.sampled_from(["interpolate", "ffill", "zero"]),
        "duplicates": st.sampled_from(["first", "mean"]),
        "dayfirst": st.booleans(),
        "sep": st.sampled_from([",", ";", "tab"]),
        "decimal": st.sampled_from([".", ","]),
        "freq": st.sampled_from(["D", "h", "MS", "YS", "2h", "W", "0D", "-1h", "M", "xyz"]),
        "regular": st.just(False),
        "time_col": st.sampled_from(header),
        "target_col": st.sampled_from(header[1:] or ["y"]),
        "id_col": st.sampled_from(header),
        "date_format": st.sampled_from(DATE_FORMATS + ["%Q", "%", ""]),
    }
    keys = (
        draw(st.lists(st.sampled_from(sorted(choices)), max_size=2, unique=True))
        if draw(st.booleans())
        else []
    )
    options = {k: draw(choices[k]) for k in keys}
    if sep == "|" and draw(_often()):
        options["sep"] = "|"  # not detected: said outright
    if options.get("regular") is False:
        options.pop("fill_gaps", None)
    return Case(data, name, options)


# ----------------------------------------------------------------------------- known series

FORMATS_BY_FREQ = {
    "D": [
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%m/%d/%Y",
        "%d.%m.%Y",
        "%Y%m%d",
        "%Y/%m/%d",
        "%d %b %Y",
        "%Y-%m-%dT00:00:00",
        "%d-%b-%Y",
    ],
    "h": [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%Y%m%d%H%M",
        "%Y-%m-%dT%H:%M:%SZ",
    ],
    "30min": ["%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    "MS": ["%Y-%m", "%Y-%m-%d", "%b %Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m", "%B %Y"],
    "QS": ["%Y-%m-%d", "%Y-%m"],
    "YS": ["%Y", "%Y-%m-%d"],
    "W-SUN": ["%Y-%m-%d", "%d/%m/%Y"],
}
SPAN = {"D": 1, "h": 1 / 24, "30min": 1 / 48, "MS": 31, "QS": 92, "YS": 366, "W-SUN": 7}


def _other_order_fits(texts: list[str], fmt: str) -> bool:
    if "%d" not in fmt or "%m" not in fmt:
        return False
    swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    try:
        return [datetime.strptime(t, swapped) for t in texts] != [
            datetime.strptime(t, fmt) for t in texts
        ]
    except ValueError:
        return False


@st.composite
def known_series(draw) -> Case:
    """A regular series (1-3 ids) written with a random date format, separator, decimal mark,
    quoting, BOM and line ending; the truth is kept."""
    freq = draw(st.sampled_from(sorted(FORMATS_BY_FREQ)))
    fmt = draw(st.sampled_from(FORMATS_BY_FREQ[freq]))
    n = draw(st.integers(4, 40))
    days = int(SPAN[freq] * n) + 2
    lo, hi = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31") - pd.Timedelta(days=days)
    start = pd.Timestamp(
        draw(st.datetimes(min_value=lo.to_pydatetime(), max_value=hi.to_pydatetime()))
    )
    start = start.floor("D") if freq not in ("h", "30min") else start.floor(freq)
    ds = pd.date_range(start, periods=n, freq=freq)
    if freq in ("MS", "QS", "YS", "W-SUN"):
        ds = pd.date_range(ds[0], periods=n, freq=freq)
    ids = draw(st.sampled_from([[None], ["a"], ["a", "b"], ["b", "a", "c"]]))
    sep = draw(st.sampled_from(SEPS))
    decimal = "," if sep != "," and draw(st.booleans()) else "."
    quote = draw(st.booleans())
    values = {
        uid: [
            round(draw(st.floats(-1e6, 1e6, allow_nan=False)), draw(st.integers(0, 4)))
            for _ in range(n)
        ]
        for uid in ids
    }
    texts = [t.strftime(fmt) for t in ds]

    def num(v: float) -> str:
        s = repr(float(v))
        return s.replace(".", ",") if decimal == "," else s

    def q(s: str) -> str:
        return f'"{s}"' if quote or sep in s else s

    head = ([q("unique_id")] if ids != [None] else []) + [
        q(draw(st.sampled_from(["ds", "date", "timestamp"]))),
        q(draw(st.sampled_from(["y", "value"]))),
    ]
    lines = [sep.join(head)]
    order = [(uid, i) for uid in ids for i in range(n)]
    order = draw(st.permutations(order)) if draw(st.booleans()) else order
    for uid, i in order:
        cells = ([q(uid)] if uid is not None else []) + [q(texts[i]), q(num(values[uid][i]))]
        lines.append(sep.join(cells))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    data = (eol.join(lines) + eol).encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    sorted_ids = sorted("s" if uid is None else uid for uid in ids)
    truth = pd.DataFrame(
        {
            "unique_id": np.repeat(sorted_ids, n),
            "ds": np.tile(ds.to_numpy().astype("datetime64[ns]"), len(ids)),
            "y": np.concatenate(
                [
                    np.array(values[None if uid == "s" else uid], dtype=np.float64)
                    for uid in sorted_ids
                ]
            ),
        }
    )
    comma_nums = [num(v) for vs in values.values() for v in vs if "," in num(v)]
    thousands = (
        decimal == ","
        and bool(comma_nums)
        and all(
            len(c.split(",")[1]) == 3 and len(c.split(",")[0].lstrip("-")) <= 3 for c in comma_nums
        )
    )
    options = {}
    order = fmt.find("%d") < fmt.find("%m") if "%d" in fmt and "%m" in fmt else None
    how = draw(st.sampled_from(["detect", "detect", "dayfirst", "date_format", "dialect"]))
    if how == "dayfirst" and order is not None:
        options["dayfirst"] = order
    elif how == "date_format":
        options["date_format"] = fmt
    elif how == "dialect":
        options.update(
            sep=draw(st.sampled_from([sep, {"\t": "tab"}.get(sep, sep)])), decimal=decimal
        )
    return Case(
        data,
        "s.csv",
        options,
        truth,
        ambiguous_dates=_other_order_fits(texts, fmt)
        and not {"dayfirst", "date_format"} & set(options),
        thousands_like=thousands and "decimal" not in options,
    )
