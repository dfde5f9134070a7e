"""The character classes of ``auth/_abnf.py`` are written as complements (cheap to compile);
each must hold exactly the characters of the RFC 9110 section 5.6.4 form, with the DEVIATION
that obs-text is every code point from U+0080 (field values arrive as ``str``)."""

from __future__ import annotations

import re

import pytest

from requests_dav.auth import _abnf

#: every code point, lone surrogates included (a ``str`` can carry them)
EVERY_CODE_POINT = "".join(map(chr, range(0x110000)))

RFC_FORMS = {
    "obs_text": r"[\x80-\U0010ffff]",
    "qdtext": r"[\t !\x23-\x5b\x5d-\x7e\x80-\U0010ffff]",
    "quoted_pair": r"\\[\t \x21-\x7e\x80-\U0010ffff]",
}


@pytest.mark.parametrize("name", sorted(RFC_FORMS))
def test_the_class_holds_exactly_the_rfc_characters(name: str) -> None:
    ours = getattr(_abnf, name)
    if name == "quoted_pair":
        ours_matches = re.findall(ours, "".join("\\" + c for c in EVERY_CODE_POINT))
        rfc_matches = re.findall(RFC_FORMS[name], "".join("\\" + c for c in EVERY_CODE_POINT))
    else:
        ours_matches = re.findall(ours, EVERY_CODE_POINT)
        rfc_matches = re.findall(RFC_FORMS[name], EVERY_CODE_POINT)
    assert ours_matches == rfc_matches
    assert len(rfc_matches) > 0x10FF00


def test_quoted_strings_still_parse_the_same() -> None:
    assert _abnf.QUOTED_STRING_RE.fullmatch('"a\\"b \t\u00e9\U0001f600"')
    assert not _abnf.QUOTED_STRING_RE.fullmatch('"a\x7fb"')
    assert not _abnf.QUOTED_STRING_RE.fullmatch('"a\nb"')
    assert not _abnf.QUOTED_STRING_RE.fullmatch('"a\\\nb"')
