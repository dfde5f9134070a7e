"""RFC 8187 ext-value decoding and encoding."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_dav.auth.rfc8187 import ExtValueError, decode_ext_value, encode_ext_value


def test_rfc8187_section_3_2_2_examples() -> None:
    assert decode_ext_value("iso-8859-1'en'%A3%20rates") == "\u00a3 rates"
    assert decode_ext_value("UTF-8''%c2%a3%20and%20%e2%82%ac%20rates") == "£ and € rates"


@pytest.mark.parametrize("charset", ["UTF-8", "utf-8", "Utf-8"])
def test_charset_is_case_insensitive(charset: str) -> None:
    assert decode_ext_value(f"{charset}''caf%C3%A9") == "café"


def test_language_tag_is_ignored() -> None:
    assert decode_ext_value("UTF-8'de-CH'Gr%C3%BCezi") == "Grüezi"
    assert decode_ext_value("UTF-8'en'x") == decode_ext_value("UTF-8''x")


def test_empty_value() -> None:
    assert decode_ext_value("UTF-8''") == ""


def test_attr_chars_pass_through() -> None:
    assert decode_ext_value("UTF-8''!#$&+-.^_`|~aZ09") == "!#$&+-.^_`|~aZ09"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "UTF-8'",
        "UTF-8'en",
        "''abc",  # charset is required
        "UTF-8''a b",  # space must be percent-encoded
        "UTF-8''%",
        "UTF-8''%4",
        "UTF-8''%zz",
        "UTF-8''a*b",  # "*" is not an attr-char
        "UTF-8''a'b",
        "UTF-8''\"quoted\"",
    ],
)
def test_malformed_ext_value(value: str) -> None:
    with pytest.raises(ExtValueError):
        decode_ext_value(value)


def test_unsupported_charset() -> None:
    with pytest.raises(ExtValueError, match="unsupported charset"):
        decode_ext_value("KOI8-R''%F0")


def test_invalid_utf8_octets() -> None:
    with pytest.raises(ExtValueError, match="not valid utf-8"):
        decode_ext_value("UTF-8''%ff%fe")


def test_ext_value_error_is_a_value_error() -> None:
    assert issubclass(ExtValueError, ValueError)


def test_encode() -> None:
    assert encode_ext_value("£ and € rates") == "UTF-8''%C2%A3%20and%20%E2%82%AC%20rates"
    assert encode_ext_value("J\u00e4s\u00f8n Doe") == "UTF-8''J%C3%A4s%C3%B8n%20Doe"
    assert encode_ext_value("") == "UTF-8''"


def test_encode_escapes_star_quote_percent() -> None:
    # attr-char is token minus "*", "'" and "%"
    assert encode_ext_value("*'%") == "UTF-8''%2A%27%25"


def test_encode_keeps_attr_chars() -> None:
    assert encode_ext_value("!#$&+-.^_`|~aZ09") == "UTF-8''!#$&+-.^_`|~aZ09"


def test_encode_refuses_lone_surrogate() -> None:
    with pytest.raises(ExtValueError):
        encode_ext_value("\ud800")


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_round_trip(text: str) -> None:
    assert decode_ext_value(encode_ext_value(text)) == text


@given(st.text())
def test_decode_raises_only_ext_value_error(text: str) -> None:
    with contextlib.suppress(ExtValueError):
        decode_ext_value(text)
