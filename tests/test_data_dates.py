"""Timestamps and CSV dialects: one format per column, never a guess; separators and decimal marks
detected or given; every refusal is one sentence (API) and exit status 2 with one line (CLI)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from tsrnn_cli.app import app
from typer.testing import CliRunner

from tsrnn.data.dates import parse_timestamps
from tsrnn.data.freq import future_dates, parse_freq
from tsrnn.data.io import read_series
from tsrnn.errors import ConfigError, DataError

runner = CliRunner()


def write(tmp_path, text, name="s.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def dates_file(tmp_path, days, fmt, name="s.csv", sep=",", value=lambda i: str(i)):
    rows = "".join(f"{t.strftime(fmt)}{sep}{value(i)}\n" for i, t in enumerate(days))
    return write(tmp_path, f"ds{sep}y\n{rows}", name)


def forecast(path, *args):
    r = runner.invoke(
        app,
        [
            "forecast",
            str(path),
            "--model",
            "naive",
            "--quiet",
            "--force",
            "-o",
            str(path.with_suffix(".out.csv")),
            *map(str, args),
        ],
    )
    return r


def forecast_dates(path, *args):
    r = forecast(path, *args)
    assert r.exit_code == 0, r.output
    return pd.read_csv(path.with_suffix(".out.csv"), parse_dates=["ds"])["ds"].tolist()


def one_error_line(r, *fragments):
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert "Traceback" not in r.output and "Warning" not in r.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


JAN = pd.date_range("2020-01-01", periods=12, freq="D")  # 1-12 January: day <= 12, both orders fit
JAN_FEB = pd.date_range("2020-01-01", periods=60, freq="D")


def test_day_first_dates_that_fit_both_orders_are_refused_not_guessed(tmp_path):
    p = dates_file(tmp_path, JAN, "%d/%m/%Y")
    msg = one_error_line(
        forecast(p, "--horizon", 3), "column 'ds'", "'02/01/2020'", "--dayfirst", "--date-format"
    )
    assert "2020-02-01" in msg and "2020-01-02" in msg
    with pytest.raises(DataError, match=r"line 3: '02/01/2020' reads as .* every value fits both"):
        read_series(p)
    expected = list(pd.date_range("2020-01-13", periods=3, freq="D"))
    assert forecast_dates(p, "--horizon", 3, "--dayfirst") == expected
    assert forecast_dates(p, "--horizon", 3, "--date-format", "%d/%m/%Y") == expected
    # month-first is a choice too: then they are the first days of 12 months
    assert forecast_dates(p, "--horizon", 3, "--monthfirst") == list(
        pd.date_range("2021-01-01", periods=3, freq="MS")
    )


@pytest.mark.parametrize(
    "fmt",
    [
        "%d/%m/%Y",
        "%m/%d/%Y",
        "%Y-%m-%d",
        "%d.%m.%Y",
        "%Y/%m/%d",
        "%Y%m%d",
        "%d %b %Y",
        "%m/%d/%Y %H:%M",
    ],
)
def test_unambiguous_formats_forecast_the_right_dates(tmp_path, fmt):
    p = dates_file(tmp_path, JAN_FEB, fmt)
    assert forecast_dates(p, "--horizon", 3) == list(
        pd.date_range("2020-03-01", periods=3, freq="D")
    )
    df = read_series(p)
    np.testing.assert_array_equal(df["ds"].to_numpy(), JAN_FEB.to_numpy())
    assert df["ds"].dtype == "datetime64[ns]"


def test_year_only_and_monthly_files(tmp_path):
    years = write(
        tmp_path, "year,y\n" + "".join(f"{1990 + i},{i}\n" for i in range(20)), "years.csv"
    )
    assert forecast_dates(years, "--horizon", 3) == [
        pd.Timestamp(f"{y}-01-01") for y in (2010, 2011, 2012)
    ]
    months = write(
        tmp_path, "month,y\n" + "".join(f"2019-{m:02d},{m}\n" for m in range(1, 13)), "m.csv"
    )
    assert forecast_dates(months, "--horizon", 2) == [
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-02-01"),
    ]
    names = write(
        tmp_path,
        "month,y\n"
        + "".join(
            f"{t:%b %Y},{i}\n"
            for i, t in enumerate(pd.date_range("2019-01", periods=12, freq="MS"))
        ),
        "n.csv",
    )
    assert forecast_dates(names, "--horizon", 1) == [pd.Timestamp("2020-01-01")]


def test_one_digit_years_are_refused_never_wrapped(tmp_path):
    # shampoo.csv: "1-01" is month 1 of year 1, which pandas used to wrap to 1754-09-11 22:43:41
    text = '"Month","Sales"\n' + "".join(
        f'"{1 + i // 12}-{i % 12 + 1:02d}",{100 + i}\n' for i in range(36)
    )
    p = write(tmp_path, text, "shampoo.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warning on the way
        with pytest.raises(
            DataError, match=r"column 'Month' line 2: cannot parse '1-01' .*no four-digit year"
        ):
            read_series(p)
    one_error_line(forecast(p, "--fill-gaps", "interpolate"), "'1-01'", "four-digit year")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("1500-01-01", "outside the dates"),
        ("2300-01-01", "outside the dates"),
        ("0001-01-01", "outside the dates"),
        ("1000", "outside the dates"),
    ],
)
def test_out_of_range_dates_are_refused(tmp_path, value, fragment):
    year = value[:4] if len(value) == 4 else None
    rows = [f"{int(year) + i}" for i in range(4)] if year else [value, "2020-01-01", "2020-01-02"]
    p = write(tmp_path, "ds,y\n" + "".join(f"{r},{i}\n" for i, r in enumerate(rows)))
    with pytest.raises(DataError, match=rf"column 'ds' line 2: '{rows[0]}' is {fragment}"):
        read_series(p)


@pytest.mark.parametrize(
    "rows, line, value",
    [
        (["1500-01-01T00:00", "2020-01-01T00:00", "2020-01-01T01:00"], 2, "1500-01-01T00:00"),
        (["1500-01-01T00:00Z", "2020-01-01T00:00Z", "2020-01-01T01:00Z"], 2, "1500-01-01T00:00Z"),
        (["01/01/1500", "13/01/2020", "14/01/2020"], 2, "01/01/1500"),
        (["15000101", "15000102", "15000103"], 2, "15000101"),
        (["Jan 1500", "Feb 1500", "Mar 1500"], 2, "Jan 1500"),
        (["9997", "9998", "9999"], 2, "9997"),
        (["1980-01-03T23:59:58.999999", "1981-01-03T23:59:58.999999", "1287"], 4, "1287"),
        (["1500-05", "2020-01", "2020-02"], 2, "1500-05"),
        (["1677-09-21", "1677-09-22", "1677-09-23"], 2, "1677-09-21"),
        (["2262-04-10", "2262-04-11", "2262-04-12"], 4, "2262-04-12"),
    ],
)
def test_out_of_range_dates_are_named_in_every_format(tmp_path, rows, line, value):
    # pandas 2 parses text to nanoseconds only and reads these as NaT; the message is the one
    # pandas 3 gives, naming the value, not "cannot parse"
    p = write(tmp_path, "ds,y\n" + "".join(f"{r},{i}\n" for i, r in enumerate(rows)))
    with pytest.raises(
        DataError,
        match=rf"column 'ds' line {line}: '{value}' is outside the dates "
        r"tsrnn can represent \(1677-09-22 to 2262-04-11\)",
    ):
        read_series(p)
    inside = write(tmp_path, "ds,y\n1677-09-22,1\n1677-09-23,2\n1677-09-24,3\n", "in.csv")
    assert read_series(inside)["ds"].iloc[0] == pd.Timestamp("1677-09-22")
    # a value that is no date at all is named first, as on pandas 3
    both = write(tmp_path, "ds,y\n1500-01-01,1\n2020-01-02,2\nxx,3\n", "both.csv")
    with pytest.raises(DataError, match=r"line 4: cannot parse 'xx' as a timestamp"):
        read_series(both)


@pytest.mark.parametrize(
    "values, match",
    [
        (["1577836800", "1577923200", "1578009600"], r"'1577836800' is a number, not a timestamp"),
        (
            ["2020-01-01", "01/02/2020", "2020-01-03"],
            r"line 3: cannot parse '01/02/2020' .*fit the format %Y-%m-%d",
        ),
        (["2020-01-01", "", "2020-01-03"], r"line 3: the timestamp is missing"),
        (
            ["01/02/20", "02/02/20", "03/02/20"],
            r"'01/02/20' as a timestamp: it has no four-digit year",
        ),
    ],
)
def test_numbers_mixed_formats_and_missing_timestamps_are_refused(tmp_path, values, match):
    p = write(tmp_path, "ds,y\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    with pytest.raises(DataError, match=match) as e:
        read_series(p)
    assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_time_zones(tmp_path):
    # explicit offsets: converted to UTC (a DST change of offset is no gap)
    p = write(
        tmp_path,
        "ds,y\n2020-03-29T00:00+01:00,1\n2020-03-29T01:00+01:00,2\n2020-03-29T03:00+02:00,3\n"
        "2020-03-29T04:00+02:00,4\n",
    )
    df = read_series(p)
    assert df["ds"].dt.strftime("%H:%M").tolist() == ["23:00", "00:00", "01:00", "02:00"]
    assert df.attrs["freq"] == "h"
    mixed = write(
        tmp_path,
        "ds,y\n2020-01-01T00:00+01:00,1\n2020-01-01T01:00,2\n2020-01-01T02:00+01:00,3\n",
        "m.csv",
    )
    with pytest.raises(
        DataError,
        match=r"column 'ds' mixes timestamps with and without a UTC offset \(line 2: "
        r"'2020-01-01T00:00\+01:00', line 3: '2020-01-01T01:00'\)",
    ):
        read_series(mixed)
    one_error_line(forecast(mixed), "mixes timestamps with and without a UTC offset")


def test_date_format_option_errors(tmp_path):
    p = dates_file(tmp_path, JAN_FEB, "%d/%m/%Y")
    with pytest.raises(
        DataError, match=r"line 14: '13/01/2020' does not match --date-format '%m/%d/%Y'"
    ):
        read_series(p, date_format="%m/%d/%Y")
    with pytest.raises(ConfigError, match=r"--date-format '%Q' is not a usable strftime format"):
        read_series(p, date_format="%Q")
    # --dayfirst on an unambiguous month-first file cannot make it day-first: the only fit is
    # refused
    q = dates_file(tmp_path, JAN_FEB, "%m/%d/%Y", name="q.csv")
    with pytest.raises(DataError, match="cannot parse"):
        read_series(q, dayfirst=True)
    assert read_series(q, dayfirst=False)["ds"].iloc[-1] == pd.Timestamp("2020-02-29")


def test_datetime_columns_of_frames_and_parquet(tmp_path):
    aware = pd.DataFrame(
        {"ds": pd.date_range("2020-01-01", periods=4, freq="h", tz="Europe/Berlin"), "y": 1.0}
    )
    assert read_series(aware)["ds"].iloc[0] == pd.Timestamp("2019-12-31 23:00")
    far = pd.DataFrame({"ds": pd.date_range("2300-01-01", periods=4, freq="D", unit="s"), "y": 1.0})
    with pytest.raises(DataError, match=r"line 1: '2300-01-01' is outside the dates"):
        read_series(far)
    ints = pd.DataFrame({"ds": [2001, 2002, 2003, 2004], "y": 1.0})
    assert read_series(ints)["ds"].dt.year.tolist() == [2001, 2002, 2003, 2004]
    col = pd.Series(["2020-01-01", "2020-01-02"])
    assert parse_timestamps(col, "ds", "x").dtype == np.dtype("datetime64[ns]")


def test_semicolon_files_with_decimal_commas(tmp_path):
    p = dates_file(tmp_path, JAN_FEB, "%Y-%m-%d", sep=";", value=lambda i: f"{i},5")
    df = read_series(p)
    assert df["y"].iloc[:3].tolist() == [0.5, 1.5, 2.5] and len(df) == 60
    assert forecast_dates(p, "--horizon", 2) == [
        pd.Timestamp("2020-03-01"),
        pd.Timestamp("2020-03-02"),
    ]
    fc = pd.read_csv(p.with_suffix(".out.csv"))
    assert fc["yhat"].tolist() == [59.5, 59.5]
    # the separator and decimal mark can be given; a wrong one says which it used
    one_error_line(forecast(p, "--sep", ","), "separator ','", "--sep")
    one_error_line(forecast(p, "--decimal", "."), "'0,5' is not a number", "--decimal ,")
    assert read_series(p, sep=";", decimal=",")["y"].iloc[-1] == 59.5
    assert read_series(p, time_col="ds", target_col="y")["y"].iloc[-1] == 59.5  # was "not found"
    tabs = dates_file(tmp_path, JAN_FEB, "%Y-%m-%d", name="t.txt", sep="\t")
    assert (
        read_series(tabs)["y"].iloc[-1] == 59.0
        and read_series(tabs, sep="tab")["y"].iloc[-1] == 59.0
    )


def test_dialect_refusals(tmp_path):
    # a comma followed by three digits alone: 1,500 could be 1.5 or 1500
    p = write(tmp_path, "ds;y\n2020-01-01;1,500\n2020-01-02;2,250\n2020-01-03;3,000\n")
    with pytest.raises(
        DataError, match=r"column 'y': '1,500' could be a decimal comma or a thousands separator"
    ):
        read_series(p)
    assert read_series(p, decimal=",")["y"].tolist() == [1.5, 2.25, 3.0]
    # both marks in one file: '.' stays, and the comma value is named
    q = write(tmp_path, "ds;y\n2020-01-01;1.5\n2020-01-02;2,5\n2020-01-03;3\n", "q.csv")
    with pytest.raises(
        DataError,
        match=r"line 3: '2,5' is not a number \(the decimal mark is '\.'; pass --decimal ,",
    ):
        read_series(q)
    with pytest.raises(DataError, match=r"line 2: '1.5' is not a number \(the decimal mark is ','"):
        read_series(q, decimal=",")
    # the message about a missing column names the separator it split the header with
    r = write(tmp_path, "date|value\n2020-01-01|1\n2020-01-02|2\n2020-01-03|3\n", "r.csv")
    with pytest.raises(
        DataError,
        match=r"no time column found.*columns are: date\|value \(separator ','; pass --sep",
    ):
        read_series(r)
    assert read_series(r, sep="|")["y"].tolist() == [1, 2, 3]
    with pytest.raises(ConfigError, match="--sep 'ab' is not a column separator"):
        read_series(r, sep="ab")
    with pytest.raises(ConfigError, match="--decimal ';' is not a decimal mark"):
        read_series(r, decimal=";")


def test_bom_crlf_quotes_and_encoding(tmp_path):
    p = write(
        tmp_path,
        b'\xef\xbb\xbf"ds","y"\r\n"2020-01-01","1"\r\n"2020-01-02","2"\r\n"2020-01-03","3"\r\n',
    )
    df = read_series(p)
    assert df["y"].tolist() == [1, 2, 3] and df.attrs["freq"] == "D"
    q = write(tmp_path, b"ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,caf\xe9\n", "q.csv")
    with pytest.raises(
        DataError, match=r"line 4 holds byte 0xe9, which is not UTF-8 text; save the file as UTF-8"
    ):
        read_series(q)


def test_colliding_column_names(tmp_path):
    for header in ("ds,y,y ", "ds,y,y"):
        p = write(tmp_path, f"{header}\n2020-01-01,1,2\n2020-01-02,1,2\n2020-01-03,1,2\n")
        with pytest.raises(DataError, match=r"column name 'y' appears twice \(columns 2 and 3"):
            read_series(p)
    one_error_line(forecast(p), "appears twice")


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e309", "-Infinity", "-1e309", "1" + "0" * 400])
def test_infinite_values_are_refused_or_filled(tmp_path, cell):
    p = dates_file(tmp_path, JAN_FEB[:10], "%Y-%m-%d", value=lambda i: cell if i == 4 else str(i))
    with pytest.raises(
        DataError, match=rf"column 'y' line 6: '{cell}' is not a finite number.*--fill-nan"
    ):
        read_series(p)
    one_error_line(forecast(p), "is not a finite number", "--fill-nan")
    assert read_series(p, fill_nan="interpolate")["y"].tolist() == list(range(10))
    frame = pd.DataFrame({"ds": JAN_FEB[:4], "y": [1.0, np.inf, 3.0, 4.0]})
    with pytest.raises(DataError, match=r"line 2: 'inf' is not a finite number"):
        read_series(frame)


def test_bad_frequencies_and_overflowing_forecasts(tmp_path):
    p = write(tmp_path, "ds,y\n" + "".join(f"{2200 + i},{i}\n" for i in range(50)))
    for freq in ("0D", "-1D"):
        with pytest.raises(ConfigError, match=f"--freq '{freq}' is not a positive step"):
            read_series(p, freq=freq)
        one_error_line(forecast(p, f"--freq={freq}"), f"--freq '{freq}' is not a positive step")
    daily = dates_file(tmp_path, JAN_FEB, "%Y-%m-%d", name="daily.csv")  # starts on a Wednesday
    with pytest.raises(
        DataError, match=r"line 2: the first timestamp 2020-01-01 00:00:00 is not a 'W-SUN' step"
    ):
        read_series(daily, freq="W")  # was an IndexError
    with pytest.raises(ConfigError, match="'M' is not a pandas frequency alias"):
        parse_freq("M")
    assert parse_freq("1D") == "D"
    one_error_line(forecast(p, "--horizon", 20), "would pass 2262-04-11", "shorter horizon")
    assert forecast_dates(p, "--horizon", 3)[-1] == pd.Timestamp("2252-01-01")
    with pytest.raises(
        DataError, match="2 steps of 'MS' after 2262-03-01 00:00:00 would pass 2262-04-11"
    ):
        future_dates(pd.Timestamp("2262-03-01"), 2, "MS")
    assert future_dates(pd.Timestamp("2262-03-01"), 1, "MS")[0] == pd.Timestamp("2262-04-01")


def test_old_frequency_aliases_are_refused_naming_the_new_one(tmp_path):
    # pandas 2 still reads 'M' as month end, pandas 3 refuses it: tsrnn refuses it on both, naming
    # 'ME' (month end) and 'MS' (month start), so that a file reads the same on every pandas
    for old, new in (
        ("M", "'ME' (month end; MS is month start)"),
        ("2M", "'2ME'"),
        ("H", "'h'"),
        ("15T", "'15min'"),
        ("A-JAN", "'YE-JAN' (year end; YS is year start)"),
        ("Q", "'QE' (quarter end"),
        ("S", "'s'"),
    ):
        pattern = rf"^--freq '{old}' is not a pandas frequency alias any more; use {re.escape(new)}"
        with pytest.raises(ConfigError, match=pattern):
            parse_freq(old)
    month_ends = pd.date_range("2020-01-31", periods=12, freq="ME")
    ends = write(
        tmp_path, "ds,y\n" + "".join(f"{t:%Y-%m-%d},{i}\n" for i, t in enumerate(month_ends))
    )
    one_error_line(
        forecast(ends, "--freq", "M"),
        "--freq 'M' is not a pandas frequency alias any",
        "use 'ME' (month end; MS is month start)",
    )
    assert forecast_dates(ends, "--freq", "ME", "--horizon", 2) == [
        pd.Timestamp("2021-01-31"),
        pd.Timestamp("2021-02-28"),
    ]
    assert read_series(ends).attrs["freq"] == "ME" == parse_freq("ME")
    # spellings pandas 3 still reads are read on both
    spellings = ("d", "w", "MIN", "W-sun", "h", "ms")
    assert [parse_freq(f) for f in spellings] == ["D", "W-SUN", "min", "W-SUN", "h", "ms"]
    with pytest.raises(ConfigError, match="--freq 'Ms' is not a pandas frequency alias"):
        parse_freq("Ms")


def test_nul_bytes_stay_in_their_cell(tmp_path):
    # pandas 2's C parser cut a cell at a NUL byte ('1\x00' read as 1); pandas 3 keeps it
    for cell, shown in (("1\x00", r"'1\\x00'"), ("\x00", r"'\\x00'")):
        p = write(tmp_path, f"ds,y\n2020-01-01,{cell}\n2020-01-02,2\n2020-01-03,3\n")
        with pytest.raises(DataError, match=rf"column 'y' line 2: {shown} is not a number"):
            read_series(p)
    q = write(tmp_path, "ds,y\n2020-01-01\x00,1\n2020-01-02,2\n2020-01-03,3\n", "q.csv")
    with pytest.raises(DataError, match=r"line 2: cannot parse '2020-01-01\\x00' as a timestamp"):
        read_series(q)
    one_error_line(forecast(q), "cannot parse '2020-01-01\\x00'")


def test_far_apart_timestamps_are_not_filled_into_millions_of_rows(tmp_path):
    p = write(
        tmp_path,
        "ds,y\n2020-01-01 00:00,1\n2020-01-01 00:01,2\n2020-01-01 00:02,3\n2021-01-01 00:00,4\n",
    )
    with pytest.raises(
        DataError, match=r"spans 2020-01-01 00:00:00 to 2021-01-01 00:00:00, about 527,040 steps"
    ):
        read_series(p, fill_gaps="zero")


def test_help_shows_the_read_options():
    r = runner.invoke(app, ["forecast", "--help"], env={"COLUMNS": "200"})
    for opt in ("--sep", "--decimal", "--date-format", "--dayfirst", "--monthfirst"):
        assert opt in r.output, opt


def test_every_reading_command_passes_the_read_options_on(tmp_path):
    # a pipe-separated, decimal-comma, day-first file that reads both ways: nothing works unless
    # --sep, --decimal and --dayfirst reach read_series
    days = pd.date_range("2020-01-01", periods=12, freq="MS")
    rng = np.random.default_rng(0)
    rows = "".join(
        f"{t:%d/%m/%Y}|{10 + i % 3 + rng.normal():.2f}\n".replace(".", ",")
        for i, t in enumerate(days)
    )
    # 12 monthly values whose days are all 01: day-first and month-first both fit
    p = write(tmp_path, "ds|y\n" + rows, "p.csv")
    opts = ["--sep", "|", "--decimal", ",", "--dayfirst"]
    assert forecast_dates(p, "--horizon", 2, *opts) == [
        pd.Timestamp("2021-01-01"),
        pd.Timestamp("2021-02-01"),
    ]
    one_error_line(forecast(p, "--horizon", 2, "--sep", "|", "--decimal", ","), "fits both")
    r = runner.invoke(
        app, ["backtest", str(p), "--models", "naive", "--windows", "1", "--horizon", "2", *opts]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "detect",
            str(p),
            "-s",
            "zscore:window=3",
            "--train-frac",
            "1",
            "-q",
            "-o",
            str(tmp_path / "d.csv"),
            *opts,
        ],
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "d.csv", parse_dates=["ds"])["ds"].iloc[1] == pd.Timestamp(
        "2020-02-01"
    )
    r = runner.invoke(
        app,
        [
            "train",
            str(p),
            "-o",
            str(tmp_path / "m.tsrnn"),
            "--model",
            "gru",
            "--horizon",
            "2",
            "--input-len",
            "3",
            "--hidden",
            "2",
            "--layers",
            "1",
            "--epochs",
            "1",
            "-q",
            *opts,
        ],
    )
    assert r.exit_code == 0, r.output


def test_range_check_works_in_every_datetime_unit():
    # pandas 2 parses to nanoseconds, pandas 3 may not: the bound check must not overflow across
    # units (on pandas 2 every date was refused as "outside the dates tsrnn can represent")
    import numpy as np
    import pandas as pd

    from tsrnn.data.dates import _to_ns

    text = pd.Series(["1950-01-01", "2262-04-10"])
    for unit in ("ns", "us", "s"):
        parsed = pd.Series(np.array(["1950-01-01", "2262-04-10"], dtype=f"datetime64[{unit}]"))
        out = _to_ns(parsed, text, "ds", "f.csv", 2)
        assert out.dtype == np.dtype("datetime64[ns]") and str(out[0])[:10] == "1950-01-01"
    far = pd.Series(np.array(["1950-01-01", "2300-01-01"], dtype="datetime64[us]"))
    with pytest.raises(DataError, match="line 3: '2300-01-01' is outside the dates"):
        _to_ns(far, pd.Series(["1950-01-01", "2300-01-01"]), "ds", "f.csv", 2)
