"""Learned spaces stay inside what the user granted (issue 11, point 2; RFC 7617 section 2.2,
RFC 7616 section 3.3 ``domain``).

Credentials added for ``http://h/team``: a Basic challenge on ``GET /team`` (whose parent
directory is ``/``), a Digest challenge without ``domain``, or one whose ``domain`` names ``/``
and other paths, teach the store ``/team`` at most, never ``/teamwork/`` or ``/other-tenant/``.
"""

from __future__ import annotations

import base64
from typing import Dict, List

import pytest

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse

from .digest_server import DigestServer

TEAM = "http://h.example/team"


def basic_server(request: AuthRequest) -> AuthResponse:
    good = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    if request.headers.get("Authorization") == good:
        return AuthResponse(200)
    return AuthResponse(401, [("WWW-Authenticate", 'Basic realm="team"')])


def get(negotiator: Negotiator, url: str, server: object) -> List[Dict[str, str]]:
    flow = negotiator.auth_flow(AuthRequest(method="GET", url=url, headers={}))
    outgoing = next(flow)
    sent: List[Dict[str, str]] = []
    while True:
        sent.append(dict(outgoing.headers))
        try:
            outgoing = flow.send(server(outgoing))  # type: ignore[operator]
        except StopIteration:
            return sent


def preemptive(credentials: Credentials, url: str) -> bool:
    return credentials.authenticator_for(url) is not None


class DomainDigest(DigestServer):
    def __init__(self, domain: str) -> None:
        super().__init__(realm="team")
        self.domain = domain

    def challenge(self, opaque: object = None) -> str:
        return super().challenge(opaque) + f', domain="{self.domain}"'  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "server",
    [basic_server, DigestServer(realm="team"), DomainDigest("/ /other-tenant/ /team/sub/")],
    ids=["basic-on-/team", "digest-without-domain", "digest-domain-wider"],
)
def test_learned_space_never_wider_than_the_grant(server: object) -> None:
    credentials = Credentials()
    credentials.add(TEAM, "alice", "s3cret")
    negotiator = Negotiator(credentials)
    sent = get(negotiator, TEAM, server)
    assert "Authorization" in sent[-1]
    assert preemptive(credentials, "http://h.example/team")
    assert preemptive(credentials, "http://h.example/team/x/y")
    for outside in (
        "http://h.example/teamwork/",
        "http://h.example/other-tenant/",
        "http://h.example/",
    ):
        assert not preemptive(credentials, outside), outside
        assert "Authorization" not in get(negotiator, outside, lambda r: AuthResponse(200))[0]


def test_a_narrower_domain_inside_the_grant_is_kept() -> None:
    credentials = Credentials()
    credentials.add("http://h.example/", "alice", "s3cret")
    negotiator = Negotiator(credentials)
    get(negotiator, "http://h.example/team/sub/a", DomainDigest("/team/sub/ /b/"))
    assert preemptive(credentials, "http://h.example/team/sub/z")
    assert preemptive(credentials, "http://h.example/b/z")
    assert not preemptive(credentials, "http://h.example/team/other")


def test_credentials_found_by_realm_outside_their_prefix_learn_only_the_directory() -> None:
    credentials = Credentials()
    credentials.add("http://h.example/team", "alice", "s3cret", realm="team")
    found = credentials.find("http://h.example/elsewhere/a.txt", realm="team")
    assert found is not None
    assert credentials.granted("http://h.example/elsewhere/a.txt", found) == "/elsewhere"
    negotiator = Negotiator(credentials)
    get(negotiator, "http://h.example/elsewhere/a.txt", DigestServer(realm="team"))
    assert preemptive(credentials, "http://h.example/elsewhere/b.txt")
    assert not preemptive(credentials, "http://h.example/")
