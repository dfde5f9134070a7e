"""A real NTLM / Negotiate acceptor over HTTP/1.1 keep-alive, for the test bed.

Run as a script (the fixture in ``ntlm_fixture.py`` does)::

    NTLM_USER_FILE=users.txt python ntlm_server.py --port 8080 --log requests.jsonl

``NTLM_USER_FILE`` is pyspnego's credential store: one ``DOMAIN:USER:PASSWORD`` per line
(an empty DOMAIN for plain user names: ``:alice:s3cret``). The acceptor is pyspnego's
``spnego.server`` (pure-Python NTLM; ``negotiate`` wraps it in SPNEGO).

Authentication is per connection, as IIS does it ([MS-NTHT] section 3.2):

* a request on an unauthenticated connection without credentials gets 401 with the
  challenges of its share (first path segment): ``/ntlm/...`` ``WWW-Authenticate: NTLM``,
  ``/negotiate/...`` ``Negotiate``, ``/any/...`` both; ``/ntlmclose/...`` is ``/ntlm/`` whose
  type 2 answer says ``Connection: close`` and hangs up (a handshake cut mid-way);
* ``Authorization: NTLM <type 1>`` starts a handshake on the connection: 401 with the
  type 2 token; ``NTLM <type 3>`` on the *same* connection completes it: the request is
  served and the connection stays authenticated for every later request on it;
* a token the acceptor rejects (wrong password, or a type 3 arriving on a connection that
  has no handshake in progress) gets the bare challenges again (refused);
* a new connection starts unauthenticated;
* ``CONNECT host:port`` makes it a forward proxy that demands NTLM the same way with
  407 / ``Proxy-Authenticate`` / ``Proxy-Authorization``, on one connection, and then
  tunnels plain TCP to ``host:port`` (e.g. back to itself, whose shares then want their own
  NTLM handshake inside the tunnel).

Every request body is read in full (Content-Length or chunked). One JSON line per request
goes to the log *before* the response is sent, so a client holding the response can read
its record: ``conn`` (a per-connection id), ``method``, ``path``, ``status``,
``body_length``, ``body_sha256``, ``scheme`` (of the Authorization sent), ``leg`` (the NTLM
message type carried, 1 or 3, when it is one), ``user`` (who the connection is
authenticated as after this request). Served responses carry ``X-Connection-Id``.

The script needs only the standard library and pyspnego.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

import spnego

#: share (first path segment) -> schemes offered, in the order of the header lines
SHARES: Dict[str, Tuple[str, ...]] = {
    "ntlm": ("NTLM",),
    "negotiate": ("Negotiate",),
    "any": ("Negotiate", "NTLM"),
    "ntlmclose": ("NTLM",),  # closes the connection after sending the type 2 token
}

#: wire scheme -> pyspnego protocol
PROTOCOLS = {"ntlm": "ntlm", "negotiate": "negotiate"}

_NTLM_SIGNATURE = b"NTLMSSP\x00"


def ntlm_leg(token: bytes) -> Optional[int]:
    """The NTLM message type of a raw NTLM token (1, 2, 3), or None for anything else."""
    if token.startswith(_NTLM_SIGNATURE) and len(token) >= 12:
        return int.from_bytes(token[8:12], "little")
    return None


class RecordLog:
    """Append-only JSON-lines log shared by the handler threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def write(self, record: Dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line)
            out.flush()


