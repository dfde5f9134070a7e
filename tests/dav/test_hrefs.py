"""Hrefs and session paths (RFC 3986 section 5, RFC 4918 section 8.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_dav.dav.hrefs import (
    href_to_path,
    join,
    normalize_path,
    quote_path,
    relative_path,
    resolve_href,
    same_path,
    url_path,
)

RFC3986_BASE = "http://a/b/c/d;p?q"

# RFC 3986 section 5.4.1 (normal) and 5.4.2 (abnormal), strict parser.
RFC3986_EXAMPLES = [
    ("g:h", "g:h"),
    ("g", "http://a/b/c/g"),
    ("./g", "http://a/b/c/g"),
    ("g/", "http://a/b/c/g/"),
    ("/g", "http://a/g"),
    ("//g", "http://g"),
    ("?y", "http://a/b/c/d;p?y"),
    ("g?y", "http://a/b/c/g?y"),
    ("#s", "http://a/b/c/d;p?q#s"),
    ("g#s", "http://a/b/c/g#s"),
    ("g?y#s", "http://a/b/c/g?y#s"),
    (";x", "http://a/b/c/;x"),
    ("g;x", "http://a/b/c/g;x"),
    ("g;x?y#s", "http://a/b/c/g;x?y#s"),
    ("", "http://a/b/c/d;p?q"),
    (".", "http://a/b/c/"),
    ("./", "http://a/b/c/"),
    ("..", "http://a/b/"),
    ("../", "http://a/b/"),
    ("../g", "http://a/b/g"),
    ("../..", "http://a/"),
    ("../../", "http://a/"),
    ("../../g", "http://a/g"),
    ("../../../g", "http://a/g"),
    ("../../../../g", "http://a/g"),
    ("/./g", "http://a/g"),
    ("/../g", "http://a/g"),
    ("g.", "http://a/b/c/g."),
    (".g", "http://a/b/c/.g"),
    ("g..", "http://a/b/c/g.."),
    ("..g", "http://a/b/c/..g"),
    ("./../g", "http://a/b/g"),
    ("./g/.", "http://a/b/c/g/"),
    ("g/./h", "http://a/b/c/g/h"),
    ("g/../h", "http://a/b/c/h"),
    ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
    ("g;x=1/../y", "http://a/b/c/y"),
    ("g?y/./x", "http://a/b/c/g?y/./x"),
    ("g?y/../x", "http://a/b/c/g?y/../x"),
    ("g#s/./x", "http://a/b/c/g#s/./x"),
    ("g#s/../x", "http://a/b/c/g#s/../x"),
    ("http:g", "http:g"),
]


@pytest.mark.parametrize(("href", "expected"), RFC3986_EXAMPLES)
def test_resolve_href_rfc3986_examples(href: str, expected: str) -> None:
    assert resolve_href(href, RFC3986_BASE) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/dav/a%20b.txt", "http://h:8080/dav/a%20b.txt"),
        ("  /dav/x\n", "http://h:8080/dav/x"),
        ("https://other.example/dav/x", "https://other.example/dav/x"),
        ("HTTP://h:8080/dav/x", "http://h:8080/dav/x"),
        ("x%2fy", "http://h:8080/dav/dir/x%2fy"),
        ("2024:report", "http://h:8080/dav/dir/2024:report"),
        # raw characters that may not appear in a URL are encoded, escapes are kept
        ("/dav/a b/café", "http://h:8080/dav/a%20b/caf%C3%A9"),
        ("/dav/100%.txt", "http://h:8080/dav/100%25.txt"),
        ("/dav/%7e", "http://h:8080/dav/%7e"),
    ],
)
def test_resolve_href_server_forms(href: str, expected: str) -> None:
    assert resolve_href(href, "http://h:8080/dav/dir/") == expected


def test_resolve_href_needs_an_absolute_base() -> None:
    with pytest.raises(ValueError, match="absolute"):
        resolve_href("/x", "/dav/")


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/dav/a%20b.txt", "/dav/a b.txt"),
        ("/dav/caf%C3%A9/", "/dav/café/"),
        ("/dav/caf%c3%a9", "/dav/café"),
        ("/dav//x///y/", "/dav/x/y/"),
        ("/dav/x/%2E%2E/y", "/dav/y"),
        ("/dav/x/./y/..", "/dav/x/"),
        ("sub/name.", "/dav/dir/sub/name."),
        ("http://elsewhere/dav/%23%3F%25", "/dav/#?%"),
        ("/dav/latin1-%E9", "/dav/latin1-\udce9"),
    ],
)
def test_href_to_path(href: str, expected: str) -> None:
    assert href_to_path(href, "http://h/dav/dir/") == expected


def test_url_path_matches_href_to_path() -> None:
    url = "http://h/dav/a%20b/../c%C3%A9"
    assert url_path(url) == href_to_path(url, url) == "/dav/cé"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("a", "/a"),
        ("/a/", "/a/"),
        ("//a//b", "/a/b"),
        ("/a/./b/.", "/a/b/"),
        ("/a/../..", "/"),
        ("/../a", "/a"),
        ("/a/b/..", "/a/"),
        ("/a./b..", "/a./b.."),
    ],
)
def test_normalize_path(path: str, expected: str) -> None:
    assert normalize_path(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a b/c", "/a%20b/c"),
        ("100%", "100%25"),
        ("#?", "%23%3F"),
        ("a+b;c", "a%2Bb%3Bc"),
        ("café", "caf%C3%A9"),
        ("~user/x-y_z.", "~user/x-y_z."),
        ("!$&'()*,=@", "!$&'()*,=@"),
        ("2024:report", "2024%3Areport"),
        ("latin1-\udce9", "latin1-%E9"),
    ],
)
def test_quote_path(path: str, expected: str) -> None:
    assert quote_path(path) == expected


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("http://h/dav/", "a b", "http://h/dav/a%20b"),
        ("http://h/dav/", "/a b", "http://h/dav/a%20b"),
        ("http://h/dav", "a", "http://h/dav/a"),
        ("http://h/dav/", "", "http://h/dav/"),
        ("http://h/dav/", "/", "http://h/dav/"),
        ("http://h/dav/", "dir/", "http://h/dav/dir/"),
        ("http://h/dav/", "../../etc/passwd", "http://h/dav/etc/passwd"),
        ("http://h/dav/?q=1#f", "x", "http://h/dav/x"),
        ("https://h:8443/my%20files/", "#1?", "https://h:8443/my%20files/%231%3F"),
        ("http://h/", "trailing.dots..", "http://h/trailing.dots.."),
    ],
)
def test_join(base: str, path: str, expected: str) -> None:
    assert join(base, path) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/dav/", ""),
        ("http://h/dav", ""),
        ("http://h/dav/a%20b", "a b"),
        ("/dav/dir/", "dir/"),
        ("https://proxy.internal/dav/x", "x"),
    ],
)
def test_relative_path(url: str, expected: str) -> None:
    assert relative_path(url, "http://h/dav/") == expected


def test_relative_path_outside_the_base() -> None:
    with pytest.raises(ValueError, match="not below"):
        relative_path("http://h/other/x", "http://h/dav/")
    with pytest.raises(ValueError, match="not below"):
        relative_path("http://h/davx", "http://h/dav/")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("/dav/dir", "/dav/dir/", True),
        ("/dav//dir/./", "/dav/dir", True),
        ("/", "", True),
        ("/dav/a", "/dav/A", False),
        ("/dav/a", "/dav/a/b/..", True),
    ],
)
def test_same_path(a: str, b: str, same: bool) -> None:
    assert same_path(a, b) is same


# ---------------------------------------------------------------------------
# Properties

segment = st.text(min_size=1).filter(lambda s: "/" not in s and s not in (".", ".."))
names = st.builds(
    lambda segments, slash: "/".join(segments) + ("/" if slash else ""),
    st.lists(segment, min_size=1, max_size=4),
    st.booleans(),
)
bases = st.sampled_from(
    ["http://h/dav/", "http://h/dav", "https://h:8443/my%20files/", "http://h/", "http://h"]
)
SPECIAL_NAMES = [
    "a b",
    "100%",
    "#hash",
    "what?",
    "a+b",
    "semi;colon",
    "café ☕",
    "trailing.dots..",
    "trailing space ",
    "...",
    "%41",
    "dir/sub dir/",
]


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_special_names_round_trip(name: str) -> None:
    base = "http://h/dav/"
    url = join(base, name)
    assert relative_path(url, base) == name
    # and the same name read back from an href a server wrote
    assert relative_path(url[len("http://h") :], base) == name


@given(name=names, base=bases)
def test_join_relative_path_round_trip(name: str, base: str) -> None:
    assert relative_path(join(base, name), base) == name


@given(name=names, base=bases)
def test_leading_slash_is_relative_to_the_base(name: str, base: str) -> None:
    assert join(base, "/" + name) == join(base, name)


@given(path=st.text())
def test_quote_path_decodes_back(path: str) -> None:
    quoted = quote_path(path)
    assert quoted.isascii()
    assert href_to_path(quoted, "http://h/") == normalize_path(path)


@given(href=st.text(), base=bases)
def test_resolve_href_is_total_and_idempotent(href: str, base: str) -> None:
    url = resolve_href(href, base)
    assert resolve_href(url, base) == url
    assert href_to_path(url, base) == href_to_path(href, base)


@given(a=st.text(), b=st.text())
def test_same_path_is_symmetric(a: str, b: str) -> None:
    assert same_path(a, b) == same_path(b, a)
    assert same_path(a, a + "/")
