"""A download into a file path reads an unencoded body with a Content-Length straight from the
connection into one reused buffer (``transfers._copy_into_file``), a large one from a plain
socket into the file inside the kernel (``splice``, ``transfers._splice_part``); it must give
exactly what
the general path (``iter_content``, used for a file object) gives: the same bytes, progress,
errors for a truncated body, and a connection back in the pool. Any other body takes the
general path: a ``Content-Encoding`` (decoded a chunk at a time, a bomb stays bounded) or a
chunked one. A scripted HTTP/1.1 server on 127.0.0.1 answers, so that the real urllib3 and
``http.client`` objects are read (``responses`` would hand in a ``BytesIO``)."""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import os
import socket
import ssl
import stat
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from requests_dav import DAVSession
from requests_dav.dav import splicing
from requests_dav.dav.transfers import (
    DOWNLOAD_CHUNK,
    RESERVE_FROM,
    SPLICE_FROM,
    TransferMethods,
    partial_path,
)

#: splice(2) is there: a large body into a path goes socket -> pipe -> file
SPLICES = hasattr(os, "splice") and sys.platform.startswith("linux")
needs_splice = pytest.mark.skipif(
    not SPLICES or hasattr(urllib3, "HttpVersion"), reason="no splice(2) or not http.client"
)

#: what the server sends for a path: the response head's extra lines, the body, and whether
#: it then closes the connection (without sending the rest of a too-short body). A body given
#: as a list is sent in pieces after the head, a moment apart; a None piece stalls the
#: response (nothing more is sent) until the client closes the connection
Answer = Tuple[Dict[str, str], Union[bytes, List[Optional[bytes]]], bool]


class ScriptedServer:
    """HTTP/1.1 with keep-alive; ``answers[path]`` says what a GET of ``path`` gets."""

    def __init__(self) -> None:
        self.answers: Dict[str, Callable[[], Answer]] = {}
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):  # a client that gave up resets
            self._answer(client)

    def _answer(self, client: socket.socket) -> None:
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                data = client.recv(65536)
                if not data:
                    return
                pending += data
            head, pending = pending.split(b"\r\n\r\n", 1)
            path = head.split(b" ")[1].decode()
            headers, body, close = self.answers[path]()
            lines = ["HTTP/1.1 200 OK", *(f"{k}: {v}" for k, v in headers.items())]
            head = "\r\n".join(lines).encode() + b"\r\n\r\n"
            if isinstance(body, bytes):
                client.sendall(head + body)
            else:
                client.sendall(head)
                for piece in body:
                    time.sleep(0.02)
                    if piece is None:
                        client.settimeout(30)
                        with contextlib.suppress(OSError):
                            client.recv(1)
                        return
                    client.sendall(piece)
            if close:
                return

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    bed = ScriptedServer()
    yield bed
    bed.close()


def _plain(body: bytes, length: Optional[int] = None) -> Callable[[], Answer]:
    size = len(body) if length is None else length
    headers = {"Content-Length": str(size), "ETag": '"v1"'}
    return lambda: (headers, body, length is not None)


def _general_path(dav: DAVSession, path: str) -> Tuple[bytes, List[int]]:
    """The bytes and progress the general path gives (a file object is never read raw)."""
    seen: List[int] = []
    out = io.BytesIO()
    dav.download(path, out, progress=lambda done, _total: seen.append(done))
    return out.getvalue(), seen


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(0, 3 * DOWNLOAD_CHUNK + 10))
@example(size=1)
@example(size=DOWNLOAD_CHUNK - 1)
@example(size=DOWNLOAD_CHUNK)
@example(size=DOWNLOAD_CHUNK + 1)
@example(size=2 * DOWNLOAD_CHUNK)
def test_the_raw_copy_gives_what_the_general_path_gives(
    server: ScriptedServer, tmp_path: Path, size: int
) -> None:
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    server.answers["/same"] = _plain(body)
    target = tmp_path / f"same-{size}"
    seen: List[Tuple[int, Optional[int]]] = []
    with DAVSession(server.url) as dav:
        written = dav.download("same", target, progress=lambda d, t: seen.append((d, t)))
        general, general_seen = _general_path(dav, "same")
    assert target.read_bytes() == body == general
    assert written == size
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == general_seen[-1]
    assert not Path(partial_path(target)).exists()


