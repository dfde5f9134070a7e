"""Replayable request bodies (PEP 268 body buffering; RFC 7235 section 3.1; RFC 7616 section 3.4.3).

A request answered with 401 or 407 is sent again with credentials, and it must carry the *same
bytes* (never a silently truncated or empty body). :meth:`ReplayableBody.wrap` picks a strategy:

``"bytes"``
    bytes, bytearray, memoryview or str (encoded with ``encoding``). Replay is free. bytearray and
    memoryview are copied once into bytes (a snapshot: later mutation cannot change a replay);
    bytes are never copied.
``"seekable"``
    a file with ``seek`` and ``tell`` (and ``seekable()`` true when it has that method). The
    position at wrap time is remembered and every replay seeks back there: the content is never
    copied. ``length`` is the remaining size when it can be determined (``fstat`` for a regular
    file, otherwise a seek to the end and back); a text-mode file is encoded chunk by chunk with
    an incremental encoder and its length is unknown.
``"stream"``
    any other file-like (``read()``) or iterable of bytes/str chunks (generator, iterator, list).
    Chunks are teed into a buffer while they stream, up to ``max_replay_bytes``. When the buffer
    would exceed the limit it is dropped at once (memory never grows past the limit),
    :attr:`~ReplayableBody.replayable` becomes False and :meth:`~ReplayableBody.rewind` raises
    :class:`~requests_dav.auth.errors.BodyNotReplayableError` saying how many bytes had been sent.
    The caller then gets the 401/407 back with the credentials already cached and can send again
    (PEP 268). A pass that stopped early (the server answered before reading everything) but
    stayed within the limit can be replayed: the next pass yields the buffered part, then carries
    on from the source where the first pass stopped. Once the source has raised, no pass
    (and no :meth:`~ReplayableBody.rewind`) can make the body whole again: they raise
    :class:`~requests_dav.auth.errors.BodyNotReplayableError`.

The default limit, :data:`DEFAULT_MAX_REPLAY_BYTES`, is 1 MiB: the size at which curl starts to
send ``Expect: 100-continue`` instead of the body, i.e. the point past which sending a body blind
to a server that may refuse it is considered too costly. Below it, keeping a copy in memory is
cheap; above it a body should be a seekable file (replayed without a copy) or the caller should
use ``Expect: 100-continue`` / send again.

Digest ``qop=auth-int`` (RFC 7616 section 3.4.3) needs the hash of the whole body before it is
sent: :meth:`~ReplayableBody.hash` reads bytes and seekable bodies without keeping a copy, and
reads a stream ahead into the replay buffer (same limit).

Every pass is explicit: iterate once, call :meth:`~ReplayableBody.rewind`, iterate again.
Iterating a second time without :meth:`~ReplayableBody.rewind` is a :class:`RuntimeError`.
Chunks are always non-empty ``bytes`` (an empty chunk ends a chunked body in some stacks).

Each pass is one flat generator (no per-chunk layers of method calls): a stream pass tees each
chunk into the buffer as it yields it, counting the bytes with one addition, and a file pass
reads the file itself. The exact built-in types (bytes, str, generators, lists, tuples and the
binary ``io`` files) are told apart by ``type()`` before the general probes, which they would
pass the same way.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from collections.abc import Iterable, Mapping
from types import GeneratorType
from typing import Any, Callable, Iterator, List, Optional

from .errors import BodyNotReplayableError

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_REPLAY_BYTES", "ReplayableBody"]

DEFAULT_MAX_REPLAY_BYTES = 1 << 20
"""1 MiB: the same threshold at which curl starts ``Expect: 100-continue``."""

DEFAULT_CHUNK_SIZE = 64 * 1024
"""Read size for files (seekable or not), and chunk size for bytes bodies."""

_UNREAD: Any = object()  # no block handed to _read_chunks: it reads its first one itself
_END: Any = object()  # next()'s default: the source is exhausted

#: exact types that can never be a ReplayableBody (wrap() skips that isinstance check)
_PLAIN_TYPES = frozenset(
    {bytes, str, GeneratorType, list, tuple, io.BufferedReader, io.BufferedRandom, io.BytesIO}
)
#: exact binary file types: readable, seek/tell/seekable() always there, read() returns bytes
_BINARY_FILES = frozenset({io.BufferedReader, io.BufferedRandom, io.BytesIO})


def _new_encoder(encoding: str) -> codecs.IncrementalEncoder:
    return codecs.getincrementalencoder(encoding)()


def _ended() -> RuntimeError:
    return RuntimeError("this pass over the request body was ended by rewind()")


def _read_chunks(
    read: Callable[[int], Any], chunk_size: int, encoding: str, first: Any = _UNREAD
) -> Iterator[bytes]:
    """Non-empty bytes chunks from a ``read(size)`` callable, text encoded incrementally.

    ``first``, when given, is the block a caller has already read: it is taken as the result of
    the first ``read``.
    """
    encoder: Optional[codecs.IncrementalEncoder] = None
    data = first
    while True:
        if data is _UNREAD:
            data = read(chunk_size)
        if type(data) is bytes:
            if not data:
                break
        elif data is None:
            raise BlockingIOError("read() returned None: a non-blocking file cannot be a body")
        elif isinstance(data, str):
            if encoder is None:
                encoder = _new_encoder(encoding)
            if not data:
                break
            data = encoder.encode(data)
        elif isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        elif not isinstance(data, bytes):
            raise TypeError(f"read() returned {type(data).__name__}; expected bytes or str")
        elif not data:
            break
        if data:
            yield data
        data = _UNREAD
    if encoder is not None:
        tail = encoder.encode("", final=True)
        if tail:
            yield tail


def _is_seekable(body: Any) -> bool:
    if not (callable(getattr(body, "seek", None)) and callable(getattr(body, "tell", None))):
        return False
    probe = getattr(body, "seekable", None)
    if callable(probe):
        try:
            return bool(probe())
        except (OSError, ValueError):
            return False
    return True


class ReplayableBody:
    """A request body that can be sent again with the same bytes (PEP 268 body buffering).

    Create with :meth:`wrap`. Attributes: ``kind`` (``"bytes"``, ``"seekable"`` or ``"stream"``),
    ``length`` (known remaining length in bytes, or ``None``), ``max_replay_bytes``.
    """

    kind: str = ""
    length: Optional[int]
    max_replay_bytes: int
    chunk_size: int
    # per-body state; class-level starting values spare the subclasses a super().__init__()
    _bytes_sent = 0
    _started = False
    _generation = 0
    _lost = False  # a stream read ahead past its limit: part of the body is gone
    _failure: Optional[str] = None  # a stream's source raised: the body can never be whole

    def __init__(self, *, length: Optional[int], max_replay_bytes: int, chunk_size: int) -> None:
        self.length = length
        self.max_replay_bytes = max_replay_bytes
        self.chunk_size = chunk_size

    @classmethod
    def wrap(
        cls,
        body: object,
        *,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        encoding: str = "utf-8",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Optional[ReplayableBody]:
        """Wrap a request body; ``None`` for ``None``; an existing ReplayableBody is returned as is.

        :class:`TypeError` for anything that is not bytes-like, str, a file-like (``read``) or an
        iterable of chunks (e.g. a dict: form data must already be encoded, as requests does).
        """
        if body is None:
            return None
        kind = type(body)
        if kind not in _PLAIN_TYPES and isinstance(body, ReplayableBody):
            return body
        if max_replay_bytes < 0:
            raise ValueError(f"max_replay_bytes must be >= 0, got {max_replay_bytes}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if encoding != "utf-8":  # utf-8 always exists
            codecs.lookup(encoding)
        if kind is bytes:
            return _BytesBody(body, max_replay_bytes, chunk_size)  # type: ignore[arg-type]
        if kind is GeneratorType or kind is list or kind is tuple:
            return _StreamBody(None, body, max_replay_bytes, chunk_size, encoding)
        if kind in _BINARY_FILES:
            return _wrap_file(body, max_replay_bytes, chunk_size, encoding, binary=True)
        if isinstance(body, str):
            return _BytesBody(body.encode(encoding), max_replay_bytes, chunk_size)
        if isinstance(body, bytes):
            return _BytesBody(body, max_replay_bytes, chunk_size)
        if isinstance(body, (bytearray, memoryview)):
            return _BytesBody(bytes(body), max_replay_bytes, chunk_size)
        if callable(getattr(body, "read", None)):
            return _wrap_file(body, max_replay_bytes, chunk_size, encoding, binary=False)
        if isinstance(body, Mapping) or not isinstance(body, Iterable):
            raise TypeError(
                f"cannot use a {type(body).__name__} as a request body: expected bytes, str, a "
                "file-like object or an iterable of bytes/str chunks (encode form data first)"
            )
        return _StreamBody(None, body, max_replay_bytes, chunk_size, encoding)

    # -- passes -------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[bytes]:
        """One pass over the body: non-empty bytes chunks. Call :meth:`rewind` between passes."""
        if self._started:
            raise RuntimeError(
                "this request body has already been iterated; call rewind() before sending it again"
            )
        if self._lost or self._failure is not None:
            raise self._cannot_start()
        self._started = True
        self._bytes_sent = 0
        self._generation += 1
        return self._pass(self._generation)

    def _pass(self, generation: int) -> Iterator[bytes]:
        """The pass numbered ``generation``: counts ``_bytes_sent``; ended by a rewind."""
        raise NotImplementedError

    def _cannot_start(self) -> BodyNotReplayableError:
        raise NotImplementedError

    @property
    def bytes_sent(self) -> int:
        """Bytes handed out by the current pass, or the last one (0 before the first)."""
        return self._bytes_sent

    @property
    def replayable(self) -> bool:
        """Whether :meth:`rewind` can succeed (False once a stream outgrew its buffer)."""
        return True

    @property
    def started(self) -> bool:
        """A pass has begun since the body was wrapped or last rewound."""
        return self._started

    def rewind(self) -> None:
        """Make the body ready for another pass.

        :class:`~requests_dav.auth.errors.BodyNotReplayableError` when it cannot be: a stream that
        outgrew ``max_replay_bytes``, whose source failed, or a file that cannot seek back.
        A pass still running is ended: its iterator raises :class:`RuntimeError` if used again.
        """
        if not self._started:
            return
        self._rewind()
        self._started = False
        self._generation += 1

    def _rewind(self) -> None:
        """Kind-specific part of :meth:`rewind`."""

    # -- whole-body access (Digest auth-int) --------------------------------------------------

    def hash(self, factory: Callable[[], Any]) -> str:
        """Hex digest of the whole body for Digest ``qop=auth-int`` (RFC 7616 section 3.4.3).

        ``factory`` makes a hashlib-style object (``update``, ``hexdigest``). Does not count as a
        pass. :class:`BodyNotReplayableError` for a stream larger than ``max_replay_bytes``.
        """
        hasher = factory()
        for chunk in self._whole():
            hasher.update(chunk)
        return str(hasher.hexdigest())

    def read_all(self) -> bytes:
        """The whole body as bytes (buffers a stream, same limit rule as :meth:`hash`)."""
        return b"".join(self._whole())

    def _whole(self) -> Iterator[bytes]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"ReplayableBody(kind={self.kind!r}, length={self.length!r}, "
            f"bytes_sent={self._bytes_sent}, limit={self.max_replay_bytes}, "
            f"replayable={self.replayable})"
        )


def _wrap_file(
    file: Any, max_replay_bytes: int, chunk_size: int, encoding: str, *, binary: bool
) -> ReplayableBody:
    """A file-like body: seekable when it can seek and tell, else a stream of its reads.

    ``binary``: ``file`` is one of the exact :data:`_BINARY_FILES` types, which have ``seek``,
    ``tell`` and ``seekable()`` and read bytes: only ``seekable()`` is asked.
    """
    if binary:
        try:
            seekable = bool(file.seekable())
        except (OSError, ValueError):
            seekable = False
    else:
        seekable = _is_seekable(file)
    if seekable:
        try:
            return _SeekableBody(file, max_replay_bytes, chunk_size, encoding, binary=binary)
        except OSError:
            pass  # tell() failed (a pipe posing as a file): stream it
    return _StreamBody(
        _read_chunks(file.read, chunk_size, encoding), None, max_replay_bytes, chunk_size, encoding
    )


class _BytesBody(ReplayableBody):
    kind = "bytes"

    def __init__(self, data: bytes, max_replay_bytes: int, chunk_size: int) -> None:
        self.length = len(data)
        self.max_replay_bytes = max_replay_bytes
        self.chunk_size = chunk_size
        self._data = data

    def _pass(self, generation: int) -> Iterator[bytes]:
        if generation != self._generation:
            raise _ended()
        data, size = self._data, self.chunk_size
        if len(data) <= size:
            if data:
                self._bytes_sent = len(data)
                yield data
                if generation != self._generation:
                    raise _ended()
            return
        view = memoryview(data)
        for start in range(0, len(data), size):
            chunk = bytes(view[start : start + size])
            self._bytes_sent += len(chunk)
            yield chunk
            if generation != self._generation:
                raise _ended()

    def _whole(self) -> Iterator[bytes]:
        if self._data:
            yield self._data


class _SeekableBody(ReplayableBody):
    kind = "seekable"

    def __init__(
        self, file: Any, max_replay_bytes: int, chunk_size: int, encoding: str, *, binary: bool
    ) -> None:
        self._file = file
        self._encoding = encoding
        self._start = file.tell()
        text = not binary and (isinstance(file, io.TextIOBase) or isinstance(file.read(0), str))
        self.length = None if text else self._measure()
        self.max_replay_bytes = max_replay_bytes
        self.chunk_size = chunk_size

    def _measure(self) -> Optional[int]:
        """Remaining size: fstat for a regular file, else seek to the end and back."""
        file, start = self._file, self._start
        try:
            info = os.fstat(file.fileno())
        except (AttributeError, OSError, ValueError):
            info = None
        if info is not None and stat.S_ISREG(info.st_mode):
            remaining = info.st_size - int(start)
            return remaining if remaining > 0 else 0
        try:
            file.seek(0, io.SEEK_END)
            end = file.tell()
            file.seek(start)
        except (OSError, ValueError, TypeError):
            return None
        if not isinstance(end, int) or not isinstance(start, int):
            return None
        return max(0, int(end) - int(start))

    def _pass(self, generation: int) -> Iterator[bytes]:
        if generation != self._generation:
            raise _ended()
        read, size = self._file.read, self.chunk_size
        while True:
            data = read(size)
            if type(data) is not bytes:
                break  # text, bytearray, None...: the general reader, from this block on
            if not data:
                return
            self._bytes_sent += len(data)
            yield data
            if generation != self._generation:
                raise _ended()
        for chunk in _read_chunks(read, size, self._encoding, data):
            self._bytes_sent += len(chunk)
            yield chunk
            if generation != self._generation:
                raise _ended()

    def _seek_start(self) -> None:
        try:
            self._file.seek(self._start)
        except (OSError, ValueError) as exc:
            raise BodyNotReplayableError(
                f"the body file cannot seek back to its start ({type(exc).__name__})",
                bytes_sent=self._bytes_sent,
                limit=None,
            ) from exc

    def _rewind(self) -> None:
        self._seek_start()

    def _whole(self) -> Iterator[bytes]:
        try:
            position = self._file.tell()
        except (OSError, ValueError) as exc:
            raise BodyNotReplayableError(
                f"the body file cannot report its position ({type(exc).__name__})",
                bytes_sent=self._bytes_sent,
                limit=None,
            ) from exc
        self._seek_start()
        try:
            yield from _read_chunks(self._file.read, self.chunk_size, self._encoding)
        finally:
            self._file.seek(position)


class _StreamBody(ReplayableBody):
    """A stream teed into ``_buffer`` while it fits ``max_replay_bytes``.

    ``_source`` is the iterator pulled (made from ``_iterable`` at the first pull, as a ``for``
    loop would); its items are bytes, bytearray, memoryview or str. ``_pulled`` counts the
    bytes pulled: while the buffer lives it holds all of them, so one count serves for both.
    Pulls outside a pass (a read-ahead for :meth:`hash`) bump ``_ahead``, which sends a running
    pass back to the buffer for what was read ahead.
    """

    kind = "stream"

    def __init__(
        self,
        source: Optional[Iterator[Any]],
        iterable: Any,
        max_replay_bytes: int,
        chunk_size: int,
        encoding: str,
    ) -> None:
        self.length = None
        self.max_replay_bytes = max_replay_bytes
        self.chunk_size = chunk_size
        self._source = iterable if type(iterable) is GeneratorType else source
        self._iterable = iterable
        self._encoding = encoding
        self._encoder: Optional[codecs.IncrementalEncoder] = None
        self._buffer: Optional[List[bytes]] = []
        self._pulled = 0
        self._ahead = 0
        self._exhausted = False

    @property
    def replayable(self) -> bool:
        return self._buffer is not None and self._failure is None

    def _not_replayable(self, reason: str) -> BodyNotReplayableError:
        return BodyNotReplayableError(
            reason, bytes_sent=self._bytes_sent, limit=self.max_replay_bytes
        )

    def _cannot_start(self) -> BodyNotReplayableError:
        if self._lost:
            return self._not_replayable(
                "the stream body was read ahead past the replay limit and cannot be sent"
            )
        return self._not_replayable(f"{self._failure}: the stream body cannot be sent whole")

    # -- the source ---------------------------------------------------------------------------

    def _fail(self, exc: BaseException) -> None:
        self._failure = f"the body's source raised {type(exc).__name__}"

    def _convert(self, item: Any) -> bytes:
        """A source item that is not exactly ``bytes``, as bytes (``b""`` to skip)."""
        if isinstance(item, bytes):
            return item
        if isinstance(item, (bytearray, memoryview)):
            return bytes(item)
        if isinstance(item, str):
            if self._encoder is None:
                self._encoder = _new_encoder(self._encoding)
            return self._encoder.encode(item)
        raise TypeError(
            f"a body iterable yielded {type(item).__name__}; expected bytes or str chunks"
        )

    def _tee(self, chunk: bytes) -> None:
        """Count a pulled chunk and keep it while the buffer fits the limit; drop it past that."""
        self._pulled += len(chunk)
        if self._buffer is not None:
            if self._pulled > self.max_replay_bytes:
                self._buffer = None  # drop it now: memory never grows past the limit
            else:
                self._buffer.append(chunk)

    def _finish(self) -> Optional[bytes]:
        """The source is exhausted: the text encoder's last bytes (teed), if any."""
        self._exhausted = True
        if self._encoder is None:
            return None
        try:
            tail = self._encoder.encode("", final=True)
        except BaseException as exc:
            self._fail(exc)
            raise
        if not tail:
            return None
        self._tee(tail)
        return tail

    def _pull(self) -> Optional[bytes]:
        """The next chunk of the source for a read-ahead (teed), None at the end."""
        self._ahead += 1
        while not self._exhausted:
            try:
                source = self._source
                if source is None:
                    source = self._source = iter(self._iterable)
                item = next(source, _END)
                if item is _END:
                    chunk = None
                else:
                    chunk = item if type(item) is bytes else self._convert(item)
            except BaseException as exc:
                self._fail(exc)
                raise
            if chunk is None:
                return self._finish()
            if chunk:
                self._tee(chunk)
                return chunk
        return None

    # -- passes -------------------------------------------------------------------------------

    def _pass(self, generation: int) -> Iterator[bytes]:
        """Buffered chunks first, then the source where the last pass stopped, teed inline."""
        index = 0  # chunks this pass has handed out; while the buffer lives, also its index
        while True:
            if generation != self._generation:
                raise _ended()
            if self._lost:
                raise self._not_replayable(
                    "part of the stream body was lost to a read-ahead past the replay limit"
                )
            buffer = self._buffer
            if buffer is not None and index < len(buffer):
                chunk = buffer[index]
                index += 1
                self._bytes_sent += len(chunk)
                yield chunk
                continue
            if self._exhausted:
                return
            if self._failure is not None:
                raise self._not_replayable(self._failure + " during a read-ahead")
            ahead, limit = self._ahead, self.max_replay_bytes
            theirs = True  # an exception now comes from the source (or its conversion)
            exhausted = False
            try:
                source = self._source
                if source is None:
                    source = self._source = iter(self._iterable)
                for item in source:
                    chunk = item if type(item) is bytes else self._convert(item)
                    if not chunk:
                        continue
                    size = len(chunk)
                    pulled = self._pulled = self._pulled + size
                    if buffer is not None:
                        if pulled > limit:
                            self._buffer = buffer = None  # dropped now: memory stays bounded
                        else:
                            buffer.append(chunk)
                            index += 1
                    self._bytes_sent += size
                    theirs = False
                    yield chunk
                    if generation != self._generation:
                        raise _ended()
                    if self._ahead != ahead:
                        break  # a read-ahead pulled past this chunk: take those from the buffer
                    theirs = True
                else:
                    exhausted = True
            except BaseException as exc:
                if theirs:
                    self._fail(exc)
                raise
            if not exhausted:
                continue
            if self._encoder is None:  # no text: nothing left to encode
                self._exhausted = True
                return
            tail = self._finish()
            if tail is not None:
                self._bytes_sent += len(tail)
                yield tail
                if generation != self._generation:
                    raise _ended()
            return

    def _rewind(self) -> None:
        if self._failure is not None:
            raise self._not_replayable(self._failure + " during an earlier pass")
        if self._buffer is None:
            raise self._not_replayable("the stream body outgrew the replay buffer")

    def _whole(self) -> Iterator[bytes]:
        if self._failure is not None:
            raise self._not_replayable(self._failure)
        if self._buffer is None:
            raise self._not_replayable("the stream body outgrew the replay buffer")
        while self._pull() is not None:
            if self._buffer is None:
                self._lost = True
                raise self._not_replayable(
                    "the stream body is larger than the replay buffer and cannot be read whole"
                )
        return iter(list(self._buffer))
