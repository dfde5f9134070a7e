"""repr() and str() of the sans-I/O messages never show credentials (issue 11, point 9)."""

from __future__ import annotations

import pytest

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse

SECRET = "c2VjcmV0LXRva2Vu"


@pytest.mark.parametrize("render", [repr, str])
def test_request_masks_every_credentials_header(render: object) -> None:
    request = AuthRequest(
        method="GET",
        url="http://user:pw@h.example/a",
        headers={
            "Authorization": f"Basic {SECRET}",
            "proxy-authorization": f"Digest username=x, response={SECRET}",
            "Cookie": f"session={SECRET}",
            "Accept": "text/plain",
        },
        proxy="http://puser:ppw@proxy.example:3128",
    )
    text = render(request)  # type: ignore[operator]
    assert SECRET not in text and "pw@" not in text
    assert "Basic <hidden>" in text and "Digest <hidden>" in text
    assert "text/plain" in text and "h.example" in text and "proxy.example" in text


@pytest.mark.parametrize("render", [repr, str])
def test_response_masks_set_cookie_and_keeps_challenges(render: object) -> None:
    response = AuthResponse(
        401,
        [("Set-Cookie", f"session={SECRET}"), ("WWW-Authenticate", 'Basic realm="x"')],
    )
    text = render(response)  # type: ignore[operator]
    assert SECRET not in text and 'Basic realm="x"' in text


def test_the_request_a_flow_authorized_shows_no_secret() -> None:
    credentials = Credentials()
    credentials.add("http://h.example/", "alice", "s3cret")
    flow = Negotiator(credentials).auth_flow(
        AuthRequest(method="GET", url="http://h.example/a", headers={})
    )
    next(flow)
    retry = flow.send(AuthResponse(401, [("WWW-Authenticate", 'Basic realm="x"')]))
    value = retry.headers["Authorization"]
    assert value.startswith("Basic ")
    assert value.split()[1] not in repr(retry) and value.split()[1] not in str(retry)
