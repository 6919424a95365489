"""read_series: layouts, frequency inference, and one clear error per kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsrnn.data.freq import infer_freq, season_length
from tsrnn.data.io import check_length, read_series
from tsrnn.data.tsf import read_tsf
from tsrnn.errors import ConfigError, DataError


def write(tmp_path, text, name="s.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_long_single_and_wide_layouts(tmp_path):
    long = write(
        tmp_path,
        "unique_id,ds,y\nb,2020-01-02,3\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,4\nb,2020-01-03,5\na,2020-01-03,6\n",
    )
    df = read_series(long)
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert df["unique_id"].tolist() == ["a"] * 3 + ["b"] * 3  # sorted by id, then time
    assert df["y"].tolist() == [1, 2, 6, 4, 3, 5]
    assert df.attrs["freq"] == "D"

    single = write(
        tmp_path, "date,temp\n2020-01-01 00:00,1\n2020-01-01 01:00,2\n2020-01-01 02:00,3\n", "t.csv"
    )
    df = read_series(single)
    assert df["unique_id"].unique().tolist() == ["t"] and df.attrs["freq"] == "h"

    wide = write(
        tmp_path,
        "month,x,z\n2020-01-01,1,10\n2020-02-01,2,20\n2020-03-01,3,30\n2020-04-01,4,40\n",
        "w.csv",
    )
    df = read_series(wide)
    assert sorted(df["unique_id"].unique()) == ["x", "z"]
    assert df.attrs["freq"] == "MS"
    assert df.loc[df.unique_id == "z", "y"].tolist() == [10, 20, 30, 40]


def test_multivariate_targets_and_parquet(tmp_path):
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2021-01-01", periods=5, freq="30min"),
            "cpu": np.arange(5.0),
            "mem": np.arange(5.0) * 2,
        }
    )
    p = tmp_path / "m.parquet"
    frame.to_parquet(p)
    df = read_series(p, time_col="ts", target_col="cpu,mem")
    assert df.attrs["targets"] == ["cpu", "mem"] and df.attrs["freq"] == "30min"
    np.testing.assert_array_equal(df["mem"].to_numpy(), np.arange(5.0) * 2)


def test_frame_input_and_tsf(shared_data):
    df = read_series(pd.DataFrame({"ds": ["2000", "2001", "2002", "2003"], "y": [1, 2, 3, 4]}))
    assert df.attrs["freq"].startswith("YS")
    m1 = read_tsf(shared_data / "series/m1_yearly/m1_yearly_dataset.tsf")
    assert m1["unique_id"].nunique() == 181
    lens = m1.groupby("unique_id").size()
    assert lens.min() == 15 and lens.max() == 58
    assert m1.loc[m1.unique_id == "T1", "y"].iloc[:3].tolist() == [3600, 7700, 12300]


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "ds,y\n2020-01-01,1\nnot a date,2\n2020-01-03,3\n",
            r"column 'ds' line 3: cannot parse 'not a date' as a timestamp",
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n2020-01-03,4\n",
            r"duplicate timestamp 2020-01-01 00:00:00 \(lines 2, 3\)",
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n",
            r"column 'y' line 3: 'abc' is not a number",
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n2020-01-04,3\n",
            r"column 'y' has 1 missing value\(s\), first at line 3.*--fill-nan",
        ),
        (
            "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n2020-01-05,5\n2020-01-06,6\n",
            r"1 missing timestamp\(s\) at frequency 'D' \(first: 2020-01-04 "
            r"00:00:00\).*--fill-gaps",
        ),
    ],
)
def test_bad_input_messages(tmp_path, text, match):
    p = write(tmp_path, text)
    with pytest.raises(DataError, match=match) as e:
        read_series(p)
    assert str(p) in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_and_column(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        read_series(tmp_path / "nope.csv")
    p = write(tmp_path, "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n")
    with pytest.raises(
        DataError, match=r"column 'sales' \(given by --target-col\) not found; columns are: ds, y"
    ):
        read_series(p, target_col="sales")
    with pytest.raises(ConfigError, match="fill method"):
        read_series(p, fill_gaps="magic")


def test_fill_gaps_and_nan(tmp_path):
    p = write(
        tmp_path, "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-04,4\n2020-01-05,\n2020-01-06,6\n"
    )
    df = read_series(p, fill_gaps="interpolate", fill_nan="interpolate")
    assert df["y"].tolist() == [1, 2, 3, 4, 5, 6]
    df = read_series(p, fill_gaps="zero", fill_nan="ffill")
    assert df["y"].tolist() == [1, 2, 0, 4, 4, 6]


def test_seattle_dst_gap_is_named(shared_data):
    path = shared_data / "series/vega_weather/seattle-temps.csv"
    with pytest.raises(
        DataError, match=r"1 missing timestamp\(s\) at frequency 'h' \(first: 2010-03-14 03:00:00\)"
    ):
        read_series(path)
    df = read_series(path, fill_gaps="interpolate")
    assert len(df) == 8760
    row = df.set_index("ds").loc["2010-03-14 02:00":"2010-03-14 04:00", "y"].tolist()
    assert row == pytest.approx([43.0, 42.6, 42.2])


def test_check_length_names_the_series(tmp_path):
    p = write(tmp_path, "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,2\na,2020-01-03,3\n")
    df = read_series(p)
    with pytest.raises(
        DataError,
        match=r"series 'a' has 3 observations; input length 8 \+ horizon 2 needs at least 10",
    ):
        check_length(df, 10, "input length 8 + horizon 2")


def test_freq_inference_and_season_lengths():
    assert infer_freq(pd.date_range("2020", periods=10, freq="h").delete(4)) == "h"
    assert infer_freq(pd.date_range("2020", periods=10, freq="MS")) == "MS"
    assert infer_freq(pd.date_range("2020", periods=10, freq="QS")).startswith("QS")
    assert [season_length(f) for f in ["h", "30min", "D", "W-SUN", "MS", "QS", "YS", None]] == [
        24,
        48,
        7,
        52,
        12,
        4,
        1,
        1,
    ]


def test_duplicates_policy(tmp_path):
    p = write(
        tmp_path,
        "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,2\na,2020-01-02,4\nb,2020-01-01,7\n"
        "a,2020-01-03,5\nb,2020-01-02,8\na,2020-01-02,\n",
    )
    with pytest.raises(
        DataError, match=r"series 'a' has duplicate timestamp 2020-01-02 00:00:00 \(lines 3, 4, 8\)"
    ):
        read_series(p, fill_nan="zero")
    first = read_series(p, duplicates="first")
    assert first.loc[first.unique_id == "a", "y"].tolist() == [1, 2, 5]  # file order decides
    last = read_series(p, duplicates="last", fill_nan="zero")
    assert last.loc[last.unique_id == "a", "y"].tolist() == [
        1,
        0,
        5,
    ]  # the last row is empty, filled after merging
    mean = read_series(p, duplicates="mean")
    assert mean.loc[mean.unique_id == "a", "y"].tolist() == [1, 3, 5]  # NaN ignored in the mean
    assert mean.loc[mean.unique_id == "b", "y"].tolist() == [7, 8]  # other series untouched
    assert mean.attrs["freq"] == "D" and len(mean) == 5
    with pytest.raises(ConfigError, match="duplicates='max' is not a duplicates policy"):
        read_series(p, duplicates="max")


def test_irregular_keeps_timestamps_as_given(tmp_path):
    # a gap (00:10 missing), an off-grid time (00:17) and a duplicate: NAB-like data
    text = (
        "timestamp,value\n2020-01-01 00:00,1\n2020-01-01 00:05,2\n2020-01-01 00:15,3\n2020-01-01 "
        "00:17,4\n"
        "2020-01-01 00:17,6\n2020-01-01 00:20,7\n"
    )
    p = write(tmp_path, text)
    with pytest.raises(DataError, match="duplicate timestamp"):
        read_series(p, regular=False)
    df = read_series(p, regular=False, duplicates="mean")
    assert df["ds"].dt.strftime("%H:%M").tolist() == ["00:00", "00:05", "00:15", "00:17", "00:20"]
    assert df["y"].tolist() == [1, 2, 3, 5, 7] and df.attrs["freq"] is None
    with pytest.raises(DataError):  # the regular reader still rejects the off-grid time
        read_series(p, duplicates="mean")
    with pytest.raises(ConfigError, match="cannot be combined with regular=False"):
        read_series(p, regular=False, fill_gaps="ffill")


def test_read_columns_and_head(tmp_path):
    from tsrnn.data.tables import read_columns, read_head

    p = write(tmp_path, " ds , y,label\n2020-01-01,1,0\n2020-01-02,2,1\n")
    assert read_columns(p) == ["ds", "y", "label"]
    assert read_head(p, rows=1)["y"].tolist() == ["1"]
    q = tmp_path / "f.parquet"
    pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=3), "v": [1.0, 2, 3]}).to_parquet(q)
    assert read_columns(q) == ["ds", "v"]
    with pytest.raises(DataError, match="file not found"):
        read_columns(tmp_path / "nope.csv")


def test_every_shipped_dataset_reads_with_its_catalog_frequency_and_length():
    """Each dataset in datasets/catalog.json reads (sunspots spans 309 years: more than a
    nanosecond Timedelta holds) with the catalog's frequency, series count and length."""
    import json

    root = Path(__file__).resolve().parents[1] / "datasets"
    for entry in json.loads((root / "catalog.json").read_text()):
        df = read_series(root / entry["file"])
        assert df["unique_id"].nunique() == entry["series"], entry["name"]
        assert df.groupby("unique_id").size().max() == entry["length"], entry["name"]
        got = df.attrs.get("freq")
        assert pd.tseries.frequencies.to_offset(got) == pd.tseries.frequencies.to_offset(
            entry["freq"]
        ), (entry["name"], got)
