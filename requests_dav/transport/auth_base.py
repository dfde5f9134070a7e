"""Drop-in ``auth=`` objects: the negotiation of :class:`~requests_dav.AuthAdapter`, as hooks.

``requests.put(url, data=generator(), auth=DigestAuth("u", "p"))`` stores the
right bytes. A response hook alone cannot do that: by the time it sees the
401 the generator has been consumed (requests' own ``HTTPDigestAuth`` re-sends
it empty). So :meth:`HTTPAuth.__call__`, which requests runs while preparing
the request, wraps the body (PEP 268 body buffering: bytes as they are, a
seekable file rewound, anything else teed into a buffer of at most
``max_replay_bytes``; ``Content-Length`` / chunked framing unchanged) and
starts the :class:`~requests_dav.auth.flow.Negotiator` flow, which puts
preemptive credentials on the request when the protection space is known
(RFC 7235 section 2.2). The response hook registered on that request then
drives the flow: a 401 (RFC 7235 section 3.1) is answered by sending a copy
of the request with ``Authorization`` through ``response.connection`` (the
adapter), the intermediate responses go to ``response.history`` (as
``HTTPDigestAuth`` does), ``Authentication-Info`` is verified (RFC 7615,
RFC 7616 section 3.5), and the :class:`~requests_dav.auth.outcome.FlowResult` is
``response.auth_result``. A request into a space the store has learned is authorized by
:func:`~requests_dav.auth.primed.prime` instead, with no flow: the hook asks it for the
verdict on a success, and hands a ``401`` to the flow that
:meth:`~requests_dav.auth.flow.Negotiator.resume` picks up from that response (issue 16).

Flow state lives with each prepared request, never in the auth object or a
thread-local, so one object may serve many threads at once; protection spaces
and Digest nonces are shared through the negotiator (one challenge per space).

requests copies hooks onto redirected requests. The hook never answers a
challenge from another origin (scheme, host, port) than the one the request
was prepared for (requests' ``HTTPDigestAuth`` does, handing the new origin a
response computed with the old credentials), and it strips its own
``Authorization`` before requests builds a redirect, so a Digest response made
for one URI is never sent to another. A same-origin redirect target that
challenges is answered with a fresh flow.

``auth=`` only sees origin authentication: ``407`` belongs to the proxy and is
answered by :class:`~requests_dav.transport.adapter.AuthAdapter`.

Body framing, as the adapter does it: a peer that answers as HTTP/1.0 must never get a
chunked body (RFC 2145 section 2.3), so the retry after its 401 carries ``Content-Length``
from the replay buffer; a ``411 Length Required`` (RFC 9110 section 15.5.12), or a 400/501
from an HTTP/1.0 peer, to a chunked body is answered by sending the body again with
``Content-Length`` (:class:`~requests_dav.exceptions.LengthRequiredError` when it does not
fit the buffer).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Generator, Iterable, List, Optional, Set, Tuple, Type

from requests.auth import AuthBase
from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict

from ..auth import errors as core_errors
from ..auth.body import DEFAULT_MAX_REPLAY_BYTES, ReplayableBody
from ..auth.challenge import Challenge
from ..auth.credentials import Credentials
from ..auth.flow import Negotiator
from ..auth.messages import AuthRequest, AuthResponse
from ..auth.outcome import FlowResult
from ..auth.primed import PrimedRequest, prime
from ..auth.schemes import Authenticator, BasicScheme, DigestScheme, SchemeRegistry
from ..auth.schemes.base import SchemeOptions
from ..auth.urls import Origin
from .results import safe_url, to_requests_error
from .send_state import auth_request_for, copy_headers
from .wire import (
    HTTP10_CHUNKED_REFUSALS,
    WireBody,
    auth_response,
    carry_cookies,
    release_intermediate,
    replayable_body,
    retry_cookie_jar,
    settle,
    with_content_length,
)

__all__ = ["BasicAuth", "DigestAuth", "HTTPAuth"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NOT_YET = object()

# requests' method, typed (its stubs leave it untyped)
_register_hook: Callable[[PreparedRequest, str, Any], None] = PreparedRequest.register_hook


#: how many URLs an auth object remembers having registered its user for
_ADDED_URLS_KEPT = 512


def _origin_root(url: str) -> str:
    """``scheme://host:port/``: the whole origin of ``url`` as a credential prefix."""
    return Origin.from_url(url).url + "/"


