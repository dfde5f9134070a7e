"""RFC 8187 extended parameter values (``title*=UTF-8''%c2%a3%20rates``).

Section 3.2 defines ``ext-value``: a charset, an optional language tag and the
percent-encoded octets of the value. Recipients must support UTF-8
(section 3.2.1); ISO-8859-1 is also accepted here on decode because the
grammar names it. Any other charset is refused rather than guessed at. The
language tag is parsed and ignored, as section 3.2.1 allows. Encoding always
produces UTF-8 with no language tag.

Malformed input raises :class:`ExtValueError`, a :class:`ValueError`; the
challenge parser turns it into a
:class:`~requests_dav.auth.errors.ChallengeParseError` with a position.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes

from ._abnf import EXT_VALUE_RE

__all__ = ["ExtValueError", "decode_ext_value", "encode_ext_value"]

# charset name (case-insensitive, RFC 8187 section 3.2.1) -> Python codec
_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "iso-8859-1"}

# attr-char minus ALPHA / DIGIT / "-" / "." / "_" / "~" (which quote() never escapes)
_ATTR_CHAR_SAFE = "!#$&+^`|"


class ExtValueError(ValueError):
    """An RFC 8187 ``ext-value`` is malformed or uses an unsupported charset."""


def decode_ext_value(value: str) -> str:
    """Decode an RFC 8187 ``ext-value`` such as ``UTF-8'en'%c2%a3%20rates``.

    The charset must be UTF-8 or ISO-8859-1 (case-insensitive); the language
    tag is ignored. Raises :class:`ExtValueError` when *value* does not match
    the ``ext-value`` grammar, names another charset, or its octets are not
    valid in its charset.
    """
    match = EXT_VALUE_RE.fullmatch(value)
    if match is None:
        raise ExtValueError("not an RFC 8187 ext-value (charset'language'value-chars)")
    charset = match.group("charset").lower()
    codec = _CHARSETS.get(charset)
    if codec is None:
        raise ExtValueError(f"unsupported charset {match.group('charset')!r} in ext-value")
    octets = unquote_to_bytes(match.group("value"))
    try:
        return octets.decode(codec)
    except UnicodeDecodeError as exc:
        raise ExtValueError(f"ext-value is not valid {charset}: {exc.reason}") from None


def encode_ext_value(value: str) -> str:
    """Encode *value* as an RFC 8187 ``ext-value``: ``UTF-8''`` then percent-encoded UTF-8.

    Every octet that is not an ``attr-char`` is percent-encoded, so the result
    is a ``token`` and can be sent unquoted (RFC 8187 section 3.2). Raises
    :class:`ExtValueError` for text that has no UTF-8 form (lone surrogates).
    """
    try:
        octets = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ExtValueError(f"value cannot be encoded as UTF-8: {exc.reason}") from None
    return "UTF-8''" + quote(octets, safe=_ATTR_CHAR_SAFE)
