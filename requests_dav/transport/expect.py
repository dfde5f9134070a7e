"""``Expect: 100-continue`` for urllib3 connections (RFC 9110 section 10.1.1, 15.2.1).

urllib3 (and http.client under it) write a request's head and body in one go
and only then read the answer; a ``100 Continue`` that arrives is skipped
when the final response is read. A client that sends ``Expect: 100-continue``
is meant to wait for that interim response before it sends the body, so that
a server which refuses the request (``401``, ``407``, ``413`` ...) can say so
before the body goes out (RFC 9110 section 10.1.1, "Requirements for
clients"). The connections here do that, for requests whose headers carry
``Expect: 100-continue`` and that have content; any other request goes
through urllib3's own code unchanged:

1. the head is sent (urllib3's own framing: ``Content-Length`` or chunked);
2. the connection waits at most ``expect_timeout`` seconds for the server's
   first answer; other informational (1xx) responses are skipped;
3. ``100 Continue``: the body is sent and the final response read as usual;
   no answer in time (a server that ignores ``Expect``, RFC 9110 allows a
   client to stop waiting): the body is sent as usual;
4. a final status (``401``, ``407``, ``417`` or any other): the body is
   **not** sent. That response becomes the response to the request, handed
   to urllib3 by :meth:`ExpectContinueMixin.getresponse` as if it had
   followed a whole request, and the connection is closed once it has been
   read: the server either closes too or waits for a body it would read and
   discard (RFC 9110 section 10.1.1), and never getting one it would take
   the next request as that body. The retry goes out on a fresh connection.

Every response to such a request carries an :class:`ExpectResult` as its
``expect_result`` attribute (:data:`EXPECT_RESULT_ATTRIBUTE`; with requests,
``response.raw.expect_result``): what came back while waiting and whether
the body was sent. Because the body of a withheld request is never read, a
generator body is still untouched when the request goes again.

Nothing in urllib3 is patched: the adapter installs these classes on its own
pool managers (:class:`ExpectPoolManager`, and the proxy manager of
:mod:`requests_dav.transport.proxy`, whose tunnel connection uses
:class:`ExpectContinueMixin` too).
"""

from __future__ import annotations

import http.client
import io
import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Type

import urllib3
from requests.structures import CaseInsensitiveDict
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.request import body_to_chunks
from urllib3.util.wait import wait_for_read

from .wire import WireBody

URLLIB3_FUTURE = hasattr(urllib3, "HttpVersion")
"""The ``urllib3`` package is ``urllib3-future`` (installed by niquests): its connections
speak HTTP through their own protocol engine, which this module cannot gate, so the adapter
adds no ``Expect`` of its own and a caller's ``Expect`` goes to urllib3-future as it is."""

__all__ = [
    "DEFAULT_EXPECT_TIMEOUT",
    "EXPECT_RESULT_ATTRIBUTE",
    "URLLIB3_FUTURE",
    "ConfiguringPoolManager",
    "ExpectContinueMixin",
    "ExpectHTTPConnection",
    "ExpectHTTPConnectionPool",
    "ExpectHTTPSConnection",
    "ExpectHTTPSConnectionPool",
    "ExpectPoolManager",
    "ExpectResult",
    "expect_result",
    "wants_continue",
]

DEFAULT_EXPECT_TIMEOUT = 1.0
"""Seconds to wait for ``100 Continue`` before sending the body anyway (curl waits 1 s)."""

EXPECT_RESULT_ATTRIBUTE = "expect_result"
"""Attribute of urllib3 responses holding the :class:`ExpectResult` of their request."""

