"""File objects of the fsspec filesystem: reads by HTTP ``Range`` (RFC 9110 section 14),
writes as one streamed PUT (RFC 9110 section 9.3.4) committed on ``close()``.

Reading
    :class:`DAVReadFile` fetches blocks with ``Range: bytes=a-b`` and fsspec's block caches
    (``readahead`` by default; ``cache_type="bytes"``, ``"blockcache"``... as for any fsspec
    file). A server that answers a range request with the whole entity (200, no range
    support) is read sequentially from one streamed GET: the filesystem warns once.

Writing
    :class:`DAVWriteFile` buffers up to ``block_size``; a file that fits is sent as one PUT
    with ``Content-Length`` when it is closed. A larger one is streamed: the first full block
    starts one chunked PUT whose body is a generator fed block by block through a bounded
    queue (memory: about three blocks, plus the adapter's replay buffer), and ``close()``
    ends the body and waits for the server's answer. A failure raises from ``close()``
    (or from the ``write()`` that meets it); a ``with`` block left by an exception aborts
    the upload instead of committing it. Should the server have kept part of an aborted
    stream (WsgiDAV writes in place), that part is deleted, but only when it is not the
    version the file had before the upload began.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import TYPE_CHECKING, Any, Iterator, Optional

import requests
from fsspec.spec import AbstractBufferedFile

if TYPE_CHECKING:
    from ._filesystem import DAVFileSystem

#: A streamed upload hands its body over in pieces of this size...
PIECE_BYTES = 1 << 20
#: ...and queues at most this many besides the one being sent.
QUEUE_PIECES = 2
#: How often a writer blocked on a full queue checks that the upload is still alive (s).
POLL_SECONDS = 0.1

#: How long an aborted upload may take to end (s).
ABORT_WAIT = 30.0

_END = object()


class DAVReadFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file opened ``"rb"``: random access by ``Range`` requests."""

    fs: DAVFileSystem

    def __init__(self, fs: DAVFileSystem, path: str, **kwargs: Any) -> None:
        self._sequential: Optional[_SequentialSource] = None
        super().__init__(fs, path, mode="rb", **kwargs)

    def _fetch_range(self, start: int, end: int) -> bytes:
        if self._sequential is not None:
            return self._sequential.read(start, end)
        data, ranged = self.fs._get_range(self.path, start, end)
        if ranged:
            return data
        self._sequential = _SequentialSource(self.fs, self.path)
        return self._sequential.read(start, end)

    def close(self) -> None:
        if self._sequential is not None:
            self._sequential.close()
            self._sequential = None
        super().close()


class _SequentialSource:
    """One streamed GET read forward; a read behind the position starts a new GET."""

    def __init__(self, fs: DAVFileSystem, path: str) -> None:
        self._fs = fs
        self._path = path
        self._response: Optional[requests.Response] = None
        self._chunks: Optional[Iterator[bytes]] = None
        self._position = 0
        self._pending = b""

    def _open(self) -> None:
        self.close()
        self._response = self._fs._get_stream(self._path)
        self._chunks = self._response.iter_content(self._fs.chunk_size)
        self._position = 0
        self._pending = b""

    def _take(self, count: int) -> bytes:
        assert self._chunks is not None
        parts = []
        while count > 0:
            if not self._pending:
                self._pending = next(self._chunks, b"")
                if not self._pending:
                    break
            piece, self._pending = self._pending[:count], self._pending[count:]
            parts.append(piece)
            count -= len(piece)
            self._position += len(piece)
        return b"".join(parts)

    def read(self, start: int, end: int) -> bytes:
        if self._chunks is None or start < self._position:
            self._open()
        while self._position < start:
            if not self._take(min(start - self._position, self._fs.chunk_size)):
                return b""
        return self._take(end - start)

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self._response = None
        self._chunks = None


