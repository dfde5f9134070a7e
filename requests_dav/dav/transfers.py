"""Downloads and uploads of :class:`~requests_dav.dav.session.DAVSession`.

GET (RFC 9110 section 9.3.1) streamed into a file, and PUT (RFC 9110 section 9.3.4, RFC 4918
section 9.7) of a path, bytes, a file object or an iterable, with progress and conditional
headers (RFC 9110 section 13.1).

A download into a file path is atomic: the body goes to a temporary name beside the target
(:func:`partial_path`) and is renamed over the target only once it is complete, so an
interrupted download never leaves a truncated file under the final name. ``resume=True``
continues such a partial file with ``Range`` and ``If-Range`` (RFC 9110 sections 14.2 and
13.1.5): a 206 appends, a 200 (the resource changed) starts over. An upload with
``atomic=True`` is sent to a temporary name in the same collection and then moved over the
target (MOVE, RFC 4918 section 9.9), so the target is never a truncated upload.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import os
import re
import sys
import time
import uuid
from typing import (
    Any,
    BinaryIO,
    Callable,
    Dict,
    Iterable,
    Optional,
    Tuple,
    Union,
)

import requests
from urllib3.exceptions import IncompleteRead, ProtocolError, ReadTimeoutError
from urllib3.exceptions import SSLError as Urllib3SSLError

from . import errors, splicing
from .client import CHUNK_SIZE, DAVSessionCore, Target
from .progress import Progress, ProgressReader, remaining_size, stream_with_progress
from .results import WriteResult, write_result

#: chunks a download is read and written in: large enough that Python's per-chunk work is
#: noise, small enough that the chunk stays in a core's L2 cache between the socket's copy into
#: it and the file's copy out of it (1 MiB chunks cost a 10 x 100 MiB tree download about twice
#: the kernel time, ``benchmarks/bench_tree.py``)
DOWNLOAD_CHUNK = 256 << 10
#: bodies from this size on get their blocks allocated before they are written (:func:`_reserve`)
RESERVE_FROM = 1 << 20
#: bodies from this size on go from a plain socket into the file inside the kernel
#: (:mod:`.splicing`); a smaller one is mostly in ``http.client``'s buffer already
SPLICE_FROM = 1 << 20
#: ``fallocate`` mode: allocate, keep the file's size (linux/falloc.h)
_FALLOC_FL_KEEP_SIZE = 1
#: suffix of a download in progress, beside its target
PARTIAL_SUFFIX = ".rdpart"
#: suffix of the file beside a partial download that keeps the validator for If-Range
VALIDATOR_SUFFIX = ".rdpart-validator"
#: ``bytes START-END/LENGTH`` (RFC 9110 section 14.4), LENGTH may be ``*``
_CONTENT_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19}|\*)")


def partial_path(target: Union[str, os.PathLike[str]]) -> str:
    """The temporary name a download into ``target`` is written to: ``.NAME.rdpart`` in the
    same directory (the same file system, so the final rename is atomic)."""
    directory, name = os.path.split(os.fspath(target))
    return os.path.join(directory, f".{name}{PARTIAL_SUFFIX}")


def _validator(response: requests.Response) -> Optional[str]:
    """A validator If-Range may carry: a strong ETag, else Last-Modified (RFC 9110 section
    13.1.5: a weak entity-tag is never used for a range)."""
    etag = response.headers.get("ETag", "").strip()
    if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2 and len(etag) < 1024:
        return etag
    modified = response.headers.get("Last-Modified", "").strip()
    return modified if 0 < len(modified) < 64 else None


def _content_range(response: requests.Response) -> Optional[Tuple[int, Optional[int]]]:
    """(first byte, complete length or None) of a 206's Content-Range, None if unusable."""
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    if last < first:
        return None
    length = None if match.group(3) == "*" else int(match.group(3))
    if length is not None and last >= length:
        return None
    return first, length


