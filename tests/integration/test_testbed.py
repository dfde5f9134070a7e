"""Smoke tests of the real-server test bed, with plain `requests` only.

They describe the world the package's integration tests run in: which share asks for
what, that the users' passwords work as stored (UTF-8), what lands on disk, and what the
request records count. They do not use requests_dav.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
import uuid

import pytest
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from requests.utils import parse_dict_header
from servers import apache as apache_mod
from servers.apache import ApacheServer
from servers.common import (
    ALICE,
    ALICE_PASSWORD,
    BOB,
    BOB_PASSWORD,
    RequestRecord,
    digest_ha1,
    require_binary,
)
from servers.nginx import NginxServer
from servers.rclone import RcloneServer
from servers.squid import SquidServer
from servers.wsgidav_server import WsgiDAVServer

PAYLOAD = bytes(range(256)) * 16 + "ünïcødé\r\n\x00".encode()


def bob_basic() -> HTTPBasicAuth:
    # requests encodes str passwords as latin-1; bob's password is stored as UTF-8 bytes.
    return HTTPBasicAuth(BOB, BOB_PASSWORD.encode("utf-8"))


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


@pytest.fixture
def http() -> requests.Session:
    """A session that ignores *_proxy / REQUESTS_CA_BUNDLE from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def challenge(response: requests.Response, header: str = "WWW-Authenticate") -> tuple[str, dict]:
    value = response.headers[header]
    scheme, _, params = value.partition(" ")
    return scheme, parse_dict_header(params)


# -- require_binary -------------------------------------------------------------------------


def test_require_binary_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_binary("no-such-binary-requests-dav", "a missing server")
    assert require_binary("sh", "a shell").endswith("/sh")


def test_require_binary_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_binary("/nonexistent/no-such-binary", "a missing server")


# -- WsgiDAV --------------------------------------------------------------------------------


@pytest.mark.parametrize(("share", "scheme"), [("basic", "Basic"), ("digest", "Digest")])
def test_wsgidav_protected_share_challenges(
    wsgidav_server: WsgiDAVServer, http: requests.Session, share: str, scheme: str
) -> None:
    response = http.get(wsgidav_server.url(share))
    assert response.status_code == 401
    got_scheme, params = challenge(response)
    assert got_scheme == scheme
    assert params["realm"] == wsgidav_server.realm(share)


def test_wsgidav_basic_users(wsgidav_server: WsgiDAVServer, http: requests.Session) -> None:
    url = wsgidav_server.url("basic")
    assert http.get(url, auth=HTTPBasicAuth(ALICE, ALICE_PASSWORD)).status_code == 200
    assert http.get(url, auth=bob_basic()).status_code == 200
    assert http.get(url, auth=HTTPBasicAuth(ALICE, "wrong")).status_code == 401


def test_wsgidav_digest_get_is_two_records(
    wsgidav_server: WsgiDAVServer, http: requests.Session
) -> None:
    name = unique("d.txt")
    (wsgidav_server.root("digest") / name).write_bytes(b"digest")
    mark = wsgidav_server.mark()
    response = http.get(wsgidav_server.url("digest", name), auth=HTTPDigestAuth(BOB, BOB_PASSWORD))
    assert response.status_code == 200
    assert response.content == b"digest"
    first, second = wsgidav_server.requests_since(mark)
    assert (first.method, first.status, first.auth_scheme, first.authorization) == (
        "GET",
        401,
        None,
        None,
    )
    assert (second.status, second.auth_scheme, second.user) == (200, "Digest", BOB)
    assert second.path == f"/digest/{name}"


def test_wsgidav_put_lands_on_disk(wsgidav_server: WsgiDAVServer, http: requests.Session) -> None:
    name = unique("ü b.bin")
    response = http.put(wsgidav_server.url("open", name), data=PAYLOAD)
    assert response.status_code == 201
    assert (wsgidav_server.root("open") / name).read_bytes() == PAYLOAD
    record = wsgidav_server.requests()[-1]
    assert record == RequestRecord(
        "PUT",
        urllib.parse.urlsplit(wsgidav_server.url("open", name)).path,
        201,
        None,
        None,
        content_length=len(PAYLOAD),
        port=wsgidav_server.port,
    )


def test_wsgidav_digest_put(wsgidav_server: WsgiDAVServer, http: requests.Session) -> None:
    name = unique("p.bin")
    url = wsgidav_server.url("digest", name)
    response = http.put(url, data=PAYLOAD, auth=HTTPDigestAuth(ALICE, ALICE_PASSWORD))
    assert response.status_code == 201
    assert (wsgidav_server.root("digest") / name).read_bytes() == PAYLOAD


