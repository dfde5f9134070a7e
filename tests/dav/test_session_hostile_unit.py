"""DAVSession against scripted hostile answers (issue 11, points 3, 5 and 6), unit level.

The loopback-server versions (a second listener that must receive nothing, a real
decompression bomb) are in tests/integration/test_dav_hostile.py.
"""

from __future__ import annotations

import warnings
from typing import Iterator

import pytest
import requests
import responses

from requests_dav.dav import CrossOriginHrefError, CrossOriginHrefWarning, ResponseTooLargeError
from requests_dav.dav.session import DAVSession

BASE = "http://dav.example:8080/root/"
XML = {"Content-Type": 'application/xml; charset="utf-8"'}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _listing(*hrefs: str) -> str:
    return (
        '<D:multistatus xmlns:D="DAV:">'
        + "".join(
            f"<D:response><D:href>{href}</D:href><D:propstat><D:prop><D:resourcetype>"
            f"{'<D:collection/>' if href.endswith('/') else ''}</D:resourcetype></D:prop>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
            for href in hrefs
        )
        + "</D:multistatus>"
    )


@pytest.mark.parametrize(
    "other",
    [
        "http://evil.example/x/",  # another host
        "https://dav.example:8080/root/x/",  # another scheme
        "http://dav.example:8081/root/x/",  # another port
        "//evil.example/x/",  # a network-path reference
    ],
)
def test_walk_does_not_descend_into_another_origin(
    mock: responses.RequestsMock, other: str
) -> None:
    mock.add("PROPFIND", BASE, body=_listing("/root/", "/root/sub/", other), status=207)
    mock.add("PROPFIND", BASE + "sub/", body=_listing("/root/sub/"), status=207)
    with DAVSession(BASE) as dav, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        listed = [item.href for item in dav.walk("")]
    assert listed == ["/root/sub/", other]
    assert [call.request.url for call in mock.calls] == [BASE, BASE + "sub/"]
    (warning,) = [w for w in caught if issubclass(w.category, CrossOriginHrefWarning)]
    assert "not descended into" in str(warning.message)


def test_a_response_on_another_origin_is_a_request_exception(
    mock: responses.RequestsMock,
) -> None:
    mock.add("PROPFIND", BASE, body=_listing("/root/", "http://evil.example/f.txt"), status=207)
    with DAVSession(BASE, auth=("alice", "s3cret")) as dav:
        (item,) = dav.ls("")
        for call in (dav.info, dav.exists, dav.delete, lambda i: dav.copy("a", i)):
            with pytest.raises(CrossOriginHrefError) as info:
                call(item)
            assert isinstance(info.value, requests.RequestException)
            assert isinstance(info.value, ValueError)
            assert info.value.url == "http://evil.example/f.txt"
            assert "http://evil.example:80" in str(info.value) and "s3cret" not in str(info.value)
    assert len(mock.calls) == 1


def test_a_redirect_within_the_origin_is_followed(mock: responses.RequestsMock) -> None:
    mock.add("OPTIONS", BASE + "a", status=301, headers={"Location": "/root/b"})
    mock.add("OPTIONS", BASE + "b", status=200, headers={"DAV": "1, 2"})
    with DAVSession(BASE) as dav:
        assert "2" in dav.options("a").classes


def test_too_many_redirects_within_the_origin(mock: responses.RequestsMock) -> None:
    mock.add("OPTIONS", BASE + "a", status=302, headers={"Location": "/root/a"})
    with DAVSession(BASE) as dav:
        dav.max_redirects = 3
        with pytest.raises(requests.TooManyRedirects):
            dav.options("a")
    assert len(mock.calls) == 4


def test_the_limit_counts_decoded_bytes_per_session_and_per_call(
    mock: responses.RequestsMock,
) -> None:
    body = _listing("/root/", *(f"/root/f{i}" for i in range(200)))
    mock.add("PROPFIND", BASE, body=body, status=207)
    with DAVSession(BASE, max_response_bytes=len(body) - 1) as dav:
        with pytest.raises(ResponseTooLargeError) as info:
            dav.propfind("", depth=1)
        assert info.value.limit == len(body) - 1 and info.value.status == 207
        assert len(dav.propfind("", depth=1, max_response_bytes=len(body))) == 201
    with DAVSession(BASE, max_response_bytes=None) as dav:
        assert len(dav.propfind("", depth=1)) == 201


@pytest.mark.timeout(20, method="thread")  # the hot loop is C: no signal gets in
def test_a_lock_answer_with_200k_attributes_is_read_linearly(
    mock: responses.RequestsMock,
) -> None:
    attributes = " ".join(f'a{i}="v"' for i in range(200_000))
    body = (
        f'<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock {attributes}>'
        "<D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>"
        "<D:depth>0</D:depth><D:timeout>Second-60</D:timeout>"
        "<D:locktoken><D:href>urn:uuid:1</D:href></D:locktoken>"
        "</D:activelock></D:lockdiscovery></D:prop>"
    )
    mock.add("LOCK", BASE + "f", body=body, status=200, headers=XML)
    with DAVSession(BASE) as dav:
        lock = dav.lock("f")
    assert lock.token == "urn:uuid:1" and lock.timeout == 60