class TransferMethods(DAVSessionCore):
    """GET into files and PUT from files, bytes or iterables, with progress."""

    def download(
        self,
        path: Target,
        file_or_path: Union[str, os.PathLike[str], BinaryIO],
        progress: Optional[Progress] = None,
        *,
        resume: bool = False,
    ) -> int:
        """GET (RFC 9110 section 9.3.1) a resource into a file object or a file path, streamed
        in chunks; returns the number of bytes of the resource now in the file.

        ``progress(done, total)`` is called after each chunk (``total`` from Content-Length,
        or None). A file path is written atomically (see the module docstring); when the
        transfer fails, the partial file is kept beside the target if the server sent a
        validator, so that ``resume=True`` can continue it, and removed otherwise.
        """
        if isinstance(file_or_path, (str, os.PathLike)):
            return self._download_file(path, os.fspath(file_or_path), progress, resume)
        response = self._send("GET", path, stream=True)
        try:
            return self._copy_body(response, file_or_path, _length(response), progress)
        finally:
            response.close()

    def _download_file(
        self, path: Target, target: str, progress: Optional[Progress], resume: bool
    ) -> int:
        partial = partial_path(target)
        keeper = partial + VALIDATOR_SUFFIX
        offset, validator = 0, None
        if resume and os.path.exists(partial):
            with contextlib.suppress(OSError), open(keeper, encoding="utf-8") as handle:
                validator = handle.read(1100).strip() or None
            offset = os.path.getsize(partial) if validator else 0
        headers: Dict[str, str] = {}
        if offset and validator:
            headers = {"Range": f"bytes={offset}-", "If-Range": validator}
        response = self._send("GET", path, stream=True, headers=headers, ok=(416,))
        try:
            if response.status_code == 416:
                # the partial file is not shorter than the resource any more: start over
                response.close()
                offset, headers = 0, {}
                response = self._send("GET", path, stream=True)
            start, total = 0, _length(response)
            if response.status_code == 206 and offset:
                span = _content_range(response)
                if span is None or span[0] != offset:
                    raise errors.DAVError(
                        f"GET {response.url}: the server's Content-Range does not continue "
                        f"the partial download at byte {offset}",
                        response=response,
                    )
                start, total = offset, span[1]
            elif response.status_code != 200:
                raise errors.DAVError(
                    f"GET {response.url} answered {response.status_code}, expected 200",
                    response=response,
                )
            new_validator = _validator(response)
            with open(partial, "ab" if start else "wb") as out:
                if new_validator:
                    with open(keeper, "w", encoding="utf-8") as handle:
                        handle.write(new_validator)
                else:
                    _remove(keeper)
                try:
                    written = _copy_into_file(response, out, total, progress, start=start)
                except BaseException:
                    out.close()
                    if not new_validator:
                        _remove(partial)
                    raise
            os.replace(partial, target)
            _remove(keeper)
            return start + written
        finally:
            response.close()

    @staticmethod
    def _copy_body(
        response: requests.Response,
        out: BinaryIO,
        total: Optional[int],
        progress: Optional[Progress],
        *,
        start: int = 0,
    ) -> int:
        """The decoded body into ``out`` in chunks of :data:`DOWNLOAD_CHUNK` (urllib3 decodes a
        ``Content-Encoding`` at most a chunk at a time: a bomb stays a chunk in memory) and
        raises on a body shorter than its Content-Length; ``progress`` after each chunk."""
        done = 0
        if progress is not None:
            progress(start, total)
        for chunk in response.iter_content(DOWNLOAD_CHUNK):
            if not chunk:
                continue
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(start + done, total)
        return done

    def upload(
        self,
        file_or_path: Union[str, os.PathLike[str], bytes, BinaryIO, Iterable[bytes]],
        path: Target,
        progress: Optional[Progress] = None,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
        content_type: Optional[str] = None,
        *,
        atomic: bool = False,
    ) -> WriteResult:
        """PUT (RFC 9110 section 9.3.4, RFC 4918 section 9.7) a file path, bytes, a binary
        file object or an iterable of bytes.

        ``if_none_match="*"`` creates only (RFC 9110 section 13.1.2: no exists-then-PUT
        race); ``if_match=etag`` replaces only that version. A failed condition raises
        :class:`errors.PreconditionFailedError` (412, with the current ETag when known).
        A seekable file is sent with Content-Length (and rewound if authentication makes
        the request go twice); other iterables go chunked.

        ``atomic=True`` sends the body to a temporary name beside the target, then moves it
        over the target (``Overwrite: F`` with ``if_none_match="*"``); a failed or
        interrupted upload is deleted from the server and never reaches the target. It
        cannot be combined with ``if_match`` (MOVE has no condition on the destination's
        version).
        """
        headers: Dict[str, str] = {}
        if if_match is not None:
            headers["If-Match"] = if_match
        if if_none_match is not None:
            headers["If-None-Match"] = if_none_match
        if content_type is not None:
            headers["Content-Type"] = content_type
        if atomic:
            if if_match is not None:
                raise ValueError("atomic uploads cannot be combined with if_match")
            return self._atomic_put(file_or_path, path, headers, progress)
        if isinstance(file_or_path, (str, os.PathLike)):
            with open(file_or_path, "rb") as handle:
                return self._put(path, handle, headers, progress)
        return self._put(path, file_or_path, headers, progress)

    def _atomic_put(
        self, data: Any, path: Target, headers: Dict[str, str], progress: Optional[Progress]
    ) -> WriteResult:
        url = self.url(path)
        parent, _, name = url.rstrip("/").rpartition("/")
        temporary = f"{parent}/.{name}.{uuid.uuid4().hex[:12]}.rdupload"
        create_only = headers.pop("If-None-Match", None) == "*"
        existed = self._exists(url)  # some servers (nginx) answer 204 to any MOVE
        if create_only and existed:
            raise errors.PreconditionFailedError(f"PUT {url}: the resource exists (create only)")
        try:
            if isinstance(data, (str, os.PathLike)):
                with open(data, "rb") as handle:
                    self._put(temporary, handle, headers, progress)
            else:
                self._put(temporary, data, headers, progress)
            moved = self._send(
                "MOVE",
                temporary,
                headers={"Destination": url, "Overwrite": "F" if create_only else "T"},
            )
        except BaseException:
            self.discard_upload(temporary)
            raise
        result = write_result(moved, url=url)
        etag = result.etag
        if etag is None:
            with contextlib.suppress(requests.RequestException):
                head = self.request("HEAD", url)
                if head.status_code == 200:
                    etag = head.headers.get("ETag")
        return WriteResult(result.status, url, not existed, etag, result.location, moved)

    def discard_upload(self, temporary: Target) -> None:
        """Delete what a failed upload left under its temporary name, never raising. A server
        may still be writing the broken upload when the DELETE arrives (404): try again,
        briefly."""
        for _attempt in range(4):
            try:
                response = self.request("DELETE", temporary)
            except Exception:
                return
            response.close()
            status = response.status_code
            if status != 404:
                return
            time.sleep(0.15)

    def _exists(self, url: str) -> bool:
        try:
            self._send("PROPFIND", url, body=_RESOURCETYPE, headers={"Depth": "0"})
        except errors.NotFoundError:
            return False
        return True

    def _put(
        self, path: Target, data: Any, headers: Dict[str, str], progress: Optional[Progress]
    ) -> WriteResult:
        body: Any = data
        if isinstance(data, (bytes, bytearray, memoryview)):
            body = bytes(data)
            if progress is not None:
                body = ProgressReader(io.BytesIO(body), len(body), progress)
        elif hasattr(data, "read"):
            total = remaining_size(data)
            if total is not None:
                body = ProgressReader(data, total, progress)
            else:
                body = stream_with_progress(iter(lambda: data.read(CHUNK_SIZE), b""), progress)
        else:
            body = stream_with_progress(data, progress)
        response = self._send("PUT", path, data=body, headers=headers)
        return write_result(response)


