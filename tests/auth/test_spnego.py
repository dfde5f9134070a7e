"""NTLM and Negotiate schemes (RFC 4559, MS-NTHT) over pyspnego, in memory, no network.

The server side is pyspnego's own acceptor (``spnego.server``) with a credential file in
``NTLM_USER_FILE``, so every token checked here is one a real NTLM acceptor produced or
accepted.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, cast

import pytest

from requests_dav.auth.body import ReplayableBody
from requests_dav.auth.challenge import Challenge, parse_challenges
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.errors import MutualAuthenticationError, UnsupportedChallengeError
from requests_dav.auth.flow import FlowResult, Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes import (
    ENTRY_POINT_GROUP,
    BasicScheme,
    DigestScheme,
    SchemeOptions,
    SchemeRegistry,
)
from requests_dav.auth.schemes import __name__ as schemes_name
from requests_dav.auth.schemes.spnego import (
    EXTRA,
    NegotiateScheme,
    NTLMScheme,
    spnego_available,
)
from requests_dav.auth.types import Credential

spnego: Any
try:
    import spnego
except ImportError:  # the tests that need it are skipped; the "missing" ones still run
    spnego = None

needs_spnego = pytest.mark.skipif(
    spnego is None, reason="pyspnego is not installed (requests-dav[spnego])"
)

URL = "http://files.example:8080/share/report.txt"
PROXY_URL = "http://proxy.example:3128"
OPTIONS = SchemeOptions()
USERS = {"alice": "s3cret", "bob": "pässwörd€"}


@pytest.fixture(autouse=True)
def user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pyspnego's acceptor credential store (``DOMAIN:USER:PASSWORD`` lines)."""
    path = tmp_path / "ntlm_users.txt"
    path.write_text(
        "".join(f":{u}:{p}\nTESTDOM:{u}:{p}\n" for u, p in USERS.items()), encoding="utf-8"
    )
    monkeypatch.setenv("NTLM_USER_FILE", str(path))
    return path


def request(method: str = "GET", url: str = URL, **kwargs: Any) -> AuthRequest:
    return AuthRequest(method=method, url=url, headers={}, **kwargs)


def token_of(value: str, scheme: str) -> bytes:
    name, _, token = value.partition(" ")
    assert name == scheme
    return base64.b64decode(token, validate=True)


def leg(token: bytes) -> int:
    assert token.startswith(b"NTLMSSP\x00")
    return int.from_bytes(token[8:12], "little")


def challenge_with(scheme: str, token: bytes, header: str = "WWW-Authenticate") -> Challenge:
    (parsed,) = parse_challenges(f"{scheme} {base64.b64encode(token).decode()}", header)
    return parsed


def create(
    cls: Any = NTLMScheme,
    user: str = "alice",
    password: Any = "s3cret",
    header: str = "WWW-Authenticate",
    url: str = URL,
) -> Any:
    bare = Challenge(cls.scheme, header=header)
    return cls.create(bare, Credential(user, password), url=url, options=OPTIONS)


# -- the token flow, both ends in memory ----------------------------------------------------


@needs_spnego
def test_ntlm_three_legs_against_pyspnego_acceptor() -> None:
    auth = create()
    assert auth.connection_bound and auth.state == "fresh"
    server = spnego.server(protocol="ntlm")

    type1 = token_of(auth.authorize(request()), "NTLM")
    assert leg(type1) == 1
    type2 = server.step(type1)
    assert leg(type2) == 2 and not server.complete

    assert auth.on_challenge(challenge_with("NTLM", type2)) is True
    assert auth.state == "in-progress"
    type3 = token_of(auth.authorize(request()), "NTLM")
    assert leg(type3) == 3
    assert server.step(type3) is None
    assert server.complete and server.client_principal == "alice"

    auth.on_success(AuthResponse(200), request())
    assert auth.established and auth.state == "established"
    assert auth.negotiated_protocol == "ntlm"


