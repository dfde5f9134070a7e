"""The authentication challenge parser and writer (RFC 9110 section 11, RFC 7235, RFC 7615)."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import pickle
from typing import Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_dav.auth.challenge import (
    Challenge,
    format_auth_params,
    parse_auth_info,
    parse_challenges,
    parse_challenges_lenient,
    quote_string,
)
from requests_dav.auth.errors import ChallengeParseError
from requests_dav.auth.rfc8187 import encode_ext_value


def one(value: str, header: str = "WWW-Authenticate") -> Challenge:
    challenges = parse_challenges(value, header)
    assert len(challenges) == 1, challenges
    return challenges[0]


def parse_error(value: str, header: str = "WWW-Authenticate") -> ChallengeParseError:
    with pytest.raises(ChallengeParseError) as info:
        parse_challenges(value, header)
    return info.value


# --- the Challenge value object ----------------------------------------------------------


class TestChallenge:
    def test_names_are_lower_cased_values_keep_case(self) -> None:
        c = Challenge("Digest", {"Realm": "Some Realm", "QOP": "Auth"})
        assert c.scheme == "digest"
        assert dict(c.params) == {"realm": "Some Realm", "qop": "Auth"}

    def test_params_are_read_only(self) -> None:
        source = {"realm": "x"}
        c = Challenge("Basic", source)
        with pytest.raises(TypeError):
            c.params["realm"] = "y"  # type: ignore[index]
        source["realm"] = "changed"
        assert c.realm == "x"

    def test_frozen(self) -> None:
        c = Challenge("Basic", {"realm": "x"})
        with pytest.raises(dataclasses.FrozenInstanceError):
            c.scheme = "digest"  # type: ignore[misc]

    def test_equality_and_hash(self) -> None:
        a = Challenge("Basic", {"realm": "x", "charset": "UTF-8"})
        b = Challenge("BASIC", {"Charset": "UTF-8", "REALM": "x"})
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b}) == 1
        assert a != Challenge("Basic", {"realm": "X"})
        assert a != Challenge(
            "Basic", {"realm": "x", "charset": "UTF-8"}, header="Proxy-Authenticate"
        )
        assert Challenge("Negotiate", token68="abc=") != Challenge("Negotiate", token68="abc")

    def test_pickle_and_copy(self) -> None:
        c = Challenge("Digest", {"realm": "x", "nonce": "n"}, header="Proxy-Authenticate")
        assert pickle.loads(pickle.dumps(c)) == c  # noqa: S301 (our own bytes)
        assert copy.deepcopy(c) == c
        assert copy.copy(c) == c
        assert dataclasses.replace(c, token68=None) == c

    def test_get_is_case_insensitive(self) -> None:
        c = Challenge("Digest", {"algorithm": "SHA-256"})
        assert c.get("Algorithm") == "SHA-256"
        assert c.get("ALGORITHM") == "SHA-256"
        assert c.get("qop") is None
        assert c.get("qop", "auth") == "auth"

    def test_realm(self) -> None:
        assert Challenge("Basic", {"realm": "r"}).realm == "r"
        assert Challenge("Negotiate").realm is None

    @pytest.mark.parametrize(
        ("header", "proxy"),
        [
            ("WWW-Authenticate", False),
            ("Proxy-Authenticate", True),
            ("proxy-authenticate", True),
            ("PROXY-AUTHENTICATE", True),
            ("Authentication-Info", False),
        ],
    )
    def test_is_proxy(self, header: str, proxy: bool) -> None:
        assert Challenge("Basic", header=header).is_proxy is proxy

    def test_repr(self) -> None:
        c = Challenge("Digest", {"realm": "x", "algorithm": "MD5", "qop": "auth"})
        assert repr(c) == "Challenge('digest', realm='x', algorithm='MD5', qop='auth')"
        assert (
            repr(Challenge("Negotiate", token68="YII=")) == "Challenge('negotiate', token68='YII=')"
        )
        assert repr(Challenge("Basic", header="Proxy-Authenticate")) == (
            "Challenge('basic', header='Proxy-Authenticate')"
        )

    def test_repr_truncates_long_values_and_many_params(self) -> None:
        nonce = "n" * 500
        c = Challenge("Digest", {"nonce": nonce, **{f"p{i}": "v" for i in range(20)}})
        text = repr(c)
        assert nonce not in text
        assert len(text) < 250
        assert text.endswith("...)")
        assert len(repr(Challenge("Negotiate", token68="a" * 1000))) < 80

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"scheme": "Bad Scheme"},
            {"scheme": ""},
            {"scheme": "Basic", "params": {"bad name": "x"}},
            {"scheme": "Basic", "params": {"realm": "x", "REALM": "y"}},
            {"scheme": "Negotiate", "token68": "not a token68"},
            {"scheme": "Negotiate", "token68": "=abc"},
            {"scheme": "Negotiate", "token68": "abc", "params": {"realm": "x"}},
        ],
    )
    def test_constructor_validates(self, kwargs: Dict[str, object]) -> None:
        with pytest.raises(ValueError):
            Challenge(**kwargs)  # type: ignore[arg-type]


# --- parse_challenges: RFC examples ---------------------------------------------------------


def test_rfc7235_section_4_1_example() -> None:
    value = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'
    assert parse_challenges(value) == [
        Challenge("Newauth", {"realm": "apps", "type": "1", "title": 'Login to "apps"'}),
        Challenge("Basic", {"realm": "simple"}),
    ]


RFC7616_SHA256 = (
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnHcv4ClHfdh7ABJ1fYVCnMgUlHvwRfR"'
)
RFC7616_MD5 = RFC7616_SHA256.replace("algorithm=SHA-256", "algorithm=MD5")


def _rfc7616_params(algorithm: str) -> Dict[str, str]:
    return {
        "realm": "http-auth@example.org",
        "qop": "auth, auth-int",
        "algorithm": algorithm,
        "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        "opaque": "FQhe/qaU925kfnHcv4ClHfdh7ABJ1fYVCnMgUlHvwRfR",
    }


def test_rfc7616_section_3_9_1_two_lines() -> None:
    expected = [
        Challenge("Digest", _rfc7616_params("SHA-256")),
        Challenge("Digest", _rfc7616_params("MD5")),
    ]
    assert parse_challenges([RFC7616_SHA256, RFC7616_MD5]) == expected
    # requests joins repeated field lines with ", "
    assert parse_challenges(f"{RFC7616_SHA256}, {RFC7616_MD5}") == expected


def test_rfc7616_section_3_9_1_as_printed_with_obs_fold() -> None:
    # The RFC prints the challenge folded over several lines (obs-fold, RFC 9112 section 5.2).
    folded = (
        "Digest\r\n"
        '    realm="http-auth@example.org",\r\n'
        '    qop="auth, auth-int",\r\n'
        "    algorithm=SHA-256,\r\n"
        '    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n'
        '    opaque="FQhe/qaU925kfnHcv4ClHfdh7ABJ1fYVCnMgUlHvwRfR"'
    )
    assert parse_challenges(folded) == [Challenge("Digest", _rfc7616_params("SHA-256"))]


def test_obs_fold_keeps_error_positions() -> None:
    err = parse_error('Basic\r\n realm="x" @')
    assert err.position == len('Basic\r\n realm="x" ')


def test_rfc7617_basic_charset() -> None:
    c = one('Basic realm="foo", charset="UTF-8"')
    assert c == Challenge("basic", {"realm": "foo", "charset": "UTF-8"})
    assert c.realm == "foo"


# --- parse_challenges: real servers -----------------------------------------------------------


def test_apache_mod_auth_digest() -> None:
    value = (
        'Digest realm="x", nonce="JzVr3Pa6BQA=2f5b0dc3ac3ae6a18a9b0f6c52c5c1b1bfee8c84", '
        'algorithm=MD5, domain="/digest/ /digest-also/", qop="auth"'
    )
    c = one(value)
    assert c.scheme == "digest"
    assert c.realm == "x"
    assert c.get("nonce") == "JzVr3Pa6BQA=2f5b0dc3ac3ae6a18a9b0f6c52c5c1b1bfee8c84"
    assert c.get("algorithm") == "MD5"
    assert c.get("domain") == "/digest/ /digest-also/"
    assert c.get("qop") == "auth"


def test_squid_proxy_digest_without_algorithm_and_basic_on_two_lines() -> None:
    lines = [
        'Digest realm="Squid proxy-caching web server", nonce="SmBM1oexBQDoRqk4AAAAAAAAAAA", '
        'qop="auth", stale=false',
        'Basic realm="Squid proxy-caching web server"',
    ]
    digest, basic = parse_challenges(lines, "Proxy-Authenticate")
    assert digest.scheme == "digest"
    assert digest.get("algorithm") is None
    assert digest.get("stale") == "false"
    assert basic == Challenge(
        "Basic", {"realm": "Squid proxy-caching web server"}, header="Proxy-Authenticate"
    )
    assert digest.is_proxy and basic.is_proxy


def test_iis_negotiate_ntlm_on_one_line() -> None:
    assert parse_challenges("Negotiate, NTLM") == [Challenge("negotiate"), Challenge("ntlm")]


def test_iis_negotiate_ntlm_on_two_lines() -> None:
    assert parse_challenges(["Negotiate", "NTLM"]) == parse_challenges("Negotiate, NTLM")


def test_bearer_error() -> None:
    c = one('Bearer realm="x", error="invalid_token"')
    assert c == Challenge("Bearer", {"realm": "x", "error": "invalid_token"})


def test_bearer_rfc6750_example() -> None:
    value = (
        'Bearer realm="example", error="invalid_token", '
        'error_description="The access token expired"'
    )
    assert one(value).get("error_description") == "The access token expired"


def test_negotiate_token68() -> None:
    assert one("Negotiate abc==") == Challenge("Negotiate", token68="abc==")
    assert one("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXegDTALBgkqhkiG9xIBAgI/+-._~") == Challenge(
        "negotiate", token68="YIIBhwYGKwYBBQUCoIIBezCCAXegDTALBgkqhkiG9xIBAgI/+-._~"
    )


def test_unknown_scheme_is_kept() -> None:
    c = one('X-Custom-Auth-1.0 realm="r", foo=bar')
    assert c.scheme == "x-custom-auth-1.0"
    assert dict(c.params) == {"realm": "r", "foo": "bar"}


# --- parse_challenges: grammar --------------------------------------------------------------


def test_several_challenges_on_one_line() -> None:
    value = 'Basic realm="a", Digest realm="b", nonce="n", qop="auth,auth-int"'
    assert parse_challenges(value) == [
        Challenge("basic", {"realm": "a"}),
        Challenge("digest", {"realm": "b", "nonce": "n", "qop": "auth,auth-int"}),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Foo abc=", Challenge("foo", token68="abc=")),
        ("Foo abc", Challenge("foo", token68="abc")),
        ("Foo a=b", Challenge("foo", {"a": "b"})),
        ("Foo a = b", Challenge("foo", {"a": "b"})),
        ("Foo abc==  ", Challenge("foo", token68="abc==")),
        ("Foo a/b+c~d", Challenge("foo", token68="a/b+c~d")),
        ("Foo abc =def", Challenge("foo", {"abc": "def"})),
        # by the ABNF a lone "name=" is a token68, not an auth-param missing its value
        ("Basic realm=", Challenge("basic", token68="realm=")),
        ("Basic realm= ,", Challenge("basic", token68="realm=")),
    ],
)
def test_token68_versus_auth_param(value: str, expected: Challenge) -> None:
    assert one(value) == expected


def test_token68_challenge_followed_by_others() -> None:
    assert parse_challenges("Negotiate abc==, Basic realm=x, NTLM, Foo t68=") == [
        Challenge("negotiate", token68="abc=="),
        Challenge("basic", {"realm": "x"}),
        Challenge("ntlm"),
        Challenge("foo", token68="t68="),
    ]


def test_params_then_bare_scheme_then_token68_scheme() -> None:
    assert parse_challenges("A x=y, B, C zz, D q=r") == [
        Challenge("a", {"x": "y"}),
        Challenge("b"),
        Challenge("c", token68="zz"),
        Challenge("d", {"q": "r"}),
    ]


def test_bare_scheme() -> None:
    assert one("Basic") == Challenge("basic")
    assert one("  Basic  ") == Challenge("basic")
    assert one("Negotiate ,") == Challenge("negotiate")


@pytest.mark.parametrize("value", ["", "   ", ",", ", ,", " , , ,\t,"])
def test_empty_lists(value: str) -> None:
    assert parse_challenges(value) == []
    assert parse_challenges([value, value]) == []
    assert parse_auth_info(value) == {}


def test_no_lines() -> None:
    assert parse_challenges([]) == []


def test_empty_list_elements_between_and_around() -> None:
    value = ', , Basic realm="a" , , charset=UTF-8,, , Digest realm="b",,'
    assert parse_challenges(value) == [
        Challenge("basic", {"realm": "a", "charset": "UTF-8"}),
        Challenge("digest", {"realm": "b"}),
    ]


def test_bws_around_equals() -> None:
    assert one('Digest realm = "x" ,\tnonce\t=\tabc') == Challenge(
        "digest", {"realm": "x", "nonce": "abc"}
    )


def test_no_space_after_comma() -> None:
    assert one('Digest realm="x",nonce="y",qop=auth') == Challenge(
        "digest", {"realm": "x", "nonce": "y", "qop": "auth"}
    )


def test_tab_after_scheme_is_tolerated() -> None:
    assert one('Basic\trealm="x"') == Challenge("basic", {"realm": "x"})


def test_missing_comma_between_params_is_tolerated() -> None:
    assert one('Digest realm="x" nonce="y"  qop=auth') == Challenge(
        "digest", {"realm": "x", "nonce": "y", "qop": "auth"}
    )


def test_quoted_pair() -> None:
    c = one(r'Basic realm="a \"quoted\" back\\slash \x end"')
    assert c.realm == 'a "quoted" back\\slash x end'


def test_quoted_string_with_comma_and_equals() -> None:
    assert parse_challenges('Digest realm="a, b=c", Basic realm="d"') == [
        Challenge("digest", {"realm": "a, b=c"}),
        Challenge("basic", {"realm": "d"}),
    ]


def test_empty_quoted_value() -> None:
    assert one('Basic realm=""').realm == ""


def test_obs_text_in_quoted_string() -> None:
    # http.client decodes field values as ISO-8859-1
    assert one('Basic realm="caf\u00e9"').realm == "café"
    # other stacks may hand over UTF-8-decoded text
    assert one('Basic realm="\u20ac\U0001f512"').realm == "€🔒"


def test_case_insensitive_scheme_and_names_values_keep_case() -> None:
    c = one('DiGeSt ReAlM="MiXeD", ALGORITHM=Sha-256')
    assert c.scheme == "digest"
    assert dict(c.params) == {"realm": "MiXeD", "algorithm": "Sha-256"}
    assert c.get("Realm") == "MiXeD"


def test_extended_param_is_decoded_under_starred_name() -> None:
    c = one("Newauth title*=UTF-8''%c2%a3%20and%20%e2%82%ac%20rates, title=\"rates\"")
    assert c.get("title*") == "£ and € rates"
    assert c.get("title") == "rates"


def test_extended_param_iso_8859_1_and_quoted() -> None:
    c = one("Newauth title*=iso-8859-1'en'%A3%20rates, a*=\"UTF-8''%C3%A9\"")
    assert c.get("title*") == "£ rates"
    assert c.get("a*") == "é"


def test_digest_username_star_in_challenge_list() -> None:
    c = one("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=x")
    assert c.get("username*") == "Jäsøn Doe"


def test_field_lines_and_joined_string_agree() -> None:
    lines = ['Basic realm="a"', 'Digest realm="b", nonce="n"', "Negotiate", "Foo t68=="]
    assert parse_challenges(lines) == parse_challenges(", ".join(lines))
    assert parse_challenges(iter(lines)) == parse_challenges(tuple(lines))


def test_header_is_recorded() -> None:
    c = one('Basic realm="p"', "Proxy-Authenticate")
    assert c.header == "Proxy-Authenticate"
    assert c.is_proxy
    assert not one('Basic realm="p"').is_proxy


def test_lines_must_be_str() -> None:
    with pytest.raises(TypeError):
        parse_challenges([b'Basic realm="x"'])  # type: ignore[list-item]


# --- parse_challenges: errors ---------------------------------------------------------------


def test_unterminated_quoted_string() -> None:
    err = parse_error('Basic realm="abc')
    assert err.header == "WWW-Authenticate"
    assert err.position == 12  # the opening quote
    assert "unterminated" in err.reason
    assert err.value == 'Basic realm="abc'
    assert "position 12" in str(err)


def test_unterminated_after_trailing_backslash() -> None:
    assert parse_error('Basic realm="abc\\').position == 12


def test_duplicate_parameter() -> None:
    err = parse_error('Digest realm="a", nonce="x", REALM="b"')
    assert err.position == 29
    assert "duplicate" in err.reason


def test_same_name_in_two_challenges_is_fine() -> None:
    assert len(parse_challenges('Basic realm="a", Digest realm="b"')) == 2


def test_error_names_the_header() -> None:
    err = parse_error('Basic realm="x', "Proxy-Authenticate")
    assert err.header == "Proxy-Authenticate"
    assert "Proxy-Authenticate" in str(err)


@pytest.mark.parametrize(
    ("value", "position"),
    [
        ('realm="x"', 5),  # a parameter where a challenge must start
        ("=Basic", 0),
        ('"Basic"', 0),
        ("Basic a=b, realm=", 17),  # a value is required
        ("Basic a=b, realm=, c=d", 17),
        ("Basic realm=, charset=x", 21),  # token68 "realm=", then "charset=x" is no challenge
        ('Basic realm="x" extra', 16),
        ('Basic realm="x" "y"', 16),
        ('Basic realm="x"; charset=x', 15),
        ('Basic "x"', 6),
        ("Basic realm=a b", 14),
        ("Basic=x", 5),
        ('Basic realm="x", Digest realm="y" Negotiate', 34),
        ('Basic realm="a\x00b"', 14),  # control character in quoted-string
        ('Basic realm="a\\\nb"', 14),  # quoted-pair cannot escape LF
        ('Basic realm="x",\r\nDigest', 16),  # CRLF not followed by whitespace
        ("Foo a==b", 6),
        ("Foo title*=UTF-8''%zz", 11),  # invalid ext-value
        ("Foo title*=KOI8-R''%F0", 11),  # unsupported charset
        ("Foo title*=plain", 11),
        ("Foo a\u00e9=b", 4),  # names are ASCII tokens
    ],
)
def test_malformed(value: str, position: int) -> None:
    err = parse_error(value)
    assert err.position == position, err
    assert 0 <= err.position <= len(value)


def test_error_on_second_line_reports_position_in_that_line() -> None:
    with pytest.raises(ChallengeParseError) as info:
        parse_challenges(['Basic realm="a"', 'Digest realm="b'])
    assert info.value.position == 13
    assert info.value.value == 'Digest realm="b'


# --- parse_challenges_lenient --------------------------------------------------------------


def test_lenient_keeps_other_lines() -> None:
    challenges, errors = parse_challenges_lenient(
        ['Basic realm="a"', 'Digest realm="b', "Negotiate"], "Proxy-Authenticate"
    )
    assert challenges == [
        Challenge("basic", {"realm": "a"}, header="Proxy-Authenticate"),
        Challenge("negotiate", header="Proxy-Authenticate"),
    ]
    assert len(errors) == 1
    assert errors[0].position == 13
    assert errors[0].header == "Proxy-Authenticate"


def test_lenient_keeps_challenges_completed_before_the_error() -> None:
    challenges, errors = parse_challenges_lenient(
        'Basic realm="a", Negotiate abc=, Digest realm="b", nonce='
    )
    assert challenges == [
        Challenge("basic", {"realm": "a"}),
        Challenge("negotiate", token68="abc="),
    ]
    assert [e.position for e in errors] == [57]


def test_lenient_one_error_per_bad_line() -> None:
    challenges, errors = parse_challenges_lenient(["@", "Basic", '"', "NTLM"])
    assert challenges == [Challenge("basic"), Challenge("ntlm")]
    assert len(errors) == 2


def test_lenient_without_errors_matches_strict() -> None:
    lines = [RFC7616_SHA256, RFC7616_MD5, 'Basic realm="x"']
    assert parse_challenges_lenient(lines) == (parse_challenges(lines), [])


# --- parse_auth_info (RFC 7615) ---------------------------------------------------------------


def test_auth_info_apache() -> None:
    value = 'rspauth="d9a4b7c1e2f3", cnonce="MTIzNDU2", nc=00000001, qop=auth'
    assert parse_auth_info(value) == {
        "rspauth": "d9a4b7c1e2f3",
        "cnonce": "MTIzNDU2",
        "nc": "00000001",
        "qop": "auth",
    }


def test_auth_info_nextnonce_and_case() -> None:
    info = parse_auth_info(['NextNonce="abc"', "QOP=auth"], "Proxy-Authentication-Info")
    assert info == {"nextnonce": "abc", "qop": "auth"}


def test_auth_info_extended_param() -> None:
    assert parse_auth_info("a*=UTF-8''%E2%82%AC") == {"a*": "€"}


@pytest.mark.parametrize(
    ("value", "position"),
    [
        ('Digest rspauth="x"', 0),  # no scheme in Authentication-Info
        ('nextnonce="abc', 10),
        ("qop=auth, nc=1, QOP=auth", 16),
        ("qop=auth, nc", 10),
        ("qop=auth extra", 9),
    ],
)
def test_auth_info_malformed(value: str, position: int) -> None:
    with pytest.raises(ChallengeParseError) as info:
        parse_auth_info(value)
    assert info.value.position == position
    assert info.value.header == "Authentication-Info"


def test_auth_info_duplicate_across_lines() -> None:
    with pytest.raises(ChallengeParseError, match="duplicate"):
        parse_auth_info(["nextnonce=a", "nextnonce=b"])


# --- quote_string and format_auth_params ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("", '""'),
        ("plain", '"plain"'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("tab\there", '"tab\there"'),
        ("caf\u00e9", '"caf\u00e9"'),
    ],
)
def test_quote_string(value: str, quoted: str) -> None:
    assert quote_string(value) == quoted
    assert one(f"X v={quoted}").get("v") == value


@pytest.mark.parametrize(
    "value", ["a\r\nSet-Cookie: x=y", "a\nb", "a\rb", "nul\x00", "del\x7f", "esc\x1b", "\u20ac"]
)
def test_quote_string_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="cannot appear in a quoted-string"):
        quote_string(value)


def test_quote_string_error_does_not_repeat_the_value() -> None:
    with pytest.raises(ValueError) as info:
        quote_string("s3cret\n")
    assert "s3cret" not in str(info.value)
    assert "U+000A" in str(info.value)


def test_format_auth_params_rfc7616_style() -> None:
    header = format_auth_params(
        "Digest",
        [
            ("username", "Mufasa", True),
            ("realm", "http-auth@example.org", True),
            ("uri", "/dir/index.html", True),
            ("algorithm", "MD5", False),
            ("nc", "00000001", False),
        ],
    )
    assert header == (
        'Digest username="Mufasa", realm="http-auth@example.org", '
        'uri="/dir/index.html", algorithm=MD5, nc=00000001'
    )


def test_format_auth_params_escapes_and_ext_value() -> None:
    header = format_auth_params(
        "Digest",
        [("username*", encode_ext_value("Jäsøn Doe"), False), ("realm", 'a "b"', True)],
    )
    assert header == 'Digest username*=UTF-8\'\'J%C3%A4s%C3%B8n%20Doe, realm="a \\"b\\""'
    assert one(header) == Challenge("digest", {"username*": "Jäsøn Doe", "realm": 'a "b"'})


def test_format_auth_params_without_params() -> None:
    assert format_auth_params("Negotiate", []) == "Negotiate"


@pytest.mark.parametrize(
    ("scheme", "params"),
    [
        ("Bad Scheme", []),
        ("", []),
        ("Digest", [("bad name", "x", True)]),
        ("Digest", [("nc", "0000 0001", False)]),
        ("Digest", [("nc", "", False)]),
        ("Digest", [("opaque", "a,b", False)]),
        ("Digest", [("realm", "x\r\ny", True)]),
        ("Digest", [("realm", "a", True), ("Realm", "b", True)]),
    ],
)
def test_format_auth_params_refuses(scheme: str, params: List[Tuple[str, str, bool]]) -> None:
    with pytest.raises(ValueError):
        format_auth_params(scheme, params)


def test_format_auth_params_error_does_not_repeat_the_value() -> None:
    with pytest.raises(ValueError) as info:
        format_auth_params("Digest", [("response", "top secret", False)])
    assert "top secret" not in str(info.value)


# --- property tests -------------------------------------------------------------------------

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
TOKEN68_CHARS = "-._~+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

tokens = st.text(alphabet=TCHARS, min_size=1, max_size=12)
grammar_pieces = st.sampled_from(
    [
        "Basic", "Digest", "Negotiate", "realm", "nonce", "title*", "a", "Z9",
        "abc==", "=", "==", '"', '\\"', "\\", ",", ", ", " ", "  ", "\t", "\r\n ", "\r", "\n",
        "UTF-8''", "%c2%a3", "%", "%zz", "'", "/", "+", "é", "\u20ac", "\x00", "\x7f", ";",
    ]
)  # fmt: skip
grammar_text = st.lists(st.one_of(grammar_pieces, tokens), max_size=30).map("".join)


def _check_never_raises_unexpected(values: List[str]) -> None:
    for header in ("WWW-Authenticate", "Proxy-Authenticate"):
        try:
            parse_challenges(values, header)
        except ChallengeParseError as exc:
            assert exc.header == header
            assert 0 <= exc.position <= max(len(v) for v in values)
        challenges, errors = parse_challenges_lenient(values, header)
        assert all(isinstance(c, Challenge) for c in challenges)
        assert all(isinstance(e, ChallengeParseError) for e in errors)
    with contextlib.suppress(ChallengeParseError):
        parse_auth_info(values)


@given(st.text())
def test_arbitrary_text_raises_only_parse_errors(text: str) -> None:
    _check_never_raises_unexpected([text])


@settings(max_examples=500)
@given(st.lists(grammar_text, min_size=1, max_size=3))
def test_grammar_biased_text_raises_only_parse_errors(lines: List[str]) -> None:
    _check_never_raises_unexpected(lines)


@settings(max_examples=300)
@given(grammar_text)
def test_lenient_agrees_with_strict(text: str) -> None:
    challenges, errors = parse_challenges_lenient(text)
    try:
        strict = parse_challenges(text)
    except ChallengeParseError as exc:
        assert len(errors) == 1
        assert errors[0].position == exc.position
        assert errors[0].reason == exc.reason
    else:
        assert errors == []
        assert challenges == strict


quotable = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
    | st.sampled_from('\t"\\'),
    max_size=20,
)
param_value = st.one_of(
    tokens.map(lambda v: (v, False)),  # written bare
    tokens.map(lambda v: (v, True)),  # a token, quoted anyway
    quotable.map(lambda v: (v, True)),
)
plain_names = tokens.filter(lambda n: not n.endswith("*"))


@st.composite
def challenge_and_text(draw: st.DrawFn, header: str) -> Tuple[Challenge, str]:
    scheme = draw(tokens)
    kind = draw(st.sampled_from(["bare", "token68", "params"]))
    if kind == "bare":
        return Challenge(scheme, header=header), scheme
    if kind == "token68":
        body = draw(st.text(alphabet=TOKEN68_CHARS, min_size=1, max_size=20))
        t68 = body + "=" * draw(st.integers(0, 3))
        return Challenge(scheme, token68=t68, header=header), f"{scheme} {t68}"
    names = draw(st.lists(plain_names, min_size=1, max_size=6, unique_by=lambda n: n.lower()))
    items: List[Tuple[str, str, bool]] = []
    expected: Dict[str, str] = {}
    for name in names:
        value, quote = draw(param_value)
        items.append((name, value, quote))
        expected[name.lower()] = value
    ext_text: Optional[str] = draw(st.none() | st.text(max_size=10).filter(_utf8_ok))
    if ext_text is not None and "title*" not in expected:
        items.append(("Title*", encode_ext_value(ext_text), False))
        expected["title*"] = ext_text
    items = draw(st.permutations(items))
    return Challenge(scheme, expected, header=header), format_auth_params(scheme, items)


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=400)
@given(
    st.sampled_from(["WWW-Authenticate", "Proxy-Authenticate"]).flatmap(
        lambda h: st.tuples(
            st.just(h), st.lists(challenge_and_text(h), max_size=5), st.integers(1, 3)
        )
    )
)
def test_round_trip(case: Tuple[str, List[Tuple[Challenge, str]], int]) -> None:
    header, pairs, per_line = case
    expected = [challenge for challenge, _ in pairs]
    texts = [text for _, text in pairs]
    joined = ", ".join(texts)
    assert parse_challenges(joined, header) == expected
    lines = [", ".join(texts[i : i + per_line]) for i in range(0, len(texts), per_line)]
    assert parse_challenges(lines, header) == expected
    assert parse_challenges_lenient(lines, header) == (expected, [])


@given(st.lists(st.tuples(plain_names, param_value), max_size=6, unique_by=lambda p: p[0].lower()))
def test_auth_info_round_trip(pairs: List[Tuple[str, Tuple[str, bool]]]) -> None:
    items = [(name, value, quote) for name, (value, quote) in pairs]
    text = format_auth_params("X", items)[1:].lstrip()
    assert parse_auth_info(text) == {name.lower(): value for name, value, _ in items}
