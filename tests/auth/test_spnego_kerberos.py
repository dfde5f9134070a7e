"""Negotiate's Kerberos rules in memory: the ticket cache, Persistent-Auth, per-request tokens.

[MS-N2HT] section 3.2.5: after a success, ``Persistent-Auth: true`` keeps the connection
authenticated, ``false`` does not; without the header only NTLM is persistent. A Kerberos
context here is a fake that produces numbered AP-REQs and completes on the server's
AP-REP, so the rules are checked without a KDC (tests/integration/test_kerberos.py runs
them against one).
"""

from __future__ import annotations

import base64
import threading
from typing import Any, List, Optional, Tuple, cast

import pytest

from requests_dav.auth.challenge import Challenge
from requests_dav.auth.credentials import Credential, Credentials
from requests_dav.auth.errors import MutualAuthenticationError
from requests_dav.auth.flow import Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes import (
    BasicScheme,
    DigestScheme,
    PasswordDeclinedError,
    SchemeOptions,
    SchemeRegistry,
)
from requests_dav.auth.schemes.spnego import TICKET_CACHE, NegotiateScheme, NTLMScheme

URL = "http://files.example/share/report.txt"
OPTIONS = SchemeOptions()
AP_REP = b"ap-rep"


class FakeKerberos:
    """AP-REQ number n on the first step; complete once it reads an AP-REP."""

    made = 0
    lock = threading.Lock()

    def __init__(self, protocol: str = "kerberos") -> None:
        with FakeKerberos.lock:
            FakeKerberos.made += 1
            self.number = FakeKerberos.made
        self.complete = False
        self.negotiated_protocol = protocol

    def step(self, data: Optional[bytes] = None) -> Optional[bytes]:
        if data is None:
            return b"ap-req-%d" % self.number
        if data != AP_REP:
            raise ValueError("not the AP-REP")
        self.complete = True
        return None


def negotiate(protocol: str = "kerberos", header: str = "WWW-Authenticate") -> NegotiateScheme:
    return NegotiateScheme(
        Challenge("negotiate", header=header),
        Credential("", TICKET_CACHE),
        lambda: cast(Any, FakeKerberos(protocol)),
        hostname="files.example",
    )


def request(url: str = URL) -> AuthRequest:
    return AuthRequest(method="GET", url=url, headers={})


def success(*extra: Tuple[str, str], token: Optional[bytes] = AP_REP) -> AuthResponse:
    headers: List[Tuple[str, str]] = list(extra)
    if token is not None:
        headers.append(("WWW-Authenticate", "Negotiate " + base64.b64encode(token).decode()))
    return AuthResponse(200, headers)


def sent_token(value: str) -> bytes:
    scheme, _, token = value.partition(" ")
    assert scheme == "Negotiate"
    return base64.b64decode(token)


# -- Persistent-Auth decides ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "protocol", "per_request"),
    [
        ("false", "kerberos", True),
        ("False", "kerberos", True),
        ("true", "kerberos", False),
        (None, "kerberos", True),  # Kerberos without the header: per request
        ("maybe", "kerberos", True),  # any other value is ignored
        (None, "ntlm", False),  # NTLM without the header: the connection
        ("false", "ntlm", False),  # three legs: NTLM stays on its pinned connection
    ],
)
def test_persistent_auth_on_the_first_success(
    header: Optional[str], protocol: str, per_request: bool
) -> None:
    auth = negotiate(protocol)
    first = request()
    auth.authorize(first)
    extra = [("Persistent-Auth", header)] if header is not None else []
    auth.on_success(success(*extra, token=AP_REP if protocol == "kerberos" else None), first)

    assert auth.per_request is per_request
    assert auth.space_prefixes(URL) == (["http://files.example:80/share/"] if per_request else [])


def test_a_proxy_stays_connection_bound() -> None:
    auth = negotiate(header="Proxy-Authenticate")
    first = request()
    auth.authorize(first)
    response = AuthResponse(
        200,
        [
            ("Persistent-Auth", "false"),
            ("Proxy-Authenticate", "Negotiate " + base64.b64encode(AP_REP).decode()),
        ],
    )
    auth.on_success(response, first)
    assert auth.established and not auth.per_request


