"""WebDAV errors, rooted in :class:`requests.HTTPError` (RFC 4918 sections 11 and 16).

Every error carries ``.response`` (the :class:`requests.Response`, as ``HTTPError`` does),
``.multistatus`` (the parsed 207 body, when there was one) and ``.error``: the DAV ``error``
element of the body (RFC 4918 section 16) as a mapping from the Clark name of each
precondition/postcondition (``{DAV:}lock-token-submitted``, ``{DAV:}valid-sync-token`` ...)
to its content (``None`` for an empty element, a list of hrefs for the conditions that carry
hrefs, else the structured value). ``.conditions`` lists those Clark names.

:func:`error_for` picks the subclass from the status code (404, 409, 412, 423, 424, 507,
and 403/409 with RFC 6578's ``valid-sync-token`` precondition).
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
)

from .. import exceptions

if TYPE_CHECKING:
    from requests import Response

DAV_NS = "DAV:"
#: RFC 6578 section 3.2: the precondition of a sync-collection REPORT with a stale token.
VALID_SYNC_TOKEN = "{DAV:}valid-sync-token"  # noqa: S105 (a condition name)
#: RFC 4918 section 9.1: a server that refuses Depth: infinity on PROPFIND.
PROPFIND_FINITE_DEPTH = "{DAV:}propfind-finite-depth"
#: RFC 4918 section 16: the lock tokens a client should have submitted.
LOCK_TOKEN_SUBMITTED = "{DAV:}lock-token-submitted"  # noqa: S105 (a condition name)
NO_CONFLICTING_LOCK = "{DAV:}no-conflicting-lock"

ErrorElement = Mapping[str, Any]


def _href_list(value: Any) -> List[str]:
    """Hrefs out of a condition's content, whatever shape the parser gave it."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        hrefs: List[str] = []
        for key, item in value.items():
            if key in ("{DAV:}href", "href", "hrefs"):
                hrefs.extend(_href_list(item))
        return hrefs
    if isinstance(value, Iterable):
        out: List[str] = []
        for item in value:
            out.extend(_href_list(item))
        return out
    return [str(value)]


class DAVError(exceptions.DAVError):
    """A WebDAV request failed; see the module docstring for the attributes."""

    status_code: Optional[int] = None

    def __init__(
        self,
        message: str,
        *,
        response: Optional[Response] = None,
        request: Any = None,
        multistatus: Any = None,
        error: Optional[ErrorElement] = None,
    ) -> None:
        if request is None and response is not None:
            request = getattr(response, "request", None)
        super().__init__(message, response=response, request=request)
        self.multistatus = multistatus
        self.error: Optional[ErrorElement] = error

    @property
    def status(self) -> Optional[int]:
        """The HTTP status of the response (None without one)."""
        if self.response is not None:
            return int(self.response.status_code)
        return self.status_code

    @property
    def conditions(self) -> Tuple[str, ...]:
        """Clark names of the pre/postconditions in the DAV ``error`` element."""
        return tuple(self.error) if self.error else ()

    def has_condition(self, name: str) -> bool:
        return bool(self.error) and name in (self.error or {})


class BadRequestError(DAVError):
    status_code = 400


class ForbiddenError(DAVError):
    """403: e.g. ``{DAV:}propfind-finite-depth`` (RFC 4918 section 9.1)."""

    status_code = 403


class NotFoundError(DAVError):
    status_code = 404


class MethodNotAllowedError(DAVError):
    """405: the resource (or the whole server) does not offer the method."""

    status_code = 405


class ConflictError(DAVError):
    """409: e.g. MKCOL or PUT without the parent collection (RFC 4918 sections 9.3.1, 9.7.1)."""

    status_code = 409