#: the most a server may send while the client waits (interim heads, an early final head)
_MAX_INTERIM_BYTES = 65536
_READ_SIZE = 65536
_STATUS_LINE = re.compile(rb"HTTP/\d\.\d[ \t]+(\d{3})(?:[ \t]|\r?\n|$)")
_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class ExpectResult:
    """What happened while a request with ``Expect: 100-continue`` waited for the server.

    ``outcome`` is ``"continue"`` (a ``100 Continue`` came, the body was sent),
    ``"timeout"`` (nothing came within ``expect_timeout``, the body was sent
    anyway), ``"final"`` (a final response came first, the body was not sent)
    or ``"closed"`` (the server closed the connection, the body was not sent).
    ``status`` is the status seen while waiting (``None`` on timeout or close),
    ``waited`` the seconds spent waiting.
    """

    outcome: str
    body_sent: bool
    status: Optional[int] = None
    waited: float = 0.0


def expect_result(response: Any) -> Optional[ExpectResult]:
    """The :class:`ExpectResult` of a urllib3 response (or of ``requests.Response.raw``)."""
    raw = getattr(response, "raw", response)
    result = getattr(raw, EXPECT_RESULT_ATTRIBUTE, None)
    return result if isinstance(result, ExpectResult) else None


def wants_continue(headers: Optional[Mapping[str, str]]) -> bool:
    """``headers`` carry the ``100-continue`` expectation (RFC 9110 section 10.1.1)."""
    if type(headers) is CaseInsensitiveDict:
        # requests' header dict keeps one entry per lower-cased name: the one the loop finds
        entry = headers._store.get("expect")  # type: ignore[attr-defined]
        return entry is not None and "100-continue" in str(entry[1]).lower()
    if not headers:
        return False
    for name, value in headers.items():
        if name.lower() == "expect" and "100-continue" in str(value).lower():
            return True
    return False


class _BodyWithheld(Exception):
    """Internal: a final response came before ``100 Continue``; the body stays unsent."""


