"""The request body on the wire, and the intermediate responses of a negotiation.

Shared by :class:`~requests_dav.transport.adapter.AuthAdapter` and the ``auth=``
classes (:mod:`requests_dav.transport.auth_base`):

* PEP 268 body replay: :class:`WireBody` hands urllib3 the same bytes on
  every attempt (:class:`~requests_dav.auth.body.ReplayableBody` underneath);
* RFC 9112 section 9.6 and RFC 9110 section 7.6.1: an intermediate
  401/407/411/417 is read (at most :data:`MAX_DRAIN_BYTES`) and its connection
  is reused only when the server has nothing of the request left to read;
* cookies an intermediate response sets go out with the retry, as requests'
  ``HTTPDigestAuth`` does.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Iterator, List, MutableMapping, Optional, Tuple

from requests import cookies as _cookies
from requests.models import PreparedRequest, Response
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import HTTPError as _Urllib3HTTPError
from urllib3.exceptions import UnrewindableBodyError

from .. import exceptions
from ..auth import errors as core_errors
from ..auth.body import ReplayableBody
from ..auth.messages import AuthResponse, HeaderLines
from ..auth.outcome import FlowResult
from .results import RESULT_ATTRIBUTE

__all__ = [
    "HTTP10_CHUNKED_REFUSALS",
    "MAX_DRAIN_BYTES",
    "WireBody",
    "auth_response",
    "carry_cookies",
    "close_after_use",
    "not_rewindable",
    "release_intermediate",
    "replayable_body",
    "retry_cookie_jar",
    "wants_close",
    "with_content_length",
]

#: statuses with which an HTTP/1.0 peer refuses a chunked body (RFC 9112 section 6.1: 501 for
#: an unknown transfer coding; 411 / 400 in practice). 411 means it from any peer.
HTTP10_CHUNKED_REFUSALS = frozenset({400, 411, 501})

# requests' helpers, typed (its stubs leave them untyped)
_get_cookie_header: Callable[[Any, Any], Optional[str]] = _cookies.get_cookie_header
_extract_cookies: Callable[[Any, Any, Any], None] = _cookies.extract_cookies_to_jar

MAX_DRAIN_BYTES = 64 * 1024
"""How much of an intermediate 401/407/411/417 entity is read; past it the connection is closed."""


# -- the body on the wire ---------------------------------------------------------------------


class WireBody:
    """What requests and urllib3 send: one pass over a :class:`ReplayableBody`, file-like.

    urllib3 reads it with ``read(blocksize)``; iterating it yields the remaining
    chunks (the adapter's connections hand urllib3 that iterator, which it sends
    as it sends a generator); ``responses`` reads it whole. ``tell()`` and
    ``seek(0)`` let urllib3's ``Retry`` and requests' 307/308 redirect handling
    rewind it, which replays the same bytes (from the buffer for a stream) or
    raises :class:`~requests_dav.exceptions.BodyNotReplayableError` (an
    ``OSError``, so requests reports ``UnrewindableBodyError``) instead of
    sending an empty or truncated body. ``complete`` says whether the whole body
    was handed out.

    Flat: a ``read`` that a whole chunk fits is one step of the pass, the
    position is the pass's own count (:attr:`ReplayableBody.bytes_sent`) less
    what a short read left over.
    """

    __slots__ = ("_chunks", "_complete", "_offset", "_pending", "body")

    def __init__(self, body: ReplayableBody) -> None:
        self.body = body
        self._chunks: Optional[Iterator[bytes]] = None  # the pass under way, if one began
        self._pending = b""  # the chunk a short read took the start of (never exhausted)
        self._offset = 0  # how much of it has been handed out
        self._complete = False

    def __repr__(self) -> str:
        return f"<WireBody position={self.tell()} of {self.body!r}>"

    @property
    def complete(self) -> bool:
        """The whole body has been handed out by this pass."""
        return self._complete

    def _begin(self) -> Iterator[bytes]:
        chunks = self._chunks = iter(self.body)
        return chunks

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to ``size`` bytes (all the rest for ``-1``/``None``); ``b""`` at the end."""
        if size is None or size < 0:
            return b"".join(self)
        if size == 0:
            return b""
        pending = self._pending
        if pending:
            offset = self._offset
            end = offset + size
            if end >= len(pending):
                self._pending = b""
                return pending[offset:]
            self._offset = end
            return pending[offset:end]
        chunks = self._chunks
        if chunks is None:
            chunks = self._begin()
        elif self._complete:
            return b""
        for chunk in chunks:
            if len(chunk) <= size:
                if chunk:
                    return chunk
                continue
            self._pending, self._offset = chunk, size
            return chunk[:size]
        self._complete = True
        return b""

    def __iter__(self) -> Iterator[bytes]:
        pending = self._pending
        if pending:
            self._pending = b""
            yield pending[self._offset :]
        chunks = self._chunks
        if chunks is None:
            chunks = self._begin()
        yield from chunks
        self._complete = True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.body.replayable

    def tell(self) -> int:
        """Bytes handed out by this pass."""
        if self._chunks is None:
            return 0
        unread = len(self._pending) - self._offset if self._pending else 0
        return self.body.bytes_sent - unread

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only ``seek(0)`` (rewind: the same bytes again) and seeking to :meth:`tell` work."""
        if whence == io.SEEK_SET and offset == 0 and self._chunks is None:
            return 0
        if whence == io.SEEK_SET and offset == 0:
            self.rewind()
            return 0
        raise io.UnsupportedOperation("a request body can only be rewound to its start")

    def rewind(self) -> None:
        """Start a new pass (rewinds the :class:`ReplayableBody` if a pass had begun)."""
        try:
            self.body.rewind()
        except core_errors.BodyNotReplayableError as exc:
            raise exceptions.BodyNotReplayableError(
                exc.reason, bytes_sent=exc.bytes_sent, limit=exc.limit
            ) from exc
        self._chunks = None
        self._pending, self._offset = b"", 0
        self._complete = False


def replayable_body(
    request: PreparedRequest, max_replay_bytes: int
) -> Tuple[Optional[ReplayableBody], Optional[WireBody]]:
    """Wrap ``request.body`` for replay; a non-bytes body is replaced by a :class:`WireBody`.

    The :class:`WireBody` stays on ``request`` (with ``_body_position = 0``) so
    that requests' redirect handling (which copies the request and rewinds its
    body for 307/308) replays the same bytes instead of an exhausted
    generator. A body that already is a :class:`WireBody` (a redirect, a
    resend, or ``auth=`` and the adapter together) is rewound and reused.
    """
    body = request.body
    if body is None:
        return None, None
    if isinstance(body, WireBody):
        body.rewind()
        return body.body, body
    wrapped = ReplayableBody.wrap(body, max_replay_bytes=max_replay_bytes)
    if wrapped is None or wrapped.kind == "bytes":
        return wrapped, None
    wire = WireBody(wrapped)
    request.body = wire  # type: ignore[assignment]
    vars(request)["_body_position"] = 0  # requests rewinds it on 307/308 (rewind_body)
    return wrapped, wire


def not_rewindable(exc: UnrewindableBodyError, wire: PreparedRequest) -> Exception:
    """The requests-rooted error for a body urllib3's ``Retry`` could not rewind."""
    cause = exc.__cause__
    if isinstance(cause, exceptions.BodyNotReplayableError):
        error = exceptions.BodyNotReplayableError(
            f"{cause.reason}; a retry after a connection error needs the body again",
            bytes_sent=cause.bytes_sent,
            limit=cause.limit,
            request=wire,
        )
    else:
        body: object = wire.body
        sent = body.tell() if isinstance(body, WireBody) else 0
        error = exceptions.BodyNotReplayableError(
            "a retry after a connection error needs the body again and it cannot be rewound",
            bytes_sent=sent,
            limit=None,
            request=wire,
        )
    return error


