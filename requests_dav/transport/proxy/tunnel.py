"""The CONNECT exchange of an HTTPS tunnel, answering ``407`` challenges.

RFC 9110 section 9.3.6: ``CONNECT host:port`` asks a proxy for a tunnel; any
2xx answer means the tunnel is up (its Content-Length / Transfer-Encoding are
ignored and it has no content), anything else is an ordinary HTTP response
the client may act on. RFC 7235 section 3.2: a ``407`` carries
``Proxy-Authenticate`` challenges (section 4.3), answered with
``Proxy-Authorization`` (section 4.4) on a new CONNECT.

http.client's ``_tunnel`` (and urllib3's copies of it) turns every non-200
answer into ``OSError("Tunnel connection failed: ...")`` and discards the
challenge. :class:`TunnelAuthHTTPSConnection` owns the exchange instead: it
drives the negotiator's ``connect_flow`` generator, reuses the connection
when the 407 can be drained (keep-alive with a known, small length) and opens
a fresh one to the proxy otherwise, then hands the tunnel to urllib3, which
does TLS to the origin as usual.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
from typing import (
    Any,
    Callable,
    Generator,
    List,
    MutableMapping,
    Optional,
    Protocol,
    Tuple,
)

from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPSConnection

from ...auth.flow import MAX_HANDSHAKE_RESTARTS
from ...auth.messages import AuthRequest, AuthResponse
from ...auth.outcome import FlowResult
from ...auth.urls import idna_host
from ..expect import ExpectContinueMixin
from .errors import refused_error

#: Largest 407 body that is read and discarded to keep the connection; a
#: bigger (or unbounded) one costs a new connection instead.
MAX_DRAIN_BYTES = 64 * 1024
#: Upper bound on CONNECT requests for one tunnel, whatever the flow says.
MAX_CONNECT_ROUNDS = 8
#: Longest status or header line accepted from the proxy (http.client's own).
_MAXLINE = 65536

ConnectFlow = Generator[AuthRequest, AuthResponse, Any]

#: Header fields of the proxy headers never copied onto the CONNECT request:
#: ``Host`` is written from the authority, ``Proxy-Authorization`` only ever
#: comes from the flow (a stale one from requests or urllib3 is dropped).
_OWN_FIELDS = frozenset({"host", "proxy-authorization"})
#: Bytes that would split or end a header line (request smuggling into the proxy).
_FORBIDDEN = re.compile(r"[\r\n\0]")


class ConnectNegotiator(Protocol):
    """What the tunnel needs of :class:`requests_dav.auth.flow.Negotiator`."""

    def connect_flow(
        self,
        proxy_url: str,
        authority: str,
        headers: MutableMapping[str, str],
        *,
        connection_bound: bool = True,
    ) -> ConnectFlow:  # pragma: no cover - protocol
        ...


class _Reconnect(Exception):
    """Internal: the proxy closed (or will close) the connection; open a new one."""


class _Exchange:
    """State of one tunnel negotiation, alive across fresh connections.

    ``start`` makes the flow; a connection-bound handshake (NTLM, Negotiate)
    cut by the proxy between two legs is started again once on a fresh
    connection (``restarts``), never continued on it.
    """

    def __init__(self, start: Callable[[], ConnectFlow]) -> None:
        self.start = start
        self.flow = start()
        self.request: Optional[AuthRequest] = None
        self.rounds = 0
        self.connections = 0
        self.restarts = 0
        self.sent_authorization: Optional[str] = None
        #: the request on the current connection carried a token of a connection-bound handshake
        self.bound_leg_sent = False
        self.last_answer: Optional[AuthResponse] = None

    def restart(self) -> None:
        """Begin the negotiation again with a new flow (the old one's state is tied to a dead
        connection)."""
        self.flow.close()
        self.flow = self.start()
        self.request = None
        self.restarts += 1
        self.bound_leg_sent = False


def authority_of(host: str, port: int) -> str:
    """``host:port`` in authority-form (RFC 9110 section 9.3.6), IPv6 in brackets, IDNA."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{idna_host(host)}:{port}"


def read_response(sock: Any) -> Tuple[http.client.HTTPResponse, List[Tuple[str, str]]]:
    """Read a response head to CONNECT; every header line kept, in order."""
    response = http.client.HTTPResponse(sock, method="CONNECT")
    try:
        response.begin()
    except BaseException:
        response.close()
        raise
    return response, list(response.msg.items())


def peer_closed(sock: Any) -> bool:
    """Whether the peer has closed the connection: EOF is waiting on ``sock`` (nothing is
    consumed). False when that cannot be told without reading (a TLS socket to the proxy)."""
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket):
        return False
    try:
        timeout = sock.gettimeout()
        sock.settimeout(0)
        try:
            return bool(sock.recv(1, socket.MSG_PEEK) == b"")
        finally:
            sock.settimeout(timeout)
    except BlockingIOError:
        return False
    except OSError:
        return True


