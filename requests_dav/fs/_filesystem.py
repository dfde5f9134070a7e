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
import threading
import time
import uuid
import warnings
from datetime import datetime
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple, TypeVar, Union
from urllib.parse import urlsplit

import requests
from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractFileSystem
from fsspec.utils import isfilelike

from .. import DEFAULT_MAX_REPLAY_BYTES, DAVSession
from ..dav import errors
from ..dav.multistatus import DAVResponse
from . import _paths
from ._files import DAVReadFile, DAVWriteFile

#: The properties a listing asks for (RFC 4918 section 15).
LIST_PROPS = (
    "resourcetype",
    "getcontentlength",
    "getlastmodified",
    "creationdate",
    "getetag",
    "getcontenttype",
)
Info = Dict[str, Any]
T = TypeVar("T")
#: Statuses of a redirect to the same resource with a trailing slash.
REDIRECTS = frozenset({301, 302, 307, 308})
#: Looks for the temporary file of an aborted upload, and the wait between them (s).
TEMPORARY_CHECKS = 3
TEMPORARY_WAIT = 0.05
#: Collections remembered by name (so their URLs get the trailing slash at once).
MAX_KNOWN_DIRS = 1 << 16


class RangeNotSupportedWarning(UserWarning):
    """A server answered a range request with the whole entity (RFC 9110 section 14.2)."""


