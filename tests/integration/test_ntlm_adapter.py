"""NTLM and Negotiate through :class:`~requests_dav.AuthAdapter`, against a real acceptor.

The server (``tests/servers/ntlm_server.py``) authenticates *connections*, as IIS does, and
logs every request with the id of the connection it came on. The records prove that

* every leg of a handshake from the type 1 token on goes on one connection, and a generator
  body arrives byte-identical on every leg;
* a later request with the same credential rides the authenticated connection with no
  credentials and is not challenged;
* a request with another credential, or with none, never rides it;
* 8 threads sharing one session all authenticate, no handshake split over connections;
* a wrong password ends with the 401 returned, after one handshake.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import defaultdict
from typing import Dict, Iterator, List, Optional

import pytest
import requests
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD
from servers.ntlm_fixture import (  # noqa: F401
    NTLMRecord,
    NTLMServer,
    ntlm_server_fixture,
    split_handshakes,
)

from requests_dav import DAVSession
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.schemes import BasicScheme, DigestScheme, SchemeRegistry
from requests_dav.auth.schemes.spnego import NegotiateScheme, NTLMScheme
from requests_dav.transport.adapter import AuthAdapter, auth_result

pytest.importorskip("spnego", reason="pyspnego is not installed (requests-dav[spnego])")


def registry() -> SchemeRegistry:
    return SchemeRegistry([BasicScheme, DigestScheme, NTLMScheme, NegotiateScheme])


def session_for(store: Credentials, **kwargs: object) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(store, registry=registry(), **kwargs)  # type: ignore[arg-type]
    session.mount("http://", adapter)
    return session


def alice_store(server: NTLMServer) -> Credentials:
    store = Credentials()
    store.add(server.base_url + "/", ALICE, ALICE_PASSWORD)
    return store


def handshake_legs(records: List[NTLMRecord]) -> Dict[int, List[Optional[int]]]:
    """NTLM legs (1, 3) by connection id."""
    legs: Dict[int, List[Optional[int]]] = defaultdict(list)
    for record in records:
        if record.leg is not None:
            legs[record.conn].append(record.leg)
    return legs


@pytest.mark.parametrize("share", ["ntlm", "negotiate", "any"])
def test_get_authenticates_with_every_leg_on_one_connection(
    ntlm_server: NTLMServer, share: str
) -> None:
    with session_for(alice_store(ntlm_server)) as session:
        mark = ntlm_server.mark()
        response = session.get(ntlm_server.url(share, "a.txt"))
        assert response.status_code == 200, response.text
        assert response.json()["user"] == ALICE
        result = auth_result(response)
        assert result is not None and result.outcome == "ok" and result.connection_bound
        assert result.credential is not None and result.credential.username == ALICE
        records = ntlm_server.records_since(mark, at_least=3)
    assert [r.status for r in records] == [401, 401, 200]
    # the unauthenticated first request may go anywhere; from the type 1 on, one connection
    assert len({r.conn for r in records[1:]}) == 1
    assert records[-1].conn == int(response.headers["X-Connection-Id"])


@pytest.mark.parametrize("expect", [True, False], ids=["expect", "no-expect"])
@pytest.mark.parametrize("share", ["ntlm", "negotiate"])
def test_generator_put_is_byte_identical_on_the_legs_of_one_connection(
    ntlm_server: NTLMServer, share: str, expect: bool
) -> None:
    """The body is replayed byte-identical from the buffer; the first token (NTLM's type 1,
    bare or inside SPNEGO), which can only draw a challenge, goes with an empty body. With
    Expect the first 401 comes before the body is sent at all."""
    data = os.urandom(300_000)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 8192):
            yield data[i : i + 8192]

    digest = hashlib.sha256(data).hexdigest()
    with session_for(alice_store(ntlm_server), expect_continue=None if expect else False) as s:
        mark = ntlm_server.mark()
        response = s.put(ntlm_server.url(share, "up.bin"), data=chunks())
        assert response.status_code == 201, response.text
        assert response.json()["body_sha256"] == digest
        records = ntlm_server.records_since(mark, at_least=3)
    assert [r.status for r in records] == [401, 401, 201]
    assert len({r.conn for r in records[1:]}) == 1
    assert records[1].auth_scheme is not None and records[1].body_length == 0
    with_body = [records[2]] if expect else [records[0], records[2]]
    assert all(r.body_sha256 == digest and r.body_length == len(data) for r in with_body)
    if expect:
        assert records[0].body_length == 0


@pytest.mark.parametrize("share", ["ntlm", "negotiate"])
def test_large_stream_goes_once_expect_then_type1_without_body(
    ntlm_server: NTLMServer, share: str
) -> None:
    """A generator over the replay limit: the server answers the Expect head with 401 (IIS),
    type 1 goes without the body, and the body is pulled once, for the last leg."""
    data = os.urandom(2 * 1024 * 1024)
    pulled: List[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 65536):
            pulled.append(i)
            yield data[i : i + 65536]

    with session_for(alice_store(ntlm_server), max_replay_bytes=65536) as session:
        mark = ntlm_server.mark()
        response = session.put(ntlm_server.url(share, "large.bin"), data=chunks())
        assert response.status_code == 201, response.text
        records = ntlm_server.records_since(mark, at_least=3)
    assert response.json()["body_sha256"] == hashlib.sha256(data).hexdigest()
    assert len(pulled) == len(data) // 65536  # every chunk pulled exactly once
    assert [(r.status, r.body_length) for r in records] == [(401, 0), (401, 0), (201, len(data))]
    wire_scheme = {"ntlm": "NTLM", "negotiate": "Negotiate"}[share]
    assert [r.auth_scheme for r in records] == [None, wire_scheme, wire_scheme]


def test_same_credential_reuses_the_authenticated_connection_without_credentials(
    ntlm_server: NTLMServer,
) -> None:
    with session_for(alice_store(ntlm_server)) as session:
        first = session.get(ntlm_server.url("ntlm", "1"))
        assert first.status_code == 200
        conn = int(first.headers["X-Connection-Id"])
        mark = ntlm_server.mark()
        for name in ("2", "3"):
            again = session.get(ntlm_server.url("ntlm", name))
            assert again.status_code == 200 and not again.history
            result = auth_result(again)
            assert result is not None and result.outcome == "no-challenge"
        put = session.put(ntlm_server.url("ntlm", "4"), data=b"x" * 1000)
        assert put.status_code == 201 and not put.history
        records = ntlm_server.records_since(mark, at_least=3)
    assert [(r.conn, r.status, r.auth_scheme) for r in records] == [
        (conn, 200, None),
        (conn, 200, None),
        (conn, 201, None),
    ]


def test_other_credentials_never_ride_the_authenticated_connection(
    ntlm_server: NTLMServer,
) -> None:
    store = alice_store(ntlm_server)
    store.add(ntlm_server.base_url + "/any/bob/", BOB, BOB_PASSWORD)
    with session_for(store) as session:
        alice = session.get(ntlm_server.url("ntlm", "a"))
        assert alice.status_code == 200 and alice.json()["user"] == ALICE
        alice_conn = alice.json()["conn"]
        mark = ntlm_server.mark()
        bob = session.get(ntlm_server.url("any", "bob/b"))
        assert bob.status_code == 200, bob.text
        assert bob.json()["user"] == BOB and bob.json()["conn"] != alice_conn
        # alice again: her own connection, still hers
        again = session.get(ntlm_server.url("ntlm", "c"))
        assert again.json() == {**again.json(), "user": ALICE, "conn": alice_conn}
        assert not again.history
        records = ntlm_server.records_since(mark, at_least=4)
    assert all(r.conn != alice_conn for r in records if r.path.startswith("/any/"))
    # an adapter without credentials for that origin never sees it either
    with session_for(Credentials()) as anonymous:
        response = anonymous.get(ntlm_server.url("ntlm", "a"))
        assert response.status_code == 401
        assert int(response.headers["X-Connection-Id"]) != alice_conn


def test_eight_threads_share_one_session_no_handshake_split(ntlm_server: NTLMServer) -> None:
    errors: List[BaseException] = []
    statuses: List[int] = []
    with session_for(alice_store(ntlm_server)) as session:
        mark = ntlm_server.mark()

        def work(n: int) -> None:
            try:
                for i in range(3):
                    body = os.urandom(5000) if i == 1 else None
                    method = "PUT" if body is not None else "GET"
                    url = ntlm_server.url("ntlm", f"t{n}-{i}")
                    response = session.request(method, url, data=body)
                    statuses.append(response.status_code)
                    if body is not None:
                        sha = hashlib.sha256(body).hexdigest()
                        assert response.json()["body_sha256"] == sha
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        records = ntlm_server.records_since(mark, at_least=24)
    assert not errors, errors
    assert len(statuses) == 24 and all(s in (200, 201) for s in statuses), statuses
    # every type 1 is followed on the same connection by its accepted type 3
    assert split_handshakes(records) == []
    assert [r for r in records if r.leg == 1]  # there were handshakes to split


def test_wrong_password_returns_the_401_after_one_handshake(ntlm_server: NTLMServer) -> None:
    store = Credentials()
    store.add(ntlm_server.base_url + "/", ALICE, "wrong")
    with session_for(store) as session:
        mark = ntlm_server.mark()
        response = session.get(ntlm_server.url("ntlm", "a"))
        assert response.status_code == 401
        result = auth_result(response)
        assert result is not None and result.outcome == "refused"
        records = ntlm_server.records_since(mark, at_least=3)
    assert [(r.status, r.leg) for r in records] == [(401, None), (401, 1), (401, 3)]
    assert len({r.conn for r in records[1:]}) == 1


def test_dav_session_authenticates_and_reuses(ntlm_server: NTLMServer) -> None:
    data = os.urandom(100_000)
    with DAVSession(
        ntlm_server.base_url + "/ntlm/", (ALICE, ALICE_PASSWORD), registry=registry()
    ) as dav:
        dav.trust_env = False
        response = dav.put("file.bin", data=iter([data[:50_000], data[50_000:]]))
        assert response.status_code == 201
        assert response.json()["body_sha256"] == hashlib.sha256(data).hexdigest()
        conn = response.json()["conn"]
        again = dav.get("other")
        assert again.status_code == 200 and not again.history
        assert again.json()["conn"] == conn


def test_close_drops_the_authenticated_connections(ntlm_server: NTLMServer) -> None:
    session = session_for(alice_store(ntlm_server))
    first = session.get(ntlm_server.url("ntlm", "a"))
    assert first.status_code == 200
    session.close()
    mark = ntlm_server.mark()
    second = session.get(ntlm_server.url("ntlm", "b"))
    assert second.status_code == 200 and len(second.history) == 2
    assert second.json()["conn"] != first.json()["conn"]
    assert [r.status for r in ntlm_server.records_since(mark, at_least=3)] == [401, 401, 200]
    session.close()


def test_forgotten_credential_never_uses_the_authenticated_connection(
    ntlm_server: NTLMServer,
) -> None:
    store = alice_store(ntlm_server)
    with session_for(store) as session:
        first = session.get(ntlm_server.url("ntlm", "a"))
        assert first.status_code == 200
        store.forget(ntlm_server.base_url + "/")
        after = session.get(ntlm_server.url("ntlm", "b"))
        assert after.status_code == 401
        assert int(after.headers["X-Connection-Id"]) != first.json()["conn"]


def test_forgetting_closes_the_authenticated_connection(ntlm_server: NTLMServer) -> None:
    """P5: the same credentials added back authenticate a new connection (equal credentials
    would otherwise match the old one)."""
    store = alice_store(ntlm_server)
    with session_for(store) as session:
        first = session.get(ntlm_server.url("ntlm", "a"))
        assert first.status_code == 200
        for forget in (lambda: store.forget(ntlm_server.base_url + "/ntlm"), store.clear):
            forget()
            store.add(ntlm_server.base_url + "/", ALICE, ALICE_PASSWORD)
            again = session.get(ntlm_server.url("ntlm", "b"))
            assert again.status_code == 200 and len(again.history) == 2
            assert again.json()["conn"] != first.json()["conn"]
            first = again


def test_auth_hook_leaves_connection_bound_schemes_out(ntlm_server: NTLMServer) -> None:
    """``auth=`` cannot pin a connection: an NTLM-only server is not attempted from a hook."""
    from requests_dav import HTTPAuth

    with requests.Session() as session:
        session.trust_env = False
        mark = ntlm_server.mark()
        response = session.get(ntlm_server.url("any", "x"), auth=HTTPAuth(ALICE, ALICE_PASSWORD))
        records = ntlm_server.records_since(mark, at_least=1)
    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "unsupported"
    assert [r.auth_scheme for r in records] == [None]


def test_json_payload_is_the_servers(ntlm_server: NTLMServer) -> None:
    with session_for(alice_store(ntlm_server)) as session:
        response = session.get(ntlm_server.url("negotiate", "x"))
        assert json.loads(response.content)["user"] == ALICE


def test_connection_lost_mid_handshake_starts_over_once_then_returns_the_401(
    ntlm_server: NTLMServer,
) -> None:
    """P2: the type 3 never goes on another connection than its type 1; the handshake starts
    over once on a fresh connection, and when that one is cut too the caller gets the 401."""
    with session_for(alice_store(ntlm_server)) as session:
        mark = ntlm_server.mark()
        response = session.put(ntlm_server.url("ntlmclose", "a"), data=iter([b"ab", b"cd"]))
        assert response.status_code == 401 and len(response.history) == 3
        result = auth_result(response)
        assert result is not None and result.outcome == "connection-lost"
        records = ntlm_server.records_since(mark, at_least=4)
    assert [(r.status, r.leg) for r in records] == [(401, None), (401, 1)] * 2
    # each handshake on its own connection, and the body went whole every time
    assert records[1].conn != records[3].conn
    # the first head waited for 100 Continue and got the 401; type 1 legs go without the body;
    # the second bare request goes on the pinned connection, where nothing waits for 100
    assert [r.body_length for r in records] == [0, 0, 4, 0]


def test_default_registry_has_ntlm_and_negotiate(ntlm_server: NTLMServer) -> None:
    """Installed with the entry points: a plain DAVSession authenticates, no registry given."""
    with DAVSession(ntlm_server.base_url + "/any/", (BOB, BOB_PASSWORD)) as dav:
        dav.trust_env = False
        response = dav.get("x")
        assert response.status_code == 200 and response.json()["user"] == BOB
        result = auth_result(response)
        assert result is not None and result.scheme == "negotiate" and result.connection_bound


def test_a_busy_authenticated_connection_raises_instead_of_hanging(
    ntlm_server: NTLMServer,
) -> None:
    from requests_dav.exceptions import BoundConnectionBusyError

    with session_for(alice_store(ntlm_server)) as session:
        adapter = session.get_adapter(ntlm_server.base_url + "/")
        assert isinstance(adapter, AuthAdapter)
        adapter.bound_connection_wait = 0.5
        held = session.get(ntlm_server.url("ntlm", "a.txt"), stream=True)
        assert held.status_code == 200
        # the authenticated connection is still busy with the unread streamed response
        with pytest.raises(BoundConnectionBusyError, match="stream=True"):
            session.get(ntlm_server.url("ntlm", "b.txt"))
        held.close()
        after = session.get(ntlm_server.url("ntlm", "b.txt"))
        assert after.status_code == 200 and after.json()["user"] == ALICE