@needs_spnego
@pytest.mark.parametrize(
    ("user", "password", "principal"),
    [("bob", "pässwörd€", "bob"), ("TESTDOM\\alice", "s3cret", "alice")],
)
def test_ntlm_non_ascii_password_and_domain_user(user: str, password: str, principal: str) -> None:
    auth = create(user=user, password=password)
    server = spnego.server(protocol="ntlm")
    type2 = server.step(token_of(auth.authorize(request()), "NTLM"))
    assert auth.on_challenge(challenge_with("NTLM", type2))
    server.step(token_of(auth.authorize(request()), "NTLM"))
    assert server.complete and server.client_principal.endswith(principal)


@needs_spnego
def test_bytes_password_is_utf8_and_other_bytes_are_refused() -> None:
    auth = create(user="bob", password="pässwörd€".encode())
    server = spnego.server(protocol="ntlm")
    type2 = server.step(token_of(auth.authorize(request()), "NTLM"))
    assert auth.on_challenge(challenge_with("NTLM", type2))
    server.step(token_of(auth.authorize(request()), "NTLM"))
    assert server.complete
    with pytest.raises(UnsupportedChallengeError, match="text password"):
        create(password=b"\xff\xfe")


@needs_spnego
def test_negotiate_wraps_ntlm_and_reads_the_final_token_on_success() -> None:
    auth = create(NegotiateScheme)
    server = spnego.server(protocol="negotiate")
    first = token_of(auth.authorize(request()), "Negotiate")
    answer = server.step(first)
    assert auth.on_challenge(challenge_with("Negotiate", answer))
    final = server.step(token_of(auth.authorize(request()), "Negotiate"))
    assert server.complete and final  # SPNEGO accept-completed with the mechListMIC
    success = AuthResponse(
        200, [("WWW-Authenticate", f"Negotiate {base64.b64encode(final).decode()}")]
    )
    auth.on_success(success, request())
    assert auth.established and auth.negotiated_protocol == "ntlm"


@needs_spnego
def test_negotiate_final_token_that_does_not_verify_is_a_mutual_auth_error() -> None:
    auth = create(NegotiateScheme)
    server = spnego.server(protocol="negotiate")
    assert auth.on_challenge(
        challenge_with("Negotiate", server.step(token_of(auth.authorize(request()), "Negotiate")))
    )
    server.step(token_of(auth.authorize(request()), "Negotiate"))
    forged = base64.b64encode(b"\xa1\x03\x0a\x01\x02").decode()  # negTokenResp: reject
    with pytest.raises(MutualAuthenticationError, match="did not verify"):
        auth.on_success(AuthResponse(200, [("WWW-Authenticate", f"Negotiate {forged}")]), request())
    assert not auth.established


@needs_spnego
def test_proxy_side_reads_proxy_authenticate() -> None:
    auth = create(NegotiateScheme, header="Proxy-Authenticate", url=PROXY_URL)
    assert auth.hostname == "proxy.example"
    server = spnego.server(protocol="negotiate")
    answer = server.step(token_of(auth.authorize(request(url=PROXY_URL)), "Negotiate"))
    assert auth.on_challenge(challenge_with("Negotiate", answer, "Proxy-Authenticate"))
    final = server.step(token_of(auth.authorize(request(url=PROXY_URL)), "Negotiate"))
    encoded = base64.b64encode(final).decode()
    # The origin's field is not the proxy's: a forged token there is not looked at.
    response = AuthResponse(
        200,
        [("WWW-Authenticate", "Negotiate AAAA"), ("Proxy-Authenticate", f"Negotiate {encoded}")],
    )
    auth.on_success(response, request(url=PROXY_URL))
    assert auth.established


class FakeKerberos:
    """A context that claims Kerberos and never completes (no server proof arrives)."""

    complete = False
    negotiated_protocol = "kerberos"

    def step(self, data: Optional[bytes] = None) -> Optional[bytes]:
        return b"krb-ap-req"


def test_kerberos_without_the_servers_proof_is_a_mutual_auth_error() -> None:
    auth = NegotiateScheme(
        Challenge("negotiate"),
        Credential("alice", "x"),
        lambda: cast(Any, FakeKerberos()),
        hostname="h",
    )
    assert auth.authorize(request()) == "Negotiate " + base64.b64encode(b"krb-ap-req").decode()
    with pytest.raises(MutualAuthenticationError, match="did not prove"):
        auth.on_success(AuthResponse(200), request())


