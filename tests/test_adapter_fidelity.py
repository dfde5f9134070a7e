"""AuthAdapter behaves as HTTPAdapter wherever it does not add authentication (issue 12).

Bad URLs raise requests' exception classes; the adapter, its store and a Session with it
mounted pickle and deep-copy; a caller's own Authorization (or requests' own ``auth=``)
wins over the store unless ``replace_caller_auth=True``; closing twice is harmless.
Against WsgiDAV (real server) where the wire matters.
"""

from __future__ import annotations

import base64
import copy
import pickle
from pathlib import Path
from typing import Optional
from unittest import mock

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth
from requests.exceptions import InvalidProxyURL, InvalidURL, RequestException
from servers.common import ALICE, ALICE_PASSWORD
from servers.wsgidav_server import WsgiDAVServer

from requests_dav import AuthAdapter, Credential, Credentials, auth_result

ORIGIN = "http://127.0.0.1:9/"


def prepared(url: str) -> requests.PreparedRequest:
    """A GET whose URL is set after preparing, as requests does for a redirect target."""
    request = requests.Request("GET", ORIGIN).prepare()
    request.url = url
    return request


def raised(adapter: HTTPAdapter, url: str, proxies: Optional[dict] = None) -> type:
    try:
        adapter.send(prepared(url), timeout=0.5, proxies=proxies)
    except Exception as exc:
        return type(exc)
    raise AssertionError(f"{url} was sent")


def stocked() -> Credentials:
    store = Credentials()
    store.add(ORIGIN, "u", "p")
    return store


# -- 1. the same exception classes as HTTPAdapter ---------------------------------------------

BAD_URLS = [
    "http://:1",
    "http://:1/x",
    "http:///path",
    "https://:443/",
    "http://127.0.0.1:99999/",
    "http://127.0.0.1:abc/",
    "http://[::1/",
    "http://[zz]/",
]
BAD_PROXIES = [
    "http:/127.0.0.1",
    "http://",
    "http://:3128",
    "http://[::1",
    "http://127.0.0.1:abc",
    "127.0.0.1:abc",
    "socks5://:1080",
]


@pytest.mark.parametrize("store", [Credentials, stocked], ids=["empty", "stocked"])
@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_raises_what_http_adapter_raises(url: str, store: type) -> None:
    theirs = raised(HTTPAdapter(), url)
    ours = raised(AuthAdapter(store()), url)
    # HTTPAdapter lets a bare ValueError out for a broken IPv6 literal; InvalidURL is one too
    assert issubclass(ours, theirs) and issubclass(ours, RequestException), (ours, theirs)
    assert ours is (InvalidURL if theirs is ValueError else theirs)


@pytest.mark.parametrize("store", [Credentials, stocked], ids=["empty", "stocked"])
@pytest.mark.parametrize("proxy", BAD_PROXIES)
def test_a_bad_proxy_url_raises_what_http_adapter_raises(proxy: str, store: type) -> None:
    proxies = {"http": proxy, "https": proxy}
    theirs = raised(HTTPAdapter(), ORIGIN, proxies)
    assert theirs in (InvalidURL, InvalidProxyURL)
    assert raised(AuthAdapter(store()), ORIGIN, proxies) is theirs


# -- 2. pickling and deep copies --------------------------------------------------------------


def module_level_password(url: str, realm: Optional[str], attempt: int) -> str:
    return ALICE_PASSWORD


def test_the_adapter_and_its_store_pickle(wsgidav_server: WsgiDAVServer) -> None:
    store = Credentials()
    store.add(wsgidav_server.url("basic"), ALICE, ALICE_PASSWORD)
    store.add_proxy("http://127.0.0.1:3128", "proxyuser", "proxypass")
    adapter = AuthAdapter(store, max_replay_bytes=1234, expect_continue=99, max_retries=2)
    copied = pickle.loads(pickle.dumps(adapter))  # noqa: S301
    assert copied.max_replay_bytes == 1234 and copied.expect_continue == 99
    assert copied.max_retries.total == 2
    assert copied.credentials is not store
    assert copied.credentials.find(wsgidav_server.url("basic", "x")) == Credential(
        ALICE, ALICE_PASSWORD
    )
    assert copied.credentials.find("http://127.0.0.1:3128", proxy=True) is not None
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", copied)
    response = session.get(wsgidav_server.url("basic"))
    assert response.status_code == 200, response.status_code
    assert auth_result(response).outcome == "ok"


def test_a_session_with_the_adapter_pickles_and_deep_copies() -> None:
    adapter = AuthAdapter(stocked())
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    for copied in (pickle.loads(pickle.dumps(session)), copy.deepcopy(session)):  # noqa: S301
        first, second = copied.adapters["http://"], copied.adapters["https://"]
        assert isinstance(first, AuthAdapter) and first is second  # still one adapter
        assert first.credentials.find(ORIGIN) == Credential("u", "p")


