"""The drop-in ``auth=`` objects against Apache and WsgiDAV (issue 4, auth= half of 1-3).

* ``requests.put(url, data=generator(), auth=DigestAuth(...))`` stores the right bytes (requests'
  own ``HTTPDigestAuth`` is shown storing an empty file for the same call);
* ``HTTPAuth`` replays bytes, seekable files and generators to Basic and Digest locations;
* ``BasicAuth`` is preemptive (one request on the wire) and UTF-8 (bob's non-ASCII password);
* one ``DigestAuth`` object shared by 8 threads costs one challenge for the space;
* over ``max_replay_bytes`` the caller gets the 401, and the next request is preemptive.
"""

from __future__ import annotations

import io
import random
import threading
import uuid
from typing import Any, Iterator, List

import pytest
import requests
from requests.auth import HTTPDigestAuth
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, ServerBase

from requests_dav.transport.adapter import auth_result
from requests_dav.transport.auth_base import BasicAuth, DigestAuth, HTTPAuth

SIZE = 200 * 1024 + 3


@pytest.fixture(autouse=True)
def _no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests.put() honours *_proxy variables: keep the test bed's 127.0.0.1 direct."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(params=["apache", "wsgidav"])
def server(request: pytest.FixtureRequest) -> ServerBase:
    fixture = {"apache": "apache_server", "wsgidav": "wsgidav_server"}[request.param]
    result: ServerBase = request.getfixturevalue(fixture)
    return result


def payload(size: int = SIZE, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def generator(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


def test_requests_put_with_digest_auth_stores_a_generator(server: ServerBase) -> None:
    data = payload()
    name = unique("digest-gen.bin")
    response = requests.put(
        server.url("digest", name),
        data=generator(data),
        auth=DigestAuth(ALICE, ALICE_PASSWORD),
        timeout=30,
    )
    assert response.status_code in (201, 204), response.text
    assert [r.status_code for r in response.history] == [401]
    assert (server.root("digest") / name).read_bytes() == data
    result = auth_result(response)
    assert result is not None and result.outcome == "ok" and result.scheme == "digest"


def test_requests_own_digest_auth_loses_the_generator(apache_server: ServerBase) -> None:
    """The bug the auth= objects exist for: the retry re-sends the exhausted generator."""
    data = payload()
    name = unique("requests-digest.bin")
    response = requests.put(
        apache_server.url("digest", name),
        data=generator(data),
        auth=HTTPDigestAuth(ALICE, ALICE_PASSWORD),
        timeout=30,
    )
    assert response.status_code in (201, 204)
    assert (apache_server.root("digest") / name).read_bytes() == b""  # silent data loss


@pytest.mark.parametrize("share", ["basic", "digest"])
@pytest.mark.parametrize("kind", ["bytes", "seekable-file", "generator"])
def test_http_auth_replays_every_body_kind(server: ServerBase, share: str, kind: str) -> None:
    data = payload(seed=len(kind))
    body: Any = {
        "bytes": data,
        "seekable-file": io.BytesIO(data),
        "generator": generator(data),
    }[kind]
    name = unique(f"{kind}.bin")
    session = requests.Session()
    session.trust_env = False
    session.auth = HTTPAuth(BOB, BOB_PASSWORD)
    response = session.put(server.url(share, name), data=body)
    assert response.status_code in (201, 204), response.text
    assert (server.root(share) / name).read_bytes() == data
    assert [r.status_code for r in response.history] == [401]


def test_basic_auth_is_preemptive_and_utf8(server: ServerBase) -> None:
    name = unique("preemptive.txt")
    mark = server.mark()
    auth = BasicAuth(BOB, BOB_PASSWORD)
    response = requests.put(server.url("basic", name), data=b"hi", auth=auth, timeout=30)
    assert response.status_code in (201, 204)
    assert response.history == []
    records = server.requests_since(mark, at_least=1)
    assert len(records) == 1 and records[0].auth_scheme == "Basic"
    assert records[0].user == BOB or records[0].user is None  # WsgiDAV records no user


def test_one_digest_auth_shared_by_eight_threads(server: ServerBase) -> None:
    auth = DigestAuth(ALICE, ALICE_PASSWORD)
    threads_count, per_thread = 8, 3
    failures: List[str] = []
    barrier = threading.Barrier(threads_count)
    mark = server.mark()

    def work(worker: int) -> None:
        session = requests.Session()
        session.trust_env = False
        try:
            barrier.wait(10)
            for i in range(per_thread):
                name = unique(f"shared-{worker}-{i}.txt")
                data = b"%d:%d" % (worker, i)
                response = session.put(server.url("digest", name), data=generator(data), auth=auth)
                if response.status_code not in (201, 204):
                    failures.append(f"{name}: {response.status_code}")
                elif (server.root("digest") / name).read_bytes() != data:
                    failures.append(f"{name}: wrong bytes stored")
        except Exception as exc:  # reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    total = threads_count * per_thread
    records = server.requests_since(mark, at_least=total + 1)
    assert len(records) == total + 1
    assert [r.status for r in records].count(401) == 1


def test_over_limit_with_auth_returns_401_then_preemptive(apache_server: ServerBase) -> None:
    limit = 32 * 1024
    data = payload(4 * limit, seed=3)
    auth = DigestAuth(ALICE, ALICE_PASSWORD, max_replay_bytes=limit)
    name = unique("auth-over-limit.bin")
    url = apache_server.url("digest", name)
    session = requests.Session()
    session.trust_env = False
    first = session.put(url, data=generator(data), auth=auth)
    assert first.status_code == 401
    result = auth_result(first)
    assert result is not None and result.outcome == "not-replayable"
    assert not (apache_server.root("digest") / name).exists()
    mark = apache_server.mark()
    second = session.put(url, data=generator(data), auth=auth)
    assert second.status_code in (201, 204) and second.history == []
    assert len(apache_server.requests_since(mark, at_least=1)) == 1
    assert (apache_server.root("digest") / name).read_bytes() == data


def test_wrong_password_returns_the_401_with_a_reason(server: ServerBase) -> None:
    response = requests.put(
        server.url("digest", unique("refused.txt")),
        data=b"x",
        auth=DigestAuth(ALICE, "not-the-password"),
        timeout=30,
    )
    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "refused"
    assert "not-the-password" not in repr(result)
