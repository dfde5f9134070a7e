"""Proxy authentication through the real squid instances of the test bed (issue 4: 5, 6, 7, 8).

squid_basic demands Basic, squid_digest accepts only Digest; both forward plain HTTP and
CONNECT to the bed's Apache and WsgiDAV ports. Counting is done in squid's access log (every
request, with its status and the Proxy-Authorization it carried) and in the origins' own
records. RFC 9110 section 9.3.6 (CONNECT), RFC 7235 sections 3.2, 4.3, 4.4.
"""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests
from servers.apache import ApacheServer
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, RequestRecord
from servers.squid import SquidServer
from servers.wsgidav_server import WsgiDAVServer

from requests_dav.auth.credentials import Credentials
from requests_dav.exceptions import ProxyTunnelAuthenticationError
from requests_dav.transport.adapter import AuthAdapter

pytestmark = [pytest.mark.needs_squid, pytest.mark.needs_apache]

SQUIDS = ["squid_basic", "squid_digest"]
SCHEME = {"basic": "Basic", "digest": "Digest"}
N = 4


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


def session_with(
    credentials: Optional[Credentials] = None,
    proxies: Optional[Dict[str, str]] = None,
    trust_env: bool = False,
) -> requests.Session:
    session = requests.Session()
    session.trust_env = trust_env
    adapter = AuthAdapter(credentials)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if proxies is not None:
        session.proxies = proxies
    return session


def store_for(squid: SquidServer, user: str = ALICE, password: str = ALICE_PASSWORD) -> Credentials:
    credentials = Credentials()
    credentials.add_proxy(squid.proxy_url, user, password)
    return credentials


def statuses(records: List[RequestRecord], method: Optional[str] = None) -> List[int]:
    return [r.status for r in records if method is None or r.method == method]


@pytest.fixture(params=SQUIDS)
def squid(request: pytest.FixtureRequest) -> SquidServer:
    server: SquidServer = request.getfixturevalue(request.param)
    return server


@pytest.fixture
def origin_headers(
    wsgidav_server: WsgiDAVServer, monkeypatch: pytest.MonkeyPatch
) -> List[Dict[str, str]]:
    """Every request header WsgiDAV receives while the test runs (CGI names, HTTP_*)."""
    seen: List[Dict[str, str]] = []
    inner = wsgidav_server.recorder.app

    def recording(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
        return inner(environ, start_response)

    monkeypatch.setattr(wsgidav_server.recorder, "app", recording)
    return seen


#: squid logs a CONNECT when the tunnel closes, and closes it only when the origin does
#: (Apache after its 5 s keep-alive timeout): the last request through a tunnel asks Apache
#: to close, so the record is there at once.
CLOSE = {"Connection": "close"}


def tunnel_records(squid: SquidServer, mark: int, expected: int) -> List[RequestRecord]:
    """CONNECT records since mark (squid logs a tunnel when it closes)."""
    records = squid.requests_since(mark, at_least=expected)
    return [r for r in records if r.method == "CONNECT"]


# -- 5: HTTPS targets through CONNECT -----------------------------------------------------


def test_https_connect_credentials_from_store(
    squid: SquidServer, apache_server: ApacheServer
) -> None:
    """N tunnels (Connection: close) cost one 407: CONNECT N+1 times, Basic or Digest."""
    url = apache_server.https_url("open")
    apache_mark, mark = apache_server.mark(), squid.mark()
    with session_with(store_for(squid), squid.proxies()) as session:
        for _ in range(N):
            response = session.get(url, verify=apache_server.ca_cert, headers=CLOSE, timeout=20)
            assert response.status_code == 200
    records = tunnel_records(squid, mark, N + 1)
    assert statuses(records) == [407] + [200] * N
    assert all(r.path == f"127.0.0.1:{apache_server.https_port}" for r in records)
    assert records[0].authorization is None
    for record in records[1:]:
        assert (record.auth_scheme, record.user) == (SCHEME[squid.auth_scheme], ALICE)
    origin = apache_server.requests_since(apache_mark, at_least=N)
    assert [(r.status, r.authorization) for r in origin] == [(200, None)] * N


def test_https_connect_one_tunnel_many_requests(
    squid: SquidServer, apache_server: ApacheServer
) -> None:
    """Keep-alive: one tunnel carries every request; the 407 is answered once."""
    url = apache_server.https_url("open")
    mark = squid.mark()
    with session_with(store_for(squid), squid.proxies()) as session:
        for i in range(N):
            headers = CLOSE if i == N - 1 else {}
            response = session.get(url, verify=apache_server.ca_cert, headers=headers, timeout=20)
            assert response.status_code == 200
    assert statuses(tunnel_records(squid, mark, 2)) == [407, 200]


def test_https_connect_from_threads_costs_one_challenge(
    squid: SquidServer, apache_server: ApacheServer
) -> None:
    """8 threads, one session, a tunnel each: one 407 for the proxy space, not one per thread."""
    url = apache_server.https_url("open")
    mark = squid.mark()
    threads = 8
    with session_with(store_for(squid), squid.proxies()) as session:
        session.mount("https://", AuthAdapter(store_for(squid), pool_maxsize=threads))
        with ThreadPoolExecutor(threads) as pool:
            codes = list(
                pool.map(
                    lambda _: (
                        session.get(
                            url, verify=apache_server.ca_cert, headers=CLOSE, timeout=20
                        ).status_code
                    ),
                    range(threads),
                )
            )
    assert codes == [200] * threads
    records = tunnel_records(squid, mark, threads + 1)
    assert sorted(statuses(records)) == [200] * threads + [407]


@pytest.mark.parametrize(("user", "password"), [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)])
def test_https_connect_credentials_from_proxy_url(
    squid: SquidServer, apache_server: ApacheServer, user: str, password: str
) -> None:
    """`proxies={"https": "http://user:pass@proxy"}`: percent-encoded UTF-8 userinfo."""
    mark = squid.mark()
    with session_with(proxies={"https": squid.proxy_url_with(user, password)}) as session:
        response = session.get(
            apache_server.https_url("open"), verify=apache_server.ca_cert, headers=CLOSE
        )
        assert response.status_code == 200
    records = tunnel_records(squid, mark, 2)
    assert statuses(records) == [407, 200]
    assert records[1].user == user