class NTLMHandler(BaseHTTPRequestHandler):
    """One instance per connection: the handshake state lives on it."""

    protocol_version = "HTTP/1.1"
    server_version = "requests-dav-ntlm-test/1"
    log: RecordLog  # set on the subclass the server builds
    _ids = itertools.count(1)
    _ids_lock = threading.Lock()

    def setup(self) -> None:
        super().setup()
        with self._ids_lock:
            self.conn_id = next(self._ids)
        self.user: Optional[str] = None  # who the connection is authenticated as
        self.pending: Optional[Tuple[str, Any]] = None  # (wire scheme, acceptor context)

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
        self, offers: Tuple[str, ...], credentials_header: str = "Authorization"
    ) -> Tuple[bool, List[str], Dict[str, Any]]:
        """(serve?, challenge values, record fields) for this request."""
        fields: Dict[str, Any] = {"scheme": None, "leg": None}
        bare = list(offers)
        header = self.headers.get(credentials_header)
        if header is None:
            return self.user is not None or not offers, bare, fields
        scheme, _, token_text = header.strip().partition(" ")
        fields["scheme"] = scheme
        wire = next((offer for offer in offers if offer.lower() == scheme.lower()), None)
        try:
            token = base64.b64decode(token_text.strip(), validate=True)
        except (binascii.Error, ValueError):
            token = b""
        if wire is None or not token:
            self.pending = None
            return False, bare, fields
        leg = ntlm_leg(token)
        fields["leg"] = leg
        if self.pending is not None and self.pending[0] == wire:
            context = self.pending[1]
        else:
            # A new handshake (also on an authenticated connection: it starts over).
            self.user = None
            context = spnego.server(protocol=PROTOCOLS[wire.lower()])
        self.pending = None
        try:
            answer = context.step(token)
        except Exception:
            self.user = None
            return False, bare, fields
        if not context.complete:
            if not answer:
                return False, bare, fields
            self.pending = (wire, context)
            encoded = base64.b64encode(answer).decode("ascii")
            return False, [f"{wire} {encoded}"], fields
        self.user = str(context.client_principal)
        final = [f"{wire} {base64.b64encode(answer).decode('ascii')}"] if answer else []
        return True, final, fields

    # -- one request ------------------------------------------------------------------

    def do_CONNECT(self) -> None:
        """A forward proxy demanding NTLM for CONNECT (407), then a plain TCP tunnel."""
        serve, challenges, fields = self._authenticate(("NTLM",), "Proxy-Authorization")
        status = 200 if serve else 407
        self._record(status, b"", fields)
        if not serve:
            payload = b"proxy authentication required\n"
            self.send_response(status)
            for value in challenges:
                self.send_header("Proxy-Authenticate", value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except (OSError, ValueError):
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self._splice(upstream)
        self.close_connection = True

    def _splice(self, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes."""
        client = self.connection
        sockets = [client, upstream]
        try:
            while True:
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

    def _record(self, status: int, body: bytes, fields: Dict[str, Any]) -> None:
        self.log.write(
            {
                "conn": self.conn_id,
                "method": self.command,
                "path": self.path,
                "status": status,
                "body_length": len(body),
                "body_sha256": hashlib.sha256(body).hexdigest(),
                "user": self.user,
                **fields,
            }
        )

    def _handle(self) -> None:
        body = self._read_body()
        offers = self._offers()
        serve, challenges, fields = self._authenticate(offers)
        if serve:
            status = 201 if self.command == "PUT" else 200
            payload = json.dumps(
                {
                    "conn": self.conn_id,
                    "user": self.user,
                    "body_length": len(body),
                    "body_sha256": hashlib.sha256(body).hexdigest(),
                }
            ).encode()
        else:
            status = 401
            payload = b"authentication required\n"
        self._record(status, body, fields)
        self.send_response(status)
        if self.pending is not None and self.path.startswith("/ntlmclose/"):
            # a server that hangs up in the middle of a handshake (the client must not send
            # the next leg on another connection)
            self.send_header("Connection", "close")
            self.close_connection = True
        for value in challenges:
            self.send_header("WWW-Authenticate", value)
        self.send_header("X-Connection-Id", str(self.conn_id))
        self.send_header("Content-Type", "application/json" if serve else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def make_server(port: int, log_path: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("Handler", (NTLMHandler,), {"log": RecordLog(log_path)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True, help="JSON-lines request log")
    args = parser.parse_args(argv)
    server = make_server(args.port, args.log)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
