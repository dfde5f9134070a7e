"""``Expect: 100-continue`` against the real servers of the test bed (RFC 9110 section 10.1.1).

What each peer does with a request that carries ``Expect: 100-continue`` and
no credentials, as seen here:

* Apache (mod_auth_digest, mod_auth_basic) answers ``401`` at once: the body
  is never sent in the first attempt, so a generator far over
  ``max_replay_bytes`` is pulled exactly once, whole, and stored;
* WsgiDAV on cheroot sends ``100 Continue`` before WsgiDAV checks the
  credentials: the body goes out in the first attempt and the replay rules
  apply as without ``Expect`` (replayed from the buffer under the limit, the
  ``401`` handed back over it). With ``Content-Length`` WsgiDAV reads the
  whole body before its ``401``; a chunked body it does not read, and how
  much of it left before the client noticed varies from run to run;
* squid answers ``407`` at once to a plain-HTTP request: the body goes out
  once, after the proxy credentials.

Bytes are counted where they leave the client: a generator that counts what
is pulled from it (urllib3 sends every chunk it pulls).
"""

from __future__ import annotations

import hashlib
import tracemalloc
import uuid
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
from servers.apache import ApacheServer
from servers.common import ALICE, ALICE_PASSWORD, ServerBase
from servers.squid import SquidServer
from servers.wsgidav_server import WsgiDAVServer

from requests_dav.auth.credentials import Credentials
from requests_dav.transport.adapter import AuthAdapter, auth_result
from requests_dav.transport.expect import expect_result

MiB = 1 << 20
LIMIT = 64 * 1024


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


