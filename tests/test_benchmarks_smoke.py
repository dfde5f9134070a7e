"""Smoke tests of the benchmarks: each runs with tiny sizes, exits 0 and prints its table.

No timing is asserted: the figures depend on the machine. The runs go
in parallel (each is its own process) to keep this to a few seconds.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

_AUTH_TINY = ["--auth", "--auth-requests", "8", "--auth-repeat", "1", "--auth-threads", "1,2"]

TINY: Dict[str, List[str]] = {
    "bench_roundtrips.py": ["--requests", "3", "--threads", "1,2", "--put-bytes", "65536"],
    "bench_replay_memory.py": [
        "--limit-mib",
        "0.25",
        "--factor",
        "4",
        "--quick",
        "--jobs",
        "3",
        "--cases",
        "requests-primed,adapter-challenged,adapter-challenged-drain",
    ],
    "bench_overhead.py": ["--requests", "5", "--repeat", "1", *_AUTH_TINY],
    "bench_parser_scaling.py": ["--n", "20"],
    "bench_listing.py": ["--files", "40", "--repeat", "1"],
    "bench_fs.py": [
        "--entries",
        "20",
        "--files",
        "5",
        "--big-mib",
        "1",
        "--parquet-rows",
        "4000",
        "--repeat",
        "1",
    ],
}

#: a title each benchmark's table starts with
TITLES: Dict[str, List[str]] = {
    "bench_roundtrips.py": [
        "== Round trips: 3 GETs",
        "== Generator PUT of 65,536 bytes",
        "== NTLM / Negotiate, generator PUT of 4,194,304 bytes",
    ],
    "bench_replay_memory.py": ["== Replay memory: generator uploads"],
    "bench_overhead.py": [
        "== Adapter overhead: 5 sequential requests",
        "== Authenticated GETs: 8 into a primed space on Apache",
    ],
    "bench_parser_scaling.py": ["== Parser scaling: n = 20 and 20n"],
    "bench_listing.py": ["== Listing 40 files on Apache mod_dav_fs"],
    "bench_fs.py": ["== Filesystem: requests-dav vs webdav4", "== Parquet: one column of four"],
}


@pytest.fixture(scope="module")
def runs() -> Iterator[Dict[str, subprocess.CompletedProcess[str]]]:
    processes = {
        name: subprocess.Popen(
            [sys.executable, str(BENCHMARKS / name), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in TINY.items()
    }
    done = {}
    try:
        for name, process in processes.items():
            out, err = process.communicate(timeout=120)
            done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        yield done
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.mark.parametrize("name", sorted(TINY))
def test_benchmark_runs_and_prints_a_table(
    runs: Dict[str, subprocess.CompletedProcess[str]], name: str
) -> None:
    run = runs[name]
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    for title in TITLES[name]:
        starts = [i for i, line in enumerate(lines) if line.startswith(title)]
        assert starts, f"no table {title!r} in:\n{run.stdout}"
        header, rule, first_row = lines[starts[0] + 1 : starts[0] + 4]
        assert " | " in header and "-+-" in rule and " | " in first_row
    assert "machine: cpu " in run.stdout


def test_roundtrips_table_counts_requests_on_the_wire(
    runs: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    rows = runs["bench_roundtrips.py"].stdout.splitlines()
    adapter = [r for r in rows if r.startswith("AuthAdapter ")]
    assert adapter, runs["bench_roundtrips.py"].stdout
    cells = [c.strip() for c in adapter[0].split("|")]  # the first table, 1 thread
    assert cells[1:4] == ["1", "3", "3"]  # 1 thread, N=3, every GET answered 200
    assert int(cells[4]) >= 4  # on the wire: at least N+1


def test_replay_memory_stores_byte_identical_files(
    runs: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    rows = [r for r in runs["bench_replay_memory.py"].stdout.splitlines() if "AuthAdapter" in r]
    assert len(rows) == 2
    for row in rows:
        assert row.rstrip().endswith("yes"), row


def test_listing_table_has_the_floor_and_every_entry(
    runs: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    rows = runs["bench_listing.py"].stdout.splitlines()
    cells = {r.split("|")[0].strip(): [c.strip() for c in r.split("|")] for r in rows if "|" in r}
    assert cells["curl (the floor)"][2] == "1.00x"
    assert cells["ls()"][3] == "40"  # the members, not the collection itself
    assert cells["iter_propfind + 5 props"][3] == "41"
    assert cells["expat no-op parse of the same 207 (CPU)"][2].endswith("x")


_MULTISTATUS_TINY = ["--repeat", "1", "--cases", "lxml,stdlib,lxml+props,stdlib+props"]


def test_multistatus_benchmark_runs_both_shapes_with_a_small_size() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_multistatus.py"), *_MULTISTATUS_TINY],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BENCH_MULTISTATUS_SIZES": "30"},
    )
    assert run.returncode == 0, run.stderr
    for shape in ("nextcloud", "apache"):
        assert f"{shape}: 30 responses" in run.stdout
    rows = [line.split() for line in run.stdout.splitlines()]
    counted = [row for row in rows if row and row[0] in ("expat-floor", "lxml+props")]
    assert len(counted) == 4 and counted[0][-3] == "1.00x", run.stdout


def test_run_all_plans_every_benchmark() -> None:
    spec = importlib.util.spec_from_file_location("run_all", BENCHMARKS / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = [command[0] for command in module.plan(quick=True, only=None)]
    assert names[:3] == ["bench_roundtrips.py", "bench_replay_memory.py", "bench_overhead.py"]
    others = sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))
    assert sorted(names) == others  # every benchmark in the directory runs
    assert [c[0] for c in module.plan(quick=False, only=["overhead"])] == ["bench_overhead.py"]


def test_parser_scaling_covers_every_dav_parser(
    runs: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    rows = [r for r in runs["bench_parser_scaling.py"].stdout.splitlines() if " | " in r]
    parsers = {row.split("|")[0].strip().split(" ")[0] for row in rows[1:]}
    wanted = {"href", "multistatus", "error", "properties", "lock", "capabilities", "xmlsafe"}
    assert wanted <= parsers, parsers


@pytest.mark.needs_nginx
@pytest.mark.needs_rclone
def test_tree_benchmark_runs_both_clients_on_tiny_trees() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "bench_tree.py"),
            "--small-count",
            "12",
            "--large-count",
            "1",
            "--large-mib",
            "1",
            "--jobs",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [r for r in done.stdout.splitlines() if r.count("|") >= 8 and "client" not in r]
    clients = sorted(r.split("|")[2].strip() for r in rows)
    assert clients == ["rclone"] * 4 + ["requests-dav"] * 4, done.stdout
    assert all(r.rstrip().endswith("x") for r in rows)


def _instructions_child(client: str, operation: str, url: str) -> subprocess.CompletedProcess[str]:
    script = str(BENCHMARKS / "bench_instructions.py")
    return subprocess.run(
        [sys.executable, script, "--child", client, operation, url, "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def common() -> object:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _common
    finally:
        sys.path.remove(str(BENCHMARKS))
    return _common


@pytest.mark.parametrize(
    "client",
    [
        "basic requests",
        "basic AuthAdapter",
        "digest requests",
        "digest AuthAdapter",
        "digest DigestAuth",
    ],
)
@pytest.mark.parametrize("operation", ["GET", "GET new URL"])
def test_instructions_server_authenticates_every_client(
    common: object, client: str, operation: str
) -> None:
    """What callgrind counts in ``bench_instructions.py``: each client gets its ``200`` from
    the benchmark's server (for Digest through a verified ``rspauth``)."""
    with common.OpenServer(scheme=client.split()[0]) as server:  # type: ignore[attr-defined]
        run = _instructions_child(client, operation, server.url("/resource"))
    assert run.returncode == 0, run.stderr


