"""The fast paths of the per-request Digest work give exactly what the general paths give.

* :func:`parse_auth_info` reads the usual ``Authentication-Info`` line (RFC 7615 section 3)
  with two regular expression calls; every other line goes to the general parser. Both are
  compared on generated lines: well-formed, hostile (quoted-pairs, commas inside quotes,
  whitespace variants, duplicates, empty and very long values, RFC 8187 names, obs-folds) and
  arbitrary text over the characters that matter.
* :func:`format_auth_params` checks the usual case in a constant number of calls; it is
  compared with the parameter by parameter path, errors included.
* Digest's hashing helpers encode the colon-joined text at once; they are compared with the
  part by part encoding (RFC 7616 section 3.4) on wire strings beyond U+00FF too.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import List, Optional, Tuple, Union

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from requests_dav.auth import challenge as challenge_module
from requests_dav.auth.challenge import format_auth_params, parse_auth_info, parse_challenges
from requests_dav.auth.errors import ChallengeParseError
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes.base import SchemeOptions
from requests_dav.auth.schemes.digest import ALGORITHMS, DigestScheme, PureSHA512_256
from requests_dav.auth.types import Credential

# -- parse_auth_info ---------------------------------------------------------------------------

Outcome = Union[Tuple[str, dict], Tuple[str, int, str]]


def general_auth_info(line: str, header: str = "Authentication-Info") -> Outcome:
    try:
        return ("ok", challenge_module._parse_auth_info_lines([line], header))
    except ChallengeParseError as exc:
        return ("error", exc.position, exc.reason)


def fast_auth_info(line: str, header: str = "Authentication-Info") -> Outcome:
    try:
        return ("ok", parse_auth_info(line, header))
    except ChallengeParseError as exc:
        return ("error", exc.position, exc.reason)


NAMES = st.sampled_from(
    ["rspauth", "cnonce", "nc", "qop", "nextnonce", "NC", "Qop", "title*", "x-y.z", "a!#$%&'+^_`|~"]
)
TOKEN_VALUES = st.sampled_from(["auth", "00000001", "MD5", "a.b-c", "x" * 5000, "UTF-8''%e2%82%ac"])
QUOTED_INNER = st.text(
    alphabet=st.sampled_from(list('ab ,=\t"\\;\x7f\x80\xff\u20ac\U0001f600')), max_size=12
) | st.sampled_from(["", "a,b=c", "v" * 5000, 'a\\"b', "a\\\\", 'x", y="z'])
OWS = st.sampled_from(["", " ", "\t", "  \t "])
SEPARATORS = st.sampled_from([", ", ",", " , ", ",,", ", ,\t,", " ", "", "\r\n ", ";"])


@st.composite
def auth_info_lines(draw: st.DrawFn) -> str:
    """Lines shaped like #auth-param, with a hostile part now and then."""
    parts = [draw(SEPARATORS) if draw(st.booleans()) else ""]
    for index in range(draw(st.integers(0, 5))):
        if index:
            parts.append(draw(SEPARATORS))
        name = draw(NAMES)
        if draw(st.booleans()):
            value = draw(TOKEN_VALUES)
        else:
            value = '"' + draw(QUOTED_INNER) + '"'
            if draw(st.integers(0, 9)) == 0:
                value = value[:-1]  # unterminated
        parts.append(f"{name}{draw(OWS)}={draw(OWS)}{value}")
    parts.append(draw(st.sampled_from(["", " ", ",", ", ", " @", "=", '"'])))
    return "".join(parts)


@st.composite
def usual_auth_info_lines(draw: st.DrawFn) -> str:
    """Lines of the shape the fast path reads, duplicates and odd ends included."""
    names = st.sampled_from(["rspauth", "cnonce", "nc", "qop", "nextnonce", "x-y"])
    inner = st.text(alphabet=st.sampled_from(list("ab ,=\t\x80\u20ac")), max_size=8)
    params = [
        f"{draw(names)}{draw(OWS)}={draw(OWS)}"
        + (draw(TOKEN_VALUES) if draw(st.booleans()) else '"' + draw(inner) + '"')
        for _ in range(draw(st.integers(0, 5)))
    ]
    separator = st.sampled_from([", ", ",", " , ", ",,", ", ,\t,"])
    line = draw(OWS) + "".join(param + draw(separator) for param in params[:-1])
    return line + "".join(params[-1:]) + draw(st.sampled_from(["", " ", ",", ", ,", " x", "="]))


