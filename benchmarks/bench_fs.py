"""The fsspec filesystem side by side with webdav4's, in the same run, on the same Apache.

Run ``python benchmarks/bench_fs.py [--entries 10000] [--files 1000] [--big-mib N]
[--parquet-rows 1000000] [--repeat 3] [--quick]``. ``--big-mib`` defaults to
``$BENCH_FS_BIG_MIB`` or 256; pass 1024 for the 1 GiB rows of the issue. Every
measurement runs in a fresh child process (so peak RSS is its own), against the test bed's
Apache (mod_dav_fs, Basic auth share), for ``requests-dav``
(:class:`requests_dav.fs.DAVFileSystem`) and, when it is installed, ``webdav4``
(``webdav4.fsspec.WebdavFileSystem``), taking turns; the best of ``--repeat`` runs of each
case counts:

- listing a collection of ``--entries`` files (``fs.ls(detail=True)``): entries/s, peak RSS;
- ``--files`` small files with ``fs.get`` and ``fs.put`` (lists of paths): files/s;
- one ``--big-mib`` file with ``get_file``, ``put_file`` and ``open("wb")`` + ``write``
  in 1 MiB pieces: MB/s and peak RSS growth;
- a Parquet column read with ``pyarrow.parquet.read_table(columns=[...])`` through each
  filesystem (default options): bytes the server sent, relative to the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    CountingRelay,
    MiB,
    peak_rss,
    print_machine,
    print_table,
    ratio,
    reset_peak_rss,
    rss_now,
)

USER, PASSWORD = "alice", "s3cret"
SHARE = "basic"
CLIENTS = ("requests-dav", "webdav4")
#: the Parquet read is measured for these too (same filesystem, other file options)
VARIANTS = {"requests-dav cache none": {"default_cache_type": "none"}}
PIECE = 1 << 20


# -- the child: one measurement ---------------------------------------------------------------


def _filesystem(client: str, port: int) -> Tuple[Any, Callable[[str], str]]:
    """The client's filesystem and how it names ``<share>/<rel>``."""
    if client.startswith("requests-dav"):
        from requests_dav.fs import DAVFileSystem

        host = f"127.0.0.1:{port}"
        options = VARIANTS.get(client, {})
        fs = DAVFileSystem(host=host, auth=(USER, PASSWORD), skip_instance_cache=True, **options)
        return fs, lambda rel: f"{host}/{SHARE}/{rel}"
    from webdav4.fsspec import WebdavFileSystem

    fs = WebdavFileSystem(f"http://127.0.0.1:{port}/{SHARE}/", auth=(USER, PASSWORD))
    return fs, lambda rel: rel


def _case(case: str, fs: Any, remote: Callable[[str], str], job: Dict[str, Any]) -> float:
    """Run ``case``; the amount it moved (entries, files, bytes) for the rate."""
    if case == "ls":
        return float(len(fs.ls(remote(job["dir"]), detail=True)))
    if case == "get":
        names = job["names"]
        fs.get([remote(f"{job['dir']}/{n}") for n in names], [f"{job['local']}/{n}" for n in names])
        return float(len(names))
    if case == "put":
        names = job["names"]
        fs.put([f"{job['local']}/{n}" for n in names], [remote(f"{job['dir']}/{n}") for n in names])
        return float(len(names))
    if case == "get_file":
        fs.get_file(remote(job["file"]), job["local"])
        return float(os.path.getsize(job["local"]))
    if case == "put_file":
        fs.put_file(job["local"], remote(job["file"]))
        return float(os.path.getsize(job["local"]))
    if case == "open_write":
        piece = os.urandom(PIECE)
        with fs.open(remote(job["file"]), "wb") as handle:
            for _ in range(job["mib"]):
                handle.write(piece)
        return float(job["mib"] * PIECE)
    if case == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(remote(job["file"]), columns=[job["column"]], filesystem=fs)
        return float(table.num_rows)
    raise ValueError(case)


def child(spec: str) -> int:
    job = json.loads(spec)
    try:
        fs, remote = _filesystem(job["client"], job["port"])
    except ImportError as exc:
        print(json.dumps({"error": f"not installed ({exc})"}))
        return 0
    if job["case"] != "parquet":  # there every byte counts, the authentication too
        fs.ls(remote(""))  # connect and authenticate before the clock starts
        fs.invalidate_cache()
    reset_peak_rss()
    base = rss_now()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        amount = _case(job["case"], fs, remote, job)
    except Exception as exc:  # a client that cannot do it: a row with the reason
        print(json.dumps({"error": f"{type(exc).__name__}: {str(exc)[:120]}"}))
        return 0
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "amount": amount, "peak": peak_rss() - base}))
    return 0


