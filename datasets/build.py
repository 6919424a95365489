"""Rebuild the shipped CSV files from their sources (statsmodels' bundled public-domain data,
vega_datasets' Seattle temperatures and NAB's NYC taxi series with its labels, both in
../shared/data). Run from the repository root:

    python datasets/build.py

The CSVs are committed; this script documents exactly how each was made.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "series" / "vega_weather"
NAB = HERE.parent.parent / "shared" / "data" / "anomaly" / "nab"


def main() -> None:
    catalog = []

    def save(name, df, file, freq, licence, source, description, labels=None):
        df.to_csv(HERE / file, index=False)
        n_series = df["unique_id"].nunique() if "unique_id" in df else len(df.columns) - 1
        length = int(df.groupby("unique_id").size().max()) if "unique_id" in df else len(df)
        catalog.append({"name": name, "file": file, "freq": freq, "series": int(n_series), "length": length,
                        "licence": licence, "source": source, "description": description,
                        **({"labels": labels} if labels else {})})

    s = sm.datasets.sunspots.load_pandas().data
    save("sunspots", pd.DataFrame({"ds": s["YEAR"].astype(int).astype(str), "y": s["SUNACTIVITY"]}),
         "sunspots_yearly.csv", "YS", "public domain", "NOAA NGDC via statsmodels.datasets.sunspots",
         "Yearly mean sunspot number, 1700-2008")

    c = sm.datasets.co2.load_pandas().data["co2"]
    missing = int(c.isna().sum())
    c = c.interpolate()
    save("co2", pd.DataFrame({"ds": c.index.strftime("%Y-%m-%d"), "y": c.to_numpy().round(2)}),
         "co2_weekly.csv", "W-SAT", "public domain", "Scripps / CDIAC Mauna Loa flask data via statsmodels.datasets.co2",
         f"Weekly atmospheric CO2 at Mauna Loa (ppm), 1958-2001; {missing} missing weeks linearly interpolated")

    n = sm.datasets.nile.load_pandas().data
    save("nile", pd.DataFrame({"ds": n["year"].astype(int).astype(str), "y": n["volume"]}),
         "nile_yearly.csv", "YS", "public domain", "Cobb (1978) via statsmodels.datasets.nile",
         "Yearly Nile river flow at Aswan, 1871-1970")

    e = sm.datasets.elnino.load_pandas().data
    months = [c for c in e.columns if c != "YEAR"]
    long = e.melt(id_vars="YEAR", value_vars=months, var_name="month", value_name="y")
    long["ds"] = pd.to_datetime(long["YEAR"].astype(int).astype(str) + "-" + long["month"], format="%Y-%b")
    long = long.sort_values("ds")
    save("elnino", pd.DataFrame({"ds": long["ds"].dt.strftime("%Y-%m-%d"), "y": long["y"].to_numpy()}),
         "elnino_monthly.csv", "MS", "public domain", "NOAA NWS ERSST.V3B Nino 1+2 via statsmodels.datasets.elnino",
         "Monthly sea surface temperature, Nino 1+2 region (deg C), 1950-2010")

    mac = sm.datasets.macrodata.load_pandas().data
    ds = pd.PeriodIndex.from_fields(year=mac["year"].astype(int), quarter=mac["quarter"].astype(int), freq="Q").to_timestamp()
    wide = pd.DataFrame({"ds": ds.strftime("%Y-%m-%d")})
    for col in ["realgdp", "realcons", "realinv", "cpi", "unemp"]:
        wide[col] = mac[col].to_numpy()
    save("us_macro", wide, "us_macro_quarterly.csv", "QS", "public domain",
         "FRED and BLS via statsmodels.datasets.macrodata",
         "Quarterly US macro series (real GDP, consumption, investment, CPI, unemployment), 1959-2009; wide format")

    t = pd.read_csv(SHARED / "seattle-temps.csv")
    t["ds"] = pd.to_datetime(t["date"], format="%Y/%m/%d %H:%M")
    full = t.set_index("ds")["temp"].reindex(pd.date_range(t["ds"].min(), t["ds"].max(), freq="h"))
    gaps = int(full.isna().sum())
    full = full.interpolate()
    save("seattle_temps", pd.DataFrame({"ds": full.index.strftime("%Y-%m-%d %H:%M"), "y": full.to_numpy().round(2)}),
         "seattle_temps_hourly.csv", "h", "MIT",
         "vega_datasets 0.9.0 seattle-temps.csv",
         f"Hourly temperature normals in Seattle (deg F), 2010, local time; {gaps} missing hour (DST) interpolated")

    taxi = pd.read_csv(NAB / "data" / "realKnownCause" / "nyc_taxi.csv")
    windows = json.loads((NAB / "labels" / "combined_windows.json").read_text())["realKnownCause/nyc_taxi.csv"]
    # the series id of a single-series file is its stem; the labels file is keyed by it
    rows = ",\n".join(f"  {json.dumps([str(pd.Timestamp(a)), str(pd.Timestamp(b))])}" for a, b in windows)
    (HERE / "nyc_taxi_halfhourly_labels.json").write_text('{"nyc_taxi_halfhourly": [\n' + rows + "\n]}\n")
    (HERE / "LICENSE-NAB.txt").write_text((NAB / "LICENSE.txt").read_text())
    save("nyc_taxi", pd.DataFrame({"ds": taxi["timestamp"], "y": taxi["value"]}), "nyc_taxi_halfhourly.csv", "30min",
         "MIT", "Numenta Anomaly Benchmark (NAB) realKnownCause/nyc_taxi.csv, commit ea702d7 (licence: LICENSE-NAB.txt)",
         "Half-hourly NYC taxi passenger counts, 2014-07-01 to 2015-01-31, with NAB's 5 labelled anomaly windows "
         "(marathon, Thanksgiving, Christmas, New Year, blizzard)", labels="nyc_taxi_halfhourly_labels.json")

    (HERE / "catalog.json").write_text(json.dumps(catalog, indent=2) + "\n")
    print(json.dumps(catalog, indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