@pytest.mark.skipif(
    hasattr(urllib3, "HttpVersion"),
    reason="urllib3-future: its response is not http.client's, the general path is taken",
)
def test_an_unencoded_body_with_a_length_is_read_raw(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def general(*args: object, **kwargs: object) -> int:
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(TransferMethods, "_copy_body", staticmethod(general))
    body = b"x" * (DOWNLOAD_CHUNK * 2 + 5)
    server.answers["/raw"] = _plain(body)
    with DAVSession(server.url) as dav:
        assert dav.download("raw", tmp_path / "raw") == len(body)
    assert (tmp_path / "raw").read_bytes() == body


def test_a_complete_raw_copy_returns_its_connection_to_the_pool(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.answers["/keep"] = _plain(b"k" * (DOWNLOAD_CHUNK + 3))
    with DAVSession(server.url) as dav:
        before = server.connections
        for index in range(4):
            dav.download("keep", tmp_path / f"keep{index}")
        assert server.connections - before == 1


def test_a_truncated_body_raises_as_the_general_path_does_and_is_never_complete(
    server: ScriptedServer, tmp_path: Path
) -> None:
    body = b"t" * (DOWNLOAD_CHUNK + 100)
    server.answers["/short"] = _plain(body, length=len(body) * 2)
    target = tmp_path / "short"
    with DAVSession(server.url) as dav:
        with pytest.raises(requests.exceptions.ChunkedEncodingError) as raw:
            dav.download("short", target)
        with pytest.raises(requests.exceptions.ChunkedEncodingError) as general:
            dav.download("short", io.BytesIO())
        # the next request gets a fresh connection, not the broken one
        server.answers["/after"] = _plain(b"fine")
        assert dav.download("after", tmp_path / "after") == 4
    assert str(raw.value) == str(general.value)
    assert "IncompleteRead" in str(raw.value)
    assert not target.exists()
    # the server sent a validator: what arrived is kept for resume=True, a prefix of the body
    assert body.startswith(Path(partial_path(target)).read_bytes())


def test_blocks_reserved_ahead_leave_a_partial_file_the_size_of_what_arrived(
    server: ScriptedServer, tmp_path: Path
) -> None:
    """The large body's blocks are allocated up front (``fallocate`` keeping the size): the
    partial file of a cut download must still be as long as what arrived, since
    ``resume=True`` continues from its size."""
    arrived = b"r" * (3 * RESERVE_FROM + 17)
    server.answers["/cut"] = _plain(arrived, length=8 * RESERVE_FROM)
    target = tmp_path / "cut"
    with DAVSession(server.url) as dav, pytest.raises(requests.exceptions.ChunkedEncodingError):
        dav.download("cut", target)
    partial = Path(partial_path(target))
    assert partial.stat().st_size == len(partial.read_bytes())
    assert arrived.startswith(partial.read_bytes())
    assert partial.stat().st_size >= len(arrived) - DOWNLOAD_CHUNK
    assert not target.exists()


@pytest.mark.parametrize("kind", ["gzip", "chunked"])
def test_an_encoded_or_chunked_body_takes_the_general_path(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    calls: List[int] = []
    general = TransferMethods._copy_body

    def counted(*args: object, **kwargs: object) -> int:
        calls.append(1)
        return general(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(TransferMethods, "_copy_body", staticmethod(counted))
    body = b"abc" * 100_000
    if kind == "gzip":
        packed = gzip.compress(body)
        headers = {"Content-Length": str(len(packed)), "Content-Encoding": "gzip"}
        server.answers["/other"] = lambda: (headers, packed, False)
    else:
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 65536]), body[i : i + 65536])
            for i in range(0, len(body), 65536)
        )
        encoded = chunks + b"0\r\n\r\n"
        server.answers["/other"] = lambda: ({"Transfer-Encoding": "chunked"}, encoded, False)
    with DAVSession(server.url) as dav:
        assert dav.download("other", tmp_path / "other") == len(body)
    assert (tmp_path / "other").read_bytes() == body
    assert calls == [1]


def test_a_gzip_bomb_downloaded_into_a_path_stays_a_chunk_in_memory(
    server: ScriptedServer, tmp_path: Path
) -> None:
    inflated = 64 << 20
    packed = gzip.compress(bytes(inflated), compresslevel=9)
    assert len(packed) < inflated // 500
    headers = {"Content-Length": str(len(packed)), "Content-Encoding": "gzip"}
    server.answers["/bomb"] = lambda: (headers, packed, False)
    with DAVSession(server.url) as dav:
        tracemalloc.start()
        try:
            assert dav.download("bomb", tmp_path / "bomb") == inflated
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < len(packed) + 8 * DOWNLOAD_CHUNK