@settings(max_examples=1500, deadline=None)
@given(auth_info_lines() | usual_auth_info_lines())
@example('rspauth="abc", cnonce="c", nc=00000001, qop=auth')
@example('rspauth="a", rspauth="b"')
@example('rspauth="a", RSPAUTH="b"')
@example('qop="a,b", nc="x"')
@example('nextnonce="a\\"b"')
@example('rspauth="x" nc=1')
@example('rspauth=""')
@example("title*=UTF-8''%e2%82%ac")
@example("")
@example(" , ,")
@example("a=b,\r\n c=d")
@example('rspauth="x, y", nc=1')
@example("nc=1, nc=1")
@example('nc=1, qop=auth, nc="1"')
@example("nc=1,  qop=auth")
@example("nc=1, ")
@example(", nc=1")
@example("nc==1")
@example('nc="1"x')
@example('nc="a=b", qop=""')
@example('nextnonce="\u20ac\x80", nc=1')
@example("nc=1 ,qop=auth")
def test_parse_auth_info_fast_path_equals_the_general_parser(line: str) -> None:
    assert fast_auth_info(line) == general_auth_info(line)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('aZ9*=", \t\\\r\n;\x80\u20ac')), max_size=30))
def test_parse_auth_info_fast_path_equals_the_general_parser_on_any_text(line: str) -> None:
    assert fast_auth_info(line) == general_auth_info(line)


def test_parse_auth_info_reads_the_usual_line_without_the_general_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(lines: List[str], header: str) -> dict:
        raise AssertionError("the general parser was used")

    monkeypatch.setattr(challenge_module, "_parse_auth_info_lines", refuse)
    line = 'rspauth="0f3e", cnonce="8d1a2b", nc=00000001, qop=auth, nextnonce=""'
    assert parse_auth_info(line) == {
        "rspauth": "0f3e",
        "cnonce": "8d1a2b",
        "nc": "00000001",
        "qop": "auth",
        "nextnonce": "",
    }


@st.composite
def canonical_auth_info_lines(draw: st.DrawFn) -> str:
    """Lines in the canonical form (``", "`` between parameters), hostile values included."""
    names = st.sampled_from(["rspauth", "cnonce", "nc", "qop", "nextnonce", "x-y", "Nc", "a*"])
    inner = st.text(alphabet=st.sampled_from(list('ab ,="\\=\t\x7f\x80\u20ac')), max_size=8)
    params = [
        draw(names)
        + draw(st.sampled_from(["=", "=", "=", " =", "= ", "=="]))
        + (draw(TOKEN_VALUES) if draw(st.booleans()) else '"' + draw(inner) + '"')
        for _ in range(draw(st.integers(1, 6)))
    ]
    return ", ".join(params)


@settings(max_examples=1000, deadline=None)
@given(canonical_auth_info_lines())
def test_parse_auth_info_canonical_path_equals_the_general_parser(line: str) -> None:
    assert fast_auth_info(line) == general_auth_info(line)


def test_parse_auth_info_reads_apaches_line_with_one_expression_and_a_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Refused:
        def __getattr__(self, name: str) -> object:
            raise AssertionError("the usual-shape path was used")

    def refuse(lines: List[str], header: str) -> dict:
        raise AssertionError("the general parser was used")

    monkeypatch.setattr(challenge_module, "_parse_auth_info_lines", refuse)
    monkeypatch.setattr(challenge_module._abnf, "SIMPLE_AUTH_INFO_RE", Refused())
    monkeypatch.setattr(challenge_module._abnf, "SIMPLE_PARAM_RE", Refused())
    line = 'rspauth="b2b8f5", cnonce="3c1e6a", nc=00000015, qop=auth, nextnonce="a=b c"'
    assert parse_auth_info([line]) == {
        "rspauth": "b2b8f5",
        "cnonce": "3c1e6a",
        "nc": "00000015",
        "qop": "auth",
        "nextnonce": "a=b c",
    }


