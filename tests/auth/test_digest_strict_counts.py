"""Strict nonce counts under concurrency, in the sans-I/O core (issue 11, point 8).

Flows are interleaved by hand against the in-memory server of ``digest_server`` in its
Apache ``AuthDigestNcCheck On`` manner, so the order in which requests reach the server is
exact. Valid credentials never end in a refusal, the authenticator every flow shares is
kept, and once the space has shown it checks counts no two requests use one count at once.
"""

from __future__ import annotations

import random
import threading
from typing import Any, Generator, List, Optional

import pytest

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import FlowResult, Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse

from .digest_server import DigestServer, params_of

URL = "http://dav.example/files/a.txt"

Flow = Generator[AuthRequest, AuthResponse, FlowResult]


def negotiator() -> Negotiator:
    credentials = Credentials()
    credentials.add("http://dav.example/", "alice", "s3cret")
    return Negotiator(credentials)


def start(n: Negotiator) -> Stepper:
    return Stepper(n)


class Stepper:
    """One flow, advanced one request at a time."""

    def __init__(self, n: Negotiator) -> None:
        self.flow: Flow = n.auth_flow(AuthRequest(method="GET", url=URL, headers={}))
        self.outgoing: Optional[AuthRequest] = next(self.flow)
        self.result: Optional[FlowResult] = None
        self.sent: List[str] = []

    @property
    def authorization(self) -> str:
        assert self.outgoing is not None
        return self.outgoing.headers.get("Authorization", "")

    def answer(self, server: DigestServer) -> None:
        assert self.outgoing is not None
        self.sent.append(self.authorization)
        try:
            self.outgoing = self.flow.send(server(self.outgoing))
        except StopIteration as stop:
            self.outgoing = None
            self.result = stop.value

    def finish(self, server: DigestServer) -> FlowResult:
        while self.result is None:
            self.answer(server)
        return self.result


def test_out_of_order_counts_are_retried_and_the_shared_authenticator_is_kept() -> None:
    n = negotiator()
    server = DigestServer(strict=True)
    assert start(n).finish(server).outcome == "ok"  # 401, then nc=1
    shared = n.credentials.authenticator_for(URL)
    assert shared is not None
    flows = [start(n) for _ in range(3)]  # nc=2, 3, 4 of one nonce, all on the wire
    assert [params_of(f.authorization)["nc"] for f in flows] == ["00000002", "00000003", "00000004"]
    for flow in reversed(flows):  # they arrive out of order: all refused by count
        flow.answer(server)
    assert server.log[-3:] == [401, 401, 401]
    results = [flow.finish(server) for flow in flows]
    assert [r.outcome for r in results] == ["ok", "ok", "ok"]
    assert n.credentials.authenticator_for(URL) is shared


def test_once_strict_each_nonce_serves_one_request_at_a_time() -> None:
    n = negotiator()
    server = DigestServer(strict=True)
    start(n).finish(server)
    first, second = start(n), start(n)
    second.answer(server)  # nc=3 before nc=2: refused, the space checks counts
    first.answer(server)
    assert first.finish(server).outcome == "ok" and second.finish(server).outcome == "ok"
    # two requests at once now: never one counter for both
    a, b = start(n), start(n)
    counters = {params_of(f.authorization).get("opaque") for f in (a, b) if f.authorization}
    assert len(counters) == len([f for f in (a, b) if f.authorization])
    b.answer(server)
    a.answer(server)
    assert a.finish(server).outcome == "ok" and b.finish(server).outcome == "ok"
    refusals_with_credentials = [status for status in server.log[-4:] if status == 401]
    assert len(refusals_with_credentials) <= 1  # at most the challenge one of them drew


def test_no_free_nonce_means_no_credentials_and_a_challenge_of_its_own() -> None:
    n = negotiator()
    server = DigestServer(strict=True)
    start(n).finish(server)
    first, second = start(n), start(n)
    second.answer(server)
    first.answer(server)
    first.finish(server)
    second.finish(server)
    holders = [start(n) for _ in range(3)]  # more requests than nonces in the pool
    without = [h for h in holders if not h.authorization]
    assert without, "a request found no free nonce and went without credentials"
    for h in holders:
        assert h.finish(server).outcome == "ok"
    for h in holders:  # each drew or reused a nonce; none of them was refused
        assert not any(value and status == 401 for value, status in zip(h.sent, [0]))


def test_a_lenient_server_keeps_one_shared_nonce() -> None:
    n = negotiator()
    server = DigestServer(strict=False)
    start(n).finish(server)
    flows = [start(n) for _ in range(4)]
    nonces = {params_of(f.authorization)["nonce"] for f in flows}
    assert len(nonces) == 1
    for flow in reversed(flows):
        flow.answer(server)
    assert all(f.result is not None and f.result.outcome == "ok" for f in flows)
    assert server.log.count(401) == 1  # only the first challenge


def test_a_real_refusal_is_still_a_refusal() -> None:
    credentials = Credentials()
    credentials.add("http://dav.example/", "alice", "wrong")
    n = Negotiator(credentials)
    result = start(n).finish(DigestServer(strict=True))
    assert result.outcome == "refused"


class _ReorderingWire:
    """Carries the requests of several threads to ``server`` and answers them in a random
    order among those waiting, as concurrent connections do: counts arrive out of order."""

    def __init__(self, server: DigestServer, seed: int) -> None:
        self.server = server
        self.random = random.Random(seed)
        self.pending: List[List[Any]] = []  # [request, response or None]
        self.changed = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def exchange(self, request: AuthRequest) -> AuthResponse:
        slot: List[Any] = [request, None]
        with self.changed:
            self.pending.append(slot)
            self.changed.notify_all()
            while slot[1] is None:
                self.changed.wait()
        response: AuthResponse = slot[1]
        return response

    def _serve(self) -> None:
        while True:
            with self.changed:
                while not self.pending and not self.closed:
                    self.changed.wait()
                if self.closed:
                    return
                # let the other threads' requests join the queue before one is picked
                self.changed.wait(0.002)
                slot = self.pending.pop(self.random.randrange(len(self.pending)))
                slot[1] = self.server(slot[0])
                self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        self.thread.join(10)


@pytest.mark.parametrize("seed", range(6))
def test_threads_cost_at_most_n_plus_threads_plus_one_on_a_strict_server(seed: int) -> None:
    threads, per_thread = 6, 8
    n = negotiator()
    server = DigestServer(strict=True)
    wire = _ReorderingWire(server, seed)
    outcomes: List[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(per_thread):
            flow = n.auth_flow(AuthRequest(method="GET", url=URL, headers={}))
            outgoing = next(flow)
            while True:
                try:
                    outgoing = flow.send(wire.exchange(outgoing))
                except StopIteration as stop:
                    with lock:
                        outcomes.append(stop.value.outcome)
                    break

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    wire.close()
    total = threads * per_thread
    assert outcomes == ["ok"] * total
    assert server.log.count(200) == total
    assert len(server.log) <= total + threads + 1, server.log.count(401)
