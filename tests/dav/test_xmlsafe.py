"""The defused, streaming parser (RFC 4918 section 20.6), on both backends."""

from __future__ import annotations

import codecs
import contextlib
from pathlib import Path
from typing import Any, Iterable, Iterator, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_dav.dav import xmlsafe
from requests_dav.dav.xmlsafe import (
    BACKEND_ENV,
    MultiStatusParseError,
    available_backends,
    iterparse_children,
    select_backend,
)

MULTISTATUS = "{DAV:}multistatus"
RESPONSE = "{DAV:}response"
DOCTYPE_MESSAGE = "document type declarations"


@pytest.fixture(params=["lxml", "stdlib"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param not in available_backends():
        pytest.skip("lxml is not installed")
    return str(request.param)


def chunked(data: bytes, size: int) -> List[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def children(data: Iterable[bytes], backend: str, **kwargs: Any) -> List[Any]:
    """(tag, text) of every child yielded."""
    kwargs.setdefault("root_tag", MULTISTATUS)
    return [
        (element.tag, element.text)
        for element in iterparse_children(data, backend=backend, **kwargs)
    ]


SIMPLE = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<D:multistatus xmlns:D="DAV:">'
    b"<D:response><D:href>/a</D:href></D:response>"
    b"<D:response><D:href>/b</D:href></D:response>"
    b"<D:sync-token>tok</D:sync-token>"
    b"</D:multistatus>\n"
)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 16])
def test_children_in_any_chunking(backend: str, size: int) -> None:
    assert children(chunked(SIMPLE, size), backend) == [
        (RESPONSE, None),
        (RESPONSE, None),
        ("{DAV:}sync-token", "tok"),
    ]


def test_child_tags_filter(backend: str) -> None:
    assert children([SIMPLE], backend, child_tags=["{DAV:}sync-token"]) == [
        ("{DAV:}sync-token", "tok")
    ]


def test_nested_matches_are_not_children(backend: str) -> None:
    body = (
        b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href>'
        b"<D:propstat><D:prop><x:v xmlns:x='urn:x'><D:response/></x:v></D:prop>"
        b"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
    )
    found = [
        (element.tag, len(element))
        for element in iterparse_children([body], root_tag=MULTISTATUS, backend=backend)
    ]
    assert found == [(RESPONSE, 2)]


def test_previous_children_are_released(backend: str) -> None:
    body = b'<D:multistatus xmlns:D="DAV:">' + b"<D:response><D:href>/x</D:href></D:response>" * 50
    body += b"</D:multistatus>"
    previous = None
    for element in iterparse_children(chunked(body, 100), root_tag=MULTISTATUS, backend=backend):
        assert len(element) == 1
        if previous is not None:
            assert len(previous) == 0 or backend == "stdlib"
        if backend == "lxml":
            # the cleared previous one, this one, those completed in the same chunk
            assert len(element.getparent()) <= 5
        previous = element


def test_caller_can_stop_early(backend: str) -> None:
    seen: List[bytes] = []

    def source() -> Iterator[bytes]:
        for chunk in chunked(SIMPLE, 10):
            seen.append(chunk)
            yield chunk

    stream = iterparse_children(source(), root_tag=MULTISTATUS, backend=backend)
    first = next(stream)
    assert first.tag == RESPONSE
    stream.close()
    assert len(seen) < len(chunked(SIMPLE, 10))


# ---------------------------------------------------------------------------
# Document type declarations are refused before any parser sees a byte


