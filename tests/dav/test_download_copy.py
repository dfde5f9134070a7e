"""A download into a file path reads an unencoded body with a Content-Length straight from the
connection into one reused buffer (``transfers._copy_into_file``); it must give exactly what
the general path (``iter_content``, used for a file object) gives: the same bytes, progress,
errors for a truncated body, and a connection back in the pool. Any other body takes the
general path: a ``Content-Encoding`` (decoded a chunk at a time, a bomb stays bounded) or a
chunked one. A scripted HTTP/1.1 server on 127.0.0.1 answers, so that the real urllib3 and
``http.client`` objects are read (``responses`` would hand in a ``BytesIO``)."""

from __future__ import annotations

import gzip
import io
import socket
import threading
import tracemalloc
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from requests_dav import DAVSession
from requests_dav.dav.transfers import (
    DOWNLOAD_CHUNK,
    RESERVE_FROM,
    TransferMethods,
    partial_path,
)

#: what the server sends for a path: the response head's extra lines, the body, and whether
#: it then closes the connection (without sending the rest of a too-short body)
Answer = Tuple[Dict[str, str], bytes, bool]


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
        pending = b""
        with client:
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
                client.sendall("\r\n".join(lines).encode() + b"\r\n\r\n" + body)
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