# -- per request: a context for each request -----------------------------------------------


def per_request_auth() -> NegotiateScheme:
    auth = negotiate()
    first = request()
    auth.authorize(first)
    auth.on_success(success(("Persistent-Auth", "false")), first)
    assert auth.per_request
    return auth


def test_every_request_gets_its_own_fresh_token() -> None:
    auth = per_request_auth()
    one, two = request(), request()
    token_one = sent_token(auth.authorize(one))
    assert sent_token(auth.authorize(one)) == token_one  # a retry of the same request: same
    auth.on_success(success(), one)
    token_two = sent_token(auth.authorize(two))
    assert token_two != token_one
    auth.on_success(success(), two)


def test_each_answer_is_verified_by_the_context_of_its_request() -> None:
    auth = per_request_auth()
    tampered = request()
    auth.authorize(tampered)
    with pytest.raises(MutualAuthenticationError, match="did not verify"):
        auth.on_success(success(token=b"forged"), tampered)
    missing = request()
    auth.authorize(missing)
    with pytest.raises(MutualAuthenticationError, match="did not prove"):
        auth.on_success(success(token=None), missing)


def test_threads_never_share_a_context() -> None:
    auth = per_request_auth()
    tokens: List[bytes] = []
    errors: List[BaseException] = []
    barrier = threading.Barrier(4)

    def one() -> None:
        try:
            mine = request()
            barrier.wait()
            tokens.append(sent_token(auth.authorize(mine)))
            barrier.wait()
            auth.on_success(success(), mine)  # each context reads its own AP-REP
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert len(set(tokens)) == 4


def test_a_success_for_a_request_it_never_authorized_reads_nothing() -> None:
    auth = per_request_auth()
    auth.on_success(success(token=b"forged"), request())  # not ours: no context, no check


def test_a_refused_token_is_started_over_once_per_request() -> None:
    auth = per_request_auth()
    mine = request()
    first = sent_token(auth.authorize(mine))
    assert auth.on_challenge(Challenge("negotiate")) is True
    second = sent_token(auth.authorize(mine))
    assert second != first
    assert auth.on_challenge(Challenge("negotiate")) is False


# -- the flow learns a per-request authenticator -------------------------------------------


class FakeNegotiate(NegotiateScheme):
    """NegotiateScheme whose contexts are FakeKerberos (the registry creates it)."""

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        return challenge.scheme == "negotiate"

    @classmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> FakeNegotiate:
        return cls(challenge, credential, lambda: cast(Any, FakeKerberos()), hostname="h")


class Sent:
    """What one yielded request looked like when it went out (the flow reuses the object)."""

    def __init__(self, request: AuthRequest) -> None:
        self.headers = dict(request.headers)
        self.bound_side = request.bound_side


def run(negotiator: Negotiator, *responses: AuthResponse) -> Tuple[List[Sent], Any]:
    flow = negotiator.auth_flow(request())
    sent = [Sent(next(flow))]
    try:
        for response in responses:
            sent.append(Sent(flow.send(response)))
    except StopIteration as stop:
        return sent, stop.value
    raise AssertionError("the flow did not end")


def test_the_flow_learns_it_and_sends_it_preemptively() -> None:
    store = Credentials()
    store.add("http://files.example/", "", TICKET_CACHE)
    negotiator = Negotiator(store, registry=SchemeRegistry([FakeNegotiate]))
    challenge = AuthResponse(401, [("WWW-Authenticate", "Negotiate")])
    answer = success(("Persistent-Auth", "false"))

    sent, result = run(negotiator, challenge, answer)
    assert "Authorization" not in sent[0].headers
    assert sent[1].bound_side == "origin"  # the first handshake is pinned
    assert result.outcome == "ok" and not result.connection_bound
    assert result.per_request_sides == ("origin",)  # the driver may unpin its connection

    sent, result = run(negotiator, success())
    assert sent[0].headers["Authorization"].startswith("Negotiate ")
    assert sent[0].bound_side is None  # nothing to pin: this request carries its own token
    assert result.outcome == "ok" and result.rounds == 1