def test_parse_auth_info_duplicates_and_several_lines_keep_the_general_rules() -> None:
    with pytest.raises(ChallengeParseError) as raised:
        parse_auth_info('nc=1, rspauth="a", nc=2')
    assert raised.value.position == 19
    with pytest.raises(ChallengeParseError):
        parse_auth_info(["nc=1", "nc=2"])
    assert parse_auth_info(["nc=1", 'rspauth="x"']) == {"nc": "1", "rspauth": "x"}
    with pytest.raises(TypeError):
        parse_auth_info([b"nc=1"])  # type: ignore[list-item]


# -- format_auth_params ------------------------------------------------------------------------

PARAM_NAMES = st.sampled_from(
    ["username", "realm", "Realm", "nc", "username*", "bad name", "", "a,b", "x=y", "é"]
)
PARAM_VALUES = st.sampled_from(
    [
        "",
        "auth",
        "00000001",
        "a,b",
        "a b",
        'say "hi"',
        "back\\slash",
        "x\r\ny",
        "\x00",
        "\x7f",
        "caf\xe9",
        "\u20ac",
        "v" * 3000,
        "UTF-8''J%C3%A4s",
        ",",
        "\t",
    ]
) | st.text(alphabet=st.sampled_from(list('a,"\\ \t\x80\u20ac=')), max_size=6)
SCHEMES = st.sampled_from(["Digest", "Basic", "digest", "Bad Scheme", "", "a,b", "Di,gest"])


def general_format(scheme: str, params: List[Tuple[str, str, bool]]) -> Tuple[str, str]:
    try:
        return ("ok", challenge_module._format_general(scheme, params))
    except ValueError as exc:
        return ("error", str(exc))


def fast_format(scheme: str, params: List[Tuple[str, str, bool]]) -> Tuple[str, str]:
    try:
        return ("ok", format_auth_params(scheme, params))
    except ValueError as exc:
        return ("error", str(exc))


@settings(max_examples=1500, deadline=None)
@given(SCHEMES, st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES, st.booleans()), max_size=6))
@example("Digest", [("realm", "a", True), ("Realm", "b", True)])
@example("Digest", [("opaque", "a,b", False)])
@example("a,b", [])
@example("Digest", [("realm", 'a "b"', True), ("nc", "00000001", False)])
@example("Digest", [("digest", "x", False)])
def test_format_auth_params_fast_path_writes_what_the_general_path_writes(
    scheme: str, params: List[Tuple[str, str, bool]]
) -> None:
    assert fast_format(scheme, params) == general_format(scheme, params)


def test_format_auth_params_takes_an_iterator_and_refuses_what_is_not_text() -> None:
    params = [("realm", "r", True), ("nc", "00000001", False)]
    assert format_auth_params("Digest", iter(params)) == 'Digest realm="r", nc=00000001'
    with pytest.raises(TypeError):
        format_auth_params("Digest", [("realm", None, True)])  # type: ignore[list-item]


def test_format_auth_params_usual_case_makes_no_call_per_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(scheme: str, params: object) -> str:
        raise AssertionError("the parameter by parameter path was used")

    monkeypatch.setattr(challenge_module, "_format_general", refuse)
    header = format_auth_params(
        "Digest", [("username", "Mufasa", True), ("uri", "/a b", True), ("qop", "auth", False)]
    )
    assert header == 'Digest username="Mufasa", uri="/a b", qop=auth'


# -- Digest hashing helpers --------------------------------------------------------------------


