"""The 207 Multi-Status model (RFC 4918 sections 13, 14.16, 14.22, 14.24; RFC 6578)."""

from __future__ import annotations

import contextlib
import pickle
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_dav.dav.hrefs import href_to_path, join, relative_path, same_path
from requests_dav.dav.multistatus import (
    DAVResponse,
    MultiStatus,
    MultiStatusParseError,
    MultiStatusStream,
    PropertyMap,
    PropStat,
    ResponseStatusError,
    iter_multistatus,
    parse_error_body,
    parse_multistatus,
)
from requests_dav.dav.properties import ActiveLock, LockEntry, RawValue, ResourceType
from requests_dav.dav.xmlsafe import available_backends

DATA = Path(__file__).parent / "data"
UTC = timezone.utc
EXECUTABLE = "{http://apache.org/dav/props/}executable"
EX = "{http://example.com/ns/}"


@pytest.fixture(params=["lxml", "stdlib"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param not in available_backends():
        pytest.skip("lxml is not installed")
    return str(request.param)


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def chunked(data: bytes, size: int) -> List[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def wrap(*responses: str, tail: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">'
        + "".join(responses)
        + tail
        + "</D:multistatus>"
    ).encode()


# ---------------------------------------------------------------------------
# Captures of real servers


@pytest.mark.parametrize("size", [None, 1, 7, 100])
def test_apache_depth1(backend: str, size: Any) -> None:
    base = "http://127.0.0.1:8080/dav/docs/"
    body = load("apache_propfind_depth1.xml")
    ms = parse_multistatus(body if size is None else chunked(body, size), base, backend=backend)
    assert len(ms) == 4
    assert [r.href for r in ms][:2] == ["/dav/docs/", "/dav/docs/annual%20report%202023.pdf"]

    folder = ms.first
    assert folder is not None and folder is ms[0]
    assert folder.is_collection
    assert folder.status is None
    assert folder.content_type == "httpd/unix-directory"
    assert folder.url == base
    assert folder.failed == {}

    pdf = ms["/dav/docs/annual report 2023.pdf"]
    assert not pdf.is_collection
    assert pdf.content_length == 1048576
    assert pdf.etag == '"100000-612e5c1b3e2a8"'
    assert pdf.last_modified == datetime(2024, 3, 5, 9, 13, 2, tzinfo=UTC)
    assert pdf.creation_date == datetime(2024, 3, 5, 9, 13, 2, tzinfo=UTC)
    assert pdf.content_type == "application/pdf"
    assert pdf.display_name is None
    assert pdf.props[EXECUTABLE] == "F"
    assert pdf.props["{DAV:}supportedlock"] == [
        LockEntry("exclusive", "write"),
        LockEntry("shared", "write"),
    ]
    assert pdf.props["{DAV:}lockdiscovery"] == []
    assert pdf.props["{DAV:}resourcetype"] == ResourceType()
    assert len(pdf.props) == 9
    assert [ps.status for ps in pdf.propstats] == [200]

    odd = ms[2]
    assert odd.path == "/dav/docs/café # 1? 100%+;.txt"
    name = relative_path(odd.url, base)
    assert name == "café # 1? 100%+;.txt"
    assert same_path(href_to_path(join(base, name), base), odd.path)
    assert ms.get(name) is odd
    assert ms.get(odd.url) is odd

    sub = ms.get("sub dir")
    assert sub is not None and sub.is_collection
    assert ms["sub dir/"] is sub
    assert ms["http://127.0.0.1:8080/dav/docs/sub%20dir"] is sub
    assert ms.get("not a://url") is None
    assert "sub dir" in ms
    assert "missing" not in ms
    assert ms.get("missing") is None
    with pytest.raises(KeyError):
        ms["missing"]
    assert ms.description is None
    assert ms.sync_token is None
    ms.raise_for_status(include_propstats=True)


def test_apache_named_properties_with_404(backend: str) -> None:
    ms = parse_multistatus(
        load("apache_propfind_prop_404.xml"), "http://h/dav/docs/notes.txt", backend=backend
    )
    (notes,) = ms
    assert notes.content_length == 42
    assert dict(notes.props) == {
        "{DAV:}getcontentlength": 42,
        EX + "author": "Ada Lovelace",
        EX + "tags": {EX + "tag": ["draft", "2024"]},
        EX + "empty": "",
    }
    assert notes.failed == {"{DAV:}displayname": 404, EX + "missing": 404}
    ok, missing = notes.propstats
    assert ok.ok and not missing.ok
    assert missing.reason == "Not Found"
    assert missing.props["{DAV:}displayname"] == ""
    assert notes.display_name is None
    notes.raise_for_status()
    with pytest.raises(ResponseStatusError) as info:
        notes.raise_for_status(include_propstats=True)
    assert info.value.status == 404
    assert info.value.propstat is missing
    assert info.value.response is notes
    assert "404 Not Found for /dav/docs/notes.txt" in str(info.value)
    assert "{DAV:}displayname" in str(info.value)


def test_wsgidav_depth1(backend: str) -> None:
    ms = parse_multistatus(load("wsgidav_propfind_depth1.xml"), "http://h/share/", backend=backend)
    assert len(ms) == 3
    root, doc, spaced = ms
    assert root.is_collection and root.display_name == "share"
    assert root.props["{DAV:}getcontentlanguage"] == "en"
    assert doc.path == "/share/résumé final.docx"
    assert doc.display_name == "résumé final.docx"
    assert doc.creation_date == datetime(
        2024, 3, 5, 9, 13, 2, 123456, tzinfo=timezone(timedelta(hours=1))
    )
    assert doc.last_modified == datetime(2024, 3, 5, 8, 13, 2, tzinfo=UTC)
    assert doc.content_length == 20480
    assert doc.props["{DAV:}supportedlock"] == [LockEntry("exclusive", "write")]
    assert spaced.display_name == "with space "
    assert relative_path(spaced.url, "http://h/share/") == "with space /"
    assert spaced.is_collection


def test_nginx_dav_ext(backend: str) -> None:
    ms = parse_multistatus(load("nginx_dav_ext_depth1.xml"), "http://h/webdav/", backend=backend)
    folder, file = ms
    assert folder.is_collection
    assert folder.display_name == ""
    assert folder.props["{DAV:}supportedlock"] == []
    assert file.path == "/webdav/trailing.dots.."
    assert relative_path(file.url, "http://h/webdav/") == "trailing.dots.."
    assert not file.is_collection
    assert file.props["{DAV:}lockdiscovery"] == [
        ActiveLock(
            scope="exclusive",
            type="write",
            depth="0",
            owner=None,
            timeout=3600,
            locktoken="urn:1709629982",
            lockroot="/webdav/trailing.dots..",
        )
    ]


def test_rclone(backend: str) -> None:
    ms = parse_multistatus(
        load("rclone_propfind_depth1.xml"), "http://127.0.0.1:5572/", backend=backend
    )
    root, photo = ms
    assert root.path == "/"
    assert root.is_collection
    assert photo.path == "/photos/IMG 0001.jpg"
    (lock,) = photo.props["{DAV:}lockdiscovery"]
    assert lock.owner == {"{DAV:}href": "mailto:ada@example.com"}
    assert lock.timeout is None
    assert lock.depth == "infinity"
    assert lock.locktoken == "1"
    assert lock.lockroot == "/photos/IMG%200001.jpg"
    assert photo.failed == {
        "{http://owncloud.org/ns}checksums": 404,
        "{DAV:}quota-used-bytes": 404,
    }
    assert "{DAV:}quota-used-bytes" not in photo.props
    assert photo.propstats[1].props["{DAV:}quota-used-bytes"] == RawValue("")


def test_sync_collection_with_507_truncation(backend: str) -> None:
    base = "http://webdav.example.com/home/cyrusdaboo/collection/"
    ms = parse_multistatus(load("sync_collection_507.xml"), base, backend=backend)
    assert ms.sync_token == "http://example.com/ns/sync/1233"
    changed, removed, truncated = ms
    assert changed.etag == '"00001-abcd1"'
    assert changed.url == base + "test.doc"
    assert removed.status == 404 and removed.propstats == []
    with pytest.raises(ResponseStatusError, match="404 Not Found"):
        removed.raise_for_status()
    assert truncated.status == 507
    assert truncated.reason == "Insufficient Storage"
    assert truncated.error == {"{DAV:}number-of-matches-within-limits": None}
    assert "{DAV:}number-of-matches-within-limits" in truncated.error
    # how a caller recognises the truncation: 507 for the request-URI itself
    assert same_path(truncated.path, href_to_path(base, base))
    assert ms[base] is truncated
    assert repr(ms) == "<MultiStatus 3 responses sync_token='http://example.com/ns/sync/1233'>"


def test_errors_descriptions_locations_and_shared_hrefs(backend: str) -> None:
    ms = parse_multistatus(load("delete_locked_error.xml"), "http://h/container/", backend=backend)
    assert ms.description == "Some resources could not be deleted."
    assert [r.href for r in ms] == [
        "/container/resource3",
        "/container/resource4",
        "/container/moved",
        "/container/partial",
    ]
    three, four, moved, partial = ms
    for locked in (three, four):
        assert locked.status == 423
        assert locked.error == {"{DAV:}lock-token-submitted": {"{DAV:}href": "/container/"}}
        assert locked.responsedescription == "Resource is locked by another user."
        assert locked.location is None
    assert moved.status == 301
    assert moved.location == "http://h/elsewhere/moved%20here/"
    assert [ps.status for ps in partial.propstats] == [403, 424]
    forbidden = partial.propstats[0]
    assert forbidden.error == {"{DAV:}cannot-modify-protected-property": None}
    assert forbidden.responsedescription == "displayname is protected here"
    assert partial.failed == {"{DAV:}displayname": 403, "{http://example.com/ns/}color": 424}
    with pytest.raises(ResponseStatusError) as info:
        ms.raise_for_status()
    assert info.value.response is three
    message = str(info.value)
    assert "423 Locked for /container/resource3" in message
    assert "{DAV:}lock-token-submitted" in message
    assert "locked by another user" in message
    with pytest.raises(ResponseStatusError) as info:
        partial.raise_for_status(include_propstats=True)
    assert info.value.status == 403
    assert "displayname is protected here" in str(info.value)


def test_sharepoint_absolute_hrefs_and_typed_attributes(backend: str) -> None:
    base = "https://intranet.example.com/sites/team/Shared%20Documents/"
    ms = parse_multistatus(load("sharepoint_absolute_hrefs.xml"), base, backend=backend)
    folder, sheet = ms
    assert folder.url == base
    assert folder.content_length == 0
    assert folder.is_collection
    assert sheet.path == "/sites/team/Shared Documents/Q1 plan.xlsx"
    assert ms.get("Q1 plan.xlsx") is sheet
    assert sheet.content_length == 18234
    assert sheet.creation_date == datetime(2024, 3, 5, 9, 13, 2, tzinfo=UTC)
    assert sheet.etag == '"{5A8D3C1E-2B4F-4E6A-9C7D-1F2E3D4C5B6A},3"'
    assert sheet.props["{DAV:}isFolder"] == "f"
    assert sheet.props["{DAV:}ishidden"] == {
        "@{urn:uuid:c2f41010-65b3-11d1-a29f-00aa00c14882/}dt": "boolean",
        "#text": "0",
    }
    assert sheet.props.raw("{DAV:}getcontentlength") == {
        "@{urn:uuid:c2f41010-65b3-11d1-a29f-00aa00c14882/}dt": "int",
        "#text": "18234",
    }


def test_odd_dates(backend: str) -> None:
    ms = parse_multistatus(load("odd_dates.xml"), "http://h/odd/", backend=backend)
    expected = datetime(2024, 3, 5, 9, 12, 44, tzinfo=UTC)
    rfc850, asctime, iso, garbage = ms
    assert rfc850.last_modified == expected == rfc850.creation_date
    assert asctime.last_modified == expected == asctime.creation_date
    assert iso.last_modified == expected
    assert iso.creation_date == datetime(
        2024, 3, 5, 9, 12, 44, 500000, tzinfo=timezone(timedelta(hours=-5))
    )
    assert garbage.last_modified is None
    assert garbage.creation_date is None
    assert garbage.content_length is None
    assert garbage.props["{DAV:}getlastmodified"] == RawValue("yesterday-ish")
    assert isinstance(garbage.props["{DAV:}creationdate"], RawValue)
    assert garbage.props["{DAV:}getcontentlength"] == "12 bytes"


# ---------------------------------------------------------------------------
# Streaming


def test_stream_exposes_trailing_values_once_finished(backend: str) -> None:
    stream = iter_multistatus(
        chunked(load("sync_collection_507.xml"), 7), "http://webdav.example.com/", backend=backend
    )
    assert isinstance(stream, MultiStatusStream)
    first = next(stream)
    assert first.etag == '"00001-abcd1"'
    assert stream.sync_token is None and not stream.finished
    rest = list(stream)
    assert len(rest) == 2
    assert stream.finished
    assert stream.sync_token == "http://example.com/ns/sync/1233"
    assert "finished" in repr(stream)


def test_stream_yields_before_the_body_is_complete(backend: str) -> None:
    consumed: List[int] = []
    responses = "".join(
        f"<D:response><D:href>/d/{i}</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response>"
        for i in range(200)
    )
    chunks = chunked(
        wrap(responses, tail="<D:responsedescription>done</D:responsedescription>"), 256
    )

    def source() -> Iterator[bytes]:
        for index, chunk in enumerate(chunks):
            consumed.append(index)
            yield chunk

    with iter_multistatus(source(), "http://h/d/", backend=backend) as stream:
        first = next(stream)
        assert first.path == "/d/0"
        assert len(consumed) < len(chunks) // 2
        assert stream.description is None
    assert not stream.finished
    with pytest.raises(StopIteration):
        next(stream)
    assert len(consumed) < len(chunks)


def test_stream_close_stops_reading(backend: str) -> None:
    stream = iter_multistatus(
        [load("apache_propfind_depth1.xml")], "http://h/dav/docs/", backend=backend
    )
    next(stream)
    stream.close()
    assert list(stream) == []


def test_values_of_earlier_responses_survive_streaming(backend: str) -> None:
    responses = list(
        iter_multistatus(
            chunked(load("apache_propfind_depth1.xml"), 50), "http://h/", backend=backend
        )
    )
    # structured values are converted on first access, long after their elements were parsed
    for response in responses:
        assert response.props["{DAV:}supportedlock"][1] == LockEntry("shared", "write")
    assert [r.is_collection for r in responses] == [True, False, False, True]


def test_bytes_like_bodies(backend: str) -> None:
    body = load("sync_collection_507.xml")
    for form in (bytearray(body), memoryview(body), iter(chunked(body, 3))):
        assert len(parse_multistatus(form, "http://h/", backend=backend)) == 3
    with pytest.raises(TypeError, match="bytes"):
        parse_multistatus(body.decode(), "http://h/", backend=backend)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# The model's own rules


def test_href_whitespace_and_relative_hrefs(backend: str) -> None:
    ms = parse_multistatus(
        wrap(
            "<D:response><D:href>\n   notes.txt  \n</D:href>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:response>",
            "<D:response><D:href>../up/</D:href><D:status>HTTP/1.1 204</D:status></D:response>",
        ),
        "http://h/dav/dir/",
        backend=backend,
    )
    notes, up = ms
    assert notes.href == "notes.txt"
    assert notes.url == "http://h/dav/dir/notes.txt"
    assert up.path == "/dav/up/"
    assert up.status == 204 and up.reason == ""
    assert up.is_collection  # no resourcetype: from the trailing slash


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ("<D:response><D:status>HTTP/1.1 200 OK</D:status></D:response>", "without a DAV:href"),
        ("<D:response><D:href>/a</D:href><D:status>200 OK</D:status></D:response>", "malformed"),
        (
            "<D:response><D:href>/a</D:href><D:propstat><D:prop/></D:propstat></D:response>",
            "without a DAV:status",
        ),
        (
            "<D:response><D:href>/a</D:href><D:propstat><D:prop/>"
            "<D:status>HTTP/1.1 OK</D:status></D:propstat></D:response>",
            "malformed DAV:status",
        ),
    ],
)
def test_malformed_responses(backend: str, response: str, message: str) -> None:
    with pytest.raises(MultiStatusParseError, match=message):
        parse_multistatus(wrap(response), "http://h/", backend=backend)


def test_not_a_multistatus(backend: str) -> None:
    with pytest.raises(MultiStatusParseError, match="expected a"):
        parse_multistatus(
            b"<html><body>Gateway Timeout</body></html>", "http://h/", backend=backend
        )
    with pytest.raises(MultiStatusParseError):
        parse_multistatus(load("apache_propfind_depth1.xml")[:-40], "http://h/", backend=backend)


def test_depth_limit_passes_through(backend: str) -> None:
    deep = "<x:a xmlns:x='urn:x'>" * 20 + "</x:a>" * 20
    body = wrap(
        f"<D:response><D:href>/a</D:href><D:propstat><D:prop>{deep}</D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )
    assert len(parse_multistatus(body, "http://h/", backend=backend)) == 1
    with pytest.raises(MultiStatusParseError, match="deeper than 16"):
        parse_multistatus(body, "http://h/", backend=backend, max_depth=16)


def test_empty_multistatus(backend: str) -> None:
    ms = parse_multistatus(b'<D:multistatus xmlns:D="DAV:"/>', "http://h/", backend=backend)
    assert len(ms) == 0 and ms.first is None
    assert list(ms) == []


def test_mixed_content_comments_and_cdata(backend: str) -> None:
    body = wrap(
        "<D:response><D:href>/a</D:href><D:propstat><D:prop>"
        "<x:note xmlns:x='urn:x'>one <!-- c --><![CDATA[<two>]]> &amp; three</x:note>"
        "<x:mixed xmlns:x='urn:x'>head<x:b>bold</x:b>tail</x:mixed>"
        "<D:displayname>  <!-- hidden --> spaced </D:displayname>"
        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )
    (response,) = parse_multistatus(body, "http://h/", backend=backend)
    assert response.props["{urn:x}note"] == "one <two> & three"
    assert response.props["{urn:x}mixed"] == {"{urn:x}b": "bold", "#text": "headtail"}
    assert response.display_name == "   spaced "


def test_several_successful_propstats_are_merged(backend: str) -> None:
    body = wrap(
        "<D:response><D:href>/a</D:href>"
        '<D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop>'
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
        "<D:propstat><D:prop><D:displayname>a</D:displayname></D:prop>"
        "<D:status>HTTP/1.1 201 Created</D:status></D:propstat>"
        "<D:propstat><D:prop><D:getcontentlength/></D:prop>"
        "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>"
    )
    (response,) = parse_multistatus(body, "http://h/", backend=backend)
    assert dict(response.props) == {"{DAV:}getetag": '"1"', "{DAV:}displayname": "a"}
    assert response.failed == {"{DAV:}getcontentlength": 404}
    assert repr(response) == "<DAVResponse '/a' propstats=[200, 201, 404]>"
    assert repr(response.propstats[0]) == "<PropStat 200 ['{DAV:}getetag']>"


def test_property_map() -> None:
    props = PropertyMap({"{DAV:}getcontentlength": "12", "{urn:x}v": ("{urn:x}v", None, "", ())})
    assert props["{DAV:}getcontentlength"] == 12
    assert props.raw("{DAV:}getcontentlength") == "12"
    assert props.get("{DAV:}nothing", "default") == "default"
    assert props["{urn:x}v"] is None
    assert "{urn:x}v" in props and len(props) == 2
    assert repr(props) == "PropertyMap({'{DAV:}getcontentlength': 12, '{urn:x}v': None})"
    with pytest.raises(KeyError):
        props["{DAV:}nothing"]
    assert PropertyMap() == {}


def test_results_pickle(backend: str) -> None:
    ms = parse_multistatus(load("rclone_propfind_depth1.xml"), "http://h/", backend=backend)
    copy = pickle.loads(pickle.dumps(ms))  # noqa: S301 (our own data)
    assert isinstance(copy, MultiStatus)
    for before, after in zip(ms, copy):
        assert isinstance(after, DAVResponse)
        assert after.url == before.url
        assert dict(after.props) == dict(before.props)
        assert after.failed == before.failed
    assert isinstance(copy[1].propstats[0], PropStat)


def test_response_repr_with_status() -> None:
    response = DAVResponse(" /x ", "http://h/", status=423, reason="Locked")
    assert repr(response) == "<DAVResponse '/x' status=423>"
    assert response.props == {} and response.failed == {}
    assert response.resourcetype is None
    assert not response.is_collection
    with pytest.raises(ResponseStatusError, match="423 Locked for /x"):
        response.raise_for_status()


# ---------------------------------------------------------------------------
# DAV:error bodies (RFC 4918 section 16)


def test_parse_error_body(backend: str) -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" '
        b'xmlns:s="http://sabredav.org/ns"><d:lock-token-submitted><d:href>/a</d:href>'
        b"<d:href>/b</d:href></d:lock-token-submitted><s:exception>Sabre\\DAV\\Exception\\Locked"
        b"</s:exception><s:message/></d:error>"
    )
    assert parse_error_body(body, backend=backend) == {
        "{DAV:}lock-token-submitted": {"{DAV:}href": ["/a", "/b"]},
        "{http://sabredav.org/ns}exception": "Sabre\\DAV\\Exception\\Locked",
        "{http://sabredav.org/ns}message": None,
    }
    with pytest.raises(MultiStatusParseError, match="expected a"):
        parse_error_body(b"<html/>", backend=backend)


# ---------------------------------------------------------------------------
# Whatever arrives: a MultiStatus or a MultiStatusParseError, nothing else

FRAGMENTS = [
    "<D:response>",
    "</D:response>",
    "<D:href>",
    "</D:href>",
    "/a%20b",
    "http://other/x",
    "../..",
    "%zz",
    "<D:status>",
    "</D:status>",
    "HTTP/1.1 200 OK",
    "HTTP/1.1 507 Insufficient Storage",
    "<D:propstat>",
    "</D:propstat>",
    "<D:prop>",
    "</D:prop>",
    "<D:getlastmodified>",
    "</D:getlastmodified>",
    "<D:getcontentlength>",
    "</D:getcontentlength>",
    "<D:resourcetype>",
    "</D:resourcetype>",
    "<D:lockdiscovery>",
    "</D:lockdiscovery>",
    "<D:activelock>",
    "</D:activelock>",
    "<D:collection/>",
    "<D:error>",
    "</D:error>",
    "<D:location>",
    "</D:location>",
    "<D:sync-token>",
    "</D:sync-token>",
    "<x:v xmlns:x='urn:x' a='1'>",
    "</x:v>",
    "Tue, 05 Mar 2024 09:12:44 GMT",
    "12",
    "&amp;",
    " ",
]


def exercise(ms: MultiStatus) -> None:
    for response in ms:
        _ = (response.url, response.path, response.location, response.failed, repr(response))
        _ = (response.is_collection, response.etag, response.last_modified, response.content_length)
        for propstat in response.propstats:
            for name in propstat.props:
                _ = (propstat.props[name], propstat.props.raw(name))
        with contextlib.suppress(ResponseStatusError):
            response.raise_for_status(include_propstats=True)
        assert ms.get(response.path) is not None


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(fragments=st.lists(st.sampled_from(FRAGMENTS), max_size=40), size=st.integers(1, 50))
def test_fuzzed_multistatus_bodies(fragments: List[str], size: int) -> None:
    body = wrap("".join(fragments))
    for name in available_backends():
        try:
            ms = parse_multistatus(chunked(body, size), "http://h/dav/", backend=name)
        except MultiStatusParseError:
            continue
        exercise(ms)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes(data: bytes) -> None:
    for name in available_backends():
        with contextlib.suppress(MultiStatusParseError):
            exercise(parse_multistatus(data, "http://h/", backend=name))


def test_lxml_structured_values_are_shared_not_retained() -> None:
    if "lxml" not in available_backends():
        pytest.skip("lxml is not installed")
    stream = iter_multistatus(
        [load("apache_propfind_depth1.xml")], "http://h/dav/docs/", backend="lxml"
    )
    first, second, third, fourth = stream
    raw = [r.propstats[0].props._raw["{DAV:}supportedlock"] for r in (first, second, third)]
    assert isinstance(raw[0], tuple)  # a plain node, no lxml element kept alive
    assert raw[0] is raw[1] is raw[2]
    assert fourth.props["{DAV:}resourcetype"].is_collection


def test_whitespace_next_to_cdata_and_comments_is_kept(backend: str) -> None:
    body = wrap(
        "<D:response><D:href>/a</D:href><D:propstat><D:prop>"
        "<x:a xmlns:x='urn:x'>  <![CDATA[x]]></x:a>"
        "<x:b xmlns:x='urn:x'>\n  <![CDATA[ ]]>\n</x:b>"
        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )
    (response,) = parse_multistatus(body, "http://h/", backend=backend)
    assert response.props["{urn:x}a"] == "  x"
    assert response.props["{urn:x}b"] == "\n   \n"
