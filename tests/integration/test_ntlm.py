"""NTLM and Negotiate against a real acceptor, the flow driven over ONE persistent connection.

The server (``tests/servers/ntlm_server.py``) is pyspnego's NTLM acceptor behind an HTTP/1.1
keep-alive server that authenticates *connections*, as IIS does. The client side here is
the sans-I/O :class:`~requests_dav.auth.flow.Negotiator` driven by hand over one
:class:`http.client.HTTPConnection`: what the adapter must do once it pins connections.
The server's per-request records (connection id, status, body length and hash) prove

* the three legs (401 bare, 401 type 2, 2xx) stay on one connection, and the body of a
  PUT whose body is a generator arrives byte-identical on each of the three legs;
* the authenticated connection then serves further requests without credentials, while a
  new connection is challenged again;
* the same handshake split over several connections is refused by the server: that is
  why the adapter must pin the connection for the whole handshake.

NTLM on ``CONNECT`` and inside the tunnel, driven by the adapter, is in
``test_ntlm_proxy_adapter.py``; by hand on a bare socket in ``test_ntlm_server_modes.py``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD
from servers.ntlm_fixture import DOMAIN, NTLMServer, ntlm_server_fixture  # noqa: F401

from requests_dav.auth.body import ReplayableBody
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import FlowResult, Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes import BasicScheme, DigestScheme, SchemeRegistry
from requests_dav.auth.schemes.spnego import NegotiateScheme, NTLMScheme

pytest.importorskip("spnego", reason="pyspnego is not installed (requests-dav[spnego])")

Connect = Callable[[], http.client.HTTPConnection]


def registry() -> SchemeRegistry:
    return SchemeRegistry([BasicScheme, DigestScheme, NTLMScheme, NegotiateScheme])


def negotiator(server: NTLMServer, user: str = ALICE, password: str = ALICE_PASSWORD) -> Negotiator:
    store = Credentials()
    store.add(server.base_url + "/", user, password)
    return Negotiator(store, registry=registry())


def send(
    connection: http.client.HTTPConnection, request: AuthRequest
) -> Tuple[AuthResponse, bytes]:
    """Send ``request`` on ``connection`` (a generator body goes chunked), read it all."""
    body: Optional[Iterator[bytes]] = iter(request.body) if request.body is not None else None
    connection.request(request.method, request.target, body=body, headers=dict(request.headers))
    response = connection.getresponse()
    payload = response.read()
    return AuthResponse(response.status, response.getheaders()), payload


def drive(
    nego: Negotiator, request: AuthRequest, connect: Connect
) -> Tuple[FlowResult, AuthResponse, bytes]:
    """Run one flow; ``connect()`` gives the connection for each leg."""
    flow = nego.auth_flow(request)
    outgoing = next(flow)
    while True:
        response, payload = send(connect(), outgoing)
        try:
            outgoing = flow.send(response)
        except StopIteration as stop:
            return stop.value, response, payload


def pinned(server: NTLMServer) -> Tuple[http.client.HTTPConnection, Connect]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    return connection, lambda: connection


def fresh_each_time(server: NTLMServer) -> Connect:
    opened: List[http.client.HTTPConnection] = []

    def connect() -> http.client.HTTPConnection:
        if opened:
            opened[-1].close()
        opened.append(http.client.HTTPConnection(server.host, server.port, timeout=10))
        return opened[-1]

    return connect


def get(url: str, **kwargs: Any) -> AuthRequest:
    return AuthRequest(method="GET", url=url, headers={}, **kwargs)


def test_ntlm_handshake_stays_on_one_connection(ntlm_server: NTLMServer) -> None:
    connection, connect = pinned(ntlm_server)
    mark = ntlm_server.mark()
    result, response, payload = drive(
        negotiator(ntlm_server), get(ntlm_server.url("ntlm", "a.txt")), connect
    )
    connection.close()
    assert result.outcome == "ok" and result.scheme == "ntlm" and result.rounds == 3
    assert response.status == 200 and json.loads(payload)["user"] == ALICE
    records = ntlm_server.records_since(mark, at_least=3)
    assert [(r.status, r.auth_scheme, r.leg) for r in records] == [
        (401, None, None),
        (401, "NTLM", 1),
        (200, "NTLM", 3),
    ]
    assert len({r.conn for r in records}) == 1


def test_generator_put_is_replayed_byte_identical_across_the_three_legs(
    ntlm_server: NTLMServer,
) -> None:
    data = os.urandom(200_000)
    chunks = (data[i : i + 8192] for i in range(0, len(data), 8192))
    body = ReplayableBody.wrap(chunks)
    assert body is not None and body.kind == "stream"
    request = AuthRequest(
        method="PUT", url=ntlm_server.url("ntlm", "upload.bin"), headers={}, body=body
    )
    connection, connect = pinned(ntlm_server)
    mark = ntlm_server.mark()
    result, response, payload = drive(negotiator(ntlm_server), request, connect)
    connection.close()
    assert result.outcome == "ok" and response.status == 201
    digest = hashlib.sha256(data).hexdigest()
    assert json.loads(payload)["body_sha256"] == digest
    records = ntlm_server.records_since(mark, at_least=3)
    assert [r.status for r in records] == [401, 401, 201]
    assert len({r.conn for r in records}) == 1
    assert all(r.body_length == len(data) and r.body_sha256 == digest for r in records)


def test_authenticated_connection_serves_more_requests_new_connection_is_challenged(
    ntlm_server: NTLMServer,
) -> None:
    nego = negotiator(ntlm_server)
    url = ntlm_server.url("ntlm", "b.txt")
    connection, connect = pinned(ntlm_server)
    mark = ntlm_server.mark()
    assert drive(nego, get(url), connect)[0].outcome == "ok"
    again = get(url)
    result, response, _ = drive(nego, again, connect)
    assert result.outcome == "no-challenge" and response.status == 200
    assert "Authorization" not in again.headers  # nothing preemptive: the connection carries it
    connection.close()
    other, connect_other = pinned(ntlm_server)
    result, _, _ = drive(nego, get(url), connect_other)  # a new connection: its own handshake
    other.close()
    assert result.outcome == "ok" and result.rounds == 3
    records = ntlm_server.records_since(mark, at_least=7)
    first, second = records[0].conn, records[4].conn
    assert [(r.conn, r.status) for r in records] == [
        (first, 401),
        (first, 401),
        (first, 200),
        (first, 200),
        (second, 401),
        (second, 401),
        (second, 200),
    ]
    assert first != second


def test_the_same_handshake_split_over_connections_is_refused(ntlm_server: NTLMServer) -> None:
    mark = ntlm_server.mark()
    result, response, _ = drive(
        negotiator(ntlm_server), get(ntlm_server.url("ntlm", "c.txt")), fresh_each_time(ntlm_server)
    )
    assert result.outcome == "refused" and response.status == 401
    assert response.get_all("WWW-Authenticate") == ["NTLM"]
    records = ntlm_server.records_since(mark, at_least=3)
    assert [(r.status, r.leg) for r in records] == [(401, None), (401, 1), (401, 3)]
    assert len({r.conn for r in records}) == 3  # the type 3 reached a connection with no type 2
    assert all(r.user is None for r in records)


def test_wrong_password_is_refused_on_one_connection(ntlm_server: NTLMServer) -> None:
    connection, connect = pinned(ntlm_server)
    mark = ntlm_server.mark()
    result, response, _ = drive(
        negotiator(ntlm_server, password="wrong"), get(ntlm_server.url("ntlm", "d.txt")), connect
    )
    connection.close()
    assert result.outcome == "refused" and response.status == 401
    records = ntlm_server.records_since(mark, at_least=3)
    assert [(r.status, r.leg) for r in records] == [(401, None), (401, 1), (401, 3)]
    assert len({r.conn for r in records}) == 1


@pytest.mark.parametrize("user", [BOB, f"{DOMAIN}\\{BOB}"])
def test_non_ascii_password_and_domain_user(ntlm_server: NTLMServer, user: str) -> None:
    connection, connect = pinned(ntlm_server)
    result, _, payload = drive(
        negotiator(ntlm_server, user, BOB_PASSWORD), get(ntlm_server.url("ntlm", "e")), connect
    )
    connection.close()
    assert result.outcome == "ok" and json.loads(payload)["user"].endswith(BOB)


def test_negotiate_is_preferred_and_its_final_token_is_read(ntlm_server: NTLMServer) -> None:
    made: List[NegotiateScheme] = []

    class Recording(NegotiateScheme):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    nego = negotiator(ntlm_server)
    nego.registry.register(Recording)
    connection, connect = pinned(ntlm_server)
    mark = ntlm_server.mark()
    result, response, _ = drive(nego, get(ntlm_server.url("any", "f")), connect)
    connection.close()
    assert result.outcome == "ok" and result.scheme == "negotiate"
    # The 200 carries the SPNEGO accept-completed token; on_success consumed it.
    assert response.get_all("WWW-Authenticate")[0].startswith("Negotiate ")
    (auth,) = made
    assert auth.established and auth.negotiated_protocol == "ntlm"
    records = ntlm_server.records_since(mark, at_least=3)
    assert [r.auth_scheme for r in records] == [None, "Negotiate", "Negotiate"]
    assert len({r.conn for r in records}) == 1
