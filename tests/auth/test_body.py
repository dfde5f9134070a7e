"""Tests for replayable request bodies (PEP 268 body buffering, RFC 7616 section 3.4.3)."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import tracemalloc
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

from requests_dav.auth.body import DEFAULT_MAX_REPLAY_BYTES, ReplayableBody
from requests_dav.auth.errors import BodyNotReplayableError


def wrap(body: object, **kw: Any) -> ReplayableBody:
    wrapped = ReplayableBody.wrap(body, **kw)
    assert wrapped is not None
    return wrapped


def one_pass(body: ReplayableBody) -> bytes:
    chunks = list(body)
    assert all(type(chunk) is bytes and chunk for chunk in chunks)
    return b"".join(chunks)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class CountingBytesIO(io.BytesIO):
    """A seekable file that counts its reads (proves replays re-read rather than copy)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: Optional[int] = -1) -> bytes:
        self.reads += 1
        return super().read(size)


class ReadOnly:
    """A file-like with read() only (a socket or pipe wrapper)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


# -- kinds --------------------------------------------------------------------------------------


def test_default_limit_is_one_mebibyte() -> None:
    assert DEFAULT_MAX_REPLAY_BYTES == 1 << 20
    assert wrap(b"x").max_replay_bytes == 1 << 20


def test_none_and_idempotent() -> None:
    assert ReplayableBody.wrap(None) is None
    body = wrap(b"abc")
    assert ReplayableBody.wrap(body) is body


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"hello", b"hello"),
        (bytearray(b"hello"), b"hello"),
        (memoryview(b"hello"), b"hello"),
        ("héllo", "héllo".encode()),
        (b"", b""),
    ],
)
def test_bytes_kind(value: object, expected: bytes) -> None:
    body = wrap(value)
    assert body.kind == "bytes"
    assert body.length == len(expected)
    assert one_pass(body) == expected
    assert body.bytes_sent == len(expected)
    body.rewind()
    assert one_pass(body) == expected
    assert body.replayable


def test_str_encoding() -> None:
    body = wrap("héllo", encoding="latin-1")
    assert one_pass(body) == b"h\xe9llo"
    assert body.length == 5


def test_bytearray_is_a_snapshot() -> None:
    data = bytearray(b"abc")
    body = wrap(data)
    data[0] = ord("z")
    assert one_pass(body) == b"abc"


def test_bytes_chunked() -> None:
    body = wrap(b"0123456789", chunk_size=4)
    assert list(body) == [b"0123", b"4567", b"89"]


@pytest.mark.parametrize("bad", [{"a": "b"}, 42, 4.2, object(), True])
def test_type_errors(bad: object) -> None:
    with pytest.raises(TypeError, match="request body"):
        ReplayableBody.wrap(bad)


def test_bad_limits() -> None:
    with pytest.raises(ValueError):
        ReplayableBody.wrap(b"", max_replay_bytes=-1)
    with pytest.raises(ValueError):
        ReplayableBody.wrap(b"", chunk_size=0)
    with pytest.raises(LookupError):
        ReplayableBody.wrap("x", encoding="no-such-codec")


def test_bad_chunk_type_in_iterable() -> None:
    body = wrap([b"ok", 42])
    with pytest.raises(TypeError, match="int"):
        list(body)


# -- seekable -----------------------------------------------------------------------------------


def test_seekable_rewinds_to_original_position_without_copy() -> None:
    file = CountingBytesIO(b"HEADER" + b"payload-" * 100)
    file.seek(6)
    body = wrap(file, chunk_size=64)
    assert body.kind == "seekable"
    assert body.length == 800
    before = file.reads
    first = one_pass(body)
    assert first == b"payload-" * 100
    first_reads = file.reads - before
    assert first_reads >= 800 // 64
    body.rewind()
    assert file.tell() == 6
    assert one_pass(body) == first
    # the second pass read the file again, as much as the first: nothing was kept in memory
    assert file.reads - before == 2 * first_reads
    assert not hasattr(body, "_buffer")
    assert body.bytes_sent == 800


def test_seekable_real_file_length_by_fstat(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(10_000))
    with path.open("rb") as file:
        file.seek(1000)
        body = wrap(file)
        assert body.length == 9000
        assert file.tell() == 1000
        data = one_pass(body)
        body.rewind()
        assert one_pass(body) == data == path.read_bytes()[1000:]


def test_seekable_text_file(tmp_path: Path) -> None:
    path = tmp_path / "text.txt"
    path.write_text("héllo wörld\n" * 10, encoding="utf-8")
    with path.open("r", encoding="utf-8") as file:
        body = wrap(file, chunk_size=5)
        assert body.kind == "seekable"
        assert body.length is None
        expected = ("héllo wörld\n" * 10).encode("utf-8")
        assert one_pass(body) == expected
        body.rewind()
        assert one_pass(body) == expected
        assert body.hash(hashlib.md5) == md5(expected)


def test_stringio_utf16_encodes_once() -> None:
    body = wrap(io.StringIO("abcdef"), encoding="utf-16", chunk_size=2)
    assert one_pass(body) == "abcdef".encode("utf-16")  # a single BOM


def test_unseekable_file_is_a_stream() -> None:
    class NotSeekable(io.BytesIO):
        def seekable(self) -> bool:
            return False

    assert wrap(NotSeekable(b"abc")).kind == "stream"
    assert wrap(ReadOnly(b"abc")).kind == "stream"


def test_pipe_is_a_stream() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"through a pipe")
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        body = wrap(pipe)
        assert body.kind == "stream"
        assert one_pass(body) == b"through a pipe"
        body.rewind()
        assert one_pass(body) == b"through a pipe"


def test_seekable_hash_does_not_move_and_does_not_copy() -> None:
    file = CountingBytesIO(b"xx" + b"abc" * 1000)
    file.seek(2)
    body = wrap(file, chunk_size=128)
    reads = file.reads
    assert body.hash(hashlib.sha256) == hashlib.sha256(b"abc" * 1000).hexdigest()
    assert file.reads > reads
    assert file.tell() == 2
    assert not body.started
    assert one_pass(body) == b"abc" * 1000
    assert body.read_all() == b"abc" * 1000


def test_seek_failure_is_not_replayable() -> None:
    class BrokenSeek(io.BytesIO):
        armed = False

        def seek(self, pos: int, whence: int = 0) -> int:
            if self.armed:
                raise OSError("device gone")
            return super().seek(pos, whence)

    file = BrokenSeek(b"abc")
    body = wrap(file)
    one_pass(body)
    file.armed = True
    with pytest.raises(BodyNotReplayableError, match="seek back"):
        body.rewind()


# -- streams ------------------------------------------------------------------------------------


def gen(chunks: List[bytes]) -> Iterator[bytes]:
    yield from chunks


@pytest.mark.parametrize(
    "source",
    [
        lambda: gen([b"ab", b"", b"cd", b"e"]),
        lambda: [b"ab", "cd", bytearray(b"e")],
        lambda: iter([memoryview(b"abcde")]),
        lambda: ReadOnly(b"abcde"),
        lambda: (x for x in ["ab", "cde"]),
    ],
)
def test_stream_kinds_replay(source: Any) -> None:
    body = wrap(source())
    assert body.kind == "stream"
    assert body.length is None
    assert one_pass(body) == b"abcde"
    assert body.bytes_sent == 5
    assert body.replayable
    body.rewind()
    assert one_pass(body) == b"abcde"


def test_iterating_twice_without_rewind_raises() -> None:
    for value in (b"abc", gen([b"abc"]), io.BytesIO(b"abc")):
        body = wrap(value)
        assert not body.started
        list(body)
        assert body.started
        with pytest.raises(RuntimeError, match="rewind"):
            iter(body)
        body.rewind()
        assert not body.started
        assert one_pass(body) == b"abc"


def test_rewind_before_first_pass_is_a_noop() -> None:
    body = wrap(gen([b"abc"]))
    body.rewind()
    assert one_pass(body) == b"abc"


def test_rewind_ends_the_running_pass() -> None:
    body = wrap(gen([b"a", b"b", b"c"]))
    first = iter(body)
    assert next(first) == b"a"
    body.rewind()
    with pytest.raises(RuntimeError, match="ended by rewind"):
        next(first)
    assert one_pass(body) == b"abc"


def test_stream_over_the_limit_is_not_replayable() -> None:
    body = wrap(gen([b"x" * 40] * 5), max_replay_bytes=100)
    assert one_pass(body) == b"x" * 200  # the first pass is complete
    assert not body.replayable
    assert body.bytes_sent == 200
    with pytest.raises(BodyNotReplayableError) as info:
        body.rewind()
    assert info.value.bytes_sent == 200
    assert info.value.limit == 100
    assert "200 bytes" in str(info.value) and "100 bytes" in str(info.value)


def test_stream_exactly_at_the_limit_is_replayable() -> None:
    body = wrap(gen([b"x" * 50, b"y" * 50]), max_replay_bytes=100)
    assert one_pass(body) == b"x" * 50 + b"y" * 50
    body.rewind()
    assert one_pass(body) == b"x" * 50 + b"y" * 50


def test_zero_limit() -> None:
    empty = wrap(gen([]), max_replay_bytes=0)
    assert one_pass(empty) == b""
    empty.rewind()
    assert one_pass(empty) == b""
    body = wrap(gen([b"a"]), max_replay_bytes=0)
    one_pass(body)
    with pytest.raises(BodyNotReplayableError):
        body.rewind()


def test_generator_of_ten_times_the_limit_stays_bounded() -> None:
    limit = 256 * 1024
    chunk = 8 * 1024
    count = 10 * limit // chunk

    def produce() -> Iterator[bytes]:
        for _ in range(count):
            yield os.urandom(chunk)

    gc.collect()
    tracemalloc.start()
    try:
        body = wrap(produce(), max_replay_bytes=limit)
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        total = 0
        for piece in body:
            total += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 10 * limit
    assert body.bytes_sent == 10 * limit
    assert not body.replayable
    assert peak - baseline < limit + 64 * 1024
    with pytest.raises(BodyNotReplayableError) as info:
        body.rewind()
    assert info.value.bytes_sent == 10 * limit
    assert info.value.limit == limit


def test_partially_sent_stream_is_replayed_then_continued() -> None:
    pulled: List[int] = []

    def produce() -> Iterator[bytes]:
        for n in range(6):
            pulled.append(n)
            yield bytes([65 + n]) * 10

    body = wrap(produce(), max_replay_bytes=1000)
    first = iter(body)
    sent = [next(first), next(first)]  # the server answered 401 after two chunks
    assert b"".join(sent) == b"A" * 10 + b"B" * 10
    assert body.bytes_sent == 20
    assert pulled == [0, 1]
    body.rewind()
    second = one_pass(body)
    assert second == b"".join(bytes([65 + n]) * 10 for n in range(6))
    assert body.bytes_sent == 60
    assert pulled == [0, 1, 2, 3, 4, 5]  # the source was read once, never restarted


def test_closing_a_pass_does_not_close_the_source() -> None:
    body = wrap(gen([b"a", b"b", b"c"]))
    first = iter(body)
    next(first)
    first.close()  # type: ignore[attr-defined]
    body.rewind()
    assert one_pass(body) == b"abc"


def test_failing_source_is_not_replayed_truncated() -> None:
    def produce() -> Iterator[bytes]:
        yield b"ok"
        raise ConnectionError("upstream went away")

    body = wrap(produce())
    with pytest.raises(ConnectionError):
        list(body)
    assert not body.replayable
    with pytest.raises(BodyNotReplayableError, match="ConnectionError"):
        body.rewind()


# -- hashing for auth-int -----------------------------------------------------------------------


def test_hash_bytes() -> None:
    body = wrap(b"hello world")
    assert body.hash(hashlib.md5) == md5(b"hello world")
    assert body.read_all() == b"hello world"
    assert wrap(b"").hash(hashlib.md5) == md5(b"")
    assert not body.started


def test_hash_stream_reads_ahead_into_the_buffer() -> None:
    pulled: List[int] = []

    def produce() -> Iterator[bytes]:
        for n in range(3):
            pulled.append(n)
            yield b"%d" % n * 4

    body = wrap(produce(), max_replay_bytes=100)
    assert body.hash(hashlib.sha256) == hashlib.sha256(b"000011112222").hexdigest()
    assert pulled == [0, 1, 2]
    assert body.bytes_sent == 0
    assert one_pass(body) == b"000011112222"  # served from the buffer
    assert body.read_all() == b"000011112222"
    body.rewind()
    assert one_pass(body) == b"000011112222"
    assert pulled == [0, 1, 2]


def test_hash_stream_mid_pass() -> None:
    body = wrap(gen([b"a", b"b", b"c"]))
    first = iter(body)
    assert next(first) == b"a"
    assert body.hash(hashlib.md5) == md5(b"abc")
    assert b"".join(first) == b"bc"


def test_hash_stream_over_the_limit() -> None:
    body = wrap(gen([b"x" * 60, b"y" * 60]), max_replay_bytes=100)
    with pytest.raises(BodyNotReplayableError) as info:
        body.hash(hashlib.md5)
    assert info.value.limit == 100
    assert not body.replayable
    # the part read ahead is gone: sending it now would be a truncated body
    with pytest.raises(BodyNotReplayableError):
        list(body)
    with pytest.raises(BodyNotReplayableError):
        body.read_all()


def test_hash_stream_after_overflowing_pass() -> None:
    body = wrap(gen([b"x" * 60, b"y" * 60]), max_replay_bytes=100)
    one_pass(body)
    with pytest.raises(BodyNotReplayableError):
        body.hash(hashlib.md5)


def test_read_all_stream() -> None:
    body = wrap(ReadOnly(b"abc" * 100), chunk_size=7)
    assert body.read_all() == b"abc" * 100
    assert one_pass(body) == b"abc" * 100


# -- repr ---------------------------------------------------------------------------------------


def test_repr_never_shows_content() -> None:
    secret = b"top-secret-content"
    for value in (secret, io.BytesIO(secret), gen([secret])):
        body = wrap(value, max_replay_bytes=4096)
        list(body)
        text = repr(body)
        assert "top-secret" not in text
        assert f"kind={body.kind!r}" in text
        assert f"bytes_sent={len(secret)}" in text
        assert "limit=4096" in text
        assert "length=" in text
