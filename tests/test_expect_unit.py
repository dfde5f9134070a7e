"""``Expect: 100-continue`` (RFC 9110 section 10.1.1) against a raw-socket server of our own.

The server (127.0.0.1, one thread per connection) reads a request head and
then does what the test scripts: send ``100 Continue`` and read the body,
answer a final status at once without reading it, say nothing and read the
body whenever it comes (a server that ignores ``Expect``), refuse the
expectation with ``417``, or send other interim responses first. For every
request it records the head, the body it read, whether body bytes arrived
before it had answered the head, and what the client sent after an early
final answer (nothing, if the client withheld the body as it must).
"""

from __future__ import annotations

import base64
import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest
import requests
import urllib3

from requests_dav import AuthAdapter, Credentials
from requests_dav.transport.adapter import auth_result
from requests_dav.transport.expect import (
    URLLIB3_FUTURE,
    ExpectHTTPConnectionPool,
    ExpectPoolManager,
    ExpectResult,
    expect_result,
    wants_continue,
)

pytestmark = pytest.mark.skipif(
    URLLIB3_FUTURE,
    reason="urllib3-future: the adapter adds no Expect of its own (docs/adapter.rst)",
)

USER, PASSWORD = "alice", "s3cret"
GOOD = b"authorization: basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).lower()


@dataclass
class Record:
    """One request as the server saw it."""

    head: bytes
    body: bytes = b""
    early_bytes: int = 0  # body bytes that arrived before the server answered the head
    after_final: Optional[bytes] = None  # what the client sent after an early final answer
    connection: int = 0

    @property
    def expects(self) -> bool:
        return b"\r\nexpect: 100-continue" in self.head.lower()

    @property
    def authorized(self) -> bool:
        return GOOD in self.head.lower()

    @property
    def chunked(self) -> bool:
        return b"\r\ntransfer-encoding: chunked" in self.head.lower()


Mode = Callable[[Record], str]


def _read_head(conn: socket.socket, buffer: bytes) -> Tuple[Optional[bytes], bytes]:
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None, buffer
        buffer += data
    head, rest = buffer.split(b"\r\n\r\n", 1)
    return head, rest


def _need(conn: socket.socket, buffer: bytes, size: int) -> bytes:
    while len(buffer) < size:
        data = conn.recv(max(65536, size - len(buffer)))
        if not data:
            raise ConnectionError("client closed inside the body")
        buffer += data
    return buffer


def _read_body(conn: socket.socket, buffer: bytes, record: Record) -> Tuple[bytes, bytes]:
    """(body, what follows it), by the head's framing."""
    if record.chunked:
        parts: List[bytes] = []
        while True:
            while b"\r\n" not in buffer:
                buffer = _need(conn, buffer, len(buffer) + 1)
            line, buffer = buffer.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            buffer = _need(conn, buffer, size + 2)
            parts.append(buffer[:size])
            buffer = buffer[size + 2 :]
            if size == 0:
                return b"".join(parts), buffer
    length = 0
    for line in record.head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    buffer = _need(conn, buffer, length)
    return buffer[:length], buffer[length:]


