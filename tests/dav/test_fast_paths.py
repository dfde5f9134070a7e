"""The listing fast paths give exactly what the general rules give (issue 16).

Reading a listing's five common properties (path, size, date, type, ETag)
takes shortcuts for the forms servers send; each test below draws tricky
input around the shortcut's edges and compares it with the general rule the
shortcut stands in for.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List

from hypothesis import example, given, settings
from hypothesis import strategies as st

from requests_dav.dav import hrefs, xmltokens
from requests_dav.dav import properties as props
from requests_dav.dav.multistatus import parse_multistatus
from requests_dav.dav.xmlsafe import available_backends

BASE = "http://127.0.0.1:8080/dav/dir/"

# characters at the shortcut's edges: escapes (valid, broken, lone), the
# backslash the C decoder would read as an escape, dots, query and fragment
# marks, spaces, non-ASCII text and lone surrogates
_HREF_CHARS = st.sampled_from(
    [*"%%%%0123456789abcdefABCDEFgz/..?#\\ +;:@~\u00e9\u65e5", "\udcc3", "\udca9", "\x7f"]
)


def _outcome(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return ("value", function(*args))
    except (ValueError, UnicodeError) as err:
        return ("error", type(err))


@settings(max_examples=400)
@given(st.text(_HREF_CHARS, max_size=24))
@example("%C3%A9%20x")
@example("%C3%")
@example("%\\x41")
@example("%e6%97%a5\udcc3%A9")
@example("%%41")
@example("%4")
def test_decode_matches_one_escape_at_a_time(text: str) -> None:
    # the general rule: text without "%" is returned as it is, else decoded escape by escape
    general = text if "%" not in text else _outcome(hrefs._decode_pieces, text)[1]
    assert _outcome(hrefs._decode, text) == ("value", general)


@settings(max_examples=400)
@given(st.text(_HREF_CHARS, max_size=24), st.sampled_from(["", "/", "//", " /", "/ "]))
@example("dav/a%20b.txt", "/")
@example("dav/caf\u00e9 x", "/")
@example("dav/\udcc3%A9", "/")
@example("dav/./a", "/")
@example("/host/x", "/")
@example("dav/a?b", "/")
@example("dav/%zz%", "/")
@example("dav/a\\b", "/")
def test_href_path_matches_resolving_the_url(tail: str, head: str) -> None:
    href = head + tail
    general = _outcome(lambda h, b: hrefs.url_path(hrefs.resolve_href(h, b)), href, BASE)
    assert _outcome(hrefs.href_to_path, href, BASE) == general


# pieces of ASCII hrefs around the quoted-printable shortcut: valid escapes in
# both cases (of every byte: "/", ".", "=", NUL, UTF-8 lead and continuation
# bytes), overlong and surrogate UTF-8, broken and trailing "%", "%%", and
# the "=", CR and LF that the shortcut leaves to the general rule
_ESCAPE_PIECES = st.one_of(
    st.integers(0, 255).map(lambda byte: f"%{byte:02X}"),
    st.integers(0, 255).map(lambda byte: f"%{byte:02x}"),
    st.sampled_from(
        [
            *("%2F", "%2f", "%2E", "%2e", "%3D", "%3d", "%00", "%20", "%25"),
            *("%C3%A9", "%E6%97%A5", "%F0%9F%98%80", "%C0%AF", "%E0%80%AF", "%ED%A0%80"),
            *("%ED%B3%83", "%F4%90%80%80", "%C3", "%A9", "%FF", "%80"),
            *("%", "%%", "%4", "%G1", "%1G", "%%41", "%=41", "=", "=41", "=\n", "%\n", "%\r"),
            *("\n", "\r", "\\", "/", "//", ".", "..", "/.", "a", "Z", "0", "f", " ", "~", "+"),
        ]
    ),
)


@settings(max_examples=1500)
@given(st.lists(_ESCAPE_PIECES, max_size=12), st.sampled_from(["/", "/dav/", "//", " /", ""]))
@example(["%C3%A9"], "/")
@example(["%C3%A9", "%"], "/")
@example(["%3D"], "/")
@example(["a", "%4"], "/")
@example(["%%41"], "/")
@example(["%", "\n", "41"], "/")
@example(["%2F", "%2F", "x"], "/")
@example(["%2E", "%2E", "/", "x"], "/")
@example(["%ED%A0%80"], "/")
@example(["=41"], "/")
def test_ascii_href_path_matches_resolving_the_url(pieces: List[str], head: str) -> None:
    href = head + "".join(pieces)
    general = _outcome(lambda h, b: hrefs.url_path(hrefs.resolve_href(h, b)), href, BASE)
    assert _outcome(hrefs.href_to_path, href, BASE) == general
    stripped = href.strip()
    if stripped[:1] == "/" and stripped[1:2] != "/" and "/." not in stripped:
        # nothing to resolve: the decoding alone, against one escape at a time
        path = hrefs.normalize_path(hrefs._decode_pieces(stripped))
        assert hrefs.href_to_path(href, BASE) == path


def test_ascii_href_path_takes_the_shortcut_for_listing_hrefs(monkeypatch: Any) -> None:
    calls: List[str] = []
    monkeypatch.setattr(hrefs, "_decode", lambda text: calls.append(text) or text)
    href = "/remote.php/dav/files/alice/r%C3%A9sum%C3%A9%20final%20000123.jpg"
    expected = "/remote.php/dav/files/alice/r\u00e9sum\u00e9 final 000123.jpg"
    assert hrefs.href_to_path(href, BASE) == expected
    assert hrefs.href_to_path("/a%2F%2Fb%2E%2E/c", BASE) == "/a/b../c"
    assert calls == []
    hrefs.href_to_path("/a%3Db", BASE)  # "=" comes out: the general rule decides
    hrefs.href_to_path("/a=b%20", BASE)
    assert calls == ["/a%3Db", "/a=b%20"]


def test_href_path_still_refuses_a_relative_base() -> None:
    assert _outcome(hrefs.href_to_path, "/a", "/dav/") == ("error", ValueError)


_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _fixdate(moment: datetime) -> str:
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment:%H:%M:%S} GMT"
    )


def _general_http_date(text: str) -> datetime:
    return props._parse_http_date_general(text.strip())


def _date_general(text: str) -> Any:
    return _outcome(props._parse_http_date_general, text.strip())


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.integers(0, 28),
    st.sampled_from(["", "0", "9", "x", " ", ":", ",", "٣", "²", "ss", "JAN", "mon"]),
)
def test_fixdate_matches_the_general_rule(moment: datetime, where: int, change: str) -> None:
    text = _fixdate(moment)
    # the valid form, and the same with one character replaced, dropped or doubled
    for candidate in (
        text,
        text[:where] + change + text[where + 1 :],
        text[:where] + change + text[where:],
    ):
        assert _outcome(props.parse_http_date, candidate) == _date_general(candidate)
        converted = props.convert(props.GETLASTMODIFIED, candidate)
        reference = props._date(candidate, _general_http_date, props.parse_iso8601)
        assert converted == reference and type(converted) is type(reference)


_DATE_FIELDS = st.tuples(
    st.sampled_from(["Mon,", "Wed,", "Sun,", "mon,", "Xyz,", "Wed", "Wed,,", "", "We,"]),
    st.sampled_from(["02", "2", "00", "29", "30", "31", "32", "\u0660\u0662", "0\u0662", "+2"]),
    st.sampled_from(["Jan", "Feb", "Apr", "Dec", "jan", "DEC", "Foo", "Ja", ""]),
    st.sampled_from(["2024", "2023", "2000", "1900", "0001", "0000", "9999", "202", "20245"]),
    st.sampled_from(["+202", "\u0662\u0660\u0662\u0664", "2024"]),
    st.integers(0, 25).map(lambda hour: f"{hour:02d}"),
    st.sampled_from(["00", "59", "60", "5", "\u0665\u0669", "+1"]),
    st.sampled_from(["00", "59", "60", "61", "5", "5.1", "\u0663\u0663"]),
    st.sampled_from([" ", " ", " ", "  ", "\t", "", "\u00a0"]),
    st.sampled_from(["GMT", "GMT", "UTC", "gmt", "Z", "+0000", "-0100", "", "GMT "]),
    st.sampled_from(["", "", " ", "\t", "\n "]),
)


@settings(max_examples=1500)
@given(_DATE_FIELDS)
@example(("Wed,", "31", "Feb", "2024", "2024", "10", "00", "00", " ", "GMT", ""))
@example(("Wed,", "29", "Feb", "2023", "2023", "10", "00", "00", " ", "GMT", ""))
@example(("Wed,", "02", "Dec", "2026", "2026", "24", "00", "00", " ", "GMT", ""))
@example(("Wed,", "02", "Dec", "2026", "2026", "13", "21", "60", " ", "GMT", ""))
@example(("Wed,", "\u0660\u0662", "Dec", "2026", "2026", "13", "21", "46", " ", "GMT", ""))
@example(("Wed,", "02", "Dec", "20266", "20266", "13", "21", "4", " ", "GMT", ""))
def test_fixdate_fields_match_the_general_rule(fields: Any) -> None:
    name, day, month, year, other_year, hour, minute, second, space, zone, pad = fields
    year = year if year != "2024" else other_year
    text = f"{pad}{name}{space}{day} {month} {year} {hour}:{minute}:{second} {zone}{pad}"
    for candidate in (text, text.replace(" ", space), text.strip()):
        assert repr(_outcome(props.parse_http_date, candidate)) == repr(_date_general(candidate))
        fixdate = props._imf_fixdate(candidate)
        assert fixdate is None or repr(fixdate) == repr(_general_http_date(candidate))
        converted = props.convert(props.GETLASTMODIFIED, candidate)
        reference = props._date(candidate, _general_http_date, props.parse_iso8601)
        assert repr(converted) == repr(reference) and type(converted) is type(reference)


def test_fixdate_fields_take_the_shortcut() -> None:
    text = "Wed, 02 Dec 2026 13:21:46 GMT"
    assert props._imf_fixdate(text) == datetime(2026, 12, 2, 13, 21, 46, tzinfo=timezone.utc)
    assert props._imf_fixdate(text).tzinfo is timezone.utc  # type: ignore[union-attr]
    for other in (text.replace("13", "24"), text.replace("02", "31").replace("Dec", "Feb")):
        assert props._imf_fixdate(other) is None  # left to the general rule


def test_fixdate_reads_the_common_form() -> None:
    expected = datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)
    assert props._imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT") == expected
    assert props._imf_fixdate("Sun, 06 Nov 1994 08:49:37 UTC") is None  # general rule
    assert props.parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC") == expected
    assert props.parse_http_date("Sun, 06 NOV 1994 08:49:37 GMT") == expected
    shifted = props.parse_http_date("Sun, 06 Nov 1994 08:49:37 +0100")
    assert shifted.utcoffset() == timedelta(hours=1)


@settings(max_examples=300)
@given(st.text(st.sampled_from(list("0123456789+- \t٣²x")), max_size=22))
@example("1" * 18)
@example("1" * 19)
@example("0" * 30 + "5")
@example(" 42 ")
@example("٣")
@example("²")
def test_integer_matches_the_general_rule(text: str) -> None:
    value = props.convert(props.GETCONTENTLENGTH, text)
    reference = props._integer_general(text, text.strip())
    assert value == reference and type(value) is type(reference)


_VALUES = st.sampled_from(
    [
        "",
        " ",
        "\n",
        "12",
        " 12 ",
        "12 ",
        "0012",
        "-3",
        "+3",
        "x",
        "\u0663",
        "1" * 18,
        "1" * 19,
        "1" * 30,
        "Sun, 06 Nov 1994 08:49:37 GMT",
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun,  6 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "2024-01-02T03:04:05Z",
        '"e1"',
        ' "e1" ',
        'W/"e"',
        "<D:collection/>",
        "<D:collection/><D:principal/>",
        " <D:principal/> ",
        "<D:x>1</D:x>",
        '<D:x a="1"/>',
    ]
)


_ACCESSORS: Dict[str, Any] = {
    "content_length": (props.GETCONTENTLENGTH, int),
    "last_modified": (props.GETLASTMODIFIED, datetime),
    "etag": (props.GETETAG, str),
    "resourcetype": (props.RESOURCETYPE, props.ResourceType),
    "content_type": (props.GETCONTENTTYPE, str),
    "is_collection": None,
}


@settings(max_examples=600)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["getcontentlength", "getlastmodified", "getetag", "resourcetype", "getcontenttype"]
            ),
            _VALUES,
            st.sampled_from(["", ' a="1"']),
        ),
        max_size=6,
    ),
    st.booleans(),
    st.sampled_from(["/dav/dir/a", "/dav/dir/a/"]),
    st.booleans(),
    st.booleans(),
    st.permutations(list(_ACCESSORS)),
)
def test_typed_accessors_match_the_property_map(
    values: list[tuple[str, str, str]],
    backend_lxml: bool,
    href: str,
    props_first: bool,
    second_propstat: bool,
    order: List[str],
) -> None:
    body = "".join(f"<D:{name}{attrs}>{value}</D:{name}>" for name, value, attrs in values)
    extra = ""
    if second_propstat:  # a second 2xx propstat: the merged map, not the propstat's own
        extra = (
            "<D:propstat><D:prop><D:displayname>n</D:displayname></D:prop>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
        )
    document = (
        f'<D:multistatus xmlns:D="DAV:"><D:response><D:href>{href}</D:href>'
        f"<D:propstat><D:prop>{body}</D:prop><D:status>HTTP/1.1 200 OK</D:status>"
        f"</D:propstat>{extra}</D:response></D:multistatus>"
    ).encode()
    backend = "lxml" if backend_lxml and "lxml" in available_backends() else "stdlib"
    fast = parse_multistatus(document, BASE, backend=backend).first
    slow = parse_multistatus(document, BASE, backend=backend).first
    assert fast is not None and slow is not None
    if props_first:  # the merged map already worked out
        assert len(fast.props) == len(slow.props)
    for _ in range(2):  # the first reading (in any order), then the value kept in the map
        for accessor in order:
            value = getattr(fast, accessor)
            if accessor == "is_collection":
                resourcetype = slow.props.get(props.RESOURCETYPE)
                if isinstance(resourcetype, props.ResourceType):
                    assert value is resourcetype.is_collection
                else:
                    assert value is href.endswith("/")
                continue
            name, kind = _ACCESSORS[accessor]
            general = slow.props.get(name)
            if not isinstance(general, kind) or isinstance(general, props.RawValue):
                general = None
            assert repr(value) == repr(general) and type(value) is type(general)
        assert fast.props == slow.props  # and the map holds what the general path holds


def test_typed_accessors_each_read_first() -> None:
    body = (
        "<D:getcontentlength>12</D:getcontentlength>"
        "<D:getlastmodified>Sun, 06 Nov 1994 08:49:37 GMT</D:getlastmodified>"
        '<D:getetag>"e"</D:getetag><D:resourcetype/>'
    )
    document = (
        '<D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/dir/a/</D:href>'
        f"<D:propstat><D:prop>{body}</D:prop><D:status>HTTP/1.1 200 OK</D:status>"
        "</D:propstat></D:response></D:multistatus>"
    ).encode()
    expected = {
        "content_length": 12,
        "last_modified": datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc),
        "etag": '"e"',
        "is_collection": False,
    }
    for first in expected:
        response = parse_multistatus(document, BASE).first
        assert response is not None
        assert getattr(response, first) == expected[first]  # with no merged map yet
        assert {name: getattr(response, name) for name in expected} == expected


_DOCUMENTS = [
    b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href>'
    b"<D:status>HTTP/1.1 200 OK</D:status></D:response>"
    b"<D:responsedescription>x</D:responsedescription></D:multistatus>",
    b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href>',  # truncated
    b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href></D:respons>',  # mismatch
    b'<D:multistatus xmlns:D="DAV:">' + b"<D:x>" * 40 + b"</D:x>" * 40 + b"</D:multistatus>",
    b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a&bogus;</D:href></D:response>'
    b"</D:multistatus>",
    b'<D:multistatus xmlns:D="DAV:"><D:sync-token>t</D:sync-token></D:multistatus>junk',
]


def _stdlib_outcome(document: bytes, chunk: int) -> Any:
    from requests_dav.dav.multistatus import iter_multistatus

    chunks = [document[i : i + chunk] for i in range(0, len(document), chunk)]
    seen: list[Any] = []
    try:
        stream = iter_multistatus(chunks, BASE, backend="stdlib", max_depth=30)
        for response in stream:
            seen.append((response.href, response.status))
        seen.append(("end", stream.description, stream.sync_token))
    except Exception as err:  # compared, not swallowed
        seen.append((type(err).__name__, str(err)))
    return seen


def test_stdlib_events_taken_at_once_match_read_events(monkeypatch: Any) -> None:
    from requests_dav.dav import xmlsafe

    for chunk in (1, 7, 64, 4096):
        fast = [_stdlib_outcome(document, chunk) for document in _DOCUMENTS]
        monkeypatch.setattr(xmlsafe, "_events_deque", lambda parser: None)
        slow = [_stdlib_outcome(document, chunk) for document in _DOCUMENTS]
        monkeypatch.undo()
        assert fast == slow
    assert fast[0][0] == ("/a", 200) and fast[3][0][0] == "MultiStatusParseError"


# ---------------------------------------------------------------------------
# The token scanner's find-only path (chunks ending in "<", or after one)


class _ScanOnly(xmltokens.TokenScanner):
    """The general rule: every chunk scanned "<" by "<"."""

    def _fast(self, data: bytes) -> Any:
        return None


_TOKEN_PIECES = [
    *(b"<", b">", b"a", b"aaaaa", b"<!", b"<!-", b"<!--", b"-->", b"<![CDATA[", b"<![", b"]]>"),
    *(b"<?", b"?>", b"<!DOCTYPE r [", b"<!ENTITY x 'y'>", b"&x;", b"-", b"]"),
    *(b"!", b"?", b"a!", b"?a", b"!<", b"?<", b"<a!", b"<a?", b"!!", b"??"),
]


def _verdicts(scanner: xmltokens.TokenScanner, chunks: List[bytes]) -> List[bool]:
    return [scanner.check(chunk) for chunk in chunks]


@settings(max_examples=1500)
@given(
    st.lists(st.sampled_from(_TOKEN_PIECES), min_size=1, max_size=40),
    st.integers(1, 24),
    st.data(),
)
@example([b"aaaaa", b"<", b"aaaaa", b"<", b"!--", b"aaaaa"], 6, None)
def test_token_scanner_fast_path_matches_the_scan(
    pieces: List[bytes], limit: int, data: Any
) -> None:
    body = b"".join(pieces)
    cuts: List[int] = []
    position = 0
    while position < len(body):  # chunks of at most limit bytes, many ending in "<"
        window = range(position, min(len(body), position + limit))
        ends = [i + 1 for i in window if body[i] == ord("<")]
        if data is None:
            step = limit
        elif ends and data.draw(st.booleans()):  # a chunk that ends in "<"
            step = data.draw(st.sampled_from(ends)) - position
        else:
            step = data.draw(st.integers(1, limit))
        position = min(len(body), position + step)
        cuts.append(position)
    chunks = [body[a:b] for a, b in zip([0, *cuts], cuts)]
    fast, scan = xmltokens.TokenScanner(limit), _ScanOnly(limit)
    verdicts = _verdicts(fast, chunks)
    assert verdicts == _verdicts(scan, chunks)
    if all(verdicts):  # and the scanners leave off in the same state
        assert (fast._last, fast._carry, fast._closer) == (scan._last, scan._carry, scan._closer)


def test_token_scanner_chunks_ending_in_lt_take_the_find_path() -> None:
    calls: List[bytes] = []

    class Counting(xmltokens.TokenScanner):
        def _scan(self, data: bytes) -> int:
            calls.append(data)
            return super()._scan(data)

    scanner = Counting(16)
    assert all(scanner.check(chunk) for chunk in [b"<a>x</a><", b"b>y</b><", b"/r>"])
    assert calls == []
    assert not scanner.check(b"a" * 15)  # the run since the carried "<" grows to 18
    scanner = Counting(16)
    assert scanner.check(b"<a>x<") and scanner.check(b"!--tt-->")
    assert calls == [b"!--tt-->"]  # a comment after the carried "<": scanned, and followed
    assert not scanner.check(b"t" * 10)  # "a>x", the comment and the text: one run of 22


@settings(max_examples=200)
@given(st.lists(st.sampled_from([200, 207, 299, 300, 404, 199, 500]), max_size=5))
def test_merged_props_match_the_general_rule(statuses: List[int]) -> None:
    """``DAVResponse.props`` finds the lone 2xx propstat in one pass; several are merged."""
    from requests_dav.dav.multistatus import DAVResponse, PropertyMap, PropStat

    propstats = [
        PropStat(code, "", PropertyMap({f"{{DAV:}}p{i}": str(code), "{DAV:}shared": str(i)}))
        for i, code in enumerate(statuses)
    ]
    response = DAVResponse("/a", BASE, propstats=propstats)
    good = [propstat for propstat in propstats if 200 <= propstat.status < 300]
    if len(good) == 1:
        assert response.props is good[0].props
    else:
        expected: dict[str, Any] = {}
        for propstat in good:
            expected.update(propstat.props._raw)
        assert response.props._raw == expected
        assert all(response.props is not propstat.props for propstat in propstats)
