"""The core of :class:`~requests_dav.dav.session.DAVSession`: URLs, the ``If`` header, sending.

Every WebDAV method of the session goes through :meth:`DAVSessionCore._send`, which resolves
the target against the base URL (RFC 3986 section 5), adds the lock store's ``If`` header
(RFC 4918 section 10.4) to state-changing requests, and turns a failure (status >= 300, or a
207 to a method whose success is not a multistatus, RFC 4918 section 13) into the matching
:class:`~requests_dav.dav.errors.DAVError`.

Server data is hostile: a body is read as it arrives and counted in decoded bytes, up to
``max_response_bytes`` (:class:`~requests_dav.dav.errors.ResponseTooLargeError` past it; an
error body is kept up to :data:`MAX_ERROR_BODY`), and a redirect (RFC 9110 section 15.4) is
followed only within the origin of the request
(:class:`~requests_dav.dav.errors.CrossOriginHrefError` otherwise).
"""

from __future__ import annotations

import contextlib
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)
from urllib.parse import urljoin, urlsplit

import requests

from ..auth.body import DEFAULT_MAX_REPLAY_BYTES
from ..auth.credentials import Credentials
from ..auth.schemes.spnego import TICKET_CACHE
from ..auth.urls import Origin
from ..transport.adapter import AuthAdapter
from . import errors, hrefs, requestbodies
from .locks import LockStore
from .multistatus import (
    DAVResponse,
    MultiStatus,
    MultiStatusParseError,
    parse_multistatus,
)
from .multistatus import parse_error_body as _parse_error_body

#: What a path argument may be.
Target = Union[str, DAVResponse]
Depth = Union[int, str]

XML_CONTENT_TYPE = 'application/xml; charset="utf-8"'
#: Size of the chunks fed to the streaming parser and used for downloads.
CHUNK_SIZE = 65536
#: Error bodies are read up to this many decoded bytes; a longer one is cut there (and the
#: connection closed) and not parsed for a DAV ``error`` element.
MAX_ERROR_BODY = 1 << 20
#: The default ``max_response_bytes``: decoded body bytes a method that returns a whole
#: result reads (PROPFIND, REPORT, PROPPATCH, LOCK ...); downloads are not limited.
DEFAULT_MAX_RESPONSE_BYTES = 64 << 20

#: Methods whose redirects are followed (within the origin of the request).
_FOLLOW_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

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