# -- refusals and repeated calls ------------------------------------------------------------


@needs_spnego
def test_wrong_password_bare_challenge_after_type3_is_refused() -> None:
    auth = create(password="wrong")
    server = spnego.server(protocol="ntlm")
    assert auth.on_challenge(
        challenge_with("NTLM", server.step(token_of(auth.authorize(request()), "NTLM")))
    )
    with pytest.raises(spnego.exceptions.SpnegoError):
        server.step(token_of(auth.authorize(request()), "NTLM"))
    assert auth.on_challenge(Challenge("ntlm")) is False


@needs_spnego
@pytest.mark.parametrize(
    "challenge",
    [
        Challenge("ntlm"),  # bare after type 1: the server dropped the handshake
        Challenge("ntlm", token68="AAAA"),  # base64, but no NTLM message
        Challenge("ntlm", token68="bm90-YmFzZTY0"),  # token68, not base64
    ],
    ids=["bare", "garbage-token", "not-base64"],
)
def test_bad_second_leg_is_refused(challenge: Challenge) -> None:
    auth = create()
    auth.authorize(request())
    assert auth.on_challenge(challenge) is False


@needs_spnego
def test_token_after_the_last_leg_is_refused() -> None:
    auth = create()
    server = spnego.server(protocol="ntlm")
    type2 = server.step(token_of(auth.authorize(request()), "NTLM"))
    assert auth.on_challenge(challenge_with("NTLM", type2))
    auth.authorize(request())  # type 3: the client context is complete
    assert auth.on_challenge(challenge_with("NTLM", type2)) is False


@needs_spnego
def test_challenge_before_anything_was_sent_is_refused() -> None:
    server = spnego.server(protocol="ntlm")
    other = create()
    type2 = server.step(token_of(other.authorize(request()), "NTLM"))
    assert create().on_challenge(challenge_with("NTLM", type2)) is False


@needs_spnego
def test_authorize_repeats_the_pending_leg_and_restarts_after_success() -> None:
    auth = create()
    first = auth.authorize(request())
    assert auth.authorize(request()) == first  # no answer yet: the same type 1 again
    server = spnego.server(protocol="ntlm")
    assert auth.on_challenge(challenge_with("NTLM", server.step(token_of(first, "NTLM"))))
    third = auth.authorize(request())
    assert auth.authorize(request()) == third
    server.step(token_of(third, "NTLM"))
    auth.on_success(AuthResponse(200), request())
    # Established: a new authorize() is a new handshake (never a stale type 3).
    again = token_of(auth.authorize(request()), "NTLM")
    assert leg(again) == 1 and auth.state == "in-progress"


@needs_spnego
def test_nothing_is_learned_for_preemptive_use() -> None:
    auth = create()
    assert auth.space_prefixes(URL) == []
    store = Credentials()
    store.learn(URL, auth)
    assert store.authenticator_for(URL) is None


@needs_spnego
def test_repr_names_no_secret() -> None:
    auth = create(password="hunter2-very-secret")
    auth.authorize(request())
    text = repr(auth)
    assert "hunter2" not in text
    assert text == "NTLMScheme(user='alice', host='files.example', state='in-progress')"


@needs_spnego
def test_create_needs_a_user_name() -> None:
    with pytest.raises(UnsupportedChallengeError, match="user name"):
        create(user="")


# -- the negotiation drives the three legs --------------------------------------------------