def _copy_into_file(
    response: requests.Response,
    out: BinaryIO,
    total: Optional[int],
    progress: Optional[Progress],
    *,
    start: int = 0,
) -> int:
    """:meth:`TransferMethods._copy_body` into a file this module opened, reading an unencoded
    body with a Content-Length (RFC 9112 section 6.2) straight from the connection into one
    reused buffer: no bytes object per chunk, so the chunk the socket filled is still in the
    cache when the file's write copies it out.

    The same bytes, progress and errors as the general path: a body that ends before its
    Content-Length raises the ``ChunkedEncodingError`` (``IncompleteRead``) requests raises, a
    read timeout its ``ConnectionError``; urllib3's own error handling closes a broken
    connection and returns a complete one to the pool. Any other body (a ``Content-Encoding``,
    chunked, no length, another urllib3) takes the general path. Only for the module's own
    files: a caller's file object could keep the chunk it is given, which the buffer reuses.
    """
    source = _identity_source(response)
    if source is None:
        return TransferMethods._copy_body(response, out, total, progress, start=start)
    raw, connection, length = source
    if length >= RESERVE_FROM:
        _reserve(out, start, length)
    catcher = raw._error_catcher
    done = 0
    if progress is not None:
        progress(start, total)
    try:
        if length >= SPLICE_FROM:
            done = _splice_part(raw, connection, out, length, total, progress, start)
        buffer = memoryview(bytearray(min(DOWNLOAD_CHUNK, length - done)))
        while done < length:
            with catcher():
                count = connection.readinto(buffer)
                if not count:
                    raise IncompleteRead(done, length - done)
            out.write(buffer[:count])
            done += count
            if progress is not None:
                progress(start + done, total)
    except ProtocolError as exc:  # mapped as requests' Response.iter_content maps them
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from exc
    except Urllib3SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc
    return done