# -- Apache ---------------------------------------------------------------------------------

APACHE_PROTECTED = [
    ("basic", "Basic"),
    ("basic-other", "Basic"),
    ("digest", "Digest"),
    ("digest-also", "Digest"),
    ("digest-short", "Digest"),
    ("digest-nc", "Digest"),
]


@pytest.mark.needs_apache
@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize(("share", "scheme"), APACHE_PROTECTED)
def test_apache_protected_share_challenges(
    apache_server: ApacheServer, http: requests.Session, share: str, scheme: str, https: bool
) -> None:
    url = apache_server.https_url(share) if https else apache_server.url(share)
    response = http.get(url, verify=apache_server.ca_cert)
    assert response.status_code == 401
    got_scheme, params = challenge(response)
    assert got_scheme == scheme
    assert params["realm"] == apache_server.realm(share)
    if share in ("digest", "digest-also"):
        assert params["domain"] == " ".join(apache_mod.DIGEST_DOMAIN)
    if share == "digest-nc":
        assert "opaque" in params


@pytest.mark.needs_apache
def test_apache_realms_are_distinct(apache_server: ApacheServer) -> None:
    assert apache_server.realm("open") is None
    assert apache_server.realm("digest") == apache_server.realm("digest-also")
    realms = {apache_server.realm(s) for s in ("basic", "basic-other", "digest", "digest-short")}
    assert len(realms) == 4


@pytest.mark.needs_apache
@pytest.mark.parametrize("share", ["basic", "basic-other"])
def test_apache_basic_users(
    apache_server: ApacheServer, http: requests.Session, share: str
) -> None:
    url = apache_server.url(share)
    assert http.get(url, auth=HTTPBasicAuth(ALICE, ALICE_PASSWORD)).status_code == 200
    assert http.get(url, auth=bob_basic()).status_code == 200
    # bob's password as latin-1 bytes is not what was stored
    assert http.get(url, auth=HTTPBasicAuth(BOB, BOB_PASSWORD.encode("cp1252"))).status_code == 401


@pytest.mark.needs_apache
def test_apache_basic_put(apache_server: ApacheServer, http: requests.Session) -> None:
    name = unique("b.bin")
    response = http.put(apache_server.url("basic", name), data=PAYLOAD, auth=bob_basic())
    assert response.status_code == 201
    assert (apache_server.root("basic") / name).read_bytes() == PAYLOAD
    record = apache_server.requests()[-1]
    assert (record.method, record.status, record.auth_scheme, record.user) == (
        "PUT",
        201,
        "Basic",
        BOB,
    )
    assert record.content_length == len(PAYLOAD)


@pytest.mark.needs_apache
@pytest.mark.parametrize("user", [ALICE, BOB])
def test_apache_digest_get_is_two_records(
    apache_server: ApacheServer, http: requests.Session, user: str
) -> None:
    name = unique("d.txt")
    (apache_server.root("digest") / name).write_bytes(b"digest")
    mark = apache_server.mark()
    password = {ALICE: ALICE_PASSWORD, BOB: BOB_PASSWORD}[user]
    response = http.get(apache_server.url("digest", name), auth=HTTPDigestAuth(user, password))
    assert response.status_code == 200
    assert response.content == b"digest"
    assert "rspauth=" in response.headers["Authentication-Info"]
    first, second = apache_server.requests_since(mark, at_least=2)
    assert (first.status, first.authorization) == (401, None)
    assert (second.status, second.auth_scheme, second.user) == (200, "Digest", user)
    assert second.path == f"/digest/{name}"


@pytest.mark.needs_apache
def test_apache_digest_put(apache_server: ApacheServer, http: requests.Session) -> None:
    name = unique("p.bin")
    auth = HTTPDigestAuth(BOB, BOB_PASSWORD)
    response = http.put(apache_server.url("digest-also", name), data=PAYLOAD, auth=auth)
    assert response.status_code == 201
    assert (apache_server.root("digest-also") / name).read_bytes() == PAYLOAD


@pytest.mark.needs_apache
def test_apache_digest_short_sends_nextnonce(
    apache_server: ApacheServer, http: requests.Session
) -> None:
    response = http.get(
        apache_server.url("digest-short"), auth=HTTPDigestAuth(ALICE, ALICE_PASSWORD)
    )
    assert response.status_code == 200
    assert "nextnonce=" in response.headers["Authentication-Info"]


