"""``DAVSession``: a :class:`requests.Session` that speaks WebDAV (RFC 4918, RFC 6578).

Paths
    Every method takes a *decoded* path relative to the session's base URL (``"a b/c#1.txt"``
    names exactly that file; it is percent-encoded with :func:`hrefs.quote_path`).
    ``"/x"`` and ``"x"`` both mean ``x`` directly under the base URL, never under the host's
    root, and ``..`` cannot climb above the base. A :class:`DAVResponse` from a listing may be
    passed wherever a path is expected (its URL is used as it is; it must be on the base URL's
    origin). A string that is an absolute URL (``https://...``) is used verbatim, on any
    origin: that is the caller's explicit choice. Plain requests calls (``dav.get("f.txt")``)
    resolve relative paths the same way.

Authentication
    ``auth=(user, password)`` makes a :class:`Credentials` store scoped to the base URL's
    origin; a :class:`Credentials` store is used as it is; anything else (any requests auth)
    becomes ``session.auth``. An :class:`AuthAdapter` is mounted for ``http://`` and
    ``https://`` either way, so challenges are answered with body replay (PEP 268).

Locks
    :meth:`DAVSession.lock` remembers each lock in :attr:`DAVSession.lock_store`; every
    state-changing request (PUT, DELETE, PROPPATCH, MKCOL, COPY, MOVE, LOCK, PATCH, POST)
    prepared by this session gets the tagged-list ``If`` header (RFC 4918 section 10.4) for
    the locks that cover its URL, the members it affects, and the Destination of COPY/MOVE.

Errors
    Every WebDAV method raises a :class:`~requests_dav.dav.errors.DAVError` subclass for a
    failure (status >= 400, or failures inside a 207), never a silent success.
"""

from __future__ import annotations

import io
import os
from collections import deque
from dataclasses import dataclass, field
from typing import (
    IO,
    Any,
    BinaryIO,
    Callable,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)
from urllib.parse import urlsplit

import requests

from ..auth.body import DEFAULT_MAX_REPLAY_BYTES
from ..auth.credentials import Credentials
from ..auth.urls import Origin
from ..transport.adapter import AuthAdapter
from . import errors, hrefs, requestbodies
from .capabilities import Capabilities
from .locks import Lock, LockStore, format_timeout, parse_timeout
from .multistatus import (
    DAVResponse,
    MultiStatus,
    MultiStatusParseError,
    iter_multistatus,
    parse_multistatus,
)
from .multistatus import parse_error_body as _parse_error_body
from .properties import ActiveLock, Node, active_lock
from .xmlsafe import iterparse_children

#: What a path argument may be.
Target = Union[str, DAVResponse]
#: ``progress(bytes_done, total_or_None)``.
Progress = Callable[[int, Optional[int]], None]
Depth = Union[int, str]

XML_CONTENT_TYPE = 'application/xml; charset="utf-8"'
#: Size of the chunks fed to the streaming parser and used for downloads.
CHUNK_SIZE = 65536
#: Error bodies larger than this are not parsed for a DAV ``error`` element.
MAX_ERROR_BODY = 1 << 20

#: Methods whose success is a 207 Multi-Status; for every other method a 207 means failure
#: (RFC 4918 sections 9.6.1, 9.8.8, 9.9.4, 9.10.9).
_MULTISTATUS_METHODS = frozenset({"PROPFIND", "PROPPATCH", "REPORT", "SEARCH"})

#: Methods whose requests get an ``If`` header from the lock store, with what they affect:
#: (members below the URL, membership of the URL's parent).
_WRITE_METHODS: Dict[str, Tuple[bool, bool]] = {
    "PUT": (False, True),
    "PATCH": (False, False),
    "POST": (False, False),
    "PROPPATCH": (False, False),
    "MKCOL": (False, True),
    "DELETE": (True, True),
    "MOVE": (True, True),
    "COPY": (True, True),
    "LOCK": (False, True),
}


def _depth(depth: Depth) -> str:
    value = str(depth).lower()
    if value not in ("0", "1", "infinity"):
        raise ValueError('depth must be 0, 1 or "infinity"')
    return value


