"""``AuthAdapter``: HTTP authentication with body replay for any requests session.

Mount it (``session.mount("https://", AuthAdapter(credentials))``) and every
request through it is driven by the sans-I/O core's
:meth:`~requests_dav.auth.flow.Negotiator.auth_flow`:

* RFC 9110 section 11 / RFC 7235 sections 2-4: a ``401`` (``WWW-Authenticate``)
  or, for requests sent to a plain-HTTP forward proxy, a ``407``
  (``Proxy-Authenticate``) is answered by sending the request again with
  ``Authorization`` / ``Proxy-Authorization``; learned protection spaces get
  their credentials preemptively (no extra round trip);
* PEP 268 body buffering: the retry carries the *same bytes*. Bytes are sent
  again as they are, a seekable file is rewound (never copied), any other
  file or iterable is teed into a buffer of at most ``max_replay_bytes``.
  Past the limit the caller gets the ``401``/``407`` back, the credentials
  cached, and can send again;
* RFC 9112 section 9.6 / RFC 9110 section 7.6.1: an intermediate ``401``/``407``
  is read (at most :data:`MAX_DRAIN_BYTES`) and its connection is closed when
  the server did not get the whole body (it answered early and hung up, as
  rclone and nginx do) or said ``Connection: close``, so the retry goes out on
  a fresh connection;
* RFC 9110 section 15.5.12 (``411 Length Required``) and RFC 2145 section 2.3
  (never send chunked to a peer known to speak HTTP/1.0): the body is sent
  again with ``Content-Length`` from the buffer when it fits, else
  :class:`~requests_dav.exceptions.LengthRequiredError`;
* RFC 9110 section 10.1.1 (``Expect: 100-continue``, chosen with
  ``expect_continue``): a body larger than the threshold (``max_replay_bytes``
  for ``expect_continue=None``) or of unknown length is sent only after the
  server's ``100 Continue`` (or after ``expect_timeout`` seconds of
  silence); a challenge that comes first is answered without the body ever
  having been sent, so even a body that cannot be replayed goes out exactly
  once (:mod:`requests_dav.transport.expect`);
* RFC 9110 section 10.1.1 / 15.5.18: ``417 Expectation Failed`` is retried
  without ``Expect`` (and that peer gets no ``Expect`` from this adapter again).

The response the caller gets is an ordinary :class:`requests.Response`: the
intermediate responses are in ``response.history`` (as requests' own
``HTTPDigestAuth`` does) and the negotiation's
:class:`~requests_dav.auth.outcome.FlowResult` is ``response.auth_result`` (read
it with :func:`auth_result`; :func:`raise_for_auth` turns a failed negotiation
into an exception that says why).

With the ``responses`` library active (it patches ``HTTPAdapter.send``), the
adapter's flow still runs: each attempt (the unauthenticated request, the
authorized retry) reaches the mocks, so tests can script ``401`` then ``200``.
"""

from __future__ import annotations

import logging
import threading
from typing import (
    Any,
    Callable,
    Dict,
    Generator,
    Mapping,
    Optional,
    Set,
    Tuple,
    Union,
)

from requests import utils as _utils
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from requests.exceptions import ConnectionError as _ConnectionError
from requests.models import PreparedRequest, Response
from requests.utils import select_proxy
from urllib3.exceptions import EmptyPoolError, UnrewindableBodyError

from .. import exceptions
from ..auth import errors as core_errors
from ..auth.body import DEFAULT_MAX_REPLAY_BYTES
from ..auth.credentials import Credentials
from ..auth.flow import MAX_HANDSHAKE_RESTARTS, Negotiator
from ..auth.messages import AuthRequest, AuthResponse
from ..auth.outcome import FlowResult
from ..auth.schemes import SchemeRegistry
from ..auth.schemes.base import SchemeOptions
from ..auth.urls import Origin
from . import fidelity, results, wire
from .connection_pins import ConnectionPinning
from .expect import DEFAULT_EXPECT_TIMEOUT, ExpectPoolManager, expect_result
from .peer_quirks import PeerQuirks
from .pinning import BOUND_CONNECTION_WAIT, PinnedPools
from .proxy import tunnel_error
from .proxy_seams import ProxySeams
from .results import auth_result, log_url, raise_for_auth, safe_url, to_requests_error
from .send_memo import TargetMemo, wire_request
from .send_state import (
    SendState,
    auth_request_for,
    challenge_names,
    content_length,
    copy_headers,
    has_header,
    own_headers,
    unanswered,
)
from .short_paths import hand_over, send_framed, send_primed
from .wire import (
    HTTP10_CHUNKED_REFUSALS,
    WireBody,
    auth_response,
    carry_cookies,
    not_rewindable,
    nothing_left_unread,
    release_intermediate,
    replayable_body,
)