class Acceptor:
    """An in-memory server with per-connection NTLM / Negotiate state, as IIS keeps it.

    ``connection`` names the connection each request arrives on (the test decides).
    """

    def __init__(self, offers: Tuple[str, ...] = ("NTLM",)) -> None:
        self.offers = offers
        self.pending: Dict[int, Tuple[str, Any]] = {}
        self.authenticated: Dict[int, str] = {}
        self.log: List[Tuple[int, Optional[str], int]] = []
        self.bodies: List[bytes] = []

    def __call__(self, req: AuthRequest, connection: int = 1) -> AuthResponse:
        if req.body is not None:
            self.bodies.append(b"".join(req.body))
        value = req.headers.get("Authorization")
        status, headers = self._answer(value, connection)
        self.log.append((connection, value.split()[0] if value else None, status))
        return AuthResponse(status, headers)

    def _answer(self, value: Optional[str], connection: int) -> Tuple[int, List[Tuple[str, str]]]:
        bare = [("WWW-Authenticate", offer) for offer in self.offers]
        if value is None:
            return (200, []) if connection in self.authenticated else (401, bare)
        scheme, _, token = value.partition(" ")
        wire = next((o for o in self.offers if o.lower() == scheme.lower()), None)
        if wire is None:
            return 401, bare
        pending = self.pending.pop(connection, None)
        context = pending[1] if pending else spnego.server(protocol=wire.lower())
        try:
            answer = context.step(base64.b64decode(token))
        except Exception:
            return 401, bare
        if not context.complete:
            self.pending[connection] = (wire, context)
            return 401, [("WWW-Authenticate", f"{wire} {base64.b64encode(answer).decode()}")]
        self.authenticated[connection] = context.client_principal
        if not answer:
            return 200, []
        return 200, [("WWW-Authenticate", f"{wire} {base64.b64encode(answer).decode()}")]


def run(negotiator: Negotiator, req: AuthRequest, server: Acceptor, connections: Any) -> FlowResult:
    flow = negotiator.auth_flow(req)
    outgoing = next(flow)
    for connection in connections:
        try:
            outgoing = flow.send(server(outgoing, connection))
        except StopIteration as stop:
            result: FlowResult = stop.value
            return result
    raise AssertionError("the flow did not end")


def negotiator(user: str = "alice", password: str = "s3cret") -> Negotiator:
    store = Credentials()
    store.add("http://files.example:8080/", user, password)
    registry = SchemeRegistry([BasicScheme, DigestScheme, NTLMScheme, NegotiateScheme])
    return Negotiator(store, registry=registry)


@needs_spnego
def test_negotiator_runs_the_three_legs_on_one_connection_with_body_replay() -> None:
    server = Acceptor()
    chunks = [b"alpha-", b"beta-", b"gamma"]
    req = request("PUT", body=ReplayableBody.wrap(iter(chunks)))
    result = run(negotiator(), req, server, [1, 1, 1])
    assert result.outcome == "ok" and result.scheme == "ntlm" and result.rounds == 3
    assert server.log == [(1, None, 401), (1, "NTLM", 401), (1, "NTLM", 200)]
    assert server.bodies == [b"alpha-beta-gamma"] * 3
    assert server.authenticated == {1: "alice"}


@needs_spnego
def test_negotiator_then_reuses_the_connection_without_credentials() -> None:
    server = Acceptor()
    nego = negotiator()
    assert run(nego, request(), server, [1, 1, 1]).outcome == "ok"
    second = request()
    result = run(nego, second, server, [1])
    assert result.outcome == "no-challenge"  # nothing preemptive, the connection carries it
    assert "Authorization" not in second.headers
    # The same request on another connection runs its own handshake.
    assert run(nego, request(), server, [2, 2, 2]).outcome == "ok"
    assert [entry[0] for entry in server.log[-3:]] == [2, 2, 2]


@needs_spnego
def test_negotiator_prefers_negotiate_when_both_are_offered() -> None:
    server = Acceptor(("Negotiate", "NTLM"))
    result = run(negotiator(), request(), server, [1, 1, 1])
    assert result.outcome == "ok" and result.scheme == "negotiate"
    assert [entry[1] for entry in server.log] == [None, "Negotiate", "Negotiate"]


@needs_spnego
def test_negotiator_split_over_connections_is_refused() -> None:
    server = Acceptor()
    result = run(negotiator(), request(), server, [1, 2, 3, 4, 5, 6])
    assert result.outcome == "refused"
    assert server.log[-1] == (3, "NTLM", 401) and not server.authenticated


@needs_spnego
def test_negotiator_wrong_password_is_refused_after_three_legs() -> None:
    server = Acceptor()
    result = run(negotiator(password="wrong"), request(), server, [1] * 6)
    assert result.outcome == "refused" and result.scheme == "ntlm"
    assert server.log == [(1, None, 401), (1, "NTLM", 401), (1, "NTLM", 401)]


