"""Credential hygiene (issue 4, behaviour 8), seen from the receiving server's log.

* A redirect to another origin (port, scheme, host) never carries ``Authorization``, and the new
  origin's challenge is not answered with the old origin's credentials, through AuthAdapter and
  through the ``auth=`` objects (requests' own ``HTTPDigestAuth`` is shown answering it). The
  first origin is a tiny local redirector that demands Basic and then sends 307 to Apache.
* Credentials for ``/a/`` are not sent to ``/ab/`` (segment-boundary prefixes).
* Credentials for https are never sent over http.
"""

from __future__ import annotations

import base64
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Iterator, List, Optional

import pytest
import requests
from requests.auth import HTTPDigestAuth
from servers.common import ALICE, ALICE_PASSWORD, QuietHTTPServer, ServerBase

from requests_dav.auth.credentials import Credentials
from requests_dav.transport.adapter import AuthAdapter, auth_result
from requests_dav.transport.auth_base import DigestAuth, HTTPAuth

REDIRECTOR_USER = ("carol", "redirector-only-secret")


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


class Redirector:
    """127.0.0.1:<port>: 401 Basic without credentials, else 307 to ``target(path)``."""

    def __init__(self) -> None:
        self.target: Callable[[str], str] = lambda path: path
        self.seen: List[Optional[str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                authorization = self.headers.get("Authorization")
                owner.seen.append(authorization)
                token = base64.b64encode(":".join(REDIRECTOR_USER).encode()).decode()
                if authorization != f"Basic {token}":
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="redirector"')
                else:
                    self.send_response(307)
                    self.send_header("Location", owner.target(self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_PUT = do_PROPFIND = _any

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirector() -> Iterator[Redirector]:
    server = Redirector()
    yield server
    server.close()


def targets(apache: Any) -> dict[str, str]:
    """Other origins than the redirector's: another port, another scheme, another host."""
    return {
        "port": apache.base_url,
        "scheme": apache.https_base_url,
        "host": f"http://localhost:{apache.port}",
    }


@pytest.mark.parametrize("change", ["port", "scheme", "host"])
@pytest.mark.parametrize("driver", ["adapter", "auth="])
def test_cross_origin_redirect_never_carries_credentials(
    apache_server: Any, redirector: Redirector, change: str, driver: str
) -> None:
    base = targets(apache_server)[change]
    name = unique("redirected.txt")
    redirector.target = lambda path: f"{base}/digest/{name}"
    session = requests.Session()
    session.trust_env = False
    session.verify = apache_server.ca_cert
    kwargs: dict[str, Any] = {}
    if driver == "adapter":
        credentials = Credentials()
        credentials.add(redirector.url + "/", *REDIRECTOR_USER)
        session.mount("http://", AuthAdapter(credentials))
        session.mount("https://", AuthAdapter(credentials))
    else:
        kwargs["auth"] = HTTPAuth(*REDIRECTOR_USER)
    mark = apache_server.mark()
    response = session.put(f"{redirector.url}/start", data=b"payload", timeout=30, **kwargs)
    assert response.status_code == 401  # Apache's challenge reaches the caller unanswered
    assert response.url.endswith(f"/digest/{name}")
    assert [r.status_code for r in response.history] == [307]
    assert redirector.seen[-1] is not None  # the redirector itself did get credentials
    records = apache_server.requests_since(mark, at_least=1)
    assert [r.authorization for r in records] == [None]
    result = auth_result(response)
    if driver == "adapter":
        assert result is not None and result.outcome == "no-credentials"
    else:
        assert result is None  # the hook stood aside
    assert not (apache_server.root("digest") / name).exists()


def test_requests_own_digest_answers_the_new_origin(
    apache_server: Any, redirector: Redirector
) -> None:
    """The peer bug: HTTPDigestAuth's hook answers a challenge from the redirect's origin."""
    name = unique("leaked.txt")
    redirector.target = lambda path: apache_server.url("digest", name)
    first_hop = requests.Session()
    first_hop.trust_env = False
    token = base64.b64encode(":".join(REDIRECTOR_USER).encode()).decode()
    mark = apache_server.mark()
    response = first_hop.put(
        f"{redirector.url}/start",
        data=b"payload",
        headers={"Authorization": f"Basic {token}"},
        auth=HTTPDigestAuth(ALICE, ALICE_PASSWORD),
        timeout=30,
    )
    records = apache_server.requests_since(mark, at_least=2)
    assert response.status_code in (201, 204)
    assert records[-1].auth_scheme == "Digest"  # alice's credentials went to the other origin


def test_digest_auth_hook_ignores_another_origins_challenge(
    apache_server: Any, redirector: Redirector
) -> None:
    name = unique("not-leaked.txt")
    redirector.target = lambda path: apache_server.url("digest", name)
    session = requests.Session()
    session.trust_env = False
    token = base64.b64encode(":".join(REDIRECTOR_USER).encode()).decode()
    mark = apache_server.mark()
    response = session.put(
        f"{redirector.url}/start",
        data=b"payload",
        headers={"Authorization": f"Basic {token}"},
        auth=DigestAuth(ALICE, ALICE_PASSWORD),
        timeout=30,
    )
    assert response.status_code == 401
    records = apache_server.requests_since(mark, at_least=1)
    assert [r.authorization for r in records] == [None]


def test_prefix_a_does_not_cover_ab(apache_server: ServerBase) -> None:
    prefix = unique("a")
    credentials = Credentials()
    credentials.add(f"{apache_server.base_url}/basic/{prefix}", ALICE, ALICE_PASSWORD)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials))
    mark = apache_server.mark()
    made = session.request("MKCOL", apache_server.url("basic", f"{prefix}/"), timeout=30)
    inside = session.put(apache_server.url("basic", f"{prefix}/x.txt"), data=b"x", timeout=30)
    sibling = session.put(apache_server.url("basic", f"{prefix}b/y.txt"), data=b"y", timeout=30)
    assert made.status_code == 201 and inside.status_code in (201, 204)
    assert sibling.status_code == 401
    result = auth_result(sibling)
    assert result is not None and result.outcome == "no-credentials"
    records = apache_server.requests_since(mark, at_least=4)
    to_sibling = [r for r in records if r.path.startswith(f"/basic/{prefix}b/")]
    assert to_sibling and all(r.authorization is None for r in to_sibling)


@pytest.mark.parametrize("driver", ["adapter", "auth="])
def test_https_credentials_never_go_over_http(apache_server: Any, driver: str) -> None:
    session = requests.Session()
    session.trust_env = False
    session.verify = apache_server.ca_cert
    kwargs: dict[str, Any] = {}
    if driver == "adapter":
        credentials = Credentials()
        credentials.add(apache_server.https_base_url + "/", ALICE, ALICE_PASSWORD)
        adapter = AuthAdapter(credentials)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    else:
        kwargs["auth"] = DigestAuth(ALICE, ALICE_PASSWORD)
    secure = session.put(
        apache_server.https_url("digest", unique("s.txt")), data=b"s", timeout=30, **kwargs
    )
    assert secure.status_code in (201, 204)
    mark = apache_server.mark()
    if driver == "adapter":
        plain = session.put(apache_server.url("digest", unique("p.txt")), data=b"p", timeout=30)
        assert plain.status_code == 401
        records = apache_server.requests_since(mark, at_least=1)
        assert [r.authorization for r in records] == [None]
    else:
        # the same auth object on an http URL: nothing learned over https is sent preemptively
        plain = session.put(
            apache_server.url("digest", unique("p.txt")), data=b"p", timeout=30, **kwargs
        )
        records = apache_server.requests_since(mark, at_least=2)
        assert records[0].authorization is None and records[0].status == 401
