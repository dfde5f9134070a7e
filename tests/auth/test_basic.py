"""Basic authentication (RFC 7617): encoding, charset, user-id rules, protection space."""

from __future__ import annotations

import base64
from typing import List, Optional, Tuple

import pytest

from requests_dav.auth.challenge import Challenge, parse_challenges
from requests_dav.auth.errors import UnsupportedChallengeError
from requests_dav.auth.messages import AuthRequest
from requests_dav.auth.schemes.base import PasswordDeclinedError, SchemeOptions
from requests_dav.auth.schemes.basic import BasicScheme
from requests_dav.auth.types import Credential

OPTIONS = SchemeOptions()
URL = "http://www.example.com/docs/a/b.txt"


def challenge_of(value: str, header: str = "WWW-Authenticate") -> Challenge:
    (challenge,) = parse_challenges(value, header)
    return challenge


def header_for(
    username: str,
    password: object,
    challenge: str = 'Basic realm="WallyWorld"',
    *,
    encoding: Optional[str] = None,
    options: SchemeOptions = OPTIONS,
) -> str:
    credential = Credential(username, password, encoding=encoding)  # type: ignore[arg-type]
    auth = BasicScheme.create(challenge_of(challenge), credential, url=URL, options=options)
    return auth.authorize(AuthRequest("GET", URL, {}))


def decoded(value: str) -> bytes:
    scheme, token = value.split(" ", 1)
    assert scheme == "Basic"
    return base64.b64decode(token)


def test_rfc7617_section_2_example() -> None:
    assert header_for("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def test_rfc7617_section_2_1_utf8_example() -> None:
    value = header_for("test", "123\u00a3", 'Basic realm="foo", charset="UTF-8"')
    assert value == "Basic dGVzdDoxMjPCow=="


def test_utf8_is_the_default_without_charset() -> None:
    assert header_for("test", "123\u00a3") == "Basic dGVzdDoxMjPCow=="


def test_charset_is_case_insensitive() -> None:
    assert header_for("test", "123\u00a3", 'Basic realm="foo", charset=utf-8') == (
        "Basic dGVzdDoxMjPCow=="
    )


def test_charset_utf8_normalizes_to_nfc() -> None:
    decomposed = "cafe\u0301"
    value = header_for("u", decomposed, 'Basic realm="r", charset="UTF-8"')
    assert decoded(value) == "u:caf\u00e9".encode()
    # without the charset announcement the octets are sent exactly as given
    assert decoded(header_for("u", decomposed)) == f"u:{decomposed}".encode()


def test_credential_encoding_override_beats_charset() -> None:
    value = header_for(
        "test", "123\u00a3", 'Basic realm="foo", charset="UTF-8"', encoding="latin-1"
    )
    assert decoded(value) == b"test:123\xa3"


def test_options_default_encoding() -> None:
    value = header_for("test", "123\u00a3", options=SchemeOptions(basic_encoding="latin-1"))
    assert decoded(value) == b"test:123\xa3"


def test_bytes_password_sent_as_is() -> None:
    assert decoded(header_for("user", b"\xff\xfe raw")) == b"user:\xff\xfe raw"


def test_user_id_with_colon_is_refused_without_the_password() -> None:
    with pytest.raises(UnsupportedChallengeError) as caught:
        header_for("dom:user", "hunter2")
    message = str(caught.value)
    assert "':'" in message and "dom:user" in message
    assert "hunter2" not in message


def test_control_characters_refused() -> None:
    with pytest.raises(UnsupportedChallengeError):
        header_for("us\ner", "pw")
    with pytest.raises(UnsupportedChallengeError) as caught:
        header_for("user", "pw\r\nX-Injected: 1")
    assert "Injected" not in str(caught.value)


def test_unencodable_password_error_names_no_secret() -> None:
    with pytest.raises(UnsupportedChallengeError) as caught:
        header_for("user", "\u20actopsecret", encoding="latin-1")
    assert "topsecret" not in str(caught.value)
    assert "latin-1" in str(caught.value)
    assert caught.value.__context__ is None


def test_password_callable_asked_once_with_url_realm_attempt() -> None:
    calls: List[Tuple[str, Optional[str], int]] = []

    def ask(url: str, realm: Optional[str], attempt: int) -> str:
        calls.append((url, realm, attempt))
        return "open sesame"

    credential = Credential("Aladdin", ask)
    auth = BasicScheme.create(
        challenge_of('Basic realm="WallyWorld"'), credential, url=URL, options=OPTIONS, attempt=3
    )
    for _ in range(2):
        assert auth.authorize(AuthRequest("GET", URL, {})) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert calls == [(URL, "WallyWorld", 3)]


def test_password_callable_declining() -> None:
    credential = Credential("Aladdin", lambda url, realm, attempt: None)
    with pytest.raises(PasswordDeclinedError):
        BasicScheme.create(challenge_of('Basic realm="r"'), credential, url=URL, options=OPTIONS)


def test_supports_and_class_flags() -> None:
    assert BasicScheme.supports(challenge_of('Basic realm="r"'), OPTIONS)
    assert BasicScheme.supports(challenge_of("Basic"), OPTIONS)
    assert not BasicScheme.supports(challenge_of('Digest realm="r", nonce="n"'), OPTIONS)
    assert BasicScheme.scheme == "basic"
    assert BasicScheme.strength == 10
    assert BasicScheme.connection_bound is False


def test_on_challenge_is_always_a_refusal() -> None:
    credential = Credential("Aladdin", "open sesame")
    auth = BasicScheme.create(challenge_of('Basic realm="r"'), credential, url=URL, options=OPTIONS)
    assert auth.on_challenge(challenge_of('Basic realm="r"')) is False
    assert auth.on_challenge(challenge_of('Basic realm="r", charset="UTF-8"')) is False
    assert not auth.requires_body
    assert auth.realm == "r"


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("http://www.example.com/docs/a/b.txt", "http://www.example.com:80/docs/a/"),
        ("http://www.example.com/docs/a/", "http://www.example.com:80/docs/a/"),
        ("http://www.example.com/docs", "http://www.example.com:80/"),
        ("http://www.example.com", "http://www.example.com:80/"),
        ("https://User:pw@WWW.Example.com:8443/x/y?q=/z/", "https://www.example.com:8443/x/"),
        ("http://[::1]:8080/dav/file", "http://[::1]:8080/dav/"),
    ],
)
def test_space_prefixes_parent_directory(url: str, prefix: str) -> None:
    credential = Credential("Aladdin", "open sesame")
    auth = BasicScheme.create(challenge_of('Basic realm="r"'), credential, url=url, options=OPTIONS)
    assert auth.space_prefixes(url) == [prefix]


def test_proxy_space_is_the_whole_proxy_origin() -> None:
    credential = Credential("Aladdin", "open sesame")
    auth = BasicScheme.create(
        challenge_of('Basic realm="proxy"', "Proxy-Authenticate"),
        credential,
        url="http://proxy.example:3128",
        options=OPTIONS,
    )
    assert auth.space_prefixes("http://proxy.example:3128") == ["http://proxy.example:3128/"]


def test_repr_hides_the_password_and_token() -> None:
    credential = Credential("Aladdin", "open sesame")
    auth = BasicScheme.create(challenge_of('Basic realm="r"'), credential, url=URL, options=OPTIONS)
    text = repr(auth)
    assert "open sesame" not in text
    assert "QWxhZGRpbjpvcGVuIHNlc2FtZQ" not in text
    assert "Aladdin" in text
