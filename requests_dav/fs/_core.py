"""The listing half of the fsspec filesystem: paths, the session, PROPFIND listings and the
directory cache (RFC 4918 section 9.1; ``Depth: infinity`` when the server allows it).
"""

from __future__ import annotations

import errno
import os
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple, TypeVar, Union

import requests
from fsspec.spec import AbstractFileSystem

from .. import DEFAULT_MAX_REPLAY_BYTES, DAVSession
from ..dav import errors
from ..dav.multistatus import DAVResponse
from . import _paths

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


class ListingFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """Paths, the session, listings and the directory cache of :class:`DAVFileSystem`
    (whose docstring tells the options)."""

    protocol: Tuple[str, ...] = ("dav",)
    scheme = "http"
    root_marker = ""
    #: Bytes per chunk of a download or of a sequential read.
    chunk_size = 1 << 20

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
        return _paths.strip_protocol(str(os.fspath(path)), cls.protocol)

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
        """Whether a listing (or a redirect) said ``path`` is a collection (its URL ends in a
        slash); every directory a listing reports is remembered."""
        return path in self._dirs or self._listed(path) is not None

    def _listed(self, path: str) -> Optional[List[Info]]:
        try:
            return self.dircache[path]  # type: ignore[no-any-return]
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
            if not isinstance(cause, errors.DAVError) or not errors.refuses_depth_infinity(cause):
                raise
            self._infinity = False
            return super().find(path, maxdepth, withdirs, detail, **kwargs)
        if _one_level(entries, path):
            # Depth 1 served for infinity without a word (SabreDAV), or a flat tree: the
            # walk descends into the collections (their listings are a request each)
            self.dircache[path] = [e for e in entries if e["name"] != path]
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


def _one_level(entries: List[Info], path: str) -> bool:
    """Whether a ``Depth: infinity`` answer below ``path`` has collections among its direct
    members and nothing deeper (then it may have been a Depth 1 answer)."""
    prefix = path + "/"
    collections = False
    for entry in entries:
        rest = entry["name"][len(prefix) :] if entry["name"].startswith(prefix) else ""
        if "/" in rest:
            return False
        collections = collections or (bool(rest) and entry["type"] == "directory")
    return collections
