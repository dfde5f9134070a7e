"""The flat WireBody gives exactly what the layered one gave (issue 16), and urllib3 is handed
an iterator of it, not a file to read.

``ReferenceWireBody`` below is ``transport/wire.py``'s ``WireBody`` before the change (``read``,
``_next`` and ``next`` per chunk, its own position count). Both are driven through the same
random sequence of reads of every size, iterations, partial iterations, ``tell``, ``seek`` and
rewinds over every body kind, and every result (data, exceptions, positions, ``complete``,
``seekable``) must match.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from requests_dav import exceptions
from requests_dav.auth import errors as core_errors
from requests_dav.auth.body import ReplayableBody
from requests_dav.transport import expect
from requests_dav.transport.send_state import content_length, has_header
from requests_dav.transport.wire import WireBody


class ReferenceWireBody:
    """The WireBody before issue 16 (read, _next and next per chunk, its own position)."""

    def __init__(self, body: ReplayableBody) -> None:
        self.body = body
        self._chunks: Optional[Iterator[bytes]] = None
        self._pending = b""
        self._offset = 0
        self._position = 0
        self._complete = False

    def __repr__(self) -> str:
        return f"<WireBody position={self._position} of {self.body!r}>"

    @property
    def complete(self) -> bool:
        """The whole body has been handed out by this pass."""
        return self._complete

    def _next(self) -> Optional[bytes]:
        if self._complete:
            return None
        if self._chunks is None:
            self._chunks = iter(self.body)
        chunk = next(self._chunks, None)
        if chunk is None:
            self._complete = True
        return chunk

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to ``size`` bytes (all the rest for ``-1``/``None``); ``b""`` at the end."""
        if size is None or size < 0:
            parts = [self._pending[self._offset :]]
            self._pending, self._offset = b"", 0
            while True:
                chunk = self._next()
                if chunk is None:
                    break
                parts.append(chunk)
            data = b"".join(parts)
            self._position += len(data)
            return data
        if size == 0:
            return b""
        while self._offset >= len(self._pending):
            chunk = self._next()
            if chunk is None:
                return b""
            self._pending, self._offset = chunk, 0
        data = self._pending[self._offset : self._offset + size]
        self._offset += len(data)
        self._position += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        rest = self._pending[self._offset :]
        self._pending, self._offset = b"", 0
        if rest:
            self._position += len(rest)
            yield rest
        while True:
            chunk = self._next()
            if chunk is None:
                return
            self._position += len(chunk)
            yield chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.body.replayable

    def tell(self) -> int:
        """Bytes handed out by this pass."""
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only ``seek(0)`` (rewind: the same bytes again) and seeking to :meth:`tell` work."""
        if whence == io.SEEK_SET and offset == self._position and self._chunks is None:
            return offset
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
        self._position = 0
        self._complete = False


# -- the same operations on both ----------------------------------------------------------------

Operation = Tuple[str, int]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(min_value=-2, max_value=12)),
        st.tuples(st.just("read_none"), st.just(0)),
        st.tuples(st.just("iterate"), st.integers(min_value=0, max_value=4)),
        st.tuples(st.just("tell"), st.just(0)),
        st.tuples(st.just("seek"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("seek_end"), st.just(0)),
        st.tuples(st.just("rewind"), st.just(0)),
        st.tuples(st.just("state"), st.just(0)),
    ),
    max_size=25,
)

#: the sources of a body: a list of chunks becomes each kind of body
Maker = Callable[[List[bytes]], Any]

MAKERS: List[Tuple[str, Maker]] = [
    ("bytes", lambda parts: b"".join(parts)),
    ("generator", lambda parts: (part for part in parts)),
    ("list", lambda parts: list(parts)),
    ("bytesio", lambda parts: io.BytesIO(b"".join(parts))),
    ("text", lambda parts: [part.decode("latin-1") for part in parts]),
    ("reader", lambda parts: _Reader(parts)),
]


class _Reader:
    """A non-seekable file: its reads are the given parts, then ``b""``."""

    def __init__(self, parts: List[bytes]) -> None:
        self._parts = list(parts)

    def read(self, size: int = -1) -> bytes:
        return self._parts.pop(0) if self._parts else b""


def _outcome(action: Callable[[], Any]) -> Tuple[str, Any]:
    try:
        return "ok", action()
    except Exception as exc:
        detail = (
            (exc.bytes_sent, exc.limit)
            if isinstance(exc, OSError) and hasattr(exc, "bytes_sent")
            else None
        )
        return type(exc).__name__, (str(exc), detail)


def _apply(wire: Any, operation: Operation, iterators: List[Iterator[bytes]]) -> Any:
    name, value = operation
    if name == "read":
        return _outcome(lambda: wire.read(value))
    if name == "read_none":
        return _outcome(lambda: wire.read(None))
    if name == "iterate":
        # take up to ``value`` chunks from a fresh iterator (0: all of them); a partial
        # iteration is left suspended, as urllib3 leaves one that failed mid-body
        def take() -> List[bytes]:
            iterator = iter(wire)
            iterators.append(iterator)
            taken = []
            for chunk in iterator:
                taken.append(chunk)
                if value and len(taken) >= value:
                    break
            return taken

        return _outcome(take)
    if name == "tell":
        return _outcome(wire.tell)
    if name == "seek":
        return _outcome(lambda: wire.seek(value))
    if name == "seek_end":
        return _outcome(lambda: wire.seek(0, io.SEEK_END))
    if name == "rewind":
        return _outcome(wire.rewind)
    return _outcome(lambda: (wire.complete, wire.seekable(), wire.readable(), wire.tell()))


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from([name for name, _ in MAKERS]),
    parts=st.lists(st.binary(min_size=0, max_size=7), max_size=5),
    limit=st.integers(min_value=0, max_value=30),
    chunk_size=st.integers(min_value=1, max_value=9),
    trace=operations,
)
def test_flat_wire_body_gives_what_the_layered_one_gave(
    kind: str, parts: List[bytes], limit: int, chunk_size: int, trace: List[Operation]
) -> None:
    make = dict(MAKERS)[kind]
    new_body = ReplayableBody.wrap(make(parts), max_replay_bytes=limit, chunk_size=chunk_size)
    old_body = ReplayableBody.wrap(make(parts), max_replay_bytes=limit, chunk_size=chunk_size)
    assert new_body is not None and old_body is not None
    new, old = WireBody(new_body), ReferenceWireBody(old_body)
    new_iterators: List[Iterator[bytes]] = []
    old_iterators: List[Iterator[bytes]] = []
    for operation in trace:
        got = _apply(new, operation, new_iterators)
        expected = _apply(old, operation, old_iterators)
        assert got == expected, (operation, got, expected)
        assert new.tell() == old.tell() and new.complete == old.complete


def test_wire_body_iterates_the_pass_itself() -> None:
    """Handed to urllib3 as an iterator, a WireBody is the pass plus one delegating step."""
    body = ReplayableBody.wrap((part for part in [b"ab", b"cd"]), max_replay_bytes=10)
    assert body is not None
    wire = WireBody(body)
    chunks = iter(wire)
    assert next(chunks) == b"ab" and wire.tell() == 2 and not wire.complete
    assert list(chunks) == [b"cd"] and wire.tell() == 4 and wire.complete
    wire.seek(0)
    assert wire.read(3) == b"abc"[:2] and wire.read(1) == b"c" and wire.tell() == 3
    assert b"".join(wire) == b"d" and wire.complete


def test_wire_body_over_its_limit_is_body_not_replayable() -> None:
    body = ReplayableBody.wrap((part for part in [b"abc", b"defg"]), max_replay_bytes=3)
    assert body is not None
    wire = WireBody(body)
    assert b"".join(iter(wire)) == b"abcdefg"
    with pytest.raises(exceptions.BodyNotReplayableError) as caught:
        wire.seek(0)
    assert isinstance(caught.value, OSError) and caught.value.bytes_sent == 7
    assert isinstance(caught.value.__cause__, core_errors.BodyNotReplayableError)


# -- what the connections hand urllib3 -----------------------------------------------------


def test_the_expect_connection_hands_urllib3_an_iterator(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: List[Any] = []

    def request(self: Any, method: str, url: str, body: Any = None, **kwargs: Any) -> None:
        seen.append(body)

    monkeypatch.setattr(expect.HTTPConnection, "request", request)
    body = ReplayableBody.wrap(iter([b"x", b"y"]), max_replay_bytes=10)
    assert body is not None
    wire = WireBody(body)
    connection = expect.ExpectHTTPConnection("127.0.0.1", 9)
    connection.request("PUT", "/", body=wire, headers=CaseInsensitiveDict(), chunked=True)
    connection.request("PUT", "/", body=b"raw", headers=CaseInsensitiveDict(), chunked=False)
    sent = seen[0]
    if expect.URLLIB3_FUTURE:
        assert sent is wire  # urllib3-future gets the body as before
    else:
        assert not hasattr(sent, "read") and iter(sent) is sent
        assert list(sent) == [b"x", b"y"] and wire.complete
    assert seen[1] == b"raw"


# -- the header questions the adapter asks ---------------------------------------------------

names = st.sampled_from(
    ["Expect", "expect", "EXPECT", "Content-Length", "content-length", "X-Y", "Ex\u0130pect", "K"]
)
values = st.one_of(
    st.sampled_from(["100-continue", "100-Continue", " 100-CONTINUE ", "12", "x", "", "-1"]),
    st.text(max_size=6),
)


@given(pairs=st.lists(st.tuples(names, values), max_size=6), as_dict=st.booleans())
def test_header_questions_give_what_the_mapping_gives(
    pairs: List[Tuple[str, str]], as_dict: bool
) -> None:
    headers: Any = dict(pairs) if as_dict else CaseInsensitiveDict()
    if not as_dict:
        for name, value in pairs:
            headers[name] = value
    for name in ("Expect", "Content-Length", "X-Y", "Missing"):
        assert has_header(headers, name) is (name in headers)
    request = requests.PreparedRequest()
    request.headers = headers
    value = headers.get("Content-Length")
    try:
        expected: Optional[int] = None if value is None else int(value)
    except ValueError:
        expected = None
    assert content_length(request) == expected
    general = any(
        name.lower() == "expect" and "100-continue" in str(v).lower() for name, v in headers.items()
    )
    assert expect.wants_continue(headers) is general


# -- the request a body without a flow goes on ----------------------------------------------------


def _prepared(**kwargs: Any) -> requests.PreparedRequest:
    session = requests.Session()
    session.cookies.set("c", "1", domain="fast.test")
    request = requests.Request("PUT", "http://fast.test/f", data=iter([b"a"]), **kwargs)
    return session.prepare_request(request)


def test_the_carrier_is_requests_copy_sharing_headers_and_jar() -> None:
    from requests_dav.auth.urls import Origin
    from requests_dav.transport.send_state import SendState

    request = _prepared(headers={"X-A": "1"}, hooks={"response": [print]})
    vars(request)["_body_position"] = 0
    state = SendState(request, None, None, Origin.from_url(request.url or ""), {})
    carrier = state.carrier()
    expected = request.copy()
    assert carrier is not request and type(carrier) is requests.PreparedRequest
    assert vars(carrier).keys() == vars(expected).keys()
    for name in ("method", "url", "body", "hooks", "_body_position"):
        assert getattr(carrier, name) == getattr(expected, name)
    assert carrier.headers is request.headers and carrier._cookies is request._cookies
    assert dict(carrier._cookies) == dict(expected._cookies) == {"c": "1"}
    carrier.body = b"replaced"  # what responses does to the request it is given
    assert request.body is not carrier.body


def test_the_carrier_of_a_subclass_uses_its_copy() -> None:
    from requests_dav.auth.urls import Origin
    from requests_dav.transport.send_state import SendState

    class Traced(requests.PreparedRequest):
        copies = 0

        def copy(self) -> requests.PreparedRequest:
            Traced.copies += 1
            return super().copy()

    request = Traced()
    request.prepare(method="GET", url="http://fast.test/f")
    state = SendState(request, None, None, Origin.from_url("http://fast.test/f"), {})
    carrier = state.carrier()
    assert Traced.copies == 1 and carrier.headers is request.headers
