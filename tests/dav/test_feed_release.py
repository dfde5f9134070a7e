"""The fifth round's listing shortcuts give exactly what the general rules give (issue 16).

* :func:`requests_dav.dav.xmlsafe._token_bounded` joins a held tail and the next piece in
  one copy: the pieces fed are byte for byte those of the earlier concatenation, which is
  kept here as the reference.
* The lxml backend lets the root's finished children go once per feed (all but the last
  child, the only one that can still be open) instead of one by one as each is handed out:
  it yields the same elements and ends in the same error as the one-by-one release, which
  it still uses when it checks the depth itself (``max_depth`` under libxml2's 256); and the
  children nobody asked for no longer pile up until the next one that was asked for.
* A ``DAV:response`` with one href and nothing but propstats is built with the defaults of
  everything else; every other response with all its parts, as before.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from requests_dav.dav import xmlsafe
from requests_dav.dav.multistatus import parse_multistatus
from requests_dav.dav.xmlsafe import MultiStatusParseError, available_backends

from .xml_documents import documents

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


# ---------------------------------------------------------------------------
# lxml: the finished children let go once per feed


def _lxml_outcome(document: bytes, chunk: int, wanted: Any) -> List[Any]:
    from lxml import etree

    chunks = iter([document[i : i + chunk] for i in range(0, len(document), chunk)])
    seen: List[Any] = []
    try:
        for element in xmlsafe._iter_lxml(chunks, wanted, xmlsafe.DEFAULT_MAX_DEPTH):
            seen.append(etree.tostring(element, with_tail=False))
    except MultiStatusParseError as err:
        seen.append(("error", str(err), err.position))
    return seen


@needs_lxml
@settings(max_examples=400, deadline=None)
@given(
    documents(),
    st.integers(1, 120),
    st.sampled_from([None, ("{DAV:}response",), ("{DAV:}response", "{DAV:}responsedescription")]),
)
@example(b'<D:multistatus xmlns:D="DAV:"><D:response/><D:x>', 64, None)  # cut: last open
@example(b'<D:multistatus xmlns:D="DAV:"><D:x/><D:response>t</D:response>', 3, ("{DAV:}response",))
def test_lxml_release_per_feed_matches_one_by_one(document: bytes, chunk: int, wanted: Any) -> None:
    per_feed = _lxml_outcome(document, chunk, wanted)
    # the one-by-one release, as taken when the depth is checked here (never reached)
    with mock.patch.object(xmlsafe, "_LIBXML2_MAX_DEPTH", 1 << 20):
        one_by_one = _lxml_outcome(document, chunk, wanted)
    assert per_feed == one_by_one


@needs_lxml
def test_lxml_children_not_asked_for_are_let_go_after_each_feed() -> None:
    body = (
        b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href></D:response>'
        + b"<D:x>not asked for</D:x>" * 2000
        + b"<D:response><D:href>/b</D:href></D:response></D:multistatus>"
    )
    chunks = [body[i : i + 256] for i in range(0, len(body), 256)]
    sizes = []
    for element in xmlsafe._iter_lxml(iter(chunks), ("{DAV:}response",), 256):
        sizes.append(len(element.getparent()))
    assert len(sizes) == 2 and max(sizes) <= 16  # one feed's worth, not the 2,000


# ---------------------------------------------------------------------------
# A response with one href and only propstats

_OPTIONAL = {
    "status": "<D:status>HTTP/1.1 423 Locked</D:status>",
    "error": "<D:error><D:lock-token-submitted><D:href>/l</D:href></D:lock-token-submitted>"
    "</D:error>",
    "description": "<D:responsedescription> why </D:responsedescription>",
    "location": "<D:location><D:href>/moved/</D:href></D:location>",
    "second_href": "<D:href>/dav/dir/other</D:href>",
}
_PROPSTAT = (
    '<D:propstat><D:prop><D:getetag>"e"</D:getetag></D:prop>'
    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
)


def _state(response: Any) -> Any:
    return (
        response.href,
        response.path,
        response.status,
        response.reason,
        [(p.status, p.reason, dict(p.props), p.error) for p in response.propstats],
        response.error,
        response.responsedescription,
        response.location,
        response.etag,
    )


@pytest.mark.parametrize("backend", available_backends())
@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.sampled_from(sorted(_OPTIONAL)), unique=True),
    propstats=st.integers(0, 2),
    data=st.data(),
)
def test_a_response_is_read_whole_whatever_it_holds(
    backend: str, parts: List[str], propstats: int, data: Any
) -> None:
    children = ["<D:href>/dav/dir/a</D:href>"] + [_OPTIONAL[part] for part in parts]
    children += [_PROPSTAT] * propstats
    children = data.draw(st.permutations(children))
    body = (
        '<D:multistatus xmlns:D="DAV:"><D:response>' + "".join(children) + "</D:response>"
        "</D:multistatus>"
    ).encode()
    responses = parse_multistatus(body, BASE, backend=backend).responses
    hrefs = [c[len("<D:href>") : -len("</D:href>")] for c in children if c.startswith("<D:href>")]
    expected_status: Optional[int] = 423 if "status" in parts else None
    expected = [
        (
            href,
            href,
            expected_status,
            "Locked" if "status" in parts else None,
            [(200, "OK", {"{DAV:}getetag": '"e"'}, {})] * propstats,
            {"{DAV:}lock-token-submitted": {"{DAV:}href": "/l"}} if "error" in parts else {},
            " why " if "description" in parts else None,
            "http://127.0.0.1:8080/moved/" if "location" in parts else None,
            '"e"' if propstats else None,
        )
        for href in hrefs
    ]
    assert [_state(response) for response in responses] == expected
