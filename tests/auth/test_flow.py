"""The negotiation flow (RFC 7235 sections 2.1, 2.2, 3.1, 3.2; PEP 268 replay).

The flow is driven here by a small in-memory "server" so that every rule can
be checked exactly: how many requests went out, which headers they carried,
what the flow returned.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from requests_dav.auth.body import ReplayableBody
from requests_dav.auth.challenge import Challenge
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.errors import MutualAuthenticationError
from requests_dav.auth.flow import FlowResult, Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes import SchemeRegistry
from requests_dav.auth.schemes.base import Authenticator, SchemeOptions
from requests_dav.auth.schemes.basic import BasicScheme
from requests_dav.auth.schemes.digest import DigestScheme
from requests_dav.auth.types import Credential

URL = "http://dav.example:8080/files/report.txt"
PROXY = "http://proxy.example:3128"

Handler = Callable[[AuthRequest], AuthResponse]


def drive(
    negotiator: Negotiator, request: AuthRequest, server: Handler
) -> Tuple[FlowResult, List[Dict[str, str]]]:
    """Run one flow against ``server``; return the result and the headers of each request sent."""
    sent: List[Dict[str, str]] = []
    flow = negotiator.auth_flow(request)
    outgoing = next(flow)
    while True:
        if outgoing.body is not None:
            b"".join(outgoing.body)
        sent.append(dict(outgoing.headers))
        response = server(outgoing)
        try:
            outgoing = flow.send(response)
        except StopIteration as stop:
            return stop.value, sent


def basic_value(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def basic_server(realm: str = "files", password: str = "s3cret") -> Handler:
    def handle(request: AuthRequest) -> AuthResponse:
        if request.headers.get("Authorization") == basic_value("alice", password):
            return AuthResponse(200)
        return AuthResponse(401, [("WWW-Authenticate", f'Basic realm="{realm}"')])

    return handle


def make(credentials: Optional[Credentials] = None, **kwargs: object) -> Negotiator:
    if credentials is None:
        credentials = Credentials()
        credentials.add("http://dav.example:8080/", "alice", "s3cret")
    return Negotiator(credentials, **kwargs)  # type: ignore[arg-type]


def request(
    url: str = URL, body: object = None, limit: int = 1024, proxy: Optional[str] = None
) -> AuthRequest:
    return AuthRequest(
        method="PUT" if body is not None else "GET",
        url=url,
        headers={},
        body=ReplayableBody.wrap(body, max_replay_bytes=limit),
        proxy=proxy,
    )


def test_no_challenge_and_no_credentials_is_one_round_trip() -> None:
    result, sent = drive(make(Credentials()), request(), lambda r: AuthResponse(200))
    assert result.outcome == "no-challenge"
    assert sent == [{}]


def test_basic_challenge_is_answered_and_the_space_is_learned() -> None:
    negotiator = make()
    result, sent = drive(negotiator, request(), basic_server())
    assert result.outcome == "ok" and result.scheme == "basic" and result.realm == "files"
    assert len(sent) == 2 and "Authorization" not in sent[0]
    # RFC 7617 2.2: the parent path of the request is now a known space
    result, sent = drive(
        negotiator, request("http://dav.example:8080/files/other.txt"), basic_server()
    )
    assert result.outcome == "ok" and len(sent) == 1
    assert sent[0]["Authorization"] == basic_value("alice", "s3cret")


def test_learned_space_is_not_used_outside_its_prefix() -> None:
    negotiator = make()
    drive(negotiator, request(), basic_server())
    _, sent = drive(negotiator, request("http://dav.example:8080/filesystem/x"), basic_server())
    assert "Authorization" not in sent[0]


def test_repeated_challenge_after_credentials_ends_the_flow() -> None:
    credentials = Credentials()
    credentials.add("http://dav.example:8080/", "alice", "wrong")
    result, sent = drive(make(credentials), request(), basic_server())
    assert result.outcome == "refused"
    assert len(sent) == 2
    assert "alice" in result.detail and "wrong" not in result.detail


def test_challenge_without_credentials_for_the_space() -> None:
    credentials = Credentials()
    credentials.add("http://dav.example:8080/other/", "alice", "s3cret")
    result, sent = drive(make(credentials), request(), basic_server())
    assert result.outcome == "no-credentials" and len(sent) == 1


def test_unknown_scheme_is_unsupported() -> None:
    def server(r: AuthRequest) -> AuthResponse:
        return AuthResponse(401, [("WWW-Authenticate", 'Mutual realm="x"')])

    result, sent = drive(make(), request(), server)
    assert result.outcome == "unsupported" and "mutual" in result.detail


def test_malformed_challenge_line_is_skipped_and_the_others_used() -> None:
    def server(r: AuthRequest) -> AuthResponse:
        if "Authorization" in r.headers:
            return AuthResponse(200)
        return AuthResponse(
            401,
            [
                ("WWW-Authenticate", 'Digest realm="unterminated'),
                ("WWW-Authenticate", 'Basic realm="files"'),
            ],
        )

    result, sent = drive(make(), request(), server)
    assert result.outcome == "ok" and result.scheme == "basic"
    assert len(result.parse_errors) == 1


def test_body_is_replayed_with_the_same_bytes() -> None:
    seen: List[bytes] = []

    def server(r: AuthRequest) -> AuthResponse:
        assert r.body is not None
        seen.append(b"".join(r.body))
        return basic_server()(r)

    negotiator = make()
    flow = negotiator.auth_flow(request(body=(c for c in [b"abc", b"def"])))
    outgoing = next(flow)
    first = server(outgoing)
    outgoing = flow.send(first)
    second = server(outgoing)
    with pytest.raises(StopIteration) as stop:
        flow.send(second)
    assert stop.value.value.outcome == "ok"
    assert seen == [b"abcdef", b"abcdef"]


def test_over_the_limit_ends_with_not_replayable_and_caches_credentials() -> None:
    negotiator = make()
    big = (bytes([i % 256]) * 100 for i in range(50))  # 5000 bytes, limit 1024
    result, sent = drive(negotiator, request(body=big, limit=1024), basic_server())
    assert result.outcome == "not-replayable" and len(sent) == 1
    assert result.body_error is not None and result.body_error.bytes_sent == 5000
    assert result.body_error.limit == 1024
    # the caller sends again: preemptive, one round trip
    result, sent = drive(negotiator, request(body=(b"x" for _ in range(3))), basic_server())
    assert result.outcome == "ok" and len(sent) == 1


def test_strongest_scheme_first() -> None:
    def server(r: AuthRequest) -> AuthResponse:
        if r.headers.get("Authorization", "").startswith("Digest "):
            return AuthResponse(200)
        return AuthResponse(
            401,
            [
                (
                    "WWW-Authenticate",
                    'Basic realm="files", Digest realm="files", nonce="abc", qop="auth"',
                )
            ],
        )

    result, sent = drive(make(), request(), server)
    assert result.scheme == "digest" and len(sent) == 2


def test_falls_back_to_the_next_scheme_when_the_strongest_is_refused() -> None:
    def server(r: AuthRequest) -> AuthResponse:
        if r.headers.get("Authorization") == basic_value("alice", "s3cret"):
            return AuthResponse(200)
        return AuthResponse(
            401,
            [
                ("WWW-Authenticate", 'Digest realm="files", nonce="abc", qop="auth"'),
                ("WWW-Authenticate", 'Basic realm="files"'),
            ],
        )

    result, sent = drive(make(), request(), server)
    assert result.outcome == "ok" and result.scheme == "basic"
    assert [h.get("Authorization", "").split(" ")[0] for h in sent] == ["", "Digest", "Basic"]


def test_no_silent_downgrade_after_a_stronger_scheme_succeeded() -> None:
    negotiator = make()
    state = {"digest_ok": True}

    def server(r: AuthRequest) -> AuthResponse:
        value = r.headers.get("Authorization", "")
        if value.startswith("Digest ") and state["digest_ok"]:
            return AuthResponse(200)
        if value.startswith("Basic "):
            return AuthResponse(200)
        return AuthResponse(
            401,
            [
                (
                    "WWW-Authenticate",
                    'Digest realm="files", nonce="n2", qop="auth", Basic realm="files"',
                )
            ],
        )

    assert drive(negotiator, request(), server)[0].scheme == "digest"
    state["digest_ok"] = False
    result, sent = drive(negotiator, request(), server)
    assert result.outcome == "refused"
    assert not any(h.get("Authorization", "").startswith("Basic") for h in sent)


def test_stale_nonce_is_retried_without_asking_again() -> None:
    asked: List[int] = []

    def password(url: str, realm: Optional[str], attempt: int) -> str:
        asked.append(attempt)
        return "s3cret"

    credentials = Credentials()
    credentials.add("http://dav.example:8080/", "alice", password)
    nonces = iter(["n1", "n2"])
    current = {"nonce": next(nonces)}

    def server(r: AuthRequest) -> AuthResponse:
        value = r.headers.get("Authorization", "")
        if f'nonce="{current["nonce"]}"' in value and current["nonce"] == "n2":
            return AuthResponse(200)
        stale = ", stale=true" if value else ""
        if value:
            current["nonce"] = next(nonces)
        return AuthResponse(
            401,
            [
                (
                    "WWW-Authenticate",
                    f'Digest realm="files", nonce="{current["nonce"]}", qop="auth"{stale}',
                )
            ],
        )

    result, sent = drive(make(credentials), request(), server)
    assert result.outcome == "ok" and len(sent) == 3
    assert asked == [1]


def test_callable_password_is_asked_again_after_a_refusal() -> None:
    answers = iter(["wrong", "s3cret"])
    asked: List[Tuple[str, Optional[str], int]] = []

    def password(url: str, realm: Optional[str], attempt: int) -> str:
        asked.append((url, realm, attempt))
        return next(answers)

    credentials = Credentials()
    credentials.add("http://dav.example:8080/", "alice", password)
    result, sent = drive(make(credentials), request(), basic_server())
    assert result.outcome == "ok" and len(sent) == 3
    assert [a[2] for a in asked] == [1, 2] and asked[0][1] == "files"


def test_max_rounds_bounds_the_flow() -> None:
    counter = {"n": 0}

    def server(r: AuthRequest) -> AuthResponse:
        counter["n"] += 1
        stale = ", stale=true" if "Authorization" in r.headers else ""
        return AuthResponse(
            401,
            [
                (
                    "WWW-Authenticate",
                    f'Digest realm="files", nonce="n{counter["n"]}", qop="auth"{stale}',
                )
            ],
        )

    result, sent = drive(make(max_rounds=3), request(), server)
    assert result.outcome in ("gave-up", "refused") and len(sent) <= 3


def test_proxy_then_origin_challenges_are_both_answered() -> None:
    credentials = Credentials()
    credentials.add("http://dav.example:8080/", "alice", "s3cret")
    credentials.add_proxy(PROXY, "pxuser", "pxpass")

    def server(r: AuthRequest) -> AuthResponse:
        if r.headers.get("Proxy-Authorization") != basic_value("pxuser", "pxpass"):
            return AuthResponse(407, [("Proxy-Authenticate", 'Basic realm="proxy"')])
        if r.headers.get("Authorization") != basic_value("alice", "s3cret"):
            return AuthResponse(401, [("WWW-Authenticate", 'Basic realm="files"')])
        return AuthResponse(200)

    negotiator = make(credentials)
    result, sent = drive(negotiator, request(proxy=PROXY), server)
    assert result.outcome == "ok" and len(sent) == 3
    # both spaces learned: the next request is authorized for both at once
    result, sent = drive(negotiator, request(proxy=PROXY), server)
    assert len(sent) == 1 and "Proxy-Authorization" in sent[0] and "Authorization" in sent[0]


def test_proxy_credentials_are_not_sent_without_a_proxy() -> None:
    credentials = Credentials()
    credentials.add_proxy(PROXY, "pxuser", "pxpass")

    def server(r: AuthRequest) -> AuthResponse:
        return AuthResponse(407, [("Proxy-Authenticate", 'Basic realm="proxy"')])

    result, sent = drive(make(credentials), request(), server)
    assert result.outcome == "no-challenge" and sent == [{}]


def test_origin_credentials_never_answer_a_proxy_challenge() -> None:
    result, sent = drive(
        make(),
        request(proxy=PROXY),
        lambda r: AuthResponse(407, [("Proxy-Authenticate", 'Basic realm="files"')]),
    )
    assert result.outcome == "no-credentials" and len(sent) == 1


def test_connect_flow_answers_a_407_on_connect() -> None:
    credentials = Credentials()
    credentials.add_proxy(PROXY, "pxuser", "pxpass")
    negotiator = make(credentials)
    flow = negotiator.connect_flow(PROXY, "dav.example:443", {})
    outgoing = next(flow)
    assert outgoing.method == "CONNECT" and outgoing.target == "dav.example:443"
    assert "Proxy-Authorization" not in outgoing.headers
    outgoing = flow.send(
        AuthResponse(407, [("Proxy-Authenticate", 'Digest realm="proxy", nonce="xyz", qop="auth"')])
    )
    value = outgoing.headers["Proxy-Authorization"]
    assert value.startswith("Digest ") and 'uri="dav.example:443"' in value
    with pytest.raises(StopIteration) as stop:
        flow.send(AuthResponse(200))
    assert stop.value.value.outcome == "ok"


def test_rspauth_mismatch_raises() -> None:
    def server(r: AuthRequest) -> AuthResponse:
        if "Authorization" in r.headers:
            return AuthResponse(
                200,
                [("Authentication-Info", 'rspauth="00000000000000000000000000000000", qop=auth')],
            )
        return AuthResponse(
            401, [("WWW-Authenticate", 'Digest realm="files", nonce="abc", qop="auth"')]
        )

    with pytest.raises(MutualAuthenticationError):
        drive(make(), request(), server)


def test_concurrent_requests_into_one_space_cost_one_challenge() -> None:
    negotiator = make()
    lock = threading.Lock()
    on_wire: List[bool] = []

    def server(r: AuthRequest) -> AuthResponse:
        time.sleep(0.02)
        with lock:
            on_wire.append("Authorization" in r.headers)
        return basic_server()(r)

    errors: List[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                result, _ = drive(negotiator, request(), server)
                assert result.outcome == "ok"
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(on_wire) == 8 * 5 + 1
    assert on_wire.count(False) == 1


def test_a_flow_closed_early_releases_waiting_threads() -> None:
    negotiator = make(single_flight_timeout=5.0)
    flow = negotiator.auth_flow(request())
    next(flow)  # holds the gate for the origin
    released = threading.Event()

    def other() -> None:
        drive(negotiator, request(), basic_server())
        released.set()

    t = threading.Thread(target=other)
    t.start()
    flow.close()
    assert released.wait(2.0)
    t.join()


class _Custom(Authenticator):
    """A third-party scheme, stronger than Digest."""

    scheme = "custom"
    strength = 30

    def __init__(self, challenge: Challenge, credential: Credential) -> None:
        self.challenge = challenge
        self.credential = credential
        self.realm = challenge.realm

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        return challenge.scheme == "custom"

    @classmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> Authenticator:
        return cls(challenge, credential)

    def authorize(self, request: AuthRequest) -> str:
        return f"Custom user={self.credential.username}"

    def space_prefixes(self, url: str) -> List[str]:
        return ["http://dav.example:8080/"]


def test_registry_decides_which_schemes_are_used() -> None:
    registry = SchemeRegistry([BasicScheme, DigestScheme, _Custom])

    def server(r: AuthRequest) -> AuthResponse:
        if r.headers.get("Authorization", "").startswith("Custom "):
            return AuthResponse(200)
        return AuthResponse(
            401, [("WWW-Authenticate", 'Basic realm="files", Custom realm="files"')]
        )

    result, sent = drive(make(registry=registry), request(), server)
    assert result.scheme == "custom"
    basic_only = SchemeRegistry([BasicScheme])
    result, sent = drive(make(registry=basic_only), request(), server)
    assert result.outcome == "refused" and result.scheme == "basic"
    assert sent[1]["Authorization"].startswith("Basic ")


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def test_auth_int_hashes_the_body_that_is_sent() -> None:
    body = b"hello auth-int" * 10
    received: Dict[str, bytes] = {}

    def server(r: AuthRequest) -> AuthResponse:
        value = r.headers.get("Authorization", "")
        if "qop=auth-int" in value:
            assert r.body is not None
            received["body"] = b"".join(r.body)
            return AuthResponse(200)
        return AuthResponse(
            401, [("WWW-Authenticate", 'Digest realm="files", nonce="abc", qop="auth-int"')]
        )

    flow = make().auth_flow(request(body=_chunks(body, 7)))
    outgoing = next(flow)
    assert outgoing.body is not None
    b"".join(outgoing.body)
    outgoing = flow.send(server(outgoing))
    response = server(outgoing)
    with pytest.raises(StopIteration):
        flow.send(response)
    assert received["body"] == body
