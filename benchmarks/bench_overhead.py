"""Client overhead of ``AuthAdapter`` against a plain ``HTTPAdapter`` on an open server.

Run ``python benchmarks/bench_overhead.py [--requests 100] [--repeat 15] [--profile]``.

The server is the minimal keep-alive HTTP/1.1 server of
:class:`_common.OpenServer`, in its own process on 127.0.0.1, with no
authentication: it answers a small ``200`` (``201`` for PUT) as fast as
Python can, so what differs between the two clients is their own work.
Two sessions share the server, one with
:class:`requests_dav.transport.adapter.AuthAdapter` mounted (an empty credential store:
nothing to authenticate, the flow ends with ``no-challenge``), one with
:class:`requests.adapters.HTTPAdapter`. Each repetition sends ``--requests``
sequential requests through each (in alternating order between repetitions,
after a warm-up), for:

``GET``
    a GET of a small resource;
``PUT 1 KiB``
    a PUT of 1 KiB of bytes (``Content-Length``).
``PUT generator``
    a PUT of a 1 KiB body from a generator (chunked; ``AuthAdapter`` tees it
    into its replay buffer).

Every request is timed on its own (wall clock and the client's CPU time,
``time.process_time``: the server runs in another process); a repetition's
figures come from its median request (requests/s is one over the median
latency), so a burst of another process on a shared machine moves a few
samples, not the figure. The table gives the median over the repetitions
(and the slowest and fastest repetition), and the ratios of ``AuthAdapter``
to ``HTTPAdapter``: the median over the repetitions of the ratio within each
back-to-back pair (the target is at least 0.95x in requests/s). ``--profile`` runs cProfile over
``AuthAdapter`` GETs and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import OpenServer, operations, print_machine, print_table
from bench_roundtrips import start_apache, stop_bed_server
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from requests_dav import DigestAuth
from requests_dav.auth.credentials import Credentials
from requests_dav.transport.adapter import AuthAdapter

TIMEOUT = 10
#: requests profiled for the Python-calls-per-request column
CALLS_SAMPLE = 50
OPERATIONS = operations(TIMEOUT)


def sessions() -> List[Tuple[str, requests.Session]]:
    """``AuthAdapter`` then the ``HTTPAdapter`` baseline, each on its own session."""
    auth = requests.Session()
    auth.mount("http://", AuthAdapter(Credentials()))
    plain = requests.Session()
    plain.mount("http://", HTTPAdapter())
    return [("AuthAdapter", auth), ("HTTPAdapter", plain)]


def timed(
    operation: Callable[[requests.Session, str], requests.Response],
    session: requests.Session,
    url: str,
    count: int,
) -> Tuple[float, float]:
    """``(requests per second, client CPU microseconds per request)`` over ``count`` requests.

    Both from the median request (wall time and CPU time each timed per
    request), so that a burst of another process on a shared machine moves
    a few samples rather than the whole figure.
    """
    walls: List[float] = []
    cpus: List[float] = []
    clock, cpu_clock = time.perf_counter, time.process_time
    for _ in range(count):
        wall, cpu = clock(), cpu_clock()
        response = operation(session, url)
        walls.append(clock() - wall)
        cpus.append(cpu_clock() - cpu)
        if response.status_code >= 300:
            raise RuntimeError(f"unexpected status {response.status_code}")
    return 1 / statistics.median(walls), statistics.median(cpus) * 1e6


def calls_per_request(
    operation: Callable[[requests.Session, str], requests.Response],
    session: requests.Session,
    url: str,
    count: int = CALLS_SAMPLE,
) -> float:
    """Python function calls per request (cProfile's count over ``count`` warm requests).

    Unlike the timings this does not depend on the load of the machine: the
    deterministic side of the comparison.
    """
    operation(session, url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        operation(session, url)
    profiler.disable()
    return float(pstats.Stats(profiler).total_calls) / count  # type: ignore[attr-defined]


def measure(url: str, count: int, repeat: int, ops: List[str]) -> List[List[Any]]:
    """Rows of the table; each repetition is a back-to-back pair (the ratio is per pair)."""
    clients = sessions()
    rows: List[List[Any]] = []
    for op_name in ops:
        operation = OPERATIONS[op_name]
        for _, session in clients:  # warm-up: connections open, code paths hot
            timed(operation, session, url, max(5, count // 5))
        rates: Dict[str, List[float]] = {name: [] for name, _ in clients}
        cpus: Dict[str, List[float]] = {name: [] for name, _ in clients}
        for rep in range(repeat):
            order = clients if rep % 2 == 0 else list(reversed(clients))
            for name, session in order:
                rate, cpu = timed(operation, session, url, count)
                rates[name].append(rate)
                cpus[name].append(cpu)
        calls = {name: calls_per_request(operation, session, url) for name, session in clients}
        base_rates, base_cpus = rates["HTTPAdapter"], cpus["HTTPAdapter"]
        for name, _ in clients:
            paired = statistics.median(a / b for a, b in zip(rates[name], base_rates))
            paired_cpu = statistics.median(a / b for a, b in zip(cpus[name], base_cpus))
            rows.append(
                [
                    op_name,
                    name,
                    statistics.median(rates[name]),
                    min(rates[name]),
                    max(rates[name]),
                    statistics.median(cpus[name]),
                    paired,
                    paired_cpu,
                    calls[name],
                    calls[name] / calls["HTTPAdapter"],
                ]
            )
    for _, session in clients:
        session.close()
    return rows


# -- authenticated requests into a primed space on Apache ------------------------------------

#: (row, share, baseline row): each client is compared with requests' own class for its scheme
AUTH_CLIENTS = (
    ("requests HTTPBasicAuth", "basic", "requests HTTPBasicAuth"),
    ("AuthAdapter, Basic", "basic", "requests HTTPBasicAuth"),
    ("requests HTTPDigestAuth", "digest", "requests HTTPDigestAuth"),
    ("AuthAdapter, Digest", "digest", "requests HTTPDigestAuth"),
    ("DigestAuth (auth=)", "digest", "requests HTTPDigestAuth"),
)


def auth_session(client: str, server: Any, user: str, password: str) -> requests.Session:
    """A session for ``client`` (see :data:`AUTH_CLIENTS`), primed: the space is known."""
    session = requests.Session()
    session.trust_env = False
    share = next(share for name, share, _ in AUTH_CLIENTS if name == client)
    if client.startswith("AuthAdapter"):
        credentials = Credentials()
        credentials.add(server.url(share, ""), user, password)
        session.mount("http://", AuthAdapter(credentials))
    elif client == "DigestAuth (auth=)":
        session.auth = DigestAuth(user, password)
    elif client == "requests HTTPBasicAuth":
        session.auth = HTTPBasicAuth(user, password)
    else:
        session.auth = HTTPDigestAuth(user, password)
    url = server.url(share, "file.txt")
    for _ in range(3):  # the 401, the space learned, then preemptive
        session.get(url, timeout=TIMEOUT).raise_for_status()
    return session


def threaded(session: requests.Session, url: str, count: int, threads: int) -> Tuple[float, float]:
    """``(requests per second, client CPU us per request)`` for ``count`` GETs over ``threads``."""
    share = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    failures: List[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(n):
                response = session.get(url, timeout=TIMEOUT)
                if response.status_code != 200:
                    raise RuntimeError(f"unexpected status {response.status_code}")
        except BaseException as exc:  # reported by the caller
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in share]
    wall, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if failures:
        raise failures[0]
    return count / wall, cpu / count * 1e6


def measure_auth(server: Any, count: int, repeat: int, threads: int) -> List[List[Any]]:
    """Rows for authenticated GETs: each repetition runs every client once, in turn."""
    from servers.common import ALICE, ALICE_PASSWORD

    for share in ("basic", "digest"):
        (server.root(share) / "file.txt").write_bytes(b"ok")
    names = [name for name, _, _ in AUTH_CLIENTS]
    clients = {name: auth_session(name, server, ALICE, ALICE_PASSWORD) for name in names}
    urls = {name: server.url(share, "file.txt") for name, share, _ in AUTH_CLIENTS}
    rates: Dict[str, List[float]] = {name: [] for name in names}
    cpus: Dict[str, List[float]] = {name: [] for name in names}
    for rep in range(repeat):
        order = names if rep % 2 == 0 else list(reversed(names))
        for name in order:
            if threads == 1:
                rate, cpu = timed(OPERATIONS["GET"], clients[name], urls[name], count)
            else:
                rate, cpu = threaded(clients[name], urls[name], count, threads)
            rates[name].append(rate)
            cpus[name].append(cpu)
    calls = {
        name: calls_per_request(OPERATIONS["GET"], clients[name], urls[name]) for name in names
    }
    rows = []
    for name, _, baseline in AUTH_CLIENTS:
        paired = statistics.median(a / b for a, b in zip(rates[name], rates[baseline]))
        paired_cpu = statistics.median(a / b for a, b in zip(cpus[name], cpus[baseline]))
        rows.append(
            [
                threads,
                name,
                statistics.median(rates[name]),
                statistics.median(cpus[name]),
                paired,
                paired_cpu,
                calls[name],
                calls[name] / calls[baseline],
            ]
        )
    for session in clients.values():
        session.close()
    return rows


def print_auth(args: argparse.Namespace) -> None:
    server, why = start_apache()
    if server is None:
        print(f"Authenticated rows left out: {why}")
        return
    try:
        rows: List[List[Any]] = []
        for threads in (int(t) for t in args.auth_threads.split(",") if t):
            rows += measure_auth(server, args.auth_requests, args.auth_repeat, threads)
    finally:
        stop_bed_server(server)
    print_table(
        f"Authenticated GETs: {args.auth_requests} into a primed space on Apache x "
        f"{args.auth_repeat} repetitions",
        [
            "threads",
            "client",
            "req/s",
            "client CPU us/req",
            "req/s vs requests' class",
            "CPU/req vs requests' class",
            "Python calls/req",
            "calls vs requests' class",
        ],
        rows,
        [
            "target: at least 0.95x requests' own HTTPBasicAuth / HTTPDigestAuth",
            "1 thread: req/s is one over the median request; 8 threads: requests over wall time",
            "vs requests' class: median over the repetitions of the ratio within each round",
            f"Python calls/req: cProfile's count over {CALLS_SAMPLE} sequential GETs "
            "(load-independent)",
        ],
    )


def profile(url: str, count: int, limit: int = 25) -> None:
    """cProfile of ``count`` AuthAdapter GETs, the top functions by own and cumulative time."""
    session = sessions()[0][1]
    timed(OPERATIONS["GET"], session, url, 20)
    profiler = cProfile.Profile()
    profiler.enable()
    timed(OPERATIONS["GET"], session, url, count)
    profiler.disable()
    session.close()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="requests per repetition")
    parser.add_argument("--repeat", type=int, default=15, help="repetitions (median kept)")
    parser.add_argument("--ops", default=",".join(OPERATIONS), help="comma-separated operations")
    parser.add_argument("--profile", action="store_true", help="also profile AuthAdapter GETs")
    parser.add_argument("--no-machine", action="store_true", help="do not print the machine")
    parser.add_argument(
        "--auth", action="store_true", help="also authenticated GETs on Apache (primed space)"
    )
    parser.add_argument("--auth-requests", type=int, default=300, help="GETs per repetition")
    parser.add_argument("--auth-repeat", type=int, default=5, help="repetitions (median kept)")
    parser.add_argument("--auth-threads", default="1,8", help="comma-separated thread counts")
    args = parser.parse_args(argv)
    ops = [op for op in args.ops.split(",") if op]
    if not args.no_machine:
        print_machine()
    with OpenServer() as server:
        url = server.url("/file.txt")
        rows = measure(url, args.requests, args.repeat, ops)
        print_table(
            f"Adapter overhead: {args.requests} sequential requests x {args.repeat} "
            "repetitions, open server (no auth)",
            [
                "operation",
                "adapter",
                "req/s (1/median latency)",
                "min",
                "max",
                "client CPU us/req (median)",
                "req/s vs HTTPAdapter",
                "CPU/req vs HTTPAdapter",
                "Python calls/req",
                "calls vs HTTPAdapter",
            ],
            rows,
            [
                "target: AuthAdapter at least 0.95x the requests/s of a plain HTTPAdapter",
                "vs HTTPAdapter: median over the repetitions of the ratio within each pair",
                "client CPU: time.process_time of the client process (the server is another "
                "process); req/s: one over the median request's wall time",
                f"Python calls/req: cProfile's count over {CALLS_SAMPLE} requests "
                "(load-independent)",
            ],
        )
        if args.profile:
            profile(url, args.requests)
    if args.auth:
        print_auth(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
