"""Digest authentication (RFC 7616; RFC 2069 compatibility; RFC 7615 Authentication-Info).

Expected values come from the RFC's own examples (section 3.9) or are computed
here independently, with hashlib, straight from the formulas of sections
3.4.1-3.4.3 and 3.5.
"""

from __future__ import annotations

import hashlib
import io
import threading
from typing import Callable, Dict, List, Optional, Tuple, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_dav.auth.body import ReplayableBody
from requests_dav.auth.challenge import Challenge, parse_challenges
from requests_dav.auth.errors import (
    BodyNotReplayableError,
    MutualAuthenticationError,
    UnsupportedChallengeError,
)
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes import digest_algorithms, digest_nonces
from requests_dav.auth.schemes.base import PasswordDeclinedError, SchemeOptions
from requests_dav.auth.schemes.digest import ALGORITHMS, DigestScheme, PureSHA512_256
from requests_dav.auth.types import Credential

OPTIONS = SchemeOptions()

# RFC 7616 section 3.9.1
RFC_REALM = "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC_URL = "http://www.example.org/dir/index.html"

# RFC 7616 section 3.9.2
USERHASH_USER = "J\u00e4s\u00f8n Doe"
USERHASH_PASSWORD = "Secret, or not?"
USERHASH_NONCE = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"
USERHASH_CNONCE = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"
USERHASH_OPAQUE = "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS"
USERHASH_CHALLENGE = (
    'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, '
    f'nonce="{USERHASH_NONCE}", opaque="{USERHASH_OPAQUE}", charset=UTF-8, userhash=true'
)


def challenge_of(value: str, header: str = "WWW-Authenticate") -> Challenge:
    (challenge,) = parse_challenges(value, header)
    return challenge


def rfc_challenge(algorithm: str = "MD5", qop: str = "auth", extra: str = "") -> Challenge:
    return challenge_of(
        f'Digest realm="{RFC_REALM}", qop="{qop}", algorithm={algorithm}, '
        f'nonce="{RFC_NONCE}", opaque="{RFC_OPAQUE}"{extra}'
    )


def make_request(
    url: str = RFC_URL,
    method: str = "GET",
    body: object = None,
    target: str = "",
    proxy: Optional[str] = None,
) -> AuthRequest:
    return AuthRequest(method, url, {}, ReplayableBody.wrap(body), target=target, proxy=proxy)


def params_of(value: str) -> Dict[str, str]:
    """The auth-params of a credentials value (same syntax as a challenge)."""
    credentials = challenge_of(value, "Authorization")
    assert credentials.scheme == "digest"
    return dict(credentials.params)


def create(
    challenge: Challenge,
    username: str = "Mufasa",
    password: Union[str, bytes, Callable[..., object]] = "Circle of Life",
    options: SchemeOptions = OPTIONS,
    url: str = RFC_URL,
    encoding: Optional[str] = None,
) -> DigestScheme:
    credential = Credential(username, password, encoding=encoding)  # type: ignore[arg-type]
    return DigestScheme.create(challenge, credential, url=url, options=options)


