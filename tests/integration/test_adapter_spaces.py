"""Protection spaces and round trips through AuthAdapter (issue 4, behaviours 3 and 4).

Counted in the servers' own request records (Apache's access log, WsgiDAV's recorder):

* N sequential requests into one protection space cost N+1 requests on the wire (one 401);
* 8 threads sharing one session cost one challenge for the space, not one per thread (the
  negotiator's single flight);
* Apache's ``AuthDigestNcCheck On`` location sees strictly increasing nonce counts and rejects
  nothing;
* a second path of the same space costs no challenge: Digest ``domain`` (Apache's ``/digest/``
  and ``/digest-also/``) and Basic's parent path (RFC 7617 section 2.2);
* ``stale=true`` and ``nextnonce`` (Apache's short-nonce location) never let a failed request
  reach the caller, and ``rspauth`` is verified on every Apache Digest success (the scheme's
  verification is counted; a tampered proof is a unit test in test_adapter_unit.py).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any, Dict, List

import pytest
import requests
from servers.common import ALICE, ALICE_PASSWORD, RequestRecord, ServerBase

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.schemes.digest import DigestScheme
from requests_dav.transport.adapter import AuthAdapter, auth_result

N = 5
THREADS = 8
PER_THREAD = 3


def session_for(server: ServerBase, **kwargs: Any) -> requests.Session:
    credentials = Credentials()
    credentials.add(server.base_url + "/", ALICE, ALICE_PASSWORD)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials, **kwargs))
    return session


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


def param(record: RequestRecord, name: str) -> str:
    match = re.search(rf'\b{name}="?([^",\s]+)"?', record.authorization or "")
    assert match is not None, f"no {name} in {record.authorization!r}"
    return match.group(1)


@pytest.fixture(params=["apache", "wsgidav"])
def server(request: pytest.FixtureRequest) -> ServerBase:
    fixture = {"apache": "apache_server", "wsgidav": "wsgidav_server"}[request.param]
    result: ServerBase = request.getfixturevalue(fixture)
    return result


@pytest.fixture
def rspauth_checks(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Every rspauth the Digest scheme verified (the verification itself still runs)."""
    checked: List[str] = []
    original = DigestScheme._verify

    def counting(self: DigestScheme, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        checked.append(str(args[1].get("rspauth")))  # passed: _verify raises on a mismatch
        return result

    monkeypatch.setattr(DigestScheme, "_verify", counting)
    return checked


def statuses(records: List[RequestRecord]) -> List[int]:
    return [record.status for record in records]


# -- N requests, N+1 on the wire ----------------------------------------------------------------


@pytest.mark.parametrize("share", ["basic", "digest"])
def test_sequential_requests_cost_one_challenge(
    server: ServerBase, share: str, rspauth_checks: List[str]
) -> None:
    session = session_for(server)
    mark = server.mark()
    for i in range(N):
        response = session.put(server.url(share, unique(f"{i}.txt")), data=b"x" * i, timeout=30)
        assert response.status_code in (201, 204)
    records = server.requests_since(mark, at_least=N + 1)
    assert len(records) == N + 1
    assert statuses(records).count(401) == 1 and records[0].status == 401
    assert all(r.auth_scheme is not None for r in records[1:])
    if share == "digest" and server.name == "apache":
        assert len(rspauth_checks) == N  # Apache proves itself on every success


@pytest.mark.parametrize("share", ["basic", "digest"])
def test_eight_threads_share_one_challenge(server: ServerBase, share: str) -> None:
    session = session_for(server, pool_maxsize=THREADS)
    mark = server.mark()
    failures: List[str] = []
    barrier = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        try:
            barrier.wait(10)
            for i in range(PER_THREAD):
                url = server.url(share, unique(f"t{worker}-{i}.txt"))
                response = session.put(url, data=b"thread %d" % worker, timeout=30)
                if response.status_code not in (201, 204):
                    failures.append(f"{url}: {response.status_code}")
        except Exception as exc:  # reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    total = THREADS * PER_THREAD
    records = server.requests_since(mark, at_least=total + 1)
    assert len(records) == total + 1, statuses(records)
    assert statuses(records).count(401) == 1


def test_nc_check_location_sees_increasing_nonce_counts(
    apache_server: ServerBase, rspauth_checks: List[str]
) -> None:
    session = session_for(apache_server)
    mark = apache_server.mark()
    for i in range(N):
        response = session.put(apache_server.url("digest-nc", unique(f"{i}.txt")), data=b"nc")
        assert response.status_code in (201, 204)
        assert auth_result(response) is not None
    records = apache_server.requests_since(mark, at_least=N + 1)
    assert statuses(records)[0] == 401
    assert statuses(records).count(401) == 1  # no request rejected
    authorized = records[1:]
    by_nonce: Dict[str, List[int]] = {}
    for record in authorized:
        by_nonce.setdefault(param(record, "nonce"), []).append(int(param(record, "nc"), 16))
    for counts in by_nonce.values():
        assert counts == sorted(set(counts)), counts  # strictly increasing per nonce
    assert len(rspauth_checks) == N


# -- a second path of the same space ----------------------------------------------------------


def test_digest_domain_covers_the_second_location(
    apache_server: ServerBase, rspauth_checks: List[str]
) -> None:
    session = session_for(apache_server)
    mark = apache_server.mark()
    first = session.put(apache_server.url("digest", unique("a.txt")), data=b"a")
    second = session.put(apache_server.url("digest-also", unique("b.txt")), data=b"b")
    assert first.status_code in (201, 204) and second.status_code in (201, 204)
    assert second.history == []
    records = apache_server.requests_since(mark, at_least=3)
    assert statuses(records) == [401, first.status_code, second.status_code]
    assert records[2].path.startswith("/digest-also/") and records[2].auth_scheme == "Digest"
    assert len(rspauth_checks) == 2


def test_basic_parent_path_covers_deeper_requests(server: ServerBase) -> None:
    session = session_for(server)
    folder = unique("sub")
    mark = server.mark()
    first = session.put(server.url("basic", unique("top.txt")), data=b"top")
    mkcol = session.request("MKCOL", server.url("basic", folder + "/"))
    deeper = session.put(server.url("basic", f"{folder}/deeper.txt"), data=b"deep")
    assert first.status_code in (201, 204)
    assert mkcol.status_code == 201 and deeper.status_code in (201, 204)
    records = server.requests_since(mark, at_least=4)
    assert statuses(records).count(401) == 1 and len(records) == 4
    assert (server.root("basic") / folder / "deeper.txt").read_bytes() == b"deep"


# -- stale, nextnonce, rspauth ------------------------------------------------------------------


def test_stale_nonce_is_renewed_without_failing(
    apache_server: Any, rspauth_checks: List[str]
) -> None:
    session = session_for(apache_server)
    share = "digest-short"
    first = session.put(apache_server.url(share, unique("1.txt")), data=b"1")
    assert first.status_code in (201, 204)
    time.sleep(apache_server.digest_short_lifetime + 1.5)  # every nonce we hold is now expired
    mark = apache_server.mark()
    second = session.put(apache_server.url(share, unique("2.txt")), data=b"2")
    assert second.status_code in (201, 204)
    records = apache_server.requests_since(mark, at_least=1)
    # the expired nonce went out preemptively, was answered with stale=true and renewed
    assert [r.status_code for r in second.history] == [401]
    assert "stale=true" in second.history[0].headers["WWW-Authenticate"].lower()
    # Apache logs a request after answering it, so the 401 and the retry (on another
    # connection, in another worker thread) may be logged in either order; the order on
    # the wire is response.history's
    assert sorted(statuses(records)) == sorted([401, second.status_code])
    assert all(record.auth_scheme == "Digest" for record in records)
    result = auth_result(second)
    assert result is not None and result.outcome == "ok"
    assert len(rspauth_checks) == 2


def test_nextnonce_keeps_requests_going_past_the_nonce_lifetime(
    apache_server: Any, rspauth_checks: List[str]
) -> None:
    session = session_for(apache_server)
    share = "digest-short"
    lifetime = apache_server.digest_short_lifetime
    mark = apache_server.mark()
    infos: List[str] = []
    started = time.monotonic()
    count = 0
    while True:
        response = session.put(apache_server.url(share, unique(f"{count}.txt")), data=b"n")
        assert response.status_code in (201, 204)
        infos.append(response.headers.get("Authentication-Info", ""))
        count += 1
        if time.monotonic() - started > lifetime + 1:
            break
        time.sleep(lifetime / 3)
    records = apache_server.requests_since(mark, at_least=count + 1)
    assert records[0].status == 401
    failed = [r for r in records[1:] if r.status == 401]
    assert all(r.status_code != 401 for r in response.history)
    assert all("nextnonce" in info for info in infos)
    # each request went out with the nextnonce the previous answer handed over
    nonces = [param(r, "nonce") for r in records[1:] if r.status != 401]
    handed = [re.search(r'nextnonce="([^"]+)"', info) for info in infos]
    assert nonces[1:] == [m.group(1) for m in handed[:-1] if m is not None][: len(nonces) - 1]
    assert failed == []
    assert len(rspauth_checks) == count