def drain(response: http.client.HTTPResponse, limit: int = MAX_DRAIN_BYTES) -> bool:
    """Read and discard a non-2xx CONNECT response's body if the connection survives it.

    True when the body was read entirely and the proxy keeps the connection
    open (persistent connection, body delimited by Content-Length or chunked
    coding, at most ``limit`` bytes); False when a new connection is needed.
    """
    try:
        if response.will_close:
            return False
        if response.length is not None:
            if response.length > limit:
                return False
            response.read()
            return True
        if not response.chunked:
            return False
        seen = 0
        while True:
            chunk = response.read(8192)
            if not chunk:
                return True
            seen += len(chunk)
            if seen > limit:
                return False
    except (OSError, http.client.HTTPException):
        return False
    finally:
        response.close()


class TunnelAuthHTTPSConnection(ExpectContinueMixin, HTTPSConnection):
    """urllib3's HTTPS connection whose CONNECT answers proxy challenges.

    Requests sent through the tunnel honour ``Expect: 100-continue``
    (:class:`~requests_dav.transport.expect.ExpectContinueMixin`).

    ``negotiator`` and ``connect_lock`` are set per connection by the pool
    that creates it (see :mod:`requests_dav.transport.proxy.manager`), never globally.
    Without a negotiator, or without a tunnel (a direct connection), it behaves exactly like its
    base class.
    """

    negotiator: Optional[ConnectNegotiator] = None
    #: Shared by the connections to one proxy (see :meth:`_first_round`); set by the pool.
    connect_lock: Optional[threading.Lock] = None
    #: Count of TCP connections opened to the proxy for the last tunnel (tests, diagnostics).
    tunnel_connections: int = 0
    #: CONNECT requests sent for the last tunnel.
    tunnel_rounds: int = 0

    _exchange: Optional[_Exchange] = None

    # -- urllib3 hooks ----------------------------------------------------------------
    def connect(self) -> None:
        """Open the connection; a tunnel is negotiated on as many connections as it takes."""
        negotiator = self.negotiator
        if self._tunnel_host is None or negotiator is None:
            super().connect()
            return
        proxy_url, authority = self._proxy_url(), self._authority()
        self._exchange = _Exchange(
            # the whole CONNECT exchange runs on this connection's socket, which becomes the
            # tunnel: connection-bound schemes (NTLM, Negotiate) are fine here
            lambda: negotiator.connect_flow(proxy_url, authority, self._base_headers())
        )
        try:
            while True:
                try:
                    super().connect()
                    return
                except _Reconnect:
                    continue
        finally:
            exchange = self._exchange
            self._exchange = None
            self.tunnel_connections = exchange.connections
            self.tunnel_rounds = exchange.rounds
            exchange.flow.close()

    def _tunnel(self) -> None:
        """Send CONNECT until the proxy opens the tunnel (RFC 9110 section 9.3.6).

        Called by urllib3 on a fresh socket to the proxy (already TLS for an
        ``https://`` proxy). Raises :class:`_Reconnect` after closing the socket
        when the proxy will not read another request on it; ``connect`` then
        calls back here on a new socket with the flow's pending request.
        """
        exchange = self._exchange
        if exchange is None:  # connect() of the base class on a tunnel without negotiator
            self._plain_tunnel()
            return
        exchange.connections += 1
        try:
            first = exchange.request is None
            reused = False
            while True:
                if first:
                    response, answer = self._first_round(exchange)
                    first = False
                else:
                    response, answer = self._round(exchange, reused)
                if 200 <= answer.status < 300:
                    response.close()  # a 2xx to CONNECT has no content: never read it
                    self._finish(exchange, answer)
                    return
                try:
                    exchange.request = exchange.flow.send(answer)
                except StopIteration as stop:
                    closed = peer_closed(self.sock)
                    response.close()
                    self._fail(exchange, answer, response.reason, stop.value, closed)
                if not drain(response):
                    raise _Reconnect
                reused = True
        except _Reconnect:
            self._close_socket()
            if exchange.bound_leg_sent:
                self._restart_handshake(exchange)
            raise
        except BaseException:
            self.close()  # also clears has_connected_to_proxy: urllib3 reports a ProxyError
            raise

    def _first_round(self, exchange: _Exchange) -> Tuple[http.client.HTTPResponse, AuthResponse]:
        """The first CONNECT, serialized per proxy by ``connect_lock`` when there is one.

        Preemptive Digest credentials carry a nonce count (RFC 7616 section
        3.4); squid invalidates a nonce whose counts arrive out of order, so
        tunnels opened from many threads at once would each be challenged
        again. Holding the lock from computing the credentials until the
        proxy's answer is read keeps the counts in order on the wire. The
        flow's single-flight wait (the first negotiation for the proxy) also
        happens under it; later rounds never take the lock.
        """
        lock = self.connect_lock
        if lock is None:
            exchange.request = next(exchange.flow)
            return self._round(exchange, reused=False)
        with lock:
            exchange.request = next(exchange.flow)
            return self._round(exchange, reused=False)

    def _round(
        self, exchange: _Exchange, reused: bool
    ) -> Tuple[http.client.HTTPResponse, AuthResponse]:
        """Send the flow's pending CONNECT and read the answer's head.

        On a connection kept alive after a 407, a proxy that closed it in the
        meantime costs a reconnect, not an error.
        """
        request = exchange.request
        assert request is not None
        if exchange.rounds >= MAX_CONNECT_ROUNDS:
            raise OSError(
                f"Tunnel connection failed: {MAX_CONNECT_ROUNDS} CONNECT requests without a tunnel"
            )
        exchange.rounds += 1
        exchange.sent_authorization = _get(request.headers, "Proxy-Authorization")
        exchange.bound_leg_sent = request.connection_bound and bool(exchange.sent_authorization)
        try:
            self._send_connect(request.target or self._authority(), request.headers)
            response, lines = read_response(self.sock)
        except (ConnectionError, http.client.RemoteDisconnected):
            if not reused:
                raise
            raise _Reconnect from None
        exchange.last_answer = AuthResponse(response.status, lines)
        return response, exchange.last_answer

    # -- pieces -------------------------------------------------------------------------
    def _finish(self, exchange: _Exchange, answer: AuthResponse) -> None:
        """Tell the flow the tunnel is up: it learns the space, reads Proxy-Authentication-Info."""
        try:
            exchange.flow.send(answer)
        except StopIteration:
            return

    def _restart_handshake(self, exchange: _Exchange) -> None:
        """The proxy closed the connection in the middle of a connection-bound handshake.

        The next leg would reach a connection that knows nothing of the
        handshake (the proxy would refuse it), so the negotiation starts over
        on the new connection, at most :data:`MAX_HANDSHAKE_RESTARTS` times;
        after that the last 407 is the answer.
        """
        if exchange.restarts < MAX_HANDSHAKE_RESTARTS:
            exchange.restart()
            return
        answer = exchange.last_answer
        assert answer is not None
        error = refused_error(
            proxy=self._proxy_url(),
            authority=self._authority(),
            response=answer,
            sent_authorization=exchange.sent_authorization,
            result=FlowResult(
                "connection-lost",
                "the proxy closed the connection in the middle of a connection-bound "
                f"handshake, {exchange.restarts + 1} times",
            ),
        )
        self.close()  # also forgets the tunnel's target: after the error is built
        raise error

    def _fail(
        self, exchange: _Exchange, answer: AuthResponse, reason: str, result: Any, closed: bool
    ) -> None:
        """The flow gave up: a 407 becomes ProxyTunnelAuthenticationError, others OSError."""
        if answer.status == 407:
            raise refused_error(
                proxy=self._proxy_url(),
                authority=self._authority(),
                response=answer,
                sent_authorization=exchange.sent_authorization,
                result=result,
                closed=closed,
            )
        raise OSError(f"Tunnel connection failed: {answer.status} {reason.strip()}")

    def _send_connect(self, target: str, headers: MutableMapping[str, str]) -> None:
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {self._authority()}"]
        for name, value in headers.items():
            if name.lower() != "host":
                lines.append(f"{name}: {value}")
        if any(_FORBIDDEN.search(line) for line in lines):
            raise ValueError("CONNECT request line or header contains CR, LF or NUL")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        assert self.sock is not None
        self.sock.sendall(data)

    def _close_socket(self) -> None:
        """Close the socket only: ``close()`` would also forget the tunnel's target."""
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def _plain_tunnel(self) -> None:
        """CONNECT without authentication: the base class's behaviour, our wire format."""
        self._send_connect(self._authority(), self._base_headers())
        response, _ = read_response(self.sock)
        response.close()
        if not 200 <= response.status < 300:
            self.close()
            raise OSError(f"Tunnel connection failed: {response.status} {response.reason.strip()}")

    def _authority(self) -> str:
        assert self._tunnel_host is not None and self._tunnel_port is not None
        return authority_of(self._tunnel_host, self._tunnel_port)

    def _proxy_url(self) -> str:
        """The proxy's URL without userinfo: the key of its protection space."""
        proxy = self.proxy
        if proxy is None:
            return f"http://{authority_of(self._dns_host, self.port)}"
        scheme = proxy.scheme or "http"
        host = proxy.host or self._dns_host
        port = proxy.port or (443 if scheme == "https" else 80)
        return f"{scheme}://{authority_of(host, port)}"

    def _base_headers(self) -> MutableMapping[str, str]:
        """The proxy headers for CONNECT, without Host or any Proxy-Authorization."""
        headers: MutableMapping[str, str] = CaseInsensitiveDict()
        tunnel_headers = getattr(self, "_tunnel_headers", None) or {}
        for name, value in tunnel_headers.items():
            if name.lower() not in _OWN_FIELDS:
                headers[name] = value
        return headers


def _get(headers: MutableMapping[str, str], name: str) -> Optional[str]:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
