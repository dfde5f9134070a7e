"""Upload bodies that report progress, for :meth:`~requests_dav.dav.session.DAVSession.upload`.

A seekable file keeps its Content-Length and can be rewound when authentication makes the
request go twice (PEP 268 body replay); any other iterable is passed through chunk by chunk.
"""

from __future__ import annotations

import io
from typing import (
    IO,
    Any,
    Callable,
    Iterable,
    Iterator,
    Optional,
)

#: ``progress(bytes_done, total_or_None)``.
Progress = Callable[[int, Optional[int]], None]


class ProgressReader(io.RawIOBase):
    """A read-only view of a seekable file that reports progress; rewinding (body replay
    after a 401) restarts the count. ``len()`` gives requests the Content-Length."""

    def __init__(self, raw: IO[bytes], total: int, progress: Optional[Progress]) -> None:
        super().__init__()
        self._raw = raw
        self._start = raw.tell()
        self._total = total
        self._progress = progress

    def __len__(self) -> int:
        return self._total

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._raw.tell() - self._start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._raw.seek(self._start + offset)
        elif whence == io.SEEK_END:
            self._raw.seek(self._start + self._total + offset)
        else:
            self._raw.seek(offset, io.SEEK_CUR)
        return self.tell()

    def read(self, size: Optional[int] = -1) -> bytes:
        data = self._raw.read(-1 if size is None else size)
        if self._progress is not None and data:
            self._progress(self.tell(), self._total)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def stream_with_progress(chunks: Iterable[bytes], progress: Optional[Progress]) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        if not chunk:
            continue
        done += len(chunk)
        yield chunk
        if progress is not None:
            progress(done, None)


def remaining_size(handle: Any) -> Optional[int]:
    """Bytes left in a seekable file object, or None when it cannot tell."""
    try:
        if hasattr(handle, "seekable") and not handle.seekable():
            return None
        position = handle.tell()
        end = handle.seek(0, io.SEEK_END)
        handle.seek(position)
        return int(end - position)
    except (OSError, AttributeError, ValueError):
        return None


__all__ = ["Progress", "ProgressReader", "remaining_size", "stream_with_progress"]
