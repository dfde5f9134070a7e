"""Negotiate with real Kerberos: the bed's MIT KDC and Apache mod_auth_gssapi (RFC 4559, 4120).

The KDC (servers/kdc.py) knows alice and bob and `HTTP/localhost`; alice's tickets are in
a credential cache from `kinit`. Apache (servers/apache_gssapi.py) accepts Kerberos only,
on two DAV shares: `krb` authenticates every request (the module's default; it answers
`Persistent-Auth: false`), `krb-conn` the connection (`GssapiConnectionBound On`,
`Persistent-Auth: true`). URLs use the host `localhost`, the SPN's host.

What the access log proves: which request carried a token, on which client connection,
what the server answered; the files on disk prove the bodies arrived byte-identical.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import uuid
from typing import Any, Callable, Iterator, List, Optional

import pytest
import requests
from servers.apache_gssapi import GssapiApacheServer, GssapiRecord
from servers.common import ALICE, BOB, BOB_PASSWORD, RequestRecord
from servers.header_relay import HeaderRewritingRelay, negotiate_token_rewriter
from servers.kdc import KerberosKDC

from integration.kerberos_support import PAYLOAD, require_python_kerberos
from requests_dav import TICKET_CACHE, AuthAdapter, Credentials, DAVSession, auth_result
from requests_dav.exceptions import MutualAuthenticationError

pytestmark = [pytest.mark.needs_kerberos, pytest.mark.needs_apache]

LIMIT = 64 * 1024  # max_replay_bytes of these sessions


@pytest.fixture(autouse=True)
def _realm(kerberos: KerberosKDC) -> KerberosKDC:
    require_python_kerberos()
    return kerberos


@pytest.fixture
def server(apache_gssapi: GssapiApacheServer) -> GssapiApacheServer:
    return apache_gssapi


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


def session_for(store: Credentials, server: GssapiApacheServer) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = server.ca_cert
    adapter = AuthAdapter(store, max_replay_bytes=LIMIT)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def ticket_store(server: GssapiApacheServer, user: str = "") -> Credentials:
    store = Credentials()
    store.add(server.base_url + "/", user, TICKET_CACHE)
    store.add(server.https_base_url + "/", user, TICKET_CACHE)
    return store


def records(server: GssapiApacheServer, mark: int, count: int) -> List[GssapiRecord]:
    found = server.requests_since(mark, at_least=count)
    assert all(isinstance(r, GssapiRecord) for r in found)
    return [r for r in found if isinstance(r, GssapiRecord)]


def legs(found: List[GssapiRecord]) -> List[tuple[int, Optional[str]]]:
    return [(r.status, r.auth_scheme) for r in found]


# -- credentials: the ticket cache, or a password -----------------------------------------


def test_the_ticket_cache_authenticates_without_a_password(server: GssapiApacheServer) -> None:
    session = session_for(ticket_store(server), server)
    mark = server.mark()

    response = session.get(server.url("krb"))

    assert response.status_code == 200
    result = auth_result(response)
    assert result is not None and result.outcome == "ok" and result.scheme == "negotiate"
    found = records(server, mark, 2)
    assert legs(found) == [(401, None), (200, "Negotiate")]
    assert found[1].user == f"{ALICE}@{server.kdc.realm}"


def test_a_principal_name_picks_it_from_the_ticket_cache(
    server: GssapiApacheServer, kdc: KerberosKDC, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ccache = kdc.kinit(BOB, BOB_PASSWORD, f"FILE:{tmp_path}/bob")
    monkeypatch.setenv("KRB5CCNAME", ccache)
    session = session_for(ticket_store(server, kdc.principal(BOB)), server)
    mark = server.mark()

    assert session.get(server.url("krb")).status_code == 200

    assert records(server, mark, 2)[1].user == kdc.principal(BOB)


def test_an_empty_ticket_cache_is_refused_without_a_password_scheme(
    server: GssapiApacheServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path}/empty")
    session = session_for(ticket_store(server), server)
    mark = server.mark()

    response = session.get(server.url("krb"))

    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and not result.authenticated
    assert legs(records(server, mark, 1)) == [(401, None)]


@pytest.mark.parametrize("user", [ALICE, BOB])
def test_a_password_gets_its_own_ticket(
    server: GssapiApacheServer,
    kdc: KerberosKDC,
    user: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no ticket anywhere: pyspnego asks the KDC with the password (bob's is not ASCII)
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path}/empty")
    store = Credentials()
    store.add(server.base_url + "/krb/", user, kdc.users[user])
    session = session_for(store, server)
    name = unique("password.bin")
    mark = server.mark()

    response = session.put(server.url("krb", name), data=PAYLOAD)

    assert response.status_code == 201
    assert records(server, mark, 2)[1].user == kdc.principal(user)
    assert (server.root("krb") / name).read_bytes() == PAYLOAD
    assert not os.path.exists(tmp_path / "empty")  # the ticket stayed in memory


def test_a_wrong_password_is_refused_after_one_handshake(
    server: GssapiApacheServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path}/empty")
    store = Credentials()
    store.add(server.base_url + "/", ALICE, "not her password")
    session = session_for(store, server)
    mark = server.mark()

    response = session.get(server.url("krb"))

    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "refused"
    # the KDC refused the password, so pyspnego offered NTLM inside SPNEGO, which this
    # Kerberos-only server refuses: one handshake, no loop
    assert legs(records(server, mark, 2)) == [(401, None), (401, "Negotiate")]


# -- bodies: the token's leg carries the body ----------------------------------------------


def _generator(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


BODIES: dict[str, Callable[[bytes], Any]] = {
    "bytes": lambda data: data,
    "seekable-file": lambda data: io.BytesIO(data),
    "generator": lambda data: _generator(data),
}


@pytest.mark.parametrize("share", ["krb", "krb-conn"])
@pytest.mark.parametrize(
    "kind,size",
    [
        ("bytes", len(PAYLOAD)),
        ("seekable-file", len(PAYLOAD)),
        ("generator", len(PAYLOAD)),
        ("generator", 4 * LIMIT + 5),
    ],
)
def test_every_body_arrives_byte_identical(
    server: GssapiApacheServer, share: str, kind: str, size: int
) -> None:
    """The first request of a session: bare (401), then the token's leg with the body.

    The generator over the replay limit goes with `Expect: 100-continue` first: Apache
    answers the bare request with 401 before the body, so the stream is sent once, on the
    leg that authenticates (a one-shot generator could not be sent twice).
    """
    data = (PAYLOAD * (size // len(PAYLOAD) + 1))[:size]
    session = session_for(ticket_store(server), server)
    name = unique(f"{kind}.bin")
    mark = server.mark()

    response = session.put(server.url(share, name), data=BODIES[kind](data))

    assert response.status_code == 201, response.text
    assert legs(records(server, mark, 2)) == [(401, None), (201, "Negotiate")]
    stored = (server.root(share) / name).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()


# -- per request vs per connection ---------------------------------------------------------


def _three_puts(session: requests.Session, server: GssapiApacheServer, share: str) -> None:
    for number in range(3):
        data = PAYLOAD + bytes([number])
        body = _generator(data * 8) if number == 2 else data  # the last over the limit
        response = session.put(server.url(share, unique("p.bin")), data=body)
        assert response.status_code == 201, response.text


def test_a_per_request_server_gets_a_token_with_every_request(server: GssapiApacheServer) -> None:
    """`Persistent-Auth: false`: the connection is not taken as authenticated.

    After the first handshake every request carries a fresh token of its own, one leg
    each, so even a stream over the replay limit goes through at the first attempt.
    """
    session = session_for(ticket_store(server), server)
    mark = server.mark()

    _three_puts(session, server, "krb")

    found = records(server, mark, 4)
    assert legs(found) == [(401, None)] + [(201, "Negotiate")] * 3
    assert [r.persistent_auth for r in found[1:]] == ["false"] * 3
    tokens = [r.authorization for r in found[1:]]
    assert len(set(tokens)) == 3  # a fresh AP-REQ each time: a replayed one is refused


def test_per_request_tokens_do_not_queue_on_one_connection(server: GssapiApacheServer) -> None:
    """Nothing is pinned once the server said it authenticates requests: 4 threads, 4 uploads
    at once (each body waits mid-way for the other three, so they must overlap)."""
    session = session_for(ticket_store(server), server)
    assert session.get(server.url("krb")).status_code == 200
    barrier = threading.Barrier(4, timeout=10)
    statuses: List[int] = []
    mark = server.mark()

    def body() -> Iterator[bytes]:
        yield PAYLOAD
        barrier.wait()
        yield PAYLOAD

    def upload() -> None:
        statuses.append(session.put(server.url("krb", unique("t.bin")), data=body()).status_code)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [201] * 4
    found = records(server, mark, 4)
    assert legs(found) == [(201, "Negotiate")] * 4
    assert len({r.client_port for r in found}) == 4


def test_a_connection_bound_server_authenticates_the_connection_once(
    server: GssapiApacheServer,
) -> None:
    """`Persistent-Auth: true`: later requests ride the authenticated connection bare."""
    session = session_for(ticket_store(server), server)
    mark = server.mark()

    _three_puts(session, server, "krb-conn")

    found = records(server, mark, 4)
    assert legs(found) == [(401, None), (201, "Negotiate"), (201, None), (201, None)]
    assert found[1].persistent_auth == "true"
    assert len({r.client_port for r in found[1:]}) == 1


def test_the_per_request_token_is_checked_on_every_answer(server: GssapiApacheServer) -> None:
    """Each later request's own context verifies the server's token on its answer."""
    session = session_for(ticket_store(server), server)
    session.get(server.url("krb"))
    mark = server.mark()

    response = session.get(server.url("krb"))

    assert response.status_code == 200
    result = auth_result(response)
    assert result is not None and result.outcome == "ok" and not result.connection_bound
    found = records(server, mark, 1)
    assert legs(found) == [(200, "Negotiate")]
    assert found[0].www_authenticate is not None
    assert found[0].www_authenticate.startswith("Negotiate ")


# -- mutual authentication -----------------------------------------------------------------


def _flip_last_byte(token: bytes) -> bytes:
    return token[:-1] + bytes([token[-1] ^ 0x01])


@pytest.mark.parametrize(
    "change,fails",
    [
        (lambda token: token, False),  # the relay itself changes nothing that matters
        (_flip_last_byte, True),
        (lambda token: None, True),  # the header dropped: the server never proves itself
    ],
    ids=["untouched", "tampered", "missing"],
)
def test_the_servers_final_token_is_verified(
    server: GssapiApacheServer, change: Callable[[bytes], Optional[bytes]], fails: bool
) -> None:
    with HeaderRewritingRelay(server.port, negotiate_token_rewriter(change)) as relay:
        store = Credentials()
        store.add(relay.url("/"), "", TICKET_CACHE)
        session = session_for(store, server)
        url = relay.url("/krb/")
        if not fails:
            assert session.get(url).status_code == 200
            return
        with pytest.raises(MutualAuthenticationError) as info:
            session.get(url)
    assert isinstance(info.value, requests.RequestException)
    assert "did not" in str(info.value)


# -- HTTPS and DAVSession ------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_davsession_lists_uploads_and_locks(server: GssapiApacheServer, tls: bool) -> None:
    base = server.https_url("krb") if tls else server.url("krb")
    folder = unique("dir") + "/"
    with DAVSession(base, auth=("", TICKET_CACHE), max_replay_bytes=LIMIT) as dav:
        dav.trust_env = False
        dav.verify = server.ca_cert
        mark = server.mark()
        dav.mkcol(folder)
        dav.upload(_generator(PAYLOAD * 8), folder + "a.bin")
        dav.upload(PAYLOAD, folder + "b.bin")
        names = sorted(item.href.rstrip("/").rsplit("/", 1)[-1] for item in dav.ls(folder))
        with dav.lock(folder + "a.bin", depth=0) as lock:
            assert lock.token
            dav.upload(b"locked", folder + "a.bin")
    assert names == ["a.bin", "b.bin"]
    assert (server.root("krb") / folder / "a.bin").read_bytes() == b"locked"
    assert (server.root("krb") / folder / "b.bin").read_bytes() == PAYLOAD
    found: List[RequestRecord] = server.requests_since(mark, at_least=8)
    assert [r.method for r in found] == [
        "MKCOL", "MKCOL", "PUT", "PUT", "PROPFIND", "LOCK", "PUT", "UNLOCK",
    ]  # fmt: skip
    assert legs(records(server, mark, 8))[:2] == [(401, None), (201, "Negotiate")]
    assert all(r.auth_scheme == "Negotiate" and r.status < 400 for r in found[1:])
    assert {r.port for r in found} == {server.https_port if tls else server.port}