# -- the parent: data, children, tables -------------------------------------------------------


def run_child(job: Dict[str, Any]) -> Dict[str, Any]:
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", json.dumps(job)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return dict(json.loads(lines[-1]))


def _dav(port: int) -> Any:
    from requests_dav import DAVSession

    return DAVSession(f"http://127.0.0.1:{port}/{SHARE}/", auth=(USER, PASSWORD))


def _fill(directory: str, count: int, size: int) -> List[str]:
    os.makedirs(directory, exist_ok=True)
    names = [f"f{i:06d}.bin" for i in range(count)]
    payload = b"x" * size
    for name in names:
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(payload)
    return names


def _big_file(path: str, mib: int) -> None:
    piece = os.urandom(PIECE)
    with open(path, "wb") as handle:
        for _ in range(mib):
            handle.write(piece)


def _parquet(path: str, rows: int) -> Optional[str]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return "pyarrow is not installed"
    columns = {
        name: pa.array([(i * factor) % 1000003 for i in range(rows)], pa.int64())
        for name, factor in (("a", 1), ("b", 7919), ("c", 104729), ("d", 15485863))
    }
    pq.write_table(pa.table(columns), path, compression="none", row_group_size=rows // 4)
    return None


def _rate(result: Dict[str, Any], scale: float = 1.0) -> float:
    if "error" in result:
        return float("nan")
    return float(result["amount"]) / float(result["seconds"]) / scale


def _cell(result: Dict[str, Any], key: str, scale: float = 1.0) -> Any:
    if "error" in result:
        return "fails"
    return float(result[key]) / scale


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument(
        "--big-mib", type=int, default=int(os.environ.get("BENCH_FS_BIG_MIB", "256"))
    )
    parser.add_argument("--parquet-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best counts")
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--no-machine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    if args.quick:
        args.entries, args.files = min(args.entries, 1000), min(args.files, 100)
        args.big_mib, args.parquet_rows = min(args.big_mib, 16), min(args.parquet_rows, 200_000)
        args.repeat = 1
    if not args.no_machine:
        print_machine()
    from bench_roundtrips import start_apache, stop_bed_server

    server, why = start_apache()
    if server is None:
        print(f"bench_fs: skipped, {why}")
        return 0
    local = tempfile.mkdtemp(prefix="requests-dav-bench-fs-")
    try:
        return _measure(args, server, local)
    finally:
        stop_bed_server(server)
        shutil.rmtree(local, ignore_errors=True)


def _measure(args: argparse.Namespace, server: Any, local: str) -> int:
    root = str(server.root(SHARE))
    port = int(server.port)
    dav = _dav(port)
    names = _fill(os.path.join(root, "listing"), args.entries, 0)
    small = _fill(os.path.join(root, "small"), args.files, 1024)
    _fill(os.path.join(local, "small"), args.files, 1024)
    _big_file(os.path.join(root, "big.bin"), args.big_mib)
    _big_file(os.path.join(local, "big.bin"), args.big_mib)
    parquet_missing = _parquet(os.path.join(root, "table.parquet"), args.parquet_rows)
    del names
    results: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for client in CLIENTS:
        for folder in ("put-small", "put-big"):
            dav.rmtree(f"{client}-{folder}/", missing_ok=True)
            dav.makedirs(f"{client}-{folder}/")
    for _round in range(args.repeat):  # the clients take turns, so both meet the same load
        for client in CLIENTS:
            for case, job in _jobs(args, client, small, local).items():
                result = run_child({"case": case, "client": client, "port": port, **job})
                if case == "get_file" and os.path.exists(job["local"]):
                    os.remove(job["local"])
                best = results.get((case, client))
                if best is None or _faster(result, best):
                    results[(case, client)] = result
                if best is not None and "error" not in result and "error" not in best:
                    results[(case, client)]["cpu"] = min(result["cpu"], best["cpu"])
    if parquet_missing is None:
        for client in (*CLIENTS, *VARIANTS):
            results[("parquet", client)] = _parquet_read(client, port)
    size = os.path.getsize(os.path.join(root, "table.parquet")) if parquet_missing is None else 0
    _tables(args, results, size, parquet_missing)
    return 0


def _jobs(
    args: argparse.Namespace, client: str, small: List[str], local: str
) -> Dict[str, Dict[str, Any]]:
    return {
        "ls": {"dir": "listing"},
        "get": {"dir": "small", "names": small, "local": os.path.join(local, client, "get")},
        "put": {
            "dir": f"{client}-put-small",
            "names": small,
            "local": os.path.join(local, "small"),
        },
        "get_file": {"file": "big.bin", "local": os.path.join(local, f"{client}-big.bin")},
        "put_file": {"file": f"{client}-put-big/a.bin", "local": os.path.join(local, "big.bin")},
        "open_write": {"file": f"{client}-put-big/b.bin", "mib": args.big_mib},
    }


def _faster(result: Dict[str, Any], best: Dict[str, Any]) -> bool:
    """Whether ``result`` is a better run than ``best`` (an error never is)."""
    if "error" in result:
        return False
    return "error" in best or _rate(result) > _rate(best)


def _parquet_read(client: str, port: int) -> Dict[str, Any]:
    """The Parquet column read through a relay that counts the bytes the server sends."""
    with CountingRelay(port) as relay:
        job = {"case": "parquet", "client": client, "port": relay.port}
        result = run_child({**job, "file": "table.parquet", "column": "b"})
        time.sleep(0.1)  # the relay's last bytes
        result["bytes"] = relay.bytes_down
    return result


def _tables(
    args: argparse.Namespace,
    results: Dict[Tuple[str, str], Dict[str, Any]],
    parquet_size: int,
    parquet_missing: Optional[str],
) -> None:
    ours, theirs = CLIENTS
    rows = []
    rated = (
        ("ls", f"ls {args.entries:,} entries (entries/s)", 1.0),
        ("get", f"get {args.files:,} files of 1 KiB (files/s)", 1.0),
        ("put", f"put {args.files:,} files of 1 KiB (files/s)", 1.0),
        ("get_file", f"get_file {args.big_mib:,} MiB (MB/s)", 1e6),
        ("put_file", f"put_file {args.big_mib:,} MiB (MB/s)", 1e6),
        ("open_write", f"open('wb') {args.big_mib:,} MiB (MB/s)", 1e6),
    )
    for case, label, scale in rated:
        mine, other = results[(case, ours)], results[(case, theirs)]
        rows.append(
            [
                label,
                _rate(mine, scale) if "error" not in mine else "fails",
                _rate(other, scale) if "error" not in other else "fails",
                ratio(_rate(mine, scale), _rate(other, scale)),
                _cell(mine, "peak", MiB),
                _cell(other, "peak", MiB),
            ]
        )
    notes = [
        f"best of {args.repeat} runs; ratio: requests-dav / webdav4 (higher is better); "
        "peak: RSS growth of the child, MiB",
    ]
    for (case, client), result in sorted(results.items()):
        if "error" in result:
            notes.append(f"{client} {case}: {result['error']}")
    print_table(
        "Filesystem: requests-dav vs webdav4 on Apache mod_dav (Basic)",
        ["case", ours, theirs, "ratio", f"peak {ours}", f"peak {theirs}"],
        rows,
        notes,
    )
    cpu_rows = []
    for case, label, _scale in rated:
        mine, other = results[(case, ours)], results[(case, theirs)]
        cpu_mine, cpu_other = _cell(mine, "cpu"), _cell(other, "cpu")
        cpu_ratio = ratio(cpu_other, cpu_mine) if "fails" not in (cpu_mine, cpu_other) else None
        cpu_rows.append([label.rsplit(" (", 1)[0], cpu_mine, cpu_other, cpu_ratio])
    print_table(
        "Filesystem: client CPU seconds (the least of the runs)",
        ["case", ours, theirs, "webdav4 / requests-dav"],
        cpu_rows,
        ["CPU time of the client process, all its threads: steadier than wall time on a busy box"],
    )
    if parquet_missing is not None:
        print(f"Parquet column read: skipped, {parquet_missing}\n")
        return
    prow = []
    for client in (*CLIENTS, *VARIANTS):
        result = results[("parquet", client)]
        prow.append(
            [
                client,
                "fails" if "error" in result else result["bytes"],
                parquet_size,
                "fails" if "error" in result else ratio(result["bytes"], parquet_size),
                _cell(result, "seconds"),
            ]
        )
    print_table(
        f"Parquet: one column of four, {args.parquet_rows:,} rows (pyarrow read_table)",
        ["client", "bytes sent by the server", "file size", "fraction", "seconds"],
        prow,
        ["fraction: bytes on the wire / file size (a whole-file download is 1.0 or more)"],
    )


if __name__ == "__main__":
    sys.exit(main())
