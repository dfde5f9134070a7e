"""Negotiate/Kerberos toward a proxy: squid with negotiate_kerberos_auth (RFC 4559, RFC 9110 9.3.6).

squid (servers/squid_kerberos.py) demands Kerberos from its clients and authenticates the
client connection; it sends no final token on the success (which is the origin's answer),
so the proxy's proof of identity is optional by default (SchemeOptions'
negotiate_proxy_mutual_auth). Through it: plain http to WsgiDAV's open share, and an
HTTPS tunnel to Apache mod_auth_gssapi, Kerberos on both hops.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from servers.apache_gssapi import GssapiApacheServer
from servers.kdc import KerberosKDC
from servers.squid import SquidServer
from servers.wsgidav_server import WsgiDAVServer

from integration.kerberos_support import PAYLOAD, require_python_kerberos
from requests_dav import TICKET_CACHE, AuthAdapter, Credentials, SchemeOptions, auth_result
from requests_dav.exceptions import MutualAuthenticationError

pytestmark = [pytest.mark.needs_kerberos, pytest.mark.needs_squid]


@pytest.fixture(autouse=True)
def _realm(kerberos: KerberosKDC) -> KerberosKDC:
    require_python_kerberos()
    return kerberos


def proxied(
    store: Credentials, proxy: SquidServer, options: SchemeOptions | None = None
) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(store, options=options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.proxies = proxy.proxies()
    return session


def proxy_store(proxy: SquidServer) -> Credentials:
    store = Credentials()
    store.add_proxy(proxy.proxy_url, "", TICKET_CACHE)
    return store


def test_the_proxy_authenticates_the_connection_with_a_ticket(
    squid_kerberos: SquidServer, wsgidav_server: WsgiDAVServer
) -> None:
    session = proxied(proxy_store(squid_kerberos), squid_kerberos)
    names = [f"{uuid.uuid4().hex[:8]}-{n}.bin" for n in range(3)]
    mark = squid_kerberos.mark()

    results = []
    for name in names:
        response = session.put(wsgidav_server.url("open", name), data=PAYLOAD)
        assert response.status_code == 201
        results.append(auth_result(response))

    assert results[0] is not None and results[0].bound_side == "proxy"
    found = squid_kerberos.requests_since(mark, at_least=4)
    assert [(r.status, r.auth_scheme) for r in found] == [
        (407, None), (201, "Negotiate"), (201, None), (201, None),
    ]  # fmt: skip
    assert {r.user for r in found[1:]} == {"alice@REQUESTS-DAV.TEST"}
    for name in names:
        assert (wsgidav_server.root("open") / name).read_bytes() == PAYLOAD


def test_a_proxy_that_must_prove_itself_is_refused_when_it_cannot(
    squid_kerberos: SquidServer, wsgidav_server: WsgiDAVServer
) -> None:
    options = SchemeOptions(negotiate_proxy_mutual_auth="required")
    session = proxied(proxy_store(squid_kerberos), squid_kerberos, options)
    with pytest.raises(MutualAuthenticationError, match="Proxy-Authenticate"):
        session.get(wsgidav_server.url("open"))


def test_kerberos_on_both_hops_through_a_tunnel(
    squid_kerberos: SquidServer, apache_gssapi: GssapiApacheServer
) -> None:
    store = proxy_store(squid_kerberos)
    store.add(apache_gssapi.https_base_url + "/", "", TICKET_CACHE)
    session = proxied(store, squid_kerberos)
    session.verify = apache_gssapi.ca_cert
    name = f"{uuid.uuid4().hex[:8]}-tunnel.bin"
    mark = apache_gssapi.mark()
    proxy_mark = squid_kerberos.mark()

    response = session.put(apache_gssapi.https_url("krb", name), data=PAYLOAD)
    assert response.status_code == 201

    assert (apache_gssapi.root("krb") / name).read_bytes() == PAYLOAD
    origin = apache_gssapi.requests_since(mark, at_least=2)
    assert [(r.status, r.auth_scheme, r.port) for r in origin] == [
        (401, None, apache_gssapi.https_port),
        (201, "Negotiate", apache_gssapi.https_port),
    ]
    # two tunnels, each authenticated to the proxy with its own handshake (squid allows a
    # CONNECT only once authenticated): the first carried the bare request (closed after its
    # 401: it had a body), the second is the pinned one of the origin's handshake. squid logs
    # a tunnel's 200 only when Apache lets its side go (KeepAliveTimeout): not waited for.
    deadline = time.monotonic() + 5
    while True:
        logged = squid_kerberos.requests_since(proxy_mark)
        challenged = [r for r in logged if r.status == 407]
        if len(challenged) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert [(r.method, r.auth_scheme) for r in challenged] == [("CONNECT", None)] * 2
    assert all(r.auth_scheme == "Negotiate" for r in logged if r.status == 200)
