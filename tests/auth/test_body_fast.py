"""The flat passes of ReplayableBody give exactly what the layered implementation gave (issue 16).

:mod:`tests.auth.body_reference` is the body module before the flat tee: every body kind (and
the exact types ``wrap()`` now tells apart by ``type()``) is driven through the same random
sequence of passes, partial passes, rewinds, hashes and read-aheads on both, and every result
(chunks, exceptions and their messages, ``bytes_sent``, ``replayable``, ``started``, ``repr``)
must match. A trace ends at the first failure of the source: from there on the new code refuses
a pass that the old one let end silently truncated (tested on its own below).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_dav.auth.body import ReplayableBody
from requests_dav.auth.errors import BodyNotReplayableError

from . import body_reference


class SourceFailed(Exception):
    """Raised by a test source in the middle of the body."""


class Boom:
    """A source item that makes the source raise."""


class ReadOnly:
    """A file-like with read() only, returning the given blocks one by one (then b"")."""

    def __init__(self, blocks: List[Any]) -> None:
        self._blocks = list(blocks)

    def read(self, size: int = -1) -> Any:
        if not self._blocks:
            return b""
        block = self._blocks.pop(0)
        if isinstance(block, Boom):
            raise SourceFailed("read failed")
        return block


class Chunks:
    """An iterable that is not a generator, list or tuple (the general path of wrap())."""

    def __init__(self, items: List[Any]) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        return produce(self._items)


def produce(items: List[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, Boom):
            raise SourceFailed("upstream went away")
        yield item


def binary_file(data: bytes, start: int, kind: str, files: contextlib.ExitStack) -> Any:
    """A binary file holding ``data`` at ``start``, closed with ``files``."""
    if kind == "BytesIO":
        file: Any = io.BytesIO(data)
    elif kind == "BytesIO subclass":
        file = type("Sub", (io.BytesIO,), {})(data)
    elif kind == "BufferedReader":
        file = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    else:
        # a BufferedRandom on a regular file (fstat), closed with ``files``
        file = files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        file.write(data)
    file.seek(start)
    return files.enter_context(file)


item = st.one_of(
    st.binary(max_size=12),
    st.binary(max_size=12).map(bytearray),
    st.binary(max_size=12).map(memoryview),
    st.text(max_size=6),
)
ops = st.lists(
    st.sampled_from(
        ["start", "start", "next", "next", "next", "drain", "rewind", "rewind", "hash", "read_all"]
    ),
    min_size=2,
    max_size=25,
)


def run(make: Callable[[Any], Any], ops: List[str]) -> List[Tuple[Any, ...]]:
    """Trace of ``ops`` on a body made by ``make(module)``; ends at the source's first failure."""
    trace: List[Tuple[Any, ...]] = []
    body = make(None)
    current: Optional[Iterator[bytes]] = None
    for op in ops:
        try:
            if op == "start":
                current = iter(body)
                result: Any = "started"
            elif op in ("next", "drain"):
                if current is None:
                    continue
                result = next(current, None) if op == "next" else b"".join(current)
            elif op == "rewind":
                body.rewind()
                result = None
            elif op == "hash":
                result = body.hash(hashlib.md5)
            else:
                result = body.read_all()
        except (SourceFailed, TypeError, BlockingIOError) as exc:
            trace.append((op, "source failed", type(exc).__name__, str(exc)))
            break
        except (BodyNotReplayableError, RuntimeError) as exc:
            result = (type(exc).__name__, str(exc), getattr(exc, "bytes_sent", None))
        trace.append((op, result, body.bytes_sent, body.replayable, body.started, repr(body)))
    return trace


def compare(make: Callable[[Any], Any], ops: List[str]) -> None:
    """The same trace from the new module and from the reference."""
    new = run(lambda _: make(ReplayableBody), ops)
    old = run(lambda _: make(body_reference.ReplayableBody), ops)
    assert [step[:5] for step in new] == [step[:5] for step in old]
    assert [step[5:] for step in new] == [step[5:] for step in old]


def encoded_size(value: Any) -> int:
    return len(value.encode()) if isinstance(value, str) else len(bytes(value))


@st.composite
def stream_case(draw: Any) -> Tuple[List[Any], int]:
    """Items and a limit, the limit often on (or one byte off) the end of some chunk."""
    items = draw(st.lists(item, max_size=8))
    if draw(st.integers(0, 3)) == 0:  # a quarter of the sources fail somewhere
        items.insert(draw(st.integers(0, len(items))), draw(st.sampled_from([Boom(), 42])))
    sizes = [encoded_size(v) for v in items if not isinstance(v, (Boom, int))]
    ends = [sum(sizes[:n]) for n in range(len(sizes) + 1)]
    limit = draw(
        st.one_of(
            st.integers(0, 60),
            st.sampled_from(ends).flatmap(
                lambda end: st.sampled_from([end, end, end - 1, end + 1])
            ),
        )
    )
    return items, max(0, limit)


@settings(max_examples=600, deadline=None)
@given(
    case=stream_case(),
    shape=st.sampled_from(["generator", "list", "tuple", "iterable", "file-like"]),
    ops=ops,
)
def test_streams_match_the_reference(
    case: Tuple[List[Any], int], shape: str, ops: List[str]
) -> None:
    items, limit = case

    def make(cls: Any) -> Any:
        if shape == "generator":
            source: Any = produce(items)
        elif shape == "list":
            source = list(items)
        elif shape == "tuple":
            source = tuple(items)
        elif shape == "iterable":
            source = Chunks(items)
        else:
            source = ReadOnly(items)
        return cls.wrap(source, max_replay_bytes=limit, chunk_size=5)

    compare(make, ops)