def test_a_driver_that_cannot_pin_does_not_use_it() -> None:
    store = Credentials()
    store.add("http://files.example/", "", TICKET_CACHE)
    negotiator = Negotiator(store, registry=SchemeRegistry([FakeNegotiate]))
    run(negotiator, AuthResponse(401, [("WWW-Authenticate", "Negotiate")]), success())
    flow = negotiator.auth_flow(request(), connection_bound=False)
    assert "Authorization" not in next(flow).headers


# -- TICKET_CACHE --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [BasicScheme, DigestScheme, NTLMScheme])
def test_the_ticket_cache_is_no_password_for_other_schemes(cls: Any) -> None:
    if cls is NTLMScheme:
        pytest.importorskip("spnego")
    params = {"realm": "r", "nonce": "n", "qop": "auth"} if cls is DigestScheme else {}
    challenge = Challenge(cls.scheme, params=params)
    with pytest.raises(PasswordDeclinedError):
        cls.create(challenge, Credential("alice", TICKET_CACHE), url=URL, options=OPTIONS)


def test_the_ticket_cache_asks_pyspnego_for_the_cached_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spnego = pytest.importorskip("spnego")
    calls: List[Tuple[Any, ...]] = []

    def client(username: Any, password: Any, **kwargs: Any) -> Any:
        calls.append((username, password, kwargs["hostname"], kwargs["protocol"]))
        return FakeKerberos()

    monkeypatch.setattr(spnego, "client", client)
    for user, expected in [("", None), ("alice@EXAMPLE.ORG", "alice@EXAMPLE.ORG")]:
        NegotiateScheme.create(
            Challenge("negotiate"), Credential(user, TICKET_CACHE), url=URL, options=OPTIONS
        )
        assert calls.pop() == (expected, None, "files.example", "negotiate")
    with pytest.raises(PasswordDeclinedError):  # refused once: nothing else in the cache
        NegotiateScheme.create(
            Challenge("negotiate"),
            Credential("", TICKET_CACHE),
            url=URL,
            options=OPTIONS,
            attempt=2,
        )
    assert repr(TICKET_CACHE) == "TICKET_CACHE"


# -- how much proof: negotiate_mutual_auth / negotiate_proxy_mutual_auth -------------------


def test_mutual_auth_policies_are_checked() -> None:
    with pytest.raises(ValueError, match="negotiate_mutual_auth"):
        SchemeOptions(negotiate_mutual_auth="sometimes")
    with pytest.raises(ValueError, match="negotiate_proxy_mutual_auth"):
        SchemeOptions(negotiate_proxy_mutual_auth="never")


@pytest.mark.parametrize(
    ("header", "options", "required"),
    [
        ("WWW-Authenticate", SchemeOptions(), True),
        ("WWW-Authenticate", SchemeOptions(negotiate_mutual_auth="optional"), False),
        ("Proxy-Authenticate", SchemeOptions(), False),  # squid sends no final token
        ("Proxy-Authenticate", SchemeOptions(negotiate_proxy_mutual_auth="required"), True),
    ],
)
def test_a_missing_proof_fails_only_where_it_is_required(
    monkeypatch: pytest.MonkeyPatch, header: str, options: SchemeOptions, required: bool
) -> None:
    spnego = pytest.importorskip("spnego")
    monkeypatch.setattr(spnego, "client", lambda *args, **kwargs: FakeKerberos())
    challenge = Challenge("negotiate", header=header)
    credential = Credential("", TICKET_CACHE)

    def created() -> Tuple[NegotiateScheme, AuthRequest]:
        auth = NegotiateScheme.create(challenge, credential, url=URL, options=options)
        mine = request()
        auth.authorize(mine)
        return auth, mine

    auth, mine = created()
    if required:
        with pytest.raises(MutualAuthenticationError, match="did not prove"):
            auth.on_success(AuthResponse(200), mine)
    else:
        auth.on_success(AuthResponse(200), mine)  # accepted: established, or per request now
        assert auth.established or auth.per_request
    auth, mine = created()  # a token that is there must verify, whatever the policy
    forged = AuthResponse(200, [(header, "Negotiate " + base64.b64encode(b"forged").decode())])
    with pytest.raises(MutualAuthenticationError, match="did not verify"):
        auth.on_success(forged, mine)
