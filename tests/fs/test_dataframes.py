"""pandas, pyarrow and dask through ``dav://`` URLs: the round trips users make."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
dd = pytest.importorskip("dask.dataframe")

from servers.common import ALICE, ALICE_PASSWORD  # noqa: E402

from .support import make_fs, unique_dir  # noqa: E402

OPTIONS: Dict[str, Any] = {"auth": (ALICE, ALICE_PASSWORD)}


def frame(rows: int, seed: int = 0) -> Any:
    numbers = pd.Series(range(rows), dtype="int64")
    return pd.DataFrame(
        {
            "id": numbers + seed * rows,
            "value": (numbers * 7 + seed) % 1000 / 10,
            "name": [f"row {i} ü" for i in range(rows)],
        }
    )


def test_pandas_csv_round_trip(wsgidav_server: Any) -> None:
    url = "dav://" + unique_dir(wsgidav_server, "basic") + "/sub/data.csv"
    df = frame(500)
    df.to_csv(url, index=False, storage_options=OPTIONS)
    back = pd.read_csv(url, storage_options=OPTIONS)
    pd.testing.assert_frame_equal(back, df)


@pytest.mark.needs_apache
def test_pyarrow_reads_one_parquet_column_by_ranges(apache_server: Any) -> None:
    fs = make_fs(apache_server)
    path = unique_dir(apache_server, "basic") + "/table.parquet"
    rows = 200_000
    table = pa.table(
        {
            "a": pa.array(range(rows), pa.int64()),
            "b": pa.array([(i * 2654435761) % 2**32 for i in range(rows)], pa.int64()),
            "c": pa.array([(i * 40503) % 65521 for i in range(rows)], pa.int64()),
        }
    )
    with fs.open(path, "wb") as handle:
        pq.write_table(table, handle, compression="none")
    size = fs.size(path)
    received: List[int] = []
    fs.session.hooks["response"].append(
        lambda r, *a, **k: (
            received.append(int(r.headers.get("Content-Length") or 0))
            if r.request.method == "GET"
            else None
        )
    )
    mark = apache_server.mark()
    with fs.open(path, "rb", block_size=1 << 16, cache_type="bytes") as handle:
        column = pq.ParquetFile(handle).read(columns=["b"])
    assert column.column("b").equals(table.column("b"))
    gets = [r for r in apache_server.requests_since(mark, at_least=2) if r.method == "GET"]
    assert gets and {r.status for r in gets} == {206}
    # one column of three, the footer, and a block of read-ahead at most
    assert sum(received) < size * 0.5, (sum(received), size)


def test_pandas_parquet_round_trip(wsgidav_server: Any) -> None:
    url = "dav://" + unique_dir(wsgidav_server, "basic") + "/t.parquet"
    df = frame(300)
    df.to_parquet(url, storage_options=OPTIONS)
    back = pd.read_parquet(url, columns=["id", "name"], storage_options=OPTIONS)
    pd.testing.assert_frame_equal(back, df[["id", "name"]])


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_dask_reads_many_csv_files_from_a_glob(wsgidav_server: Any, scheduler: str) -> None:
    fs = make_fs(wsgidav_server)
    base = unique_dir(wsgidav_server, "basic")
    parts = [frame(50, seed) for seed in range(12)]
    for index, part in enumerate(parts):
        fs.pipe_file(f"{base}/part-{index:02}.csv", part.to_csv(index=False).encode())
    fs.pipe_file(f"{base}/notes.txt", b"not a csv")
    ddf = dd.read_csv(f"dav://{base}/part-*.csv", storage_options=OPTIONS, blocksize=None)
    assert ddf.npartitions == 12
    result = ddf.compute(scheduler=scheduler, num_workers=2)
    expected = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(
        result.sort_values("id").reset_index(drop=True), expected, check_dtype=False
    )
