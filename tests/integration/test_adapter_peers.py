"""Servers that answer 401 before reading a large body: nginx and rclone (issue 4, behaviour 6).

nginx answers 401 to an unauthenticated multi-MiB PUT and discards the rest; rclone (Go's
net/http) answers 401 and closes (``Connection: close``). Through AuthAdapter both must yield
the 401 to the flow (no ConnectionError), the authorized retry must go out on a fresh
connection (urllib3 logs one new or reset connection per attempt), and the bytes must arrive
whole. A body over the replay limit gets the 401 back, and the next request is preemptive.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from typing import Any, Iterator, List

import pytest
import requests
from servers.apache import ApacheServer
from servers.common import ALICE, ALICE_PASSWORD, ServerBase
from servers.squid import SquidServer

from requests_dav.auth.credentials import Credentials
from requests_dav.transport.adapter import AuthAdapter, auth_result

BIG = 3 * 1024 * 1024 + 11


@pytest.fixture(params=["nginx", "rclone"])
def peer(request: pytest.FixtureRequest) -> ServerBase:
    result: ServerBase = request.getfixturevalue(f"{request.param}_server")
    return result


def base_of(server: Any) -> str:
    return str(server.base_url_of("basic") if hasattr(server, "base_url_of") else server.base_url)


def session_for(server: ServerBase, **kwargs: Any) -> requests.Session:
    credentials = Credentials()
    credentials.add(base_of(server) + "/", ALICE, ALICE_PASSWORD)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials, **kwargs))
    return session


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


def connections_opened(caplog: pytest.LogCaptureFixture) -> List[str]:
    """urllib3's record of every connection it opened or re-opened."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "urllib3.connectionpool"
        and (
            record.getMessage().startswith("Starting new HTTP connection")
            or record.getMessage().startswith("Resetting dropped connection")
        )
    ]


@pytest.mark.parametrize("kind", ["bytes", "generator"])
def test_early_401_is_answered_on_a_fresh_connection(
    peer: ServerBase, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    data = os.urandom(BIG)
    body = data if kind == "bytes" else chunks(data)
    session = session_for(peer, max_replay_bytes=4 * 1024 * 1024)
    name = unique(f"early-{kind}.bin")
    response = session.put(peer.url("basic", name), data=body, timeout=60)
    assert response.status_code in (201, 204), response.text
    assert [r.status_code for r in response.history] == [401]
    assert response.history[0].headers.get("WWW-Authenticate", "").startswith("Basic")
    assert len(connections_opened(caplog)) == 2  # the retry did not reuse the first connection
    assert (peer.root("basic") / name).read_bytes() == data


def test_over_limit_on_an_early_answering_server(
    peer: ServerBase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    data = os.urandom(BIG)
    # without Expect: with it nginx and rclone answer before the body (see test_expect.py)
    session = session_for(peer, max_replay_bytes=256 * 1024, expect_continue=False)
    name = unique("early-over-limit.bin")
    first = session.put(peer.url("basic", name), data=chunks(data), timeout=60)
    assert first.status_code == 401
    result = auth_result(first)
    assert result is not None and result.outcome == "not-replayable"
    assert not (peer.root("basic") / name).exists()
    second = session.put(peer.url("basic", name), data=chunks(data), timeout=60)
    assert second.status_code in (201, 204) and second.history == []
    assert (peer.root("basic") / name).read_bytes() == data
    assert len(connections_opened(caplog)) == 2  # the refused upload's connection was dropped


def test_nginx_counts_one_challenge(nginx_server: ServerBase) -> None:
    session = session_for(nginx_server)
    mark = nginx_server.mark()
    for i in range(3):
        response = session.put(nginx_server.url("basic", unique(f"{i}.bin")), data=os.urandom(BIG))
        assert response.status_code in (201, 204)
    records = nginx_server.requests_since(mark, at_least=4)
    assert [r.status for r in records].count(401) == 1 and len(records) == 4


@pytest.mark.needs_squid
def test_a_callers_proxy_authorization_goes_as_it_is(
    squid_basic: SquidServer, apache_server: ApacheServer
) -> None:
    """Issue 12: the caller's own Proxy-Authorization wins; its 407 reaches the caller."""
    store = Credentials()
    store.add_proxy(squid_basic.proxy_url, ALICE, ALICE_PASSWORD)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(store))
    wrong = "Basic " + base64.b64encode(f"{ALICE}:not-the-password".encode()).decode()
    mark = squid_basic.mark()
    response = session.get(
        apache_server.url("open"),
        proxies=squid_basic.proxies(),
        headers={"Proxy-Authorization": wrong},
        timeout=10,
    )
    assert response.status_code == 407
    records = squid_basic.requests_since(mark, at_least=1)
    assert [(r.status, r.authorization) for r in records] == [(407, wrong)]
    answered = AuthAdapter(store, replace_caller_auth=True)
    session.mount("http://", answered)
    response = session.get(
        apache_server.url("open"),
        proxies=squid_basic.proxies(),
        headers={"Proxy-Authorization": wrong},
        timeout=10,
    )
    assert response.status_code == 200
