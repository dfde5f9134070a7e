"""Server data that used to cost quadratic time parses fast (issue 11, points 5 and 7).

Each input below took minutes (or tens of seconds) before the fix and takes
milliseconds after it; the per-test timeout fails the test if the cost comes
back. No timing is asserted: the ratios are in benchmarks/bench_parser_scaling.py.
"""

from __future__ import annotations

import itertools
import random
from typing import Any, Iterable, List

import pytest

from requests_dav.dav import hrefs, locks, properties, xmlsafe, xmltokens
from requests_dav.dav.multistatus import parse_error_body, parse_multistatus
from requests_dav.dav.properties import RawValue
from requests_dav.dav.xmlsafe import (
    DEFAULT_MAX_TOKEN_BYTES,
    MultiStatusParseError,
    available_backends,
    iterparse_children,
)

BACKENDS = available_backends()


def _multistatus(inner: str) -> bytes:
    return (
        '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response>'
        f"<D:href>/a</D:href>{inner}</D:response></D:multistatus>"
    ).encode()


@pytest.mark.timeout(20, method="thread")  # the hot loop is C: no signal gets in
@pytest.mark.parametrize("backend", BACKENDS)
def test_status_line_with_a_long_inner_whitespace_run_is_linear(backend: str) -> None:
    # 200 KB of spaces between two reason words: minutes of regex backtracking before
    reason = "Not" + " " * 200_000 + "Found"
    body = _multistatus(f"<D:status>HTTP/1.1 404 {reason}</D:status>")
    response = parse_multistatus(body, "http://h/", backend=backend)[0]
    assert response.status == 404
    assert response.reason == reason


@pytest.mark.timeout(20)
def test_dot_segment_removal_of_a_4_mb_href_is_linear() -> None:
    n = 700_000  # 4.2 MB: about two minutes before
    href = "/" + "a/" * n + "../" * n + "b"
    assert hrefs.resolve_href(href, "http://h/dav/") == "http://h/b"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_1_mib_error_body_of_repeated_conditions_is_linear(backend: str) -> None:
    n = 1 << 17  # 131,072 conditions of 8 bytes: 1 MiB
    body = b'<D:error xmlns:D="DAV:">' + b"<D:x />\n" * n + b"</D:error>"
    conditions = parse_error_body(body, backend=backend)
    assert conditions == {"{DAV:}x": [None] * n}


@pytest.mark.timeout(20, method="thread")  # the hot loop is C: no signal gets in
@pytest.mark.parametrize("backend", BACKENDS)
def test_200k_attributes_of_one_property_are_read_linearly(backend: str) -> None:
    n = 200_000  # through lxml's items(): minutes before
    attributes = " ".join(f'a{i}="{i}"' for i in range(n))
    body = _multistatus(
        f'<D:propstat><D:prop><D:x xmlns:e="urn:e" e:b="1" {attributes}/></D:prop>'
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    )
    value = parse_multistatus(body, "http://h/", backend=backend)[0].props.raw("{DAV:}x")
    assert value["@{urn:e}b"] == "1"
    assert value[f"@a{n - 1}"] == str(n - 1)
    assert len(value) == n + 1


# -- integers past Python's int-string limit (issue 11, point 7) ----------------------------