class _Exchange:
    """One prepared request's negotiation: its flow, body and history (one thread at a time)."""

    def __init__(
        self,
        prepared: PreparedRequest,
        origin: Origin,
        body: Optional[ReplayableBody],
        wire: Optional[WireBody],
    ) -> None:
        self.prepared = prepared
        self.url = prepared.url  # as prepared: a response to this very URL is on the origin
        self.origin = origin
        self.body = body
        self.wire = wire
        self.flow: Any = None
        self.outgoing: Optional[AuthRequest] = None
        #: sent authorized from its learned space, with no flow until its response asks for one
        self.primed: Optional[PrimedRequest] = None
        self.handled = False
        self.set_headers: List[str] = []
        self.force_length = False

    @property
    def reusable(self) -> bool:
        """The request has no body, so its connection holds nothing of it once answered."""
        return self.body is None or self.body.length == 0


class HTTPAuth(AuthBase):
    """Negotiate the strongest scheme the server offers (RFC 7235 section 4.1), with body replay.

    ``username``/``password`` are used for whichever origin the request goes
    to (like requests' ``HTTPBasicAuth``); ``credentials`` is a full
    protection-space store instead (or as well). Connection-bound schemes
    (NTLM, Negotiate) are left out: a hook cannot keep a handshake on one
    connection; :class:`~requests_dav.transport.adapter.AuthAdapter` can.
    ``max_replay_bytes`` bounds the buffer of a non-seekable body; ``options`` are the scheme
    options.
    Thread-safe: share one object between threads and sessions.
    """

    def __init__(
        self,
        username: Optional[str] = None,
        password: Optional[str] = None,
        *,
        credentials: Optional[Credentials] = None,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        options: Optional[SchemeOptions] = None,
    ) -> None:
        if username is None and credentials is None:
            raise TypeError("give a username and password, or a Credentials store")
        if max_replay_bytes < 0:
            raise ValueError(f"max_replay_bytes must be >= 0, got {max_replay_bytes}")
        self.username = username
        self._password = password if password is not None else ""
        self.credentials = credentials if credentials is not None else Credentials()
        self.max_replay_bytes = max_replay_bytes
        self.options = options if options is not None else SchemeOptions()
        self.negotiator = Negotiator(
            self.credentials, registry=self._registry(), options=self.options
        )
        self._lock = threading.Lock()
        self._origins: Set[Origin] = set()
        self._added_urls: Dict[str, None] = {}  # URLs whose origin is in _origins (bounded)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r})"

    @classmethod
    def _schemes(cls) -> Optional[Iterable[Type[Authenticator]]]:
        """The schemes to negotiate; ``None``: the default registry (Basic, Digest, plugins)."""
        return None

    def _registry(self) -> Optional[SchemeRegistry]:
        schemes = self._schemes()
        return SchemeRegistry(schemes) if schemes is not None else None

    def _add_user(self, url: str) -> None:
        """Register username/password for the origin of ``url`` (once per origin)."""
        if self.username is None or url in self._added_urls:
            return
        origin = Origin.from_url(url)
        with self._lock:
            known = origin in self._origins
            self._origins.add(origin)
            if len(self._added_urls) >= _ADDED_URLS_KEPT:
                self._added_urls.clear()
            self._added_urls[url] = None
        if not known:
            self.credentials.add(_origin_root(url), self.username, self._password)

    # -- requests' AuthBase protocol -----------------------------------------------------------

    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        url = safe_url(r.url)
        self._add_user(url)
        self._before_flow(url)
        body, wire = replayable_body(r, self.max_replay_bytes)
        exchange = _Exchange(r, Origin.from_url(url), body, wire)
        outgoing = auth_request_for(r, url, body, r.path_url)
        exchange.primed = prime(self.credentials, outgoing)
        if exchange.primed is not None:
            exchange.outgoing = outgoing
        else:
            exchange.flow, exchange.outgoing = self._start_flow(r, url, body, auth_request=outgoing)
        value = exchange.outgoing.headers.get("Authorization")
        if value is not None and r.headers.get("Authorization") != value:
            r.headers["Authorization"] = value
            exchange.set_headers.append("Authorization")

        def hook(response: Response, **kwargs: Any) -> Response:
            return self._handle(exchange, response, kwargs)

        _register_hook(r, "response", hook)
        return r

    def _start_flow(
        self,
        request: PreparedRequest,
        url: str,
        body: Optional[ReplayableBody],
        response: Optional[Response] = None,
        auth_request: Optional[AuthRequest] = None,
    ) -> Tuple[Generator[AuthRequest, AuthResponse, FlowResult], AuthRequest]:
        """A flow for ``request`` (``auth_request``: its core view, if made already) and the
        first request it wants sent.

        Connection-bound schemes are left out: a hook cannot keep a handshake
        on one connection. A core error comes out as its requests-rooted twin.
        """
        if auth_request is None:
            auth_request = auth_request_for(request, url, body, request.path_url)
        flow = self.negotiator.auth_flow(auth_request, connection_bound=False)
        try:
            return flow, next(flow)
        except core_errors.AuthCoreError as exc:
            raise to_requests_error(exc, request=request, response=response) from exc

    def _before_flow(self, url: str) -> None:
        """Subclass hook run before each flow starts (BasicAuth: learn the space preemptively)."""

    # -- the response hook ---------------------------------------------------------------------

    def _handle(self, exchange: _Exchange, response: Response, kwargs: Any) -> Response:
        if response.request is None or response.request.url is None:
            return response
        sent_to = response.request.url
        if sent_to != exchange.url and Origin.from_url(safe_url(sent_to)) != exchange.origin:
            return response  # another origin (a redirect): never answer it with these credentials
        if exchange.handled:
            return self._redirected(exchange, response, kwargs)
        exchange.handled = True
        sent_body: object = exchange.prepared.body
        if exchange.wire is not None and sent_body is not exchange.wire:
            # a transport replaced the body (``responses`` reads it into bytes): requests must
            # not try to seek it for a redirect
            vars(exchange.prepared)["_body_position"] = None
        if int(response.status_code) in _REDIRECTS:
            # requests builds the redirect from the prepared request: do not let a header made
            # for this URI (a Digest response) travel to another
            for name in exchange.set_headers:
                exchange.prepared.headers.pop(name, None)
        primed = exchange.primed
        if primed is not None:
            exchange.primed = None
            if not _refused_chunked(response):
                reusable = exchange.reusable
                try:
                    result = primed.complete(auth_response(response))
                except core_errors.AuthCoreError as exc:
                    release_intermediate(response, reusable)
                    raise to_requests_error(
                        exc, request=response.request, response=response
                    ) from exc
                if result is not None:
                    return _finished(response, [], result, reusable)
            # a 401 (or a body to send again with a length first): the flow goes on from here
            exchange.flow = self.negotiator.resume(primed)
            next(exchange.flow)  # primed.request, sent already
        return self._drive(exchange, exchange.flow, response, kwargs)

    def _drive(self, exchange: _Exchange, flow: Any, response: Response, kwargs: Any) -> Response:
        history: List[Response] = []
        reusable = exchange.reusable
        jar: Any = _NOT_YET  # the retry's cookie jar, copied when a retry needs it
        while True:
            if _refused_chunked(response) and not exchange.force_length:
                exchange.force_length = True
                release_intermediate(response, reusable)
                history.append(response)
                response = self._send_again(exchange, response, kwargs)
            try:
                outgoing: AuthRequest = flow.send(auth_response(response))
            except StopIteration as stop:
                result: FlowResult = stop.value
                break
            except core_errors.AuthCoreError as exc:
                release_intermediate(response, reusable)
                raise to_requests_error(exc, request=response.request, response=response) from exc
            release_intermediate(response, reusable)
            history.append(response)
            if jar is _NOT_YET:
                jar = retry_cookie_jar(exchange.prepared)
            carry_cookies(jar, response, exchange.prepared, outgoing.headers)
            response = self._send(exchange, outgoing, response, kwargs)
        return _finished(response, history, result, reusable)

    @staticmethod
    def _send_again(exchange: _Exchange, previous: Response, kwargs: Any) -> Response:
        """The request ``previous`` answered, again, with ``Content-Length`` (same headers)."""
        sent = previous.request
        headers = sent.headers if sent is not None else exchange.prepared.headers
        outgoing = AuthRequest(
            method=str(exchange.prepared.method or "GET"),
            url=safe_url(exchange.prepared.url),
            headers=CaseInsensitiveDict(headers),
        )
        return HTTPAuth._send(exchange, outgoing, previous, kwargs)

    @staticmethod
    def _send(
        exchange: _Exchange, outgoing: AuthRequest, previous: Response, kwargs: Any
    ) -> Response:
        prep = exchange.prepared.copy()
        prep.headers = copy_headers(outgoing.headers)
        if exchange.wire is not None:
            exchange.wire.rewind()
            prep.body = exchange.wire  # type: ignore[assignment]
        chunked = prep.body is not None and "Content-Length" not in prep.headers
        if chunked and (exchange.force_length or _http10(previous)):
            exchange.force_length = True
            _with_length(exchange, prep, previous)
        connection = previous.connection
        sent: Response = connection.send(prep, **kwargs)
        sent.request = prep
        return sent

    def _redirected(self, exchange: _Exchange, response: Response, kwargs: Any) -> Response:
        """A same-origin redirect target (the hook was copied onto it) that asks for credentials."""
        request = response.request
        if int(response.status_code) != 401 or request is None:
            return response
        url = safe_url(request.url)
        body_obj: object = request.body
        wire = body_obj if isinstance(body_obj, WireBody) else None
        body = wire.body if wire is not None else ReplayableBody.wrap(request.body)
        target = _Exchange(request, exchange.origin, body, wire)
        flow, first = self._start_flow(request, url, body, response)
        if first.headers.get("Authorization") != request.headers.get("Authorization"):
            # the space is known: the answer is to the request the flow wanted, not this one
            release_intermediate(response, body is None)
            retry = self._send(target, first, response, kwargs)
            retry.history = [*retry.history, response]
            response = retry
        return self._drive(target, flow, response, kwargs)


