"""Requests on the wire for N requests into one Digest protection space, and a generator PUT.

Run ``python benchmarks/bench_roundtrips.py [--requests 50] [--threads 1,8]``.

A local Digest server (:class:`requests_dav.demo.server.DemoServer`, WsgiDAV on
cheroot, 127.0.0.1) counts every request it answers; a counting TCP relay in
front of it counts the connections opened and the bytes the client sent.
Each client is a fresh :class:`requests.Session` (shared by all threads of a
run) that sends N GETs of one small file:

``AuthAdapter``
    :class:`requests_dav.transport.adapter.AuthAdapter` mounted on the session, the
    credentials added for the share's URL in advance.
``DigestAuth (drop-in)``
    :class:`requests_dav.transport.auth_base.DigestAuth` as ``session.auth``, when that
    module exists.
``requests HTTPDigestAuth``
    the baseline, :class:`requests.auth.HTTPDigestAuth` as ``session.auth``.

The physical limit is N+1 requests: one challenge for the whole space, then
every request authorized preemptively. The second table PUTs a generator body
into the space as the first request of a fresh session (so it meets the 401)
and compares what the server stored with what the generator produced.

The third table is ``Expect: 100-continue`` (RFC 9110 section 10.1.1): a
generator body of ``--expect-bytes`` (default 1024 x ``--put-bytes``, 1 GiB)
PUT into Apache's Digest space (the test bed's Apache from ``tests/servers``,
started for the run; skipped when ``apache2`` is not installed; Apache
answers ``401`` to the head alone) through the counting relay, by an
``AuthAdapter`` with a 64 KiB replay buffer, with ``Expect`` on and off. Off,
the body meets the 401 and cannot be replayed; the caller sends it again
(PEP 268). The physical limit is 1.0x the body on the wire.

The fourth table PUTs a generator of ``--ntlm-bytes`` (default 64 x
``--put-bytes``) into the NTLM and Negotiate shares of the test bed's NTLM
acceptor (``tests/servers/ntlm_server.py``; skipped without pyspnego): the
head waits for ``100 Continue`` and draws the 401, the type 1 leg goes
without the body, the body goes once on the type 3 leg (1.0x).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import requests
from requests.auth import HTTPDigestAuth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    CountingRelay,
    MiB,
    print_machine,
    print_table,
    ratio,
    start_digest_server,
)

from requests_dav.auth.credentials import Credentials
from requests_dav.transport.adapter import AuthAdapter, auth_result
from requests_dav.transport.expect import expect_result

TIMEOUT = 30


def _drop_in() -> Optional[Callable[[str, str], Any]]:
    try:
        from requests_dav.transport.auth_base import DigestAuth
    except ImportError:
        return None
    return DigestAuth  # type: ignore[no-any-return]


def clients(server: Any, base_url: str) -> List[Tuple[str, Callable[[], requests.Session]]]:
    """``(name, session factory)`` for every client measured; the baseline is last."""

    def adapter() -> requests.Session:
        credentials = Credentials()
        credentials.add(base_url, server.username, server.password)
        session = requests.Session()
        session.mount("http://", AuthAdapter(credentials))
        return session

    def drop_in(factory: Callable[[str, str], Any]) -> Callable[[], requests.Session]:
        def make() -> requests.Session:
            session = requests.Session()
            session.auth = factory(server.username, server.password)
            return session

        return make

    def baseline() -> requests.Session:
        session = requests.Session()
        session.auth = HTTPDigestAuth(server.username, server.password)
        return session

    found: List[Tuple[str, Callable[[], requests.Session]]] = [("AuthAdapter", adapter)]
    factory = _drop_in()
    if factory is not None:
        found.append(("DigestAuth (drop-in)", drop_in(factory)))
    found.append(("requests HTTPDigestAuth", baseline))
    return found


def run_gets(
    server: Any,
    relay: CountingRelay,
    make: Callable[[], requests.Session],
    url: str,
    n: int,
    threads: int,
) -> Dict[str, Any]:
    """N GETs of ``url`` from ``threads`` threads sharing one fresh session."""
    session = make()
    before_records = len(server.records)
    before_conns, _ = relay.snapshot()
    statuses: List[int] = []
    start = time.perf_counter()

    def one(_: int) -> int:
        response = session.get(url, timeout=TIMEOUT)
        response.close()
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(one, range(n), timeout=TIMEOUT * 4))
    elapsed = time.perf_counter() - start
    session.close()
    records = server.records[before_records:]
    conns, _ = relay.snapshot()
    return {
        "wire": len(records),
        "challenges": sum(1 for r in records if r.status == 401),
        "ok": sum(1 for s in statuses if s == 200),
        "connections": conns - before_conns,
        "ms": elapsed * 1000,
    }


def _generator(total: int, chunk: int, digest: Any) -> Iterator[bytes]:
    """``total`` bytes of distinct chunks, hashed into ``digest`` as they are produced."""
    block = bytes(range(256)) * (chunk // 256 + 1)
    produced = 0
    for index in range(total // chunk + 2):
        if produced >= total:
            return
        data = (index.to_bytes(8, "big") + block[8:chunk])[: total - produced]
        digest.update(data)
        produced += len(data)
        yield data


def run_put(
    server: Any,
    relay: CountingRelay,
    make: Callable[[], requests.Session],
    name: str,
    base_url: str,
    size: int,
) -> Dict[str, Any]:
    """A generator PUT as the first request of a fresh session (it meets the 401)."""
    session = make()
    filename = "put-" + hashlib.sha1(name.encode()).hexdigest()[:8] + ".bin"
    stored = server.root / filename
    before_records = len(server.records)
    before_conns, before_bytes = relay.snapshot()
    digest = hashlib.sha256()
    error = ""
    try:
        response = session.put(
            base_url + filename, data=_generator(size, 65536, digest), timeout=TIMEOUT
        )
        status = str(response.status_code)
        response.close()
    except requests.RequestException as exc:
        status, error = "error", type(exc).__name__
    session.close()
    time.sleep(0.05)  # let the relay forward the last bytes it read
    records = server.records[before_records:]
    conns, sent = relay.snapshot()
    stored_size = stored.stat().st_size if stored.exists() else 0
    identical = stored.exists() and _file_sha256(stored) == digest.hexdigest()
    if stored.exists():
        stored.unlink()
    return {
        "status": status + (f" ({error})" if error else ""),
        "wire": len(records),
        "puts": [r.status for r in records],
        "connections": conns - before_conns,
        "bytes_up": sent - before_bytes,
        "stored": stored_size,
        "identical": identical,
    }


def _file_sha256(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for _ in range(1 << 30):
            block = stream.read(1 << 20)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


class _Counted:
    """A generator body (see :func:`_generator`) that counts the bytes pulled from it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in _generator(self.size, 65536, self.digest):
            self.pulled += len(chunk)
            yield chunk