class CountingBody:
    """A generator body of ``size`` bytes that counts what is pulled and hashes what it made."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size = size
        self.chunk = chunk
        self.pulled = 0
        self.passes = 0
        self.digest = hashlib.sha256()
        self._block = bytes(range(256)) * (chunk // 256 + 1)

    def __call__(self) -> Iterator[bytes]:
        self.passes += 1
        for index, start in enumerate(range(0, self.size, self.chunk)):
            length = min(self.chunk, self.size - start)
            piece = (index.to_bytes(8, "big") + self._block[8:length])[:length]
            self.digest.update(piece)
            self.pulled += len(piece)
            yield piece

    def sized(self) -> _Sized:
        """The same body with a length: requests sends it with Content-Length."""
        return _Sized(self)


class _Sized:
    def __init__(self, body: CountingBody) -> None:
        self.body = body

    def __len__(self) -> int:
        return self.body.size

    def __iter__(self) -> Iterator[bytes]:
        return self.body()


def file_sha256(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while True:
            block = stream.read(MiB)
            if not block:
                return digest.hexdigest()
            digest.update(block)


def session_for(
    server: Optional[ServerBase] = None,
    *,
    proxies: Optional[Dict[str, str]] = None,
    proxy: Optional[SquidServer] = None,
    **kwargs: Any,
) -> requests.Session:
    credentials = Credentials()
    if server is not None:
        credentials.add(server.base_url + "/", ALICE, ALICE_PASSWORD)
        https = getattr(server, "https_base_url", None)
        if https is not None:
            credentials.add(https + "/", ALICE, ALICE_PASSWORD)
    if proxy is not None:
        credentials.add_proxy(proxy.proxy_url, ALICE, ALICE_PASSWORD)
    kwargs.setdefault("expect_continue", None)  # over max_replay_bytes or unknown length
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(credentials, **kwargs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if proxies is not None:
        session.proxies = proxies
    return session


def expect_outcomes(response: requests.Response) -> List[Optional[str]]:
    """The Expect outcome of every attempt, oldest first (None: sent without Expect)."""
    results = [expect_result(r) for r in [*response.history, response]]
    return [r.outcome if r is not None else None for r in results]


# -- Apache: 401 before the body ------------------------------------------------------------


@pytest.mark.needs_apache
@pytest.mark.parametrize("share", ["digest", "basic"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_apache_answers_before_the_body_so_it_is_sent_once(
    apache_server: ApacheServer, share: str, scheme: str
) -> None:
    body = CountingBody(4 * MiB)
    session = session_for(apache_server, max_replay_bytes=LIMIT)
    name = unique("expect-4mib.bin")
    url = (
        apache_server.url(share, name) if scheme == "http" else apache_server.https_url(share, name)
    )
    mark = apache_server.mark()

    response = session.put(url, data=body(), timeout=60, verify=apache_server.ca_cert)

    assert response.status_code in (201, 204), response.text
    assert [r.status_code for r in response.history] == [401]
    assert expect_outcomes(response) == ["final", "continue"]
    first = expect_result(response.history[0])
    assert first is not None and not first.body_sent and first.status == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "ok"
    # the whole body left the generator exactly once, although it is 64x the replay limit
    assert body.pulled == body.size and body.passes == 1
    stored = apache_server.root(share) / name
    assert file_sha256(stored) == body.digest.hexdigest()
    records = apache_server.requests_since(mark, at_least=2)
    assert [r.status for r in records] == [401, response.status_code]
    assert records[1].auth_scheme == share.capitalize()


@pytest.mark.needs_apache
def test_the_next_request_goes_straight_to_100(apache_server: ApacheServer) -> None:
    session = session_for(apache_server, max_replay_bytes=LIMIT)
    session.get(apache_server.url("digest", ""), timeout=30)  # learn the space
    body = CountingBody(2 * MiB)
    name = unique("expect-preemptive.bin")
    response = session.put(apache_server.url("digest", name), data=body(), timeout=60)
    assert response.status_code in (201, 204)
    assert response.history == []
    assert expect_outcomes(response) == ["continue"]
    assert body.pulled == body.size
    assert file_sha256(apache_server.root("digest") / name) == body.digest.hexdigest()


@pytest.mark.needs_apache
def test_without_expect_the_body_meets_the_401(apache_server: ApacheServer) -> None:
    """The contrast: ``expect_continue=False`` sends the body into the challenge."""
    body = CountingBody(4 * MiB)
    session = session_for(apache_server, max_replay_bytes=LIMIT, expect_continue=False)
    response = session.put(
        apache_server.url("digest", unique("no-expect.bin")), data=body(), timeout=60
    )
    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "not-replayable"
    assert body.pulled == body.size  # all 4 MiB went into the challenge, for nothing
    assert expect_outcomes(response) == [None]


@pytest.mark.needs_apache
def test_a_large_generator_upload_uses_memory_bounded_by_the_buffer(
    apache_server: ApacheServer,
) -> None:
    """64 MiB (the 1 GiB run is in benchmarks/bench_roundtrips.py --expect-bytes)."""
    body = CountingBody(64 * MiB)
    session = session_for(apache_server, max_replay_bytes=LIMIT)
    session.get(apache_server.url("open", ""), timeout=30)  # warm up imports and pools
    name = unique("expect-64mib.bin")
    tracemalloc.start()
    try:
        response = session.put(apache_server.url("digest", name), data=body(), timeout=120)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code in (201, 204), response.text
    assert expect_outcomes(response) == ["final", "continue"]
    assert body.pulled == body.size and body.passes == 1
    print(f"tracemalloc peak {peak} bytes for a {body.size}-byte generator body")
    assert peak < LIMIT + 512 * 1024, peak
    assert file_sha256(apache_server.root("digest") / name) == body.digest.hexdigest()


# -- WsgiDAV: 100 before the credentials are checked ----------------------------------------


def test_wsgidav_sends_100_so_a_known_length_body_meets_the_401(
    wsgidav_server: WsgiDAVServer,
) -> None:
    """Content-Length framing: WsgiDAV reads the whole body, then answers 401.

    Over the limit, as without Expect: the 401 comes back (``not-replayable``),
    the credentials cached, and the next attempt succeeds at once.
    """
    body = CountingBody(4 * MiB)
    session = session_for(wsgidav_server, max_replay_bytes=LIMIT)
    name = unique("expect-wsgidav.bin")
    url = wsgidav_server.url("digest", name)
    mark = wsgidav_server.mark()

    first = session.put(url, data=body.sized(), timeout=60)

    assert first.status_code == 401
    assert expect_outcomes(first) == ["continue"]  # cheroot said 100 before WsgiDAV said 401
    assert first.request.headers["Content-Length"] == str(body.size)
    result = auth_result(first)
    assert result is not None and result.outcome == "not-replayable"
    assert body.pulled == body.size  # the whole body went out in the first attempt
    assert not (wsgidav_server.root("digest") / name).exists()

    again = CountingBody(4 * MiB)
    second = session.put(url, data=again.sized(), timeout=60)
    assert second.status_code in (201, 204)
    assert second.history == [] and expect_outcomes(second) == ["continue"]
    assert again.pulled == again.size
    assert file_sha256(wsgidav_server.root("digest") / name) == again.digest.hexdigest()
    records = wsgidav_server.requests_since(mark, at_least=2)
    assert [r.status for r in records] == [401, second.status_code]


def test_wsgidav_chunked_body_follows_the_replay_rules(wsgidav_server: WsgiDAVServer) -> None:
    """Chunked: after its 100, WsgiDAV answers 401 without reading the chunks and hangs up.

    How much of the body left before the client noticed depends on timing, so
    both outcomes of the replay rules are accepted: the first pass stopped
    within the limit and was replayed from the buffer (one pass over the
    generator, stored), or it went past the limit and the 401 came back with
    the credentials cached (``not-replayable``). Never a short or empty file.
    """
    body = CountingBody(4 * MiB)
    session = session_for(wsgidav_server, max_replay_bytes=LIMIT)
    name = unique("expect-wsgidav-chunked.bin")
    url = wsgidav_server.url("digest", name)
    response = session.put(url, data=body(), timeout=60)
    assert expect_outcomes(response)[0] == "continue"
    result = auth_result(response)
    assert result is not None
    stored = wsgidav_server.root("digest") / name
    if result.outcome == "ok":
        assert response.status_code in (201, 204)
        assert [r.status_code for r in response.history] == [401]
        assert body.pulled == body.size and body.passes == 1
        assert file_sha256(stored) == body.digest.hexdigest()
    else:
        assert result.outcome == "not-replayable" and response.status_code == 401
        assert result.body_error is not None and result.body_error.bytes_sent > LIMIT
        assert not stored.exists()
        again = CountingBody(4 * MiB)
        second = session.put(url, data=again(), timeout=60)
        assert second.status_code in (201, 204) and second.history == []
        assert file_sha256(stored) == again.digest.hexdigest()


def test_wsgidav_under_the_limit_replays_from_the_buffer(wsgidav_server: WsgiDAVServer) -> None:
    body = CountingBody(48 * 1024, chunk=8192)
    session = session_for(wsgidav_server, max_replay_bytes=LIMIT, expect_continue=True)
    name = unique("expect-wsgidav-small.bin")
    response = session.put(wsgidav_server.url("digest", name), data=body(), timeout=30)
    assert response.status_code in (201, 204)
    assert expect_outcomes(response) == ["continue", "continue"]
    assert body.pulled == body.size  # the second pass came from the replay buffer
    assert file_sha256(wsgidav_server.root("digest") / name) == body.digest.hexdigest()


# -- squid: 407 before the body -------------------------------------------------------------


@pytest.mark.needs_squid
def test_squid_answers_407_before_the_body(
    squid_digest: SquidServer, apache_server: ApacheServer
) -> None:
    """A plain-HTTP target through squid: 407 at once, then the body once."""
    body = CountingBody(4 * MiB)
    session = session_for(
        apache_server,
        proxy=squid_digest,
        proxies=squid_digest.proxies(),
        max_replay_bytes=LIMIT,
    )
    name = unique("expect-squid.bin")
    mark = squid_digest.mark()
    response = session.put(apache_server.url("digest", name), data=body(), timeout=60)
    assert response.status_code in (201, 204), response.text
    statuses = [r.status_code for r in response.history]
    assert statuses[0] == 407
    first = expect_result(response.history[0])
    assert first is not None and not first.body_sent
    assert body.pulled == body.size and body.passes == 1
    assert file_sha256(apache_server.root("digest") / name) == body.digest.hexdigest()
    print("statuses:", statuses, "expect:", expect_outcomes(response))
    records = squid_digest.requests_since(mark, at_least=len(statuses) + 1)
    assert [r.status for r in records][: len(statuses) + 1] == [*statuses, response.status_code]


@pytest.mark.needs_squid
def test_https_through_the_tunnel_waits_for_100(
    squid_digest: SquidServer, apache_server: ApacheServer
) -> None:
    """HTTPS via CONNECT: the tunnel's connection class honours Expect too."""
    body = CountingBody(4 * MiB)
    session = session_for(
        apache_server,
        proxy=squid_digest,
        proxies=squid_digest.proxies(),
        max_replay_bytes=LIMIT,
    )
    name = unique("expect-tunnel.bin")
    response = session.put(
        apache_server.https_url("digest", name),
        data=body(),
        timeout=60,
        verify=apache_server.ca_cert,
    )
    assert response.status_code in (201, 204), response.text
    assert [r.status_code for r in response.history] == [401]
    assert expect_outcomes(response) == ["final", "continue"]
    assert body.pulled == body.size and body.passes == 1
    assert file_sha256(apache_server.root("digest") / name) == body.digest.hexdigest()
