"""DigestScheme against real Apache mod_auth_digest (RFC 7616 sections 3.3-3.5, RFC 7615).

No requests, no flow: the challenge is captured from a real 401 with
``http.client``, the answer is computed by :class:`DigestScheme` alone and sent
on a fresh plain connection, and Apache's ``Authentication-Info`` is checked
by :meth:`DigestScheme.on_success` (rspauth verification).
"""

from __future__ import annotations

import http.client
import time
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest
from servers.apache import ApacheServer
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD

from requests_dav.auth.challenge import Challenge, parse_auth_info, parse_challenges
from requests_dav.auth.errors import MutualAuthenticationError
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.schemes.base import SchemeOptions
from requests_dav.auth.schemes.digest import DigestScheme
from requests_dav.auth.types import Credential

pytestmark = pytest.mark.needs_apache

OPTIONS = SchemeOptions()
CONTENT = b"hello from the digest share\n"


def send(
    url: str, method: str = "GET", headers: Optional[Dict[str, str]] = None, body: bytes = b""
) -> Tuple[AuthResponse, bytes]:
    """One request on a new plain connection; the response as the core sees it, and its body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body or None, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        return AuthResponse(response.status, response.getheaders()), payload
    finally:
        connection.close()


def capture_challenge(url: str) -> Challenge:
    response, _ = send(url)
    assert response.status == 401
    challenges = parse_challenges(response.get_all("WWW-Authenticate"))
    digest = [c for c in challenges if c.scheme == "digest"]
    assert len(digest) == 1, challenges
    return digest[0]


def put_file(apache_server: ApacheServer, share: str, name: str) -> str:
    path = apache_server.root(share) / name
    path.write_bytes(CONTENT)
    path.chmod(0o644)
    return apache_server.url(share, name)


def authorized_get(auth: DigestScheme, url: str) -> Tuple[AuthRequest, AuthResponse, bytes]:
    request = AuthRequest("GET", url, {})
    request.headers["Authorization"] = auth.authorize(request)
    response, body = send(url, headers=dict(request.headers))
    return request, response, body


def test_captured_challenge_answered_and_rspauth_verified(apache_server: ApacheServer) -> None:
    url = put_file(apache_server, "digest", "capture.txt")
    challenge = capture_challenge(url)
    assert challenge.realm == apache_server.realm("digest")
    assert DigestScheme.supports(challenge, OPTIONS)

    auth = DigestScheme.create(
        challenge, Credential(ALICE, ALICE_PASSWORD), url=url, options=OPTIONS
    )
    request, response, body = authorized_get(auth, url)
    assert response.status == 200, apache_server.error_log_text()
    assert body == CONTENT

    info_lines = response.get_all("Authentication-Info")
    assert info_lines, "Apache answers every Digest success with Authentication-Info"
    info = parse_auth_info(info_lines)
    assert "rspauth" in info
    auth.on_success(response, request)  # raises MutualAuthenticationError on mismatch


def test_tampered_rspauth_is_detected(apache_server: ApacheServer) -> None:
    url = put_file(apache_server, "digest", "tamper.txt")
    challenge = capture_challenge(url)
    auth = DigestScheme.create(
        challenge, Credential(ALICE, ALICE_PASSWORD), url=url, options=OPTIONS
    )
    request, response, _ = authorized_get(auth, url)
    assert response.status == 200
    info = parse_auth_info(response.get_all("Authentication-Info"))
    flipped = ("0" if info["rspauth"][0] != "0" else "1") + info["rspauth"][1:]
    forged: List[Tuple[str, str]] = [
        (name, value.replace(info["rspauth"], flipped))
        if name.lower() == "authentication-info"
        else (name, value)
        for name, value in response.headers
    ]
    with pytest.raises(MutualAuthenticationError):
        auth.on_success(AuthResponse(response.status, forged), request)


def test_nonce_count_increments_and_domain_is_the_space(apache_server: ApacheServer) -> None:
    url = put_file(apache_server, "digest", "count.txt")
    challenge = capture_challenge(url)
    auth = DigestScheme.create(challenge, Credential(BOB, BOB_PASSWORD), url=url, options=OPTIONS)
    for expected_nc in ("00000001", "00000002", "00000003"):
        request, response, _ = authorized_get(auth, url)
        assert f"nc={expected_nc}" in request.headers["Authorization"]
        assert response.status == 200, apache_server.error_log_text()
        auth.on_success(response, request)
    origin = f"http://{apache_server.host}:{apache_server.port}"
    assert auth.space_prefixes(url) == [origin + path for path in apache_server.digest_domain]


def test_wrong_password_is_refused_not_retried(apache_server: ApacheServer) -> None:
    url = put_file(apache_server, "digest", "refused.txt")
    challenge = capture_challenge(url)
    auth = DigestScheme.create(challenge, Credential(ALICE, "wrong"), url=url, options=OPTIONS)
    _, response, _ = authorized_get(auth, url)
    assert response.status == 401
    (again,) = [
        c for c in parse_challenges(response.get_all("WWW-Authenticate")) if c.scheme == "digest"
    ]
    assert auth.on_challenge(again) is False


def test_stale_nonce_then_nextnonce(apache_server: ApacheServer) -> None:
    url = put_file(apache_server, "digest-short", "stale.txt")
    challenge = capture_challenge(url)
    auth = DigestScheme.create(
        challenge, Credential(ALICE, ALICE_PASSWORD), url=url, options=OPTIONS
    )
    request, response, _ = authorized_get(auth, url)
    assert response.status == 200
    info = parse_auth_info(response.get_all("Authentication-Info"))
    auth.on_success(response, request)
    if "nextnonce" in info:  # Apache sends it this close to expiry: it must be accepted
        request, response, _ = authorized_get(auth, url)
        assert f'nonce="{info["nextnonce"]}"' in request.headers["Authorization"]
        assert "nc=00000001" in request.headers["Authorization"]
        assert response.status == 200, apache_server.error_log_text()
        auth.on_success(response, request)

    time.sleep(apache_server.digest_short_lifetime + 1.5)
    _, response, _ = authorized_get(auth, url)
    assert response.status == 401
    (stale,) = [
        c for c in parse_challenges(response.get_all("WWW-Authenticate")) if c.scheme == "digest"
    ]
    assert (stale.get("stale") or "").lower() == "true"
    assert auth.on_challenge(stale) is True  # no new password needed
    request, response, _ = authorized_get(auth, url)
    assert "nc=00000001" in request.headers["Authorization"]
    assert response.status == 200, apache_server.error_log_text()
    auth.on_success(response, request)


def test_out_of_order_nonce_count_is_retried_once(apache_server: ApacheServer) -> None:
    """AuthDigestNcCheck: a count not above the last one seen gets a plain 401, fresh nonce."""
    url = put_file(apache_server, "digest-nc", "order.txt")
    challenge = capture_challenge(url)
    auth = DigestScheme.create(
        challenge, Credential(ALICE, ALICE_PASSWORD), url=url, options=OPTIONS
    )
    first = AuthRequest("GET", url, {})
    first.headers["Authorization"] = auth.authorize(first)  # nc=00000001
    second = AuthRequest("GET", url, {})
    second.headers["Authorization"] = auth.authorize(second)  # nc=00000002
    response, _ = send(url, headers=dict(second.headers))  # overtakes the first
    assert response.status == 200
    auth.on_success(response, second)
    response, _ = send(url, headers=dict(first.headers))
    assert response.status == 401
    (fresh,) = [
        c for c in parse_challenges(response.get_all("WWW-Authenticate")) if c.scheme == "digest"
    ]
    assert fresh.get("stale") is None and fresh.get("nonce") != challenge.get("nonce")
    assert auth.on_challenge(fresh) is True
    request, response, _ = authorized_get(auth, url)
    assert "nc=00000001" in request.headers["Authorization"]
    assert response.status == 200, apache_server.error_log_text()
    auth.on_success(response, request)
