"""A hostile WebDAV server for the tests of issue 11, and a listener that only records.

:class:`HostileServer` is a tiny :mod:`http.server` on ``127.0.0.1`` whose every answer is
written by a function the test installs (``server.respond = fn``; ``fn(handler)`` writes the
whole response with :func:`send` or :func:`send_chunked`), so a test can send what no real
server would: hrefs on another origin, decompression bombs, endless bodies.

:class:`Recorder` is a second loopback listener that accepts connections and keeps every
byte it receives: the tests assert it received nothing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, List, Mapping, Optional, Tuple

Responder = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's ``respond`` function."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.server.owner.requests.append((self.command, self.path, dict(self.headers)))
        try:
            self.server.owner.respond(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading: what the test wants

    do_GET = do_HEAD = do_OPTIONS = do_PROPFIND = do_REPORT = do_PROPPATCH = _any
    do_PUT = do_DELETE = do_MKCOL = do_COPY = do_MOVE = do_LOCK = do_UNLOCK = _any

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()  # a client may give up on a hostile answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """``with HostileServer() as server:`` ``server.url`` is ``http://127.0.0.1:PORT/``."""

    def __init__(self) -> None:
        self.requests: List[Tuple[str, str, Mapping[str, str]]] = []
        self.respond: Responder = lambda handler: send(handler, 404, {}, b"")
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class Recorder:
    """A loopback listener that accepts and records; ``received`` is every byte sent to it."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.5)
                try:
                    while data := conn.recv(65536):
                        self.received += data
                except OSError:
                    pass

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def send(handler: Handler, status: int, headers: Mapping[str, str], body: bytes) -> None:
    """A whole response with Content-Length."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def send_chunked(
    handler: Handler, status: int, headers: Mapping[str, str], chunks: Iterable[bytes]
) -> None:
    """A chunked response (RFC 9112 section 7.1); ``chunks`` may be endless."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for chunk in chunks:
        if chunk:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    handler.wfile.write(b"0\r\n\r\n")


def multistatus(*responses: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">'
        + "".join(responses)
        + "</D:multistatus>"
    ).encode()


def response(href: str, collection: bool = False) -> str:
    kind = "<D:collection/>" if collection else ""
    return (
        f"<D:response><D:href>{href}</D:href><D:propstat><D:prop>"
        f"<D:resourcetype>{kind}</D:resourcetype></D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )


def gzip_bomb(inflated_gib: int = 10) -> bytes:
    """A ``Content-Encoding: gzip, gzip`` body that inflates to ``inflated_gib`` GiB of zeros.

    The inner gzip member is built without compressing the gigabytes: after a full flush
    the deflate state starts afresh, so every MiB of zeros compresses to the same bytes,
    which are repeated (the trailer's CRC is not that of the zeros; a reader that stops
    early never checks it). The outer layer compresses those repeats to about 16 KiB.
    """
    mib = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = inflated_gib << 10
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [outer.compress(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first)]
    block = repeat * 64
    for _ in range((count - 1) // 64):
        parts.append(outer.compress(block))
    parts.append(outer.compress(repeat * ((count - 1) % 64)))
    tail = compressor.flush(zlib.Z_FINISH) + (0).to_bytes(4, "little") + (0).to_bytes(4, "little")
    parts.append(outer.compress(tail))
    parts.append(outer.flush())
    return b"".join(parts)


def endless(piece: bytes, head: bytes = b"", limit: Optional[int] = None) -> Iterable[bytes]:
    """``head``, then ``piece`` forever (or ``limit`` times)."""
    if head:
        yield head
    sent = 0
    while limit is None or sent < limit:
        yield piece
        sent += 1


__all__ = [
    "HostileServer",
    "Recorder",
    "endless",
    "gzip_bomb",
    "multistatus",
    "response",
    "send",
    "send_chunked",
]