def _response(status: str, body: bytes = b"", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body


class RawServer:
    """A scripted HTTP/1.1 server; ``mode(record)`` picks the behaviour per request.

    Modes: ``"continue"`` (100, then read the body, 201), ``"ignore"`` (no
    100; read the body whenever it comes, 201), ``"401"`` / ``"417"`` /
    ``"413"`` (that status at once, keep-alive; the body is not read),
    ``"102"`` (102 and 103 first, then as ``"continue"``).
    """

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.records: List[Record] = []
        self.connections = 0
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/dir/file.bin"
        self._threads: List[threading.Thread] = []
        accept = threading.Thread(target=self._serve, daemon=True)
        accept.start()

    def close(self) -> None:
        self.sock.close()
        for thread in self._threads:
            thread.join(5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            thread = threading.Thread(target=self._handle, args=(conn, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handle(self, conn: socket.socket, number: int) -> None:
        conn.settimeout(10)
        buffer = b""
        try:
            while True:
                head, buffer = _read_head(conn, buffer)
                if head is None:
                    return
                record = Record(head, connection=number)
                self.records.append(record)
                mode = self.mode(record)
                if mode != "ignore":
                    # a client that waits sends nothing more until it is answered
                    ready, _, _ = select.select([conn], [], [], 0.15)
                    if ready:
                        more = conn.recv(65536)
                        record.early_bytes = len(buffer) + len(more)
                        buffer += more
                    else:
                        record.early_bytes = len(buffer)
                if mode in ("401", "417", "413"):
                    challenge = 'WWW-Authenticate: Basic realm="raw"\r\n' if mode == "401" else ""
                    reason = {"401": "Unauthorized", "417": "Expectation Failed"}.get(
                        mode, "Content Too Large"
                    )
                    conn.sendall(_response(f"{mode} {reason}", b"refused", challenge))
                    if record.expects:
                        record.after_final = self._rest(conn, buffer)
                        return
                    _, buffer = _read_body(conn, buffer, record)
                    continue
                if mode == "102":
                    conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
                    conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
                if mode in ("continue", "102") and record.expects:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                record.body, buffer = _read_body(conn, buffer, record)
                conn.sendall(_response("201 Created", b"got %d" % len(record.body)))
        except OSError:
            return
        finally:
            conn.close()

    @staticmethod
    def _rest(conn: socket.socket, buffer: bytes) -> bytes:
        """Everything the client sends until it closes (it should send nothing)."""
        data = buffer
        conn.settimeout(3)
        try:
            while True:
                more = conn.recv(65536)
                if not more:
                    return data
                data += more
        except OSError:
            return data


@pytest.fixture
def serve() -> Iterator[Callable[[Mode], RawServer]]:
    servers: List[RawServer] = []

    def start(mode: Mode) -> RawServer:
        server = RawServer(mode)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


class Counting:
    """A generator body that counts the bytes pulled from it and its passes."""

    def __init__(self, size: int, chunk: int = 65536) -> None:
        self.size = size
        self.chunk = chunk
        self.pulled = 0
        self.passes = 0
        self.data = bytes(range(256)) * (size // 256 + 1)

    def __call__(self) -> Iterator[bytes]:
        self.passes += 1
        for start in range(0, self.size, self.chunk):
            piece = self.data[start : min(start + self.chunk, self.size)]
            self.pulled += len(piece)
            yield piece

    @property
    def bytes(self) -> bytes:
        return self.data[: self.size]


def session(url: str, **kwargs: Any) -> requests.Session:
    credentials = Credentials()
    credentials.add(url.rsplit("/", 2)[0] + "/", USER, PASSWORD)
    kwargs.setdefault("expect_continue", None)  # over max_replay_bytes or unknown length
    s = requests.Session()
    s.trust_env = False
    s.mount("http://", AuthAdapter(credentials, **kwargs))
    return s


def challenge_then_continue(record: Record) -> str:
    return "continue" if record.authorized else "401"


# -- the connection on its own --------------------------------------------------------------


def test_wants_continue_reads_the_header_case_insensitively() -> None:
    assert wants_continue({"expect": "100-Continue"})
    assert wants_continue({"Expect": "100-continue"})
    assert not wants_continue({"Expect": "something-else"})
    assert not wants_continue({})
    assert not wants_continue(None)


def test_continue_sends_the_body_after_the_interim_response(serve: Any) -> None:
    server = serve(lambda r: "continue")
    pool = ExpectHTTPConnectionPool("127.0.0.1", server.port)
    data = b"x" * 100_000
    response = pool.urlopen("PUT", "/a", body=data, headers={"Expect": "100-continue"})
    assert response.status == 201 and response.data == b"got 100000"
    result = expect_result(response)
    assert result is not None and result.outcome == "continue" and result.body_sent
    assert result.status == 100
    (record,) = server.records
    assert record.early_bytes == 0  # the client waited for 100
    assert record.body == data


def test_an_early_final_response_is_the_response_and_the_body_is_not_sent(serve: Any) -> None:
    server = serve(lambda r: "401")
    pool = ExpectHTTPConnectionPool("127.0.0.1", server.port)
    pulled: List[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(10):
            pulled.append(1)
            yield b"y" * 1000

    response = pool.urlopen(
        "PUT", "/a", body=body(), headers={"Expect": "100-continue"}, chunked=True
    )
    assert response.status == 401 and response.data == b"refused"
    assert response.headers["WWW-Authenticate"] == 'Basic realm="raw"'
    result = expect_result(response)
    assert result == ExpectResult("final", False, 401, result.waited)
    assert pulled == []  # the body was never read
    (record,) = server.records
    assert record.chunked
    deadline = time.monotonic() + 5
    while record.after_final is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # not a byte of body, not even the chunked terminator, and the client closed
    assert record.after_final == b""
    # the next request goes out on a fresh connection
    second = pool.urlopen("PUT", "/b", body=b"z", headers={"Expect": "100-continue"})
    assert second.status == 401
    assert server.connections == 2


def test_silence_sends_the_body_after_the_timeout(serve: Any) -> None:
    server = serve(lambda r: "ignore")
    manager = ExpectPoolManager(expect_timeout=0.3)
    response = manager.urlopen(
        "PUT", server.url, body=b"q" * 5000, headers={"Expect": "100-continue"}
    )
    assert response.status == 201 and response.data == b"got 5000"
    result = expect_result(response)
    assert result is not None and result.outcome == "timeout" and result.body_sent
    assert 0.25 <= result.waited < 2


def test_other_interim_responses_are_skipped(serve: Any) -> None:
    server = serve(lambda r: "102")
    pool = ExpectHTTPConnectionPool("127.0.0.1", server.port)
    response = pool.urlopen("PUT", "/a", body=b"abc", headers={"Expect": "100-continue"})
    assert response.status == 201 and response.data == b"got 3"
    result = expect_result(response)
    assert result is not None and result.outcome == "continue"
    assert server.records[0].body == b"abc"


def test_requests_without_expect_are_urllib3s_own(serve: Any) -> None:
    server = serve(lambda r: "continue")
    pool = ExpectHTTPConnectionPool("127.0.0.1", server.port)
    response = pool.urlopen("PUT", "/a", body=b"abc")
    assert response.status == 201
    assert expect_result(response) is None
    assert not server.records[0].expects


def test_the_pool_managers_use_their_own_classes_only() -> None:
    manager = ExpectPoolManager()
    pool = manager.connection_from_url("http://127.0.0.1:9/")
    assert isinstance(pool, ExpectHTTPConnectionPool)
    assert urllib3.PoolManager().pool_classes_by_scheme["http"] is urllib3.HTTPConnectionPool


# -- through the adapter --------------------------------------------------------------------


def test_a_challenge_before_the_body_costs_no_body_bytes(serve: Any) -> None:
    server = serve(challenge_then_continue)
    body = Counting(3 * 65536 + 17)
    s = session(server.url, max_replay_bytes=1024)  # far below the body: not replayable
    response = s.put(server.url, data=body(), timeout=10)
    assert response.status_code == 201, response.text
    result = auth_result(response)
    assert result is not None and result.outcome == "ok"
    assert [r.status_code for r in response.history] == [401]
    first = expect_result(response.history[0])
    assert first is not None and not first.body_sent
    last = expect_result(response)
    assert last is not None and last.outcome == "continue"
    assert body.pulled == body.size and body.passes == 1  # pulled once, whole
    challenged, stored = server.records
    assert challenged.expects and stored.expects and stored.authorized
    assert challenged.early_bytes == 0 and challenged.after_final == b""
    assert stored.early_bytes == 0 and stored.body == body.bytes
    assert challenged.connection != stored.connection


def test_a_known_length_body_over_the_threshold_waits_too(serve: Any) -> None:
    server = serve(challenge_then_continue)
    data = b"k" * 50_000
    s = session(server.url, expect_continue=10_000)
    response = s.put(server.url, data=data, timeout=10)
    assert response.status_code == 201
    assert [r.expects for r in server.records] == [True, True]
    assert server.records[0].early_bytes == 0 and server.records[1].body == data


@pytest.mark.parametrize(
    ("option", "size", "generator", "expected"),
    [
        (None, 1000, False, False),  # default: known length under max_replay_bytes
        (None, 2 << 20, False, True),  # default: over max_replay_bytes (1 MiB)
        (None, 1000, True, True),  # default: unknown length
        (5000, 1000, False, False),
        (5000, 6000, False, True),
        (True, 10, False, True),
        (False, 2 << 20, False, False),
        (False, 1000, True, False),
    ],
)
def test_which_bodies_get_expect(
    serve: Any, option: Any, size: int, generator: bool, expected: bool
) -> None:
    server = serve(lambda r: "continue")
    s = session(server.url, expect_continue=option)
    data = b"e" * size
    body: Any = iter([data]) if generator else data
    response = s.put(server.url, data=body, timeout=10)
    assert response.status_code == 201
    (record,) = server.records
    assert record.expects is expected
    assert record.body == data


def test_no_expect_without_content(serve: Any) -> None:
    server = serve(lambda r: "continue")
    s = session(server.url, expect_continue=True)
    assert s.put(server.url, data=b"", timeout=10).status_code == 201
    assert s.get(server.url, timeout=10).status_code == 201
    assert [r.expects for r in server.records] == [False, False]


def test_417_is_retried_without_expect_and_the_peer_remembered(serve: Any) -> None:
    server = serve(lambda r: "417" if r.expects else "continue")
    body = Counting(200_000)
    s = session(server.url, max_replay_bytes=1024)
    response = s.put(server.url, data=body(), timeout=10)
    assert response.status_code == 201
    assert [r.status_code for r in response.history] == [417]
    assert body.pulled == body.size and body.passes == 1  # the 417 came before the body
    assert server.records[1].body == body.bytes and not server.records[1].expects
    again = s.put(server.url, data=iter([b"more"]), timeout=10)
    assert again.status_code == 201 and again.history == []
    assert not server.records[2].expects


def test_a_server_that_ignores_expect_gets_the_body_after_the_timeout(serve: Any) -> None:
    server = serve(lambda r: "ignore")
    s = session(server.url, expect_timeout=0.2)
    start = time.monotonic()
    response = s.put(server.url, data=iter([b"a" * 1000, b"b" * 1000]), timeout=10)
    assert response.status_code == 201
    assert 0.15 <= time.monotonic() - start < 5
    result = expect_result(response)
    assert result is not None and result.outcome == "timeout"
    assert server.records[0].body == b"a" * 1000 + b"b" * 1000
    # the peer ignores the expectation: its later bodies go at once, without Expect
    again = s.put(server.url, data=iter([b"c" * 1000]), timeout=10)
    assert again.status_code == 201 and expect_result(again) is None
    assert not server.records[1].expects and server.records[1].body == b"c" * 1000


def test_an_expect_header_the_caller_sets_is_honoured_even_for_a_silent_peer(serve: Any) -> None:
    server = serve(lambda r: "ignore")
    s = session(server.url, expect_timeout=0.2)
    headers = {"Expect": "100-continue"}
    for _ in range(2):
        response = s.put(server.url, data=b"x" * 100, headers=headers, timeout=10)
        result = expect_result(response)
        assert result is not None and result.outcome == "timeout"
    assert all(record.expects for record in server.records)


def test_a_final_refusal_comes_back_with_the_body_unsent(serve: Any) -> None:
    server = serve(lambda r: "413")
    body = Counting(100_000)
    s = session(server.url)
    response = s.put(server.url, data=body(), timeout=10)
    assert response.status_code == 413 and response.content == b"refused"
    assert body.pulled == 0
    result = expect_result(response)
    assert result is not None and result.outcome == "final" and not result.body_sent


def test_by_default_bodies_over_the_replay_limit_or_of_unknown_length_wait(serve: Any) -> None:
    server = serve(lambda r: "continue")
    credentials = Credentials()
    credentials.add(server.url, USER, PASSWORD)
    s = requests.Session()
    s.trust_env = False
    s.mount("http://", AuthAdapter(credentials, max_replay_bytes=1000))
    for body in (b"s" * 1000, b"l" * 1001, iter([b"u"])):
        assert s.put(server.url, data=body, timeout=10).status_code == 201
    assert [r.expects for r in server.records] == [False, True, True]


def test_options_are_checked() -> None:
    with pytest.raises(ValueError):
        AuthAdapter(expect_continue=-1)
    with pytest.raises(TypeError):
        AuthAdapter(expect_continue="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AuthAdapter(expect_timeout=0)
    adapter = AuthAdapter(expect_continue=4096, expect_timeout=0.5)
    assert adapter.expect_continue == 4096 and adapter.expect_timeout == 0.5
    assert isinstance(adapter.poolmanager, ExpectPoolManager)
    assert adapter.poolmanager.expect_timeout == 0.5


def test_davsession_passes_the_options_on() -> None:
    from requests_dav.dav import DAVSession

    dav = DAVSession("http://127.0.0.1:9/", expect_continue=False, expect_timeout=2.5)
    assert dav.adapter.expect_continue is False and dav.adapter.expect_timeout == 2.5