def test_https_connect_credentials_from_environment(
    squid: SquidServer, apache_server: ApacheServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", squid.proxy_url_with(ALICE, ALICE_PASSWORD))
    mark = squid.mark()
    with session_with(trust_env=True) as session:
        response = session.get(
            apache_server.https_url("open"), verify=apache_server.ca_cert, headers=CLOSE
        )
        assert response.status_code == 200
    records = tunnel_records(squid, mark, 2)
    assert statuses(records) == [407, 200]
    assert records[1].user == ALICE


def test_https_connect_refused(squid: SquidServer, apache_server: ApacheServer) -> None:
    """Wrong password: one 407, one refused answer, then ProxyTunnelAuthenticationError."""
    mark = squid.mark()
    session = session_with(store_for(squid, password="not-it-42"), squid.proxies())
    with session, pytest.raises(ProxyTunnelAuthenticationError) as info:
        session.get(apache_server.https_url("open"), verify=apache_server.ca_cert)
    error = info.value
    assert isinstance(error, requests.exceptions.RequestException)
    assert (error.status, error.scheme, error.realm) == (
        407,
        SCHEME[squid.auth_scheme].lower(),
        squid.realm(),
    )
    assert "not-it-42" not in str(error) and "not-it-42" not in repr(info.value)
    assert statuses(squid.requests_since(mark, at_least=2)) == [407, 407]


# -- 5: plain-HTTP targets: the 407 comes back as a response ------------------------------


def test_http_target_proxy_auth_never_reaches_origin(
    squid: SquidServer, wsgidav_server: WsgiDAVServer, origin_headers: List[Dict[str, str]]
) -> None:
    name = unique("plain.txt")
    (wsgidav_server.root("open") / name).write_bytes(b"plain through squid")
    url = wsgidav_server.url("open", name)
    mark = squid.mark()
    with session_with(store_for(squid), squid.proxies()) as session:
        for _ in range(N):
            response = session.get(url, timeout=20)
            assert response.status_code == 200
            assert response.content == b"plain through squid"
    records = squid.requests_since(mark, at_least=N + 1)
    assert statuses(records) == [407] + [200] * N  # N requests cost N+1 on the wire
    assert {r.auth_scheme for r in records[1:]} == {SCHEME[squid.auth_scheme]}
    assert len(origin_headers) == N
    for headers in origin_headers:
        assert "HTTP_PROXY_AUTHORIZATION" not in headers
        assert "HTTP_AUTHORIZATION" not in headers


def test_http_target_credentials_from_proxy_url(
    squid: SquidServer, wsgidav_server: WsgiDAVServer, origin_headers: List[Dict[str, str]]
) -> None:
    proxies = squid.proxies(BOB, BOB_PASSWORD)
    mark = squid.mark()
    with session_with(proxies=proxies) as session:
        assert session.get(wsgidav_server.url("open"), timeout=20).status_code == 200
    records = squid.requests_since(mark, at_least=2)
    # requests would have sent Basic from the URL at once (and in latin-1): here the proxy's
    # challenge decides, so squid_digest gets Digest and nobody gets a preemptive Basic
    assert statuses(records) == [407, 200]
    assert records[1].user == BOB
    assert all("HTTP_PROXY_AUTHORIZATION" not in h for h in origin_headers)


def test_learned_proxy_credentials_stay_with_the_proxy(
    squid: SquidServer, wsgidav_server: WsgiDAVServer, origin_headers: List[Dict[str, str]]
) -> None:
    """After the proxy space is learned, a direct request to the origin carries nothing of it."""
    url = wsgidav_server.url("open")
    with session_with(store_for(squid), squid.proxies()) as session:
        assert session.get(url, timeout=20).status_code == 200  # 407, then authorized
        session.proxies = {}
        direct = session.get(url, timeout=20)
        assert direct.status_code == 200
        assert "Proxy-Authorization" not in direct.request.headers
    assert len(origin_headers) == 2
    for headers in origin_headers:
        assert "HTTP_PROXY_AUTHORIZATION" not in headers


def test_redirect_through_proxy_sends_no_basic_from_userinfo(
    squid: SquidServer, apache_server: ApacheServer
) -> None:
    """requests' rebuild_proxies puts Basic userinfo on a redirected request; it must not leave."""
    url = apache_server.url("open").rstrip("/")  # mod_dir answers 301 to ".../open/"
    mark = squid.mark()
    with session_with(proxies=squid.proxies(ALICE, ALICE_PASSWORD)) as session:
        response = session.get(url, timeout=20)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [301]
    records = squid.requests_since(mark, at_least=3)
    assert statuses(records) == [407, 301, 200]
    assert {r.auth_scheme for r in records[1:]} == {SCHEME[squid.auth_scheme]}


# -- 7: proxy and origin challenges in one exchange ---------------------------------------


def test_407_then_401_body_stored_byte_identical(
    squid: SquidServer, apache_server: ApacheServer
) -> None:
    """squid's 407, then Apache Digest's 401: both answered, generator body replayed."""
    payload = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    name = unique("both.bin")
    credentials = store_for(squid)
    credentials.add(apache_server.url("digest"), ALICE, ALICE_PASSWORD)
    apache_mark, mark = apache_server.mark(), squid.mark()

    def body() -> Iterator[bytes]:
        for i in range(0, len(payload), 4096):
            yield payload[i : i + 4096]

    with session_with(credentials, squid.proxies()) as session:
        response = session.put(apache_server.url("digest", name), data=body(), timeout=30)
        assert response.status_code in (201, 204), response.text
        again = session.get(apache_server.url("digest", name), timeout=30)
        assert again.status_code == 200 and again.content == payload
    assert (apache_server.root("digest") / name).read_bytes() == payload
    proxy_side = squid.requests_since(mark, at_least=4)
    assert statuses(proxy_side) == [407, 401, 201, 200]
    origin_side = apache_server.requests_since(apache_mark, at_least=3)
    assert statuses(origin_side) == [401, 201, 200]
    assert [r.auth_scheme for r in origin_side] == [None, "Digest", "Digest"]


# -- 6 (proxy part): a 407 to a big body kills the connection ------------------------------


@pytest.mark.parametrize("kind", ["bytes", "generator"])
def test_407_to_large_body_retried_on_fresh_connection(
    squid: SquidServer, apache_server: ApacheServer, kind: str
) -> None:
    payload = bytes(range(256)) * 1024  # 256 KiB: squid stops reading after 64 KiB
    name = unique("big.bin")
    data: Any = payload
    if kind == "generator":
        data = (payload[i : i + 16384] for i in range(0, len(payload), 16384))
    mark = squid.mark()
    with session_with(store_for(squid), squid.proxies()) as session:
        response = session.put(apache_server.url("open", name), data=data, timeout=30)
    assert response.status_code == 201, response.text
    assert (apache_server.root("open") / name).read_bytes() == payload
    records = squid.requests_since(mark, at_least=2)
    assert statuses(records) == [407, 201]
    assert records[1].content_length in (len(payload), None)
