"""No downgrade (issue 11, point 1; RFC 7235 section 4.1, RFC 7616 section 3.3).

What succeeded in a protection space sets its floor, kept by the store: a forged challenge
weaker than that (MD5 after SHA-256, Basic after Digest) is not answered, also after the
forgery made the flow drop the learned authenticator, until ``forget()``/``clear()`` or
``SchemeOptions(allow_downgrade=True)``; Basic never goes over plain http to such a space.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from requests_dav.auth.challenge import parse_challenges
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import FlowResult, Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes.base import SchemeOptions
from requests_dav.auth.schemes.basic import BasicScheme
from requests_dav.auth.schemes.digest import DigestScheme

from .digest_server import DigestServer

URL = "http://dav.example/files/a.txt"
HTTPS_URL = "https://dav.example/files/a.txt"
PROXY = "http://proxy.example:3128"


def run(
    negotiator: Negotiator, server: object, url: str = URL, proxy: Optional[str] = None
) -> Tuple[FlowResult, List[Dict[str, str]]]:
    request = AuthRequest(method="GET", url=url, headers={}, proxy=proxy)
    flow = negotiator.auth_flow(request)
    outgoing = next(flow)
    sent: List[Dict[str, str]] = []
    while True:
        sent.append(dict(outgoing.headers))
        try:
            outgoing = flow.send(server(outgoing))  # type: ignore[operator]
        except StopIteration as stop:
            return stop.value, sent


def forged(value: str, status: int = 401) -> object:
    header = "Proxy-Authenticate" if status == 407 else "WWW-Authenticate"
    return lambda request: AuthResponse(status, [(header, value)])


def store(url: str = "http://dav.example/") -> Credentials:
    credentials = Credentials()
    credentials.add(url, "alice", "s3cret")
    return credentials


def test_forged_md5_after_sha256_is_refused_and_the_floor_survives() -> None:
    credentials = store()
    negotiator = Negotiator(credentials)
    result, _ = run(negotiator, DigestServer(algorithm="SHA-256"))
    assert result.outcome == "ok"
    result, sent = run(negotiator, forged('Digest realm="files", nonce="x", qop="auth"'))
    assert result.outcome == "downgrade-refused"
    assert "Digest MD5" in result.detail and "Digest SHA-256" in result.detail
    assert "forget()" in result.detail
    assert len(sent) == 1  # the MD5 challenge was not answered
    # the forgery made the flow drop the authenticator, not the floor
    assert credentials.authenticator_for(URL) is None
    floor = credentials.floor_for(URL)
    assert floor is not None and str(floor) == "Digest SHA-256"
    result, sent = run(negotiator, forged('Basic realm="files"'))
    assert result.outcome == "downgrade-refused"
    assert all("Authorization" not in headers for headers in sent)


def test_a_stronger_or_equal_challenge_is_still_answered() -> None:
    negotiator = Negotiator(store())
    assert run(negotiator, DigestServer(algorithm="SHA-256"))[0].outcome == "ok"
    credentials_gone = negotiator.credentials.authenticator_for(URL)
    assert credentials_gone is not None
    negotiator.credentials.discard(credentials_gone)
    assert run(negotiator, DigestServer(algorithm="SHA-512-256"))[0].outcome == "ok"
    assert str(negotiator.credentials.floor_for(URL)) == "Digest SHA-512-256"


def test_forget_and_clear_reset_the_floor() -> None:
    credentials = store()
    negotiator = Negotiator(credentials)
    run(negotiator, DigestServer(algorithm="SHA-256"))
    credentials.forget("http://dav.example/files/")
    credentials.add("http://dav.example/", "alice", "s3cret")
    assert credentials.floor_for(URL) is None
    assert run(negotiator, DigestServer(algorithm="MD5"))[0].outcome == "ok"
    credentials.clear()
    assert credentials.floor_for(URL) is None


def test_basic_never_goes_over_http_after_digest_even_when_downgrades_are_allowed() -> None:
    negotiator = Negotiator(store(), options=SchemeOptions(allow_downgrade=True))
    run(negotiator, DigestServer(algorithm="SHA-256"))
    result, sent = run(negotiator, forged('Digest realm="files", nonce="y", qop="auth"'))
    assert sent[-1]["Authorization"].startswith("Digest ")  # MD5 allowed by the option
    result, sent = run(negotiator, forged('Basic realm="files"'))
    assert result.outcome == "downgrade-refused"
    assert all("Authorization" not in headers for headers in sent)


def test_basic_over_https_after_digest_only_with_the_option() -> None:
    for allowed in (False, True):
        negotiator = Negotiator(
            store("https://dav.example/"), options=SchemeOptions(allow_downgrade=allowed)
        )
        assert run(negotiator, DigestServer(), url=HTTPS_URL)[0].outcome == "ok"
        result, sent = run(negotiator, forged('Basic realm="files"'), url=HTTPS_URL)
        if allowed:
            assert sent[-1]["Authorization"].startswith("Basic ")
        else:
            assert result.outcome == "downgrade-refused"


def test_the_floor_holds_for_proxies() -> None:
    credentials = Credentials()
    credentials.add_proxy(PROXY, "alice", "s3cret")
    negotiator = Negotiator(credentials)
    server = DigestServer(header="Proxy-Authenticate", algorithm="SHA-256")
    assert run(negotiator, server, proxy=PROXY)[0].outcome == "ok"
    result, sent = run(negotiator, forged('Basic realm="proxy"', 407), proxy=PROXY)
    assert result.outcome == "downgrade-refused"
    assert "proxy" in result.detail
    assert all(not h.get("Proxy-Authorization", "").startswith("Basic") for h in sent)


def test_strength_ranks_digest_algorithms_and_schemes() -> None:
    def strength(value: str) -> object:
        challenge = parse_challenges(value)[0]
        cls = DigestScheme if challenge.scheme == "digest" else BasicScheme
        return cls.strength_for(challenge)

    base = 'Digest realm="r", nonce="n", qop="auth"'
    md5, md5_sess = strength(base), strength(base + ", algorithm=MD5-sess")
    sha256, sha256_sess = (
        strength(base + ", algorithm=SHA-256"),
        strength(base + ", algorithm=SHA-256-sess"),
    )
    sha512 = strength(base + ", algorithm=SHA-512-256")
    basic = strength('Basic realm="r"')
    assert basic < md5 == md5_sess < sha256 == sha256_sess < sha512  # type: ignore[operator]
    no_qop = strength('Digest realm="r", nonce="n"')
    assert basic < no_qop < md5  # type: ignore[operator]


def test_a_pickled_or_copied_store_keeps_the_floor_and_refuses_the_same_downgrade() -> None:
    import copy
    import pickle

    credentials = store()
    assert run(Negotiator(credentials), DigestServer(algorithm="SHA-256"))[0].outcome == "ok"
    for twin in (pickle.loads(pickle.dumps(credentials)), copy.deepcopy(credentials)):  # noqa: S301
        assert str(twin.floor_for(URL)) == "Digest SHA-256"
        assert twin.authenticator_for(URL) is None  # negotiated state starts afresh
        result, sent = run(Negotiator(twin), forged('Digest realm="files", nonce="x", qop="auth"'))
        assert result.outcome == "downgrade-refused"
        assert len(sent) == 1