# -- registry -------------------------------------------------------------------------------


def names(challenges: List[Challenge]) -> List[str]:
    registry = SchemeRegistry([BasicScheme, DigestScheme, NTLMScheme, NegotiateScheme])
    return [cls.scheme for cls, _ in registry.candidates(challenges, OPTIONS)]


@needs_spnego
def test_registry_order_negotiate_digest_ntlm_basic() -> None:
    offered = parse_challenges(
        [
            'Basic realm="x"',
            "NTLM",
            'Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256',
            "Negotiate",
        ]
    )
    assert names(offered) == ["negotiate", "digest", "ntlm", "basic"]
    assert names(parse_challenges("Negotiate, NTLM, Basic realm=x")) == [
        "negotiate",
        "ntlm",
        "basic",
    ]
    assert NegotiateScheme.connection_bound and NTLMScheme.connection_bound
    assert not DigestScheme.connection_bound


def test_token68_challenges_parse_for_both_schemes() -> None:
    (ntlm,) = parse_challenges("NTLM TlRMTVNTUAACAAAA==")
    assert ntlm.scheme == "ntlm" and ntlm.token68 == "TlRMTVNTUAACAAAA==" and not ntlm.params
    (bare,) = parse_challenges("NTLM")
    assert bare.token68 is None and not bare.params


@needs_spnego
def test_default_registry_loads_the_entry_points_setup_py_declares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = [
        metadata.EntryPoint("ntlm", f"{schemes_name}.spnego:NTLMScheme", ENTRY_POINT_GROUP),
        metadata.EntryPoint(
            "negotiate", f"{schemes_name}.spnego:NegotiateScheme", ENTRY_POINT_GROUP
        ),
    ]
    monkeypatch.setattr(sys.modules[schemes_name], "_entry_points", lambda group: declared)
    registry = SchemeRegistry.default()
    assert registry.get("ntlm") is NTLMScheme and registry.get("negotiate") is NegotiateScheme
    assert registry.names() == ["negotiate", "digest", "ntlm", "basic"]


# -- without pyspnego -----------------------------------------------------------------------


def test_without_pyspnego_supports_is_false_and_use_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "spnego", None)  # import spnego -> ImportError
    assert not spnego_available()
    assert not NTLMScheme.supports(Challenge("ntlm"), OPTIONS)
    assert not NegotiateScheme.supports(Challenge("negotiate"), OPTIONS)
    assert names(parse_challenges("Negotiate, NTLM, Basic realm=x")) == ["basic"]
    with pytest.raises(ImportError, match=r"requests-dav\[spnego\]") as caught:
        create()
    assert EXTRA in str(caught.value) and caught.value.name == "spnego"
    result = run(negotiator(), request(), Acceptor(), [1, 1])
    assert result.outcome == "unsupported"


