"""Typed DAV: property values (RFC 4918 section 15, RFC 4331, RFC 6578)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional, Tuple

import pytest
import xmltodict

from requests_dav.dav import properties as p
from requests_dav.dav.properties import (
    ActiveLock,
    LockEntry,
    Node,
    RawValue,
    ResourceType,
    convert,
    parse_http_date,
    parse_iso8601,
    parse_timeout,
    structure,
)

UTC = timezone.utc


def node(
    tag: str, *children: Node, text: str = "", attrib: Optional[Dict[str, str]] = None
) -> Node:
    return (tag, attrib, text, tuple(children))


def dav(local: str, *children: Node, text: str = "") -> Node:
    return node("{DAV:}" + local, *children, text=text)


# ---------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "text",
    [
        "Tue, 05 Mar 2024 09:12:44 GMT",  # RFC 1123 / IMF-fixdate
        " Tue, 05 Mar 2024 09:12:44 GMT\n",
        "tue, 5 mar 2024 09:12:44 gmt",
        "Tuesday, 05-Mar-24 09:12:44 GMT",  # RFC 850
        "Tue Mar  5 09:12:44 2024",  # asctime
        "Tue, 05 Mar 2024 10:12:44 +0100",
        "2024-03-05T09:12:44Z",  # ISO 8601, from broken servers
    ],
)
def test_getlastmodified_forms(text: str) -> None:
    value = convert(p.GETLASTMODIFIED, text)
    assert value == datetime(2024, 3, 5, 9, 12, 44, tzinfo=UTC)
    assert value.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T09:12:44Z", datetime(2024, 3, 5, 9, 12, 44, tzinfo=UTC)),
        ("2024-03-05t09:12:44z", datetime(2024, 3, 5, 9, 12, 44, tzinfo=UTC)),
        ("2024-03-05T09:12:44.123456789Z", datetime(2024, 3, 5, 9, 12, 44, 123456, tzinfo=UTC)),
        (
            "2024-03-05T09:12:44.5-05:00",
            datetime(2024, 3, 5, 9, 12, 44, 500000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "2024-03-05T09:12:44,5-0500",
            datetime(2024, 3, 5, 9, 12, 44, 500000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "2024-03-05T09:12:44+0530",
            datetime(2024, 3, 5, 9, 12, 44, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        (
            "2024-03-05T09:12:44+01",
            datetime(2024, 3, 5, 9, 12, 44, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2024-03-05 09:12:44", datetime(2024, 3, 5, 9, 12, 44, tzinfo=UTC)),
        ("2024-03-05T09:12", datetime(2024, 3, 5, 9, 12, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 09:12:44 GMT", datetime(2024, 3, 5, 9, 12, 44, tzinfo=UTC)),
    ],
)
def test_creationdate_forms(text: str, expected: datetime) -> None:
    value = convert(p.CREATIONDATE, text)
    assert value == expected
    assert value.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    ["", "yesterday-ish", "0000-00-00T00:00:00Z", "2024-13-45T99:99:99Z", "Tue, 35 Foo 2024", "0"],
)
@pytest.mark.parametrize("name", [p.GETLASTMODIFIED, p.CREATIONDATE])
def test_odd_dates_are_kept_as_raw_text(name: str, text: str) -> None:
    value = convert(name, text)
    assert isinstance(value, RawValue)
    assert value == text
    assert repr(value) == f"RawValue({text!r})"


def test_date_parsers_raise_value_error() -> None:
    with pytest.raises(ValueError, match="HTTP date"):
        parse_http_date("nope")
    with pytest.raises(ValueError, match="HTTP date"):
        parse_http_date("Tue, 05 Foo 2024 09:12:44 GMT")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_iso8601("Tue, 05 Mar 2024 09:12:44 GMT")
    assert parse_iso8601("2024-03-05T09:12:44Z").tzinfo is UTC


# ---------------------------------------------------------------------------
# Numbers and strings


@pytest.mark.parametrize("name", [p.GETCONTENTLENGTH, p.QUOTA_AVAILABLE_BYTES, p.QUOTA_USED_BYTES])
def test_integers(name: str) -> None:
    assert convert(name, "1048576") == 1048576
    assert convert(name, " 42\n") == 42
    assert convert(name, "-1") == -1
    big = convert(name, "18446744073709551616")
    assert big == 2**64
    for odd in ("", "12 bytes", "1.5", "٣"):
        value = convert(name, odd)
        assert isinstance(value, RawValue)
        assert value == odd


def test_strings() -> None:
    assert convert(p.GETETAG, ' W/"abc" ') == 'W/"abc"'
    assert convert(p.GETETAG, '"{5A8D},3"') == '"{5A8D},3"'
    assert convert(p.GETCONTENTTYPE, "text/plain; charset=utf-8\n") == "text/plain; charset=utf-8"
    assert convert(p.GETCONTENTLANGUAGE, "en") == "en"
    assert convert(p.DISPLAYNAME, " spaced name ") == " spaced name "
    assert convert(p.DISPLAYNAME, "") == ""
    assert convert(p.SYNC_TOKEN, " http://example.com/ns/sync/1233 ") == (
        "http://example.com/ns/sync/1233"
    )


def test_known_leaf_property_with_attributes() -> None:
    # SharePoint: <a:getcontentlength b:dt="int">18234</a:getcontentlength>
    attrib = {"{urn:uuid:c2f41010-65b3-11d1-a29f-00aa00c14882/}dt": "int"}
    assert convert(p.GETCONTENTLENGTH, node(p.GETCONTENTLENGTH, text="18234", attrib=attrib)) == (
        18234
    )


def test_known_leaf_property_with_children_keeps_the_structure() -> None:
    value = convert(p.GETETAG, dav("getetag", node("{urn:x}weird", text="1")))
    assert value == {"{urn:x}weird": "1"}


# ---------------------------------------------------------------------------
# Resourcetype, supportedlock, lockdiscovery


def test_resourcetype() -> None:
    collection = convert(p.RESOURCETYPE, dav("resourcetype", dav("collection")))
    assert isinstance(collection, ResourceType)
    assert collection.is_collection
    assert collection == {"{DAV:}collection"}
    assert repr(collection) == "ResourceType(['{DAV:}collection'])"
    plain = convert(p.RESOURCETYPE, "")
    assert plain == ResourceType()
    assert not plain.is_collection
    assert convert(p.RESOURCETYPE, "\n  ") == ResourceType()
    calendar = convert(
        p.RESOURCETYPE,
        dav("resourcetype", dav("collection"), node("{urn:ietf:params:xml:ns:caldav}calendar")),
    )
    assert calendar.is_collection
    assert "{urn:ietf:params:xml:ns:caldav}calendar" in calendar
    odd = convert(p.RESOURCETYPE, "collection")
    assert isinstance(odd, RawValue)


def test_supportedlock() -> None:
    def entry(scope: str, kind: str) -> Node:
        return dav("lockentry", dav("lockscope", dav(scope)), dav("locktype", dav(kind)))

    value = convert(
        p.SUPPORTEDLOCK,
        dav("supportedlock", entry("exclusive", "write"), entry("shared", "write")),
    )
    assert value == [LockEntry("exclusive", "write"), LockEntry("shared", "write")]
    assert convert(p.SUPPORTEDLOCK, "\n") == []
    vendor = convert(
        p.SUPPORTEDLOCK,
        dav(
            "supportedlock",
            dav("lockentry", dav("lockscope", node("{urn:x}special")), dav("locktype")),
        ),
    )
    assert vendor == [LockEntry("{urn:x}special", "")]


def activelock(*extra: Node) -> Node:
    return dav(
        "activelock",
        dav("locktype", dav("write")),
        dav("lockscope", dav("shared")),
        *extra,
    )


def test_lockdiscovery_full() -> None:
    value = convert(
        p.LOCKDISCOVERY,
        dav(
            "lockdiscovery",
            activelock(
                dav("depth", text="Infinity"),
                dav("owner", dav("href", text="mailto:ada@example.com")),
                dav("timeout", text="Second-604800"),
                dav("locktoken", dav("href", text=" opaquelocktoken:e71d4fae-5dec ")),
                dav("lockroot", dav("href", text="/dav/docs/")),
            ),
        ),
    )
    assert value == [
        ActiveLock(
            scope="shared",
            type="write",
            depth="infinity",
            owner={"{DAV:}href": "mailto:ada@example.com"},
            timeout=604800,
            locktoken="opaquelocktoken:e71d4fae-5dec",
            lockroot="/dav/docs/",
        )
    ]


def test_lockdiscovery_sparse() -> None:
    (lock,) = convert(
        p.LOCKDISCOVERY,
        dav(
            "lockdiscovery",
            activelock(
                dav("depth", text="0"), dav("owner", text=" Ada "), dav("timeout", text="Infinite")
            ),
        ),
    )
    assert lock.depth == "0"
    assert lock.owner == "Ada"
    assert lock.timeout is None
    assert lock.locktoken is None
    assert lock.lockroot is None
    assert convert(p.LOCKDISCOVERY, "") == []
    (bare,) = convert(p.LOCKDISCOVERY, dav("lockdiscovery", activelock()))
    assert bare.depth == "infinity"
    assert bare.owner is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Second-3600", 3600),
        ("second-10", 10),
        ("Infinite", None),
        ("Infinite, Second-4100000000", None),
        ("Second-x, Second-5", 5),
        ("garbage", None),
        ("", None),
    ],
)
def test_parse_timeout(text: str, seconds: Optional[int]) -> None:
    assert parse_timeout(text) == seconds


# ---------------------------------------------------------------------------
# Unknown properties: xmltodict's form with Clark names


def test_unknown_leaf_is_text_as_sent() -> None:
    assert convert("{urn:x}author", " Ada Lovelace ") == " Ada Lovelace "
    assert convert("{urn:x}empty", "") == ""
    assert convert("{DAV:}unknown-dav-property", "x") == "x"


def test_structure_matches_xmltodict() -> None:
    tree = node(
        "{urn:x}tags",
        node("{urn:x}tag", text="draft"),
        node("{urn:x}tag", text=" 2024 "),
        node("{urn:x}note", text="n", attrib={"lang": "en"}),
        node("{urn:y}empty"),
        node("{urn:x}nested", node("{urn:x}deep", text="d")),
        text="\n  mixed  \n",
        attrib={"{urn:x}version": "2"},
    )
    document = (
        '<x:tags xmlns:x="urn:x" xmlns:y="urn:y" x:version="2">\n  mixed  \n'
        '<x:tag>draft</x:tag><x:tag> 2024 </x:tag><x:note lang="en">n</x:note><y:empty/>'
        "<x:nested><x:deep>d</x:deep></x:nested></x:tags>"
    )
    parsed = xmltodict.parse(document, process_namespaces=True, namespace_separator="}")
    expected = clark_keys(parsed["urn:x}tags"])
    assert structure(tree) == expected
    assert structure(tree) == {
        "@{urn:x}version": "2",
        "{urn:x}tag": ["draft", "2024"],
        "{urn:x}note": {"@lang": "en", "#text": "n"},
        "{urn:y}empty": None,
        "{urn:x}nested": {"{urn:x}deep": "d"},
        "#text": "mixed",
    }


def clark_keys(value: Any) -> Any:
    """xmltodict's "ns}local" keys (namespace_separator="}") in Clark notation."""
    if isinstance(value, list):
        return [clark_keys(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key == "@xmlns":  # Clark names carry the namespaces already
            continue
        prefix = "@" if key.startswith("@") else ""
        bare = key[len(prefix) :]
        if "}" in bare:
            bare = "{" + bare
        result[prefix + bare] = clark_keys(item)
    return result


def test_unknown_structured_property() -> None:
    value = convert("{urn:x}tags", node("{urn:x}tags", node("{urn:x}tag", text="a")))
    assert value == {"{urn:x}tag": "a"}
    only_attributes = convert("{urn:x}flag", node("{urn:x}flag", attrib={"on": "1"}))
    assert only_attributes == {"@on": "1"}


def test_known_properties_listing() -> None:
    names = set(p.known_properties())
    assert {p.GETLASTMODIFIED, p.RESOURCETYPE, p.LOCKDISCOVERY, p.SYNC_TOKEN} <= names


def test_active_lock_is_a_named_tuple() -> None:
    lock: Tuple[Any, ...] = p.active_lock(activelock(dav("depth", text="1")))
    assert lock == ("shared", "write", "1", None, None, None, None)