@pytest.mark.needs_apache
def test_apache_digest_nc_rejects_replayed_nonce_count(
    apache_server: ApacheServer, http: requests.Session
) -> None:
    url = apache_server.url("digest-nc")
    auth = HTTPDigestAuth(ALICE, ALICE_PASSWORD)
    assert http.get(url, auth=auth).status_code == 200
    replay = http.get(url, headers={"Authorization": apache_server.requests()[-1].authorization})
    assert replay.status_code == 401


@pytest.mark.needs_apache
@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_apache_put_lands_on_disk(
    apache_server: ApacheServer, http: requests.Session, https: bool
) -> None:
    name = unique("ü b.bin")
    url = apache_server.https_url("open", name) if https else apache_server.url("open", name)
    response = http.put(url, data=PAYLOAD, verify=apache_server.ca_cert)
    assert response.status_code == 201
    assert (apache_server.root("open") / name).read_bytes() == PAYLOAD
    record = apache_server.requests()[-1]
    assert record.method == "PUT"
    assert record.path == urllib.parse.urlsplit(url).path
    assert record.port == (apache_server.https_port if https else apache_server.port)


@pytest.mark.needs_apache
def test_apache_https_needs_the_bed_certificate(
    apache_server: ApacheServer, http: requests.Session
) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        http.get(apache_server.https_url("open"), verify=True)


# -- squid ----------------------------------------------------------------------------------


@pytest.mark.needs_squid
@pytest.mark.parametrize(
    ("which", "scheme"), [("squid_basic", "Basic"), ("squid_digest", "Digest")]
)
def test_squid_demands_proxy_auth(
    request: pytest.FixtureRequest, http: requests.Session, which: str, scheme: str
) -> None:
    squid: SquidServer = request.getfixturevalue(which)
    apache: ApacheServer = request.getfixturevalue("apache_server")
    mark = squid.mark()
    response = http.get(apache.url("open"), proxies=squid.proxies())
    assert response.status_code == 407
    got_scheme, params = challenge(response, "Proxy-Authenticate")
    assert got_scheme == scheme
    assert params["realm"] == squid.realm()
    (record,) = squid.requests_since(mark, at_least=1)
    assert (record.method, record.path, record.status) == ("GET", apache.url("open"), 407)


@pytest.mark.needs_squid
@pytest.mark.parametrize(
    "password_in_url",
    [ALICE_PASSWORD, BOB_PASSWORD.encode("utf-8").decode("latin-1")],
    ids=["alice", "bob-utf8"],
)
def test_squid_basic_forwards_with_credentials(
    squid_basic: SquidServer,
    apache_server: ApacheServer,
    http: requests.Session,
    password_in_url: str,
) -> None:
    # requests encodes proxy-URL passwords as latin-1, so bob's UTF-8 bytes go in that way
    user = ALICE if password_in_url == ALICE_PASSWORD else BOB
    name = unique("via-proxy.txt")
    (apache_server.root("open") / name).write_bytes(b"proxied")
    mark = squid_basic.mark()
    proxies = squid_basic.proxies(user, password_in_url)
    response = http.get(apache_server.url("open", name), proxies=proxies)
    assert response.status_code == 200
    assert response.content == b"proxied"
    (record,) = squid_basic.requests_since(mark, at_least=1)
    assert (record.status, record.auth_scheme, record.user) == (200, "Basic", user)


@pytest.mark.needs_squid
def test_squid_basic_connect_to_https(
    squid_basic: SquidServer, apache_server: ApacheServer, http: requests.Session
) -> None:
    proxies = squid_basic.proxies(ALICE, ALICE_PASSWORD)
    mark = squid_basic.mark()
    # squid logs a CONNECT only when the tunnel ends: let Apache close it after the response
    response = http.get(
        apache_server.https_url("open"),
        proxies=proxies,
        verify=apache_server.ca_cert,
        headers={"Connection": "close"},
    )
    assert response.status_code == 200
    (record,) = squid_basic.requests_since(mark, at_least=1)
    assert (record.method, record.path, record.status) == (
        "CONNECT",
        f"127.0.0.1:{apache_server.https_port}",
        200,
    )