def start_bed_server(
    module: str, what: str, mode: Optional[int] = None, **start_kwargs: Any
) -> Tuple[Optional[Any], str]:
    """``tests/servers/<module>.start`` in a fresh directory, or ``(None, why not)``.

    ``mode`` is given to the directory (Apache's workers need to enter it);
    ``start_kwargs`` go to ``start``. :func:`stop_bed_server` undoes it.
    """
    tests = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
    sys.path.insert(0, tests)
    try:
        bed = importlib.import_module(f"servers.{module}")
    except ImportError as exc:  # pytest missing: the test bed's helpers need it
        return None, f"tests/servers cannot be imported ({exc})"
    directory = tempfile.mkdtemp(prefix=f"requests-dav-bench-{module}-")
    if mode is not None:
        os.chmod(directory, mode)
    from pathlib import Path

    try:
        server = bed.start(Path(directory), **start_kwargs)
    except BaseException as exc:  # pytest.skip / fail are BaseExceptions
        shutil.rmtree(directory, ignore_errors=True)
        return None, f"{what} did not start ({type(exc).__name__}: {exc})"
    server.bench_directory = directory
    return server, ""


def stop_bed_server(server: Any) -> None:
    server.terminate()
    server.stop()
    shutil.rmtree(server.bench_directory, ignore_errors=True)