def _wire(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def scheme_for(algorithm: str, qop: str = "auth,auth-int") -> DigestScheme:
    challenge = parse_challenges(
        f'Digest realm="r\xe9alm", nonce="n", qop="{qop}", algorithm={algorithm}'
    )[0]
    return DigestScheme.create(
        challenge, Credential("user", "pass"), url="http://h/", options=SchemeOptions()
    )


WIRE_TEXT = st.text(alphabet=st.sampled_from(list("a/:?%\x80\xe9\xff\u20ac\U0001f600")), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["MD5", "MD5-sess", "SHA-256-sess"]),
    WIRE_TEXT,
    WIRE_TEXT,
    WIRE_TEXT,
    WIRE_TEXT,
    st.none() | st.just("d41d8cd98f00b204e9800998ecf8427e"),
    st.none() | st.sampled_from(["auth", "auth-int"]),
)
def test_digest_helpers_hash_the_octets_of_each_part(
    algorithm: str,
    method: str,
    uri: str,
    nonce: str,
    cnonce: str,
    body_hash: Optional[str],
    qop: Optional[str],
) -> None:
    auth = scheme_for(algorithm)
    h = auth.algorithm.hash
    ha1 = auth._ha1
    a2 = _wire(method) + b":" + _wire(uri)
    if body_hash is not None:
        a2 += b":" + body_hash.encode("ascii")
    assert auth._ha2(method, uri, body_hash) == h(a2)
    session = ha1
    if auth.algorithm.sess:
        session = h(ha1.encode("ascii") + b":" + _wire(nonce) + b":" + _wire(cnonce))
    assert auth._session_key(nonce, cnonce) == session
    data = f"{nonce}:x" if qop is None else f"{nonce}:{7:08x}:{cnonce}:{qop}:x"
    assert auth._digest(session, nonce, 7, cnonce, qop, "x") == h(
        session.encode("ascii") + b":" + _wire(data)
    )


def test_rspauth_verified_end_to_end_with_the_usual_line() -> None:
    """The whole per-request path: authorize, then an Apache-shaped Authentication-Info."""
    auth = scheme_for("MD5", qop="auth")
    request = AuthRequest("GET", "http://h/dir/f.txt", {})
    value = auth.authorize(request)
    request.headers["Authorization"] = value
    sent = challenge_module._parse_auth_info_lines([value[len("Digest ") :]], "Authorization")

    def md5(text: str) -> str:
        return hashlib.md5(text.encode("latin-1")).hexdigest()

    ha1 = md5("user:r\xe9alm:pass")
    good = md5(f"{ha1}:n:{sent['nc']}:{sent['cnonce']}:auth:" + md5(":/dir/f.txt"))
    assert sent["response"] == md5(
        f"{ha1}:n:{sent['nc']}:{sent['cnonce']}:auth:" + md5("GET:/dir/f.txt")
    )
    info = f'rspauth="{good}", cnonce="{sent["cnonce"]}", nc={sent["nc"]}, qop=auth'
    auth.on_success(AuthResponse(200, [("Authentication-Info", info)]), request)


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_algorithm_hash_in_one_call_equals_the_update_path(name: str) -> None:
    algorithm = ALGORITHMS[name]
    assert algorithm.new is not None
    general = dataclasses.replace(algorithm, new=None)
    for data in (b"", b"Mufasa:http-auth@example.org:Circle of Life", bytes(range(256)) * 3):
        assert algorithm.hash(data) == general.hash(data)
    pure = dataclasses.replace(algorithm, factory=PureSHA512_256, new=PureSHA512_256)
    if name.startswith("sha-512-256"):
        assert pure.hash(b"abc") == algorithm.hash(b"abc")


def test_achieved_is_kept_per_challenge_and_follows_a_new_one() -> None:
    auth = scheme_for("MD5", qop="auth")
    first = auth.achieved
    assert first == DigestScheme.strength_for(auth.challenge)
    assert auth.achieved is first  # worked out once for this challenge
    renewed = parse_challenges(
        'Digest realm="r\xe9alm", nonce="n2", qop="auth", algorithm=MD5, stale=true'
    )[0]
    auth.authorize(AuthRequest("GET", "http://h/", {}))
    auth.authorize(AuthRequest("GET", "http://h/", {}))
    assert auth.on_challenge(renewed) is True
    assert auth.achieved == DigestScheme.strength_for(renewed)
    assert auth.achieved is not first