class PreconditionFailedError(DAVError):
    """412: ``If-Match``/``If-None-Match``/``If`` or ``Overwrite: F`` failed (RFC 9110 section
    13.1, RFC 4918 sections 9.8.5, 10.4). ``etag`` is the resource's current ETag when the
    response told it."""

    status_code = 412

    def __init__(self, message: str, *, etag: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if etag is None and self.response is not None:
            etag = self.response.headers.get("ETag")
        self.etag = etag


class LockedError(DAVError):
    """423 (RFC 4918 section 11.3). ``lock_tokens_submitted`` are the hrefs of the
    ``lock-token-submitted`` condition: the locked resources whose token was missing."""

    status_code = 423

    @property
    def lock_token_submitted(self) -> List[str]:
        return _href_list((self.error or {}).get(LOCK_TOKEN_SUBMITTED))

    @property
    def no_conflicting_lock(self) -> List[str]:
        return _href_list((self.error or {}).get(NO_CONFLICTING_LOCK))


class FailedDependencyError(DAVError):
    """424 (RFC 4918 section 11.4): another part of the request failed."""

    status_code = 424


class InsufficientStorageError(DAVError):
    """507 (RFC 4918 section 11.5)."""

    status_code = 507


class MultiStatusError(DAVError):
    """A 207 answer reported failures (RFC 4918 section 13): ``failures`` maps each failed
    href's URL to its status; the whole ``multistatus`` is kept."""

    def __init__(self, message: str, *, failures: Mapping[str, int], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failures: Dict[str, int] = dict(failures)


class PropPatchError(DAVError):
    """PROPPATCH did not apply (RFC 4918 section 9.2: all or nothing), or its outcome is not
    known. ``statuses`` maps every property the server answered for to its status: the ones
    that failed (403, 409, 507...) and the ones that failed only because of them (424).
    ``unanswered`` are the properties sent that the server gave no status for (section
    9.2.1 requires one for each), e.g. when it answered under another namespace (SabreDAV
    1.8 turns ``urn:DAV`` into ``DAV:``); what happened to them is unknown."""

    def __init__(
        self,
        message: str,
        *,
        statuses: Mapping[str, int],
        unanswered: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.statuses: Dict[str, int] = dict(statuses)
        self.unanswered: Tuple[str, ...] = tuple(unanswered)

    @property
    def failed(self) -> Dict[str, int]:
        """The properties that failed on their own account (not 424)."""
        return {k: v for k, v in self.statuses.items() if v != 424 and not 200 <= v < 300}


class InvalidSyncTokenError(DAVError):
    """The sync token is no longer valid (RFC 6578 section 3.2, ``valid-sync-token``):
    start again with an initial synchronisation."""


class MalformedResponseError(DAVError):
    """The server's XML could not be parsed; the parser's error is the ``__cause__``."""


class ResponseTooLargeError(DAVError):
    """A response body grew past the limit of the method that reads it whole.

    ``limit`` is the limit in decoded bytes (``max_response_bytes`` of the session or of
    the call). The body was not read further and the connection was closed. A listing
    of any size belongs to :meth:`~requests_dav.dav.session.DAVSession.iter_propfind`.
    """

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class CrossOriginHrefError(DAVError, ValueError):
    """A URL the server supplied (an href, a ``Location``) names another origin.

    :class:`~requests_dav.dav.session.DAVSession` never sends a request to an origin a
    server pointed it to (RFC 6454 section 4: scheme, host and port); ``url`` is the
    refused URL. Pass an absolute URL as a string to send there on purpose. A
    :class:`ValueError` too, as the refusal was before.
    """

    def __init__(self, message: str, *, url: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.url = url


class CrossOriginHrefWarning(UserWarning):
    """A listing named a collection on another origin: it is reported, not descended into."""


_BY_STATUS: Dict[int, Type[DAVError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        ForbiddenError,
        NotFoundError,
        MethodNotAllowedError,
        ConflictError,
        PreconditionFailedError,
        LockedError,
        FailedDependencyError,
        InsufficientStorageError,
    )
    if cls.status_code is not None
}


def class_for_status(status: int, error: Optional[ErrorElement] = None) -> Type[DAVError]:
    """The error class for a status code and DAV ``error`` element."""
    if error and VALID_SYNC_TOKEN in error:
        return InvalidSyncTokenError
    return _BY_STATUS.get(status, DAVError)


def describe(method: str, url: str, status: int, reason: str = "", detail: str = "") -> str:
    text = f"{status} {reason}".strip() + f" for {method} {url}"
    return f"{text}: {detail}" if detail else text


def error_for(
    response: Response,
    *,
    error: Optional[ErrorElement] = None,
    multistatus: Any = None,
    message: Optional[str] = None,
) -> DAVError:
    """The :class:`DAVError` subclass instance describing a failed ``response``."""
    status = int(response.status_code)
    request = response.request
    if message is None:
        detail = ", ".join(_short(c) for c in (error or {}))
        message = describe(
            str(getattr(request, "method", "")),
            str(response.url),
            status,
            str(response.reason or ""),
            detail,
        )
    cls = class_for_status(status, error)
    return cls(message, response=response, error=error, multistatus=multistatus)


def from_parse_error(exc: Exception, response: Optional[Response] = None) -> MalformedResponseError:
    """Wrap a parser error (``MultiStatusParseError``, a ``ValueError``) into the requests
    hierarchy; raise the result ``from exc``."""
    where = f" from {response.url}" if response is not None else ""
    return MalformedResponseError(f"malformed WebDAV response{where}: {exc}", response=response)


def refuses_depth_infinity(exc: DAVError) -> bool:
    """Whether a PROPFIND failed because the server will not do ``Depth: infinity``: 403
    ``propfind-finite-depth`` (RFC 4918 section 9.1); some answer 400/501 or a bare 403."""
    return exc.has_condition(PROPFIND_FINITE_DEPTH) or exc.status in (400, 403, 501)


def _short(clark_name: str) -> str:
    return clark_name[len("{DAV:}") :] if clark_name.startswith("{DAV:}") else clark_name


__all__ = [
    "LOCK_TOKEN_SUBMITTED",
    "NO_CONFLICTING_LOCK",
    "PROPFIND_FINITE_DEPTH",
    "VALID_SYNC_TOKEN",
    "BadRequestError",
    "ConflictError",
    "CrossOriginHrefError",
    "CrossOriginHrefWarning",
    "DAVError",
    "FailedDependencyError",
    "ForbiddenError",
    "InsufficientStorageError",
    "InvalidSyncTokenError",
    "LockedError",
    "MalformedResponseError",
    "MethodNotAllowedError",
    "MultiStatusError",
    "NotFoundError",
    "PreconditionFailedError",
    "PropPatchError",
    "ResponseTooLargeError",
    "class_for_status",
    "error_for",
    "from_parse_error",
    "refuses_depth_infinity",
]
