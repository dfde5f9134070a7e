"""Connection handling of AuthAdapter that real servers only show intermittently.

RFC 9110 section 9.3.2: a response to HEAD has no content, whatever its
headers say; a server that sends some anyway (WsgiDAV's HTML 401 page) leaves
bytes on the connection that the next response would be read from. And a
flow that ends in a transport error must free the single-flight gate at once,
not when the exception's traceback is collected.
"""

from __future__ import annotations

import socket
import threading
from typing import Iterator, List

import pytest
import requests

from requests_dav import AuthAdapter, Credentials
from requests_dav.transport.expect import URLLIB3_FUTURE


class HeadWithBodyServer:
    """Answers HEAD with 401 plus an (illegal) body, keep-alive; 200 once authorized."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                if b"\r\nauthorization: basic" in head.lower():
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
                else:
                    page = b"<html>401</html>"
                    conn.sendall(
                        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="r"\r\n'
                        b"Content-Length: %d\r\n\r\n%s" % (len(page), page)
                    )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def head_server() -> Iterator[HeadWithBodyServer]:
    server = HeadWithBodyServer()
    yield server
    server.close()


@pytest.mark.skipif(
    URLLIB3_FUTURE,
    reason="urllib3-future reuses a connection a HEAD answer left bytes on (docs/adapter.rst)",
)
def test_head_retry_never_reads_a_body_left_on_the_connection(
    head_server: HeadWithBodyServer,
) -> None:
    credentials = Credentials()
    url = f"http://127.0.0.1:{head_server.port}/file.txt"
    with requests.Session() as session:
        session.mount("http://", AuthAdapter(credentials))
        statuses: List[int] = []
        for _ in range(3):
            credentials.clear()
            credentials.add(f"http://127.0.0.1:{head_server.port}/", "alice", "s3cret")
            response = session.head(url, timeout=10)
            statuses.append(response.status_code)
            assert [r.status_code for r in response.history] == [401]
    assert statuses == [200, 200, 200]
    # each authorized retry went out on a connection of its own
    assert head_server.connections >= 4


def test_a_transport_error_frees_the_single_flight_gate_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the with block ends
    credentials = Credentials()
    credentials.add(f"http://127.0.0.1:{port}/", "alice", "s3cret")
    adapter = AuthAdapter(credentials)
    with requests.Session() as session:
        session.mount("http://", adapter)
        with pytest.raises(requests.exceptions.ConnectionError) as info:
            session.get(f"http://127.0.0.1:{port}/x", timeout=5)
        # the exception (and its traceback, which holds the adapter's frame) is still alive
        assert info.value is not None
        assert adapter.negotiator._gates == {}
