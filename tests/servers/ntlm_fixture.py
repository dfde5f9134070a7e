"""The NTLM fixtures: ``ntlm_server.py`` in child processes, one each per session.

Import them into a test module with
``from servers.ntlm_fixture import ntlm_closing_proxy_fixture, ntlm_server_fixture`` (the
fixtures are *named* ``ntlm_server`` and ``ntlm_closing_proxy``, so a test's parameter does
not shadow the import). Tests using them are skipped when pyspnego is not installed. The
server knows the bed's users (``alice`` / ``bob``, see ``servers.common``) both without a
domain and in the domain :data:`DOMAIN`. ``records_since`` gives :class:`NTLMRecord` objects
(connection id, body length and hash, NTLM legs of both sides, proxy and TLS flags);
``requests_since`` the same as plain request records.

``ntlm_server`` also listens with TLS (``https_port``, ``https_url()``, ``ca_cert``; a
certificate made per session with openssl); ``ntlm_closing_proxy`` is a second process whose
proxy hangs up after each 407 that carries a type 2 token.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from .apache import make_certificate
from .common import (
    HOST,
    USERS,
    Process,
    RequestRecord,
    ServerBase,
    Share,
    Testbed,
    free_port,
    read_settled,
    require_binary,
)

DOMAIN = "TESTDOM"
SCRIPT = Path(__file__).with_name("ntlm_server.py")

#: share name -> its ``auth`` (the schemes offered, as in ``ntlm_server.SHARES``)
SHARE_AUTH: dict[str, str | None] = {
    "ntlm": "ntlm",
    "negotiate": "negotiate",
    "any": "any",
    "ntlmclose": "ntlmclose",
    "open": None,
}


@dataclasses.dataclass
class NTLMRecord(RequestRecord):
    """One request as the NTLM server saw it (see ``ntlm_server.py`` for the fields).

    ``auth_scheme`` (``scheme`` in the log), ``leg`` and ``user`` describe the hop the record
    is about: the Authorization header and the origin handshake of an origin request, the
    Proxy-Authorization header and the proxy handshake of a proxy request (``proxy``:
    CONNECT or absolute-form). ``user`` and ``proxy_user`` are who the connection is
    authenticated as after the request; ``proxy_leg`` is the NTLM message type of a proxy
    request's Proxy-Authorization token. ``tls``: it came on the TLS listener (``port`` says
    which listener too).
    """

    conn: int = 0
    body_length: int = 0
    body_sha256: str = ""
    leg: int | None = None
    proxy: bool = False
    proxy_user: str | None = None
    proxy_leg: int | None = None
    tls: bool = False

    @classmethod
    def from_json(cls, line: str) -> NTLMRecord:
        data = json.loads(line)
        return cls(
            method=data["method"],
            path=data["path"],
            status=data["status"],
            auth_scheme=data["scheme"],
            authorization=None,
            user=data["user"],
            port=data["port"],
            conn=data["conn"],
            body_length=data["body_length"],
            body_sha256=data["body_sha256"],
            leg=data["leg"],
            proxy=data["proxy"],
            proxy_user=data["proxy_user"],
            proxy_leg=data["proxy_leg"],
            tls=data["tls"],
        )


class NTLMServer(ServerBase):
    """One ``ntlm_server.py`` process: origin, NTLM proxy, and (optionally) TLS listener."""

    name = "ntlm"

    def __init__(
        self,
        port: int,
        directory: Path,
        https_port: int | None = None,
        cert: Path | None = None,
    ) -> None:
        super().__init__(
            port, [Share(name, directory, auth, None) for name, auth in SHARE_AUTH.items()]
        )
        self.directory = directory
        self.log_path = directory / "requests.jsonl"
        self.user_file = directory / "ntlm_users.txt"
        self._https_port = https_port
        self._cert = cert

    def _tls(self) -> tuple[int, Path]:
        if self._https_port is None or self._cert is None:
            # started without openssl: skip the test (fail it when CI=true), or say why
            require_binary("openssl", "openssl (for the NTLM server's TLS listener)")
            raise RuntimeError(f"{self!r} was started without a TLS listener")
        return self._https_port, self._cert

    @property
    def https_port(self) -> int:
        """Port of the TLS listener (same handler, shares and log as the plain one)."""
        return self._tls()[0]

    @property
    def ca_cert(self) -> str:
        """Path of the TLS listener's self-signed certificate (pass it as ``verify=``)."""
        return str(self._tls()[1])

    @property
    def proxy_url(self) -> str:
        """The server as a forward proxy (no credentials): ``http://127.0.0.1:PORT``."""
        return self.base_url

    def records(self) -> list[NTLMRecord]:
        """Every request so far (the server logs each one before its response goes out)."""
        text = read_settled(self.log_path, settle=0.0) if self.log_path.exists() else ""
        return [NTLMRecord.from_json(line) for line in text.splitlines() if line.strip()]

    def requests(self) -> list[RequestRecord]:
        return list(self.records())

    def records_since(
        self, mark: int, at_least: int | None = None, timeout: float = 5.0
    ) -> list[NTLMRecord]:
        """``requests_since`` with the NTLM fields (connection id, body hash, legs)."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.records()[mark:]
            if at_least is None or len(records) >= at_least or time.monotonic() > deadline:
                return records
            time.sleep(0.02)


def split_handshakes(records: list[NTLMRecord], proxy: bool = False) -> list[list[NTLMRecord]]:
    """The connections on which a type 1 is not followed at once by its accepted type 3.

    ``proxy`` looks at the proxy's legs (``proxy_leg``, refusal 407) instead of the
    origin's (``leg``, refusal 401). Empty when every handshake stayed whole on its
    connection.
    """
    refusal = 407 if proxy else 401
    by_conn: dict[int, list[NTLMRecord]] = {}
    for record in records:
        by_conn.setdefault(record.conn, []).append(record)
    broken = []
    for conn_records in by_conn.values():
        legs = [r.proxy_leg if proxy else r.leg for r in conn_records]
        for index, leg in enumerate(legs):
            if leg == 1 and (
                index + 1 == len(legs)
                or legs[index + 1] != 3
                or conn_records[index + 1].status == refusal
            ):
                broken.append(conn_records)
                break
    return broken


def write_user_file(path: Path, users: dict[str, str] = USERS) -> Path:
    """pyspnego's ``NTLM_USER_FILE``: ``DOMAIN:USER:PASSWORD`` lines (Heimdal format)."""
    lines = []
    for user, password in users.items():
        lines.append(f":{user}:{password}\n")
        lines.append(f"{DOMAIN}:{user}:{password}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def start(
    directory: Path, tls: bool = True, proxy_close_after_challenge: bool = False
) -> NTLMServer:
    """Start one server process in ``directory``.

    With ``tls`` (and an openssl binary to make the certificate) it also listens with TLS.
    """
    port = free_port()
    args = [sys.executable, str(SCRIPT), "--port", str(port)]
    https_port = cert = None
    if tls and shutil.which("openssl") is not None:
        https_port = free_port()
        cert, key = make_certificate(directory)
        args += ["--tls-port", str(https_port), "--cert", str(cert), "--key", str(key)]
    if proxy_close_after_challenge:
        args.append("--proxy-close-after-challenge")
    server = NTLMServer(port, directory, https_port, cert)
    args += ["--log", str(server.log_path)]
    write_user_file(server.user_file)
    env = dict(os.environ, NTLM_USER_FILE=str(server.user_file), PYTHONDONTWRITEBYTECODE="1")
    process = Process("ntlm", args, directory, env=env)
    server.processes.append(process)
    process.wait_for_port(port)
    if https_port is not None:
        process.wait_for_port(https_port)
    return server


@pytest.fixture(scope="session", name="ntlm_server")
def ntlm_server_fixture(testbed: Testbed) -> Iterator[NTLMServer]:
    """The NTLM / Negotiate acceptor and NTLM proxy on 127.0.0.1, plain and TLS."""
    pytest.importorskip("spnego", reason="pyspnego is not installed (requests-dav[spnego])")
    server = start(testbed.server_dir("ntlm"))
    testbed.add(server)
    yield server
    server.terminate()


@pytest.fixture(scope="session", name="ntlm_closing_proxy")
def ntlm_closing_proxy_fixture(testbed: Testbed) -> Iterator[NTLMServer]:
    """Another server process whose proxy closes after each 407 with a type 2 token."""
    pytest.importorskip("spnego", reason="pyspnego is not installed (requests-dav[spnego])")
    server = start(testbed.server_dir("ntlmclosing"), tls=False, proxy_close_after_challenge=True)
    testbed.add(server)
    yield server
    server.terminate()


__all__ = [
    "DOMAIN",
    "HOST",
    "NTLMRecord",
    "NTLMServer",
    "ntlm_closing_proxy_fixture",
    "ntlm_server_fixture",
    "split_handshakes",
    "start",
]