class _FSSession(DAVSession):
    """A DAVSession with a default timeout for every request."""

    fs_timeout: Any = None

    def request(  # type: ignore[override]
        self, method: str, url: Any, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self.fs_timeout is not None and kwargs.get("timeout") is None and len(args) < 7:
            kwargs["timeout"] = self.fs_timeout
        return super().request(method, url, *args, **kwargs)


def translate(exc: errors.DAVError, path: str) -> OSError:
    """The OSError fsspec expects for a WebDAV failure (the DAVError chained)."""
    status = exc.status
    if status == 404:
        return FileNotFoundError(errno.ENOENT, "no such file or directory", path)
    if status in (401, 403):
        return PermissionError(errno.EACCES, f"permission denied ({status})", path)
    if status == 412:
        return FileExistsError(errno.EEXIST, "exists (precondition failed)", path)
    if status == 416:
        return OSError(errno.ERANGE, "range not satisfiable (416)", path)
    if status == 423:
        return PermissionError(errno.EACCES, "locked (423)", path)
    return OSError(errno.EIO, str(exc), path)


class DAVFileSystem(AbstractFileSystem):  # type: ignore[misc]
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

    protocol: Tuple[str, ...] = ("dav",)
    scheme = "http"
    root_marker = ""
    #: Bytes per chunk of a download or of a sequential read.
    chunk_size = 1 << 16

    def __init__(
        self,
        host: Optional[str] = None,
        *,
        auth: Any = None,
        verify: Union[bool, str, None] = None,
        cert: Any = None,
        proxies: Optional[Dict[str, str]] = None,
        timeout: Any = None,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        session: Optional[DAVSession] = None,
        default_block_size: Optional[int] = None,
        default_cache_type: str = "readahead",
        **storage_options: Any,
    ) -> None:
        if self._cached:
            return  # fsspec handed back a cached instance: it is configured already
        super().__init__(**storage_options)
        self.host = _paths.host_of_url(host) if host else None
        self._auth = auth
        self._verify = verify
        self._cert = cert
        self._proxies = proxies
        self._timeout = timeout
        self._max_replay_bytes = max_replay_bytes
        self._session = session
        self.default_block_size = default_block_size
        self.default_cache_type = default_cache_type
        if session is not None and self.host is None:
            self.host = _paths.host_of_url(session.base_url.split("://", 1)[1])
        self._lock = threading.Lock()
        self._infinity = True
        self._dirs: Set[str] = set()
        self._warned_ranges = False

    # -- paths and the session ---------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return _paths.strip_protocol(str(os.fspath(path)))

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> Dict[str, Any]:
        try:
            return {"host": _paths.host_of_url(path)}
        except ValueError:
            return {}

    def unstrip_protocol(self, name: str) -> str:
        name = self._strip_protocol(name)
        return f"{self.protocol[0]}://{name}"

    @classmethod
    def _parent(cls, path: str) -> str:
        return _paths.parent(cls._strip_protocol(path))

    @property
    def session(self) -> DAVSession:
        """The :class:`~requests_dav.DAVSession` every request goes through (made on first
        use); take locks with ``fs.session.lock(url)`` or :meth:`lock`."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    if self.host is None:
                        raise ValueError("this filesystem has no host yet: name one in a path")
                    self._session = self._make_session(self.host)
        return self._session

    def _make_session(self, host: str) -> DAVSession:
        session = _FSSession(
            f"{self.scheme}://{host}/", self._auth, max_replay_bytes=self._max_replay_bytes
        )
        session.fs_timeout = self._timeout
        if self._verify is not None:
            session.verify = self._verify
        if self._cert is not None:
            session.cert = self._cert
        if self._proxies is not None:
            session.proxies = dict(self._proxies)
        return session

    def _rel(self, path: str) -> str:
        """The decoded path below the host's root, checking the host."""
        host, rest = _paths.split_host(self._strip_protocol(path))
        if self.host is None:
            with self._lock:
                if self.host is None:
                    self.host = host
        if host.lower() != str(self.host).lower():
            raise ValueError(f"{path!r} is not on {self.host}, the host of this filesystem")
        return rest

    def _name(self, item: DAVResponse) -> str:
        return _paths.join(str(self.host), self.session.path(str(item.url)))

    def _entry(self, item: DAVResponse) -> Info:
        directory = item.is_collection
        return {
            "name": self._name(item),
            "size": 0 if directory else (item.content_length or 0),
            "type": "directory" if directory else "file",
            "mtime": item.last_modified,
            "created": item.creation_date,
            "etag": item.etag,
            "content_type": item.content_type,
        }

    def invalidate_cache(self, path: Optional[str] = None) -> None:
        if path is None:
            self.dircache.clear()
        else:
            path = self._strip_protocol(path)
            for key in [k for k in self.dircache if k.startswith(path + "/")]:
                self.dircache.pop(key, None)
            while True:
                self.dircache.pop(path, None)
                upper = _paths.parent(path)
                if upper == path:
                    break
                path = upper
        super().invalidate_cache(path)

    # -- listings ------------------------------------------------------------------------------

    def _propfind(self, path: str, depth: Union[int, str]) -> Iterator[Info]:
        """The entries of a PROPFIND, streamed."""
        props = list(LIST_PROPS)
        stream = self._slashed(path, lambda rel: self.session.iter_propfind(rel, props, depth))
        with stream:
            for item in stream:
                if item.status is not None and item.status == 404:
                    continue
                entry = self._entry(item)
                if entry["type"] == "directory":
                    self._remember_dir(entry["name"])
                yield entry

    def _forget_dir(self, path: str) -> None:
        """``path`` was deleted or moved away: forget it and everything below."""
        if path in self._dirs:
            self._dirs = {d for d in self._dirs if d != path and not d.startswith(path + "/")}

    def _remember_dir(self, path: str) -> None:
        if len(self._dirs) >= MAX_KNOWN_DIRS:
            self._dirs.clear()
        self._dirs.add(path)

    def _slashed(self, path: str, call: Callable[[str], T]) -> T:
        """``call(rel)``, again with a trailing slash when the server redirects there (Apache
        answers 301 for a collection named without it); a DAVError becomes an OSError."""
        rel = self._rel(path)
        if rel and self._is_known_dir(path):
            rel += "/"
        try:
            try:
                return call(rel)
            except errors.DAVError as exc:
                if exc.status not in REDIRECTS or rel.endswith("/"):
                    raise
            self._remember_dir(path)  # the redirect says it is a collection
            return call(rel + "/")
        except errors.DAVError as exc:
            raise translate(exc, path) from exc

    def _listing(self, path: str) -> List[Info]:
        """Depth 1 below a path: its members, or the file itself."""
        own: Optional[Info] = None
        members: List[Info] = []
        for entry in self._propfind(path, 1):
            if entry["name"] == path:
                own = entry
            else:
                members.append(entry)
        if own is not None and own["type"] == "file":
            return [own]
        self.dircache[path] = members
        return members

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        path = self._strip_protocol(path)
        self._rel(path)
        entries = None if kwargs.get("refresh") is True else self._cached_listing(path)
        if entries is None:
            entries = self._listing(path)
        return [dict(e) for e in entries] if detail else [e["name"] for e in entries]

    def _is_known_dir(self, path: str) -> bool:
        """Whether a listing said ``path`` is a collection (its URL ends in a slash)."""
        if path in self._dirs or self._listed(path) is not None:
            return True
        parent = _paths.parent(path)
        for entry in (self._listed(parent) if parent != path else None) or ():
            if entry["name"] == path:
                return bool(entry["type"] == "directory")
        return False

    def _listed(self, path: str) -> Optional[List[Info]]:
        try:
            return list(self.dircache[path])
        except KeyError:
            return None

    def _cached_listing(self, path: str) -> Optional[List[Info]]:
        """What ``ls`` can answer from the directory cache, or None."""
        listing = self._listed(path)
        if listing is not None:
            return listing
        parent = _paths.parent(path)
        siblings = self._listed(parent) if parent != path else None
        if siblings is None:
            return None
        for entry in siblings:
            if entry["name"] == path:
                return [entry] if entry["type"] == "file" else None
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)

    def info(self, path: str, **kwargs: Any) -> Info:
        path = self._strip_protocol(path)
        self._rel(path)
        parent = _paths.parent(path)
        siblings = self._listed(parent) if parent != path else None
        for entry in siblings or ():
            if entry["name"] == path:
                return dict(entry)
        if siblings is not None:
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
        for entry in self._propfind(path, 0):
            entry["name"] = path
            return entry
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)

    def exists(self, path: str, **kwargs: Any) -> bool:
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def find(
        self,
        path: str,
        maxdepth: Optional[int] = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Everything below ``path``: one ``Depth: infinity`` PROPFIND when the server
        allows it (the listings it gives fill the directory cache), else fsspec's level by
        level walk."""
        path = self._strip_protocol(path)
        if maxdepth is not None or not self._infinity:
            return super().find(path, maxdepth, withdirs, detail, **kwargs)
        if self._subtree_cached(path):
            return super().find(path, maxdepth, withdirs, detail, **kwargs)
        try:
            entries = list(self._propfind(path, "infinity"))
        except OSError as exc:
            cause = exc.__cause__
            if not isinstance(cause, errors.DAVError) or not _refuses_infinity(cause):
                raise
            self._infinity = False
            return super().find(path, maxdepth, withdirs, detail, **kwargs)
        found: Dict[str, Info] = {}
        listings: Dict[str, List[Info]] = {}
        for entry in entries:
            if entry["type"] == "directory":
                listings.setdefault(entry["name"], [])
        for entry in entries:
            name = entry["name"]
            if name == path:
                if withdirs or entry["type"] == "file":
                    found[name] = entry
                continue
            listings.setdefault(_paths.parent(name), []).append(entry)
            if withdirs or entry["type"] == "file":
                found[name] = entry
        for directory, members in listings.items():
            if directory == path or directory.startswith(path + "/"):
                self.dircache[directory] = members
        names = sorted(found)
        return {n: found[n] for n in names} if detail else names

    def _subtree_cached(self, path: str) -> bool:
        """Whether the directory cache holds a listing of ``path`` and of every directory
        below it (then fsspec's walk needs no request)."""
        pending = [path]
        while pending:
            listing = self._listed(pending.pop())
            if listing is None:
                return False
            pending += [e["name"] for e in listing if e["type"] == "directory"]
        return True

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
        if self.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        with self._get_stream(path) as response:
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

    # -- writing -------------------------------------------------------------------------------

    def _put_body(self, path: str, body: Any, create_only: bool, *, retry: bool) -> None:
        """PUT ``body`` (``If-None-Match: *`` with ``create_only``); with ``retry``, a 409
        (missing parent, RFC 4918 section 9.7.1) makes the parents and sends again (``body``
        is then bytes or a seekable file)."""
        rel = self._rel(path)
        condition = "*" if create_only else None
        self.invalidate_cache(path)
        try:
            try:
                self.session.upload(body, rel, if_none_match=condition)
            except errors.ConflictError:
                if not retry:
                    raise
                self.makedirs(_paths.parent(path), exist_ok=True)
                if hasattr(body, "seek"):
                    body.seek(0)
                self.session.upload(body, rel, if_none_match=condition)
        except errors.DAVError as exc:
            raise translate(exc, path) from exc
        finally:
            self.invalidate_cache(path)

    def _commit(self, temporary: str, path: str, *, overwrite: bool) -> None:
        """MOVE a finished upload onto its name (``Overwrite: F`` for an exclusive
        create: 412 if the name was taken meanwhile, RFC 4918 section 10.6)."""
        try:
            self.session.move(self._rel(temporary), self._rel(path), overwrite=overwrite)
        except errors.DAVError as exc:
            self._remove_temporary(temporary)
            raise translate(exc, path) from exc
        finally:
            self.invalidate_cache(path)
            self.invalidate_cache(temporary)

    def _remove_temporary(self, temporary: str) -> None:
        """Delete an aborted upload's temporary file. A server may still be storing the
        broken body for a moment after the connection closed: look a few times."""
        for attempt in range(TEMPORARY_CHECKS):
            self.invalidate_cache(temporary)
            try:
                response = self.session.delete(self._rel(temporary))
                response.close()
            except requests.RequestException:
                return
            if response.status_code != 404:
                return
            time.sleep(TEMPORARY_WAIT * (attempt + 1))

    def _temporary_name(self, path: str) -> str:
        parent, _slash, name = path.rpartition("/")
        return f"{parent}/.{name}.{uuid.uuid4().hex[:12]}.part"

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        self._put_body(path, bytes(value), mode == "create", retry=True)

    def put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        rpath = self._strip_protocol(rpath)
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        size = os.path.getsize(lpath)
        callback.set_size(size)
        with open(lpath, "rb") as handle:
            body = _Reporting(handle, size, callback)
            self._put_body(rpath, body, mode == "create", retry=True)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if create_parents:
            self.makedirs(path, exist_ok=True)
            return
        try:
            self.session.mkcol(self._rel(path) + "/")
            self._remember_dir(path)
        except errors.MethodNotAllowedError as exc:
            raise FileExistsError(errno.EEXIST, "exists", path) from exc
        except errors.ConflictError as exc:
            raise FileNotFoundError(errno.ENOENT, "parent does not exist", path) from exc
        except errors.DAVError as exc:
            raise translate(exc, path) from exc
        finally:
            self.invalidate_cache(path)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        rel = self._rel(path)
        if not rel:
            if not exist_ok:
                raise FileExistsError(errno.EEXIST, "exists", path)
            return
        try:
            self.mkdir(path, create_parents=False)
            return
        except FileExistsError:
            if self.isdir(path) and exist_ok:
                return
            raise
        except FileNotFoundError:
            pass
        self.makedirs(_paths.parent(path), exist_ok=True)
        self.mkdir(path, create_parents=False)

    def rmdir(self, path: str) -> None:
        path = self._strip_protocol(path)
        if not self.isdir(path):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        if self.ls(path, detail=False, refresh=True):
            raise OSError(errno.ENOTEMPTY, "directory not empty", path)
        self._delete(path)

    def rm_file(self, path: str) -> None:
        self._delete(self._strip_protocol(path))

    def _rm(self, path: str) -> None:
        self._delete(self._strip_protocol(path))

    def _delete(self, path: str) -> None:
        try:
            self._slashed(path, self.session.delete)
        finally:
            self._forget_dir(path)
            self.invalidate_cache(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: Optional[int] = None) -> None:
        """Delete files, or whole collections with ``recursive`` (one DELETE each: DELETE
        is Depth infinity, RFC 4918 section 9.6.1)."""
        if maxdepth is not None:
            super().rm(path, recursive=recursive, maxdepth=maxdepth)
            return
        paths = self.expand_path(path, recursive=False)
        done: List[str] = []
        for name in sorted(paths):
            if any(name.startswith(d + "/") for d in done):
                continue
            if not recursive and self.isdir(name) and self.ls(name, detail=False):
                raise OSError(errno.ENOTEMPTY, "directory not empty (recursive=False)", name)
            self._delete(name)
            done.append(name)

    def _transfer(self, method: str, path1: str, path2: str) -> None:
        src, dst = self._rel(path1), self._rel(path2)
        is_dir = self.isdir(path1)
        suffix = "/" if is_dir else ""
        call = self.session.copy if method == "COPY" else self.session.move
        depth: Dict[str, Any] = {"depth": "infinity" if is_dir else 0} if method == "COPY" else {}
        try:
            try:
                call(src + suffix, dst + suffix, **depth)
            except errors.ConflictError:
                self.makedirs(_paths.parent(path2), exist_ok=True)
                call(src + suffix, dst + suffix, **depth)
        except errors.DAVError as exc:
            raise translate(exc, path1) from exc
        finally:
            self.invalidate_cache(path2)
            if method == "MOVE":
                self._forget_dir(path1)
                self.invalidate_cache(path1)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """A server-side COPY (RFC 4918 section 9.8); a directory is created, not copied
        with its members (fsspec's ``copy`` copies those one by one)."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        if self.isdir(path1):
            self.makedirs(path2, exist_ok=True)
            return
        self._transfer("COPY", path1, path2)

    def mv(
        self,
        path1: Any,
        path2: Any,
        recursive: bool = False,
        maxdepth: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        """A server-side MOVE (RFC 4918 section 9.9) of a file or a whole collection; lists
        and globs go through fsspec's copy and delete."""
        plain = isinstance(path1, str) and isinstance(path2, str) and maxdepth is None
        if not plain or any(c in path1 for c in "*?["):
            super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)
            return
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        if path1 == path2:
            return
        if self.isdir(path2):
            path2 = _paths.join(path2, path1.rsplit("/", 1)[-1])
        self._transfer("MOVE", path1, path2)

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


class _Reporting:
    """A seekable file that reports bytes read to an fsspec callback (rewinds restart)."""

    def __init__(self, handle: Any, size: int, callback: Callback) -> None:
        self._handle = handle
        self._size = size
        self._callback = callback

    def __len__(self) -> int:
        return self._size

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return int(self._handle.tell())

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._handle.seek(offset, whence))

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._callback.absolute_update(self._handle.tell())
        return bytes(data)


def _refuses_infinity(exc: errors.DAVError) -> bool:
    """A server that will not do Depth infinity (RFC 4918 section 9.1): 403
    ``propfind-finite-depth``; some answer 400/501 or a bare 403 instead."""
    return exc.has_condition(errors.PROPFIND_FINITE_DEPTH) or exc.status in (400, 403, 501)
