"""A real NTLM / Negotiate acceptor over HTTP/1.1 keep-alive, for the test bed.

Run as a script (the fixture in ``ntlm_fixture.py`` does)::

    NTLM_USER_FILE=users.txt python ntlm_server.py --port 8080 --log requests.jsonl \
        [--tls-port 8443 --cert cert.pem --key key.pem] [--proxy-close-after-challenge]

``NTLM_USER_FILE`` is pyspnego's credential store: one ``DOMAIN:USER:PASSWORD`` per line
(an empty DOMAIN for plain user names: ``:alice:s3cret``). The acceptor is pyspnego's
``spnego.server`` (pure-Python NTLM; ``negotiate`` wraps it in SPNEGO).

Authentication is per connection, as IIS does it ([MS-NTHT] section 3.2):

* a request on an unauthenticated connection without credentials gets 401 with the
  challenges of its share (first path segment): ``/ntlm/...`` ``WWW-Authenticate: NTLM``,
  ``/negotiate/...`` ``Negotiate``, ``/any/...`` both; ``/ntlmclose/...`` is ``/ntlm/`` whose
  type 2 answer says ``Connection: close`` and hangs up (a handshake cut mid-way);
  ``/open/...`` (and any other first segment) asks for nothing and is served;
* ``Authorization: NTLM <type 1>`` starts a handshake on the connection: 401 with the
  type 2 token; ``NTLM <type 3>`` on the *same* connection completes it: the request is
  served and the connection stays authenticated for every later request on it;
* a token the acceptor rejects (wrong password, or a type 3 arriving on a connection that
  has no handshake in progress) gets the bare challenges again (refused);
* a new connection starts unauthenticated.

The same server is also a forward proxy that demands NTLM (only) per connection, with
407 / ``Proxy-Authenticate`` / ``Proxy-Authorization`` and the same three legs. A
connection keeps its proxy handshake apart from its origin handshake: being
proxy-authenticated says nothing about the origin, and the other way round. Proxy
requests are

* ``CONNECT host:port``: once proxy-authenticated, a plain TCP tunnel to ``host:port``
  (e.g. back to this server, plain or TLS, whose shares then want their own handshake
  inside the tunnel); the connection is then the tunnel's;
* a request in absolute-form (``GET http://127.0.0.1:PORT/path HTTP/1.1``): once
  proxy-authenticated (or when its Proxy-Authorization completes the proxy handshake), it
  is forwarded with origin-form target, its headers minus hop-by-hop ones (and minus
  ``Proxy-Authorization`` and ``Expect``) and its body with ``Content-Length``; the answer
  is relayed minus hop-by-hop headers, with the proxy's own ``Content-Length``, and the
  client connection stays open. Each client connection keeps one upstream connection
  while it names the same upstream (as squid pins NTLM connections), so an origin's own
  handshake can run through the proxy; it is reopened when the upstream closed it.

Either kind of proxy request goes only to ``127.0.0.1``, ``localhost`` or ``::1`` (any
other host, a non-``http`` absolute URL, or an upstream that cannot be reached: 502, once
the proxy handshake is done). With ``--proxy-close-after-challenge`` every 407 that
carries a type 2 token says ``Connection: close`` and closes the connection. Every proxy
answer carries ``X-Proxy-Connection-Id``.

``--tls-port`` adds a TLS listener (same handler, shares and log); both listeners serve
until the process ends.

Every request body is read in full (Content-Length or chunked) before the answer, except
that, as IIS does, a request with ``Expect: 100-continue`` and no credentials to a share
that wants authentication, on a connection not yet authenticated, gets its 401 at once
(no ``100 Continue``, body never read, connection closed). One
JSON line per request goes to the log *before* the response is sent, so a client holding
the response can read its record (a forwarded request's record follows the upstream's
own record): ``conn`` (a per-connection id, unique over both listeners), ``port`` (the
listener), ``tls``, ``method``, ``path`` (the request target as sent), ``status``,
``body_length``, ``body_sha256``, ``proxy`` (CONNECT or absolute-form), ``proxy_user``
(who the connection is proxy-authenticated as after this request), ``proxy_leg`` (the
NTLM message type of the Proxy-Authorization token of a proxy request), and ``scheme``,
``leg``, ``user``: the credentials the hop this record describes checked, i.e. of the
Authorization header and the origin handshake for an origin request, and of
Proxy-Authorization and the proxy handshake for a proxy request (there they equal the
proxy fields; the origin's view of a forwarded request is the upstream's own record).
Served origin responses carry ``X-Connection-Id``.

The script needs only the standard library and pyspnego.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import http.client
import itertools
import json
import select
import socket
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

import spnego

#: share (first path segment) -> schemes offered, in the order of the header lines
SHARES: Dict[str, Tuple[str, ...]] = {
    "ntlm": ("NTLM",),
    "negotiate": ("Negotiate",),
    "any": ("Negotiate", "NTLM"),
    "ntlmclose": ("NTLM",),  # closes the connection after sending the type 2 token
    "open": (),  # no authentication
}

#: what the proxy offers in Proxy-Authenticate
PROXY_OFFERS: Tuple[str, ...] = ("NTLM",)

#: wire scheme -> pyspnego protocol
PROTOCOLS = {"ntlm": "ntlm", "negotiate": "negotiate"}

#: hosts the proxy forwards to or tunnels to, and the address it connects to for each
UPSTREAM_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}

#: headers that concern one hop only (RFC 9110 section 7.6.1, plus the proxy's own); the
#: names listed in a Connection header are dropped as well
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",  # the proxy always sets its own
    }
)

#: how long the proxy waits for an upstream, in seconds
UPSTREAM_TIMEOUT = 30.0

_NTLM_SIGNATURE = b"NTLMSSP\x00"


def ntlm_leg(token: bytes) -> Optional[int]:
    """The NTLM message type of a raw NTLM token (1, 2, 3), or None for anything else."""
    if token.startswith(_NTLM_SIGNATURE) and len(token) >= 12:
        return int.from_bytes(token[8:12], "little")
    return None


class RecordLog:
    """Append-only JSON-lines log shared by the handler threads (of both listeners)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def write(self, record: Dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line)
            out.flush()