@pytest.fixture
def fed(monkeypatch: pytest.MonkeyPatch) -> List[bytes]:
    """Every byte the prolog guard lets through to a parser."""
    passed: List[bytes] = []
    original = xmlsafe._chunks_checked

    def spy(chunks: Iterable[bytes], guard: Any) -> Iterator[bytes]:
        for data in original(chunks, guard):
            passed.append(data)
            yield data

    monkeypatch.setattr(xmlsafe, "_chunks_checked", spy)
    return passed


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>&lol9;</D:href></D:response></D:multistatus>
"""

QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]>\n<D:multistatus xmlns:D="DAV:"><D:response><D:href>'
    + b"&a;" * 50_000
    + b"</D:href></D:response></D:multistatus>"
)


def external_entity(path: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY secret SYSTEM "file://'
        + str(path).encode()
        + b'">]>\n<D:multistatus xmlns:D="DAV:"><D:response><D:href>&secret;</D:href>'
        b"</D:response></D:multistatus>"
    )


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-CONTENT")
    return path


@pytest.mark.parametrize("size", [1, 5, 1 << 16])
def test_billion_laughs_refused(backend: str, fed: List[bytes], size: int) -> None:
    with pytest.raises(MultiStatusParseError, match=DOCTYPE_MESSAGE) as info:
        children(chunked(BILLION_LAUGHS, size), backend)
    assert fed == []
    assert info.value.position == (2, 1)


def test_quadratic_blowup_refused(backend: str, fed: List[bytes]) -> None:
    with pytest.raises(MultiStatusParseError, match=DOCTYPE_MESSAGE):
        children(chunked(QUADRATIC_BLOWUP, 1 << 16), backend)
    assert fed == []


def test_external_entity_refused(backend: str, fed: List[bytes], secret_file: Path) -> None:
    with pytest.raises(MultiStatusParseError, match=DOCTYPE_MESSAGE) as info:
        children([external_entity(secret_file)], backend)
    assert fed == []
    assert "TOP-SECRET" not in str(info.value)


def encoded(text: str, codec: str, bom: bytes = b"") -> bytes:
    return bom + text.encode(codec)


DOCTYPE_DOCS = {
    "bare": b'<!DOCTYPE D:multistatus><D:multistatus xmlns:D="DAV:"/>',
    "after declaration": b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://x/"><x/>',
    "after comments and PIs": b'<?xml version="1.0"?>\n<!-- a -->\n<?pi x?><!-- <a> -->'
    b"\n\n<!DOCTYPE x><x/>",
    "lower case": b"<!doctype x><x/>",
    "other declaration": b"<!ENTITY x 'y'><x/>",
    "utf-8 bom": codecs.BOM_UTF8 + b"<!DOCTYPE x><x/>",
    "utf-16-le bom": encoded('<?xml version="1.0"?><!DOCTYPE x><x/>', "utf-16-le", b"\xff\xfe"),
    "utf-16-be bom": encoded('<?xml version="1.0"?><!DOCTYPE x><x/>', "utf-16-be", b"\xfe\xff"),
    "utf-16-le no bom": encoded(
        '<?xml version="1.0" encoding="UTF-16"?><!-- c --><!DOCTYPE x><x/>', "utf-16-le"
    ),
    "utf-16-be no bom": encoded(
        '<?xml version="1.0" encoding="utf-16"?>\r\n<!DOCTYPE x><x/>', "utf-16-be"
    ),
}


@pytest.mark.parametrize("name", sorted(DOCTYPE_DOCS))
@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_doctype_refused_everywhere_in_the_prolog(
    backend: str, fed: List[bytes], name: str, size: int
) -> None:
    with pytest.raises(MultiStatusParseError, match=DOCTYPE_MESSAGE):
        children(chunked(DOCTYPE_DOCS[name], size), backend)
    assert fed == []


def test_doctype_after_the_root_is_malformed(backend: str) -> None:
    body = b'<D:multistatus xmlns:D="DAV:"><!DOCTYPE x [<!ENTITY a "b">]></D:multistatus>'
    with pytest.raises(MultiStatusParseError):
        children([body], backend)


def test_comment_split_across_chunks_is_not_a_declaration(backend: str) -> None:
    body = b"<!-- a <!DOCTYPE in a comment -->" + SIMPLE.split(b"?>", 1)[1]
    for size in (1, 2, 3, 4, 5):
        assert len(children(chunked(body, size), backend)) == 3


# Defence in depth: the parsers, reached without the guard, still refuse.


def test_lxml_parser_without_the_guard_resolves_nothing(secret_file: Path) -> None:
    if "lxml" not in available_backends():
        pytest.skip("lxml is not installed")
    elements = list(xmlsafe._iter_lxml(iter([external_entity(secret_file)]), None, 256))
    text = "".join(element.xpath("string()") for element in elements)
    assert "TOP-SECRET" not in text


def test_stdlib_parser_without_the_guard_refuses_external_entities(secret_file: Path) -> None:
    with pytest.raises(MultiStatusParseError, match="undefined entity"):
        list(xmlsafe._iter_stdlib(iter([external_entity(secret_file)]), None, 256))


def test_stdlib_parser_without_the_guard_bounds_entity_expansion() -> None:
    with pytest.raises(MultiStatusParseError, match=r"amplification|entity"):
        list(xmlsafe._iter_stdlib(iter([BILLION_LAUGHS]), None, 256))


def test_root_start_tag_parser_refuses_declarations() -> None:
    parser = xmlsafe._defused_expat()
    with pytest.raises(MultiStatusParseError, match=DOCTYPE_MESSAGE):
        parser.Parse('<!DOCTYPE a [<!ENTITY x "y">]><a/>', True)


# ---------------------------------------------------------------------------
# Depth


def nested(depth: int, inner: str = "x") -> bytes:
    opening = "".join(f"<{inner}{i}>" for i in range(depth))
    closing = "".join(f"</{inner}{i}>" for i in reversed(range(depth)))
    return (opening + closing).encode()


def in_response(fragment: bytes) -> bytes:
    return (
        b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href><D:propstat><D:prop>'
        + fragment
        + b"</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        b"</D:multistatus>"
    )


def test_default_depth_limit(backend: str) -> None:
    with pytest.raises(MultiStatusParseError, match="deeper than 256") as info:
        children([in_response(nested(300))], backend)
    assert info.value.message.startswith("elements nested deeper")
    assert len(children([in_response(nested(250))], backend)) == 1


@pytest.mark.parametrize("size", [3, 1 << 16])
def test_custom_depth_limit(backend: str, size: int) -> None:
    # multistatus, response, propstat, prop = 4 levels, then the nesting
    assert len(children(chunked(in_response(nested(16)), size), backend, max_depth=20)) == 1
    with pytest.raises(MultiStatusParseError, match="deeper than 20"):
        children(chunked(in_response(nested(17)), size), backend, max_depth=20)


def test_custom_depth_limit_outside_responses(backend: str) -> None:
    body = b'<D:multistatus xmlns:D="DAV:">' + nested(30) + b"<D:response/></D:multistatus>"
    with pytest.raises(MultiStatusParseError, match="deeper than 10"):
        children([body], backend, max_depth=10)
    trailing = b'<D:multistatus xmlns:D="DAV:"><D:response/>' + nested(30) + b"</D:multistatus>"
    with pytest.raises(MultiStatusParseError, match="deeper than 10"):
        children([trailing], backend, max_depth=10)


def test_max_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        iterparse_children([SIMPLE], root_tag=None, max_depth=0)


# ---------------------------------------------------------------------------
# Malformed, truncated and foreign documents


def test_every_truncation_is_an_error(backend: str) -> None:
    for cut in range(len(SIMPLE) - 1):
        with pytest.raises(MultiStatusParseError):
            children([SIMPLE[:cut]], backend)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b"<?xml version='1.0'?><!-- only a comment -->", "before its root element"),
        (b"HTTP/1.1 500", "content before the root element"),
        (b"<html><body>Error</body></html>", "expected a {DAV:}multistatus document, got html"),
        (b'<D:error xmlns:D="DAV:"/>', "got {DAV:}error"),
        (b"<multistatus/>", "got multistatus"),
        (b'<multistatus xmlns="DAV:x"/>', "got {DAV:x}multistatus"),
        (b"<D:multistatus/>", "malformed root element"),
        (b'<D:multistatus xmlns:D="DAV:"></D:multistatus><x/>', ""),
        (b'<D:multistatus xmlns:D="DAV:"><D:response></D:multistatus>', ""),
        (b'<D:multistatus xmlns:D="DAV:">&undefined;</D:multistatus>', ""),
        (b'<D:multistatus xmlns:D="DAV:"><a>\xff</a></D:multistatus>', ""),
    ],
)
def test_malformed_documents(backend: str, body: bytes, message: str) -> None:
    """Each is refused; the guard says why, the parser's own errors say where."""
    with pytest.raises(MultiStatusParseError) as info:
        children([body], backend)
    if message:
        assert message in str(info.value)
    else:
        assert info.value.position is not None


