"""The replayable body before the flat tee (issue 16): the reference for the fast passes.

A verbatim copy of ``requests_dav/auth/body.py`` at commit d312ea8 (only this docstring and the
import of the errors differ), kept for tests/auth/test_body_fast.py: every operation on a body
must give what this general, layered implementation gives.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Iterator, List, Optional

from requests_dav.auth.errors import BodyNotReplayableError

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_REPLAY_BYTES", "ReplayableBody"]

DEFAULT_MAX_REPLAY_BYTES = 1 << 20
"""1 MiB: the same threshold at which curl starts ``Expect: 100-continue``."""

DEFAULT_CHUNK_SIZE = 64 * 1024
"""Read size for files (seekable or not), and chunk size for bytes bodies."""


def _new_encoder(encoding: str) -> codecs.IncrementalEncoder:
    return codecs.getincrementalencoder(encoding)()


def _read_chunks(read: Callable[[int], Any], chunk_size: int, encoding: str) -> Iterator[bytes]:
    """Non-empty bytes chunks from a ``read(size)`` callable, text encoded incrementally."""
    encoder: Optional[codecs.IncrementalEncoder] = None
    while True:
        data = read(chunk_size)
        if data is None:
            raise BlockingIOError("read() returned None: a non-blocking file cannot be a body")
        if isinstance(data, str):
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
    if encoder is not None:
        tail = encoder.encode("", final=True)
        if tail:
            yield tail


def _iter_chunks(iterable: Iterable[Any], encoding: str) -> Iterator[bytes]:
    """Non-empty bytes chunks from an iterable of bytes-like or str items."""
    encoder: Optional[codecs.IncrementalEncoder] = None
    for item in iterable:
        if isinstance(item, bytes):
            data = item
        elif isinstance(item, (bytearray, memoryview)):
            data = bytes(item)
        elif isinstance(item, str):
            if encoder is None:
                encoder = _new_encoder(encoding)
            data = encoder.encode(item)
        else:
            raise TypeError(
                f"a body iterable yielded {type(item).__name__}; expected bytes or str chunks"
            )
        if data:
            yield data
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

    def __init__(self, *, length: Optional[int], max_replay_bytes: int, chunk_size: int) -> None:
        self.length = length
        self.max_replay_bytes = max_replay_bytes
        self.chunk_size = chunk_size
        self._bytes_sent = 0
        self._started = False
        self._generation = 0

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
        if isinstance(body, ReplayableBody):
            return body
        if max_replay_bytes < 0:
            raise ValueError(f"max_replay_bytes must be >= 0, got {max_replay_bytes}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        codecs.lookup(encoding)
        if isinstance(body, str):
            return _BytesBody(body.encode(encoding), max_replay_bytes, chunk_size)
        if isinstance(body, bytes):
            return _BytesBody(body, max_replay_bytes, chunk_size)
        if isinstance(body, (bytearray, memoryview)):
            return _BytesBody(bytes(body), max_replay_bytes, chunk_size)
        read = getattr(body, "read", None)
        if callable(read):
            if _is_seekable(body):
                try:
                    return _SeekableBody(body, max_replay_bytes, chunk_size, encoding)
                except OSError:
                    pass  # tell() failed (a pipe posing as a file): stream it
            return _StreamBody(
                _read_chunks(read, chunk_size, encoding), max_replay_bytes, chunk_size
            )
        if isinstance(body, Mapping) or not isinstance(body, Iterable):
            raise TypeError(
                f"cannot use a {type(body).__name__} as a request body: expected bytes, str, a "
                "file-like object or an iterable of bytes/str chunks (encode form data first)"
            )
        return _StreamBody(_iter_chunks(body, encoding), max_replay_bytes, chunk_size)

    # -- passes -------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[bytes]:
        """One pass over the body: non-empty bytes chunks. Call :meth:`rewind` between passes."""
        if self._started:
            raise RuntimeError(
                "this request body has already been iterated; call rewind() before sending it again"
            )
        self._check_can_start()
        self._started = True
        self._bytes_sent = 0
        self._generation += 1
        return self._pass(self._generation)

    def _pass(self, generation: int) -> Iterator[bytes]:
        chunks = self._chunks()
        while True:
            if generation != self._generation:
                raise RuntimeError("this pass over the request body was ended by rewind()")
            chunk = next(chunks, None)
            if chunk is None:
                return
            self._bytes_sent += len(chunk)
            yield chunk

    def _check_can_start(self) -> None:
        """Raise when a pass cannot begin."""

    def _chunks(self) -> Iterator[bytes]:
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


class _BytesBody(ReplayableBody):
    kind = "bytes"

    def __init__(self, data: bytes, max_replay_bytes: int, chunk_size: int) -> None:
        super().__init__(length=len(data), max_replay_bytes=max_replay_bytes, chunk_size=chunk_size)
        self._data = data

    def _chunks(self) -> Iterator[bytes]:
        data, size = self._data, self.chunk_size
        if len(data) <= size:
            if data:
                yield data
            return
        view = memoryview(data)
        for start in range(0, len(data), size):
            yield bytes(view[start : start + size])

    def _whole(self) -> Iterator[bytes]:
        if self._data:
            yield self._data


class _SeekableBody(ReplayableBody):
    kind = "seekable"

    def __init__(self, file: Any, max_replay_bytes: int, chunk_size: int, encoding: str) -> None:
        self._file = file
        self._encoding = encoding
        self._start = file.tell()
        text = isinstance(file, io.TextIOBase) or isinstance(file.read(0), str)
        length = None if text else self._measure()
        super().__init__(length=length, max_replay_bytes=max_replay_bytes, chunk_size=chunk_size)

    def _measure(self) -> Optional[int]:
        """Remaining size: fstat for a regular file, else seek to the end and back."""
        file, start = self._file, self._start
        try:
            info = os.fstat(file.fileno())
        except (AttributeError, OSError, ValueError):
            info = None
        if info is not None and stat.S_ISREG(info.st_mode):
            return max(0, info.st_size - int(start))
        try:
            file.seek(0, io.SEEK_END)
            end = file.tell()
            file.seek(start)
        except (OSError, ValueError, TypeError):
            return None
        if not isinstance(end, int) or not isinstance(start, int):
            return None
        return max(0, int(end) - int(start))

    def _chunks(self) -> Iterator[bytes]:
        return _read_chunks(self._file.read, self.chunk_size, self._encoding)

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
    kind = "stream"

    def __init__(self, source: Iterator[bytes], max_replay_bytes: int, chunk_size: int) -> None:
        super().__init__(length=None, max_replay_bytes=max_replay_bytes, chunk_size=chunk_size)
        self._source = source
        self._buffer: Optional[List[bytes]] = []
        self._buffered = 0
        self._pulled = 0
        self._exhausted = False
        self._failure: Optional[str] = None
        self._lost = False  # a read-ahead outgrew the limit: part of the body is gone

    @property
    def replayable(self) -> bool:
        return self._buffer is not None and self._failure is None

    def _pull(self) -> Optional[bytes]:
        """The next chunk of the source (teed into the buffer while it fits), None at the end."""
        if self._exhausted:
            return None
        try:
            chunk = next(self._source)
        except StopIteration:
            self._exhausted = True
            return None
        except BaseException as exc:
            self._failure = f"the body's source raised {type(exc).__name__}"
            raise
        self._pulled += len(chunk)
        if self._buffer is not None:
            if self._buffered + len(chunk) > self.max_replay_bytes:
                self._buffer = None  # drop it now: memory never grows past the limit
                self._buffered = 0
            else:
                self._buffer.append(chunk)
                self._buffered += len(chunk)
        return chunk

    def _not_replayable(self, reason: str) -> BodyNotReplayableError:
        return BodyNotReplayableError(
            reason, bytes_sent=self._bytes_sent, limit=self.max_replay_bytes
        )

    def _check_can_start(self) -> None:
        if self._lost:
            raise self._not_replayable(
                "the stream body was read ahead past the replay limit and cannot be sent"
            )

    def _chunks(self) -> Iterator[bytes]:
        """Buffered chunks first, then the source where the last pass stopped (tee'd)."""
        index = 0
        while True:
            if self._lost:
                raise self._not_replayable(
                    "part of the stream body was lost to a read-ahead past the replay limit"
                )
            buffer = self._buffer
            chunk = buffer[index] if buffer is not None and index < len(buffer) else self._pull()
            if chunk is None:
                return
            index += 1
            yield chunk

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
