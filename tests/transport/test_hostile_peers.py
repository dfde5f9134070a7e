"""The transport under hostile peers (issue 11, points 10 and 11).

* With ``max_retries=Retry(...)``, a connection reset while a stream that outgrew the replay
  buffer is being sent makes urllib3 rewind the body for the retry; that fails, and the caller
  gets :class:`~requests_dav.exceptions.BodyNotReplayableError` (a ``RequestException``), not
  urllib3's raw ``UnrewindableBodyError``.
* Log records name URLs without their query string.
* A proxy that hangs up in the middle of its answer to ``CONNECT`` is reported as that, not
  as "no credentials to send" when credentials exist.

The peers are tiny loopback servers in threads: real servers cannot be made to reset a
connection in the middle of a body on demand.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from typing import Iterator, List

import pytest
import requests
from urllib3.util.retry import Retry

from requests_dav import AuthAdapter, Credentials
from requests_dav.exceptions import BodyNotReplayableError, ProxyTunnelAuthenticationError
from requests_dav.transport.proxy import tunnel_error


class ResettingServer:
    """Reads each request's head (answering ``Expect: 100-continue``) and 64 KiB of its body,
    then resets the connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        break
                    head += data
                if b"100-continue" in head.lower():
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                seen = len(head)
                while seen < 65536:
                    data = conn.recv(65536)
                    if not data:
                        break
                    seen += len(data)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def resetting() -> Iterator[ResettingServer]:
    server = ResettingServer()
    yield server
    server.close()


def chunks(total: int, size: int = 16384) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


@pytest.mark.parametrize("expect", [None, False], ids=["expect-continue", "no-expect"])
def test_a_retry_of_an_unreplayable_stream_is_body_not_replayable(
    resetting: ResettingServer, expect: object
) -> None:
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(
        Credentials(),
        max_replay_bytes=1024,
        max_retries=Retry(total=3, read=3, connect=3, backoff_factor=0),
        expect_continue=expect,  # type: ignore[arg-type]
    )
    session.mount("http://", adapter)
    url = f"http://127.0.0.1:{resetting.port}/upload?token=abc"
    with pytest.raises(BodyNotReplayableError) as caught:
        session.put(url, data=chunks(1 << 20), timeout=10)
    error = caught.value
    assert isinstance(error, requests.RequestException)
    assert error.limit == 1024 and error.bytes_sent > 1024
    assert "retry" in str(error)


def test_log_records_drop_the_query(caplog: pytest.LogCaptureFixture) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization"):
                self.send_response(200)
            else:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="r"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        credentials = Credentials()
        credentials.add(base + "/", "alice", "s3cret")
        session = requests.Session()
        session.trust_env = False
        session.mount("http://", AuthAdapter(credentials))
        caplog.set_level(logging.DEBUG, logger="requests_dav")
        response = session.get(base + "/file?access_token=SECRET-TOKEN")
        assert response.status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    messages: List[str] = [  # urllib3's own records are urllib3's business
        record.getMessage() for record in caplog.records if record.name.startswith("requests_dav")
    ]
    assert any("/file?..." in message for message in messages), messages
    assert not any("SECRET-TOKEN" in message for message in messages)


class HangingUpProxy:
    """Answers every CONNECT with the start of a 407 head, then closes the connection."""

    HEAD = (
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Digest realm="proxy", nonce="'
    )

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        break
                    head += data
                conn.sendall(self.HEAD)


def test_a_proxy_that_hangs_up_mid_connect_says_so() -> None:
    proxy = HangingUpProxy()
    credentials = Credentials()
    credentials.add_proxy(proxy.url, "alice", "s3cret")
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", AuthAdapter(credentials))
    try:
        with pytest.raises(requests.RequestException) as caught:
            session.get("https://127.0.0.1:9/", proxies={"https": proxy.url}, timeout=5)
    finally:
        proxy.sock.close()
    error = tunnel_error(caught.value)
    assert isinstance(error, ProxyTunnelAuthenticationError)
    text = str(error)
    assert "closed the connection" in text, text
    assert "no credentials" not in text
    assert error.outcome != "no-credentials"