def test_an_undefined_entity_is_named_where_it_is(backend: str) -> None:
    """lxml's pull parser, entities unresolved, only says "no element found" at (0, 0); the
    error is libxml2's own, from its log."""
    body = b'<D:multistatus xmlns:D="DAV:">\n<D:response>&undefined;</D:response></D:multistatus>'
    for _ in range(2):  # the second time reads no stale entry of the first
        with pytest.raises(MultiStatusParseError) as info:
            children([body], backend)
        assert "entity" in str(info.value).lower()
        assert info.value.position is not None and info.value.position[0] == 2
    with pytest.raises(MultiStatusParseError, match="before its root element"):
        children([b'<?xml version="1.0"?>'], backend)


def test_errors_carry_a_position(backend: str) -> None:
    body = b'<D:multistatus xmlns:D="DAV:">\n<D:response>\n</D:oops>\n</D:multistatus>'
    with pytest.raises(MultiStatusParseError) as info:
        children([body], backend)
    assert info.value.position is not None
    assert info.value.position[0] == 3
    assert "line 3" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_any_root_when_none_is_expected(backend: str) -> None:
    assert children([b"<a><b>1</b><c/></a>"], backend, root_tag=None) == [("b", "1"), ("c", None)]


# ---------------------------------------------------------------------------
# Encodings