HUGE = "9" * 5000  # over the 4,300 digits int() accepts by default


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_getcontentlength_of_5000_digits_is_unreadable_not_a_value_error(backend: str) -> None:
    body = _multistatus(
        f"<D:propstat><D:prop><D:getcontentlength>{HUGE}</D:getcontentlength>"
        "<D:quota-used-bytes>00012</D:quota-used-bytes></D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    )
    response = parse_multistatus(body, "http://h/", backend=backend)[0]
    assert response.content_length is None
    value = response.props["{DAV:}getcontentlength"]
    assert isinstance(value, RawValue) and value == HUGE
    assert response.props["{DAV:}quota-used-bytes"] == 12


def test_a_lock_timeout_of_5000_digits_is_unreadable_not_a_value_error() -> None:
    assert properties.parse_timeout(f"Second-{HUGE}") is None
    assert properties.parse_timeout(f"Second-{'0' * 5000}60") == 60  # leading zeros are fine
    assert locks.parse_timeout(f"Second-{HUGE}, Second-60") == 60


@pytest.mark.parametrize("backend", BACKENDS)
def test_lockdiscovery_with_a_5000_digit_timeout_reads_as_no_timeout(backend: str) -> None:
    body = _multistatus(
        "<D:propstat><D:prop><D:lockdiscovery><D:activelock>"
        "<D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>"
        f"<D:depth>0</D:depth><D:timeout>Second-{HUGE}</D:timeout>"
        "<D:locktoken><D:href>urn:uuid:1</D:href></D:locktoken>"
        "</D:activelock></D:lockdiscovery></D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    )
    response = parse_multistatus(body, "http://h/", backend=backend)[0]
    (lock,) = response.props["{DAV:}lockdiscovery"]
    assert lock.locktoken == "urn:uuid:1"
    assert lock.timeout is None


# -- token sizes in the streaming parser (issue 11, point 6) --------------------------------


def _children(chunks: Iterable[bytes], backend: str, **kw: Any) -> List[Any]:
    return [
        (element.tag, element.text, dict(element.attrib))
        for element in iterparse_children(chunks, root_tag=None, backend=backend, **kw)
    ]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unterminated_200_mb_attribute_stops_at_the_token_bound(backend: str) -> None:
    # 24 s in expat before, and the whole attribute held; now refused after 8 MiB
    head = b'<D:multistatus xmlns:D="DAV:"><D:response a="'
    chunks = itertools.chain([head], itertools.repeat(b"v" * 65536, 200 * 16))
    with pytest.raises(MultiStatusParseError, match=f"longer than {DEFAULT_MAX_TOKEN_BYTES}"):
        _children(chunks, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "body",
    [
        b'<r><a x="' + b"v" * 2000 + b'"/></r>',  # one attribute
        b"<r><a " + b" ".join(b'x%d="1"' % i for i in range(400)) + b"/></r>",  # one start tag
        b"<r><a>" + b"t" * 2000 + b"</a></r>",  # one text node
        b"<r><a>" + b"&amp;" * 400 + b"</a></r>",  # references count as they are sent
        b"<r><a><![CDATA[" + b"c" * 2000 + b"]]></a></r>",  # a CDATA section
        "<r><a>".encode("utf-16") + "t".encode("utf-16-le") * 1000 + "</a></r>".encode("utf-16-le"),
    ],
    ids=["attribute", "start-tag", "text", "references", "cdata", "utf-16"],
)
def test_every_token_is_bounded_in_both_backends(backend: str, body: bytes) -> None:
    for size in (1, 7, 4096):  # however the body is cut into chunks
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        with pytest.raises(MultiStatusParseError, match="longer than 1024 bytes"):
            _children(chunks, backend, max_token_bytes=1024)
    assert _children([body], backend, max_token_bytes=4096)[0][0] == "a"


@pytest.mark.parametrize("backend", BACKENDS)
def test_tokens_just_under_the_bound_parse(backend: str) -> None:
    body = b"<r><a>" + b"t" * 1021 + b"</a><b>" + b"u" * 1021 + b"</b></r>"
    for size in (1, 5, 1024, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert [t for _tag, t, _a in _children(chunks, backend, max_token_bytes=1023)] == [
            "t" * 1021,
            "u" * 1021,
        ]
    with pytest.raises(MultiStatusParseError):
        _children([body], backend, max_token_bytes=1022)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_long_attribute_trickling_in_small_chunks_is_fed_linearly(backend: str) -> None:
    # expat re-scans an unfinished start tag on every feed: 8 MB in 1 KiB chunks cost
    # minutes; the tag is now held back until it ends or doubled since the last feed
    value = b"v" * 1024
    chunks = itertools.chain([b'<r><a x="'], itertools.repeat(value, 7 << 10), [b'"/></r>'])
    ((tag, _text, attributes),) = _children(chunks, backend)
    assert tag == "a" and len(attributes["x"]) == 7 << 20


def test_complete_elements_reach_the_parser_at_once() -> None:
    body = b"<r><a>1</a><b>2</b><c x='" + b"v" * 10
    fed = list(xmlsafe._token_bounded(iter([body]), 1 << 20))
    assert fed == [b"<r><a>1</a><b>2</b>", b"<c x='" + b"v" * 10]  # the tail: at the end


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "body",
    [
        b"<r><a>" + (b"t" * 100 + b"<!---->") * 20 + b"</a></r>",  # text joined across comments
        b"<r><a>" + (b"t" * 100 + b"<?pi x?>") * 20 + b"</a></r>",  # ... across PIs
        b"<r><a><![CDATA[" + (b"c" * 100 + b"<b>") * 20 + b"]]></a></r>",  # "<" inside CDATA
        b"<r><a>" + (b"t" * 100 + b"<![CDATA[<]]>") * 20 + b"</a></r>",  # text and CDATA
        b"<r><!--" + b"<a>" * 400 + b"--></r>",  # one long comment
    ],
    ids=["comments", "pis", "cdata-with-lt", "text-and-cdata", "long-comment"],
)
def test_comments_pis_and_cdata_do_not_end_a_run(backend: str, body: bytes) -> None:
    for size in (1, 2, 3, 7, 1024):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        with pytest.raises(MultiStatusParseError, match="longer than 1024 bytes"):
            _children(chunks, backend, max_token_bytes=1024)


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_short_comments_and_cdata_sections_parse(backend: str) -> None:
    body = b"<r>" + b"<a>x<![CDATA[<y>]]></a><!-- <c> --><?p?>" * 2000 + b"</r>"
    for size in (1, 3, 8, 9, 1000, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        elements = _children(chunks, backend, max_token_bytes=64)
        assert len(elements) == 2000 and elements[0][1] == "x<y>"


def test_the_token_scanner_gives_one_answer_for_every_chunking() -> None:
    rng = random.Random(11)
    alphabet = [b"<", b">", b"a", b"aaaa", b"<!--", b"-->", b"<![CDATA[", b"]]>", b"<?", b"?>"]
    for _ in range(3000):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        limit = rng.randint(1, 30)
        answers = set()
        for size in {1, 2, 3, 5, limit, len(body)}:
            if size > limit:
                continue
            scanner = xmltokens.TokenScanner(limit)
            answers.add(all([scanner.check(body[i : i + size]) for i in range(0, len(body), size)]))
        assert len(answers) == 1, (body, limit)
