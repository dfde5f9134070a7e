"""pandas, pyarrow and dask on WebDAV through the dav:// filesystem."""

import os

import dask.dataframe as dd
import fsspec
import pandas as pd
import pyarrow.parquet as pq

# DAV_URL is http(s)://host:port/path/: the same place as dav(s)://host:port/path/
url = os.environ.get("DAV_URL", "https://dav.example.org/team/")
root = url.replace("https://", "davs://").replace("http://", "dav://").rstrip("/")
options = {"auth": (os.environ.get("DAV_USER", "alice"), os.environ.get("DAV_PASSWORD", "s3cret"))}

# pandas: CSV both ways (parent collections are made as needed)
frame = pd.DataFrame({"city": ["Zürich", "Lyon", "Porto"], "rain_mm": [1100, 830, 1250]})
frame.to_csv(f"{root}/weather/2026.csv", index=False, storage_options=options)
print(pd.read_csv(f"{root}/weather/2026.csv", storage_options=options))

# pyarrow: write Parquet, then read one column; Range requests fetch only what it needs
fs, path = fsspec.core.url_to_fs(f"{root}/weather/2026.parquet", **options)
frame.to_parquet(f"{root}/weather/2026.parquet", storage_options=options)
with fs.open(path, "rb", cache_type="none") as handle:
    print(pq.ParquetFile(handle).read(columns=["rain_mm"]))

# dask: many files from a glob, read in parallel
for year in (2024, 2025):
    frame.assign(rain_mm=frame.rain_mm + year % 10).to_csv(
        f"{root}/weather/{year}.csv", index=False, storage_options=options
    )
years = dd.read_csv(f"{root}/weather/20*.csv", storage_options=options)
print(years.groupby("city").rain_mm.mean().compute())

fs.rm(path.rsplit("/", 2)[0] + "/weather", recursive=True)
