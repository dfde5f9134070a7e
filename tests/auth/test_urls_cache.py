"""The remembered URL normalisation of :mod:`requests_dav.auth.urls` gives what the plain
functions give (issue 16: a request into a known space asks about one URL several times)."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_dav.auth import urls
from requests_dav.auth.urls import (
    UnsupportedSchemeError,
    canonical_prefix,
    join_url,
    split_url,
)

_segment = st.one_of(
    st.text(alphabet=st.sampled_from(list("aZ09-._~%2Fé /;=@:")), max_size=6),
    st.sampled_from(["..", "."]),
)
_path = st.lists(_segment, max_size=4).map(lambda parts: "/" + "/".join(parts))
_host = st.sampled_from(["Example.COM", "h", "[::1]", "straße.de", "127.0.0.1", "xn--bcher-kva.ch"])
_url = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
    st.sampled_from(["http", "HTTPS", "https"]),
    _host,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    _path,
    st.sampled_from(["", "?a=1", "#frag"]),
)


def test_split_url_remembers_its_answer() -> None:
    url = "http://cache.example/remembered/path"
    assert split_url(url) is split_url(url)


@given(_url)
def test_split_url_is_the_uncached_split(url: str) -> None:
    try:
        expected = urls._split(url, strict=False)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            split_url(url)
        return
    assert split_url(url) == expected
    assert split_url(url) == expected  # the remembered answer too


@given(_url)
def test_strict_split_is_never_remembered(url: str) -> None:
    try:
        expected = urls._split(url, strict=True)
    except ValueError:
        with pytest.raises(ValueError):
            split_url(url, strict=True)
        return
    assert split_url(url, strict=True) == expected


def test_a_refused_url_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(UnsupportedSchemeError):
            split_url("ftp://h/x")
        with pytest.raises(ValueError):
            split_url("/relative")
        with pytest.raises(TypeError):
            split_url(b"http://h/")  # type: ignore[arg-type]


@given(_path)
def test_canonical_prefix_is_the_uncached_one(path: str) -> None:
    expected = canonical_prefix.__wrapped__(path)
    assert canonical_prefix(path) == expected
    assert canonical_prefix(path) == expected


@given(_url, st.sampled_from(["/", "sub/", "../up", "//other.example/x", "http://h:1/p", ""]))
def test_join_url_is_urljoin(base: str, reference: str) -> None:
    assert join_url(base, reference) == urljoin(base, reference)
    assert join_url(base, reference) == urljoin(base, reference)


def _outcome(split: object, *args: str) -> object:
    try:
        return split(*args)  # type: ignore[operator]
    except ValueError as exc:
        return type(exc)


_reference = st.one_of(
    _url,
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["http://", "https://", "http:", "HTTP://", "http:///", "ftp://"]),
        st.text(alphabet=st.sampled_from(list("h:8/?#@.\t\n[]a ;%\x0b\u3000")), max_size=10),
    ),
    st.sampled_from(["/", "sub/", "../up", "//other.example/x", "", "?q", "#f", " http://h/x"]),
)


@given(
    st.sampled_from(["http://base.example:8080/a/b?q", "https://[::1]/x/", "HTTP://h/a/"]),
    _reference,
)
def test_split_reference_is_the_split_of_the_join(base: str, reference: str) -> None:
    """The shortcut for an absolute reference gives what joining then splitting gives, the
    same answer or the same refusal, whatever the reference looks like."""
    assert _outcome(urls.split_reference, base, reference) == _outcome(
        lambda b, r: split_url(urljoin(b, r)), base, reference
    )
