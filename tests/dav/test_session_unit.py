"""DAVSession against scripted responses: what the real servers of the test bed never send.

207 on DELETE and COPY, 423 with lock-token-submitted, 412 with the current ETag,
sync-collection (RFC 6578: no bed server implements it) with 404 members, 507 truncation and
an invalid token, the propfind-finite-depth walk, absolute hrefs on another origin, a
malformed 207, and the headers each method puts on the wire.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any, Iterator

import pytest
import requests
import responses

from requests_dav.dav import errors
from requests_dav.dav.capabilities import Capabilities, split_list
from requests_dav.dav.locks import Lock
from requests_dav.dav.multistatus import parse_multistatus
from requests_dav.dav.session import DAVSession

BASE = "http://dav.example:8080/root/"
XML = {"Content-Type": 'application/xml; charset="utf-8"'}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def dav() -> DAVSession:
    return DAVSession(BASE)


def ms(*responses_xml: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">'
        + "".join(responses_xml)
        + extra
        + "</D:multistatus>"
    )


def resp(href: str, status: str | None = None, props: str = "", error: str = "") -> str:
    if status is not None:
        return (
            f"<D:response><D:href>{href}</D:href>"
            f"<D:status>HTTP/1.1 {status}</D:status>{error}</D:response>"
        )
    return (
        f"<D:response><D:href>{href}</D:href><D:propstat><D:prop>{props}</D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )


COLLECTION = "<D:resourcetype><D:collection/></D:resourcetype>"
FILE = "<D:resourcetype/>"


def body_of(call: Any) -> ET.Element:
    body = call.request.body
    if hasattr(body, "read"):
        body = body.read()
    return ET.fromstring(body)  # noqa: S314 (our own request body)


# -- URLs and construction -------------------------------------------------------------------


def test_paths_are_quoted_under_the_base(dav: DAVSession) -> None:
    assert dav.url("a b/c#1?.txt") == BASE + "a%20b/c%231%3F.txt"
    assert dav.url("/x") == BASE + "x"
    assert dav.url("../../etc/passwd") == BASE + "etc/passwd"
    assert dav.url("") == BASE
    assert dav.url("https://elsewhere/x") == "https://elsewhere/x"  # explicit: used as is
    assert dav.path(BASE + "d%C3%BC/") == "dü/"


def test_base_url_gets_a_trailing_slash() -> None:
    assert DAVSession("http://h/dav").base_url == "http://h/dav/"
    with pytest.raises(ValueError):
        DAVSession("ftp://h/")


def test_a_response_from_another_origin_is_refused(dav: DAVSession) -> None:
    listing = parse_multistatus(ms(resp("http://evil.example/x", props=FILE)).encode(), BASE)
    with pytest.raises(ValueError, match="origin"):
        dav.url(listing[0])
    same = parse_multistatus(ms(resp("/root/a%20b", props=FILE)).encode(), BASE)
    assert dav.url(same[0]) == BASE + "a%20b"


def test_auth_tuple_is_scoped_to_the_base_origin() -> None:
    dav = DAVSession("https://dav.example/team/", auth=("ada", "pw"))
    assert dav.credentials.find("https://dav.example/other/path") is not None
    assert dav.credentials.find("https://evil.example/team/") is None
    assert dav.credentials.find("http://dav.example/team/") is None
    assert dav.auth is None


def test_any_requests_auth_is_used_as_session_auth() -> None:
    auth = requests.auth.HTTPBasicAuth("a", "b")
    assert DAVSession(BASE, auth=auth).auth is auth


def test_plain_requests_calls_resolve_relative_paths(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("GET", BASE + "a%20b.txt", body=b"hi")
    assert dav.get("a b.txt").content == b"hi"


# -- OPTIONS --------------------------------------------------------------------------------


def test_options_reads_classes_methods_and_extensions(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add(
        "OPTIONS",
        BASE,
        headers=[
            ("DAV", "1, 2"),
            ("DAV", "<http://apache.org/dav/propset/fs/1>, access-control"),
            ("Allow", "OPTIONS, GET, propfind,PUT"),
            ("MS-Author-Via", "DAV"),
            ("DASL", "<DAV:basicsearch>"),
            ("Accept-Ranges", "bytes"),
            ("X-Dav-Vendor", "yes"),
        ],
    )
    caps = dav.options()
    assert isinstance(caps, Capabilities)
    assert caps.dav == ("1", "2", "<http://apache.org/dav/propset/fs/1>", "access-control")
    assert caps.classes == ("1", "2")
    assert caps.is_dav and caps.supports_locking
    assert caps.has("ACCESS-CONTROL") and not caps.has("3")
    assert caps.allow == ("OPTIONS", "GET", "PROPFIND", "PUT")
    assert caps.allows("propfind") and not caps.allows("LOCK")
    assert caps.ms_author_via == "DAV" and caps.accept_ranges == "bytes"
    assert caps.extensions["dasl"] == "<DAV:basicsearch>"
    assert caps.extensions["x-dav-vendor"] == "yes"


def test_split_list_keeps_coded_urls_whole() -> None:
    assert split_list("1,<http://a/b,c>, 2 ,,") == ["1", "<http://a/b,c>", "2"]


# -- PROPFIND ------------------------------------------------------------------------------


def test_propfind_sends_depth_and_body(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("PROPFIND", BASE + "d/", body=ms(resp("/root/d/", props=COLLECTION)), status=207)
    result = dav.propfind("d/", ["getetag", "{urn:x}p"], depth=1)
    call = mock.calls[0]
    assert call.request.headers["Depth"] == "1"
    assert call.request.headers["Content-Type"].startswith("application/xml")
    root = body_of(call)
    assert [c.tag for c in root[0]] == ["{DAV:}getetag", "{urn:x}p"]
    assert result[0].is_collection


@pytest.mark.parametrize("depth", [2, "one", -1])
def test_bad_depth_is_refused(dav: DAVSession, depth: Any) -> None:
    with pytest.raises(ValueError):
        dav.propfind("", depth=depth)


def test_a_non_207_success_is_an_error(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("PROPFIND", BASE, body="<html/>", status=200)
    with pytest.raises(errors.DAVError, match="expected 207"):
        dav.propfind("")


def test_a_malformed_207_raises_a_requests_error(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("PROPFIND", BASE, body=ms(resp("/root/", props=FILE))[:-10], status=207)
    with pytest.raises(errors.MalformedResponseError) as info:
        dav.propfind("")
    assert isinstance(info.value, requests.RequestException)


def test_a_doctype_is_refused(mock: responses.RequestsMock, dav: DAVSession) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaa">]>'
        '<D:multistatus xmlns:D="DAV:">&a;</D:multistatus>'
    )
    mock.add("PROPFIND", BASE, body=bomb, status=207)
    with pytest.raises(errors.MalformedResponseError):
        dav.propfind("")


def test_iter_propfind_streams_and_closes_on_early_stop(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    items = [resp(f"/root/f{i}", props=FILE) for i in range(50)]
    mock.add(
        "PROPFIND",
        BASE,
        body=ms(resp("/root/", props=COLLECTION), *items, extra="<D:sync-token>t1</D:sync-token>"),
        status=207,
    )
    stream = dav.iter_propfind("")
    first = [next(stream) for _ in range(3)]
    assert [r.href for r in first] == ["/root/", "/root/f0", "/root/f1"]
    stream.close()
    assert stream.response.raw.closed
    assert list(stream) == []

    with dav.iter_propfind("") as again:
        paths = [r.path for r in again]
    assert len(paths) == 51
    assert again.sync_token == "t1"


def test_iter_propfind_raises_at_once_on_error(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("PROPFIND", BASE + "missing", status=404)
    with pytest.raises(errors.NotFoundError):
        dav.iter_propfind("missing")


# -- recursive listing: propfind-finite-depth ------------------------------------------------


FINITE_DEPTH = '<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>'


def test_ls_recursive_walks_when_depth_infinity_is_refused(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        depth = request.headers["Depth"]
        if depth == "infinity":
            return 403, XML, FINITE_DEPTH
        path = request.path_url
        tree = {
            "/root/": [("/root/", True), ("/root/a/", True), ("/root/f", False)],
            "/root/a/": [("/root/a/", True), ("/root/a/b/", True), ("/root/a/g", False)],
            "/root/a/b/": [("/root/a/b/", True)],
        }
        entries = tree[path]
        return 207, XML, ms(*(resp(h, props=COLLECTION if c else FILE) for h, c in entries))

    mock.add_callback("PROPFIND", BASE, callback=handler)
    mock.add_callback("PROPFIND", BASE + "a/", callback=handler)
    mock.add_callback("PROPFIND", BASE + "a/b/", callback=handler)
    found = dav.ls("", recursive=True)
    assert sorted(r.path for r in found) == ["/root/a/", "/root/a/b/", "/root/a/g", "/root/f"]
    depths = [c.request.headers["Depth"] for c in mock.calls]
    assert depths == ["infinity", "1", "1", "1"]


def test_ls_recursive_uses_depth_infinity_when_allowed(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add(
        "PROPFIND",
        BASE,
        body=ms(
            resp("/root/", props=COLLECTION),
            resp("/root/a/", props=COLLECTION),
            resp("/root/a/x", props=FILE),
        ),
        status=207,
    )
    assert [r.path for r in dav.ls("", recursive=True)] == ["/root/a/", "/root/a/x"]
    assert len(mock.calls) == 1


def test_other_errors_of_a_recursive_listing_are_raised(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("PROPFIND", BASE, status=404)
    with pytest.raises(errors.NotFoundError):
        dav.ls("", recursive=True)


# -- PROPPATCH -----------------------------------------------------------------------------


def test_proppatch_failure_carries_every_property_status(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    body = (
        '<D:multistatus xmlns:D="DAV:" xmlns:X="urn:x"><D:response><D:href>/root/f</D:href>'
        "<D:propstat><D:prop><X:a/><X:b/></D:prop><D:status>HTTP/1.1 424 Failed Dependency"
        "</D:status></D:propstat>"
        "<D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status>"
        "<D:error><D:cannot-modify-protected-property/></D:error></D:propstat>"
        "<D:propstat><D:prop><X:big/></D:prop><D:status>HTTP/1.1 507 Insufficient Storage"
        "</D:status></D:propstat>"
        "</D:response></D:multistatus>"
    )
    mock.add("PROPPATCH", BASE + "f", body=body, status=207)
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f", {"{urn:x}a": "1", "getetag": "x", "{urn:x}big": "y"}, ["{urn:x}b"])
    error = info.value
    assert error.statuses == {
        "{urn:x}a": 424,
        "{urn:x}b": 424,
        "{DAV:}getetag": 403,
        "{urn:x}big": 507,
    }
    assert error.failed == {"{DAV:}getetag": 403, "{urn:x}big": 507}
    assert error.has_condition("{DAV:}cannot-modify-protected-property")
    assert error.multistatus is not None


def test_proppatch_success(mock: responses.RequestsMock, dav: DAVSession) -> None:
    body = (
        '<D:multistatus xmlns:D="DAV:" xmlns:X="urn:x"><D:response><D:href>/root/f</D:href>'
        "<D:propstat><D:prop><X:a/><X:gone/></D:prop><D:status>HTTP/1.1 200 OK</D:status>"
        "</D:propstat></D:response></D:multistatus>"
    )
    mock.add("PROPPATCH", BASE + "f", body=body, status=207)
    result = dav.proppatch("f", {"{urn:x}a": "1"}, ["{urn:x}gone"])
    assert dict(result.statuses) == {"{urn:x}a": 200, "{urn:x}gone": 200}
    assert result["{urn:x}a"] == 200
    root = body_of(mock.calls[0])
    assert [c.tag for c in root] == ["{DAV:}set", "{DAV:}remove"]


@pytest.mark.parametrize(
    ("props", "unanswered"),
    [("", ("{urn:x}a", "{urn:x}b")), ("<X:a/>", ("{urn:x}b",))],
    ids=["empty-propstat", "one-missing"],
)
def test_proppatch_without_a_status_for_a_sent_property_is_an_error(
    mock: responses.RequestsMock, dav: DAVSession, props: str, unanswered: tuple[str, ...]
) -> None:
    # RFC 4918 section 9.2.1: one status per property; a 207 that leaves one out is no
    # success (the real-server case, SabreDAV's namespace rewrite, is in the integration tests)
    body = (
        '<D:multistatus xmlns:D="DAV:" xmlns:X="urn:x"><D:response><D:href>/root/f</D:href>'
        f"<D:propstat><D:prop>{props}</D:prop><D:status>HTTP/1.1 200 OK</D:status>"
        "</D:propstat></D:response></D:multistatus>"
    )
    mock.add("PROPPATCH", BASE + "f", body=body, status=207)
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f", {"{urn:x}a": "1", "{urn:x}b": "2"})
    assert info.value.unanswered == unanswered
    assert "no status for " + ", ".join(unanswered) in str(info.value)


def test_proppatch_response_level_status(mock: responses.RequestsMock, dav: DAVSession) -> None:
    ok = ms(resp("/root/f", "200 OK"))
    mock.add("PROPPATCH", BASE + "f", body=ok, status=207)
    assert dict(dav.proppatch("f", {"{urn:x}a": "1"}).statuses) == {"{urn:x}a": 200}
    mock.replace("PROPPATCH", BASE + "f", body=ms(resp("/root/f", "403 Forbidden")), status=207)
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f", {"{urn:x}a": "1"})
    assert info.value.statuses == {BASE + "f": 403} and info.value.unanswered == ()


def test_proppatch_result_key_error_names_what_it_has() -> None:
    from requests_dav.dav.results import PropPatchResult

    result = PropPatchResult({"{urn:x}a": 200})
    with pytest.raises(KeyError, match=r"no PROPPATCH status for \{urn:x\}b"):
        result["{urn:x}b"]


# -- DELETE, COPY, MOVE --------------------------------------------------------------------


def test_delete_207_raises_with_each_href_status(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    body = ms(
        resp(
            "/root/d/locked.txt",
            "423 Locked",
            error="<D:error><D:lock-token-submitted><D:href>/root/d/locked.txt</D:href>"
            "</D:lock-token-submitted></D:error>",
        ),
        resp("http://dav.example:8080/root/d/sub/", "403 Forbidden"),
    )
    mock.add("DELETE", BASE + "d/", body=body, status=207)
    with pytest.raises(errors.MultiStatusError) as info:
        dav.delete("d/")
    assert info.value.failures == {
        BASE + "d/locked.txt": 423,
        BASE + "d/sub/": 403,
    }
    assert info.value.has_condition("{DAV:}lock-token-submitted")


def test_copy_sends_encoded_absolute_destination_overwrite_and_depth(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("COPY", BASE + "a%20b/", status=201)
    result = dav.copy("a b/", "c#d ü/", depth=0, overwrite=False)
    headers = mock.calls[0].request.headers
    assert headers["Destination"] == BASE + "c%23d%20%C3%BC/"
    assert headers["Overwrite"] == "F"
    assert headers["Depth"] == "0"
    assert result.created and result.status == 201
    with pytest.raises(ValueError):
        dav.copy("a", "b", depth=1)


@pytest.mark.parametrize(("status", "created"), [(201, True), (204, False)])
def test_move_tells_created_from_replaced(
    mock: responses.RequestsMock, dav: DAVSession, status: int, created: bool
) -> None:
    mock.add("MOVE", BASE + "a", status=status)
    result = dav.move("a", "b")
    assert result.created is created and result.replaced is not created
    assert result.url == BASE + "b"
    assert mock.calls[0].request.headers["Overwrite"] == "T"
    assert mock.calls[0].request.headers["Depth"] == "infinity"


def test_copy_207_and_412(mock: responses.RequestsMock, dav: DAVSession) -> None:
    failed = ms(resp("/root/e/x", "507 Insufficient Storage"))
    mock.add("COPY", BASE + "d/", body=failed, status=207)
    with pytest.raises(errors.MultiStatusError) as info:
        dav.copy("d/", "e/")
    assert info.value.failures == {BASE + "e/x": 507}
    mock.add("MOVE", BASE + "d/", status=412)
    with pytest.raises(errors.PreconditionFailedError):
        dav.move("d/", "e/", overwrite=False)


# -- locks ---------------------------------------------------------------------------------


def lock_body(token: str, root: str, depth: str = "infinity", timeout: str = "Second-600") -> str:
    return (
        '<?xml version="1.0"?><D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>'
        "<D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>"
        f"<D:depth>{depth}</D:depth><D:owner><D:href>http://me/</D:href></D:owner>"
        f"<D:timeout>{timeout}</D:timeout><D:locktoken><D:href>{token}</D:href></D:locktoken>"
        f"<D:lockroot><D:href>{root}</D:href></D:lockroot></D:activelock></D:lockdiscovery></D:prop>"
    )


def test_lock_reads_token_and_lockdiscovery_then_adds_if_headers(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    token = "opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    mock.add(
        "LOCK",
        BASE + "col/",
        body=lock_body(token, "/root/col/"),
        status=200,
        headers={"Lock-Token": f"<{token}>", **XML},
    )
    lock = dav.lock("col/", timeout=600, owner="me")
    request = mock.calls[0].request
    assert request.headers["Timeout"] == "Second-600"
    assert request.headers["Depth"] == "infinity"
    assert body_of(mock.calls[0]).find("{DAV:}owner").text == "me"  # type: ignore[union-attr]
    assert lock.token == token and lock.timeout == 600 and lock.depth == "infinity"
    assert lock.root == BASE + "col/"
    assert token in dav.lock_store

    for method in ("PUT", "DELETE", "PROPPATCH", "MKCOL"):
        mock.add(method, BASE + "col/x%20y", status=201 if method in ("PUT", "MKCOL") else 204)
    mock.add("PUT", BASE + "elsewhere", status=201)
    mock.add("GET", BASE + "col/x%20y", body=b"")
    mock.add("COPY", BASE + "elsewhere", status=201)
    mock.add("MOVE", BASE + "col/x%20y", status=201)
    dav.upload(b"1", "col/x y")
    dav.delete("col/x y")
    dav.mkcol("col/x y")
    dav.upload(b"2", "elsewhere")
    dav.get("col/x y")
    dav.copy("elsewhere", "col/x y")
    dav.move("col/x y", "elsewhere")
    expected = f"<{BASE}col/> (<{token}>)"
    sent = [(c.request.method, c.request.headers.get("If")) for c in mock.calls[1:]]
    assert sent == [
        ("PUT", expected),
        ("DELETE", expected),
        ("MKCOL", expected),
        ("PUT", None),
        ("GET", None),
        ("COPY", expected),  # for the Destination
        ("MOVE", expected),  # for the source
    ]


def test_unlock_sends_lock_token_not_if_and_forgets(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add(
        "LOCK",
        BASE + "f",
        body=lock_body("urn:1", "/root/f", "0"),
        status=201,
        headers={"Lock-Token": "<urn:1>", **XML},
    )
    mock.add("UNLOCK", BASE + "f", status=204)
    with dav.lock("f", depth=0) as lock:
        assert lock.depth == "0"
        assert len(dav.lock_store) == 1
    unlock = mock.calls[1].request
    assert unlock.method == "UNLOCK"
    assert unlock.headers["Lock-Token"] == "<urn:1>"
    assert "If" not in unlock.headers
    assert len(dav.lock_store) == 0


def test_refresh_uses_if_and_keeps_the_new_timeout(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add(
        "LOCK",
        BASE + "f",
        body=lock_body("urn:1", "/root/f"),
        status=200,
        headers={"Lock-Token": "<urn:1>", **XML},
    )
    lock = dav.lock("f")
    mock.replace(
        "LOCK",
        BASE + "f",
        body=lock_body("urn:1", "/root/f", timeout="Second-30"),
        status=200,
        headers=XML,
    )
    refreshed = dav.refresh(lock, timeout=30)
    request = mock.calls[1].request
    assert request.headers["If"] == f"<{BASE}f> (<urn:1>)"
    assert request.body is None
    assert refreshed.timeout == 30
    assert dav.lock_store.find("urn:1") == refreshed


def test_lock_token_from_the_body_when_the_header_is_missing(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("LOCK", BASE + "f", body=lock_body("1234", "/root/f"), status=200, headers=XML)
    assert dav.lock("f").token == "1234"


def test_lock_without_any_token_is_an_error(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("LOCK", BASE + "f", body="", status=200)
    with pytest.raises(errors.DAVError, match="no lock token"):
        dav.lock("f")


def test_423_with_lock_token_submitted(mock: responses.RequestsMock, dav: DAVSession) -> None:
    body = (
        '<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:lock-token-submitted>'
        "<D:href>/root/col/</D:href></D:lock-token-submitted></D:error>"
    )
    mock.add("PUT", BASE + "col/f", body=body, status=423, headers=XML)
    with pytest.raises(errors.LockedError) as info:
        dav.upload(b"x", "col/f")
    assert info.value.lock_token_submitted == ["/root/col/"]


def test_unlock_of_a_lock_the_server_forgot_forgets_it_too(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    dav.lock_store.add(Lock("urn:gone", BASE + "f"))
    mock.add("UNLOCK", BASE + "f", status=409)
    with pytest.raises(errors.ConflictError):
        dav.unlock("urn:gone")
    assert len(dav.lock_store) == 0


def test_locks_lists_lockdiscovery(mock: responses.RequestsMock, dav: DAVSession) -> None:
    body = (
        '<D:multistatus xmlns:D="DAV:"><D:response><D:href>/root/f</D:href><D:propstat>'
        + lock_body("urn:9", "/root/f")[len('<?xml version="1.0"?>') :].replace(
            ' xmlns:D="DAV:"', ""
        )
        + "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
    )
    mock.add("PROPFIND", BASE + "f", body=body, status=207)
    found = dav.locks("f")
    assert [(x.locktoken, x.lockroot, x.timeout) for x in found] == [("urn:9", "/root/f", 600)]


# -- uploads and downloads -----------------------------------------------------------------


def test_upload_create_only_and_412_with_etag(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("PUT", BASE + "f", status=412, headers={"ETag": '"current"'})
    with pytest.raises(errors.PreconditionFailedError) as info:
        dav.upload(b"x", "f", if_none_match="*")
    assert info.value.etag == '"current"'
    assert mock.calls[0].request.headers["If-None-Match"] == "*"
    with pytest.raises(errors.PreconditionFailedError):
        dav.upload(b"x", "f", if_match='"old"')
    assert mock.calls[1].request.headers["If-Match"] == '"old"'


def test_upload_from_file_with_progress_and_length(
    mock: responses.RequestsMock, dav: DAVSession, tmp_path: Any
) -> None:
    mock.add("PUT", BASE + "big", status=201, headers={"ETag": '"e1"'})
    source = tmp_path / "big"
    source.write_bytes(b"z" * 200_000)
    seen: list[tuple[int, int | None]] = []
    result = dav.upload(source, "big", progress=lambda done, total: seen.append((done, total)))
    request = mock.calls[0].request
    assert request.headers["Content-Length"] == "200000"
    assert result.etag == '"e1"' and result.created
    assert seen[-1] == (200_000, 200_000)


def test_upload_of_a_generator_goes_chunked(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("PUT", BASE + "gen", status=204)
    seen: list[tuple[int, int | None]] = []
    result = dav.upload(iter([b"ab", b"cd"]), "gen", progress=lambda d, t: seen.append((d, t)))
    assert not result.created
    assert mock.calls[0].request.headers.get("Transfer-Encoding") == "chunked"


def test_download_streams_into_a_file_with_progress(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("GET", BASE + "f", body=b"x" * 150_000, headers={"Content-Length": "150000"})
    out = io.BytesIO()
    seen: list[tuple[int, int | None]] = []
    assert dav.download("f", out, progress=lambda d, t: seen.append((d, t))) == 150_000
    assert out.getvalue() == b"x" * 150_000
    assert seen[0] == (0, 150_000) and seen[-1] == (150_000, 150_000)


def test_download_errors_raise(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("GET", BASE + "f", status=404)
    with pytest.raises(errors.NotFoundError):
        dav.download("f", io.BytesIO())


# -- convenience ---------------------------------------------------------------------------


def test_exists_and_info(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("PROPFIND", BASE + "yes", body=ms(resp("/root/yes", props=FILE)), status=207)
    mock.add("PROPFIND", BASE + "no", status=404)
    assert dav.exists("yes") and not dav.exists("no")
    assert dav.info("yes").path == "/root/yes"


def test_makedirs_creates_missing_levels(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("MKCOL", BASE + "a/", status=405)
    mock.add("PROPFIND", BASE + "a/", body=ms(resp("/root/a/", props=COLLECTION)), status=207)
    mock.add("MKCOL", BASE + "a/b/", status=201)
    mock.add("MKCOL", BASE + "a/b/c/", status=201)
    dav.makedirs("a/b/c")
    assert [c.request.method for c in mock.calls] == ["MKCOL", "PROPFIND", "MKCOL", "MKCOL"]


def test_makedirs_refuses_a_file_in_the_way(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("MKCOL", BASE + "a/", status=405)
    mock.add("PROPFIND", BASE + "a/", body=ms(resp("/root/a", props=FILE)), status=207)
    with pytest.raises(errors.ConflictError):
        dav.makedirs("a/b")


def test_rmtree_missing_ok(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add("DELETE", BASE + "gone/", status=404)
    dav.rmtree("gone/", missing_ok=True)
    with pytest.raises(errors.NotFoundError):
        dav.rmtree("gone/")


def test_html_error_pages_are_not_parsed(mock: responses.RequestsMock, dav: DAVSession) -> None:
    mock.add(
        "MKCOL",
        BASE + "x/",
        status=409,
        body="<html><body>no</body></html>",
        headers={"Content-Type": "text/html"},
    )
    with pytest.raises(errors.ConflictError) as info:
        dav.mkcol("x/")
    assert info.value.error is None


# -- sync-collection (RFC 6578) --------------------------------------------------------------


def test_sync_collection_changed_removed_token_and_truncation(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    body = ms(
        resp("/root/cal/new.ics", props='<D:getetag>"1"</D:getetag>'),
        resp("/root/cal/gone.ics", "404 Not Found"),
        resp(
            "/root/cal/",
            "507 Insufficient Storage",
            error="<D:error><D:number-of-matches-within-limits/></D:error>",
        ),
        extra="<D:sync-token>http://example.com/sync/2</D:sync-token>",
    )
    mock.add("REPORT", BASE + "cal/", body=body, status=207)
    result = dav.sync_collection("cal/", "http://example.com/sync/1", limit=2)
    assert [r.path for r in result.changed] == ["/root/cal/new.ics"]
    assert result.changed[0].etag == '"1"'
    assert [r.path for r in result.removed] == ["/root/cal/gone.ics"]
    assert result.truncated
    assert result.sync_token == "http://example.com/sync/2"
    request = mock.calls[0].request
    assert request.headers["Depth"] == "0"
    root = body_of(mock.calls[0])
    assert root.find("{DAV:}sync-token").text == "http://example.com/sync/1"  # type: ignore[union-attr]
    assert root.find("{DAV:}limit/{DAV:}nresults").text == "2"  # type: ignore[union-attr]


def test_sync_collection_initial_not_truncated(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    mock.add("REPORT", BASE, body=ms(extra="<D:sync-token>s1</D:sync-token>"), status=207)
    result = dav.sync_collection()
    assert (result.changed, result.removed, result.truncated, result.sync_token) == (
        [],
        [],
        False,
        "s1",
    )


@pytest.mark.parametrize(("members", "truncated"), [(1, False), (2, True), (3, False)])
def test_sync_collection_exactly_full_answer_is_truncated(
    mock: responses.RequestsMock, dav: DAVSession, members: int, truncated: bool
) -> None:
    # no 507, but exactly ``limit`` members: the server may have cut there (Xandikos does);
    # more than ``limit`` means it ignored the limit (Radicale) and sent everything
    items = [resp(f"/root/m{i}.ics", props='<D:getetag>"1"</D:getetag>') for i in range(members)]
    body = ms(*items, extra="<D:sync-token>s2</D:sync-token>")
    mock.add("REPORT", BASE, body=body, status=207)
    assert dav.sync_collection("", "s1", limit=2).truncated is truncated
    assert dav.sync_collection("", "s1").truncated is False


@pytest.mark.parametrize("status", [403, 409])
def test_invalid_sync_token(mock: responses.RequestsMock, dav: DAVSession, status: int) -> None:
    body = '<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>'
    mock.add("REPORT", BASE, body=body, status=status, headers=XML)
    with pytest.raises(errors.InvalidSyncTokenError):
        dav.sync_collection("", "stale")


def test_report_with_an_element_body(mock: responses.RequestsMock, dav: DAVSession) -> None:
    from requests_dav.dav.requestbodies import E

    mock.add("REPORT", BASE, body=ms(resp("/root/x", props=FILE)), status=207)
    result = dav.report("", E("{urn:x}my-report", E("{DAV:}prop")), depth=1)
    assert len(result) == 1
    assert body_of(mock.calls[0]).tag == "{urn:x}my-report"


# -- a 207 to a write is a failure; error bodies that are multistatus documents -----------


def test_207_to_put_lock_and_mkcol_raise(mock: responses.RequestsMock, dav: DAVSession) -> None:
    body = ms(resp("/root/col", "423 Locked"), resp("/root/col/f", "424 Failed Dependency"))
    for method, path in (("PUT", "col/f"), ("MKCOL", "col/f"), ("LOCK", "col/f")):
        mock.add(method, BASE + path, body=body, status=207, headers=XML)
    with pytest.raises(errors.MultiStatusError) as info:
        dav.upload(b"x", "col/f")
    assert info.value.failures == {BASE + "col": 423, BASE + "col/f": 424}
    with pytest.raises(errors.MultiStatusError):
        dav.mkcol("col/f")
    with pytest.raises(errors.MultiStatusError):
        dav.lock("col/f")
    assert len(dav.lock_store) == 0


def test_an_error_with_a_multistatus_body_keeps_it(
    mock: responses.RequestsMock, dav: DAVSession
) -> None:
    body = ms(
        resp(
            "/root/col",
            "423 Locked",
            error="<D:error><D:lock-token-submitted><D:href>/root/col</D:href>"
            "</D:lock-token-submitted></D:error>",
        )
    )
    mock.add("MOVE", BASE + "a", body=body, status=424, headers=XML)
    with pytest.raises(errors.FailedDependencyError) as info:
        dav.move("a", "col/a")
    assert info.value.multistatus is not None
    assert [r.status for r in info.value.multistatus] == [423]
    assert info.value.has_condition("{DAV:}lock-token-submitted")


def test_session_verify_wins_over_the_ca_bundle_environment(
    mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    seen: list[Any] = []
    mock.add_callback("GET", "https://h/dav/f", callback=lambda r: (200, {}, b""))
    dav = DAVSession("https://h/dav/")
    dav.verify = "/my/ca.pem"
    original = dav.adapter.send

    def spy(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        seen.append(kwargs.get("verify"))
        return original(request, **kwargs)

    monkeypatch.setattr(dav.adapter, "send", spy)
    dav.get("f")
    assert seen == ["/my/ca.pem"]
    dav.verify = True
    dav.get("f")
    assert seen[-1] == "/nonexistent/bundle.pem"  # requests' own rule when verify is True