def _splice_part(
    raw: Any,
    connection: http.client.HTTPResponse,
    out: BinaryIO,
    length: int,
    total: Optional[int],
    progress: Optional[Progress],
    start: int,
) -> int:
    """All of the body but its last byte from a plain socket into ``out`` with
    :mod:`.splicing`, as many bytes as it can; returns how many it wrote (0 where splicing
    cannot be), for :func:`_copy_into_file` to read the rest.

    The bytes ``http.client``'s reader holds already are read through it first: CPython's
    ``BufferedReader.peek`` gives its whole buffer, so once they are read the socket is where
    the body goes on. Every byte taken from the socket is taken off ``http.client``'s count
    of the body (``length``), as its own reads do, and the last byte is left to it, so that it
    ends the response itself and urllib3's error catcher puts the connection back in the
    pool, exactly as after a complete read. Socket errors and timeouts are caught and mapped
    by that catcher (which then closes the connection), file errors are not: a full disk
    raises ``OSError`` as the file's ``write`` would.
    """
    if type(connection.fp) is not io.BufferedReader:
        return 0
    out.flush()
    mover = splicing.splicer(getattr(raw.connection, "sock", None), out.fileno())
    if mover is None:
        return 0
    catcher = raw._error_catcher
    done = 0
    try:
        with catcher():
            held = connection.read(len(connection.fp.peek(1)[: length - 1]))
        if held:
            out.write(held)
            out.flush()
            done = len(held)
            if progress is not None:
                progress(start + done, total)
        while done < length - 1:
            with catcher():
                taken = mover.take(length - 1 - done)
                if not taken:
                    if not mover.usable:
                        break
                    raise IncompleteRead(done, length - done)
                connection.length = length - done - taken  # as http.client's reads count
            mover.put(taken)
            done += taken
            if progress is not None:
                progress(start + done, total)
            if not mover.usable:
                break
    finally:
        mover.close()
    return done


def _identity_source(
    response: requests.Response,
) -> Optional[Tuple[Any, http.client.HTTPResponse, int]]:
    """(urllib3 response, its ``http.client`` response, body length) when the body can be read
    raw: nothing read yet, no ``Content-Encoding`` (RFC 9110 section 8.4) or
    ``Transfer-Encoding``, a Content-Length that ``http.client`` counts down too."""
    raw = response.raw
    connection = getattr(raw, "_fp", None)
    length = _length(response)
    headers = response.headers
    if (
        not isinstance(connection, http.client.HTTPResponse)
        or not callable(getattr(raw, "_error_catcher", None))
        or not length
        or getattr(connection, "length", None) != length
        or getattr(connection, "chunked", True)
        or "Transfer-Encoding" in headers
        or headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        or response._content_consumed  # type: ignore[attr-defined]
        or raw.tell() != 0
    ):
        return None
    return raw, connection, length


def _reserve(out: BinaryIO, offset: int, length: int) -> None:
    """Have the file system allocate the body's blocks ahead, as rclone does (Linux
    ``fallocate`` with ``FALLOC_FL_KEEP_SIZE``: the writes then find their blocks instead of
    reserving them page by page). The file's size stays what was written, so a partial file
    still tells ``resume=True`` where to go on; a file system that cannot is left alone."""
    function = _fallocate()
    if function is not None:
        with contextlib.suppress(Exception):
            function(out.fileno(), _FALLOC_FL_KEEP_SIZE, offset, length)


@functools.lru_cache(maxsize=1)
def _fallocate() -> Optional[Callable[[int, int, int, int], int]]:
    """glibc's ``fallocate(fd, mode, offset, len)`` (os has only ``posix_fallocate``, which
    grows the file), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).fallocate64
        function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        function.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return function


_RESOURCETYPE = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'
)


def _length(response: requests.Response) -> Optional[int]:
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() and len(length) < 20 else None


def _remove(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(name)


__all__ = ["PARTIAL_SUFFIX", "VALIDATOR_SUFFIX", "TransferMethods", "partial_path"]
