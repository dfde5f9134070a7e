"""Strict nonce counts under concurrency (issue 11, point 8; RFC 7616 section 3.4).

Apache's ``AuthDigestNcCheck On`` (the bed's ``/digest-nc/``) accepts a nonce count only when
it is exactly the next one for that nonce. Eight threads sharing one adapter would send counts
out of order; the Digest authenticator notices the first such refusal (a fresh, non-stale nonce
after a count above 1), then checks nonces out exclusively, one request per nonce at a time.
Valid credentials never fail. On the wire: the first challenge, then one refused request for
each request that was already out sharing the first nonce when the server showed it checks
counts, and one challenge per nonce drawn for the pool; the pool spends at most one request per
thread on both together (it waits for a nonce another thread gives back instead of drawing
one more), so N requests from T threads cost at most N + T + 1. On a server that does not
check counts (``/digest/``) the cost stays N + 1.
"""

from __future__ import annotations

import threading
from typing import Dict, List

import pytest
import requests
from servers.common import ALICE, ALICE_PASSWORD, ServerBase

from requests_dav import AuthAdapter, Credentials, auth_result

THREADS = 8
PER_THREAD = 25


def hammer(server: ServerBase, share: str) -> List[str]:
    credentials = Credentials()
    credentials.add(server.base_url + "/", ALICE, ALICE_PASSWORD)
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(credentials, pool_maxsize=THREADS)
    session.mount("http://", adapter)
    url = server.url(share)
    failures: List[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(PER_THREAD):
            try:
                response = session.get(url)
            except Exception as exc:  # collected: the assertion names it
                with lock:
                    failures.append(repr(exc))
                continue
            if response.status_code != 200:
                result = auth_result(response)
                with lock:
                    failures.append(f"{response.status_code} {result}")

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    session.close()
    return failures


@pytest.mark.needs_apache
def test_eight_threads_on_a_count_checking_server_never_fail(apache_server: ServerBase) -> None:
    mark = apache_server.mark()
    failures = hammer(apache_server, "digest-nc")
    total = THREADS * PER_THREAD
    assert failures == []
    records = apache_server.requests_since(mark, at_least=total)
    ok = [r for r in records if r.status == 200]
    assert len(ok) == total
    assert len(records) <= total + THREADS + 1, len(records)
    counts: Dict[str, List[int]] = {}
    for record in ok:
        auth = record.authorization or ""
        nonce = auth.split('nonce="', 1)[1].split('"', 1)[0]
        nc = int(auth.split("nc=", 1)[1].split(",", 1)[0], 16)
        counts.setdefault(nonce, []).append(nc)
    for seen in counts.values():  # no count accepted twice (the log is in completion order)
        assert len(set(seen)) == len(seen), seen


@pytest.mark.needs_apache
def test_a_server_that_does_not_check_counts_costs_one_challenge(
    apache_server: ServerBase,
) -> None:
    mark = apache_server.mark()
    failures = hammer(apache_server, "digest")
    total = THREADS * PER_THREAD
    assert failures == []
    records = apache_server.requests_since(mark, at_least=total + 1)
    assert len(records) == total + 1, [r.status for r in records]