def start_apache() -> Tuple[Optional[Any], str]:
    """The test bed's Apache in a fresh directory, or ``(None, why not)``."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    if shutil.which("apache2", path=search) is None:
        return None, "apache2 is not installed"
    # search only, for Apache's www-data workers
    return start_bed_server("apache", "Apache", mode=0o711)


def run_expect(server: Any, relay: CountingRelay, expect: bool, size: int) -> Dict[str, Any]:
    """One generator PUT of ``size`` bytes into the Digest space; off: sent again after the 401."""
    credentials = Credentials()
    credentials.add(relay.url("/"), "alice", "s3cret")
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials, max_replay_bytes=64 * 1024,
                                         expect_continue=None if expect else False))  # fmt: skip
    name = f"expect-{'on' if expect else 'off'}-{os.getpid()}.bin"
    url = relay.url(f"/digest/{name}")
    stored = server.root("digest") / name
    before_conns, before_bytes = relay.snapshot()
    statuses: List[str] = []
    pulled = 0
    outcomes: List[str] = []
    tracemalloc.start()
    start = time.perf_counter()
    try:
        for _ in range(2):  # the second send only when the first could not be replayed
            body = _Counted(size)
            response = session.put(url, data=body, timeout=TIMEOUT * 4)
            response.close()
            pulled += body.pulled
            for attempt in [*response.history, response]:
                statuses.append(str(attempt.status_code))
                waited = expect_result(attempt)
                outcomes.append(waited.outcome if waited is not None else "-")
            result = auth_result(response)
            if result is None or result.outcome != "not-replayable":
                break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    session.close()
    time.sleep(0.05)  # let the relay forward the last bytes it read
    conns, sent = relay.snapshot()
    identical = stored.exists() and _file_sha256(stored) == body.digest.hexdigest()
    if stored.exists():
        stored.unlink()
    return {
        "statuses": "/".join(statuses),
        "outcomes": "/".join(outcomes),
        "connections": conns - before_conns,
        "pulled": pulled,
        "bytes_up": sent - before_bytes,
        "identical": identical,
        "peak": peak,
        "s": elapsed,
    }


def expect_table(size: int) -> None:
    """The Expect on/off table against Apache (or a line saying why it was skipped)."""
    title = f"Expect: 100-continue, generator PUT of {size:,} bytes into Apache Digest"
    server, why = start_apache()
    if server is None:
        print(f"== {title} ==\n  skipped: {why}\n", flush=True)
        return
    try:
        with CountingRelay(server.port, idle_timeout=TIMEOUT * 4) as relay:
            rows = []
            for expect in (True, False):
                r = run_expect(server, relay, expect, size)
                rows.append(
                    [
                        "on" if expect else "off",
                        r["statuses"],
                        r["outcomes"],
                        r["connections"],
                        size,
                        r["pulled"],
                        ratio(r["pulled"], size),
                        r["bytes_up"],
                        ratio(r["bytes_up"], size),
                        r["peak"] / MiB,
                        "yes" if r["identical"] else "NO",
                        r["s"],
                    ]
                )
    finally:
        stop_bed_server(server)
    print_table(
        title + " (physical limit 1.0x)",
        [
            "Expect",
            "statuses",
            "100-continue",
            "TCP conns",
            "body bytes",
            "body bytes sent",
            "/ body",
            "bytes to server",
            "/ body",
            "heap MiB",
            "byte-identical",
            "s",
        ],
        rows,
        [
            "AuthAdapter(max_replay_bytes=64 KiB); off: the first PUT meets the 401 and cannot be "
            "replayed, so it is sent again (PEP 268)",
            "body bytes sent: pulled from the generator, which urllib3 sends as it pulls; bytes "
            "to server: everything through the relay (heads and chunk framing included)",
            "100-continue: what each attempt saw (final: a status before the body, which was not "
            "sent; continue: 100, then the body); heap MiB: tracemalloc peak of this process",
        ],
    )


def start_ntlm() -> Tuple[Optional[Any], str]:
    """The test bed's NTLM acceptor (pyspnego's server side) in a fresh directory."""
    try:
        import spnego  # noqa: F401
    except ImportError:
        return None, "pyspnego is not installed (requests-dav[spnego])"
    return start_bed_server("ntlm_fixture", "the NTLM server", tls=False)


def run_ntlm(relay: CountingRelay, share: str, size: int) -> Dict[str, Any]:
    """One generator PUT of ``size`` bytes into an NTLM / Negotiate share, 64 KiB buffer."""
    credentials = Credentials()
    credentials.add(relay.url("/"), "alice", "s3cret")
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials, max_replay_bytes=64 * 1024))
    before_conns, before_bytes = relay.snapshot()
    body = _Counted(size)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        response = session.put(relay.url(f"/{share}/bench.bin"), data=body, timeout=TIMEOUT * 4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    stored = response.json() if response.status_code == 201 else {}
    session.close()
    time.sleep(0.05)  # let the relay forward the last bytes it read
    conns, sent = relay.snapshot()
    return {
        "statuses": "/".join(str(r.status_code) for r in [*response.history, response]),
        "connections": conns - before_conns,
        "pulled": body.pulled,
        "bytes_up": sent - before_bytes,
        "identical": stored.get("body_sha256") == body.digest.hexdigest(),
        "peak": peak,
        "s": elapsed,
    }


def ntlm_table(size: int) -> None:
    """Bytes on the wire of a generator PUT through an NTLM or Negotiate handshake."""
    title = f"NTLM / Negotiate, generator PUT of {size:,} bytes"
    server, why = start_ntlm()
    if server is None:
        print(f"== {title} ==\n  skipped: {why}\n", flush=True)
        return
    rows = []
    try:
        with CountingRelay(server.port, idle_timeout=TIMEOUT * 4) as relay:
            for share in ("ntlm", "negotiate"):
                r = run_ntlm(relay, share, size)
                rows.append(
                    [
                        share,
                        r["statuses"],
                        r["connections"],
                        size,
                        r["pulled"],
                        ratio(r["pulled"], size),
                        r["bytes_up"],
                        ratio(r["bytes_up"], size),
                        r["peak"] / MiB,
                        "yes" if r["identical"] else "NO",
                        r["s"],
                    ]
                )
    finally:
        stop_bed_server(server)
    print_table(
        title + " (physical limit 1.0x)",
        [
            "share",
            "statuses",
            "TCP conns",
            "body bytes",
            "body bytes sent",
            "/ body",
            "bytes to server",
            "/ body",
            "heap MiB",
            "byte-identical",
            "s",
        ],
        rows,
        [
            "AuthAdapter(max_replay_bytes=64 KiB), Expect: 100-continue by default: the test "
            "server answers the unauthenticated head with 401 at once (as IIS does), the type 1 "
            "leg goes without the body, the body goes once with the type 3",
            "the server is tests/servers/ntlm_server.py (pyspnego's acceptor, which holds the "
            "body in memory: keep --ntlm-bytes moderate)",
        ],
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="N requests per run")
    parser.add_argument("--threads", default="1,8", help="comma-separated thread counts")
    parser.add_argument("--put-bytes", type=int, default=1 << 20, help="generator PUT size")
    parser.add_argument(
        "--expect-bytes",
        type=int,
        default=None,
        help="generator PUT size of the Expect table (default 1024 x --put-bytes; 0: skip)",
    )
    parser.add_argument(
        "--ntlm-bytes",
        type=int,
        default=None,
        help="generator PUT size of the NTLM table (default 64 x --put-bytes; 0: skip)",
    )
    parser.add_argument("--no-machine", action="store_true", help="do not print the machine")
    args = parser.parse_args(argv)
    n = args.requests
    thread_counts = [int(t) for t in args.threads.split(",") if t]
    if not args.no_machine:
        print_machine()

    server = start_digest_server()
    try:
        (server.root / "small.txt").write_bytes(b"x" * 512)
        with CountingRelay(server.port) as relay:
            base_url = relay.url("/dav/")
            url = base_url + "small.txt"
            found = clients(server, base_url)
            rows = []
            for threads in thread_counts:
                results = [
                    (name, run_gets(server, relay, make, url, n, threads)) for name, make in found
                ]
                baseline = results[-1][1]
                for name, r in results:
                    rows.append(
                        [
                            name,
                            threads,
                            n,
                            r["ok"],
                            r["wire"],
                            ratio(r["wire"], n + 1),
                            r["challenges"],
                            r["connections"],
                            ratio(r["wire"], baseline["wire"]),
                            r["ms"],
                        ]
                    )
            print_table(
                f"Round trips: {n} GETs into one Digest space (physical limit N+1 = {n + 1})",
                [
                    "client",
                    "threads",
                    "N",
                    "200s",
                    "on the wire",
                    "/ (N+1)",
                    "401s",
                    "TCP conns",
                    "vs requests",
                    "ms",
                ],
                rows,
                [
                    "on the wire: requests the server answered (its own count); 401s: challenges",
                    "vs requests: requests on the wire relative to requests.auth.HTTPDigestAuth",
                ],
            )
            rows = []
            results = [
                (name, run_put(server, relay, make, name, base_url, args.put_bytes))
                for name, make in found
            ]
            baseline = results[-1][1]
            for name, r in results:
                rows.append(
                    [
                        name,
                        r["status"],
                        "/".join(str(s) for s in r["puts"]),
                        r["connections"],
                        args.put_bytes,
                        r["bytes_up"],
                        ratio(r["bytes_up"], args.put_bytes),
                        r["stored"],
                        "yes" if r["identical"] else "NO",
                    ]
                )
            print_table(
                f"Generator PUT of {args.put_bytes:,} bytes as the first request (meets the 401)",
                [
                    "client",
                    "status",
                    "statuses on the wire",
                    "TCP conns",
                    "body bytes",
                    "bytes to server",
                    "/ body",
                    "stored bytes",
                    "byte-identical",
                ],
                rows,
                [
                    "bytes to server: everything the client sent through the relay (heads and "
                    "chunk framing included, both attempts)",
                    "byte-identical: SHA-256 of the stored file equals the generated stream's",
                ],
            )
    finally:
        server.stop()
    expect_bytes = args.expect_bytes if args.expect_bytes is not None else 1024 * args.put_bytes
    if expect_bytes > 0:
        expect_table(expect_bytes)
    ntlm_bytes = args.ntlm_bytes if args.ntlm_bytes is not None else 64 * args.put_bytes
    if ntlm_bytes > 0:
        ntlm_table(ntlm_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
