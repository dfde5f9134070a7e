"""``auth=`` against an HTTP/1.0 peer that cannot read chunked bodies (issue 12, point 5).

Radicale answers as HTTP/1.0 and reads a chunked body as empty. The server here does the
same (a real ``http.server`` on loopback, speaking HTTP/1.0): it checks Basic first (401),
answers 400 to a chunked body, and stores a body sent with ``Content-Length``. Through
``auth=`` a generator PUT must arrive whole, as it does through ``AuthAdapter`` (RFC 2145
section 2.3: no chunked body to an HTTP/1.0 peer; RFC 9112 section 6.2).
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Optional

import pytest
import requests
from servers.common import ALICE, ALICE_PASSWORD

from requests_dav import BasicAuth, HTTPAuth, auth_result

EXPECTED = "Basic " + base64.b64encode(f"{ALICE}:{ALICE_PASSWORD}".encode()).decode()


@dataclass
class Seen:
    status: int
    authorized: bool
    chunked: bool
    length: Optional[int]


class HTTP10Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: List[Seen] = []
        self.stored: Dict[str, bytes] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: HTTP10Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def answer(self, status: int, seen: Seen) -> None:
        seen.status = status
        self.server.seen.append(seen)
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="http10"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        seen = Seen(0, self.headers.get("Authorization") == EXPECTED, chunked, None)
        if length is not None:
            seen.length = int(length)
        if not seen.authorized:
            self.answer(401, seen)
        elif chunked or seen.length is None:
            self.answer(400, seen)  # an HTTP/1.0 server reads no chunks: the body is "empty"
        else:
            self.server.stored[self.path] = self.rfile.read(seen.length)
            self.answer(201, seen)


@pytest.fixture
def http10_server() -> Iterator[HTTP10Server]:
    server = HTTP10Server()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def generator_body() -> Iterator[bytes]:
    yield b"BEGIN:VCALENDAR\r\n"
    yield b"x" * 10_000
    yield b"\r\nEND:VCALENDAR\r\n"


WHOLE = b"BEGIN:VCALENDAR\r\n" + b"x" * 10_000 + b"\r\nEND:VCALENDAR\r\n"


def put(server: HTTP10Server, auth: requests.auth.AuthBase) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.put(server.url + "event.ics", data=generator_body(), auth=auth, timeout=10)


def test_preemptive_basic_auth_resends_with_length_after_the_400(
    http10_server: HTTP10Server,
) -> None:
    response = put(http10_server, BasicAuth(ALICE, ALICE_PASSWORD))
    assert response.status_code == 201
    assert http10_server.stored["/event.ics"] == WHOLE
    assert [(s.status, s.chunked, s.length) for s in http10_server.seen] == [
        (400, True, None),
        (201, False, len(WHOLE)),
    ]
    assert [r.status_code for r in response.history] == [400]


def test_the_retry_after_an_http10_401_has_content_length(http10_server: HTTP10Server) -> None:
    response = put(http10_server, HTTPAuth(ALICE, ALICE_PASSWORD))
    assert response.status_code == 201
    assert auth_result(response).outcome == "ok"
    assert http10_server.stored["/event.ics"] == WHOLE
    assert [(s.status, s.authorized, s.chunked) for s in http10_server.seen] == [
        (401, False, True),
        (201, True, False),
    ]