class DAVSessionCore(requests.Session):
    """URL resolution, lock ``If`` headers, sending and error mapping for
    :class:`~requests_dav.dav.session.DAVSession` (which adds the WebDAV methods)."""

    def __init__(
        self,
        base_url: str,
        auth: Any = None,
        *,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        credentials: Optional[Credentials] = None,
        lock_store: Optional[LockStore] = None,
        max_response_bytes: Optional[int] = DEFAULT_MAX_RESPONSE_BYTES,
        **kw: Any,
    ) -> None:
        super().__init__()
        #: Decoded body bytes a method returning a whole result reads (None: no limit).
        self.max_response_bytes = max_response_bytes
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must be an absolute http(s) URL: {base_url!r}")
        self.base_url = base_url if parts.path.endswith("/") else hrefs.join(base_url, "")
        self.lock_store = lock_store if lock_store is not None else LockStore()
        store = credentials
        if isinstance(auth, Credentials):
            store = auth
        elif (
            isinstance(auth, tuple)
            and len(auth) == 2
            and isinstance(auth[0], str)
            and (isinstance(auth[1], str) or auth[1] is TICKET_CACHE)
        ):
            # (user, password), or (principal or "", TICKET_CACHE) for Kerberos tickets
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
            self._check_origin(url, Origin.from_url(self.base_url), "an href")
            return url
        if not isinstance(target, str):
            raise TypeError(f"expected a path, a URL or a DAVResponse, not {type(target).__name__}")
        scheme = urlsplit(target).scheme.lower() if "://" in target else ""
        if scheme in ("http", "https"):
            return target
        return hrefs.join(self.base_url, target)

    @staticmethod
    def _check_origin(url: str, origin: Origin, what: str) -> None:
        """Raise :class:`errors.CrossOriginHrefError` unless ``url`` is on ``origin``."""
        try:
            other: Optional[Origin] = Origin.from_url(url)
        except ValueError:
            other = None
        if other != origin:
            where = other.url if other is not None else "a URL that is not http(s)"
            raise errors.CrossOriginHrefError(
                f"{what} from the server names {where}, another origin than {origin.url}: "
                "not sent; pass the URL as a string to send there on purpose",
                url=url,
            )

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
        max_bytes: Optional[int] = None,
    ) -> requests.Response:
        """Send one WebDAV request; raise the matching DAVError for a failure.

        ``body`` is an XML body (sent with its Content-Type); ``data`` any other body.
        Unless ``stream``, the body is read here, up to ``max_bytes`` decoded bytes (None:
        the session's ``max_response_bytes``).
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
            stream=True,
            allow_redirects=False,
        )
        if method in _FOLLOW_METHODS:
            response = self._follow_redirects(response, method, all_headers)
        status = response.status_code
        limit = max_bytes if max_bytes is not None else self.max_response_bytes
        if status == 207 and method not in _MULTISTATUS_METHODS:
            # A write answered with 207 failed in part, or in whole: Apache answers a PUT
            # into a locked collection with 207 (423 for the lock root), never 423 itself.
            read_body(response, limit, method)
            self._raise_multistatus(response, method)
        if status >= 300 and status not in ok:
            self._raise(response)
        if not stream:
            read_body(response, limit, method)
        return response

    def _follow_redirects(
        self, response: requests.Response, method: str, headers: Mapping[str, str]
    ) -> requests.Response:
        """Follow ``Location`` (RFC 9110 section 10.2.2) as requests would, but only within
        the origin of the request: a redirect elsewhere raises
        :class:`errors.CrossOriginHrefError` and is not sent."""
        origin = Origin.from_url(str(response.url))
        for _ in range(self.max_redirects):
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECT_STATUSES or not location:
                return response
            target = urljoin(str(response.url), location)
            response.close()  # the body of a redirect is not read
            self._check_origin(target, origin, f"the Location of a {method} redirect")
            response = self.request(
                method, target, headers=headers, stream=True, allow_redirects=False
            )
        response.close()
        raise requests.TooManyRedirects(
            f"exceeded {self.max_redirects} redirects", response=response
        )

    def _raise(self, response: requests.Response, message: Optional[str] = None) -> None:
        read_error_body(response)
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

    def propfind(
        self,
        path: Target = "",
        props: Union[str, Iterable[str], None] = None,
        depth: Depth = 0,
        include: Optional[Iterable[str]] = None,
        *,
        max_response_bytes: Optional[int] = None,
    ) -> MultiStatus:
        """PROPFIND (RFC 4918 section 9.1) -> :class:`MultiStatus`.

        ``props``: ``None`` for ``allprop`` (with ``include``), ``"propname"``, or a list of
        names (Clark ``{ns}name``, bare names mean ``DAV:``). A body larger than
        ``max_response_bytes`` decoded bytes (None: the session's) raises
        :class:`errors.ResponseTooLargeError`.
        """
        body = requestbodies.propfind(props, include)
        response = self._send(
            "PROPFIND",
            path,
            body=body,
            headers={"Depth": _depth(depth)},
            max_bytes=max_response_bytes,
        )
        return self._expect_207(response, "PROPFIND")

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


# -- helpers -------------------------------------------------------------------------------


def read_body(response: requests.Response, limit: Optional[int], what: str) -> None:
    """Read the body of a ``stream=True`` response into ``response.content``, counting
    decoded bytes as they arrive; past ``limit`` (None: no limit) close the connection
    and raise :class:`errors.ResponseTooLargeError`."""
    if getattr(response, "_content", False) is not False or getattr(
        response, "_content_consumed", False
    ):
        return  # already read (or already streamed)
    pieces = []
    total = 0
    try:
        for piece in response.iter_content(CHUNK_SIZE):
            total += len(piece)
            if limit is not None and total > limit:
                raise errors.ResponseTooLargeError(
                    f"{what} {response.url}: the response body is larger than {limit:,} "
                    "decoded bytes (max_response_bytes); a listing of any size belongs to "
                    "iter_propfind",
                    limit=limit,
                    response=response,
                )
            pieces.append(piece)
    except BaseException:
        response._content = b"".join(pieces)  # what was read, so .content does not read on
        response.close()
        raise
    response._content = b"".join(pieces)


def read_error_body(response: requests.Response) -> None:
    """Read an error body up to :data:`MAX_ERROR_BODY` decoded bytes; a longer one is cut
    there and its connection closed (``response.content`` holds the part read)."""
    with contextlib.suppress(requests.RequestException):  # too large, or a failed read:
        read_body(response, MAX_ERROR_BODY, "error")  # the part read is kept


def _is_xml(response: requests.Response) -> bool:
    return "xml" in response.headers.get("Content-Type", "").lower()


def _first_error(multistatus: MultiStatus) -> Optional[Dict[str, Any]]:
    for item in multistatus:
        if item.error:
            return dict(item.error)
        for propstat in item.propstats:
            if getattr(propstat, "error", None):
                return dict(propstat.error)
    return None


def _same(item: DAVResponse, url: str) -> bool:
    return _not_self(url)(item) is False


def _not_self(url: str) -> Callable[[DAVResponse], bool]:
    """A test for "not the resource at ``url``", for every member of one listing.

    The resource's own path is worked out once; an item's :attr:`DAVResponse.path`
    is its absolute URL's decoded path, so nothing is resolved twice per item.
    """
    own = hrefs.normalize_path(hrefs.href_to_path(url, url)).rstrip("/")

    def other(item: DAVResponse) -> bool:
        return hrefs.normalize_path(item.path).rstrip("/") != own

    return other


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
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_ERROR_BODY",
    "XML_CONTENT_TYPE",
    "DAVSessionCore",
    "Depth",
    "Target",
    "parse_error_body",
    "read_body",
    "read_error_body",
]
