"""CPU instructions per request: ``AuthAdapter`` and ``DigestAuth`` against requests' own.

Run ``python benchmarks/bench_instructions.py [--rows auth,bodies] [--requests 100] [--quick]``
(needs ``valgrind``; without it the tables are skipped with a note). ``--quick`` is a glance in
about three and a half minutes: 20 requests counted once per client, the ``trust_env = False``
rows and the GETs.

Timed runs on a shared 2-core machine move by more than the change being measured, so this
counts the instructions of the client process with callgrind, which gives the same figure for
the same code and inputs whatever else the machine does (:func:`_common.callgrind_instructions`:
``PYTHONHASHSEED=0`` and a fixed environment). The server is :class:`_common.OpenServer`, a
minimal keep-alive HTTP/1.1 server in another process on 127.0.0.1 (not counted), so
everything the client does per request is counted: the session, the adapter, the scheme,
urllib3 and ``http.client`` on a real socket.

``auth`` rows
    GETs into a primed protection space: the server asks for Basic or Digest as Apache
    httpd does (a ``401`` with the challenge to a request without ``Authorization``; for
    Digest an ``Authentication-Info`` with a correct ``rspauth``, RFC 7616 section 3.5,
    which requests-dav verifies). Each client against requests' own class for its scheme
    (``HTTPBasicAuth``, ``HTTPDigestAuth``): ``AuthAdapter`` with the credentials in its
    store, and ``DigestAuth`` as ``auth=``. Counted twice: with requests' session defaults
    (``trust_env``: requests reads the proxy variables and looks for a netrc file for every
    request of a session without ``auth=``, the ``AuthAdapter`` rows) and with
    ``trust_env = False`` (as ``bench_overhead.py --auth`` times them). The
    ``trust_env = False`` rows are counted twice more with each GET to a URL not sent
    before, in the same space (``URL: new each time``): the adapter and the store remember
    what they work out per URL, and these rows show a request that none of it helps.
``bodies`` rows
    Requests without credentials (an empty store: nothing to authenticate) of each body
    kind, ``AuthAdapter`` against a plain ``HTTPAdapter``: a GET, a PUT of 1 KiB of bytes,
    of a generator (two chunks, chunked) and of a file object, and a GET to a new URL each
    time.

Each client runs in its own process at ``WARM`` and at ``WARM + --requests`` requests; the
difference divided by ``--requests`` is its cost per request, so start-up and warm-up cancel
out. After the warm-up the objects alive are frozen out of the cyclic garbage collector
(``gc.freeze``): a full collection walks the whole heap, tens of millions of instructions, and
would fall in one run and not the other (seen: 1.19x for a client that counts 1.08x). Each
pair of runs is counted twice, and a third time when the two disagree (:func:`per_request`).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import shutil
import statistics
import subprocess
import sys
from typing import Any, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    PASSWORD,
    USER,
    OpenServer,
    callgrind_instructions,
    operations,
    print_machine,
    print_table,
    ratio,
)

#: requests before the counted ones (connections open, spaces learned, code paths warm)
WARM = 30
#: (scheme, client) of the auth rows; the first client of a scheme is the baseline
AUTH_CLIENTS: Tuple[Tuple[str, str], ...] = (
    ("basic", "requests"),
    ("basic", "AuthAdapter"),
    ("digest", "requests"),
    ("digest", "AuthAdapter"),
    ("digest", "DigestAuth"),
)
BODY_CLIENTS = ("HTTPAdapter", "AuthAdapter")
NEW_URL_GET = "GET new URL"
#: (trust_env, operation) of the auth rows; ``--quick`` leaves out the first
AUTH_RUNS = ((True, "GET"), (False, "GET"), (False, NEW_URL_GET))
#: two counts of the same client closer than this are taken to agree (seen apart: 2.4%, once
#: in about ten pairs, for reasons outside the code under test)
AGREE = 0.005
#: no timeout: what a caller who sets none sends
OPERATIONS = operations(None)
_sent = itertools.count()
#: each GET to a URL not sent before (``<url>/<n>``, the same protection space): what the
#: adapter and the store remember per URL cannot help
OPERATIONS[NEW_URL_GET] = lambda session, url: session.get(f"{url}/{next(_sent)}", timeout=None)


def _session(client: str, url: str, trust_env: bool) -> Any:
    """A session for ``client``: requests' own auth class, ``AuthAdapter`` with ``url``'s
    credentials (an empty store for ``AuthAdapter`` without a scheme), ``DigestAuth`` as
    ``auth=``, or a plain ``HTTPAdapter``."""
    import requests
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth

    from requests_dav import DigestAuth
    from requests_dav.auth.credentials import Credentials
    from requests_dav.transport.adapter import AuthAdapter

    session = requests.Session()
    session.trust_env = trust_env
    scheme, _, name = client.partition(" ")
    if name == "requests":
        session.auth = (
            HTTPBasicAuth(USER, PASSWORD) if scheme == "basic" else HTTPDigestAuth(USER, PASSWORD)
        )
    elif name == "DigestAuth":
        session.auth = DigestAuth(USER, PASSWORD)
    elif name == "AuthAdapter":
        credentials = Credentials()
        if scheme != "none":
            credentials.add(url, USER, PASSWORD)
        session.mount("http://", AuthAdapter(credentials=credentials))
    elif name != "HTTPAdapter":
        raise SystemExit(f"unknown client {client!r}")
    return session


def child(client: str, operation: str, url: str, count: int, trust_env: bool) -> None:
    """Send ``WARM + count`` requests of ``operation`` through ``client`` (run under callgrind).

    ``client`` is ``"<scheme> <name>"``, the scheme ``none`` for the body rows."""
    session = _session(client, url, trust_env)
    send = OPERATIONS[operation]

    def run(requests: int) -> None:
        for _ in range(requests):
            response = send(session, url)
            if response.status_code >= 300:
                raise SystemExit(f"{client}: status {response.status_code}")
            response.content  # noqa: B018 (read the body as a caller would)

    run(WARM)
    # what the warm-up left is frozen out of the cyclic collector's scans: a full collection
    # walks every object of the process and would fall in one of the two runs only
    gc.collect()
    gc.freeze()
    run(count)
    session.close()


def per_request(
    client: str, operation: str, url: str, count: int, trust_env: bool, quick: bool = False
) -> float:
    """Instructions per request of ``client``: counted runs of 0 and ``count`` requests, their
    difference / ``count``; the pair is counted twice, and a third time when the two differ by
    more than :data:`AGREE` (then the median is kept)."""
    command = [sys.executable, os.path.abspath(__file__), "--child", client, operation, url]
    flag = "--trust-env" if trust_env else "--no-trust-env"
    # uncounted first: a module compiled on its first import would count in one run only
    subprocess.run([*command, "0", flag], check=True, capture_output=True)

    def pair() -> float:
        low = callgrind_instructions([*command, "0", flag], f"{client} {operation}")
        high = callgrind_instructions([*command, str(count), flag], f"{client} {operation}")
        return (high - low) / count

    costs = [pair()] if quick else [pair(), pair()]
    if len(costs) > 1 and abs(costs[0] - costs[1]) > AGREE * min(costs):
        costs.append(pair())
    return statistics.median(costs)


def auth_rows(count: int, quick: bool = False) -> List[List[Any]]:
    rows: List[List[Any]] = []
    for scheme in ("basic", "digest"):
        with OpenServer(scheme=scheme) as server:
            url = server.url("/resource")
            for trust_env, operation in AUTH_RUNS[1:] if quick else AUTH_RUNS:
                baseline = 0.0
                for _, name in (c for c in AUTH_CLIENTS if c[0] == scheme):
                    cost = per_request(f"{scheme} {name}", operation, url, count, trust_env, quick)
                    baseline = baseline or cost
                    rows.append(
                        [
                            scheme,
                            "default" if trust_env else "False",
                            "new each time" if operation == NEW_URL_GET else "same",
                            name,
                            f"{cost:,.0f}",
                            f"{ratio(cost, baseline):.3f}x",
                        ]
                    )
    return rows


def body_rows(count: int, quick: bool = False) -> List[List[Any]]:
    rows: List[List[Any]] = []
    with OpenServer() as server:
        url = server.url("/file.txt")
        for operation in ["GET", NEW_URL_GET] if quick else list(OPERATIONS):
            costs = [
                per_request(f"none {name}", operation, url, count, True, quick)
                for name in BODY_CLIENTS
            ]
            for name, cost in zip(BODY_CLIENTS, costs):
                rows.append([operation, name, f"{cost:,.0f}", f"{ratio(cost, costs[0]):.3f}x"])
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="auth,bodies", help="comma-separated: auth, bodies")
    parser.add_argument("--requests", type=int, default=100, help="requests counted per client")
    parser.add_argument("--no-machine", action="store_true", help="do not print the machine")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a glance: 20 requests, one count each, trust_env=False and GET rows only",
    )
    parser.add_argument("--child", nargs=4, metavar=("CLIENT", "OPERATION", "URL", "COUNT"))
    parser.add_argument("--trust-env", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    if args.child:
        client, operation, url, count = args.child
        child(client, operation, url, int(count), args.trust_env)
        return 0
    if not args.no_machine:
        print_machine()
    if shutil.which("valgrind") is None:
        print("Instructions per request: skipped, valgrind is not installed\n")
        return 0
    wanted = {row for row in args.rows.split(",") if row}
    unknown = wanted - {"auth", "bodies"}
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    count = 20 if args.quick else args.requests
    if "auth" in wanted:
        print_table(
            f"Authenticated GET instructions: callgrind, {count} GETs per client",
            ["scheme", "trust_env", "URL", "client", "instructions/GET", "vs requests' class"],
            auth_rows(count, args.quick),
            [
                "target: at most about 1.05x (0.95x in requests/s)",
                "trust_env default: requests' proxy variables and netrc lookup per request "
                "of a session without auth= (the AuthAdapter rows)",
            ],
        )
    if "bodies" in wanted:
        print_table(
            f"Unauthenticated request instructions: callgrind, {count} per client",
            ["operation", "adapter", "instructions/request", "vs HTTPAdapter"],
            body_rows(count, args.quick),
            ["target: at most about 1.05x (0.95x in requests/s)"],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
