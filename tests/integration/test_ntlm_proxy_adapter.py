"""NTLM toward proxies through ``AuthAdapter``, against a real acceptor acting as the proxy.

The server (``tests/servers/ntlm_server.py``) authenticates proxy *connections* with NTLM,
for ``CONNECT`` (then tunnels to its own TLS listener, whose shares want their own NTLM
handshake inside the tunnel) and for absolute-form requests to ``http://`` targets (which it
forwards). Its records (connection ids, legs, proxy flags) prove

* a 407 on ``CONNECT`` is answered with the whole NTLM handshake on the socket that becomes
  the tunnel, and an origin's NTLM handshake then stays on that one tunnel; the
  authenticated tunnel serves the next request with no ``CONNECT`` and no challenge;
* a forward proxy demanding NTLM gets every leg on one connection, which then carries later
  requests (to any origin) without ``Proxy-Authorization``; the origin behind it may ask for
  Basic in the same flow; other proxy credentials never ride that connection;
* NTLM's type 1 goes with an empty body (it can only draw the type 2), the body is whole
  on the other legs;
* a proxy that hangs up between two legs gets the handshake started again once, on a new
  connection, and then the caller gets the 407 (an error for ``CONNECT``);
* forgetting the proxy credentials closes the connections they authenticated.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import requests
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD
from servers.ntlm_fixture import (  # noqa: F401
    DOMAIN,
    NTLMRecord,
    NTLMServer,
    ntlm_closing_proxy_fixture,
    ntlm_server_fixture,
    split_handshakes,
)
from servers.wsgidav_server import WsgiDAVServer

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.schemes import BasicScheme, DigestScheme, SchemeRegistry
from requests_dav.auth.schemes.spnego import NegotiateScheme, NTLMScheme
from requests_dav.exceptions import ProxyTunnelAuthenticationError
from requests_dav.transport.adapter import AuthAdapter, auth_result


def session_for(store: Credentials, proxy: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(
        store, registry=SchemeRegistry([BasicScheme, DigestScheme, NTLMScheme, NegotiateScheme])
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.proxies = {"http": proxy, "https": proxy}
    return session


def proxy_store(
    server: NTLMServer, user: str = ALICE, password: str = ALICE_PASSWORD
) -> Credentials:
    store = Credentials()
    store.add_proxy(server.proxy_url, f"{DOMAIN}\\{user}", password)
    return store


def by_connection(records: List[NTLMRecord]) -> Dict[int, List[Tuple[int, Optional[int]]]]:
    """(status, leg) of each record, grouped by connection id, in order."""
    grouped: Dict[int, List[Tuple[int, Optional[int]]]] = defaultdict(list)
    for record in records:
        grouped[record.conn].append((record.status, record.leg))
    return dict(grouped)


def chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


# -- CONNECT ------------------------------------------------------------------------------------


def test_ntlm_on_connect_then_ntlm_origin_inside_one_tunnel(ntlm_server: NTLMServer) -> None:
    store = proxy_store(ntlm_server)
    store.add(ntlm_server.https_base_url + "/", BOB, BOB_PASSWORD)
    data = b"through an NTLM tunnel\n" * 3000
    with session_for(store, ntlm_server.proxy_url) as session:
        mark = ntlm_server.mark()
        response = session.put(
            ntlm_server.https_url("ntlm", "tunnel.txt"),
            data=chunks(data),
            verify=ntlm_server.ca_cert,
        )
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["user"] == BOB and stored["body_length"] == len(data)
        assert stored["body_sha256"] == hashlib.sha256(data).hexdigest()
        result = auth_result(response)
        assert result is not None and result.outcome == "ok" and result.scheme == "ntlm"
        records = ntlm_server.records_since(mark, at_least=9)
        connects = [r for r in records if r.method == "CONNECT"]
        origin = [r for r in records if r.method == "PUT"]
        # every tunnel: the proxy's whole NTLM handshake on the socket that becomes the tunnel
        assert connects and all(r.proxy for r in connects)
        for legs in by_connection(connects).values():
            assert legs == [(407, None), (407, 1), (200, 3)]
        assert {r.proxy_user for r in connects if r.status == 200} == {f"{DOMAIN}\\{ALICE}"}
        # the origin's handshake, inside one tunnel, from type 1 on; the body whole on each leg
        assert all(r.tls and not r.proxy for r in origin)
        assert [(r.status, r.leg) for r in origin] == [(401, None), (401, 1), (201, 3)]
        assert origin[1].conn == origin[2].conn
        # the Expect head drew the 401 before the body went; type 1 goes without it
        assert [r.body_length for r in origin] == [0, 0, len(data)]

        mark = ntlm_server.mark()
        again = session.get(ntlm_server.https_url("ntlm", "tunnel.txt"), verify=ntlm_server.ca_cert)
        assert again.status_code == 200 and again.json()["user"] == BOB
        assert again.history == []
        later = ntlm_server.records_since(mark, at_least=1)
        assert [(r.method, r.status, r.auth_scheme) for r in later] == [("GET", 200, None)]
        assert later[0].conn == origin[2].conn  # the authenticated tunnel, no new CONNECT


def test_ntlm_on_connect_with_an_open_origin_reuses_the_tunnel(ntlm_server: NTLMServer) -> None:
    with session_for(proxy_store(ntlm_server), ntlm_server.proxy_url) as session:
        mark = ntlm_server.mark()
        for name in ("a", "b", "c"):
            response = session.get(ntlm_server.https_url("open", name), verify=ntlm_server.ca_cert)
            assert response.status_code == 200
        records = ntlm_server.records_since(mark, at_least=6)
    connects = [r for r in records if r.method == "CONNECT"]
    assert [(r.status, r.leg) for r in connects] == [(407, None), (407, 1), (200, 3)]
    assert len({r.conn for r in connects}) == 1
    assert [r.status for r in records if r.method == "GET"] == [200, 200, 200]


def test_wrong_proxy_password_on_connect_is_an_error_naming_ntlm(ntlm_server: NTLMServer) -> None:
    store = proxy_store(ntlm_server, password="not-the-password")
    with (
        session_for(store, ntlm_server.proxy_url) as session,
        pytest.raises(ProxyTunnelAuthenticationError) as caught,
    ):
        session.get(ntlm_server.https_url("open", "x"), verify=ntlm_server.ca_cert)
    error = caught.value
    assert error.status == 407 and error.scheme == "ntlm" and error.outcome == "refused"
    assert "not-the-password" not in str(error)


def test_connect_handshake_cut_by_the_proxy_starts_over_once_then_fails(
    ntlm_server: NTLMServer, ntlm_closing_proxy: NTLMServer
) -> None:
    """P2 on CONNECT: the type 3 never goes on a new socket; the handshake starts over once."""
    store = proxy_store(ntlm_closing_proxy)
    with session_for(store, ntlm_closing_proxy.proxy_url) as session:
        mark = ntlm_closing_proxy.mark()
        with pytest.raises(ProxyTunnelAuthenticationError) as caught:
            session.get(ntlm_server.https_url("open", "x"), verify=ntlm_server.ca_cert)
        records = ntlm_closing_proxy.records_since(mark, at_least=4)
    assert caught.value.outcome == "connection-lost"
    assert "cut short" in str(caught.value)
    grouped = by_connection(records)
    assert list(grouped.values()) == [[(407, None), (407, 1)], [(407, None), (407, 1)]]


# -- forward proxy (http:// targets) ------------------------------------------------------------


def test_forward_proxy_ntlm_keeps_one_connection_for_later_requests(
    ntlm_server: NTLMServer,
) -> None:
    data = b"to the proxy, then on\n" * 2000
    with session_for(proxy_store(ntlm_server), ntlm_server.proxy_url) as session:
        mark = ntlm_server.mark()
        response = session.put(ntlm_server.url("open", "fwd.txt"), data=chunks(data))
        assert response.status_code == 201
        assert response.json()["body_sha256"] == hashlib.sha256(data).hexdigest()
        result = auth_result(response)
        assert result is not None and result.outcome == "ok"
        assert result.bound_side == "proxy" and result.scheme == "ntlm"
        proxied = [r for r in ntlm_server.records_since(mark, at_least=4) if r.proxy]
        assert [(r.status, r.proxy_leg) for r in proxied] == [(407, None), (407, 1), (201, 3)]
        assert proxied[1].conn == proxied[2].conn
        # the proxy sent 100 Continue to the bare request; type 1 goes without the body
        assert [r.body_length for r in proxied] == [len(data), 0, len(data)]
        assert int(response.headers["X-Proxy-Connection-Id"]) == proxied[2].conn

        mark = ntlm_server.mark()
        for name in ("b", "c"):
            later = session.get(ntlm_server.url("open", name))
            assert later.status_code == 200 and later.history == []
            assert int(later.headers["X-Proxy-Connection-Id"]) == proxied[2].conn
        again = [r for r in ntlm_server.records_since(mark, at_least=4) if r.proxy]
        assert [(r.status, r.auth_scheme) for r in again] == [(200, None), (200, None)]


def test_forward_proxy_ntlm_and_origin_basic_in_one_flow(
    ntlm_server: NTLMServer, wsgidav_server: WsgiDAVServer
) -> None:
    """The accepted NTLM side is not authorized again when the origin answers 401 Basic."""
    store = proxy_store(ntlm_server)
    store.add(wsgidav_server.url("basic"), ALICE, ALICE_PASSWORD)
    with session_for(store, ntlm_server.proxy_url) as session:
        mark = ntlm_server.mark()
        response = session.put(wsgidav_server.url("basic", "via-ntlm-proxy.txt"), data=b"hello")
        assert response.status_code in (201, 204), response.text
        assert [r.status_code for r in response.history] == [407, 407, 401]
        result = auth_result(response)
        assert result is not None and result.scheme == "basic" and result.bound_side == "proxy"
        proxied = [r for r in ntlm_server.records_since(mark, at_least=4) if r.proxy]
    assert [r.proxy_leg for r in proxied] == [None, 1, 3, None]
    assert len({r.conn for r in proxied[1:]}) == 1
    assert (wsgidav_server.root("basic") / "via-ntlm-proxy.txt").read_bytes() == b"hello"


def test_ntlm_origin_behind_a_forward_proxy_is_not_attempted(ntlm_server: NTLMServer) -> None:
    """A forward proxy may spread an origin's legs over its own connections: no pinning there."""
    store = proxy_store(ntlm_server)
    store.add(ntlm_server.base_url + "/", BOB, BOB_PASSWORD)
    with session_for(store, ntlm_server.proxy_url) as session:
        response = session.get(ntlm_server.url("ntlm", "x"))
    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "unsupported"
    assert "connection-bound" in result.detail