class _StreamedPut:
    """One PUT whose body is fed by the writer, block by block, from another thread."""

    def __init__(self, fs: DAVFileSystem, path: str) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_PIECES)
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(
            target=self._run, args=(fs, path), name=f"dav-put {path}", daemon=True
        )
        self._thread.start()

    def _body(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            yield item

    def _run(self, fs: DAVFileSystem, path: str) -> None:
        try:
            fs._put_body(path, self._body(), False, retry=False)
        except BaseException as exc:  # handed to the writer's thread
            self._error = exc

    def _put(self, item: Any) -> None:
        while True:
            if not self._thread.is_alive():
                self._raise()
                raise OSError("the upload ended before its body was complete")
            try:
                self._queue.put(item, timeout=POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def send(self, data: memoryview) -> None:
        """Queue ``data`` as copied pieces (blocking while the queue is full), so the
        writer's block can go as soon as this returns."""
        for start in range(0, len(data), PIECE_BYTES):
            self._put(bytes(data[start : start + PIECE_BYTES]))

    def finish(self) -> None:
        self._put(_END)
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """End the body early and wait for the server's answer. A body cut off by a closed
        connection would leave the server storing it at its own pace (WsgiDAV keeps what
        arrived, and may create the file only after the writer looked for it); a complete,
        short body is stored before the answer, so the caller's DELETE of the temporary
        file comes after it. Pieces still queued are dropped first, so the end fits."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_END)
        self._thread.join(timeout=ABORT_WAIT)


class DAVWriteFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file opened ``"wb"`` or ``"xb"``: one PUT, committed on close (module docstring).

    ``"xb"`` fails at once with :class:`FileExistsError` when the file exists, and the
    upload is conditional (``If-None-Match: *``, RFC 9110 section 13.1.2, or a MOVE with
    ``Overwrite: F``), so a file created meanwhile is not replaced. With
    ``autocommit=False`` (fsspec transactions) :meth:`commit` does the last step.
    """

    fs: DAVFileSystem

    def __init__(self, fs: DAVFileSystem, path: str, mode: str, **kwargs: Any) -> None:
        try:
            super().__init__(fs, path, mode=mode, **kwargs)
        except NotImplementedError:  # an fsspec that knows no "xb"
            super().__init__(fs, path, mode="wb", **kwargs)
        self._create_only = mode == "xb"
        self._temporary: Optional[str] = None
        self._stream: Optional[_StreamedPut] = None
        self._failed = False

    def _initiate_upload(self) -> None:
        """Nothing yet: a file that fits one block goes as one PUT at close."""

    def _upload_chunk(self, final: bool = False) -> bool:
        try:
            if self._stream is None and final:
                data = self.buffer.getvalue()
                if self.autocommit:
                    self.fs._put_body(self.path, data, self._create_only, retry=True)
                else:
                    self._temporary = self.fs._temporary_name(self.path)
                    self.fs._put_body(self._temporary, data, False, retry=True)
                return True
            if self._stream is None:
                self._temporary = self.fs._temporary_name(self.path)
                self.fs.makedirs(self.fs._parent(self.path), exist_ok=True)
                self._stream = _StreamedPut(self.fs, self._temporary)
            with self.buffer.getbuffer() as view:
                self._stream.send(view)
            if final:
                self._stream.finish()
                if self.autocommit:
                    self.commit()
        except BaseException:
            self._fail()
            raise
        return True

    def _fail(self) -> None:
        if self._failed:
            return
        self._failed = True
        self.forced = True
        if self._stream is not None:
            self._stream.abort()
        if self._temporary is not None:
            self.fs._remove_temporary(self._temporary)

    def discard(self) -> None:
        """Abandon the upload: nothing is committed."""
        self._fail()
        self.closed = True
        self.fs.invalidate_cache(self.path)

    def commit(self) -> None:
        """Move the temporary file in place (MOVE, RFC 4918 section 9.9)."""
        if self._temporary is not None:
            self.fs._commit(self._temporary, self.path, overwrite=not self._create_only)
            self._temporary = None

    def close(self) -> None:
        """Send what is left and commit; closed afterwards even when that failed."""
        try:
            super().close()
        finally:
            self.closed = True

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is not None and not self.closed:
            self.discard()
            return
        self.close()

    def __del__(self) -> None:
        if not self.closed and getattr(self, "_stream", None) is not None:
            self.discard()
