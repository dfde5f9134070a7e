"""CPU instructions per authenticated GET, ``AuthAdapter`` against requests' own auth classes.

Run ``python benchmarks/bench_auth_instructions.py [--schemes basic,digest] [--requests 100]
[--no-netrc]`` (needs ``valgrind``; without it the table is skipped with a note).

Timed runs on a shared 2-core machine move by more than the change being measured, so this
counts instructions with callgrind, which gives the same figure for the same code and inputs
whatever else the machine does. urllib3's ``HTTPConnectionPool.urlopen`` is replaced by a stub
that answers as Apache does: a ``401`` with a challenge to a request without
``Authorization``, else a ``200`` (for Digest with an ``Authentication-Info`` that carries a
correct ``rspauth``, RFC 7616 section 3.5). Everything above the socket runs: the session,
the adapter, the scheme, reading the response. Each client is run in its own process at 50
and at 50 + ``--requests`` warm requests (``PYTHONHASHSEED=0``); the difference divided by
``--requests`` is its cost per request, so start-up and warm-up cancel out. ``--no-netrc``
also stubs out requests' ``get_netrc_auth``, which requests calls for every request of a
session without ``auth=`` (the ``AuthAdapter`` rows) and not for one with it (requests' own
classes).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_machine, print_table, ratio

USER, PASSWORD, REALM, NONCE = "user", "secret", "bench", "b3nchn0nce"
URL = "http://127.0.0.1:9/resource"
CLIENTS = ("requests", "AuthAdapter", "DigestAuth")
WARM = 20


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _answer(scheme: str, headers: Dict[str, str]) -> Any:
    from urllib3 import HTTPResponse

    fields = {"Content-Length": "2", "Content-Type": "text/plain"}
    authorization = headers.get("Authorization")
    if not authorization:
        if scheme == "basic":
            fields["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        else:
            fields["WWW-Authenticate"] = (
                f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5'
            )
        status, body = 401, b"no"
    else:
        status, body = 200, b"ok"
        if scheme == "digest":
            params = dict(re.findall(r'(\w+)="?([^",]*)"?', authorization[len("Digest ") :]))
            ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
            ha2 = _md5(":" + params["uri"])
            proof = _md5(f"{ha1}:{NONCE}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
            fields["Authentication-Info"] = (
                f'rspauth="{proof}", cnonce="{params["cnonce"]}", nc={params["nc"]}, qop=auth'
            )
    return HTTPResponse(
        body=io.BytesIO(body),
        headers=fields,
        status=status,
        preload_content=False,
        decode_content=False,
    )


def child(scheme: str, client: str, count: int, no_netrc: bool) -> None:
    """Send ``count`` GETs through ``client`` against the stub (run under callgrind)."""
    import requests
    import requests.sessions
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth
    from urllib3.connectionpool import HTTPConnectionPool

    from requests_dav import DigestAuth
    from requests_dav.auth.credentials import Credentials
    from requests_dav.transport.adapter import AuthAdapter

    def urlopen(
        pool: Any, method: str, url: str, body: Any = None, headers: Any = None, **_: Any
    ) -> Any:
        return _answer(scheme, dict(headers or {}))

    HTTPConnectionPool.urlopen = urlopen  # type: ignore[assignment,method-assign]
    if no_netrc:
        requests.sessions.get_netrc_auth = lambda *args, **kwargs: None  # type: ignore[assignment]
    session = requests.Session()
    if client == "requests":
        session.auth = (
            HTTPBasicAuth(USER, PASSWORD) if scheme == "basic" else HTTPDigestAuth(USER, PASSWORD)
        )
    elif client == "DigestAuth":
        session.auth = DigestAuth(USER, PASSWORD)
    else:
        credentials = Credentials()
        credentials.add(URL, USER, PASSWORD)
        session.mount("http://", AuthAdapter(credentials=credentials))
    for _ in range(WARM + count):
        response = session.get(URL)
        if response.status_code != 200:
            raise SystemExit(f"{client}: status {response.status_code}")
        response.content  # noqa: B018 (read the body as a caller would)


def instructions(scheme: str, client: str, count: int, no_netrc: bool) -> int:
    """callgrind's instruction total for one child run."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={os.path.join(scratch, 'out')}",
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            scheme,
            client,
            str(count),
        ]
        if no_netrc:
            command.append("--no-netrc")
        env = dict(os.environ, PYTHONHASHSEED="0")
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{scheme} {client}: callgrind failed\n{done.stdout}{done.stderr}")
    return int(found.group(1))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", default="basic,digest", help="comma-separated schemes")
    parser.add_argument("--requests", type=int, default=100, help="requests counted per client")
    parser.add_argument("--no-netrc", action="store_true", help="stub out get_netrc_auth")
    parser.add_argument("--no-machine", action="store_true", help="do not print the machine")
    parser.add_argument("--child", nargs=3, metavar=("SCHEME", "CLIENT", "COUNT"))
    args = parser.parse_args(argv)
    if args.child:
        scheme, client, count = args.child
        child(scheme, client, int(count), args.no_netrc)
        return 0
    if not args.no_machine:
        print_machine()
    if shutil.which("valgrind") is None:
        print("Authenticated GET instructions: skipped, valgrind is not installed\n")
        return 0
    rows = []
    for scheme in args.schemes.split(","):
        baseline = 0.0
        for client in CLIENTS:
            if client == "DigestAuth" and scheme != "digest":
                continue
            low = instructions(scheme, client, 50, args.no_netrc)
            high = instructions(scheme, client, 50 + args.requests, args.no_netrc)
            per_request = (high - low) / args.requests
            baseline = baseline or per_request
            rows.append(
                [scheme, client, f"{per_request:,.0f}", f"{ratio(per_request, baseline):.3f}x"]
            )
    print_table(
        f"Authenticated GET instructions: callgrind, {args.requests} GETs per client",
        ["scheme", "client", "instructions/GET", "vs requests' class"],
        rows,
        [
            "target: at most about 1.05x (0.95x in requests/s)",
            "requests' get_netrc_auth " + ("stubbed out" if args.no_netrc else "included"),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