# -- reading responses ------------------------------------------------------------------------


def auth_response(response: Response) -> AuthResponse:
    """The core's view of ``response``: status and every header field line, in order.

    urllib3's header dict yields repeated fields (several ``WWW-Authenticate``
    lines) separately; requests' joined dict is the fallback.
    """
    raw_headers = getattr(response.raw, "headers", None)
    if type(raw_headers) is HTTPHeaderDict:
        # read when the flow asks: a success with nothing to verify reads no header
        lines = HeaderLines(raw_headers.items, raw_headers.getlist)
        return AuthResponse(status=int(response.status_code), headers=lines)
    items = getattr(raw_headers, "items", None)
    copied = list(items()) if callable(items) else list(response.headers.items())
    return AuthResponse(status=int(response.status_code), headers=copied)


def wants_close(response: Response) -> bool:
    """The server will close the connection (RFC 9112 section 9.6; HTTP/1.0 without keep-alive)."""
    tokens = {t.strip().lower() for t in response.headers.get("Connection", "").split(",")}
    if "close" in tokens:
        return True
    return getattr(response.raw, "version", 11) == 10 and "keep-alive" not in tokens


def release_intermediate(response: Response, reusable: bool) -> bool:
    """Read an intermediate response (at most :data:`MAX_DRAIN_BYTES`) and free its connection.

    The entity stays readable as ``response.content`` (the server's diagnostic).
    The connection goes back to the pool only when ``reusable`` (the caller
    knows the server has nothing of the request left to read), the server did
    not say ``Connection: close`` and the entity was read to its end;
    otherwise it is closed and the next attempt opens a fresh one. Read errors
    (a server that answered early and reset the connection) are swallowed: the
    response itself is what the flow needs. Returns whether the connection was
    kept.
    """
    reuse = reusable and not wants_close(response)
    raw: Any = response.raw
    parts: List[bytes] = []
    size = 0
    stream = getattr(raw, "stream", None)
    # urllib3 hands the connection back to the pool the moment the entity has been read; one
    # that must not be reused is kept out of the pool until it is closed (no other thread may
    # pick it up in between).
    hold = not reuse and raw is not None and "release_conn" not in vars(raw)
    if hold:
        raw.release_conn = _keep_connection
    try:
        if callable(stream):
            for chunk in stream(16384, decode_content=True):
                parts.append(chunk)
                size += len(chunk)
                if size > MAX_DRAIN_BYTES:
                    reuse = False
                    break
    except (_Urllib3HTTPError, OSError, ValueError):
        reuse = False
    finally:
        if hold:
            del raw.release_conn
    response._content = b"".join(parts)[:MAX_DRAIN_BYTES]
    vars(response)["_content_consumed"] = True
    if raw is not None:
        if not reuse:
            close = getattr(raw, "close", None)
            if callable(close):
                close()
        release = getattr(raw, "release_conn", None)
        if callable(release):
            release()
    return reuse


