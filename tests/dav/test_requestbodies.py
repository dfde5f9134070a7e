"""Request bodies (RFC 4918 section 14, RFC 6578 section 6.1): structure, namespaces, escaping.

Each body is parsed back with the stdlib parser and checked by Clark name, so the tests do
not depend on the generated prefixes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_dav.dav import requestbodies as rb

D = "{DAV:}"


def parse(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)  # noqa: S314 (our own output)


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def test_propfind_allprop_is_the_default() -> None:
    root = parse(rb.propfind())
    assert root.tag == D + "propfind"
    assert tags(root) == [D + "allprop"]


def test_propfind_allprop_with_include() -> None:
    root = parse(rb.propfind(None, include=["supported-report-set", "{urn:x}extra"]))
    assert tags(root) == [D + "allprop", D + "include"]
    assert tags(root[1]) == [D + "supported-report-set", "{urn:x}extra"]


def test_propfind_propname() -> None:
    assert tags(parse(rb.propfind("propname"))) == [D + "propname"]


def test_propfind_named_props_in_several_namespaces_keep_order() -> None:
    names = ["getetag", "{urn:a}one", "{http://b/}two", "{urn:a}three", "{}plain"]
    root = parse(rb.propfind(names))
    assert tags(root) == [D + "prop"]
    assert tags(root[0]) == [D + "getetag", "{urn:a}one", "{http://b/}two", "{urn:a}three", "plain"]


def test_namespaces_are_declared_once_on_the_root() -> None:
    body = rb.propfind(["{urn:a}one", "{urn:a}two", "{urn:b}three"]).decode()
    assert body.count('xmlns:D="DAV:"') == 1
    assert body.count('="urn:a"') == 1
    assert body.count('="urn:b"') == 1


@pytest.mark.parametrize("bad", ["propnames", "allprop"])
def test_propfind_rejects_unknown_keywords(bad: str) -> None:
    with pytest.raises(ValueError):
        rb.propfind(bad)


def test_include_only_with_allprop() -> None:
    with pytest.raises(ValueError):
        rb.propfind(["getetag"], include=["x"])
    with pytest.raises(ValueError):
        rb.propfind("propname", include=["x"])


@pytest.mark.parametrize("name", ["", "{urn:x", "{urn:x}", "1abc", "a b", "{urn:x}a:b"])
def test_malformed_property_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        rb.propfind([name])


def test_proppatch_set_then_remove_in_order() -> None:
    root = parse(
        rb.proppatch({"{urn:x}a": "1", "displayname": "Name"}, ["{urn:x}gone", "{urn:y}also"])
    )
    assert root.tag == D + "propertyupdate"
    # one set/remove with one prop per property (lighttpd keeps only a prop's first child)
    assert tags(root) == [D + "set", D + "set", D + "remove", D + "remove"]
    assert all(tags(instruction) == [D + "prop"] for instruction in root)
    values = [(c.tag, c.text) for instruction in root[:2] for c in instruction[0]]
    assert values == [("{urn:x}a", "1"), (D + "displayname", "Name")]
    assert [c.tag for instruction in root[2:] for c in instruction[0]] == [
        "{urn:x}gone",
        "{urn:y}also",
    ]


def test_proppatch_interleaved_operations_keep_document_order() -> None:
    ops = [
        ("set", "{urn:x}a", "1"),
        ("remove", "{urn:x}a", None),
        ("set", "{urn:x}a", "2"),
        ("set", "{urn:x}b", "3"),
    ]
    root = parse(rb.proppatch(operations=ops))
    assert tags(root) == [D + "set", D + "remove", D + "set", D + "set"]
    assert [c.text for instruction in root[2:] for c in instruction[0]] == ["2", "3"]


def test_proppatch_needs_something_to_do() -> None:
    with pytest.raises(ValueError):
        rb.proppatch()
    with pytest.raises(ValueError):
        rb.proppatch(operations=[("frob", "x", None)])


def test_proppatch_escapes_markup_in_values() -> None:
    value = "<b>&amp; \"quoted\" 'single' ]]> \r\n\t"
    root = parse(rb.proppatch({"{urn:x}v": value}))
    assert root[0][0][0].text == value


def test_proppatch_empty_and_none_values_give_empty_elements() -> None:
    root = parse(rb.proppatch({"{urn:x}a": "", "{urn:x}b": None}))
    assert [(c.tag, c.text, len(c)) for instruction in root for c in instruction[0]] == [
        ("{urn:x}a", None, 0),
        ("{urn:x}b", None, 0),
    ]


def test_structured_value_from_xmltodict_style_dict() -> None:
    value = {
        "{urn:x}author": [
            {"@lang": "en", "{urn:x}name": "Ada", "{urn:y}mail": "ada@example.org"},
            {"{urn:x}name": "Bob"},
        ],
        "plain": None,
        "#text": "tail text",
    }
    root = parse(rb.proppatch({"{urn:x}people": value}))
    people = root[0][0][0]
    assert people.tag == "{urn:x}people"
    assert tags(people) == ["{urn:x}author", "{urn:x}author", "plain"]
    first = people[0]
    assert first.attrib == {"lang": "en"}
    assert [(c.tag, c.text) for c in first] == [
        ("{urn:x}name", "Ada"),
        ("{urn:y}mail", "ada@example.org"),
    ]
    assert people.text == "tail text"


def test_structured_value_with_element_helper_and_mixed_content() -> None:
    value = [
        "before ",
        rb.E("{urn:x}b", "bold", **{"{urn:z}kind": "strong"}),
        " after",
    ]
    root = parse(rb.proppatch({"{urn:x}rich": value}))
    rich = root[0][0][0]
    assert rich.text == "before "
    assert rich[0].tag == "{urn:x}b"
    assert rich[0].text == "bold"
    assert rich[0].attrib == {"{urn:z}kind": "strong"}
    assert rich[0].tail == " after"


def test_structured_value_round_trips_what_properties_structure_returns() -> None:
    from requests_dav.dav.properties import structure

    node = (
        "{urn:x}p",
        None,
        "",
        (
            ("{urn:x}a", {"k": "v"}, "text", ()),
            ("{urn:x}b", None, "1", ()),
            ("{urn:x}b", None, "2", ()),
        ),
    )
    value = structure(node)
    root = parse(rb.proppatch({"{urn:x}p": value}))
    back = root[0][0][0]
    assert [(c.tag, c.attrib, c.text) for c in back] == [
        ("{urn:x}a", {"k": "v"}, "text"),
        ("{urn:x}b", {}, "1"),
        ("{urn:x}b", {}, "2"),
    ]


@pytest.mark.parametrize("bad", ["\x00", "a\x01b", "\x1f", "\ufffe", "\ud800"])
def test_characters_xml_cannot_carry_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        rb.proppatch({"{urn:x}v": bad})


def test_bytes_values_are_refused() -> None:
    with pytest.raises(TypeError):
        rb.proppatch({"{urn:x}v": b"raw"})  # type: ignore[dict-item]


xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff",
    )
)


@given(xml_text, xml_text)
def test_any_text_and_attribute_round_trip(text: str, attr: str) -> None:
    root = parse(rb.proppatch({"{urn:x}v": [rb.E("{urn:x}c", text, a=attr)]}))
    child = root[0][0][0][0]
    assert (child.text or "") == text
    assert child.attrib["a"] == attr


def test_lockinfo_exclusive_with_text_owner() -> None:
    root = parse(rb.lockinfo("exclusive", "Ada <ada@example.org>"))
    assert root.tag == D + "lockinfo"
    assert tags(root) == [D + "lockscope", D + "locktype", D + "owner"]
    assert tags(root[0]) == [D + "exclusive"]
    assert tags(root[1]) == [D + "write"]
    assert root[2].text == "Ada <ada@example.org>"


def test_lockinfo_shared_with_href_owner_and_no_owner() -> None:
    root = parse(rb.lockinfo("shared", rb.Href("http://example.org/~ada")))
    assert tags(root[0]) == [D + "shared"]
    assert root[2][0].tag == D + "href"
    assert root[2][0].text == "http://example.org/~ada"
    assert tags(parse(rb.lockinfo())) == [D + "lockscope", D + "locktype"]


def test_lockinfo_structured_owner() -> None:
    root = parse(rb.lockinfo(owner={"{urn:x}who": "me"}))
    assert root[2][0].tag == "{urn:x}who"


def test_lockinfo_rejects_unknown_scope() -> None:
    with pytest.raises(ValueError):
        rb.lockinfo("read")


def test_sync_collection_initial() -> None:
    root = parse(rb.sync_collection())
    assert root.tag == D + "sync-collection"
    assert tags(root) == [D + "sync-token", D + "sync-level", D + "prop"]
    assert root[0].text is None and len(root[0]) == 0
    assert root[1].text == "1"
    assert tags(root[2]) == [D + "getetag"]


def test_sync_collection_with_token_limit_level_and_props() -> None:
    token = "http://example.org/sync/12?a=1&b=2"
    root = parse(
        rb.sync_collection(token, ["getetag", "{urn:x}p"], sync_level="infinite", limit=10)
    )
    assert tags(root) == [D + "sync-token", D + "sync-level", D + "limit", D + "prop"]
    assert root[0].text == token
    assert root[1].text == "infinite"
    assert root[2][0].tag == D + "nresults" and root[2][0].text == "10"
    assert tags(root[3]) == [D + "getetag", "{urn:x}p"]


@pytest.mark.parametrize("kwargs", [{"sync_level": 2}, {"limit": 0}])
def test_sync_collection_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        rb.sync_collection(None, **kwargs)  # type: ignore[arg-type]


def test_document_for_custom_reports() -> None:
    body = rb.document(rb.E("{urn:ietf:params:xml:ns:caldav}calendar-query", rb.E("{DAV:}prop")))
    root = parse(body)
    assert root.tag == "{urn:ietf:params:xml:ns:caldav}calendar-query"
    assert tags(root) == [D + "prop"]


def test_clark_and_split() -> None:
    assert rb.clark("getetag") == "{DAV:}getetag"
    assert rb.clark("{urn:x}a") == "{urn:x}a"
    assert rb.clark("{}a") == "a"
    assert rb.split_clark("{urn:x}a") == ("urn:x", "a")


def test_top_level_attributes_of_a_dict_value_go_on_the_property_element() -> None:
    root = parse(rb.proppatch({"{urn:x}p": {"@{urn:z}type": "int", "#text": "5"}}))
    prop = root[0][0][0]
    assert prop.attrib == {"{urn:z}type": "int"}
    assert prop.text == "5"


def test_e_takes_an_attribute_called_name() -> None:
    # CalDAV's <C:comp-filter name="VEVENT"> (RFC 4791 section 9.7.1): the element name is
    # positional-only, so ``name=`` is an attribute, not a second value for the tag.
    element = rb.E("{urn:ietf:params:xml:ns:caldav}comp-filter", name="VEVENT")
    assert element.name == "{urn:ietf:params:xml:ns:caldav}comp-filter"
    assert dict(element.attrs) == {"name": "VEVENT"}
    root = parse(rb.document(element))
    assert root.get("name") == "VEVENT"