@pytest.mark.needs_squid
def test_squid_basic_reaches_wsgidav_and_denies_other_ports(
    squid_basic: SquidServer, wsgidav_server: WsgiDAVServer, http: requests.Session
) -> None:
    proxies = squid_basic.proxies(ALICE, ALICE_PASSWORD)
    assert http.get(wsgidav_server.url("open"), proxies=proxies).status_code == 200
    assert http.get("http://127.0.0.1:9/", proxies=proxies).status_code == 403


@pytest.mark.needs_squid
def test_squid_digest_forwards_with_digest_only(
    squid_digest: SquidServer, apache_server: ApacheServer, http: requests.Session
) -> None:
    # requests has no proxy Digest: compute one by hand (RFC 2617, qop=auth) for bob.
    url = apache_server.url("open")
    basic = http.get(url, proxies=squid_digest.proxies(ALICE, ALICE_PASSWORD))
    assert basic.status_code == 407  # Basic credentials are not accepted here
    scheme, params = challenge(basic, "Proxy-Authenticate")
    assert scheme == "Digest"
    assert "algorithm" not in params
    ha1 = digest_ha1(BOB, params["realm"], BOB_PASSWORD)
    ha2 = hashlib.md5(f"GET:{url}".encode()).hexdigest()
    cnonce = os.urandom(8).hex()
    response_hash = hashlib.md5(
        f"{ha1}:{params['nonce']}:00000001:{cnonce}:auth:{ha2}".encode()
    ).hexdigest()
    header = (
        f'Digest username="{BOB}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{url}", qop=auth, nc=00000001, cnonce="{cnonce}", response="{response_hash}"'
    )
    mark = squid_digest.mark()
    response = http.get(
        url, proxies=squid_digest.proxies(), headers={"Proxy-Authorization": header}
    )
    assert response.status_code == 200
    (record,) = squid_digest.requests_since(mark, at_least=1)
    assert (record.status, record.auth_scheme, record.user) == (200, "Digest", BOB)


# -- nginx ----------------------------------------------------------------------------------


@pytest.mark.needs_nginx
def test_nginx_basic(nginx_server: NginxServer, http: requests.Session) -> None:
    url = nginx_server.url("basic")
    mark = nginx_server.mark()
    response = http.get(url)
    assert response.status_code == 401
    assert challenge(response)[1]["realm"] == nginx_server.realm("basic")
    assert http.get(url, auth=HTTPBasicAuth(ALICE, ALICE_PASSWORD)).status_code == 200
    assert http.get(url, auth=bob_basic()).status_code == 200
    records = nginx_server.requests_since(mark, at_least=3)
    assert [(r.status, r.auth_scheme, r.user) for r in records] == [
        (401, None, None),
        (200, "Basic", ALICE),
        (200, "Basic", BOB),
    ]


@pytest.mark.needs_nginx
@pytest.mark.parametrize("share", ["open", "basic"])
def test_nginx_put_lands_on_disk(
    nginx_server: NginxServer, http: requests.Session, share: str
) -> None:
    name = unique("dir/ü b.bin")  # create_full_put_path makes the missing collection
    auth = bob_basic() if share == "basic" else None
    response = http.put(nginx_server.url(share, name), data=PAYLOAD, auth=auth)
    assert response.status_code == 201
    assert (nginx_server.root(share) / name).read_bytes() == PAYLOAD


# -- rclone ---------------------------------------------------------------------------------


@pytest.mark.needs_rclone
def test_rclone_basic(rclone_server: RcloneServer, http: requests.Session) -> None:
    url = rclone_server.url("basic")
    response = http.get(url)
    assert response.status_code == 401
    assert challenge(response)[1]["realm"] == rclone_server.realm("basic")
    assert http.get(url, auth=HTTPBasicAuth(ALICE, ALICE_PASSWORD)).status_code == 200
    assert http.get(url, auth=bob_basic()).status_code == 200
    assert http.get(url, auth=HTTPBasicAuth(ALICE, "wrong")).status_code == 401


@pytest.mark.needs_rclone
@pytest.mark.parametrize("share", ["open", "basic"])
def test_rclone_put_lands_on_disk(
    rclone_server: RcloneServer, http: requests.Session, share: str
) -> None:
    name = unique("ü b.bin")
    auth = HTTPBasicAuth(ALICE, ALICE_PASSWORD) if share == "basic" else None
    response = http.put(rclone_server.url(share, name), data=PAYLOAD, auth=auth)
    assert response.status_code == 201
    assert (rclone_server.root(share) / name).read_bytes() == PAYLOAD
