"""A loopback TCP relay in front of a real server that rewrites response header blocks.

For what a real server cannot be made to send: mod_auth_gssapi always signs its final
Negotiate token correctly, so a test that needs a tampered or missing one puts this relay
between the client and Apache. Every client connection gets its own upstream connection
and carries one exchange: the relay sets `Connection: close` on the request, passes the
request bytes on untouched otherwise, hands each response head (a `100 Continue` first,
if any, then the final one) to `rewrite`, and relays the body as it comes.

Only 127.0.0.1 is bound or connected to.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from typing import Callable

from .common import HOST

Rewrite = Callable[[bytes], bytes]

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024


def _read_head(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """Bytes up to and including the blank line that ends a head; the rest stays in buffer."""
    while _HEAD_END not in buffer:
        if len(buffer) > _MAX_HEAD:
            return None
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(_HEAD_END) + len(_HEAD_END)
    head = bytes(buffer[:end])
    del buffer[:end]
    return head


def _close_after(head: bytes) -> bytes:
    """The request head with its Connection header replaced by `Connection: close`."""
    lines = head[: -len(_HEAD_END)].split(b"\r\n")
    kept = [line for line in lines if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*kept, b"Connection: close"]) + _HEAD_END


def _pipe(source: socket.socket, target: socket.socket, buffer: bytearray) -> None:
    if buffer:
        target.sendall(bytes(buffer))
        buffer.clear()
    while True:
        chunk = source.recv(65536)
        if not chunk:
            return
        target.sendall(chunk)


class HeaderRewritingRelay:
    """`http://localhost:<port>` relaying to 127.0.0.1:`upstream_port`; see the module doc."""

    def __init__(self, upstream_port: int, rewrite: Rewrite) -> None:
        self.upstream_port = upstream_port
        self.rewrite = rewrite
        self._listener = socket.create_server((HOST, 0))
        self.port = int(self._listener.getsockname()[1])
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="header-relay", daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}/{path.lstrip('/')}"

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> HeaderRewritingRelay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._exchange, args=(client,), daemon=True).start()

    def _exchange(self, client: socket.socket) -> None:
        with client, socket.create_connection((HOST, self.upstream_port)) as upstream:
            requests = threading.Thread(target=self._requests, args=(client, upstream), daemon=True)
            requests.start()
            with contextlib.suppress(OSError):
                self._responses(upstream, client)
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                upstream.shutdown(socket.SHUT_RDWR)
            requests.join(5)

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        buffer = bytearray()
        with contextlib.suppress(OSError):
            head = _read_head(client, buffer)
            if head is None:
                return
            upstream.sendall(_close_after(head))
            _pipe(client, upstream, buffer)

    def _responses(self, upstream: socket.socket, client: socket.socket) -> None:
        buffer = bytearray()
        while True:
            head = _read_head(upstream, buffer)
            if head is None:
                return
            client.sendall(self.rewrite(head))
            if not re.match(rb"HTTP/1\.[01] 1\d\d ", head):
                break
        _pipe(upstream, client, buffer)


def negotiate_token_rewriter(change: Callable[[bytes], bytes | None]) -> Rewrite:
    """A rewrite of 2xx heads: `change(token)` gives the new token, or None to drop the header.

    Only `WWW-Authenticate: Negotiate <token>` lines of non-401 responses are touched.
    """
    import base64

    def rewrite(head: bytes) -> bytes:
        if re.match(rb"HTTP/1\.[01] (1\d\d|401) ", head):
            return head
        out = []
        for line in head[: -len(_HEAD_END)].split(b"\r\n"):
            name, _, value = line.partition(b":")
            scheme, _, token = value.strip().partition(b" ")
            if name.strip().lower() == b"www-authenticate" and scheme.lower() == b"negotiate":
                new = change(base64.b64decode(token)) if token else None
                if new is None:
                    continue
                line = b"WWW-Authenticate: Negotiate " + base64.b64encode(new)
            out.append(line)
        return b"\r\n".join(out) + _HEAD_END

    return rewrite