class _TimedSession(DAVSession):
    """Every request with a read timeout: a copy that miscounts the body fails, not hangs."""

    timeout = 5.0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class _ImpatientSession(_TimedSession):
    timeout = 0.4


def _pieces(body: bytes, parts: int) -> List[Optional[bytes]]:
    step = max(1, len(body) // parts)
    return [body[i : i + step] for i in range(0, len(body), step)]


@needs_splice
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(SPLICE_FROM - 2, SPLICE_FROM + 3 * splicing.PIPE_SIZE + 10),
    parts=st.sampled_from([0, 1, 3]),
)
@example(size=SPLICE_FROM, parts=0)
@example(size=SPLICE_FROM + 1, parts=1)
@example(size=SPLICE_FROM + splicing.PIPE_SIZE, parts=3)
def test_a_spliced_body_gives_what_the_general_path_gives(
    server: ScriptedServer, tmp_path: Path, size: int, parts: int
) -> None:
    """Sent with its head (part of the body in ``http.client``'s buffer) or after it, in
    pieces (the buffer holds none of it, the splices see short reads)."""
    body = bytes(range(251)) * (size // 251) + bytes(size % 251)
    headers = {"Content-Length": str(size), "ETag": '"v1"'}
    sent: Union[bytes, List[Optional[bytes]]] = _pieces(body, parts) if parts else body
    server.answers["/spliced"] = lambda: (headers, sent, False)
    target = tmp_path / f"spliced-{size}-{parts}"
    seen: List[Tuple[int, Optional[int]]] = []
    with _TimedSession(server.url) as dav:
        before = server.connections
        written = dav.download("spliced", target, progress=lambda d, t: seen.append((d, t)))
        general, general_seen = _general_path(dav, "spliced")
        assert server.connections - before == 1  # the spliced response's connection came back
    assert written == size
    assert target.read_bytes() == body == general
    assert seen[0] == (0, size) and seen[-1] == (size, size) == (general_seen[-1], size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not Path(partial_path(target)).exists()


def _counting_splice(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    calls: List[int] = []
    real = splicing._SPLICE
    assert real is not None

    def counted(source: int, target: int, count: int) -> int:
        moved = real(source, target, count)
        calls.append(moved)
        return moved

    monkeypatch.setattr(splicing, "_SPLICE", counted)
    return calls


@needs_splice
def test_a_large_body_into_a_path_is_spliced_and_a_small_one_is_not(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_splice(monkeypatch)
    large, small = b"L" * (2 * SPLICE_FROM), b"s" * (SPLICE_FROM - 1)
    server.answers["/large"] = _plain(large)
    server.answers["/small"] = _plain(small)
    with _TimedSession(server.url) as dav:
        assert dav.download("small", tmp_path / "small") == len(small)
        assert calls == []
        assert dav.download("large", tmp_path / "large") == len(large)
    assert sum(calls) >= 2 * (len(large) - 64 * 1024)  # socket -> pipe and pipe -> file
    assert (tmp_path / "large").read_bytes() == large


@needs_splice
def test_a_spliced_body_cut_short_fails_as_the_general_path_and_is_never_complete(
    server: ScriptedServer, tmp_path: Path
) -> None:
    """A server sending fewer bytes than its Content-Length: requests' ChunkedEncodingError
    with the general path's message; the preallocated partial file as long as what arrived
    and a prefix of the body; no file under the final name; a fresh connection next."""
    body = bytes(range(256)) * (3 * SPLICE_FROM // 256) + b"end"
    server.answers["/cut"] = _plain(body, length=len(body) + 5 * SPLICE_FROM)
    target = tmp_path / "cut"
    with _TimedSession(server.url) as dav:
        with pytest.raises(requests.exceptions.ChunkedEncodingError) as spliced:
            dav.download("cut", target)
        with pytest.raises(requests.exceptions.ChunkedEncodingError) as general:
            dav.download("cut", io.BytesIO())
        server.answers["/after"] = _plain(b"fine")
        assert dav.download("after", tmp_path / "after") == 4
    assert str(spliced.value) == str(general.value)
    assert "IncompleteRead" in str(spliced.value)
    assert not target.exists()
    partial = Path(partial_path(target))
    assert partial.stat().st_size == len(body) == len(partial.read_bytes())
    assert partial.read_bytes() == body


@needs_splice
def test_a_stalled_spliced_body_times_out_as_the_general_path_does(
    server: ScriptedServer, tmp_path: Path
) -> None:
    body = b"w" * (SPLICE_FROM + 3 * splicing.PIPE_SIZE)
    headers = {"Content-Length": str(len(body) * 2)}  # no validator: nothing is kept
    server.answers["/stall"] = lambda: (headers, [body, None], False)
    target = tmp_path / "stall"
    with _ImpatientSession(server.url) as dav:
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ConnectionError) as spliced:
            dav.download("stall", target)
        assert time.monotonic() - started < 10
        with pytest.raises(requests.exceptions.ConnectionError) as general:
            dav.download("stall", io.BytesIO())
    assert "Read timed out" in str(spliced.value)
    assert str(spliced.value) == str(general.value)
    assert not target.exists() and not Path(partial_path(target)).exists()


@needs_splice
@pytest.mark.parametrize("refused", ["socket", "file", "file-later"])
def test_where_splice_is_refused_the_download_reads_on_and_is_whole(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: str
) -> None:
    """A sandbox refusing splice(2) for the socket, or a file system refusing splice writes
    (at once, or after some bytes went through): the bytes already in the pipe are written,
    the rest read as without splicing."""
    real = splicing._SPLICE
    assert real is not None
    files: List[int] = []

    def picky(source: int, target: int, count: int) -> int:
        if _is_socket(source):
            if refused == "socket":
                raise OSError(errno.EINVAL, "Invalid argument")
        else:
            files.append(count)
            if len(files) == {"socket": 0, "file": 1, "file-later": 3}[refused]:
                raise OSError(errno.EINVAL, "Invalid argument")
        return real(source, target, count)

    monkeypatch.setattr(splicing, "_SPLICE", picky)
    body = bytes(range(256)) * (2 * SPLICE_FROM // 256) + b"tail"
    server.answers["/picky"] = _plain(body)
    with _TimedSession(server.url) as dav:
        before = server.connections
        assert dav.download("picky", tmp_path / "picky") == len(body)
        assert dav.download("picky", tmp_path / "again") == len(body)
        assert server.connections - before == 1
    assert (tmp_path / "picky").read_bytes() == body == (tmp_path / "again").read_bytes()


def _is_socket(descriptor: int) -> bool:
    return stat.S_ISSOCK(os.fstat(descriptor).st_mode)


@needs_splice
def test_a_file_error_while_splicing_is_the_file_error_not_a_connection_error(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = splicing._SPLICE
    assert real is not None

    def full(source: int, target: int, count: int) -> int:
        if not _is_socket(source):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target, count)

    monkeypatch.setattr(splicing, "_SPLICE", full)
    server.answers["/full"] = _plain(b"f" * (2 * SPLICE_FROM))
    with _TimedSession(server.url) as dav, pytest.raises(OSError) as failed:
        dav.download("full", tmp_path / "full")
    assert failed.value.errno == errno.ENOSPC
    assert not isinstance(failed.value, requests.exceptions.RequestException)
    assert not (tmp_path / "full").exists()


def test_no_splicer_for_tls_sockets_unix_sockets_or_files_opened_to_append(
    tmp_path: Path,
) -> None:
    with open(tmp_path / "plain", "wb") as plain, open(tmp_path / "log", "ab") as log:
        tcp = socket.socket()
        unix = socket.socket(socket.AF_UNIX)
        wrapped = ssl.create_default_context().wrap_socket(
            socket.socket(), server_hostname="localhost", do_handshake_on_connect=False
        )
        try:
            assert splicing.splicer(unix, plain.fileno()) is None
            assert splicing.splicer(wrapped, plain.fileno()) is None
            assert splicing.splicer(tcp, log.fileno()) is None
            assert splicing.splicer(object(), plain.fileno()) is None
            made = splicing.splicer(tcp, plain.fileno())
            assert (made is not None) == SPLICES
            if made is not None:
                made.close()
        finally:
            for sock in (tcp, unix, wrapped):
                sock.close()