class Handshake:
    """One side's handshake state on a connection (the origin's, or the proxy's)."""

    def __init__(self) -> None:
        self.user: Optional[str] = None  # who the connection is authenticated as
        self.pending: Optional[Tuple[str, Any]] = None  # (wire scheme, acceptor context)


class Verdict:
    """The outcome of checking one request's credentials against a :class:`Handshake`."""

    def __init__(self, serve: bool, challenges: List[str]) -> None:
        self.serve = serve
        self.challenges = challenges  # values of WWW-Authenticate / Proxy-Authenticate
        self.scheme: Optional[str] = None  # first token of the credentials header
        self.leg: Optional[int] = None  # NTLM message type of its token
        self.continued = False  # the challenge carries a token: the handshake goes on


def strip_hop_by_hop(headers: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """``headers`` without the hop-by-hop ones and those the Connection header names."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP and n.lower() not in named]


def upstream_address(host: Optional[str]) -> Optional[str]:
    """The address to connect to for an upstream ``host``, or None when it is not allowed."""
    if host is None:
        return None
    return UPSTREAM_HOSTS.get(host.lower().strip("[]"))


class NTLMHandler(BaseHTTPRequestHandler):
    """One instance per connection: the handshake states live on it."""

    protocol_version = "HTTP/1.1"
    server_version = "requests-dav-ntlm-test/1"
    # set on the subclass each listener builds (see make_handler)
    log: RecordLog
    tls: bool = False
    proxy_close_after_challenge: bool = False
    _ids = itertools.count(1)
    _ids_lock = threading.Lock()

    def setup(self) -> None:
        super().setup()
        with self._ids_lock:
            self.conn_id = next(self._ids)
        self.origin = Handshake()
        self.proxy = Handshake()
        self.upstream: Optional[http.client.HTTPConnection] = None
        self.upstream_key: Optional[Tuple[str, int]] = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._close_upstream()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # every method goes through one handler
    def do_GET(self) -> None:
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PROPFIND = do_GET

    # -- body -------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: List[bytes] = []
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailer fields
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)  # CRLF after the chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- authentication ---------------------------------------------------------------

    def _offers(self) -> Tuple[str, ...]:
        share = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        return SHARES.get(share, ())

    def _authenticate(
        self, state: Handshake, offers: Tuple[str, ...], credentials_header: str
    ) -> Verdict:
        """Check this request's ``credentials_header`` against ``state`` (and update it)."""
        bare = list(offers)
        header = self.headers.get(credentials_header)
        if header is None:
            return Verdict(state.user is not None or not offers, bare)
        scheme, _, token_text = header.strip().partition(" ")
        wire = next((offer for offer in offers if offer.lower() == scheme.lower()), None)
        try:
            token = base64.b64decode(token_text.strip(), validate=True)
        except (binascii.Error, ValueError):
            token = b""
        refused = Verdict(False, bare)
        refused.scheme = scheme
        if wire is None or not token:
            state.pending = None
            return refused
        refused.leg = ntlm_leg(token)
        if state.pending is not None and state.pending[0] == wire:
            context = state.pending[1]
        else:
            # A new handshake (also on an authenticated connection: it starts over).
            state.user = None
            context = spnego.server(protocol=PROTOCOLS[wire.lower()])
        state.pending = None
        try:
            answer = context.step(token)
        except Exception:
            state.user = None
            return refused
        if not context.complete:
            if not answer:
                return refused
            state.pending = (wire, context)
            verdict = Verdict(False, [f"{wire} {base64.b64encode(answer).decode('ascii')}"])
            verdict.continued = True
        else:
            state.user = str(context.client_principal)
            final = [f"{wire} {base64.b64encode(answer).decode('ascii')}"] if answer else []
            verdict = Verdict(True, final)
        verdict.scheme, verdict.leg = scheme, refused.leg
        return verdict

    # -- records ----------------------------------------------------------------------

    def _record(self, status: int, body: bytes, verdict: Verdict, proxy: bool) -> None:
        """Log one request; ``verdict`` is the origin's, or the proxy's for a proxy request."""
        self.log.write(
            {
                "conn": self.conn_id,
                "port": self.server.server_address[1],
                "tls": self.tls,
                "method": self.command,
                "path": self.path,
                "status": status,
                "body_length": len(body),
                "body_sha256": hashlib.sha256(body).hexdigest(),
                "scheme": verdict.scheme,
                "leg": verdict.leg,
                "user": self.proxy.user if proxy else self.origin.user,
                "proxy": proxy,
                "proxy_user": self.proxy.user,
                "proxy_leg": verdict.leg if proxy else None,
            }
        )

    # -- the proxy ----------------------------------------------------------------------

    def _proxy_answer(
        self, status: int, verdict: Verdict, payload: bytes, reason: Optional[str] = None
    ) -> None:
        """Send the proxy's own answer (407, 502, or 200 to CONNECT)."""
        self.send_response(status, reason)
        if verdict.continued and self.proxy_close_after_challenge:
            # a proxy that hangs up in the middle of its handshake
            self.send_header("Connection", "close")
            self.close_connection = True
        if status == 407:
            for value in verdict.challenges:
                self.send_header("Proxy-Authenticate", value)
        self.send_header("X-Proxy-Connection-Id", str(self.conn_id))
        if status != 200 or self.command != "CONNECT":
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def do_CONNECT(self) -> None:
        """A forward proxy demanding NTLM for CONNECT (407), then a plain TCP tunnel."""
        verdict = self._authenticate(self.proxy, PROXY_OFFERS, "Proxy-Authorization")
        if not verdict.serve:
            self._record(407, b"", verdict, proxy=True)
            self._proxy_answer(407, verdict, b"proxy authentication required\n")
            return
        host, _, port = self.path.rpartition(":")
        address = upstream_address(host)
        upstream: Optional[socket.socket] = None
        if address is not None:
            try:
                upstream = socket.create_connection((address, int(port)), UPSTREAM_TIMEOUT)
            except (OSError, ValueError):
                upstream = None
        if upstream is None:
            self._record(502, b"", verdict, proxy=True)
            self._proxy_answer(502, verdict, f"cannot tunnel to {self.path}\n".encode())
            return
        self._record(200, b"", verdict, proxy=True)
        self._proxy_answer(200, verdict, b"", "Connection established")
        self._splice(upstream)
        self.close_connection = True

    def _splice(self, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes."""
        client = self.connection
        sockets = [client, upstream]
        try:
            while True:
                if isinstance(client, ssl.SSLSocket) and client.pending():
                    readable = [client]  # decrypted bytes select() cannot see
                else:
                    readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is client else client).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()

    def _close_upstream(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
        self.upstream = None
        self.upstream_key = None

    def _forward(
        self, address: str, port: int, target: str, body: bytes
    ) -> Tuple[int, str, List[Tuple[str, str]], bytes]:
        """Send the request upstream on this connection's upstream connection; the answer.

        A reused upstream connection that turns out to be closed is reopened once.
        """
        if self.upstream is None or self.upstream_key != (address, port):
            self._close_upstream()
            self.upstream = http.client.HTTPConnection(address, port, timeout=UPSTREAM_TIMEOUT)
            self.upstream_key = (address, port)
        headers = strip_hop_by_hop(list(self.headers.items()))
        headers = [(n, v) for n, v in headers if n.lower() != "expect"]
        if not any(name.lower() == "host" for name, _ in headers):
            headers.append(("Host", urllib.parse.urlsplit(self.path).netloc))
        reused = self.upstream.sock is not None
        try:
            return self._exchange(self.upstream, target, headers, body)
        except (OSError, http.client.HTTPException):
            if not reused:
                raise
        return self._exchange(self.upstream, target, headers, body)

    def _exchange(
        self,
        upstream: http.client.HTTPConnection,
        target: str,
        headers: List[Tuple[str, str]],
        body: bytes,
    ) -> Tuple[int, str, List[Tuple[str, str]], bytes]:
        """One request and its whole answer on ``upstream`` (closed again on failure)."""
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            response = upstream.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            upstream.close()
            raise
        return response.status, response.reason, response.getheaders(), payload

    def _handle_proxy(self, body: bytes) -> None:
        """An absolute-form request: the proxy handshake, then forward and relay."""
        verdict = self._authenticate(self.proxy, PROXY_OFFERS, "Proxy-Authorization")
        if not verdict.serve:
            self._record(407, body, verdict, proxy=True)
            self._proxy_answer(407, verdict, b"proxy authentication required\n")
            return
        url = urllib.parse.urlsplit(self.path)
        try:
            port = url.port or 80
        except ValueError:
            port = 0
        address = upstream_address(url.hostname) if url.scheme.lower() == "http" else None
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        answer = None
        if address is not None and port:
            try:
                answer = self._forward(address, port, target, body)
            except (OSError, http.client.HTTPException):
                answer = None
        if answer is None:
            self._record(502, body, verdict, proxy=True)
            self._proxy_answer(502, verdict, f"cannot forward to {self.path}\n".encode())
            return
        status, reason, headers, payload = answer
        self._record(status, body, verdict, proxy=True)
        self.send_response_only(status, reason)
        relayed = strip_hop_by_hop(headers)
        for name, value in relayed:
            self.send_header(name, value)
        self.send_header("Via", f"1.1 {self.server_version}")
        self.send_header("X-Proxy-Connection-Id", str(self.conn_id))
        if self.command == "HEAD":
            # a HEAD answer announces the length a GET would get
            length = next((v for n, v in headers if n.lower() == "content-length"), None)
            if length is not None:
                self.send_header("Content-Length", length)
        elif status >= 200 and status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    # -- one request ------------------------------------------------------------------

    def handle_expect_100(self) -> bool:
        """IIS's answer to ``Expect: 100-continue`` on a connection that is not authenticated.

        A request to a share that wants authentication, without credentials, gets its 401
        at once, before any body is sent, and the connection is closed (the body is never
        read); otherwise ``100 Continue`` as usual.
        """
        offers = self._offers() if self.path.startswith("/") else ()
        if offers and self.origin.user is None and self.headers.get("Authorization") is None:
            payload = b"authentication required\n"
            self._record(401, b"", Verdict(False, list(offers)), proxy=False)
            self.close_connection = True
            self.send_response(401)
            for value in offers:
                self.send_header("WWW-Authenticate", value)
            self.send_header("X-Connection-Id", str(self.conn_id))
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return False
        return super().handle_expect_100()

    def _handle(self) -> None:
        body = self._read_body()
        if "://" in self.path and not self.path.startswith("/"):
            self._handle_proxy(body)
            return
        verdict = self._authenticate(self.origin, self._offers(), "Authorization")
        if verdict.serve:
            status = 201 if self.command == "PUT" else 200
            payload = json.dumps(
                {
                    "conn": self.conn_id,
                    "user": self.origin.user,
                    "body_length": len(body),
                    "body_sha256": hashlib.sha256(body).hexdigest(),
                }
            ).encode()
        else:
            status = 401
            payload = b"authentication required\n"
        self._record(status, body, verdict, proxy=False)
        self.send_response(status)
        if verdict.continued and self.path.startswith("/ntlmclose/"):
            # a server that hangs up in the middle of a handshake (the client must not send
            # the next leg on another connection)
            self.send_header("Connection", "close")
            self.close_connection = True
        for value in verdict.challenges:
            self.send_header("WWW-Authenticate", value)
        self.send_header("X-Connection-Id", str(self.conn_id))
        self.send_header("Content-Type", "application/json" if verdict.serve else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class TLSHTTPServer(ThreadingHTTPServer):
    """The threaded server with TLS, handshaking in each connection's own thread."""

    daemon_threads = True

    def __init__(self, address: Tuple[str, int], handler: Any, context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10)
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # a client that did not finish the TLS handshake
        try:
            wrapped.settimeout(None)
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()


def make_handler(
    log: RecordLog, tls: bool = False, proxy_close_after_challenge: bool = False
) -> type:
    """The handler class of one listener (the log is shared between listeners)."""
    attributes = {
        "log": log,
        "tls": tls,
        "proxy_close_after_challenge": proxy_close_after_challenge,
    }
    return type("Handler", (NTLMHandler,), attributes)


def make_servers(
    port: int,
    log_path: str,
    tls: Optional[Tuple[int, str, str]] = None,
    proxy_close_after_challenge: bool = False,
    host: str = "127.0.0.1",
) -> List[ThreadingHTTPServer]:
    """The plain listener, and with ``tls=(port, cert, key)`` the TLS one (one log)."""
    log = RecordLog(log_path)
    plain = ThreadingHTTPServer((host, port), make_handler(log, False, proxy_close_after_challenge))
    plain.daemon_threads = True
    servers = [plain]
    if tls is not None:
        tls_port, cert, key = tls
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        handler = make_handler(log, True, proxy_close_after_challenge)
        servers.append(TLSHTTPServer((host, tls_port), handler, context))
    return servers


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True, help="JSON-lines request log")
    parser.add_argument("--tls-port", type=int, help="also listen with TLS on this port")
    parser.add_argument("--cert", help="PEM certificate of the TLS listener")
    parser.add_argument("--key", help="PEM private key of the TLS listener")
    parser.add_argument(
        "--proxy-close-after-challenge",
        action="store_true",
        help="every 407 carrying a type 2 token says Connection: close and closes",
    )
    args = parser.parse_args(argv)
    tls = None
    if args.tls_port is not None:
        if not (args.cert and args.key):
            parser.error("--tls-port needs --cert and --key")
        tls = (args.tls_port, args.cert, args.key)
    servers = make_servers(args.port, args.log, tls, args.proxy_close_after_challenge)
    for extra in servers[1:]:
        threading.Thread(target=extra.serve_forever, daemon=True).start()
    try:
        servers[0].serve_forever()
    finally:
        for server in servers:
            server.server_close()


if __name__ == "__main__":
    main()
