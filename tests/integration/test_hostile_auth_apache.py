"""No downgrade and no credential spread, through AuthAdapter against real Apache and a
forging loopback server (issue 11, points 1 and 2).

Counted on Apache's access log: which requests carried which ``Authorization``.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List

import pytest
import requests
from auth.digest_server import params_of
from servers.common import ALICE, ALICE_PASSWORD, ServerBase

from requests_dav import AuthAdapter, Credentials, auth_result


def session_with(credentials: Credentials) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials))
    return session


@pytest.mark.needs_apache
def test_basic_learned_on_a_prefix_is_not_sent_to_a_sibling(apache_server: ServerBase) -> None:
    credentials = Credentials()
    credentials.add(apache_server.base_url + "/basic", ALICE, ALICE_PASSWORD)
    session = session_with(credentials)
    response = session.get(apache_server.base_url + "/basic")  # no trailing slash: dir is "/"
    assert response.status_code == 200
    mark = apache_server.mark()
    other = session.get(apache_server.url("basic-other"))
    assert other.status_code == 401
    records = apache_server.requests_since(mark, at_least=1)
    assert [r.auth_scheme for r in records] == [None]  # the password stayed home


@pytest.mark.needs_apache
def test_basic_after_digest_on_one_plain_http_origin_is_refused(apache_server: ServerBase) -> None:
    credentials = Credentials()
    credentials.add(apache_server.base_url + "/", ALICE, ALICE_PASSWORD)
    session = session_with(credentials)
    assert session.get(apache_server.url("digest-nc")).status_code == 200
    mark = apache_server.mark()
    response = session.get(apache_server.url("basic"))
    assert response.status_code == 401
    result = auth_result(response)
    assert result is not None and result.outcome == "downgrade-refused"
    assert "Basic" in result.detail and "Digest MD5" in result.detail
    records = apache_server.requests_since(mark, at_least=1)
    assert all(r.auth_scheme != "Basic" for r in records)
    # granted per prefix, the two spaces are two floors: both work
    per_prefix = Credentials()
    per_prefix.add(apache_server.url("digest-nc"), ALICE, ALICE_PASSWORD)
    per_prefix.add(apache_server.url("basic"), ALICE, ALICE_PASSWORD)
    session = session_with(per_prefix)
    assert session.get(apache_server.url("digest-nc")).status_code == 200
    assert session.get(apache_server.url("basic")).status_code == 200


class Forger(BaseHTTPRequestHandler):
    """SHA-256 Digest until ``forge`` is set; then an MD5 challenge, then Basic."""

    forge: List[str] = []
    seen: List[str] = []

    def do_GET(self) -> None:
        value = self.headers.get("Authorization") or ""
        type(self).seen.append(value)
        if self.forge:
            self._challenge(self.forge[0])
            return
        if value.startswith("Digest ") and self._valid(params_of(value)):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._challenge('Digest realm="r", nonce="n256", qop="auth", algorithm=SHA-256')

    def _valid(self, p: dict) -> bool:  # type: ignore[type-arg]
        def h(text: str) -> str:
            return hashlib.sha256(text.encode()).hexdigest()

        ha1 = h(f"{ALICE}:r:{ALICE_PASSWORD}")
        ha2 = h(f"GET:{p['uri']}")
        return p.get("response") == h(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:auth:{ha2}")

    def _challenge(self, value: str) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forger() -> Iterator[str]:
    Forger.forge, Forger.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Forger)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_forged_md5_then_basic_after_sha256_get_nothing(forger: str) -> None:
    credentials = Credentials()
    credentials.add(forger + "/", ALICE, ALICE_PASSWORD)
    session = session_with(credentials)
    assert session.get(forger + "/a").status_code == 200
    Forger.forge.append('Digest realm="r", nonce="n5", qop="auth"')
    response = session.get(forger + "/a")
    assert auth_result(response).outcome == "downgrade-refused"  # type: ignore[union-attr]
    Forger.forge[0] = 'Basic realm="r"'
    start = len(Forger.seen)
    response = session.get(forger + "/a")
    assert response.status_code == 401
    assert auth_result(response).outcome == "downgrade-refused"  # type: ignore[union-attr]
    assert not any(value.startswith("Basic ") for value in Forger.seen[start:])
    assert not any("algorithm=MD5" in v or 'nonce="n5"' in v for v in Forger.seen)
