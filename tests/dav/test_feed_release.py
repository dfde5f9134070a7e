"""The fifth round's listing shortcuts give exactly what the general rules give (issue 16).

* :func:`requests_dav.dav.xmlsafe._token_bounded` joins a held tail and the next piece in
  one copy: the pieces fed are byte for byte those of the earlier concatenation, which is
  kept here as the reference.
"""

from __future__ import annotations

from typing import Any, Iterator, List
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from requests_dav.dav import xmlsafe
from requests_dav.dav.xmlsafe import MultiStatusParseError, available_backends

BASE = "http://127.0.0.1:8080/dav/dir/"

needs_lxml = pytest.mark.skipif("lxml" not in available_backends(), reason="needs lxml")


# ---------------------------------------------------------------------------
# _token_bounded: one copy where there were three


def _token_bounded_reference(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """The pieces as the earlier code cut them (held tail concatenated, then copied)."""
    scanner = xmlsafe.TokenScanner(limit)
    size = max(1, min(xmlsafe.FEED_SIZE, limit))
    held = bytearray()
    unfinished = 0
    for data in chunks:
        view = memoryview(data)
        for start in range(0, len(view), size):
            piece = bytes(view[start : start + size]) if len(data) > size else data
            if not scanner.check(piece):
                raise MultiStatusParseError(
                    f"a tag or a run of character data longer than {limit} bytes"
                )
            cut = piece.rfind(b">") + 1
            if cut:
                if held:
                    held += piece[:cut]
                    yield bytes(held)
                    held.clear()
                else:
                    yield piece if cut == len(piece) else piece[:cut]
                unfinished = 0
                piece = piece[cut:]
            held += piece
            if len(held) >= max(xmlsafe.HOLD_BYTES, unfinished):
                yield bytes(held)
                unfinished += len(held)
                held.clear()
    if held:
        yield bytes(held)


def _pieces(function: Any, chunks: List[bytes], limit: int) -> List[Any]:
    out: List[Any] = []
    try:
        for piece in function(iter(chunks), limit):
            assert type(piece) is bytes  # what lxml's feed() accepts
            out.append(piece)
    except MultiStatusParseError as err:
        out.append(("error", str(err)))
    return out


_BYTES = st.sampled_from([b"<", b">", b"a", b"aaaaaaa", b"<a>", b"</a>", b"<a x='", b"'/>"])


@settings(max_examples=600)
@given(
    st.lists(st.lists(_BYTES, max_size=12).map(b"".join), max_size=12),
    st.integers(1, 40),
    st.integers(1, 16),
)
@example([b"<r><a>1</a><b", b">2</b><c x='vv", b"v'/>"], 1 << 20, 65536)
@example([b"<a x='", b"aaaaaaa", b"aaaaaaa", b"'/>"], 40, 4)  # the held run flushed
def test_token_bounded_feeds_the_same_pieces(chunks: List[bytes], limit: int, hold: int) -> None:
    with mock.patch.object(xmlsafe, "HOLD_BYTES", hold):
        assert _pieces(xmlsafe._token_bounded, chunks, limit) == _pieces(
            _token_bounded_reference, chunks, limit
        )
