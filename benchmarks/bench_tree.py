"""Tree transfers side by side: ``DAVSession.upload_tree``/``download_tree`` with ``workers=N``
and ``rclone copy --transfers N``, in the same run, to the same loopback WebDAV server.

    python benchmarks/bench_tree.py [--jobs 4] [--small-count 1000] [--small-kib 4]
                                    [--large-count 10] [--large-mib 100] [--repeat 2]

The server is the test bed's nginx with dav_ext (``tests/servers/nginx.py``, started for the
run on 127.0.0.1; its open share), so that neither client waits on a slow server. Two trees
are made of random bytes: ``--small-count`` files of ``--small-kib`` KiB (in 10 directories)
and ``--large-count`` files of ``--large-mib`` MiB. For each tree and direction, each client
runs as its own process (so its peak RSS is its own, read with ``wait4``) into a fresh
destination; rclone reads a config file in a temporary directory (never the user's) naming
a ``webdav`` remote on that server. Each case runs ``--repeat`` times per client, the clients
taking turns at going first (the one that runs right after the other's files were deleted
writes into memory the kernel has just freed), and the best run of each is shown.

rclone runs with its defaults but for ``--transfers N --checkers max(8, N)`` and one retry:
its multi-thread download splits only files above ``--multi-thread-cutoff`` (250 MiB, then 4
streams), so a file of the trees here is one stream for both clients; it reads ahead
``--buffer-size`` (16 MiB) per transfer; the remote's ``vendor = other`` has no hash, so it
checks sizes (no checksum) like requests-dav, which checks Content-Length. The table shows
wall time (process start included for both: Python's imports cost requests-dav about 0.3 to
0.6 s of CPU), requests-dav's own transfer time measured inside its process, files/s and MB/s
(10^6 bytes) from the wall time, peak RSS, the client's CPU seconds (user and system, of
the best run; steadier than wall time on a busy machine), and requests-dav's throughput
relative to rclone's
(above 1.00x: faster), from the wall times and from its in-process time against rclone's
wall time. Every transfer is checked: the files must arrive complete.

Small sizes make a smoke test: ``--small-count 20 --large-count 2 --large-mib 1``
(``--quick``: 100 x 4 KiB and 2 x 8 MiB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, print_table
from _tree_child import transfer
from bench_roundtrips import start_bed_server, stop_bed_server

import requests_dav

MB = 1_000_000
#: the requests-dav side, a script that imports nothing but requests-dav
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_tree_child.py")
#: a run of one client stops after this many seconds, whatever it is doing
RUN_TIMEOUT = 1800


def make_tree(base: Path, count: int, size: int, directories: int) -> int:
    """``count`` random files of ``size`` bytes spread over ``directories`` directories."""
    total = 0
    for index in range(count):
        folder = base / f"dir {index % directories:02}" if directories > 1 else base
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"file {index:05}.bin", "wb") as out:
            left = size
            while left:
                block = os.urandom(min(left, 1 << 20))
                out.write(block)
                left -= len(block)
        total += size
    return total


def tree_size(base: Path) -> Tuple[int, int]:
    files = [p for p in base.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def timed(
    command: List[str], env: Optional[Dict[str, str]] = None
) -> Tuple[float, int, float, str]:
    """Run ``command``; its wall time, peak RSS in bytes and CPU seconds (user and system,
    from ``wait4``) and its stdout."""
    start = time.perf_counter()
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, once read
    process = subprocess.Popen(command, env=env, stdout=out)
    deadline = start + RUN_TIMEOUT
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            raise SystemExit(f"{command[0]} ran over {RUN_TIMEOUT} s")
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    out.close()
    return elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, text


def rclone_version(rclone: str) -> str:
    """``rclone v1.60.1-DEV``, the first line of ``rclone version``."""
    done = subprocess.run([rclone, "version"], capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    return lines[0].strip() if lines else "rclone (version unknown)"


def rclone_config(directory: Path, base_url: str) -> Path:
    config = directory / "rclone.conf"
    config.write_text(f"[bench]\ntype = webdav\nurl = {base_url}\nvendor = other\n")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4, help="parallel transfers (both clients)")
    parser.add_argument("--small-count", type=int, default=1000)
    parser.add_argument("--small-kib", type=float, default=4)
    parser.add_argument("--large-count", type=int, default=10)
    parser.add_argument("--large-mib", type=float, default=100)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per case and client, turns taken (best shown)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="100 x 4 KiB and 2 x 8 MiB (run_all --quick)"
    )
    args = parser.parse_args()
    if args.quick:
        args.small_count, args.small_kib, args.large_count, args.large_mib = 100, 4, 2, 8

    rclone = shutil.which("rclone")
    if rclone is None:
        raise SystemExit("rclone is not installed (Debian: apt-get install rclone)")
    server, why = start_bed_server("nginx", "nginx", mode=0o711)  # for its www-data workers
    if server is None:
        raise SystemExit(f"no server: {why}")
    work = Path(tempfile.mkdtemp(prefix="requests-dav-bench-tree-"))
    try:
        rows = run_cases(args, server, work, rclone)
    finally:
        stop_bed_server(server)
        shutil.rmtree(work, ignore_errors=True)
    info = machine()
    print(
        f"machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, Python "
        f"{info.get('python', '?')}, {rclone_version(rclone)}"
    )
    print_table(
        f"Tree transfers, {args.jobs} at a time, to nginx on 127.0.0.1 "
        f"(requests-dav workers={args.jobs} vs rclone copy --transfers {args.jobs})",
        [
            "tree",
            "direction",
            "client",
            "seconds",
            "in-process s",
            "files/s",
            "MB/s",
            "peak RSS MiB",
            "CPU s",
            "vs rclone",
            "in-process vs rclone",
        ],
        rows,
        [
            f"rclone copy --transfers {args.jobs} --checkers {max(8, args.jobs)}, defaults "
            "otherwise: --multi-thread-cutoff 250Mi (no file here is split), --buffer-size "
            "16Mi read-ahead, no hash on a vendor=other remote (sizes checked)",
            f"best of {args.repeat} runs per client, the clients taking turns at going first",
        ],
    )


def run_cases(args: Any, server: Any, work: Path, rclone: str) -> List[List[Any]]:
    trees = {
        f"{args.small_count} x {args.small_kib:g} KiB": (
            args.small_count,
            int(args.small_kib * 1024),
            10,
        ),
        f"{args.large_count} x {args.large_mib:g} MiB": (
            args.large_count,
            int(args.large_mib * (1 << 20)),
            1,
        ),
    }
    home = work / "rclone-home"
    home.mkdir()
    config = rclone_config(home, server.url("open"))
    env = dict(os.environ, HOME=str(home), RCLONE_CONFIG=str(config))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    # the client starts as an installed one does: from cached bytecode (pip compiles it at
    # install time), not recompiling every module at each start as PYTHONDONTWRITEBYTECODE
    # would have it (about 0.16 s of CPU per start here, against a Go binary's none)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", os.path.dirname(requests_dav.__file__)],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    rclone_flags = [
        "--config",
        str(config),
        "--cache-dir",
        str(home / "cache"),
        "--transfers",
        str(args.jobs),
        "--checkers",
        str(max(8, args.jobs)),
        "--low-level-retries",
        "1",
        "--retries",
        "1",
        "-q",
    ]
    rows: List[List[Any]] = []
    for label, (count, size, directories) in trees.items():
        source = work / "source"
        total = make_tree(source, count, size, directories)
        results: Dict[Tuple[str, str], Tuple[float, int, float, Optional[float]]] = {}
        for direction in ("up", "down"):
            for turn in range(args.repeat):
                clients = (
                    ("requests-dav", "rclone") if turn % 2 == 0 else ("rclone", "requests-dav")
                )
                for client in clients:
                    remote = f"bench-{uuid.uuid4().hex[:8]}"
                    local = work / f"down-{uuid.uuid4().hex[:8]}"
                    if direction == "down":
                        remote = results_source(results, server, source, env, work)
                    url = server.url("open", remote + "/")
                    if client == "requests-dav":
                        command = [
                            sys.executable,
                            CHILD,
                            direction,
                            url,
                            str(source if direction == "up" else local),
                            str(args.jobs),
                        ]
                    elif direction == "up":
                        command = [rclone, "copy", str(source), f"bench:{remote}", *rclone_flags]
                    else:
                        command = [rclone, "copy", f"bench:{remote}", str(local), *rclone_flags]
                    elapsed, rss, cpu, text = timed(command, env)
                    inner = [float(w.split()[1]) for w in text.splitlines() if "transfer" in w]
                    check = server.root("open") / remote if direction == "up" else local
                    if tree_size(check) != (count, total):
                        raise SystemExit(
                            f"{client} {direction}: {tree_size(check)} arrived, "
                            f"expected {(count, total)}"
                        )
                    if direction == "up":
                        shutil.rmtree(check, ignore_errors=True)
                    else:
                        shutil.rmtree(local, ignore_errors=True)
                    best = results.get((direction, client))
                    if best is None or elapsed < best[0]:
                        inside = inner[0] if inner else None
                        results[(direction, client)] = (elapsed, rss, cpu, inside)
        for direction in ("up", "down"):
            ours, theirs = results[(direction, "requests-dav")], results[(direction, "rclone")]
            for client, (elapsed, rss, cpu, inside) in (("requests-dav", ours), ("rclone", theirs)):
                ratio = theirs[0] / ours[0] if client == "requests-dav" else 1.0
                inner_ratio = theirs[0] / inside if client == "requests-dav" and inside else 1.0
                rows.append(
                    [
                        label,
                        direction,
                        client,
                        elapsed,
                        inside,
                        count / elapsed,
                        total / elapsed / MB,
                        rss / (1 << 20),
                        cpu,
                        f"{ratio:.2f}x",
                        f"{inner_ratio:.2f}x",
                    ]
                )
        shutil.rmtree(source, ignore_errors=True)
        shutil.rmtree(server.root("open") / "bench-down-source", ignore_errors=True)
    return rows


def results_source(
    results: Dict[Any, Any], server: Any, source: Path, env: Dict[str, str], work: Path
) -> str:
    """The remote tree both clients download: uploaded once, untimed."""
    name = "bench-down-source"
    if not (server.root("open") / name).exists():
        transfer("up", server.url("open", name + "/"), str(source), 8)
    return name


if __name__ == "__main__":
    main()