def test_other_proxy_credentials_never_ride_the_authenticated_connection(
    ntlm_server: NTLMServer,
) -> None:
    store = proxy_store(ntlm_server)
    with session_for(store, ntlm_server.proxy_url) as session:
        first = session.get(ntlm_server.url("open", "a"))
        assert first.status_code == 200
        alice_conn = int(first.headers["X-Proxy-Connection-Id"])
        store.add_proxy(ntlm_server.proxy_url, f"{DOMAIN}\\{BOB}", BOB_PASSWORD)
        mark = ntlm_server.mark()
        second = session.get(ntlm_server.url("open", "b"))
        assert second.status_code == 200 and len(second.history) == 2
        proxied = [r for r in ntlm_server.records_since(mark, at_least=4) if r.proxy]
    assert proxied[-1].proxy_user == f"{DOMAIN}\\{BOB}"
    assert alice_conn not in {r.conn for r in proxied[1:]}


def test_forward_proxy_handshake_cut_starts_over_once_then_returns_the_407(
    ntlm_server: NTLMServer, ntlm_closing_proxy: NTLMServer
) -> None:
    store = proxy_store(ntlm_closing_proxy)
    with session_for(store, ntlm_closing_proxy.proxy_url) as session:
        mark = ntlm_closing_proxy.mark()
        response = session.post(ntlm_server.url("open", "x"), data=iter([b"ab", b"cd"]))
        records = ntlm_closing_proxy.records_since(mark, at_least=4)
    assert response.status_code == 407 and len(response.history) == 3
    result = auth_result(response)
    assert result is not None and result.outcome == "connection-lost"
    assert [(r.status, r.proxy_leg) for r in records] == [(407, None), (407, 1)] * 2
    assert records[1].conn != records[3].conn  # the second handshake on a new connection
    assert [r.body_length for r in records] == [4, 0, 4, 0]  # type 1 without the body