def _finished(
    response: Response, history: List[Response], result: FlowResult, reusable: bool
) -> Response:
    """The final response with the intermediate ones after its own ``history`` (requests'
    redirects), the verdict as ``response.auth_result``, and a connection the body may have
    left unread closed once the caller is done with a ``4xx``/``5xx``."""
    if history:
        response.history = [*response.history, *history]
    settle(response, result, reusable)
    return response


def _http10(response: Response) -> bool:
    return getattr(response.raw, "version", 11) == 10


def _refused_chunked(response: Response) -> bool:
    """``response`` refuses the chunked body of its request (411, or 400/501 from HTTP/1.0)."""
    sent = response.request
    if sent is None or sent.body is None or "Content-Length" in sent.headers:
        return False
    status = int(response.status_code)
    return status == 411 or (status in HTTP10_CHUNKED_REFUSALS and _http10(response))


def _with_length(exchange: _Exchange, prep: PreparedRequest, previous: Response) -> None:
    """Put the buffered body on ``prep`` with ``Content-Length`` (RFC 9112 section 6.2)."""
    if exchange.body is not None:
        with_content_length(prep, exchange.body, exchange.origin, exchange.prepared, previous)


class BasicAuth(HTTPAuth):
    """RFC 7617 Basic, sent preemptively like requests' ``HTTPBasicAuth`` (UTF-8 by default).

    ``encoding`` overrides the charset (e.g. ``"latin-1"`` for old servers, RFC
    7617 section 2.1). Only Basic is answered. Unlike ``HTTPBasicAuth``, a
    body is still replayable when the server refuses and asks for a realm.
    """

    def __init__(
        self,
        username: str,
        password: str,
        encoding: Optional[str] = None,
        *,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
    ) -> None:
        options = SchemeOptions(basic_encoding=encoding) if encoding else None
        super().__init__(username, password, max_replay_bytes=max_replay_bytes, options=options)
        self.encoding = encoding

    @classmethod
    def _schemes(cls) -> Optional[Iterable[Type[Authenticator]]]:
        return [BasicScheme]

    def _before_flow(self, url: str) -> None:
        """Teach the store Basic for the whole origin, so the first request carries it."""
        root = _origin_root(url)
        if self.credentials.authenticator_for(url) is not None:
            return
        credential = self.credentials.find(url)
        if credential is None:
            return
        try:
            authenticator = BasicScheme.create(
                Challenge("basic", {}), credential, url=root, options=self.options
            )
        except core_errors.UnsupportedChallengeError as exc:
            raise to_requests_error(exc) from exc
        self.credentials.learn(root, authenticator)


class DigestAuth(HTTPAuth):
    """RFC 7616 Digest only (MD5, SHA-256, SHA-512-256, ``-sess``, qop auth/auth-int).

    The first request of a protection space is challenged; later ones in the
    same space (``domain``) are authorized preemptively with the shared nonce
    and increasing nonce counts, from any thread.
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        options: Optional[SchemeOptions] = None,
    ) -> None:
        super().__init__(username, password, max_replay_bytes=max_replay_bytes, options=options)

    @classmethod
    def _schemes(cls) -> Optional[Iterable[Type[Authenticator]]]:
        return [DigestScheme]