@pytest.fixture
def fixed_cnonce(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_cnonce(value: str) -> None:
        monkeypatch.setattr(digest_nonces, "new_cnonce", lambda: value)

    set_cnonce(RFC_CNONCE)
    return set_cnonce


def H(name: str, data: str) -> str:
    return hashlib.new(name, data.encode("utf-8")).hexdigest()


def expected_response(
    hash_name: str,
    *,
    user: str,
    realm: str,
    password: str,
    nonce: str,
    cnonce: str,
    nc: str,
    qop: Optional[str],
    method: str,
    uri: str,
    sess: bool = False,
    body: Optional[bytes] = None,
) -> str:
    """RFC 7616 sections 3.4.1-3.4.3, written out independently of the implementation."""
    ha1 = H(hash_name, f"{user}:{realm}:{password}")
    if sess:
        ha1 = H(hash_name, f"{ha1}:{nonce}:{cnonce}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + hashlib.new(hash_name, body or b"").hexdigest()
    ha2 = H(hash_name, a2)
    if qop is None:
        return H(hash_name, f"{ha1}:{nonce}:{ha2}")
    return H(hash_name, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


# -- RFC 7616 section 3.9 examples -------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_3_9_1_examples(fixed_cnonce: object, algorithm: str, response: str) -> None:
    # The RFC's server offers "auth, auth-int" and its client picked auth; this client would
    # prefer auth-int for a GET (tested below), so the challenge here offers auth only.
    auth = create(rfc_challenge(algorithm))
    value = auth.authorize(make_request())
    assert value == (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        f'algorithm={algorithm}, nonce="{RFC_NONCE}", nc=00000001, cnonce="{RFC_CNONCE}", '
        f'qop=auth, response="{response}", opaque="{RFC_OPAQUE}"'
    )


def test_rfc7616_3_9_1_challenge_verbatim_prefers_auth_int(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("SHA-256", qop="auth, auth-int"))
    assert auth.requires_body
    params = params_of(auth.authorize(make_request()))
    assert params["qop"] == "auth-int"
    assert params["response"] == expected_response(
        "sha256",
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth-int",
        method="GET",
        uri="/dir/index.html",
    )


def test_rfc7616_3_9_2_userhash(fixed_cnonce: Callable[[str], None]) -> None:
    # The values printed in RFC 7616 were computed with a draft SHA-512/256; these are the
    # corrected ones of erratum 4897 (the same that Go's, curl's and others' tests use).
    fixed_cnonce(USERHASH_CNONCE)
    auth = create(
        challenge_of(USERHASH_CHALLENGE),
        username=USERHASH_USER,
        password=USERHASH_PASSWORD,
        url="http://api.example.org/doe.json",
    )
    value = auth.authorize(make_request("http://api.example.org/doe.json"))
    params = params_of(value)
    assert params == {
        "username": "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b",
        "realm": "api@example.org",
        "uri": "/doe.json",
        "algorithm": "SHA-512-256",
        "nonce": USERHASH_NONCE,
        "nc": "00000001",
        "cnonce": USERHASH_CNONCE,
        "qop": "auth",
        "response": "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5",
        "opaque": USERHASH_OPAQUE,
        "userhash": "true",
    }
    assert "username*" not in value


def test_rfc7616_3_9_2_username_star_without_userhash(
    fixed_cnonce: Callable[[str], None],
) -> None:
    fixed_cnonce(USERHASH_CNONCE)
    auth = create(
        challenge_of(USERHASH_CHALLENGE.replace(", userhash=true", "")),
        username=USERHASH_USER,
        password=USERHASH_PASSWORD,
    )
    value = auth.authorize(make_request("http://api.example.org/doe.json"))
    assert value.startswith("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, ")
    params = params_of(value)
    assert params["username*"] == USERHASH_USER  # decoded by the parser
    assert "username" not in params and "userhash" not in params
    # userhash does not enter the response computation
    assert params["response"] == "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"


def test_ascii_username_is_quoted_not_extended(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge(), username='we"ird\\name')
    value = auth.authorize(make_request())
    assert 'username="we\\"ird\\\\name"' in value
    assert params_of(value)["username"] == 'we"ird\\name'


# -- algorithms --------------------------------------------------------------------------------


ALGORITHM_CASES = [
    ("MD5", "md5", False),
    ("MD5-sess", "md5", True),
    ("SHA-256", "sha256", False),
    ("SHA-256-sess", "sha256", True),
    ("SHA-512-256", "sha512_256", False),
    ("SHA-512-256-sess", "sha512_256", True),
]


@pytest.mark.parametrize(("algorithm", "hash_name", "sess"), ALGORITHM_CASES)
def test_known_answers_every_algorithm(
    fixed_cnonce: object, algorithm: str, hash_name: str, sess: bool
) -> None:
    auth = create(rfc_challenge(algorithm))
    params = params_of(auth.authorize(make_request()))
    assert params["algorithm"] == algorithm
    assert params["response"] == expected_response(
        hash_name,
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth",
        method="GET",
        uri="/dir/index.html",
        sess=sess,
    )


def test_sha512_256_known_answer_literal() -> None:
    # FIPS 180-4 example ("abc") for SHA-512/256, and the challenge path end to end.
    expected = "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
    assert ALGORITHMS["sha-512-256"].hash(b"abc") == expected
    assert PureSHA512_256(b"abc").hexdigest() == expected


@pytest.mark.parametrize("size", [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 1000])
def test_pure_sha512_256_matches_hashlib_at_padding_edges(size: int) -> None:
    data = bytes(range(256)) * 4
    data = data[:size]
    assert PureSHA512_256(data).hexdigest() == hashlib.new("sha512_256", data).hexdigest()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=5))
def test_pure_sha512_256_incremental_matches_hashlib(chunks: List[bytes]) -> None:
    pure = PureSHA512_256()
    reference = hashlib.new("sha512_256")
    for chunk in chunks:
        pure.update(chunk)
        reference.update(chunk)
    copy = pure.copy()
    assert pure.hexdigest() == reference.hexdigest() == copy.hexdigest()


def test_algorithm_names_are_case_insensitive_and_echoed_as_sent(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("sha-256"))
    assert auth.algorithm.name == "SHA-256"
    assert params_of(auth.authorize(make_request()))["algorithm"] == "sha-256"


def test_absent_algorithm_means_md5_and_is_not_sent(fixed_cnonce: object) -> None:
    challenge = challenge_of(f'Digest realm="r", nonce="{RFC_NONCE}", qop="auth"')
    auth = create(challenge)
    value = auth.authorize(make_request())
    assert "algorithm" not in params_of(value)
    assert params_of(value)["response"] == expected_response(
        "md5",
        user="Mufasa",
        realm="r",
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth",
        method="GET",
        uri="/dir/index.html",
    )


@pytest.mark.parametrize(
    "value",
    [
        'Digest realm="r", nonce="n", qop="auth", algorithm=SHA-1',
        'Digest realm="r", nonce="n", qop="auth", algorithm=token',
        'Digest realm="r", qop="auth"',  # no nonce
        'Digest nonce="n", qop="auth"',  # no realm
        'Digest realm="r", nonce="n", qop="auth-conf"',
        'Digest realm="r", nonce="n", qop=""',
        'Basic realm="r"',
    ],
)
def test_unsupported_challenges(value: str) -> None:
    challenge = challenge_of(value)
    assert not DigestScheme.supports(challenge, OPTIONS)
    with pytest.raises(UnsupportedChallengeError):
        create(challenge)


def test_rank_orders_algorithms() -> None:
    ranks = {name: DigestScheme.rank(rfc_challenge(name)) for name, _, _ in ALGORITHM_CASES}
    assert ranks["SHA-512-256"] > ranks["SHA-512-256-sess"] > ranks["SHA-256"]
    assert ranks["SHA-256"] > ranks["SHA-256-sess"] > ranks["MD5"] > ranks["MD5-sess"]
    legacy = challenge_of(f'Digest realm="r", nonce="{RFC_NONCE}"')
    assert DigestScheme.rank(legacy) < ranks["MD5"]


# -- qop ---------------------------------------------------------------------------------------


def test_auth_int_hashes_the_exact_body(fixed_cnonce: object) -> None:
    body = b"<?xml version='1.0'?><propfind xmlns='DAV:'><allprop/></propfind>"
    auth = create(rfc_challenge("SHA-256", qop="auth-int"))
    assert auth.requires_body
    request = make_request(method="PROPFIND", body=body)
    params = params_of(auth.authorize(request))
    assert params["qop"] == "auth-int"
    assert params["response"] == expected_response(
        "sha256",
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth-int",
        method="PROPFIND",
        uri="/dir/index.html",
        body=body,
    )
    assert b"".join(request.body or ()) == body  # hashing did not consume a pass


def test_auth_int_seekable_body_is_rewound(fixed_cnonce: object) -> None:
    data = b"x" * 70_000 + b"tail"
    file = io.BytesIO(b"skipped" + data)
    file.seek(len(b"skipped"))
    auth = create(rfc_challenge("MD5", qop="auth-int"))
    request = make_request(method="PUT", body=file)
    params = params_of(auth.authorize(request))
    assert params["response"] == expected_response(
        "md5",
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth-int",
        method="PUT",
        uri="/dir/index.html",
        body=data,
    )
    assert b"".join(request.body or ()) == data


def test_auth_int_without_body_hashes_the_empty_string(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("MD5", qop="auth-int"))
    params = params_of(auth.authorize(make_request(method="DELETE")))
    assert params["response"] == expected_response(
        "md5",
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth-int",
        method="DELETE",
        uri="/dir/index.html",
        body=b"",
    )


def test_stream_body_falls_back_to_auth_when_offered(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("MD5", qop="auth-int,auth"))
    request = make_request(method="PUT", body=iter([b"a", b"b"]))
    assert params_of(auth.authorize(request))["qop"] == "auth"
    assert not request.body or not request.body.started


def test_stream_body_hashed_when_auth_int_is_the_only_qop(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("MD5", qop="auth-int"))
    request = make_request(method="PUT", body=iter([b"ab", b"cd"]))
    params = params_of(auth.authorize(request))
    assert params["qop"] == "auth-int"
    assert params["response"] == expected_response(
        "md5",
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth-int",
        method="PUT",
        uri="/dir/index.html",
        body=b"abcd",
    )
    assert b"".join(request.body or ()) == b"abcd"


def test_auth_int_only_with_oversized_stream_raises() -> None:
    auth = create(rfc_challenge("MD5", qop="auth-int"))
    body = ReplayableBody.wrap(iter([b"x" * 10, b"y" * 10]), max_replay_bytes=15)
    request = AuthRequest("PUT", RFC_URL, {}, body)
    with pytest.raises(BodyNotReplayableError):
        auth.authorize(request)


def test_requires_body_false_for_auth() -> None:
    assert not create(rfc_challenge("MD5", qop="auth")).requires_body


# -- legacy RFC 2069 ---------------------------------------------------------------------------


def test_legacy_digest_refused_by_default() -> None:
    challenge = challenge_of(f'Digest realm="r", nonce="{RFC_NONCE}", opaque="o"')
    assert not DigestScheme.supports(challenge, OPTIONS)
    with pytest.raises(UnsupportedChallengeError):
        create(challenge)


def test_legacy_digest_when_allowed() -> None:
    challenge = challenge_of(f'Digest realm="r", nonce="{RFC_NONCE}", opaque="o"')
    options = SchemeOptions(allow_legacy_digest=True)
    assert DigestScheme.supports(challenge, options)
    auth = create(challenge, options=options)
    params = params_of(auth.authorize(make_request()))
    assert "nc" not in params and "cnonce" not in params and "qop" not in params
    assert params["response"] == expected_response(
        "md5",
        user="Mufasa",
        realm="r",
        password="Circle of Life",
        nonce=RFC_NONCE,
        cnonce="",
        nc="",
        qop=None,
        method="GET",
        uri="/dir/index.html",
    )


def test_legacy_sess_is_never_supported() -> None:
    challenge = challenge_of(f'Digest realm="r", nonce="{RFC_NONCE}", algorithm=MD5-sess')
    assert not DigestScheme.supports(challenge, SchemeOptions(allow_legacy_digest=True))


# -- nonce count, cnonce -----------------------------------------------------------------------


def test_nc_increments_per_request() -> None:
    auth = create(rfc_challenge())
    counts = [params_of(auth.authorize(make_request()))["nc"] for _ in range(3)]
    assert counts == ["00000001", "00000002", "00000003"]


def test_nc_from_eight_threads_distinct_and_consecutive() -> None:
    auth = create(rfc_challenge("SHA-256"))
    results: List[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        mine = [params_of(auth.authorize(make_request()))["nc"] for _ in range(50)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(nc, 16) for nc in results) == list(range(1, 401))
    assert all(len(nc) == 8 for nc in results)


def test_cnonce_fresh_per_request_but_fixed_per_nonce_for_sess() -> None:
    plain = create(rfc_challenge("SHA-256"))
    cnonces = {params_of(plain.authorize(make_request()))["cnonce"] for _ in range(5)}
    assert len(cnonces) == 5
    assert all(len(c) == 32 for c in cnonces)
    sess = create(rfc_challenge("SHA-256-sess"))
    assert len({params_of(sess.authorize(make_request()))["cnonce"] for _ in range(5)}) == 1


# -- uri ---------------------------------------------------------------------------------------


def test_uri_is_the_request_target_verbatim() -> None:
    auth = create(rfc_challenge())
    request = make_request("http://www.example.org/a%20b/c?x=1&y=%2F")
    assert params_of(auth.authorize(request))["uri"] == "/a%20b/c?x=1&y=%2F"
    proxied = make_request(
        "http://www.example.org/dir/", target="http://www.example.org/dir/", proxy="http://p:3128"
    )
    assert params_of(auth.authorize(proxied))["uri"] == "http://www.example.org/dir/"
    connect = make_request(
        "http://www.example.org:443", method="CONNECT", target="www.example.org:443"
    )
    assert params_of(auth.authorize(connect))["uri"] == "www.example.org:443"


# -- stale / new nonce -------------------------------------------------------------------------


def test_stale_same_realm_and_algorithm_adopts_new_nonce(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("SHA-256"))
    auth.authorize(make_request())
    auth.authorize(make_request())
    fresh = challenge_of(
        f'Digest realm="{RFC_REALM}", qop="auth", algorithm=SHA-256, nonce="n2", '
        'opaque="o2", stale=TRUE'
    )
    assert auth.on_challenge(fresh) is True
    params = params_of(auth.authorize(make_request()))
    assert (params["nonce"], params["nc"], params["opaque"]) == ("n2", "00000001", "o2")
    assert params["response"] == expected_response(
        "sha256",
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce="n2",
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth",
        method="GET",
        uri="/dir/index.html",
    )


@pytest.mark.parametrize(
    "value",
    [
        'Digest realm="other", qop="auth", algorithm=SHA-256, nonce="n2", stale=true',
        'Digest realm="http-auth@example.org", qop="auth", algorithm=MD5, nonce="n2", stale=true',
        'Basic realm="http-auth@example.org"',
    ],
)
def test_stale_with_changed_realm_or_algorithm_is_a_refusal(value: str) -> None:
    auth = create(rfc_challenge("SHA-256"))
    auth.authorize(make_request())
    assert auth.on_challenge(challenge_of(value)) is False


def test_same_nonce_again_is_a_refusal() -> None:
    auth = create(rfc_challenge())
    auth.authorize(make_request())
    auth.authorize(make_request())
    assert auth.on_challenge(rfc_challenge()) is False
    assert auth.on_challenge(rfc_challenge(extra=", stale=true")) is False


def test_new_nonce_after_first_use_is_a_refusal() -> None:
    # nc=00000001 cannot have been rejected as out of order: the password was wrong
    auth = create(rfc_challenge())
    auth.authorize(make_request())
    other = challenge_of(f'Digest realm="{RFC_REALM}", qop="auth", algorithm=MD5, nonce="n2"')
    assert auth.on_challenge(other) is False


def test_new_nonce_after_possible_nc_rejection_retried_once() -> None:
    auth = create(rfc_challenge())
    for _ in range(3):
        auth.authorize(make_request())
    second = challenge_of(f'Digest realm="{RFC_REALM}", qop="auth", algorithm=MD5, nonce="n2"')
    assert auth.on_challenge(second) is True
    assert params_of(auth.authorize(make_request()))["nc"] == "00000001"
    third = challenge_of(f'Digest realm="{RFC_REALM}", qop="auth", algorithm=MD5, nonce="n3"')
    assert auth.on_challenge(third) is False  # our nc was 1 this time: refused
    # a nonce already used is never retried, even when marked stale
    for _ in range(2):
        auth.authorize(make_request())
    assert auth.on_challenge(rfc_challenge(extra=", stale=true")) is False


# -- Authentication-Info: rspauth, nextnonce ---------------------------------------------------


def rspauth_for(
    hash_name: str,
    *,
    nonce: str,
    cnonce: str,
    nc: str,
    qop: str,
    uri: str,
    body: Optional[bytes] = None,
) -> str:
    """RFC 7616 section 3.5: the request digest with an empty method."""
    return expected_response(
        hash_name,
        user="Mufasa",
        realm=RFC_REALM,
        password="Circle of Life",
        nonce=nonce,
        cnonce=cnonce,
        nc=nc,
        qop=qop,
        method="",
        uri=uri,
        body=body,
    )


def authorized(auth: DigestScheme, request: AuthRequest, header: str = "Authorization") -> str:
    value = auth.authorize(request)
    request.headers[header] = value
    return value


def test_rspauth_verifies(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("SHA-256"))
    request = make_request()
    authorized(auth, request)
    good = rspauth_for(
        "sha256",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth",
        uri="/dir/index.html",
    )
    info = f'rspauth="{good}", cnonce="{RFC_CNONCE}", nc=00000001, qop=auth'
    auth.on_success(AuthResponse(200, [("Authentication-Info", info)]), request)


def test_rspauth_mismatch_raises_without_secrets(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("SHA-256"))
    request = make_request()
    sent = authorized(auth, request)
    wrong = "0" * 64
    info = f'rspauth="{wrong}", cnonce="{RFC_CNONCE}", nc=00000001, qop=auth'
    with pytest.raises(MutualAuthenticationError) as caught:
        auth.on_success(AuthResponse(200, [("Authentication-Info", info)]), request)
    message = str(caught.value)
    assert "rspauth" in message
    assert "Circle of Life" not in message
    assert params_of(sent)["response"] not in message
    assert auth._ha1 not in message


def test_rspauth_with_other_cnonce_or_nc_raises(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge())
    cases = [
        ('rspauth="x", cnonce="other", nc=00000001', "cnonce"),
        (f'rspauth="x", cnonce="{RFC_CNONCE}", nc=00000009', "nc"),
    ]
    for info, what in cases:
        request = make_request()
        authorized(auth, request)
        with pytest.raises(MutualAuthenticationError, match=f"server's {what} "):
            auth.on_success(AuthResponse(200, [("Authentication-Info", info)]), request)


def test_missing_authentication_info_is_fine() -> None:
    auth = create(rfc_challenge())
    request = make_request()
    authorized(auth, request)
    auth.on_success(AuthResponse(200, []), request)


def test_malformed_authentication_info_raises() -> None:
    auth = create(rfc_challenge())
    request = make_request()
    authorized(auth, request)
    with pytest.raises(MutualAuthenticationError):
        auth.on_success(
            AuthResponse(200, [("Authentication-Info", 'rspauth="unterminated')]), request
        )


def test_rspauth_auth_int_needs_the_response_body(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge("MD5", qop="auth-int"))
    request = make_request(method="PUT", body=b"data")
    authorized(auth, request)
    body = b"<html>created</html>"
    good = rspauth_for(
        "md5",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth-int",
        uri="/dir/index.html",
        body=body,
    )
    info = f'rspauth="{good}", cnonce="{RFC_CNONCE}", nc=00000001, qop=auth-int'
    response = AuthResponse(201, [("Authentication-Info", info)])
    auth.on_success(response, request, response_body=body)
    request2 = make_request(method="PUT", body=b"data")
    authorized(auth, request2)
    info2 = info.replace("nc=00000001", "nc=00000002")
    with pytest.raises(MutualAuthenticationError):
        auth.on_success(
            AuthResponse(201, [("Authentication-Info", info2)]), request2, response_body=b"other"
        )
    # without the body an auth-int rspauth cannot be checked: accepted unverified
    request3 = make_request(method="PUT", body=b"data")
    authorized(auth, request3)
    info3 = info.replace("nc=00000001", "nc=00000003")
    auth.on_success(AuthResponse(201, [("Authentication-Info", info3)]), request3)


def test_nextnonce_adopted_and_nc_reset(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge())
    request = make_request()
    authorized(auth, request)
    authorized(auth, make_request())
    auth.on_success(AuthResponse(200, [("Authentication-Info", 'nextnonce="fresh"')]), request)
    params = params_of(auth.authorize(make_request()))
    assert (params["nonce"], params["nc"]) == ("fresh", "00000001")


def test_nextnonce_not_adopted_when_rspauth_fails(fixed_cnonce: object) -> None:
    auth = create(rfc_challenge())
    request = make_request()
    authorized(auth, request)
    info = f'nextnonce="fresh", rspauth="bad", cnonce="{RFC_CNONCE}", nc=00000001'
    with pytest.raises(MutualAuthenticationError):
        auth.on_success(AuthResponse(200, [("Authentication-Info", info)]), request)
    assert params_of(auth.authorize(make_request()))["nonce"] == RFC_NONCE


def test_proxy_uses_proxy_authentication_info(fixed_cnonce: object) -> None:
    challenge = challenge_of(
        f'Digest realm="{RFC_REALM}", qop="auth", nonce="{RFC_NONCE}", domain="/ignored/"',
        "Proxy-Authenticate",
    )
    auth = create(challenge, url="http://proxy.example:3128")
    request = make_request(target=RFC_URL, proxy="http://proxy.example:3128")
    authorized(auth, request, "Proxy-Authorization")
    good = rspauth_for(
        "md5", nonce=RFC_NONCE, cnonce=RFC_CNONCE, nc="00000001", qop="auth", uri=RFC_URL
    )
    # an origin Authentication-Info is not the proxy's business
    auth.on_success(AuthResponse(200, [("Authentication-Info", 'rspauth="junk"')]), request)
    info = f'rspauth="{good}", cnonce="{RFC_CNONCE}", nc=00000001, nextnonce="p2"'
    auth.on_success(AuthResponse(200, [("Proxy-Authentication-Info", info)]), request)
    assert params_of(auth.authorize(make_request(target=RFC_URL)))["nonce"] == "p2"
    assert auth.space_prefixes("http://proxy.example:3128") == ["http://proxy.example:3128/"]


# -- protection space --------------------------------------------------------------------------


def test_domain_resolved_and_same_origin_only() -> None:
    challenge = rfc_challenge(
        extra=', domain="/dav/ private/ http://www.example.org:80/abs/ https://www.example.org/tls/ http://evil.example/x/"'
    )
    auth = create(challenge)
    assert auth.space_prefixes("http://www.example.org/dir/index.html") == [
        "http://www.example.org:80/dav/",
        "http://www.example.org:80/dir/private/",
        "http://www.example.org:80/abs/",
    ]


def test_no_domain_is_the_whole_origin() -> None:
    auth = create(rfc_challenge())
    assert auth.space_prefixes("https://WWW.Example.org/dir/x") == ["https://www.example.org:443/"]
    assert auth.space_prefixes("http://[::1]:8080/a") == ["http://[::1]:8080/"]


def test_domain_uris_that_are_not_http_urls_are_other_origins() -> None:
    """``domain`` may list any URI (RFC 7616 section 3.3); one that is not http(s) with a host
    names no space of this origin, and the others still count."""
    auth = create(
        rfc_challenge(extra=', domain="ftp://www.example.org/pub/ mailto:x@example.org /ok/"')
    )
    assert auth.space_prefixes("http://www.example.org/dir/index.html") == [
        "http://www.example.org:80/ok/"
    ]


def test_domain_with_only_foreign_origins_falls_back_to_the_directory() -> None:
    auth = create(rfc_challenge(extra=', domain="http://elsewhere.example/"'))
    assert auth.space_prefixes("http://www.example.org/dir/index.html") == [
        "http://www.example.org:80/dir/"
    ]


# -- credentials and secrets -------------------------------------------------------------------


def test_password_callable_asked_once_in_create() -> None:
    calls: List[Tuple[str, Optional[str], int]] = []

    def ask(url: str, realm: Optional[str], attempt: int) -> str:
        calls.append((url, realm, attempt))
        return "Circle of Life"

    credential = Credential("Mufasa", ask)
    auth = DigestScheme.create(rfc_challenge(), credential, url=RFC_URL, options=OPTIONS, attempt=2)
    for _ in range(3):
        auth.authorize(make_request())
    assert calls == [(RFC_URL, RFC_REALM, 2)]


def test_password_callable_declining_raises() -> None:
    credential = Credential("Mufasa", lambda url, realm, attempt: None)
    with pytest.raises(PasswordDeclinedError) as caught:
        DigestScheme.create(rfc_challenge(), credential, url=RFC_URL, options=OPTIONS)
    assert isinstance(caught.value, UnsupportedChallengeError)


def test_bytes_password_and_encoding_override(fixed_cnonce: object) -> None:
    latin = create(rfc_challenge(), password="S\u00e9same", encoding="latin-1")
    raw = create(rfc_challenge(), password="S\u00e9same".encode("latin-1"))
    utf8 = create(rfc_challenge(), password="S\u00e9same")
    responses = [params_of(a.authorize(make_request()))["response"] for a in (latin, raw, utf8)]
    assert responses[0] == responses[1] != responses[2]


def test_no_secret_in_repr_or_state() -> None:
    auth = create(rfc_challenge("SHA-256"), password="Circle of Life")
    value = auth.authorize(make_request())
    text = repr(auth)
    assert "Circle of Life" not in text
    assert auth._ha1 not in text
    assert params_of(value)["response"] not in text
    assert "Mufasa" in text and "SHA-256" in text
    assert not any("Circle of Life" in str(v) for v in vars(auth).values())
    assert "Circle" not in repr(list(auth._sent.values()))


def test_unencodable_password_error_names_no_secret() -> None:
    with pytest.raises(UnsupportedChallengeError) as caught:
        create(rfc_challenge(), password="\u20ac-secret", encoding="latin-1")
    assert "secret" not in str(caught.value)
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_charset_utf8_normalizes_to_nfc(fixed_cnonce: object) -> None:
    decomposed_user, decomposed_password = "Jo\u0308rg", "pa\u0301ss"
    challenge = rfc_challenge(extra=", charset=UTF-8")
    auth = create(challenge, username=decomposed_user, password=decomposed_password)
    params = params_of(auth.authorize(make_request()))
    assert params["username*"] == "J\u00f6rg"
    assert params["response"] == expected_response(
        "md5",
        user="J\u00f6rg",
        realm=RFC_REALM,
        password="p\u00e1ss",
        nonce=RFC_NONCE,
        cnonce=RFC_CNONCE,
        nc="00000001",
        qop="auth",
        method="GET",
        uri="/dir/index.html",
    )
    # without the announcement the octets are used as given
    plain = create(rfc_challenge(), username=decomposed_user, password=decomposed_password)
    assert params_of(plain.authorize(make_request()))["username*"] == decomposed_user


def test_pure_sha512_256_used_when_hashlib_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_new = hashlib.new

    def without_sha512_256(name: str, *args: object, **kwargs: object) -> object:
        if name.lower().replace("-", "_").replace("/", "_") == "sha512_256":
            raise ValueError(f"unsupported hash type {name}")
        return real_new(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "new", without_sha512_256)
    factory = digest_algorithms._sha512_256_factory()
    assert factory is PureSHA512_256
    hasher = factory()
    hasher.update(b"abc")
    assert hasher.hexdigest() == (
        "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
    )