def test_forgetting_proxy_credentials_closes_what_they_authenticated(
    ntlm_server: NTLMServer,
) -> None:
    """P5: the same credentials added back must authenticate a new connection."""
    store = proxy_store(ntlm_server)
    with session_for(store, ntlm_server.proxy_url) as session:
        forward = session.get(ntlm_server.url("open", "a"))
        tunnel = session.get(ntlm_server.https_url("open", "a"), verify=ntlm_server.ca_cert)
        assert forward.status_code == tunnel.status_code == 200
        store.forget(ntlm_server.proxy_url, proxy=True)
        store.add_proxy(ntlm_server.proxy_url, f"{DOMAIN}\\{ALICE}", ALICE_PASSWORD)
        mark = ntlm_server.mark()
        forward_again = session.get(ntlm_server.url("open", "b"))
        tunnel_again = session.get(ntlm_server.https_url("open", "b"), verify=ntlm_server.ca_cert)
        assert forward_again.status_code == tunnel_again.status_code == 200
        assert len(forward_again.history) == 2
        assert int(forward_again.headers["X-Proxy-Connection-Id"]) != int(
            forward.headers["X-Proxy-Connection-Id"]
        )
        connects = [r for r in ntlm_server.records_since(mark, at_least=7) if r.method == "CONNECT"]
    assert [(r.status, r.leg) for r in connects] == [(407, None), (407, 1), (200, 3)]