def _keep_connection() -> None:
    """Stands in for ``release_conn`` while an intermediate response is read."""


def nothing_left_unread(wire: PreparedRequest) -> bool:
    """The connection holds nothing of ``wire`` once its response is read: no body was sent,
    and it is not a HEAD (whose answer has no entity, yet some servers, WsgiDAV's 401 among
    them, send one anyway: what is left would be read as the next response's status line)."""
    sent: object = wire.body
    return (sent is None or sent == b"" or sent == "") and wire.method != "HEAD"


def settle(response: Response, result: FlowResult, reusable: bool) -> None:
    """Give the caller's final ``response`` its verdict (``response.auth_result``) and, for a
    4xx/5xx to a request that may have left part of its body unread (not ``reusable``), a
    connection closed once the caller is done with it (:func:`close_after_use`)."""
    setattr(response, RESULT_ATTRIBUTE, result)
    if not reusable and int(response.status_code) >= 400:
        close_after_use(response)


def close_after_use(response: Response) -> None:
    """Close ``response``'s connection instead of pooling it once the caller is done with it.

    For an error answer to a request with a body: the server may not have read
    that body (cheroot answers 401 to a chunked PUT and then parses the chunks
    as the next request), so the connection must not carry another request.
    The response itself stays unread (``stream=True`` keeps working).
    """
    raw: Any = response.raw
    release = getattr(raw, "release_conn", None)
    if raw is None or not callable(release) or "release_conn" in vars(raw):
        return

    def close_then_release() -> None:
        connection = getattr(raw, "connection", None)
        if connection is not None:
            connection.close()
        release()

    raw.release_conn = close_then_release


# -- cookies on the retry ----------------------------------------------------------------------


def retry_cookie_jar(
    request: PreparedRequest,
) -> Optional[Any]:
    """A copy of the request's cookie jar when its Cookie header came from that jar."""
    jar = getattr(request, "_cookies", None)
    if jar is None:
        return None
    sent = request.headers.get("Cookie")
    if sent is not None and sent != _get_cookie_header(jar, request):
        return None  # a Cookie header the caller set by hand: leave it alone
    return jar.copy()


def carry_cookies(
    jar: Optional[Any],
    response: Response,
    request: PreparedRequest,
    headers: MutableMapping[str, str],
) -> None:
    """Cookies set by an intermediate response go out with the retry (as HTTPDigestAuth does)."""
    if jar is None or "Set-Cookie" not in response.headers:
        return
    _extract_cookies(jar, response.request, response.raw)
    value = _get_cookie_header(jar, request)
    if value:
        headers["Cookie"] = value


def with_content_length(
    wire: PreparedRequest,
    body: ReplayableBody,
    peer: object,
    request: PreparedRequest,
    response: Optional[Response],
) -> None:
    """Replace ``wire``'s chunked body by the buffered bytes and ``Content-Length`` (RFC 9112
    section 6.2), for a peer that answered 411 or speaks HTTP/1.0 (RFC 2145 section 2.3).

    :class:`~requests_dav.exceptions.LengthRequiredError` when the body outgrew the replay
    buffer; ``request`` and ``response`` go on that error.
    """
    try:
        body.rewind()
        data = body.read_all()
    except core_errors.BodyNotReplayableError as exc:
        raise exceptions.LengthRequiredError(
            f"{peer} needs Content-Length (411 Length Required, or an HTTP/1.0 peer "
            f"per RFC 2145) and the chunked body does not fit the replay buffer: {exc.reason}",
            bytes_sent=exc.bytes_sent,
            limit=exc.limit,
            request=request,
            response=response,
        ) from exc
    wire.headers.pop("Transfer-Encoding", None)
    wire.headers["Content-Length"] = str(len(data))
    wire.body = data
