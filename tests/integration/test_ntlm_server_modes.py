"""The NTLM test server's proxy and TLS modes, driven by hand over http.client / ssl.

These pin down what the adapter's NTLM-towards-proxies tests rely on
(``tests/servers/ntlm_server.py``): the server as a forward proxy for absolute-form
requests, demanding NTLM per connection with a proxy handshake kept apart from the origin's;
its TLS listener, reached directly or through a CONNECT tunnel; and the variant whose
proxy hangs up after sending its type 2 token. The NTLM client is pyspnego's, stepped by
hand, so nothing of requests-dav is involved.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple

import pytest
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, HOST
from servers.ntlm_fixture import (  # noqa: F401
    NTLMRecord,
    NTLMServer,
    ntlm_closing_proxy_fixture,
    ntlm_server_fixture,
)

spnego = pytest.importorskip("spnego", reason="pyspnego is not installed (requests-dav[spnego])")

Answer = Tuple[http.client.HTTPResponse, bytes]


def ntlm_client(user: str = ALICE, password: str = ALICE_PASSWORD) -> spnego.ContextProxy:
    """A fresh pyspnego NTLM initiator."""
    return spnego.client(user, password, protocol="ntlm")


def credentials(token: bytes) -> str:
    """The value of an (Proxy-)Authorization header carrying ``token``."""
    return "NTLM " + base64.b64encode(token).decode("ascii")


def challenge_token(response: http.client.HTTPResponse, header: str) -> bytes:
    """The token of the single ``NTLM <token>`` challenge in ``header``."""
    (value,) = response.headers.get_all(header) or []
    scheme, _, token = value.partition(" ")
    assert scheme == "NTLM" and token, value
    return base64.b64decode(token)


def send(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: Optional[Dict[str, str]] = None,
    body: Optional[bytes] = None,
) -> Answer:
    """One request on ``connection``, its answer read in full."""
    connection.request(method, target, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def proxy_handshake(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
) -> List[Answer]:
    """The three proxy legs of ``method target`` (bare, type 1, type 3) on one connection."""
    client = ntlm_client()
    answers = [send(connection, method, target, headers, body)]
    legs = {"Proxy-Authorization": credentials(client.step())}
    answers.append(send(connection, method, target, {**(headers or {}), **legs}, body))
    type3 = client.step(challenge_token(answers[-1][0], "Proxy-Authenticate"))
    legs = {"Proxy-Authorization": credentials(type3)}
    answers.append(send(connection, method, target, {**(headers or {}), **legs}, body))
    return answers


def origin_handshake(
    connection: http.client.HTTPConnection, target: str, user: str, password: str
) -> List[Answer]:
    """The three origin legs of ``GET target`` (bare, type 1, type 3) on one connection."""
    client = ntlm_client(user, password)
    answers = [send(connection, "GET", target)]
    answers.append(send(connection, "GET", target, {"Authorization": credentials(client.step())}))
    type3 = client.step(challenge_token(answers[-1][0], "WWW-Authenticate"))
    answers.append(send(connection, "GET", target, {"Authorization": credentials(type3)}))
    return answers


def connect(server: NTLMServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=10)


def tls_context(server: NTLMServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.ca_cert)


def proxy_side(records: List[NTLMRecord]) -> List[Tuple[int, Optional[int], Optional[str]]]:
    return [(r.status, r.proxy_leg, r.proxy_user) for r in records if r.proxy]


@pytest.fixture(name="proxy")
def proxy_fixture(ntlm_server: NTLMServer) -> Iterator[http.client.HTTPConnection]:
    """A client connection to the server as a proxy, closed after the test."""
    connection = connect(ntlm_server)
    yield connection
    connection.close()


def test_forward_proxy_three_legs_then_the_origin_handshake_through_it(
    ntlm_server: NTLMServer, proxy: http.client.HTTPConnection
) -> None:
    url = ntlm_server.url("ntlm", "forward.txt")
    mark = ntlm_server.mark()
    (bare, _), (second, _), (third, _) = proxy_handshake(proxy, "GET", url)
    assert bare.status == 407 and bare.headers.get_all("Proxy-Authenticate") == ["NTLM"]
    assert second.status == 407
    assert challenge_token(second, "Proxy-Authenticate")[8:12] == b"\x02\x00\x00\x00"
    # The proxy handshake is done; the origin's own NTLM answers through it.
    assert third.status == 401 and third.headers.get_all("WWW-Authenticate") == ["NTLM"]
    assert "Proxy-Authenticate" not in third.headers and "Via" in third.headers
    proxy_conn = int(bare.headers["X-Proxy-Connection-Id"])
    origin_conn = int(third.headers["X-Connection-Id"])
    assert proxy_conn != origin_conn
    records = ntlm_server.records_since(mark, at_least=4)
    assert [(r.method, r.path, r.conn, r.status, r.proxy, r.leg) for r in records] == [
        ("GET", url, proxy_conn, 407, True, None),
        ("GET", url, proxy_conn, 407, True, 1),
        ("GET", "/ntlm/forward.txt", origin_conn, 401, False, None),  # the upstream's record
        ("GET", url, proxy_conn, 401, True, 3),
    ]
    assert proxy_side(records) == [(407, None, None), (407, 1, None), (401, 3, ALICE)]
    assert records[-1].user == ALICE and records[-1].auth_scheme == "NTLM"
    assert records[2].proxy_user is None and records[2].user is None

    # The origin handshake as bob, through the proxy-authenticated connection (alice).
    mark = ntlm_server.mark()
    answers = origin_handshake(proxy, url, BOB, BOB_PASSWORD)
    assert [response.status for response, _ in answers] == [401, 401, 200]
    assert json.loads(answers[-1][1])["user"] == BOB
    records = ntlm_server.records_since(mark, at_least=6)
    upstream = [r for r in records if not r.proxy]
    assert [(r.status, r.auth_scheme, r.leg, r.user) for r in upstream] == [
        (401, None, None, None),
        (401, "NTLM", 1, None),
        (200, "NTLM", 3, BOB),
    ]
    # one upstream connection per client connection, so the origin handshake can complete
    assert {r.conn for r in upstream} == {origin_conn}
    assert proxy_side(records) == [(401, None, ALICE), (401, None, ALICE), (200, None, ALICE)]
    assert all(r.auth_scheme is None for r in records if r.proxy)


def test_proxied_body_is_relayed_intact_and_the_connection_stays_authenticated(
    ntlm_server: NTLMServer, proxy: http.client.HTTPConnection
) -> None:
    data = os.urandom(100_000)
    digest = hashlib.sha256(data).hexdigest()
    url = ntlm_server.url("open", "upload.bin")
    mark = ntlm_server.mark()
    answers = proxy_handshake(proxy, "PUT", url, body=data)
    assert [response.status for response, _ in answers] == [407, 407, 201]
    stored = json.loads(answers[-1][1])
    assert stored["body_length"] == len(data) and stored["body_sha256"] == digest
    # The next request on the connection needs no Proxy-Authorization.
    chunks = iter([data[:30_000], data[30_000:]])  # chunked to the proxy, sized upstream
    proxy.request("PUT", url, body=chunks)
    again = proxy.getresponse()
    assert again.status == 201 and json.loads(again.read())["body_sha256"] == digest
    records = ntlm_server.records_since(mark, at_least=6)
    assert all(r.body_sha256 == digest for r in records), records  # 407s read the body too
    assert [(r.proxy, r.status) for r in records] == [
        (True, 407),
        (True, 407),
        (False, 201),
        (True, 201),
        (False, 201),
        (True, 201),
    ]
    assert records[-1].proxy_leg is None and records[-1].proxy_user == ALICE

    # A new connection is challenged again.
    other = connect(ntlm_server)
    response, _ = send(other, "GET", url)
    other.close()
    assert response.status == 407
    assert response.headers["X-Proxy-Connection-Id"] != again.headers["X-Proxy-Connection-Id"]


def test_only_loopback_http_upstreams_are_forwarded(
    ntlm_server: NTLMServer, proxy: http.client.HTTPConnection
) -> None:
    answers = proxy_handshake(proxy, "GET", ntlm_server.url("open", "x"))
    assert answers[-1][0].status == 200
    for target in [
        "http://192.0.2.1/open/x",
        f"https://{HOST}:{ntlm_server.port}/open/x",
        f"http://{HOST}:{ntlm_server.port}:bad/open/x",
    ]:
        response, _ = send(proxy, "GET", target)
        assert response.status == 502, target
    response, _ = send(proxy, "GET", ntlm_server.url("open", "y"))
    assert response.status == 200  # the connection is still usable and authenticated


class Raw:
    """A client connection on a bare socket, read unbuffered.

    After a 200 to CONNECT the socket is the tunnel. (http.client would drop it: it closes a
    connection whose answer has no Content-Length, which RFC 9110 section 9.3.6 forbids in
    a 2xx to CONNECT.)
    """

    def __init__(self, server: NTLMServer) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=5)
        self.reader: BinaryIO = self.sock.makefile("rb", buffering=0)

    def send(
        self, method: str, target: str, headers: Optional[Dict[str, str]] = None
    ) -> Tuple[int, Dict[str, str], bytes]:
        """One request without a body; status, (lower-cased) header fields and body."""
        lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status = self.reader.readline().decode("latin-1").split(" ", 2)
        fields: Dict[str, str] = {}
        for line in iter(self.reader.readline, b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        body = self.reader.read(int(fields.get("content-length", "0")))
        return int(status[1]), fields, body

    def closed_by_peer(self) -> bool:
        """Whether the server hung up (waits up to the socket timeout)."""
        return self.reader.read(1) == b""

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def token_in(fields: Dict[str, str], name: str) -> bytes:
    scheme, _, token = fields[name].partition(" ")
    assert scheme == "NTLM" and token, fields
    return base64.b64decode(token)


def test_absolute_form_and_connect_share_the_proxy_handshake(ntlm_server: NTLMServer) -> None:
    mark = ntlm_server.mark()
    authority = f"{HOST}:{ntlm_server.port}"
    client = ntlm_client()
    proxy = Raw(ntlm_server)
    # started by a CONNECT, completed by an absolute-form request
    type1 = {"Proxy-Authorization": credentials(client.step())}
    status, fields, _ = proxy.send("CONNECT", authority, type1)
    assert status == 407
    type3 = client.step(token_in(fields, "proxy-authenticate"))
    url = ntlm_server.url("open", "z")
    status, _, _ = proxy.send("GET", url, {"Proxy-Authorization": credentials(type3)})
    assert status == 200
    # and the CONNECT then needs no new handshake
    status, fields, _ = proxy.send("CONNECT", authority)
    assert status == 200 and "content-length" not in fields
    tunnel = http.client.HTTPConnection(HOST, ntlm_server.port, timeout=10)
    tunnel.sock = proxy.sock
    response, payload = send(tunnel, "GET", "/open/inside")
    proxy.close()
    assert response.status == 200
    records = ntlm_server.records_since(mark, at_least=5)
    assert [(r.method, r.status, r.proxy, r.proxy_leg, r.proxy_user) for r in records] == [
        ("CONNECT", 407, True, 1, None),
        ("GET", 200, False, None, None),
        ("GET", 200, True, 3, ALICE),
        ("CONNECT", 200, True, None, ALICE),
        ("GET", 200, False, None, None),
    ]
    assert records[-1].conn == json.loads(payload)["conn"] != records[0].conn
    assert records[-1].path == "/open/inside"


def test_tls_listener_serves_the_ntlm_handshake(ntlm_server: NTLMServer) -> None:
    url = ntlm_server.https_url("ntlm", "secure.txt")
    assert url == f"https://{HOST}:{ntlm_server.https_port}/ntlm/secure.txt"
    connection = http.client.HTTPSConnection(
        HOST, ntlm_server.https_port, timeout=10, context=tls_context(ntlm_server)
    )
    mark = ntlm_server.mark()
    answers = origin_handshake(connection, "/ntlm/secure.txt", ALICE, ALICE_PASSWORD)
    connection.close()
    assert [response.status for response, _ in answers] == [401, 401, 200]
    records = ntlm_server.records_since(mark, at_least=3)
    assert [(r.status, r.leg, r.tls, r.port) for r in records] == [
        (401, None, True, ntlm_server.https_port),
        (401, 1, True, ntlm_server.https_port),
        (200, 3, True, ntlm_server.https_port),
    ]
    assert len({r.conn for r in records}) == 1 and records[-1].user == ALICE


def test_connect_to_the_tls_listener_then_ntlm_inside_the_tunnel(
    ntlm_server: NTLMServer,
) -> None:
    authority = f"{HOST}:{ntlm_server.https_port}"
    mark = ntlm_server.mark()
    client = ntlm_client()
    proxy = Raw(ntlm_server)
    bare, _, _ = proxy.send("CONNECT", authority)
    second, fields, _ = proxy.send(
        "CONNECT", authority, {"Proxy-Authorization": credentials(client.step())}
    )
    type3 = client.step(token_in(fields, "proxy-authenticate"))
    third, _, _ = proxy.send("CONNECT", authority, {"Proxy-Authorization": credentials(type3)})
    assert (bare, second, third) == (407, 407, 200)
    origin = http.client.HTTPConnection(HOST, ntlm_server.https_port, timeout=10)
    origin.sock = tls_context(ntlm_server).wrap_socket(proxy.sock, server_hostname=HOST)
    answers = origin_handshake(origin, "/ntlm/tunnelled.txt", BOB, BOB_PASSWORD)
    origin.close()
    proxy.close()
    assert [response.status for response, _ in answers] == [401, 401, 200]
    assert json.loads(answers[-1][1])["user"] == BOB
    records = ntlm_server.records_since(mark, at_least=6)
    assert [(r.method, r.status, r.proxy, r.tls, r.leg, r.user) for r in records] == [
        ("CONNECT", 407, True, False, None, None),
        ("CONNECT", 407, True, False, 1, None),
        ("CONNECT", 200, True, False, 3, ALICE),
        ("GET", 401, False, True, None, None),
        ("GET", 401, False, True, 1, None),
        ("GET", 200, False, True, 3, BOB),
    ]
    assert records[0].path == authority and records[3].port == ntlm_server.https_port
    assert len({r.conn for r in records[:3]}) == 1 and len({r.conn for r in records[3:]}) == 1


@pytest.mark.parametrize("absolute_form", [False, True], ids=["connect", "absolute-form"])
def test_closing_proxy_hangs_up_after_its_type_2(
    ntlm_closing_proxy: NTLMServer, absolute_form: bool
) -> None:
    server = ntlm_closing_proxy
    method, target = "CONNECT", f"{HOST}:{server.port}"
    if absolute_form:
        method, target = "GET", server.url("open", "x")
    mark = server.mark()
    proxy = Raw(server)
    status, fields, _ = proxy.send(method, target)
    # a bare 407 keeps the connection: the type 1 goes on the same one
    assert status == 407 and "connection" not in fields
    type1 = {"Proxy-Authorization": credentials(ntlm_client().step())}
    status, fields, _ = proxy.send(method, target, type1)
    assert status == 407 and fields["connection"] == "close"
    assert token_in(fields, "proxy-authenticate")[8:12] == b"\x02\x00\x00\x00"
    assert proxy.closed_by_peer()  # a timeout here would raise
    proxy.close()
    records = server.records_since(mark, at_least=2)
    assert [(r.method, r.status, r.proxy_leg) for r in records] == [
        (method, 407, None),
        (method, 407, 1),
    ]
    assert records[0].conn == records[1].conn
