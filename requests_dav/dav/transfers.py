"""Downloads and uploads of :class:`~requests_dav.dav.session.DAVSession`.

GET (RFC 9110 section 9.3.1) streamed into a file, and PUT (RFC 9110 section 9.3.4, RFC 4918
section 9.7) of a path, bytes, a file object or an iterable, with progress and conditional
headers (RFC 9110 section 13.1).
"""

from __future__ import annotations

import io
import os
from typing import (
    Any,
    BinaryIO,
    Dict,
    Iterable,
    Optional,
    Union,
)

import requests

from .client import CHUNK_SIZE, DAVSessionCore, Target
from .progress import Progress, ProgressReader, remaining_size, stream_with_progress
from .results import WriteResult, write_result


class TransferMethods(DAVSessionCore):
    """GET into files and PUT from files, bytes or iterables, with progress."""

    def download(
        self,
        path: Target,
        file_or_path: Union[str, os.PathLike[str], BinaryIO],
        progress: Optional[Progress] = None,
    ) -> int:
        """GET (RFC 9110 section 9.3.1) a resource into a file object or a file path, streamed
        in chunks; returns the
        number of bytes written. ``progress(done, total)`` is called after each chunk
        (``total`` from Content-Length, or None)."""
        response = self._send("GET", path, stream=True)
        try:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if isinstance(file_or_path, (str, os.PathLike)):
                with open(file_or_path, "wb") as out:
                    return self._copy_body(response, out, total, progress)
            return self._copy_body(response, file_or_path, total, progress)
        finally:
            response.close()

    @staticmethod
    def _copy_body(
        response: requests.Response,
        out: BinaryIO,
        total: Optional[int],
        progress: Optional[Progress],
    ) -> int:
        done = 0
        if progress is not None:
            progress(0, total)
        for chunk in response.iter_content(CHUNK_SIZE):
            if not chunk:
                continue
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return done

    def upload(
        self,
        file_or_path: Union[str, os.PathLike[str], bytes, BinaryIO, Iterable[bytes]],
        path: Target,
        progress: Optional[Progress] = None,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> WriteResult:
        """PUT (RFC 9110 section 9.3.4, RFC 4918 section 9.7) a file path, bytes, a binary
        file object or an iterable of bytes.

        ``if_none_match="*"`` creates only (RFC 9110 section 13.1.2: no exists-then-PUT
        race); ``if_match=etag`` replaces only that version. A failed condition raises
        :class:`errors.PreconditionFailedError` (412, with the current ETag when known).
        A seekable file is sent with Content-Length (and rewound if authentication makes
        the request go twice); other iterables go chunked.
        """
        headers: Dict[str, str] = {}
        if if_match is not None:
            headers["If-Match"] = if_match
        if if_none_match is not None:
            headers["If-None-Match"] = if_none_match
        if content_type is not None:
            headers["Content-Type"] = content_type
        if isinstance(file_or_path, (str, os.PathLike)):
            with open(file_or_path, "rb") as handle:
                return self._put(path, handle, headers, progress)
        return self._put(path, file_or_path, headers, progress)

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


__all__ = ["TransferMethods"]