def test_a_callable_password_travels_when_it_pickles() -> None:
    store = Credentials()
    store.add(ORIGIN, ALICE, module_level_password)
    copied = pickle.loads(pickle.dumps(store))  # noqa: S301
    credential = copied.find(ORIGIN)
    assert credential is not None
    assert credential.password_for(ORIGIN, None, 1) == ALICE_PASSWORD


def test_an_unpicklable_password_callable_is_a_clear_error_and_deep_copies() -> None:
    store = Credentials()
    store.add(ORIGIN, ALICE, lambda url, realm, attempt: "lambda-secret")
    with pytest.raises(TypeError, match="password callable that cannot be pickled") as caught:
        pickle.dumps(AuthAdapter(store))
    assert "lambda-secret" not in str(caught.value)
    copied = copy.deepcopy(store)
    credential = copied.find(ORIGIN)
    assert credential is not None and credential.password_for(ORIGIN, None, 1) == "lambda-secret"


# -- 3. the caller's own Authorization wins ---------------------------------------------------


def dav_session(server: WsgiDAVServer, **options: object) -> requests.Session:
    store = Credentials()
    store.add(server.url("basic"), ALICE, ALICE_PASSWORD)
    store.add(server.url("digest"), ALICE, ALICE_PASSWORD)
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(store, **options)  # type: ignore[arg-type]
    session.mount("http://", adapter)
    return session


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_callers_authorization_header_goes_as_it_is(wsgidav_server: WsgiDAVServer) -> None:
    session = dav_session(wsgidav_server)
    mark = wsgidav_server.mark()
    wrong = basic(ALICE, "not-the-password")
    response = session.get(wsgidav_server.url("basic"), headers={"Authorization": wrong})
    assert response.status_code == 401
    records = wsgidav_server.requests_since(mark, at_least=1)
    assert [(r.status, r.authorization) for r in records] == [(401, wrong)]


def test_requests_own_digest_auth_answers_its_own_401(wsgidav_server: WsgiDAVServer) -> None:
    session = dav_session(wsgidav_server)
    mark = wsgidav_server.mark()
    response = session.get(wsgidav_server.url("digest"), auth=HTTPDigestAuth(ALICE, "wrong"))
    assert response.status_code == 401
    records = wsgidav_server.requests_since(mark, at_least=2)
    assert [r.status for r in records] == [401, 401]
    assert 'qop="auth"' in str(records[1].authorization)  # requests' own header, not ours


def test_replace_caller_auth_lets_the_store_answer(wsgidav_server: WsgiDAVServer) -> None:
    session = dav_session(wsgidav_server, replace_caller_auth=True)
    wrong = basic(ALICE, "not-the-password")
    response = session.get(wsgidav_server.url("basic"), headers={"Authorization": wrong})
    assert response.status_code == 200
    assert auth_result(response).outcome == "ok"


# -- 4. closing twice -------------------------------------------------------------------------


def test_closing_an_adapter_mounted_twice_is_harmless(wsgidav_server: WsgiDAVServer) -> None:
    session = dav_session(wsgidav_server)
    adapter = session.get_adapter("http://")
    session.mount("https://", adapter)
    assert session.get(wsgidav_server.url("basic")).status_code == 200
    proxy_manager = mock.Mock()
    adapter.proxy_manager["http://127.0.0.1:3128"] = proxy_manager
    with mock.patch.object(adapter.poolmanager, "clear", wraps=adapter.poolmanager.clear) as clear:
        session.close()
        assert clear.call_count == 1
        proxy_manager.clear.assert_called_once_with()
        adapter.close()
        assert clear.call_count == 1
    # usable again after close; the next close closes again
    assert session.get(wsgidav_server.url("basic")).status_code == 200
    session.close()
    assert proxy_manager.clear.call_count == 2


# -- 6. urllib3-future: overrides pass on what they do not use ----------------------------------


def test_connection_overrides_pass_unknown_keywords_through() -> None:
    from urllib3.connection import HTTPConnection

    from requests_dav.transport.expect import ExpectHTTPConnection

    connection = ExpectHTTPConnection("127.0.0.1", 9)
    with mock.patch.object(HTTPConnection, "request") as request:
        connection.request("PUT", "/", body=b"x", on_upload_body="callback")
    assert request.call_args.kwargs["on_upload_body"] == "callback"
    with mock.patch.object(HTTPConnection, "getresponse") as getresponse:
        connection.getresponse(promise="p")
    assert getresponse.call_args.kwargs == {"promise": "p"}


def test_the_netrc_header_requests_adds_is_not_the_callers_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from requests_dav.transport.fidelity import callers_own_auth

    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = requests.Session()
    from_netrc = session.prepare_request(requests.Request("GET", ORIGIN))
    assert from_netrc.headers["Authorization"] == basic("alice", "s3cret")
    assert not callers_own_auth(from_netrc)
    chosen = session.prepare_request(requests.Request("GET", ORIGIN, auth=("alice", "other")))
    assert callers_own_auth(chosen)
