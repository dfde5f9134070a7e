"""Challenge values beyond U+00FF (issue 11, point 7, second half).

A field line is ISO-8859-1, but a stack that decodes header values as UTF-8 (or a ``responses``
mock) can hand the core any code point. The parser accepts them as obs-text; Digest cannot echo
such a ``realm``, ``nonce`` or ``opaque`` in a quoted-string, so it does not answer (outcome
``"unsupported"``) instead of raising a bare ``ValueError``; such a ``nextnonce`` is ignored;
a malformed RFC 8187 value is a ``ChallengeParseError``.
"""

from __future__ import annotations

from typing import Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_dav.auth.challenge import parse_auth_info, parse_challenges
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.errors import ChallengeParseError
from requests_dav.auth.flow import FlowResult, Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse


def first_round(value: str) -> Union[FlowResult, AuthRequest]:
    credentials = Credentials()
    credentials.add("http://h.example/", "alice", "s3cret")
    flow = Negotiator(credentials).auth_flow(
        AuthRequest(method="GET", url="http://h.example/a", headers={})
    )
    next(flow)
    try:
        return flow.send(AuthResponse(401, [("WWW-Authenticate", value)]))
    except StopIteration as stop:
        result: FlowResult = stop.value
        return result


@pytest.mark.parametrize(
    "value",
    [
        'Digest realm="r\u20ac", nonce="abc", qop="auth"',
        'Digest realm="r", nonce="ab\u4e00", qop="auth"',
        'Digest realm="r", nonce="abc", qop="auth", opaque="\U0001f600"',
    ],
)
def test_digest_values_that_cannot_be_echoed_are_unsupported(value: str) -> None:
    result = first_round(value)
    assert isinstance(result, FlowResult) and result.outcome == "unsupported"


def test_basic_with_a_wide_realm_is_answered() -> None:
    retry = first_round('Basic realm="\u20ac"')
    assert isinstance(retry, AuthRequest) and retry.headers["Authorization"].startswith("Basic ")


def test_a_wide_nextnonce_is_ignored() -> None:
    credentials = Credentials()
    credentials.add("http://h.example/", "alice", "s3cret")
    negotiator = Negotiator(credentials)
    flow = negotiator.auth_flow(AuthRequest(method="GET", url="http://h.example/a", headers={}))
    next(flow)
    flow.send(AuthResponse(401, [("WWW-Authenticate", 'Digest realm="r", nonce="n1", qop=auth')]))
    with pytest.raises(StopIteration):
        flow.send(AuthResponse(200, [("Authentication-Info", 'nextnonce="\u4e00\u4e01"')]))
    follow = negotiator.auth_flow(AuthRequest(method="GET", url="http://h.example/b", headers={}))
    value = next(follow).headers["Authorization"]  # no ValueError from quote_string
    assert 'nonce="n1"' in value


def test_a_wide_ext_value_is_a_parse_error() -> None:
    with pytest.raises(ChallengeParseError):
        parse_challenges("Basic title*=UTF-8''\u20ac")
    with pytest.raises(ChallengeParseError):
        parse_auth_info("title*=UTF-8''\u20ac")


_wide = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFFF, blacklist_categories=["Cs"]),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["Digest", "Basic", "Foo"]),
    st.lists(
        st.tuples(
            st.sampled_from(["realm", "nonce", "opaque", "qop", "algorithm", "domain", "title*"]),
            _wide,
        ),
        max_size=5,
    ),
)
def test_any_wide_challenge_ends_in_a_result_or_a_retry(scheme: str, params: list) -> None:  # type: ignore[type-arg]
    value = scheme + " " + ", ".join(f'{name}="{text}"' for name, text in params)
    outcome = first_round(value)
    assert isinstance(outcome, (FlowResult, AuthRequest))
    if isinstance(outcome, AuthRequest):
        outcome.headers["Authorization"].encode("latin-1")  # a value http.client can send