def test_instructions_new_url_operation_sends_each_get_to_a_url_not_sent_before() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_instructions
    finally:
        sys.path.remove(str(BENCHMARKS))
    sent: List[str] = []

    class Recording:
        def get(self, url: str, timeout: object) -> None:
            sent.append(url)

    for _ in range(3):
        bench_instructions.OPERATIONS["GET new URL"](Recording(), "http://127.0.0.1:9/resource")
    assert len(set(sent)) == 3
    assert all(url.startswith("http://127.0.0.1:9/resource/") for url in sent)


@pytest.mark.parametrize("client", ["digest AuthAdapter", "digest DigestAuth"])
def test_instructions_server_rspauth_is_checked(
    common: object, client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server whose ``rspauth`` is wrong makes the Digest rows fail: the counted path is the
    one that verifies the server's proof."""
    monkeypatch.setenv("BENCH_WRONG_RSPAUTH", "1")
    with common.OpenServer(scheme="digest") as server:  # type: ignore[attr-defined]
        run = _instructions_child(client, "GET", server.url("/resource"))
    assert run.returncode != 0
    assert "rspauth does not match" in run.stderr


@pytest.mark.parametrize("client", ["none HTTPAdapter", "none AuthAdapter"])
@pytest.mark.parametrize("operation", ["GET", "PUT 1 KiB", "PUT generator", "PUT file"])
def test_instructions_body_rows_succeed(common: object, client: str, operation: str) -> None:
    with common.OpenServer() as server:  # type: ignore[attr-defined]
        run = _instructions_child(client, operation, server.url("/file.txt"))
    assert run.returncode == 0, run.stderr