MS_TEXT = (
    '<D:multistatus xmlns:D="DAV:"><D:response><D:href>/café</D:href></D:response>'
    "<D:responsedescription>résumé</D:responsedescription></D:multistatus>"
)


@pytest.mark.parametrize(
    "body",
    [
        MS_TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + MS_TEXT.encode("utf-8"),
        ('<?xml version="1.0" encoding="UTF-8"?>' + MS_TEXT).encode("utf-8"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>' + MS_TEXT).encode("latin-1"),
        ("<?xml version='1.0' encoding='windows-1252'?>" + MS_TEXT).encode("cp1252"),
        codecs.BOM_UTF16_LE
        + ('<?xml version="1.0" encoding="UTF-16"?>' + MS_TEXT).encode("utf-16-le"),
        codecs.BOM_UTF16_BE + MS_TEXT.encode("utf-16-be"),
        ('<?xml version="1.0" encoding="utf-16"?>' + MS_TEXT).encode("utf-16-le"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-8-decl", "latin-1", "cp1252", "utf-16le", "utf-16be", "nobom"],
)
def test_supported_encodings(backend: str, body: bytes) -> None:
    for size in (1, 3, 1 << 16):
        assert children(chunked(body, size), backend)[1] == ("{DAV:}responsedescription", "résumé")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="UTF-7"?><a/>',
        b'<?xml version="1.0" encoding="UTF-16"?><a/>',
        codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>',
        codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-8"?><a/>'.encode("utf-16-le"),
        '<?xml version="1.0" encoding="cp037"?><a/>'.encode("cp037"),
        codecs.BOM_UTF32_LE + "<a/>".encode("utf-32-le"),
        "<a/>".encode("utf-32-be"),
        b'<?xml version="1.0" encoding="x-unknown"?><a/>',
    ],
)
def test_unsupported_encodings(backend: str, body: bytes) -> None:
    with pytest.raises(MultiStatusParseError, match="encoding"):
        children([body], backend)


def test_root_start_tag_details(backend: str) -> None:
    body = (
        '<?xml version="1.0"?>\n<é:multistatus xmlns:é="DAV:" title=\'a > b\' '
        'x:a="1>2" xmlns:x="urn:x"><é:response/></é:multistatus>'
    ).encode()
    for size in (1, 4, 1 << 16):
        assert children(chunked(body, size), backend) == [(RESPONSE, None)]


def test_prolog_is_bounded(backend: str) -> None:
    body = b"<!--" + b"x" * (2 * xmlsafe.MAX_PROLOG_BYTES) + b'--><D:multistatus xmlns:D="DAV:"/>'
    with pytest.raises(MultiStatusParseError, match="no root element within"):
        children(chunked(body, 4096), backend)


def test_str_chunks_are_refused(backend: str) -> None:
    with pytest.raises(TypeError, match="bytes"):
        children(["<a/>"], backend, root_tag=None)  # type: ignore[list-item]


def test_bytes_like_chunks(backend: str) -> None:
    data = [bytearray(SIMPLE[:40]), memoryview(SIMPLE[40:])]
    assert len(children(data, backend)) == 3  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Backend selection


def test_select_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert select_backend() == available_backends()[0]
    assert select_backend("stdlib") == "stdlib"
    assert select_backend(" STDLIB ") == "stdlib"
    monkeypatch.setenv(BACKEND_ENV, "stdlib")
    assert select_backend() == "stdlib"
    monkeypatch.setenv(BACKEND_ENV, "")
    assert select_backend() == available_backends()[0]
    with pytest.raises(ValueError, match="unknown XML backend"):
        select_backend("expat")


def test_environment_forces_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    used: List[str] = []
    original = xmlsafe._iter_stdlib

    def spy(*args: Any) -> Any:
        used.append("stdlib")
        return original(*args)

    monkeypatch.setattr(xmlsafe, "_iter_stdlib", spy)
    monkeypatch.setenv(BACKEND_ENV, "stdlib")
    assert len(children([SIMPLE], None)) == 3  # type: ignore[arg-type]
    assert used == ["stdlib"]


def test_lxml_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xmlsafe, "available_backends", lambda: ("stdlib",))
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert select_backend() == "stdlib"
    with pytest.raises(ImportError, match="lxml"):
        select_backend("lxml")


