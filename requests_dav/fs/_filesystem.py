"""``DAVFileSystem``: an fsspec filesystem on :class:`~requests_dav.DAVSession` (RFC 4918).

Listings are PROPFIND answers parsed as they stream in (RFC 4918 section 9.1); a
recursive listing asks for ``Depth: infinity`` and walks level by level when the server
refuses it (403 ``propfind-finite-depth``); reads use ``Range`` (RFC 9110 section 14.2);
copies and moves are server-side COPY and MOVE (RFC 4918 sections 9.8, 9.9). See
:mod:`requests_dav.fs` for the interface.
"""

from __future__ import annotations

import errno
import hashlib
import os
import warnings
from datetime import datetime
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

import requests
from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.utils import isfilelike

from ..dav import errors
from ._core import RangeNotSupportedWarning, translate
from ._files import DAVReadFile, DAVWriteFile
from ._writes import WritingFileSystem


class DAVFileSystem(WritingFileSystem):
    """WebDAV as an fsspec filesystem: ``dav://host[:port]/path`` over http.

    One instance serves one origin: the ``host`` given (taken from the URL when fsspec
    makes the instance), or else the host of the first path it is asked about; a path on
    another host raises :class:`ValueError`, so credentials never go to a host the
    filesystem was not made for. Options: ``auth`` (a ``(user, password)`` pair, a
    :class:`~requests_dav.Credentials` store, or any requests auth), ``verify``, ``cert``,
    ``proxies``, ``timeout``, ``max_replay_bytes``, or a ready ``session`` (a
    :class:`~requests_dav.DAVSession`; then the other connection options are unused);
    ``default_block_size`` and ``default_cache_type`` for files opened without them
    (fsspec's 5 MiB and ``"readahead"``; ``"none"`` suits column reads of Parquet files).
    Instances pickle by their options and reconnect where they are unpickled.
    """

    # -- reading -------------------------------------------------------------------------------

    def _get_stream(self, path: str, headers: Optional[Dict[str, str]] = None) -> requests.Response:
        response = self.session.get(self._rel(path), headers=headers, stream=True)
        if response.status_code >= 300:
            response.close()
            raise translate(errors.error_for(response), path) from None
        return response

    def _get_range(self, path: str, start: int, end: int) -> Tuple[bytes, bool]:
        """Bytes ``[start, end)``; False as second item when the server ignored the range."""
        if end <= start:
            return b"", True
        try:
            response = self._get_stream(path, {"Range": f"bytes={start}-{end - 1}"})
        except OSError as exc:
            if exc.errno == errno.ERANGE:
                return b"", True
            raise
        with response:
            if response.status_code == 206:
                return response.content, True
        self._warn_ranges(path)
        return b"", False

    def _warn_ranges(self, path: str) -> None:
        if not self._warned_ranges:
            self._warned_ranges = True
            warnings.warn(
                f"{self.host} ignores Range requests; {path} and other files of this "
                "filesystem are read sequentially",
                RangeNotSupportedWarning,
                stacklevel=4,
            )

    def cat_file(
        self, path: str, start: Optional[int] = None, end: Optional[int] = None, **kwargs: Any
    ) -> bytes:
        """The bytes ``[start, end)`` of a file (negative values count from the end): one GET,
        with ``Range`` unless the whole file is asked for."""
        path = self._strip_protocol(path)
        if start is None and end is None:
            return self._read_all(path)
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = self.size(path)
            start = max(0, size + start) if start is not None and start < 0 else start
            end = max(0, size + end) if end is not None and end < 0 else end
        begin = start or 0
        if end is None:
            header = f"bytes={begin}-"
        elif end <= begin:
            return b""
        else:
            header = f"bytes={begin}-{end - 1}"
        try:
            response = self._get_stream(path, {"Range": header})
        except OSError as exc:
            if exc.errno == errno.ERANGE:
                return b""
            raise
        with response:
            if response.status_code == 206:
                return response.content
            self._warn_ranges(path)
            data = bytearray()
            seen = 0
            for chunk in response.iter_content(self.chunk_size):
                lo = max(begin - seen, 0)
                hi = len(chunk) if end is None else min(end - seen, len(chunk))
                if hi > lo:
                    data += chunk[lo:hi]
                seen += len(chunk)
                if end is not None and seen >= end:
                    break
            return bytes(data)

    def _read_all(self, path: str) -> bytes:
        response = None if self._is_known_dir(path) else self._get_file_stream(path)
        if response is None:
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        with response:
            return response.content

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: Optional[int] = None,
        autocommit: bool = True,
        cache_options: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Any:
        path = self._strip_protocol(path)
        options = {
            "block_size": block_size or self.default_block_size,
            "cache_options": cache_options,
            **kwargs,
        }
        if mode == "rb":
            options.setdefault("cache_type", self.default_cache_type)
            info = self.info(path)
            if info["type"] == "directory":
                raise IsADirectoryError(errno.EISDIR, "is a directory", path)
            options.setdefault("size", info["size"])
            return DAVReadFile(self, path, autocommit=autocommit, **options)
        if mode in ("wb", "xb"):
            if mode == "xb" and self.exists(path):
                raise FileExistsError(errno.EEXIST, "file exists", path)
            return DAVWriteFile(self, path, mode, autocommit=autocommit, **options)
        raise NotImplementedError(f"mode {mode!r}: WebDAV has no append (RFC 4918)")

    def get_file(
        self,
        rpath: str,
        lpath: Any,
        callback: Callback = DEFAULT_CALLBACK,
        outfile: Any = None,
        **kwargs: Any,
    ) -> None:
        rpath = self._strip_protocol(rpath)
        target = outfile if outfile is not None else lpath
        response = None if self._is_known_dir(rpath) else self._get_file_stream(rpath)
        if response is None:
            if not isfilelike(target):
                os.makedirs(target, exist_ok=True)
            return
        with response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit():
                callback.set_size(int(length))
            if isfilelike(target):
                self._copy_to(response, target, callback)
                return
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            try:
                with open(target, "wb") as handle:
                    self._copy_to(response, handle, callback)
            except BaseException:
                if os.path.exists(target):
                    os.remove(target)
                raise

    def _get_file_stream(self, path: str) -> Optional[requests.Response]:
        """GET a file, or None when the server redirects to the collection URL (a
        collection named without its slash: Apache, WsgiDAV); no PROPFIND first."""
        rel = self._rel(path)
        response = self.session.get(rel, stream=True, allow_redirects=False)
        if response.is_redirect:
            location = urlsplit(response.headers.get("Location", ""))
            response.close()
            if location.path.endswith("/") and not rel.endswith("/"):
                self._remember_dir(path)
                return None
            return self._get_stream(path)
        if response.status_code >= 300:
            response.close()
            raise translate(errors.error_for(response), path) from None
        return response

    def _copy_to(self, response: requests.Response, handle: Any, callback: Callback) -> None:
        for chunk in response.iter_content(self.chunk_size):
            handle.write(chunk)
            callback.relative_update(len(chunk))

    # -- metadata and locks ----------------------------------------------------------------------

    def ukey(self, path: str) -> str:
        """The ETag (RFC 9110 section 8.8.3) when the server reports one."""
        info = self.info(path)
        return str(info.get("etag") or super().ukey(path))

    def checksum(self, path: str) -> int:
        """An integer from the ETag: it changes whenever the content does."""
        return int(hashlib.sha256(self.ukey(path).encode()).hexdigest()[:32], 16)

    def modified(self, path: str) -> datetime:
        return self._date(path, "mtime", "getlastmodified")

    def created(self, path: str) -> datetime:
        return self._date(path, "created", "creationdate")

    def _date(self, path: str, key: str, prop: str) -> datetime:
        value = self.info(path).get(key)
        if value is None:
            raise NotImplementedError(f"the server reports no {prop} for {path}")
        return value  # type: ignore[no-any-return]

    def lock(self, path: str, **kwargs: Any) -> Any:
        """:meth:`DAVSession.lock` on an fsspec path; writes through this filesystem carry
        the lock's token in their ``If`` header (RFC 4918 section 10.4)."""
        return self.session.lock(self._rel(self._strip_protocol(path)), **kwargs)


class DAVSFileSystem(DAVFileSystem):
    """:class:`DAVFileSystem` over https: ``davs://host[:port]/path``."""

    protocol = ("davs",)
    scheme = "https"