class _PrefixedRaw(io.RawIOBase):
    """A socket's raw reader that first returns bytes already read from it."""

    def __init__(self, prefix: bytes, raw: Any) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> Optional[int]:
        if len(self._prefix):
            target = memoryview(buffer).cast("B")
            count = min(len(target), len(self._prefix))
            target[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        result: Optional[int] = self._raw.readinto(buffer)
        return result

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()


class _PrefixedSocket:
    """Stands in for the socket when http.client builds the response: ``makefile`` only."""

    def __init__(self, sock: Any, prefix: bytes) -> None:
        self._sock = sock
        self._prefix = prefix

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        if not self._prefix:
            return self._sock.makefile(mode)
        return io.BufferedReader(_PrefixedRaw(self._prefix, self._sock.makefile("rb", 0)))


class _ExpectedResponse(http.client.HTTPResponse):
    """http.client's response, read after the bytes the wait already took off the socket.

    With ``close_connection`` the connection is closed once the response has
    been read (``will_close``): the server was never sent the body it may
    still be waiting for.
    """

    def __init__(
        self, sock: Any, *args: Any, prefix: bytes = b"", close_connection: bool = False, **kw: Any
    ) -> None:
        super().__init__(_PrefixedSocket(sock, prefix), *args, **kw)  # type: ignore[arg-type]
        self._close_connection = close_connection

    def begin(self) -> None:
        super().begin()
        if self._close_connection:
            self.will_close = True


class _Pending:
    """What :meth:`ExpectContinueMixin.request` leaves for ``getresponse``."""

    def __init__(self, prefix: bytes, result: ExpectResult) -> None:
        self.prefix = prefix
        self.result = result


class ExpectContinueMixin(HTTPConnection):
    """urllib3 connection behaviour for ``Expect: 100-continue``; see the module docstring.

    Used as the first base of a connection class (``class C(ExpectContinueMixin,
    HTTPSConnection)``). ``expect_timeout`` is set per connection by its pool.
    """

    expect_timeout: float = DEFAULT_EXPECT_TIMEOUT
    _expect_pending: Optional[_Pending] = None

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        *,
        chunked: bool = False,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
        **more: Any,
    ) -> None:
        """urllib3's ``request``; with ``Expect: 100-continue``, the body waits for the server.

        Keywords this override does not know (``urllib3-future``'s ``on_upload_body``, ...)
        are passed on unchanged.
        """
        self._expect_pending = None
        if type(body) is WireBody and not URLLIB3_FUTURE:
            body = iter(body)  # sent as urllib3 sends a generator, not read as a file
        options: Dict[str, Any] = {
            "preload_content": preload_content,
            "decode_content": decode_content,
            "enforce_content_length": enforce_content_length,
            **more,
        }
        if body is None or URLLIB3_FUTURE or not wants_continue(headers):
            super().request(method, url, body=body, headers=headers, chunked=chunked, **options)
            return
        assert headers is not None
        chunks_and_length = body_to_chunks(body, method=method, blocksize=self.blocksize)
        chunks, length = chunks_and_length.chunks, chunks_and_length.content_length
        if chunks is None or length == 0:
            # RFC 9110 section 10.1.1: no 100-continue without content; nothing to wait for
            super().request(method, url, body=body, headers=headers, chunked=chunked, **options)
            return
        framed = dict(headers)
        names = {name.lower() for name in framed}
        if not chunked and "content-length" not in names and "transfer-encoding" not in names:
            if length is None:
                chunked = True
            else:
                framed["Content-Length"] = str(length)
        try:
            super().request(
                method, url, body=self._gated(chunks), headers=framed, chunked=chunked, **options
            )
        except _BodyWithheld:
            return

    def _gated(self, chunks: Iterable[Any]) -> Iterator[Any]:
        """The body, once the server has had its say (called after the head was sent)."""
        prefix, result = self._await_continue()
        self._expect_pending = _Pending(prefix, result)
        if not result.body_sent:
            raise _BodyWithheld
        yield from chunks

    def _await_continue(self) -> Tuple[bytes, ExpectResult]:
        """Wait for the first answer to the head: ``(bytes read, what they mean)``.

        Informational responses other than ``100`` (and ``101``) are skipped.
        The bytes returned are what was read and not consumed: the final
        response's head (for ``"final"``) or anything that followed the
        ``100`` (normally nothing); ``getresponse`` reads them first.
        """
        sock = self.sock
        assert sock is not None
        start = time.monotonic()
        deadline = start + self.expect_timeout
        buffer = b""
        while True:
            match = _STATUS_LINE.match(buffer)
            if match is None and b"\n" in buffer:
                # not a status line: let http.client report it (BadStatusLine)
                return buffer, ExpectResult("final", False, None, time.monotonic() - start)
            if match is not None:
                status = int(match.group(1))
                if not 100 <= status < 200 or status == 101:
                    return buffer, ExpectResult("final", False, status, time.monotonic() - start)
                end = _END_OF_HEAD.search(buffer)
                if end is not None:
                    buffer = buffer[end.end() :]
                    if status == 100:
                        return buffer, ExpectResult("continue", True, 100, time.monotonic() - start)
                    continue  # 102, 103 ...: keep waiting for 100 or a final status
            if len(buffer) > _MAX_INTERIM_BYTES:
                return buffer, ExpectResult("final", False, None, time.monotonic() - start)
            remaining = deadline - time.monotonic()
            pending = getattr(sock, "pending", None)
            ready = callable(pending) and pending() > 0
            if not ready and (remaining <= 0 or not wait_for_read(sock, timeout=remaining)):
                return buffer, ExpectResult("timeout", True, None, time.monotonic() - start)
            try:
                data = sock.recv(_READ_SIZE)
            except OSError:
                data = b""
            if not data:
                return buffer, ExpectResult("closed", False, None, time.monotonic() - start)
            buffer += data

    def getresponse(self, *args: Any, **kwargs: Any) -> HTTPResponse:  # type: ignore[override]
        """urllib3's ``getresponse``; after an expectation, read from where the wait stopped.

        Arguments (none in urllib3 2, some in ``urllib3-future``) are passed on unchanged.
        """
        pending, self._expect_pending = self._expect_pending, None
        if pending is None:
            return super().getresponse(*args, **kwargs)

        def factory(sock: Any, *args: Any, **kwargs: Any) -> http.client.HTTPResponse:
            return _ExpectedResponse(
                sock,
                *args,
                prefix=pending.prefix,
                close_connection=not pending.result.body_sent,
                **kwargs,
            )

        self.response_class = factory  # type: ignore[assignment]
        try:
            response = super().getresponse(*args, **kwargs)
        finally:
            del self.response_class
        setattr(response, EXPECT_RESULT_ATTRIBUTE, pending.result)
        return response

    def close(self) -> None:
        self._expect_pending = None
        super().close()