def run_python(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_module_imports_without_pyspnego() -> None:
    run_python(
        "import sys; sys.modules['spnego'] = None\n"
        "from requests_dav.auth.schemes.spnego import NTLMScheme\n"
        "from requests_dav.auth.challenge import Challenge\n"
        "from requests_dav.auth.schemes import SchemeOptions\n"
        "assert not NTLMScheme.supports(Challenge('ntlm'), SchemeOptions())\n"
    )


@needs_spnego
def test_sans_io_neither_the_module_nor_pyspnego_imports_requests_or_urllib3() -> None:
    import ast

    source = Path(sys.modules[NTLMScheme.__module__].__file__ or "").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert imported & {"requests", "urllib3"} == set()
    assert "spnego" in imported  # lazily, inside a function
    # pyspnego itself, running a handshake, stays away from them too.
    run_python(
        "import sys, spnego\n"
        "c = spnego.client('u', 'p', hostname='h', service='HTTP', protocol='negotiate')\n"
        "assert c.step()\n"
        "assert not {'requests', 'urllib3'} & set(sys.modules), 'pyspnego is not sans-I/O'\n"
    )


@needs_spnego
def test_negotiator_marks_connection_bound_legs_and_result() -> None:
    server = Acceptor()
    nego = negotiator()
    req = request()
    flow = nego.auth_flow(req)
    outgoing = next(flow)
    assert not outgoing.connection_bound  # the first request may go anywhere
    outgoing = flow.send(server(outgoing))
    assert outgoing.bound_side == "origin" and outgoing.connection_bound
    assert outgoing.bound_credential is not None
    assert outgoing.bound_credential.username == "alice"
    outgoing = flow.send(server(outgoing))
    assert outgoing.connection_bound
    with pytest.raises(StopIteration) as stop:
        flow.send(server(outgoing))
    result: FlowResult = stop.value.value
    assert result.outcome == "ok" and result.connection_bound and result.bound_side == "origin"
    assert result.credential is not None and result.credential.username == "alice"
    # nothing learned: a later flow does not start a handshake preemptively
    assert nego.credentials.authenticator_for(URL) is None


@needs_spnego
def test_accepted_ntlm_proxy_side_is_not_authorized_again_nor_learned() -> None:
    """Plain-proxy NTLM, then origin Basic: 4 requests, the proxy handshake not restarted."""
    store = Credentials()
    store.add("http://files.example:8080/", "bob", "pässwörd€")
    store.add_proxy(PROXY_URL, "alice", "s3cret")
    registry = SchemeRegistry([BasicScheme, DigestScheme, NTLMScheme, NegotiateScheme])
    nego = Negotiator(store, registry=registry)
    contexts: List[Any] = []
    authenticated: List[str] = []
    seen: List[Tuple[Optional[str], Optional[str]]] = []

    def answer(req: AuthRequest, connection: int = 1) -> AuthResponse:
        proxy_value = req.headers.get("Proxy-Authorization")
        origin_value = req.headers.get("Authorization")
        seen.append(
            (
                proxy_value.split()[0] if proxy_value else None,
                origin_value.split()[0] if origin_value else None,
            )
        )
        if not authenticated:
            if proxy_value is None:
                return AuthResponse(407, [("Proxy-Authenticate", "NTLM")])
            if not contexts:
                contexts.append(spnego.server(protocol="ntlm"))
            context = contexts[0]
            out = context.step(base64.b64decode(proxy_value.split()[1]))
            if not context.complete:
                return AuthResponse(
                    407, [("Proxy-Authenticate", f"NTLM {base64.b64encode(out).decode()}")]
                )
            authenticated.append(str(context.client_principal))
        elif proxy_value is not None:
            return AuthResponse(407, [("Proxy-Authenticate", "NTLM")])  # a restarted handshake
        if origin_value is None or not origin_value.startswith("Basic "):
            return AuthResponse(401, [("WWW-Authenticate", 'Basic realm="files"')])
        return AuthResponse(200, [])

    result = run(nego, request(proxy=PROXY_URL), answer, range(10))  # type: ignore[arg-type]
    assert result.outcome == "ok" and result.scheme == "basic"
    assert result.bound_side == "proxy" and result.credential is not None
    assert seen == [(None, None), ("NTLM", None), ("NTLM", None), (None, "Basic")]
    assert authenticated == ["alice"]
    assert store.authenticator_for(PROXY_URL, proxy=True) is None


@needs_spnego
def test_connection_bound_schemes_can_be_left_out_of_a_flow() -> None:
    """A driver that cannot pin a connection (the adapter through a proxy) gets Basic instead."""
    nego = negotiator()
    flow = nego.auth_flow(request(), connection_bound=False)
    next(flow)
    retry = flow.send(
        AuthResponse(401, [("WWW-Authenticate", "NTLM"), ("WWW-Authenticate", 'Basic realm="r"')])
    )
    assert retry.headers["Authorization"].startswith("Basic ") and not retry.connection_bound
    flow = nego.auth_flow(request(), connection_bound=False)
    next(flow)
    with pytest.raises(StopIteration) as stop:
        flow.send(AuthResponse(401, [("WWW-Authenticate", "NTLM")]))
    assert stop.value.value.outcome == "unsupported"


@needs_spnego
def test_per_side_choice_ntlm_to_a_forward_proxy_but_not_to_the_origin_behind_it() -> None:
    """A forward proxy's connection can be pinned; the origin's legs could be spread by it."""
    store = Credentials()
    store.add("http://files.example:8080/", "alice", "s3cret")
    store.add_proxy(PROXY_URL, "bob", "pässwörd€")
    nego = Negotiator(store, registry=SchemeRegistry([BasicScheme, NTLMScheme]))
    flow = nego.auth_flow(
        request(proxy=PROXY_URL), connection_bound=False, proxy_connection_bound=True
    )
    next(flow)
    to_proxy = flow.send(AuthResponse(407, [("Proxy-Authenticate", "NTLM")]))
    assert to_proxy.bound_side == "proxy" and to_proxy.bound_credential is not None
    assert to_proxy.bound_credential.username == "bob"
    assert leg(token_of(to_proxy.headers["Proxy-Authorization"], "NTLM")) == 1
    flow = nego.auth_flow(
        request(proxy=PROXY_URL), connection_bound=False, proxy_connection_bound=True
    )
    next(flow)
    with pytest.raises(StopIteration) as stop:
        flow.send(AuthResponse(401, [("WWW-Authenticate", "NTLM")]))
    assert stop.value.value.outcome == "unsupported"
    assert "connection-bound" in stop.value.value.detail


@needs_spnego
def test_proxy_side_follows_the_origin_side_by_default() -> None:
    store = Credentials()
    store.add_proxy(PROXY_URL, "bob", "pässwörd€")
    nego = Negotiator(store, registry=SchemeRegistry([BasicScheme, NTLMScheme]))
    flow = nego.auth_flow(request(proxy=PROXY_URL), connection_bound=False)
    next(flow)
    with pytest.raises(StopIteration) as stop:
        flow.send(AuthResponse(407, [("Proxy-Authenticate", "NTLM")]))
    assert stop.value.value.outcome == "unsupported"


@needs_spnego
@pytest.mark.parametrize(
    ("offers", "with_body", "expected"),
    [
        (("NTLM",), True, [False, True, False]),  # type 1 only draws the type 2
        (("NTLM",), False, [False, False, False]),  # nothing to hold back
        (("Negotiate",), True, [False, True, False]),  # NTLM's type 1 inside SPNEGO
    ],
    ids=["ntlm-with-body", "ntlm-without-body", "negotiate-ntlm-with-body"],
)
def test_the_flow_holds_the_body_back_only_from_a_leg_that_cannot_authenticate(
    offers: Tuple[str, ...], with_body: bool, expected: List[bool]
) -> None:
    server = Acceptor(offers)
    body = ReplayableBody.wrap(b"payload") if with_body else None
    flow = negotiator().auth_flow(request("PUT", body=body))
    outgoing = next(flow)
    seen = [outgoing.withhold_body]
    for _ in range(2):
        outgoing = flow.send(server(outgoing))
        seen.append(outgoing.withhold_body)
    assert seen == expected
    with pytest.raises(StopIteration) as stop:
        flow.send(server(outgoing))
    assert stop.value.value.outcome == "ok"


@needs_spnego
def test_ntlm_awaits_a_challenge_only_after_producing_its_type_1() -> None:
    auth = cast(NTLMScheme, create(NTLMScheme))
    assert not auth.awaits_challenge  # nothing produced yet
    token = token_of(auth.authorize(request()), "NTLM")
    assert leg(token) == 1 and auth.awaits_challenge
    acceptor = spnego.server(protocol="ntlm")
    type2 = acceptor.step(token)
    assert auth.on_challenge(challenge_with("NTLM", type2))
    assert not auth.awaits_challenge  # the type 3 authenticates


def test_a_kerberos_first_token_never_awaits_a_challenge() -> None:
    """An AP-REQ may authenticate at once: its leg must carry the body."""
    auth = NegotiateScheme(
        Challenge("negotiate"),
        Credential("alice", "x"),
        lambda: cast(Any, FakeKerberos()),
        hostname="h",
    )
    auth.authorize(request())
    assert not auth.awaits_challenge