def test_new_proxy_credentials_get_a_new_tunnel(ntlm_server: NTLMServer) -> None:
    """A tunnel authenticated to the proxy as alice is not used once the store says bob."""
    store = proxy_store(ntlm_server)
    with session_for(store, ntlm_server.proxy_url) as session:
        first = session.get(ntlm_server.https_url("open", "a"), verify=ntlm_server.ca_cert)
        assert first.status_code == 200
        store.add_proxy(ntlm_server.proxy_url, f"{DOMAIN}\\{BOB}", BOB_PASSWORD)
        mark = ntlm_server.mark()
        second = session.get(ntlm_server.https_url("open", "b"), verify=ntlm_server.ca_cert)
        assert second.status_code == 200
        connects = [r for r in ntlm_server.records_since(mark, at_least=4) if r.method == "CONNECT"]
    assert [(r.status, r.leg) for r in connects] == [(407, None), (407, 1), (200, 3)]
    assert connects[-1].proxy_user == f"{DOMAIN}\\{BOB}"


def test_eight_threads_through_ntlm_proxies_never_split_a_handshake(
    ntlm_server: NTLMServer,
) -> None:
    """Forward-proxied and tunnelled requests from 8 threads, one adapter: every type 1 is
    followed on its connection by its type 3, and no type 3 is refused."""
    errors: List[BaseException] = []
    statuses: List[int] = []
    with session_for(proxy_store(ntlm_server), ntlm_server.proxy_url) as session:
        mark = ntlm_server.mark()

        def work(n: int) -> None:
            try:
                for i in range(3):
                    body = os.urandom(3000)
                    url = (ntlm_server.url if i != 1 else ntlm_server.https_url)("open", f"{n}-{i}")
                    response = session.put(url, data=body, verify=ntlm_server.ca_cert)
                    statuses.append(response.status_code)
                    assert response.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        records = [r for r in ntlm_server.records_since(mark, at_least=24) if r.proxy]
    assert not errors, errors
    assert statuses == [201] * 24
    assert split_handshakes(records, proxy=True) == []
    assert [r for r in records if r.proxy_leg == 1]  # there were handshakes to split
