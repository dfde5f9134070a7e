"""DAV errors (RFC 4918 sections 11, 16; RFC 6578 section 3.2): classes, attributes, mapping."""

from __future__ import annotations

import pytest
import requests

from requests_dav import exceptions
from requests_dav.dav import errors
from requests_dav.dav.multistatus import MultiStatusParseError, parse_error_body
from requests_dav.dav.xmlsafe import available_backends


def make_response(
    status: int, headers: dict[str, str] | None = None, method: str = "PUT"
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "Reason"
    response.url = "http://h/dav/f.txt"
    response.headers.update(headers or {})
    response.request = requests.Request(method, response.url).prepare()
    response._content = b""
    return response


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (403, errors.ForbiddenError),
        (404, errors.NotFoundError),
        (405, errors.MethodNotAllowedError),
        (409, errors.ConflictError),
        (412, errors.PreconditionFailedError),
        (423, errors.LockedError),
        (424, errors.FailedDependencyError),
        (507, errors.InsufficientStorageError),
        (500, errors.DAVError),
        (502, errors.DAVError),
    ],
)
def test_status_picks_the_subclass(status: int, cls: type[errors.DAVError]) -> None:
    error = errors.error_for(make_response(status))
    assert type(error) is cls
    assert error.status == status
    assert f"{status}" in str(error) and "PUT http://h/dav/f.txt" in str(error)


def test_errors_are_requests_http_errors() -> None:
    error = errors.error_for(make_response(404))
    assert isinstance(error, requests.HTTPError)
    assert isinstance(error, requests.RequestException)
    assert isinstance(error, exceptions.DAVError)
    assert isinstance(error, exceptions.RequestsDAVError)
    assert error.response is not None and error.response.status_code == 404
    assert error.request is not None and error.request.method == "PUT"


def test_locked_error_carries_the_lock_token_submitted_hrefs() -> None:
    body = (
        b'<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:lock-token-submitted>'
        b"<D:href>/dav/locked/</D:href><D:href>/dav/other</D:href>"
        b"</D:lock-token-submitted></D:error>"
    )
    error = errors.error_for(make_response(423), error=parse_error_body(body))
    assert isinstance(error, errors.LockedError)
    assert error.lock_token_submitted == ["/dav/locked/", "/dav/other"]
    assert error.conditions == ("{DAV:}lock-token-submitted",)
    assert "lock-token-submitted" in str(error)


def test_locked_error_with_one_href_and_no_conflicting_lock() -> None:
    body = (
        b'<D:error xmlns:D="DAV:"><D:no-conflicting-lock><D:href>/a</D:href>'
        b"</D:no-conflicting-lock></D:error>"
    )
    error = errors.error_for(make_response(423), error=parse_error_body(body))
    assert isinstance(error, errors.LockedError)
    assert error.lock_token_submitted == []
    assert error.no_conflicting_lock == ["/a"]


def test_precondition_failed_knows_the_current_etag() -> None:
    error = errors.error_for(make_response(412, {"ETag": '"v2"'}))
    assert isinstance(error, errors.PreconditionFailedError)
    assert error.etag == '"v2"'
    assert errors.PreconditionFailedError("x", etag='"e"').etag == '"e"'
    assert errors.error_for(make_response(412)).etag is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [403, 409])
def test_valid_sync_token_precondition_is_its_own_class(status: int) -> None:
    body = b'<D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>'
    error = errors.error_for(make_response(status, method="REPORT"), error=parse_error_body(body))
    assert isinstance(error, errors.InvalidSyncTokenError)
    assert error.has_condition(errors.VALID_SYNC_TOKEN)


def test_vendor_conditions_are_kept() -> None:
    body = (
        b'<D:error xmlns:D="DAV:" xmlns:V="urn:vendor"><D:propfind-finite-depth/>'
        b"<V:quota-detail>5 bytes left</V:quota-detail></D:error>"
    )
    error = errors.error_for(make_response(403, method="PROPFIND"), error=parse_error_body(body))
    assert isinstance(error, errors.ForbiddenError)
    assert error.conditions == ("{DAV:}propfind-finite-depth", "{urn:vendor}quota-detail")
    assert error.error is not None
    assert error.error["{urn:vendor}quota-detail"] == "5 bytes left"


def test_multistatus_and_proppatch_errors_carry_statuses() -> None:
    ms = errors.MultiStatusError("x", failures={"http://h/a": 423, "http://h/b": 403})
    assert ms.failures == {"http://h/a": 423, "http://h/b": 403}
    statuses = {"{urn:x}a": 424, "{DAV:}getetag": 403, "{urn:x}b": 200}
    pp = errors.PropPatchError("x", statuses=statuses)
    assert pp.statuses["{urn:x}a"] == 424
    assert pp.failed == {"{DAV:}getetag": 403}
    assert ms.status is None and pp.conditions == ()


def test_parse_errors_map_into_the_requests_hierarchy() -> None:
    cause = MultiStatusParseError("mismatched tag", (3, 7))
    error = errors.from_parse_error(cause, make_response(207, method="PROPFIND"))
    assert isinstance(error, errors.MalformedResponseError)
    assert isinstance(error, requests.RequestException)
    assert "line 3, column 7" in str(error)
    assert error.response is not None


def test_custom_message_is_used() -> None:
    error = errors.error_for(make_response(409), message="parent missing")
    assert str(error) == "parent missing"


@pytest.mark.parametrize("backend", available_backends())
@pytest.mark.parametrize(
    "chunks",
    [
        [b'<D:error xmlns:D="DAV:"/>'],
        [b'<D:error xmlns:D="DAV:">', b" </D:error>"],
        [b'<D:error xmlns:D="DAV:"><D:x/>', b"</D:error>"],
    ],
)
def test_an_error_body_is_not_its_own_condition(backend: str, chunks: list[bytes]) -> None:
    """lxml reported the end of the root itself as a child when no child had come before."""
    expected = {"{DAV:}x": None} if b"<D:x/>" in chunks[0] else {}
    assert parse_error_body(chunks, backend=backend) == expected