__all__ = [
    "DEFAULT_EXPECT_TIMEOUT",
    "DEFAULT_MAX_REPLAY_BYTES",
    "MAX_DRAIN_BYTES",
    "RESULT_ATTRIBUTE",
    "AuthAdapter",
    "WireBody",
    "auth_result",
    "raise_for_auth",
]

logger = logging.getLogger(__name__)

# requests' helpers, typed (its stubs leave them untyped)
_prepend_scheme: Callable[[str, str], str] = _utils.prepend_scheme_if_needed

MAX_DRAIN_BYTES = wire.MAX_DRAIN_BYTES
#: blocks a request body is read and sent in (urllib3's own default, 16 KiB, costs an upload
#: of large files most of its throughput in Python calls per block)
BODY_BLOCKSIZE = 256 * 1024
"""How much of an intermediate 401/407/411/417 entity is read; past it the connection is closed."""

RESULT_ATTRIBUTE = results.RESULT_ATTRIBUTE
"""Name of the :class:`~requests_dav.auth.outcome.FlowResult` attribute set on final responses."""


# -- the adapter ------------------------------------------------------------------------------


class AuthAdapter(TargetMemo, ConnectionPinning, PeerQuirks, ProxySeams):
    """A :class:`requests.adapters.HTTPAdapter` that authenticates (RFC 7235) and replays bodies.

    ``credentials`` is the protection-space store
    (:class:`~requests_dav.auth.credentials.Credentials`; an empty one by
    default, reachable as ``adapter.credentials``). ``max_replay_bytes`` bounds
    the buffer of a non-seekable body (PEP 268). ``registry`` and ``options``
    choose the schemes (:class:`~requests_dav.auth.schemes.SchemeRegistry`,
    :class:`~requests_dav.auth.schemes.SchemeOptions`).

    ``expect_continue`` chooses which bodies wait for ``100 Continue``
    (RFC 9110 section 10.1.1, :mod:`requests_dav.transport.expect`): ``None`` (the
    default) those larger than ``max_replay_bytes`` or of unknown length, like
    curl above 1 MiB; an ``int`` those larger than that many bytes or of
    unknown length; ``True`` every body; ``False`` none. An ``Expect`` header
    the caller sets is always honoured. ``expect_timeout`` is how long to
    wait for ``100 Continue`` before sending the body anyway. Every other
    keyword (``max_retries``, ``pool_connections``, ``pool_maxsize``,
    ``pool_block``) goes to :class:`~requests.adapters.HTTPAdapter`.

    Thread-safe: one adapter serves every thread of a session; requests into
    one protection space share one challenge (the negotiator's single flight).
    Proxies: requests to ``http://`` targets through a forward proxy answer
    ``407`` in the same flow; HTTPS tunnels answer ``407`` on ``CONNECT``
    through :func:`requests_dav.transport.proxy.build_proxy_manager`. Credentials in a
    proxy URL (``http://user:pass@proxy:3128``) are never sent preemptively in
    clear: they are registered in the store as proxy credentials and used when
    the proxy asks.
    """

    def __init__(
        self,
        credentials: Optional[Credentials] = None,
        *,
        max_replay_bytes: int = DEFAULT_MAX_REPLAY_BYTES,
        registry: Optional[SchemeRegistry] = None,
        options: Optional[SchemeOptions] = None,
        expect_continue: Union[bool, int, None] = None,
        expect_timeout: float = DEFAULT_EXPECT_TIMEOUT,
        replace_caller_auth: bool = False,
        **kwargs: Any,
    ) -> None:
        if max_replay_bytes < 0:
            raise ValueError(f"max_replay_bytes must be >= 0, got {max_replay_bytes}")
        if expect_continue is not None and not isinstance(expect_continue, (bool, int)):
            raise TypeError(
                "expect_continue must be None, True, False or a size in bytes, "
                f"not {type(expect_continue).__name__}"
            )
        if not isinstance(expect_continue, bool) and (expect_continue or 0) < 0:
            raise ValueError(f"expect_continue must be >= 0, got {expect_continue}")
        if not expect_timeout > 0:
            raise ValueError(f"expect_timeout must be > 0, got {expect_timeout}")
        self.expect_continue = expect_continue
        self.replace_caller_auth = bool(replace_caller_auth)
        self._closed = False
        self.expect_timeout = float(expect_timeout)
        self.bound_connection_wait = BOUND_CONNECTION_WAIT
        self._no_expect_peers: Set[Origin] = set()
        self._credentials = credentials if credentials is not None else Credentials()
        self._negotiator = Negotiator(self._credentials, registry=registry, options=options)
        self.max_replay_bytes = max_replay_bytes
        self._state_lock = threading.Lock()
        self._http10_peers: Set[Origin] = set()
        self._proxy_users: Set[Tuple[str, str]] = set()
        self._pinned_pools = PinnedPools(self._pinned_manager)
        self._pinned = threading.local()  # the pool manager the current thread's leg must use
        self._credentials.on_forget(self._forgotten)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return (
            f"<AuthAdapter {self._credentials!r} max_replay_bytes={self.max_replay_bytes} "
            f"expect_continue={self.expect_continue!r}>"
        )

    def __getstate__(self) -> Any:
        """Configuration and the store (see :meth:`__setstate__`); never locks or pools."""
        requests_state: Dict[str, Any] = HTTPAdapter.__getstate__(self)  # type: ignore[attr-defined]
        return fidelity.adapter_state(self, requests_state)

    def __setstate__(self, state: Any) -> None:
        """A fresh adapter from the pickled configuration and store, as ``HTTPAdapter`` does:
        pools, pinned connections, peer memory and the single-flight state start empty."""
        config = state["http_adapter"]
        AuthAdapter.__init__(
            self,
            state["credentials"],
            max_replay_bytes=state["max_replay_bytes"],
            registry=state["registry"],
            options=state["options"],
            expect_continue=state["expect_continue"],
            expect_timeout=state["expect_timeout"],
            replace_caller_auth=state["replace_caller_auth"],
            max_retries=config["max_retries"],
            pool_connections=config["_pool_connections"],
            pool_maxsize=config["_pool_maxsize"],
            pool_block=config["_pool_block"],
        )
        self.config = dict(config.get("config") or {})
        self.bound_connection_wait = state["bound_connection_wait"]

    @property
    def credentials(self) -> Credentials:
        """The protection-space store this adapter authenticates from."""
        return self._credentials

    @property
    def negotiator(self) -> Negotiator:
        """The negotiator shared by every request of this adapter."""
        return self._negotiator

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = DEFAULT_POOLBLOCK, **pool_kwargs: Any
    ) -> None:
        """requests' pool manager, with connections that honour ``Expect: 100-continue``."""
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        pool_kwargs.setdefault("blocksize", BODY_BLOCKSIZE)
        self.poolmanager = ExpectPoolManager(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            expect_timeout=self.expect_timeout,
            **pool_kwargs,
        )

    def close(self) -> None:
        """Close every pooled connection, the authenticated (connection-bound) ones too.

        A second close with no request in between does nothing: one adapter mounted on
        ``http://`` and ``https://`` is closed twice by ``Session.close()``.
        """
        if self._closed:
            return
        self._closed = True
        super().close()
        self._pinned_pools.close()

    # -- sending --------------------------------------------------------------------------------

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> Response:
        """Send ``request``, answering 401/407 challenges; see the module docstring.

        A request that carries its own origin authentication (``Authorization``, or a requests
        ``auth=`` that answers 401 itself) goes as it is and its 401 reaches the caller, unless
        ``replace_caller_auth=True``. Bad URLs raise what ``HTTPAdapter`` raises.
        """
        self._closed = False
        fidelity.check_urls(self, request, proxies, verify, cert)
        kwargs = {
            "stream": stream,
            "timeout": timeout,
            "verify": verify,
            "cert": cert,
            "proxies": proxies,
        }
        url = str(request.url)
        # check_urls parsed the URL: select_proxy finds nothing in an empty mapping
        proxy = select_proxy(url, proxies) if proxies else None
        socks = proxy is not None and proxy.lower().startswith("socks")
        forward = bool(proxy) and not socks and not url.lower().startswith("https:")
        callers = not self.replace_caller_auth and fidelity.callers_own_auth(request)
        callers_proxy = (
            forward
            and not self.replace_caller_auth
            and fidelity.callers_own_proxy_auth(request, str(proxy))
        )
        try:
            nothing = (callers and (not forward or callers_proxy)) or (
                not proxy and not self._credentials.knows(url)
            )
        except ValueError:  # a URL urllib3 takes but no protection space can name: no entry
            return self._send_direct(request, url, kwargs)
        if nothing:
            if self._framing_is_fixed(request):
                return self._send_direct(request, url, kwargs, callers)
            return send_framed(self, request, url, kwargs, callers)
        if not proxy and not callers and self._framing_is_fixed(request):
            answered = send_primed(self, request, url, kwargs, proxies)
            if answered is not None:
                return answered
        body, wire = replayable_body(request, self.max_replay_bytes)
        via: Optional[str] = None
        forward_proxy: Optional[str] = None
        try:
            if proxy and not socks:
                via = self._register_proxy(_prepend_scheme(proxy, "http"))
                if forward:
                    forward_proxy = via
            peer = Origin.from_url(forward_proxy or url)
        except ValueError as exc:
            raise fidelity.invalid_url(exc, request, proxy=bool(via or proxy)) from exc
        state = SendState(request, body, wire, peer, kwargs)
        state.url = url
        state.proxy = via
        state.forward_proxy = forward_proxy is not None
        state.target = self.request_url(request, proxies)
        state.socks = socks
        state.callers = callers
        state.callers_proxy = callers_proxy
        flow, outgoing = self._start_flow(state)
        return self._negotiate(state, flow, outgoing)

    def _start_flow(
        self, state: SendState
    ) -> Tuple[Generator[AuthRequest, AuthResponse, FlowResult], AuthRequest]:
        """A new negotiation for ``state``'s request and the first request it sends."""
        request = state.request
        auth_request = auth_request_for(
            request,
            safe_url(state.url),
            state.body,
            state.target,
            proxy=state.proxy if state.forward_proxy and not state.callers_proxy else None,
        )
        # Connection-bound schemes (NTLM, Negotiate) only toward a peer this adapter keeps
        # one connection to: the origin directly or inside a tunnel, or a forward proxy.
        # Not an origin behind a forward proxy (the proxy may spread the legs over its own
        # connections) nor behind SOCKS (urllib3's SOCKS pools are not pinned).
        flow = self._negotiator.auth_flow(
            auth_request,
            connection_bound=not state.socks and not state.forward_proxy,
            proxy_connection_bound=state.forward_proxy,
            origin=not state.callers,
        )
        try:
            return flow, next(flow)  # may wait for another thread's flow (single flight)
        except core_errors.AuthCoreError as exc:
            raise to_requests_error(exc, request=request) from exc

    def _negotiate(
        self,
        state: SendState,
        flow: Generator[AuthRequest, AuthResponse, FlowResult],
        outgoing: AuthRequest,
        first: Optional[Tuple[Response, bool]] = None,
    ) -> Response:
        """Drive ``flow`` to its end and give the caller the final response.

        ``first``: the response (and whether its connection is reusable) to ``outgoing``,
        already sent (:func:`~requests_dav.transport.short_paths.send_primed`).
        """
        request, url = state.request, state.url
        restarts = 0
        try:
            while True:
                if not state.socks:
                    # an authenticated connection for this credential: reusing it is the
                    # preemptive step of a connection-bound scheme (no Authorization)
                    self._use_pool(state, self._known_pinned_pool(state))
                try:
                    response, reusable, result = self._run_flow(flow, state, outgoing, first)
                except BaseException:
                    flow.close()  # frees the single-flight gate now, not when the traceback dies
                    raise
                first = None
                if (
                    result.outcome != "connection-lost"
                    or restarts >= MAX_HANDSHAKE_RESTARTS
                    or not self._can_replay(state)
                ):
                    break
                # P2: the peer hung up between two legs of a connection-bound handshake; the
                # handshake starts over, once, on a fresh connection
                restarts += 1
                release_intermediate(response, False)
                state.history.append(response)
                logger.debug(
                    "%s %s: connection closed in the middle of a handshake, starting it again",
                    request.method,
                    log_url(url),
                )
                flow, outgoing = self._start_flow(state)
        finally:
            pinned = state.bound
            self._use_pool(state, None)
        if pinned is not None and pinned.key.side in result.per_request_sides:
            # the handshake's server authenticates each request: its connection is not
            # authenticated, and pinning it would queue every later request on it
            self._pinned_pools.close(lambda key: key == pinned.key)
        return hand_over(response, state.history, result, reusable, request.method, url)

    def _framing_is_fixed(self, request: PreparedRequest) -> bool:
        """The request can only go out as it is: no 411 or HTTP/1.0 fix can be needed.

        That is: the body has a known length (RFC 9112 section 6.2) and no
        ``Expect`` asks for a 417 fallback nor is to be added.
        """
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):
            return False
        if has_header(request.headers, "Expect"):
            return False
        return not (body and self._expects(content_length(request)))

    def _send_direct(
        self, request: PreparedRequest, url: str, kwargs: Mapping[str, Any], callers: bool = False
    ) -> Response:
        """``HTTPAdapter.send`` plus the verdict: nothing to negotiate, nothing to fix."""
        response = self._transport_send(request, kwargs)
        setattr(response, RESULT_ATTRIBUTE, unanswered(response, url, callers_auth=callers))
        return response

    def _run_flow(
        self,
        flow: Generator[AuthRequest, AuthResponse, FlowResult],
        state: SendState,
        outgoing: AuthRequest,
        first: Optional[Tuple[Response, bool]] = None,
    ) -> Tuple[Response, bool, FlowResult]:
        """Send each request the flow yields until it returns its result (``first``: the
        response to ``outgoing``, already sent, and whether its connection is reusable)."""
        request = state.request
        while True:
            if first is None:
                self._pin(state, outgoing)
                handshake = outgoing.connection_bound and state.bound is not None
                response, reusable = self._attempt(state, outgoing)
            else:
                (response, reusable), first = first, None
                handshake = False
            if outgoing.withhold_body and int(response.status_code) not in (401, 407):
                release_intermediate(response, reusable)
                flow.close()
                raise exceptions.AuthenticationError(
                    f"{safe_url(str(request.url))} answered {response.status_code} to a "
                    "handshake leg that can only be answered with a challenge (NTLM type 1), "
                    "sent with an empty body: the request body was not sent",
                    request=request,
                    response=response,
                )
            if int(response.status_code) in (401, 407):
                # the flow writes the retry's credentials into outgoing.headers: the request
                # this response answers keeps the headers it was sent with
                own_headers(state.sent, outgoing.headers)
            try:
                outgoing = flow.send(auth_response(response))
            except StopIteration as stop:
                return response, reusable, stop.value
            except core_errors.AuthCoreError as exc:
                release_intermediate(response, reusable)
                response.history = list(state.history)
                raise to_requests_error(exc, request=response.request, response=response) from exc
            kept = release_intermediate(response, reusable)
            if handshake and not kept and outgoing.connection_bound:
                # P2: the next leg of this handshake would go on another connection, where
                # the server cannot know the handshake: the caller gets this 401/407
                flow.close()
                return (
                    response,
                    True,
                    FlowResult(
                        "connection-lost",
                        "the server closed the connection in the middle of a connection-bound "
                        "handshake; the next leg cannot go on another connection",
                        rounds=len(state.history) + 1,
                    ),
                )
            state.history.append(response)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s: %d, sending again (%s)",
                    request.method,
                    log_url(str(request.url)),
                    response.status_code,
                    challenge_names(response),
                )
            carry_cookies(state.jar, response, request, outgoing.headers)

    def _transport_send(self, wire: PreparedRequest, kwargs: Mapping[str, Any]) -> Response:
        """``HTTPAdapter.send``, with a refused proxy tunnel surfaced as requests-dav's own error.

        requests wraps every ``OSError`` from urllib3 in its ``ConnectionError``;
        a final 407 to ``CONNECT`` is more useful as
        :class:`~requests_dav.exceptions.ProxyTunnelAuthenticationError`. urllib3's
        ``UnrewindableBodyError`` (a ``Retry`` after a connection error on a stream that
        outgrew the replay buffer), which requests lets through raw, becomes
        :class:`~requests_dav.exceptions.BodyNotReplayableError`.
        """
        try:
            return super().send(wire, **kwargs)
        except UnrewindableBodyError as exc:
            raise not_rewindable(exc, wire) from exc
        except EmptyPoolError as exc:
            raise exceptions.BoundConnectionBusyError(
                f"the connection authenticated for these credentials at "
                f"{Origin.from_url(str(wire.url))} stayed in use for "
                f"{self.bound_connection_wait} s: read or close a stream=True response "
                "before the next request with the same credentials",
                request=wire,
            ) from exc
        except _ConnectionError as exc:
            own = tunnel_error(exc)
            if own is None:
                raise
            if getattr(own, "request", None) is None:
                own.request = wire
            raise own from exc

    def _attempt(self, state: SendState, outgoing: AuthRequest) -> Tuple[Response, bool]:
        """Send one request of the flow, fixing the framing on 411, HTTP/1.0 peers and 417.

        Returns the response and whether its connection may carry the next
        attempt: only when the request had no body. A server that answers a
        challenge before reading the body either reads and discards the rest
        or closes, but not all do: cheroot (WsgiDAV) answers 401 to a chunked
        PUT without reading it and keeps the connection, then parses the
        chunks as the next request; rclone and nginx stop reading
        mid-upload. The retry of a request with a body therefore always goes
        out on a fresh connection (one TCP handshake per challenge).
        """
        fixes = 0
        while True:
            # the wire shares the flow's headers until it changes them or the flow does; with
            # the request's own headers (no flow) it is the request itself until it changes
            wire = state.request
            if outgoing.headers is not wire.headers:
                wire = wire_request(wire, outgoing.headers)
            withheld = outgoing.withhold_body and wire.body is not None
            if withheld:
                # NTLM's type 1 can only draw the type 2 challenge: the body goes on the next leg
                wire = _own(wire, state, outgoing)
                wire.body = None
                wire.headers.pop("Transfer-Encoding", None)
                wire.headers["Content-Length"] = "0"
            chunked = wire.body is not None and not has_header(wire.headers, "Content-Length")
            if chunked and (state.force_length or self._is_http10(state.peer)):
                wire = _own(wire, state, outgoing)
                self._send_with_length(state, wire)
                chunked = False
            elif state.wire is not None and not withheld:
                if wire is state.request:  # the caller's keeps its body; a redirect needs ours
                    wire = state.carrier()
                state.wire.rewind()
                wire.body = state.wire  # type: ignore[assignment]
            if (
                wire.body is not None
                and not has_header(wire.headers, "Expect")
                and state.bound is None  # a withheld body closes the connection: no pinning
                and not state.no_expect
                and self._expects(content_length(wire))
                and not self._refuses_expect(state.peer)
            ):
                wire = _own(wire, state, outgoing)
                wire.headers["Expect"] = "100-continue"
            state.sent = wire
            self._pinned.manager = state.bound.manager if state.bound is not None else None
            try:
                response = self._transport_send(wire, state.kwargs)
            finally:
                self._pinned.manager = None
            waited = expect_result(response)
            if waited is not None:
                logger.debug(
                    "%s %s: Expect: 100-continue -> %s (%s) after %.3f s, body %s",
                    wire.method,
                    log_url(wire.url),
                    waited.outcome,
                    waited.status,
                    waited.waited,
                    "sent" if waited.body_sent else "not sent",
                )
                if waited.outcome == "timeout" and "Expect" not in state.request.headers:
                    # RFC 9110 section 10.1.1: the peer ignores the expectation, so waiting
                    # protects nothing; its later bodies go at once
                    self._remember_no_expect(state.peer, "sent no 100 Continue in time")
            reusable = nothing_left_unread(wire)
            if state.bound is not None and "Expect" not in wire.headers:
                # a pinned connection carried the whole body (no Expect); a connection-bound
                # server reads it before answering, or closes (then it is not reused)
                reusable = True
            if getattr(response.raw, "version", 11) == 10:
                self._remember_http10(state.peer)
            status = int(response.status_code)
            refused_chunked = chunked and (
                status == 411 or (status in HTTP10_CHUNKED_REFUSALS and self._is_http10(state.peer))
            )
            expectation_failed = status == 417 and "Expect" in wire.headers
            if fixes >= 2 or not (refused_chunked or expectation_failed):
                return response, reusable
            fixes += 1
            if expectation_failed:
                if not self._can_replay(state):
                    return response, reusable
                # a copy: the request this response answers keeps the headers it was sent with
                outgoing.headers = copy_headers(outgoing.headers)
                outgoing.headers.pop("Expect", None)
                state.no_expect = True
                self._remember_no_expect(state.peer, "answered 417 Expectation Failed")
            else:
                state.force_length = True
            release_intermediate(response, reusable)
            state.history.append(response)
            logger.debug(
                "%s %s: %d, sending again %s",
                wire.method,
                log_url(wire.url),
                status,
                "without Expect" if expectation_failed else "with Content-Length",
            )


def _own(wire: PreparedRequest, state: SendState, outgoing: AuthRequest) -> PreparedRequest:
    """``wire`` with headers of its own, about to be changed: a copy of the request (never the
    caller's request itself), or the same copy with its headers no longer the flow's."""
    if wire is state.request:
        return wire_request(wire, copy_headers(outgoing.headers))
    own_headers(wire, outgoing.headers)
    return wire