# ---------------------------------------------------------------------------
# Nothing but MultiStatusParseError, whatever the bytes

TOKENS = [
    b'<D:multistatus xmlns:D="DAV:">',
    b"</D:multistatus>",
    b"<D:response>",
    b"</D:response>",
    b"<D:href>",
    b"</D:href>",
    b"<!DOCTYPE x>",
    b"<!--",
    b"-->",
    b"<?xml version='1.0'?>",
    b"<?pi",
    b"?>",
    b"&amp;",
    b"&#0;",
    b"&#x1F600;",
    b"&x;",
    b"<![CDATA[",
    b"]]>",
    b"<x a='1' a='2'>",
    b"</x>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"\xc3",
    b"text",
    b" ",
    b"<",
    b">",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.binary(max_size=300), size=st.integers(min_value=1, max_value=64))
def test_arbitrary_bytes_only_raise_parse_errors(data: bytes, size: int) -> None:
    for name in available_backends():
        with contextlib.suppress(MultiStatusParseError):
            children(chunked(data, size), name)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    tokens=st.lists(st.sampled_from(TOKENS), max_size=30),
    noise=st.binary(max_size=20),
    size=st.integers(min_value=1, max_value=64),
)
def test_xml_like_input_only_raises_parse_errors(
    tokens: List[bytes], noise: bytes, size: int
) -> None:
    data = TOKENS[0] + b"".join(tokens) + noise
    for name in available_backends():
        with contextlib.suppress(MultiStatusParseError):
            children(chunked(data, size), name)


def test_one_very_large_chunk(backend: str) -> None:
    response = b"<D:response><D:href>/a/some/longer/name.txt</D:href></D:response>\n"
    count = 12_000_000 // len(response)
    body = b'<D:multistatus xmlns:D="DAV:">' + response * count + b"</D:multistatus>"
    assert len(body) > 10_000_000  # more than libxml2 takes in one feed without huge_tree
    found = iterparse_children([body], root_tag=MULTISTATUS, backend=backend)
    assert sum(1 for _ in found) == count


@pytest.mark.parametrize("module", ["hrefs", "xmlsafe", "multistatus", "properties"])
def test_core_modules_import_neither_requests_nor_urllib3(module: str) -> None:
    import ast

    source = Path(xmlsafe.__file__).with_name(f"{module}.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"requests", "urllib3"}
