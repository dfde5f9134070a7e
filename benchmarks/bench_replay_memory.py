"""Peak memory of generator uploads through ``AuthAdapter``, against its replay limit.

Run ``python benchmarks/bench_replay_memory.py [--limit-mib 8] [--no-gib] [--quick]``.

The Digest server (:class:`requests_dav.demo.server.DemoServer`: WsgiDAV's
``FilesystemProvider`` streams each PUT into a file of a temporary directory)
runs in this process; every case runs in a fresh child process, so that peaks
do not mix. The child sets up its session, measures its resident set (RSS,
``/proc/self/statm``) and resets its peak, uploads a generator body of distinct
64 KiB chunks (hashing them as it produces them), then reads its peak RSS.
The growth is the peak minus the RSS before the upload. The peak is Linux's
``VmHWM`` reset through ``/proc/self/clear_refs`` just before the upload:
``resource.getrusage().ru_maxrss`` cannot be reset, and in a child started
by ``subprocess`` it already holds the parent's RSS at the exec and the
import-time peaks, which hide the upload's own peak. This process then
hashes the stored file. ``--jobs`` runs cases at once (the smoke test does:
each child's RSS is its own, but the MiB/s column then mixes).

Cases, for a body of 10x ``max_replay_bytes`` and (unless ``--no-gib`` /
``--quick``) of 1 GiB:

``requests HTTPDigestAuth, primed``
    the baseline: requests' own Digest auth, taught the nonce by a small GET,
    so the upload goes out authorized and is streamed without any buffer.
``AuthAdapter, preemptive``
    a small GET first teaches the adapter the protection space; the upload
    then goes out authorized preemptively, teed into the replay buffer up to
    the limit (the buffer is dropped as soon as the body outgrows it).
``AuthAdapter, challenged``
    the upload is the session's first request and meets the 401. The
    adapter replays it from the buffer if what was sent before the 401 fits
    the limit; otherwise the caller gets the 401 back (``not-replayable``,
    credentials cached) and sends a fresh generator, which goes preemptively.
``AuthAdapter, challenged, body read before 401``
    the same against a server that reads the whole body before it refuses
    it (as Apache httpd does; :class:`_common.DrainFirstDigestServer`): the
    whole body goes out before the challenge, past the limit, so the caller
    gets the 401 and sends again.
``requests HTTPDigestAuth, challenged``
    (10x case only) the same with requests: its retry sends the exhausted
    generator, so the stored file is empty or short (the correctness column).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    DrainFirstDigestServer,
    MiB,
    peak_rss,
    print_machine,
    print_table,
    reset_peak_rss,
    rss_now,
    start_digest_server,
)

GiB = 1 << 30
CHUNK = 65536
TIMEOUT = 120
PASSWORD_ENV = "BENCH_DAV_PASSWORD"  # noqa: S105 - the name of a variable
CASES = (
    "requests-primed",
    "adapter-preemptive",
    "adapter-challenged",
    "adapter-challenged-drain",
    "requests-challenged",
)
LABELS = {
    "requests-primed": "requests HTTPDigestAuth, primed",
    "adapter-preemptive": "AuthAdapter, preemptive",
    "adapter-challenged": "AuthAdapter, challenged",
    "adapter-challenged-drain": "AuthAdapter, challenged, body read before 401",
    "requests-challenged": "requests HTTPDigestAuth, challenged",
}


# -- the child: one upload --------------------------------------------------------------------


def generate(total: int, digest: Any) -> Iterator[bytes]:
    """``total`` bytes in distinct 64 KiB chunks, hashed into ``digest`` as they are produced."""
    block = bytes(range(256)) * (CHUNK // 256)
    produced = 0
    for index in range(total // CHUNK + 2):
        if produced >= total:
            return
        data = (index.to_bytes(8, "big") + block[8:])[: total - produced]
        digest.update(data)
        produced += len(data)
        yield data


def child(case: str, base_url: str, username: str, size: int, limit: int) -> Dict[str, Any]:
    import requests
    from requests.auth import HTTPDigestAuth

    from requests_dav.auth.credentials import Credentials
    from requests_dav.transport.adapter import AuthAdapter, auth_result

    password = os.environ[PASSWORD_ENV]
    session = requests.Session()
    if case.startswith("adapter"):
        credentials = Credentials()
        credentials.add(base_url, username, password)
        session.mount("http://", AuthAdapter(credentials, max_replay_bytes=limit))
    else:
        session.auth = HTTPDigestAuth(username, password)
    if case.endswith(("preemptive", "primed")):
        session.get(base_url + "probe.txt", timeout=TIMEOUT).close()
    target = f"{base_url}{case}.bin"
    gc.collect()
    reset = reset_peak_rss()
    before = rss_now()
    started = time.perf_counter()
    attempts, outcomes, statuses = 0, [], []
    digest = hashlib.sha256()
    for _ in range(2):  # the first attempt, and one resend if the body was not replayable
        attempts += 1
        digest = hashlib.sha256()
        response = session.put(target, data=generate(size, digest), timeout=TIMEOUT)
        response.close()
        statuses.extend(int(r.status_code) for r in [*response.history, response])
        result = auth_result(response) if case.startswith("adapter") else None
        outcomes.append(result.outcome if result is not None else "-")
        if result is None or result.outcome != "not-replayable":
            break
    elapsed = time.perf_counter() - started
    session.close()
    return {
        "rss_before": before,
        "peak": peak_rss(),
        "reset": reset,
        "attempts": attempts,
        "outcomes": outcomes,
        "statuses": statuses,
        "status": int(response.status_code),
        "sha256": digest.hexdigest(),
        "seconds": elapsed,
    }


# -- the parent -------------------------------------------------------------------------------


def _file_sha256(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for _ in range(1 << 20):
            block = stream.read(4 * MiB)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def run_case(server: Any, case: str, size: int, limit: int) -> Dict[str, Any]:
    env = dict(os.environ, **{PASSWORD_ENV: server.password})
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        case,
        server.url,
        server.username,
        str(size),
        str(limit),
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT * 3, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"case {case} failed:\n{done.stderr}")
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    stored = server.root / f"{case}.bin"
    result["stored"] = stored.stat().st_size if stored.exists() else 0
    result["identical"] = stored.exists() and _file_sha256(stored) == result["sha256"]
    if stored.exists():
        stored.unlink()
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit-mib", type=float, default=8, help="max_replay_bytes in MiB")
    parser.add_argument("--factor", type=int, default=10, help="first body = factor x limit")
    parser.add_argument("--gib", type=float, default=1, help="size of the large body in GiB")
    parser.add_argument("--no-gib", action="store_true", help="skip the large body")
    parser.add_argument("--quick", action="store_true", help="same as --no-gib")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument(
        "--jobs", type=int, default=1, help="cases run at once (MiB/s then mix; RSS does not)"
    )
    parser.add_argument("--no-machine", action="store_true", help="do not print the machine")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        case, url, username, size, limit = args.child
        print(json.dumps(child(case, url, username, int(size), int(limit))))
        return 0
    if not args.no_machine:
        print_machine()
    chosen = [c for c in args.cases.split(",") if c]
    unknown = set(chosen) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    limit = int(args.limit_mib * MiB)
    sizes = [args.factor * limit]
    if not (args.no_gib or args.quick):
        sizes.append(int(args.gib * GiB))
    rows = []
    server = start_digest_server()
    drain = DrainFirstDigestServer()
    try:
        for srv in (server, drain):
            (srv.root / "probe.txt").write_bytes(b"probe")
        for size in sizes:
            cases = [c for c in chosen if size == sizes[0] or c != "requests-challenged"]
            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                futures = {
                    case: pool.submit(
                        run_case, drain if case.endswith("drain") else server, case, size, limit
                    )
                    for case in cases
                }
                results = {case: future.result() for case, future in futures.items()}
            base = results.get("requests-primed")
            base_growth = max(0, base["peak"] - base["rss_before"]) if base else float("nan")
            for case, r in results.items():
                growth = max(0, r["peak"] - r["rss_before"])
                rows.append(
                    [
                        f"{size / MiB:,.0f} MiB",
                        LABELS[case],
                        "/".join(str(s) for s in r["statuses"]),
                        " then ".join(r["outcomes"]),
                        r["attempts"],
                        growth / MiB,
                        growth / limit,
                        (growth - base_growth) / MiB,
                        size / MiB / r["seconds"],
                        "yes" if r["stored"] == size else "NO",
                        "yes" if r["identical"] else "NO",
                    ]
                )
    finally:
        server.stop()
        drain.stop()
    print_table(
        f"Replay memory: generator uploads, max_replay_bytes = {limit / MiB:g} MiB",
        [
            "body",
            "client",
            "statuses",
            "outcome",
            "uploads",
            "peak RSS growth MiB",
            "growth / limit",
            "over baseline MiB",
            "MiB/s",
            "size ok",
            "byte-identical",
        ],
        rows,
        [
            "peak RSS growth: peak RSS (VmHWM, reset before the upload) minus RSS before it, "
            "in a fresh process per case",
            "(not ru_maxrss: in a subprocess it starts at the parent's RSS and cannot be reset)",
            "over baseline: growth minus that of requests HTTPDigestAuth, primed, same body",
            "uploads: generators the caller had to send (2 = 401 returned, sent again)",
            "byte-identical: SHA-256 of the stored file equals that of the last generated stream",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