@st.composite
def file_case(draw: Any) -> Tuple[bytes, int]:
    """File contents and the position the body starts at (at most one past the end)."""
    data = draw(st.binary(max_size=40))
    return data, draw(st.integers(0, len(data) + 1))


@settings(max_examples=300, deadline=None)
@given(
    case=file_case(),
    kind=st.sampled_from(["BytesIO", "BytesIO subclass", "BufferedReader", "TemporaryFile"]),
    chunk_size=st.integers(1, 16),
    ops=ops,
)
def test_binary_files_match_the_reference(
    case: Tuple[bytes, int], kind: str, chunk_size: int, ops: List[str]
) -> None:
    data, start = case
    with contextlib.ExitStack() as files:

        def make(cls: Any) -> Any:
            body = cls.wrap(binary_file(data, start, kind, files), chunk_size=chunk_size)
            assert body.kind == "seekable"
            return body

        compare(make, ops)
        new = ReplayableBody.wrap(binary_file(data, start, kind, files))
        old = body_reference.ReplayableBody.wrap(binary_file(data, start, kind, files))
        assert new is not None and old is not None
        assert (new.kind, new.length) == (old.kind, old.length)


@settings(max_examples=100, deadline=None)
@given(
    blocks=st.lists(
        st.one_of(
            st.binary(min_size=1, max_size=8),
            st.text(min_size=1, max_size=4),
            st.binary(max_size=8).map(bytearray),
        ),
        max_size=6,
    ),
    ops=ops,
)
def test_files_reading_other_than_bytes_match_the_reference(
    blocks: List[Any], ops: List[str]
) -> None:
    """A seekable file whose reads are text or bytearray: the general reader from that block."""

    class Odd(io.BytesIO):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = list(blocks)
            self.index = 0

        def read(self, size: Optional[int] = -1) -> Any:
            if size == 0:
                return b""
            if self.index >= len(self.blocks):
                return b""
            self.index += 1
            return self.blocks[self.index - 1]

        def seek(self, pos: int, whence: int = 0) -> int:
            self.index = pos
            return pos

        def tell(self) -> int:
            return self.index

    compare(lambda cls: cls.wrap(Odd(), chunk_size=3, encoding="utf-16"), ops)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.binary(max_size=30),
        st.text(max_size=10),
        st.binary(max_size=30).map(bytearray),
        st.builds(io.StringIO, st.text(max_size=10)),
    ),
    chunk_size=st.integers(1, 12),
    ops=ops,
)
def test_bytes_and_text_match_the_reference(value: Any, chunk_size: int, ops: List[str]) -> None:
    def make(cls: Any) -> Any:
        copy = io.StringIO(value.getvalue()) if isinstance(value, io.StringIO) else value
        return cls.wrap(copy, chunk_size=chunk_size)

    compare(make, ops)


@pytest.mark.parametrize(
    "value",
    [b"x", "x", bytearray(b"x"), (b"x",), [b"x"], io.BytesIO(b"x"), {"a": 1}, 42],
)
def test_wrap_limits_are_checked_before_the_type(value: object) -> None:
    """The exact-type dispatch still validates the limits first, as the general path does."""
    for module in (ReplayableBody, body_reference.ReplayableBody):
        with pytest.raises(ValueError):
            module.wrap(value, max_replay_bytes=-1)
        with pytest.raises(LookupError):
            module.wrap(value, encoding="no-such-codec")


def test_closed_binary_file_is_a_stream_that_fails_on_read() -> None:
    for module in (ReplayableBody, body_reference.ReplayableBody):
        file = io.BytesIO(b"abc")
        file.close()
        body = module.wrap(file)
        assert body is not None and body.kind == "stream"
        with pytest.raises(ValueError):
            list(body)


def test_a_pass_after_a_failed_read_ahead_raises_instead_of_ending_short() -> None:
    """The reference ended such a pass silently after the buffered part: a truncated body."""
    items: List[Any] = [b"ab", b"cd", Boom(), b"ef"]
    old = body_reference.ReplayableBody.wrap(produce(items))
    assert old is not None
    with pytest.raises(SourceFailed):
        old.hash(hashlib.md5)
    assert b"".join(old) == b"abcd"  # what the old code sent: the body cut short

    body = ReplayableBody.wrap(produce(items))
    assert body is not None
    with pytest.raises(SourceFailed):
        body.hash(hashlib.md5)
    assert not body.replayable
    with pytest.raises(BodyNotReplayableError, match="SourceFailed"):
        iter(body)


def test_a_read_ahead_failing_during_a_pass_ends_that_pass_with_an_error() -> None:
    body = ReplayableBody.wrap(produce([b"ab", b"cd", Boom()]))
    assert body is not None
    current = iter(body)
    assert next(current) == b"ab"
    with pytest.raises(SourceFailed):
        body.hash(hashlib.md5)
    assert next(current) == b"cd"  # pulled by the read-ahead, from the buffer
    with pytest.raises(BodyNotReplayableError, match="read-ahead"):
        next(current)