@dataclass(frozen=True)
class WriteResult:
    """The outcome of PUT, MKCOL, COPY or MOVE: ``created`` is True for 201 Created, False
    when an existing resource was replaced (204/200, RFC 4918 sections 9.8.5, 9.9.4)."""

    status: int
    url: str
    created: bool
    etag: Optional[str] = None
    location: Optional[str] = None
    response: Optional[requests.Response] = field(default=None, repr=False, compare=False)

    @property
    def replaced(self) -> bool:
        return not self.created


@dataclass(frozen=True)
class PropPatchResult:
    """Every property's status after a successful PROPPATCH (RFC 4918 section 9.2.1)."""

    statuses: Mapping[str, int]
    multistatus: Optional[MultiStatus] = field(default=None, repr=False, compare=False)

    def __getitem__(self, name: str) -> int:
        return self.statuses[requestbodies.clark(name) if not name.startswith("{") else name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.statuses)

    def __len__(self) -> int:
        return len(self.statuses)


@dataclass(frozen=True)
class SyncResult:
    """The answer to a ``sync-collection`` REPORT (RFC 6578 section 3.5).

    ``changed`` are the members created or modified since the token (with the requested
    properties), ``removed`` those reported with status 404 (section 3.5.2), ``sync_token``
    the token to send next time, and ``truncated`` is True when the server stopped early
    (a 507 response for the collection itself, section 3.6): call again with the new token.
    """

    sync_token: Optional[str]
    changed: List[DAVResponse]
    removed: List[DAVResponse]
    truncated: bool = False
    multistatus: Optional[MultiStatus] = field(default=None, repr=False, compare=False)


class PropfindStream:
    """The responses of a PROPFIND, parsed as the body arrives (bounded memory).

    Iterate it once; it closes the HTTP response when the iteration ends, when
    :meth:`close` is called, or at the end of a ``with`` block, so stopping early is safe.
    ``sync_token`` and ``description`` are set once the whole body was read.
    """

    def __init__(self, response: requests.Response, base_url: str) -> None:
        self.response = response
        self._stream = iter_multistatus(response.iter_content(CHUNK_SIZE), base_url)
        self._iterator: Iterator[DAVResponse] = iter(self._stream)
        self._closed = False

    def __iter__(self) -> PropfindStream:
        return self

    def __next__(self) -> DAVResponse:
        if self._closed:
            raise StopIteration
        try:
            return next(self._iterator)
        except StopIteration:
            self.close()
            raise
        except MultiStatusParseError as exc:
            self.close()
            raise errors.from_parse_error(exc, self.response) from exc
        except BaseException:
            self.close()
            raise

    @property
    def sync_token(self) -> Optional[str]:
        return cast(Optional[str], getattr(self._stream, "sync_token", None))

    @property
    def description(self) -> Optional[str]:
        return cast(Optional[str], getattr(self._stream, "description", None))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.response.close()

    def __enter__(self) -> PropfindStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class _ProgressReader(io.RawIOBase):
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


def _stream_with_progress(chunks: Iterable[bytes], progress: Optional[Progress]) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        if not chunk:
            continue
        done += len(chunk)
        yield chunk
        if progress is not None:
            progress(done, None)