class ExpectHTTPConnection(ExpectContinueMixin):
    """urllib3's ``HTTPConnection`` that honours ``Expect: 100-continue``."""


class ExpectHTTPSConnection(ExpectContinueMixin, HTTPSConnection):
    """urllib3's ``HTTPSConnection`` that honours ``Expect: 100-continue``."""


def _configure(conn: Any, expect_timeout: float) -> Any:
    if isinstance(conn, ExpectContinueMixin):
        conn.expect_timeout = expect_timeout
    return conn


class ExpectHTTPConnectionPool(HTTPConnectionPool):
    """A pool of :class:`ExpectHTTPConnection`; ``expect_timeout`` is set by the manager."""

    ConnectionCls: Type[HTTPConnection] = ExpectHTTPConnection
    expect_timeout: float = DEFAULT_EXPECT_TIMEOUT

    def _new_conn(self, *args: Any, **kwargs: Any) -> Any:
        return _configure(super()._new_conn(*args, **kwargs), self.expect_timeout)


class ExpectHTTPSConnectionPool(HTTPSConnectionPool):
    """A pool of :class:`ExpectHTTPSConnection`; ``expect_timeout`` is set by the manager."""

    ConnectionCls: Type[HTTPSConnection] = ExpectHTTPSConnection
    expect_timeout: float = DEFAULT_EXPECT_TIMEOUT

    def _new_conn(self, *args: Any, **kwargs: Any) -> Any:
        return _configure(super()._new_conn(*args, **kwargs), self.expect_timeout)


def configure_pool(pool: Any, expect_timeout: float) -> None:
    """Give ``pool`` (and the connections it will make) ``expect_timeout``."""
    if isinstance(pool, (ExpectHTTPConnectionPool, ExpectHTTPSConnectionPool)):
        pool.expect_timeout = expect_timeout


class ConfiguringPoolManager(PoolManager):
    """A ``PoolManager`` that hands every pool it makes to :meth:`_configure_pool`.

    The one override of urllib3's ``_new_pool`` hook: the managers of this
    package (here, :mod:`requests_dav.transport.proxy`, :mod:`requests_dav.transport.pinning`)
    each extend ``_configure_pool`` with what their pools need.
    """

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context, **kwargs)
        self._configure_pool(pool)
        return pool

    def _configure_pool(self, pool: HTTPConnectionPool) -> None:
        """Set what this manager gives each new pool (nothing here)."""


class ExpectPoolManager(ConfiguringPoolManager):
    """urllib3's ``PoolManager`` whose pools use the ``Expect``-aware connections."""

    def __init__(
        self, *args: Any, expect_timeout: float = DEFAULT_EXPECT_TIMEOUT, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.expect_timeout = expect_timeout
        self.pool_classes_by_scheme = {
            "http": ExpectHTTPConnectionPool,
            "https": ExpectHTTPSConnectionPool,
        }

    def _configure_pool(self, pool: HTTPConnectionPool) -> None:
        super()._configure_pool(pool)
        configure_pool(pool, self.expect_timeout)
