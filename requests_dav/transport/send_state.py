"""The state of one :meth:`~requests_dav.transport.adapter.AuthAdapter.send`, and small
helpers about requests and responses the adapter reads (RFC 9110 sections 8.6, 11.6.1)."""

from __future__ import annotations

from typing import (
    Any,
    List,
    MutableMapping,
    Optional,
)

from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict

from ..auth.body import ReplayableBody
from ..auth.messages import AuthRequest
from ..auth.outcome import FlowResult
from ..auth.urls import Origin
from .pinning import PinnedPool
from .send_memo import wire_request
from .wire import (
    WireBody,
    retry_cookie_jar,
)

_NOT_YET = object()
_new_headers = CaseInsensitiveDict.__new__


class SendState:
    """Per-request state of one :meth:`AuthAdapter.send` (never shared between threads)."""

    def __init__(
        self,
        request: PreparedRequest,
        body: Optional[ReplayableBody],
        wire: Optional[WireBody],
        peer: Origin,
        kwargs: Any,
    ) -> None:
        self.request = request
        self.body = body
        self.wire = wire
        self.peer = peer
        self.kwargs = kwargs
        self.history: List[Response] = []
        self.force_length = False
        self.no_expect = False  # a 417 refused the expectation: send the body straight away
        self._jar: Any = _NOT_YET
        self.url = ""
        self.proxy: Optional[str] = None  # the HTTP(S) proxy's URL without userinfo, if any
        self.forward_proxy = False  # the request goes to that proxy in absolute-form (no tunnel)
        self.bound: Optional[PinnedPool] = None  # the pinned pool this flow sends on, if any
        self.locked: Optional[PinnedPool] = None  # whose lock this flow holds
        self.sent: Optional[PreparedRequest] = None  # the request the last attempt sent
        self.target = ""  # the request-target (Digest's uri, RFC 7616 section 3.4)
        self.socks = False  # the request goes through a SOCKS proxy
        self.callers = False  # the origin authentication is the caller's own (no origin flow)
        self.callers_proxy = False  # so is the Proxy-Authorization to the forward proxy

    def carrier(self) -> PreparedRequest:
        """What a body sent without a flow goes on: :meth:`requests.PreparedRequest.copy` of the
        request with its headers and cookie jar shared, not copied (issue 16,
        :func:`~requests_dav.transport.send_memo.wire_request`).

        Never the caller's request itself: whatever replaces the body of the request it sends
        (``responses`` reads it into bytes) must leave the caller's :class:`WireBody` for a
        307/308. The headers are shared until a fix changes them (:func:`own_headers`).
        """
        return wire_request(self.request, self.request.headers)

    @property
    def jar(self) -> Optional[Any]:
        """The cookie jar a retry's ``Cookie`` header is built from; copied on first use only."""
        if self._jar is _NOT_YET:
            self._jar = retry_cookie_jar(self.request)
        return self._jar


def unanswered(response: Response, url: str, *, callers_auth: bool = False) -> FlowResult:
    """The verdict on a response the adapter had no credentials to negotiate for, or left to
    the caller's own authentication (``callers_auth``)."""
    if int(response.status_code) in (401, 407):
        if callers_auth and int(response.status_code) == 401:
            reason = "the request carried the caller's own authentication; its 401 is theirs"
        else:
            try:
                reason = f"no credentials for the protection spaces of {Origin.from_url(url)}"
            except ValueError:
                reason = "no credentials: the URL names no protection space"
        return FlowResult("no-credentials", reason, rounds=len(response.history) + 1)
    return FlowResult("no-challenge", rounds=len(response.history) + 1)


def auth_request_for(
    request: PreparedRequest,
    url: str,
    body: Optional[ReplayableBody],
    target: str,
    proxy: Optional[str] = None,
) -> AuthRequest:
    """The core's view of ``request`` for a negotiation: ``url`` without userinfo, headers of
    its own (:func:`copy_headers`) for the core to write credentials into, the replayable
    body, the request-target (Digest's ``uri``, RFC 7616 section 3.4) and the forward proxy
    whose credentials it may carry."""
    return AuthRequest(
        method=str(request.method or "GET"),
        url=url,
        headers=copy_headers(request.headers),
        body=body,
        target=target,
        proxy=proxy,
    )


def copy_headers(headers: Any) -> CaseInsensitiveDict[str]:
    """``CaseInsensitiveDict(headers)``: the same names, values and order. A requests header
    dict is copied by its mapping of lower-cased names at once, not name by name, into a dict
    made without ``__init__`` (which would build an empty mapping and update it from nothing)."""
    if type(headers) is CaseInsensitiveDict:
        copied: CaseInsensitiveDict[str] = _new_headers(CaseInsensitiveDict)
        copied._store = headers._store.copy()  # type: ignore[attr-defined]
        return copied
    return CaseInsensitiveDict(headers)


def own_headers(wire: Optional[PreparedRequest], shared: MutableMapping[str, str]) -> None:
    """Give ``wire`` a copy of ``shared`` if it is still sending ``shared`` itself: before
    either is changed, so the request a response answers keeps the headers it was sent with."""
    if wire is not None and wire.headers is shared:
        wire.headers = copy_headers(shared)


def has_header(headers: Any, name: str) -> bool:
    """``name in headers``. A requests header dict is asked by its mapping of lower-cased names:
    ``Mapping.__contains__`` pays for a ``KeyError`` on every missing name (issue 16)."""
    if type(headers) is CaseInsensitiveDict:
        return name.lower() in headers._store  # type: ignore[attr-defined]
    return name in headers


def header_value(headers: Any, name: str) -> Optional[str]:
    """``headers.get(name)``, a requests header dict asked by its mapping of lower-cased names
    (as :func:`has_header`)."""
    if type(headers) is CaseInsensitiveDict:
        entry = headers._store.get(name.lower())  # type: ignore[attr-defined]
        return None if entry is None else entry[1]
    return headers.get(name)  # type: ignore[no-any-return]


def content_length(request: PreparedRequest) -> Optional[int]:
    """The body's ``Content-Length`` (RFC 9110 section 8.6); ``None`` when chunked or
    unparsable."""
    value = header_value(request.headers, "Content-Length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def challenge_names(response: Response) -> str:
    names = []
    for header in ("WWW-Authenticate", "Proxy-Authenticate"):
        value = response.headers.get(header)
        if value:
            names.append(f"{header}: {value.split(None, 1)[0]}")
    return ", ".join(names) or "no challenge"


__all__ = [
    "SendState",
    "challenge_names",
    "content_length",
    "copy_headers",
    "has_header",
    "header_value",
    "own_headers",
    "unanswered",
]