class DAVSession(requests.Session):
    """A requests session for one WebDAV server (RFC 4918); see the module docstring.

    ``DAVSession(base_url, auth=None, *, max_replay_bytes=..., credentials=None, **kw)``:
    ``kw`` goes to the :class:`AuthAdapter` (pool sizes, retries, ``registry``, ``options``).
    """

    def __init__(
        self,
        base_url: str,
        auth: Any = None,
        *,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        credentials: Optional[Credentials] = None,
        lock_store: Optional[LockStore] = None,
        **kw: Any,
    ) -> None:
        super().__init__()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must be an absolute http(s) URL: {base_url!r}")
        self.base_url = base_url if parts.path.endswith("/") else hrefs.join(base_url, "")
        self.lock_store = lock_store if lock_store is not None else LockStore()
        store = credentials
        if isinstance(auth, Credentials):
            store = auth
        elif isinstance(auth, tuple) and len(auth) == 2 and all(isinstance(x, str) for x in auth):
            if store is None:
                store = Credentials()
            store.add(Origin.from_url(self.base_url).url + "/", auth[0], auth[1])
        elif auth is not None:
            self.auth = auth
        self.credentials = store if store is not None else Credentials()
        self.adapter = AuthAdapter(self.credentials, max_replay_bytes=max_replay_bytes, **kw)
        self.mount("http://", self.adapter)
        self.mount("https://", self.adapter)

    def __repr__(self) -> str:
        return f"<DAVSession {self.base_url} locks={len(self.lock_store)}>"

    # -- URLs -------------------------------------------------------------------------------

    def url(self, target: Target) -> str:
        """The absolute, percent-encoded URL of a path, a :class:`DAVResponse` or a URL."""
        if isinstance(target, DAVResponse):
            url = str(target.url)
            if Origin.from_url(url) != Origin.from_url(self.base_url):
                raise ValueError(
                    f"{url!r} (from a server's href) is not on the session's origin; "
                    "pass the URL as a string to use it anyway"
                )
            return url
        if not isinstance(target, str):
            raise TypeError(f"expected a path, a URL or a DAVResponse, not {type(target).__name__}")
        scheme = urlsplit(target).scheme.lower() if "://" in target else ""
        if scheme in ("http", "https"):
            return target
        return hrefs.join(self.base_url, target)

    def path(self, target: Target) -> str:
        """The decoded path of ``target`` relative to the base URL (``""`` for the base)."""
        return hrefs.relative_path(self.url(target), self.base_url)

    def request(  # type: ignore[override]
        self, method: str, url: Any, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """:meth:`requests.Session.request`, with ``url`` resolved by :meth:`url`.

        A ``verify`` set on the session (a CA bundle path, or False) wins over the
        ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` environment variables, which plain requests
        lets override it (psf/requests#3829).
        """
        # ``verify`` is the 12th positional parameter after ``url``
        if len(args) < 12 and kwargs.get("verify") is None and self.verify is not True:
            kwargs["verify"] = self.verify
        return super().request(method, self.url(url), *args, **kwargs)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Prepare as requests does, then add the ``If`` header the lock store calls for."""
        prepared = super().prepare_request(request)
        method = (prepared.method or "").upper()
        if method in _WRITE_METHODS and len(self.lock_store) and prepared.url:
            headers = prepared.headers
            if "If" not in headers:
                urls = [prepared.url]
                if method == "COPY":
                    urls = []  # the source of a COPY is not modified
                destination = headers.get("Destination")
                if destination and method in ("COPY", "MOVE"):
                    urls.append(destination)
                members, membership = _WRITE_METHODS[method]
                value = self.lock_store.if_header(urls, members=members, membership=membership)
                if value:
                    headers["If"] = value
        return prepared

    # -- plumbing ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        target: Target,
        *,
        body: Optional[bytes] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        ok: Sequence[int] = (),
        stream: bool = False,
    ) -> requests.Response:
        """Send one WebDAV request; raise the matching DAVError for a failure.

        ``body`` is an XML body (sent with its Content-Type); ``data`` any other body.
        """
        all_headers: Dict[str, str] = {}
        if body is not None:
            all_headers["Content-Type"] = XML_CONTENT_TYPE
            data = body
        all_headers.update(headers or {})
        response = self.request(
            method,
            self.url(target),
            data=data,
            headers=all_headers,
            stream=stream,
            allow_redirects=method in ("GET", "HEAD", "OPTIONS"),
        )
        status = response.status_code
        if status == 207 and method not in _MULTISTATUS_METHODS:
            # A write answered with 207 failed in part, or in whole: Apache answers a PUT
            # into a locked collection with 207 (423 for the lock root), never 423 itself.
            self._raise_multistatus(response, method)
        if status >= 300 and status not in ok:
            self._raise(response)
        return response

    def _raise(self, response: requests.Response, message: Optional[str] = None) -> None:
        error = self._error_element(response)
        multistatus = None
        if error is None and _is_xml(response) and 0 < len(response.content) <= MAX_ERROR_BODY:
            # Some failures carry a multistatus body (Apache: 424 for a MOVE into a locked
            # collection, with 423 for the collection inside): keep it.
            try:
                multistatus = parse_multistatus(response.content, response.url)
            except MultiStatusParseError:
                multistatus = None
            if multistatus is not None:
                error = _first_error(multistatus)
        raise errors.error_for(response, error=error, multistatus=multistatus, message=message)

    @staticmethod
    def _error_element(response: requests.Response) -> Optional[Dict[str, Any]]:
        """The DAV ``error`` element of an error body (RFC 4918 section 16), if it has one."""
        if not _is_xml(response):
            return None
        try:
            body = response.content
        except requests.RequestException:
            return None
        if not body or len(body) > MAX_ERROR_BODY:
            return None
        return parse_error_body(body)

    def _multistatus(self, response: requests.Response) -> MultiStatus:
        try:
            return parse_multistatus(response.content, response.url)
        except MultiStatusParseError as exc:
            raise errors.from_parse_error(exc, response) from exc

    def _expect_207(self, response: requests.Response, what: str) -> MultiStatus:
        if response.status_code != 207:
            raise errors.DAVError(
                f"{what} answered {response.status_code}, expected 207 Multi-Status",
                response=response,
            )
        return self._multistatus(response)

    # -- RFC 4918 methods -------------------------------------------------------------------

    def options(self, url: Any = "", **kwargs: Any) -> Any:
        """OPTIONS (RFC 9110 section 9.3.7, RFC 4918 section 10.1) -> :class:`Capabilities`.

        With keyword arguments this is requests' ``Session.options`` and returns the
        response.
        """
        if kwargs:
            return super().options(self.url(url), **kwargs)
        response = self._send("OPTIONS", url)
        return Capabilities.from_headers(response.headers, response.status_code)

    def propfind(
        self,
        path: Target = "",
        props: Union[str, Iterable[str], None] = None,
        depth: Depth = 0,
        include: Optional[Iterable[str]] = None,
    ) -> MultiStatus:
        """PROPFIND (RFC 4918 section 9.1) -> :class:`MultiStatus`.

        ``props``: ``None`` for ``allprop`` (with ``include``), ``"propname"``, or a list of
        names (Clark ``{ns}name``, bare names mean ``DAV:``).
        """
        body = requestbodies.propfind(props, include)
        response = self._send("PROPFIND", path, body=body, headers={"Depth": _depth(depth)})
        return self._expect_207(response, "PROPFIND")

    def iter_propfind(
        self,
        path: Target = "",
        props: Union[str, Iterable[str], None] = None,
        depth: Depth = 1,
        include: Optional[Iterable[str]] = None,
    ) -> PropfindStream:
        """PROPFIND with ``stream=True``: the responses one by one, bounded memory.

        The request is sent (and an error raised) at once; the body is parsed as it is
        iterated. See :class:`PropfindStream`.
        """
        body = requestbodies.propfind(props, include)
        response = self._send(
            "PROPFIND", path, body=body, headers={"Depth": _depth(depth)}, stream=True
        )
        if response.status_code != 207:
            response.close()
            raise errors.DAVError(
                f"PROPFIND answered {response.status_code}, expected 207 Multi-Status",
                response=response,
            )
        return PropfindStream(response, response.url)

    def proppatch(
        self,
        path: Target,
        set: Optional[Mapping[str, requestbodies.PropertyValue]] = None,
        remove: Optional[Iterable[str]] = None,
        *,
        operations: Optional[Sequence[requestbodies.Operation]] = None,
    ) -> PropPatchResult:
        """PROPPATCH (RFC 4918 section 9.2): set then remove, in order; all or nothing.

        Returns every property's status; raises :class:`errors.PropPatchError` (carrying
        every property's status: the failures and the 424s they caused) if any failed.
        """
        body = requestbodies.proppatch(set, remove, operations=operations)
        response = self._send("PROPPATCH", path, body=body)
        if response.status_code in (200, 204) and not response.content:
            ops = operations or requestbodies.proppatch_operations(set, remove)
            statuses = {_clark(name): response.status_code for _kind, name, _v in ops}
            return PropPatchResult(statuses)
        multistatus = self._expect_207(response, "PROPPATCH")
        statuses = {}
        for item in multistatus:
            for propstat in item.propstats:
                for name in propstat.props:
                    statuses[name] = int(propstat.status)
            if item.status is not None and not 200 <= int(item.status) < 300 and not statuses:
                statuses[str(item.url)] = int(item.status)
        failed = {k: v for k, v in statuses.items() if not 200 <= v < 300}
        if failed:
            detail = ", ".join(f"{k} {v}" for k, v in failed.items())
            raise errors.PropPatchError(
                f"PROPPATCH {response.url} failed: {detail}",
                statuses=statuses,
                response=response,
                multistatus=multistatus,
                error=_first_error(multistatus),
            )
        return PropPatchResult(statuses, multistatus)

    def mkcol(self, path: Target) -> WriteResult:
        """MKCOL (RFC 4918 section 9.3): 405 if something exists there, 409 if the parent is
        missing."""
        response = self._send("MKCOL", path)
        return _write_result(response)

    def delete(self, url: Target, **kwargs: Any) -> Any:  # type: ignore[override]
        """DELETE (RFC 4918 section 9.6); a 207 (members that could not be deleted) raises
        :class:`errors.MultiStatusError`. With keyword arguments: requests' ``delete``."""
        if kwargs:
            return super().delete(self.url(url), **kwargs)
        response = self._send("DELETE", url)
        return response

    def _raise_multistatus(self, response: requests.Response, what: str) -> None:
        multistatus = self._multistatus(response)
        failures: Dict[str, int] = {}
        for item in multistatus:
            status = item.status
            if status is not None and not 200 <= int(status) < 300:
                failures[str(item.url)] = int(status)
            for propstat in item.propstats:
                if not 200 <= int(propstat.status) < 300:
                    failures.setdefault(str(item.url), int(propstat.status))
        detail = ", ".join(f"{url} {status}" for url, status in failures.items())
        raise errors.MultiStatusError(
            f"{what} {response.url} failed in part: {detail or 'see multistatus'}",
            failures=failures,
            response=response,
            multistatus=multistatus,
            error=_first_error(multistatus),
        )

    def _transfer(
        self, method: str, src: Target, dst: Target, depth: Optional[str], overwrite: bool
    ) -> WriteResult:
        headers = {"Destination": self.url(dst), "Overwrite": "T" if overwrite else "F"}
        if depth is not None:
            headers["Depth"] = depth
        response = self._send(method, src, headers=headers)
        return _write_result(response, url=headers["Destination"])

    def copy(
        self, src: Target, dst: Target, depth: Depth = "infinity", overwrite: bool = True
    ) -> WriteResult:
        """COPY (RFC 4918 section 9.8) with an absolute, encoded ``Destination``.

        ``created`` tells 201 (new) from 204 (replaced); ``overwrite=False`` makes an existing
        destination fail with :class:`errors.PreconditionFailedError` (412); a 207 raises
        :class:`errors.MultiStatusError`. ``depth`` is 0 or ``"infinity"`` for collections.
        """
        value = _depth(depth)
        if value == "1":
            raise ValueError('COPY takes depth 0 or "infinity" (RFC 4918 section 9.8.3)')
        return self._transfer("COPY", src, dst, value, overwrite)

    def move(self, src: Target, dst: Target, overwrite: bool = True) -> WriteResult:
        """MOVE (RFC 4918 section 9.9; always Depth infinity); see :meth:`copy`."""
        return self._transfer("MOVE", src, dst, "infinity", overwrite)

    # -- locks (RFC 4918 sections 6, 9.10, 9.11) --------------------------------------------

    def lock(
        self,
        path: Target,
        scope: str = "exclusive",
        depth: Depth = "infinity",
        timeout: Optional[float] = None,
        owner: Any = None,
    ) -> Lock:
        """LOCK (RFC 4918 section 9.10): take a write lock; returns the :class:`Lock`, which
        the lock store remembers (and which unlocks at the end of a ``with`` block).

        ``timeout`` in seconds (``None`` asks for Infinite; the server decides); ``owner`` is
        text, a :class:`requestbodies.Href` or a structured value. Locking an unmapped URL
        creates an empty resource (section 7.3).
        """
        value = _depth(depth)
        if value == "1":
            raise ValueError('LOCK takes depth 0 or "infinity" (RFC 4918 section 9.10.3)')
        url = self.url(path)
        body = requestbodies.lockinfo(scope, owner)
        headers = {"Depth": value, "Timeout": format_timeout(timeout)}
        response = self._send("LOCK", url, body=body, headers=headers)
        header_token = _coded_url(response.headers.get("Lock-Token"))
        active = _active_locks(response)
        chosen = _match_lock(active, header_token)
        token = header_token or (chosen.locktoken if chosen is not None else None)
        if not token:
            raise errors.DAVError(
                f"LOCK {url} succeeded but the server sent no lock token", response=response
            )
        lock = Lock(
            token=token,
            root=url,
            scope=(chosen.scope if chosen and chosen.scope else scope),
            depth=(chosen.depth if chosen and chosen.depth else value),
            timeout=(chosen.timeout if chosen else parse_timeout(response.headers.get("Timeout"))),
            owner=(chosen.owner if chosen and chosen.owner is not None else owner),
            session=self,
        )
        self.lock_store.add(lock)
        return lock

    def refresh(self, lock: Lock, timeout: Optional[float] = None) -> Lock:
        """Refresh a lock (RFC 4918 section 9.10.2): LOCK without a body, the token in ``If``.

        Returns the lock with the timeout the server granted (also stored).
        """
        headers = {
            "If": f"<{lock.root}> (<{lock.token}>)",
            "Timeout": format_timeout(timeout if timeout is not None else lock.timeout),
        }
        response = self._send("LOCK", lock.root, headers=headers)
        chosen = _match_lock(_active_locks(response), lock.token)
        granted = (
            chosen.timeout if chosen is not None else parse_timeout(response.headers.get("Timeout"))
        )
        refreshed = Lock(
            token=lock.token,
            root=lock.root,
            scope=lock.scope,
            depth=lock.depth,
            timeout=granted,
            owner=lock.owner,
            type=lock.type,
            session=self,
        )
        self.lock_store.add(refreshed)
        return refreshed

    def unlock(self, lock: Union[Lock, str], path: Optional[Target] = None) -> None:
        """UNLOCK (RFC 4918 section 9.11) with ``Lock-Token``; forgets the lock.

        ``lock`` is a :class:`Lock`, or a token string together with ``path`` (e.g. a lock
        found with :meth:`locks`). A lock the server no longer knows (409, 412) is
        forgotten too, and the error raised.
        """
        if isinstance(lock, Lock):
            token, url = lock.token, lock.root
        else:
            if path is None:
                stored = self.lock_store.find(lock)
                if stored is None:
                    raise ValueError("unlock(token) needs the path of the locked resource")
                url = stored.root
            else:
                url = self.url(path)
            token = lock
        try:
            self._send("UNLOCK", url, headers={"Lock-Token": f"<{token}>"})
        except (errors.ConflictError, errors.PreconditionFailedError, errors.NotFoundError):
            self.lock_store.remove(token)
            raise
        self.lock_store.remove(token)

    def locks(self, path: Target = "") -> List[Any]:
        """Lock discovery (RFC 4918 section 15.8): the active locks on ``path``, as the
        server's typed ``lockdiscovery`` entries (they include locks held by others)."""
        result = self.propfind(path, ["lockdiscovery"], depth=0)
        for item in result:
            value = item.props.get("{DAV:}lockdiscovery")
            return list(value or [])
        return []

    # -- REPORT (RFC 3253 section 3.6, RFC 6578) --------------------------------------------

    def report(
        self, path: Target, body: Union[bytes, requestbodies.Element], depth: Depth = 0
    ) -> MultiStatus:
        """REPORT (RFC 3253 section 3.6) with any body -> :class:`MultiStatus`."""
        data = body if isinstance(body, bytes) else requestbodies.document(body)
        response = self._send("REPORT", path, body=data, headers={"Depth": _depth(depth)})
        return self._expect_207(response, "REPORT")

    def sync_collection(
        self,
        path: Target = "",
        sync_token: Optional[str] = None,
        props: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        level: Union[int, str] = 1,
    ) -> SyncResult:
        """The ``sync-collection`` REPORT (RFC 6578 section 3).

        ``sync_token`` None starts an initial sync. An expired or unknown token raises
        :class:`errors.InvalidSyncTokenError` (``valid-sync-token``, section 3.2): resync
        from None. ``truncated`` tells a 507 for the collection itself (section 3.6).
        """
        body = requestbodies.sync_collection(sync_token, props, sync_level=level, limit=limit)
        url = self.url(path)
        response = self._send("REPORT", url, body=body, headers={"Depth": "0"})
        multistatus = self._expect_207(response, "sync-collection REPORT")
        changed: List[DAVResponse] = []
        removed: List[DAVResponse] = []
        truncated = False
        for item in multistatus:
            status = int(item.status) if item.status is not None else None
            if status == 507 and hrefs.same_path(
                hrefs.href_to_path(str(item.url), url), hrefs.href_to_path(url, url)
            ):
                truncated = True
            elif status == 404:
                removed.append(item)
            else:
                changed.append(item)
        return SyncResult(multistatus.sync_token, changed, removed, truncated, multistatus)

    # -- convenience for scripts -------------------------------------------------------------

    def ls(
        self,
        path: Target = "",
        recursive: bool = False,
        props: Union[Iterable[str], None] = None,
    ) -> List[DAVResponse]:
        """The members of a collection (not the collection itself), as :class:`DAVResponse`.

        ``recursive=True`` asks for Depth infinity; a server that refuses it
        (403 ``{DAV:}propfind-finite-depth``, RFC 4918 section 9.1) is walked level by level
        (:meth:`walk`).
        """
        url = self.url(path)
        if recursive:
            try:
                with self.iter_propfind(url, props, depth="infinity") as stream:
                    return [item for item in stream if not _same(item, url)]
            except errors.DAVError as exc:
                if not _refuses_infinity(exc):
                    raise
            return list(self.walk(url, props))
        with self.iter_propfind(url, props, depth=1) as stream:
            return [item for item in stream if not _same(item, url)]

    def walk(
        self, path: Target = "", props: Union[Iterable[str], None] = None
    ) -> Iterator[DAVResponse]:
        """Everything below a collection, breadth first, one Depth 1 PROPFIND per
        collection (for servers that refuse Depth infinity)."""
        pending: Deque[str] = deque([self.url(path)])
        seen = set()
        names = None if props is None else list(props)
        if names is not None and "resourcetype" not in names and "{DAV:}resourcetype" not in names:
            names.append("resourcetype")
        while pending:
            current = pending.popleft()
            key = hrefs.href_to_path(current, current).rstrip("/")
            if key in seen:
                continue
            seen.add(key)
            with self.iter_propfind(current, names, depth=1) as stream:
                for item in stream:
                    if _same(item, current):
                        continue
                    if item.is_collection:
                        pending.append(str(item.url))
                    yield item

    def exists(self, path: Target) -> bool:
        """True when ``path`` is mapped: a Depth 0 PROPFIND (RFC 4918 section 9.1) answered
        207, not 404."""
        try:
            self.propfind(path, ["resourcetype"], depth=0)
        except errors.NotFoundError:
            return False
        return True

    def info(self, path: Target, props: Union[str, Iterable[str], None] = None) -> DAVResponse:
        """The properties of one resource: Depth 0 PROPFIND (RFC 4918 section 9.1), allprop
        by default."""
        url = self.url(path)
        result = self.propfind(url, props, depth=0)
        items = list(result)
        for item in items:
            if _same(item, url):
                return item
        if len(items) == 1:
            return items[0]
        raise errors.DAVError(f"PROPFIND {url} returned no response for the resource")

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
                body = _ProgressReader(io.BytesIO(body), len(body), progress)
        elif hasattr(data, "read"):
            total = _remaining(data)
            if total is not None:
                body = _ProgressReader(data, total, progress)
            else:
                body = _stream_with_progress(iter(lambda: data.read(CHUNK_SIZE), b""), progress)
        else:
            body = _stream_with_progress(data, progress)
        response = self._send("PUT", path, data=body, headers=headers)
        return _write_result(response)

    def makedirs(self, path: Target, exist_ok: bool = True) -> None:
        """Create a collection and any missing parents (MKCOL one level at a time).

        An existing collection is fine when ``exist_ok``; an existing non-collection raises
        :class:`errors.ConflictError`-like errors from the server."""
        relative = self.path(path).strip("/")
        if not relative:
            return
        parts = relative.split("/")
        for index in range(len(parts)):
            current = "/".join(parts[: index + 1]) + "/"
            last = index == len(parts) - 1
            try:
                self.mkcol(current)
            except errors.MethodNotAllowedError:
                # 405: something is mapped there already (RFC 4918 section 9.3.1).
                if last and not exist_ok:
                    raise
                if not self.info(current, ["resourcetype"]).is_collection:
                    raise errors.ConflictError(
                        f"{current!r} exists and is not a collection"
                    ) from None

    def rmtree(self, path: Target, missing_ok: bool = False) -> None:
        """Delete a collection and everything in it (DELETE is Depth infinity, RFC 4918
        section 9.6.1); a 207 raises :class:`errors.MultiStatusError`."""
        try:
            self.delete(path)
        except errors.NotFoundError:
            if not missing_ok:
                raise


# -- helpers -------------------------------------------------------------------------------


def _is_xml(response: requests.Response) -> bool:
    return "xml" in response.headers.get("Content-Type", "").lower()


def _clark(name: str) -> str:
    return requestbodies.clark(name)


def _first_error(multistatus: MultiStatus) -> Optional[Dict[str, Any]]:
    for item in multistatus:
        if item.error:
            return dict(item.error)
        for propstat in item.propstats:
            if getattr(propstat, "error", None):
                return dict(propstat.error)
    return None


def _same(item: DAVResponse, url: str) -> bool:
    return hrefs.same_path(hrefs.href_to_path(str(item.url), url), hrefs.href_to_path(url, url))


def _refuses_infinity(exc: errors.DAVError) -> bool:
    """A server that will not do Depth infinity: 403 propfind-finite-depth (RFC 4918
    section 9.1); some answer 400/501 or a bare 403 instead."""
    if exc.has_condition(errors.PROPFIND_FINITE_DEPTH):
        return True
    return exc.status in (400, 403, 501)


def _write_result(response: requests.Response, url: Optional[str] = None) -> WriteResult:
    return WriteResult(
        status=response.status_code,
        url=url or response.url,
        created=response.status_code == 201,
        etag=response.headers.get("ETag"),
        location=response.headers.get("Location"),
        response=response,
    )


def _remaining(handle: Any) -> Optional[int]:
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


def _coded_url(value: Optional[str]) -> Optional[str]:
    """The token inside a ``Lock-Token`` Coded-URL ``<token>`` (RFC 4918 section 10.5)."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return value.strip() or None


def _node(element: Any) -> Node:
    """The parser's element as the tuple :mod:`properties` reads."""
    text = element.text or ""
    children = []
    for child in element:
        children.append(_node(child))
        text += child.tail or ""
    return (str(element.tag), dict(element.attrib) or None, text, tuple(children))


def _active_locks(response: requests.Response) -> List[ActiveLock]:
    """The ``activelock`` entries of a LOCK response body (RFC 4918 section 9.10.1:
    a ``DAV:prop`` with the ``lockdiscovery`` of the resource)."""
    if not response.content:
        return []
    found: List[ActiveLock] = []
    try:
        for element in iterparse_children([response.content], root_tag="{DAV:}prop"):
            if element.tag == "{DAV:}lockdiscovery":
                found += [
                    active_lock(_node(child))
                    for child in element
                    if child.tag == "{DAV:}activelock"
                ]
    except MultiStatusParseError:
        return []
    return found


def _match_lock(locks: List[ActiveLock], token: Optional[str]) -> Optional[ActiveLock]:
    if token:
        for lock in locks:
            if lock.locktoken == token:
                return lock
    return locks[0] if len(locks) == 1 else None


def parse_error_body(body: bytes) -> Optional[Dict[str, Any]]:
    """The conditions of a DAV ``error`` body (RFC 4918 section 16), as
    :func:`multistatus.parse_error_body` gives them; None when the body is not a DAV
    ``error`` document (an HTML error page, say)."""
    try:
        return _parse_error_body(body)
    except MultiStatusParseError:
        return None


__all__ = [
    "CHUNK_SIZE",
    "DAVSession",
    "PropPatchResult",
    "PropfindStream",
    "SyncResult",
    "WriteResult",
    "parse_error_body",
]
