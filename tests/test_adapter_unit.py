"""Unit tests of AuthAdapter and the auth= objects: edge cases real servers do not produce.

``responses`` patches ``HTTPAdapter.send``; AuthAdapter overrides ``send`` and calls
``super().send()`` for each attempt, so with ``responses`` active the flow still runs and every
attempt (unauthenticated request, authorized retry) reaches the mocks: tests script 401 then 200.
The ``auth=`` objects send their retries through ``response.connection.send``, also mocked.
Small local servers (http.server) stand in for an HTTP/1.0 peer, a slow server and a server
answering 503 once; everything binds to 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import responses
from requests.exceptions import ReadTimeout, RequestException
from servers.common import QuietHTTPServer
from urllib3.util.retry import Retry

from requests_dav import exceptions
from requests_dav.auth.body import ReplayableBody
from requests_dav.auth.credentials import Credentials
from requests_dav.transport.adapter import AuthAdapter, WireBody, auth_result, raise_for_auth
from requests_dav.transport.auth_base import BasicAuth, DigestAuth, HTTPAuth
from requests_dav.transport.expect import URLLIB3_FUTURE

URL = "http://dav.test/dir/file.bin"
PASSWORD = "pässwörd-s3cret€"
USER = "alice"
REALM = "unit realm"
NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"


def session_with(credentials: Optional[Credentials] = None, **kwargs: Any) -> requests.Session:
    if credentials is None:
        credentials = Credentials()
        credentials.add("http://dav.test/", USER, PASSWORD)
    session = requests.Session()
    session.trust_env = False
    adapter = AuthAdapter(credentials, **kwargs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def gen(*parts: bytes) -> Iterator[bytes]:
    yield from parts


def body_of(request: Any) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    return b"".join(body)


Callback = Callable[[Any], Tuple[int, Dict[str, str], bytes]]


def basic_server(calls: List[Tuple[Optional[str], bytes, Dict[str, str]]]) -> Callback:
    def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        calls.append((request.headers.get("Authorization"), body_of(request), request.headers))
        if "Authorization" not in request.headers:
            return 401, {"WWW-Authenticate": f'Basic realm="{REALM}"'}, b"who are you"
        if request.headers["Authorization"] != "Basic " + _b64(f"{USER}:{PASSWORD}"):
            return 401, {"WWW-Authenticate": f'Basic realm="{REALM}"'}, b"no"
        return 201, {}, b"stored"

    return callback


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode("utf-8")).decode()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def digest_params(header: str) -> Dict[str, str]:
    return {k: v1 or v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)}


def digest_server(calls: List[Any], *, tamper: bool = False) -> Callback:
    """A Digest MD5 qop=auth server that proves itself with rspauth (RFC 7616 section 3.5)."""
    challenge = f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5'

    def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        calls.append(request.headers.get("Authorization"))
        header = request.headers.get("Authorization")
        if header is None or not header.startswith("Digest "):
            return 401, {"WWW-Authenticate": challenge}, b""
        p = digest_params(header)
        ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
        ha2 = _md5(f"{request.method}:{p['uri']}")
        expected = _md5(f"{ha1}:{NONCE}:{p['nc']}:{p['cnonce']}:auth:{ha2}")
        if p["response"] != expected:
            return 401, {"WWW-Authenticate": challenge}, b""
        rspauth = _md5(f"{ha1}:{NONCE}:{p['nc']}:{p['cnonce']}:auth:{_md5(':' + p['uri'])}")
        if tamper:
            rspauth = "0" * 32
        info = f'rspauth="{rspauth}", cnonce="{p["cnonce"]}", nc={p["nc"]}, qop=auth'
        return 200, {"Authentication-Info": info}, b"ok"

    return callback


# -- the flow through the adapter ---------------------------------------------------------------


@responses.activate
def test_401_then_201_replays_the_generator_and_keeps_history() -> None:
    calls: List[Any] = []
    responses.add_callback("PUT", URL, callback=basic_server(calls))
    response = session_with().put(URL, data=gen(b"abc", b"def"))
    assert response.status_code == 201
    assert [(auth is not None, body) for auth, body, _ in calls] == [
        (False, b"abcdef"),
        (True, b"abcdef"),
    ]
    assert [r.status_code for r in response.history] == [401]
    assert response.history[0].content == b"who are you"  # the diagnostic entity is kept
    result = auth_result(response)
    assert result is not None and result.outcome == "ok" and result.scheme == "basic"
    raise_for_auth(response)  # success: nothing raised


@responses.activate
def test_second_request_in_the_space_is_preemptive() -> None:
    calls: List[Any] = []
    responses.add_callback(
        "PUT", re.compile(r"http://dav\.test/dir/.*"), callback=basic_server(calls)
    )
    session = session_with()
    session.put(URL, data=b"1")
    response = session.put("http://dav.test/dir/other.bin", data=b"2")
    assert response.status_code == 201 and response.history == []
    assert len(calls) == 3 and calls[2][0] is not None


@responses.activate
def test_strongest_offered_scheme_is_chosen() -> None:
    calls: List[Any] = []
    digest = digest_server(calls)

    def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        status, headers, body = digest(request)
        if status == 401:
            raise_two = [("WWW-Authenticate", f'Basic realm="{REALM}"')]
            raise_two.append(("WWW-Authenticate", headers["WWW-Authenticate"]))
            return status, raise_two, body  # type: ignore[return-value]
        return status, headers, body

    responses.add_callback("GET", URL, callback=callback)
    response = session_with().get(URL)
    assert response.status_code == 200
    assert calls[1].startswith("Digest ")


@responses.activate
def test_rspauth_is_verified() -> None:
    calls: List[Any] = []
    responses.add_callback("GET", URL, callback=digest_server(calls))
    assert session_with().get(URL).status_code == 200


@responses.activate
def test_tampered_rspauth_raises_mutual_authentication_error() -> None:
    calls: List[Any] = []
    responses.add_callback("GET", URL, callback=digest_server(calls, tamper=True))
    with pytest.raises(exceptions.MutualAuthenticationError) as caught:
        session_with().get(URL)
    assert isinstance(caught.value, RequestException)
    assert caught.value.response is not None and caught.value.response.status_code == 200
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)


@responses.activate
def test_417_is_retried_without_expect() -> None:
    seen: List[Tuple[Optional[str], bytes]] = []

    def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        seen.append((request.headers.get("Expect"), body_of(request)))
        if "Expect" in request.headers:
            return 417, {}, b""
        return 201, {}, b""

    responses.add_callback("PUT", URL, callback=callback)
    response = session_with().put(URL, data=gen(b"x" * 10), headers={"Expect": "100-continue"})
    assert response.status_code == 201
    assert seen == [("100-continue", b"x" * 10), (None, b"x" * 10)]
    assert [r.status_code for r in response.history] == [417]


def length_required(seen: List[Dict[str, str]]) -> Callback:
    def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        body = body_of(request)
        seen.append(dict(request.headers, body=body))  # type: ignore[arg-type]
        if "Content-Length" not in request.headers:
            return 411, {}, b"length required"
        assert int(request.headers["Content-Length"]) == len(body)
        return 201, {}, b""

    return callback


@pytest.mark.parametrize("known", [True, False], ids=["credentials", "nothing-to-negotiate"])
@responses.activate
def test_411_replays_a_chunked_body_with_content_length(known: bool) -> None:
    """With credentials for the origin (the flow runs) and without (only the framing fix)."""
    seen: List[Dict[str, str]] = []
    responses.add_callback("PUT", URL, callback=length_required(seen))
    response = session_with(None if known else Credentials()).put(URL, data=gen(b"one", b"two"))
    assert response.status_code == 201
    result = auth_result(response)
    assert result is not None and result.outcome == "no-challenge"
    assert [r.status_code for r in response.history] == [411]
    assert seen[0].get("Transfer-Encoding") == "chunked"
    assert seen[1]["Content-Length"] == "6" and "Transfer-Encoding" not in seen[1]
    assert seen[1]["body"] == b"onetwo"  # type: ignore[comparison-overlap]


@responses.activate
def test_411_over_the_limit_raises_length_required() -> None:
    seen: List[Dict[str, str]] = []
    responses.add_callback("PUT", URL, callback=length_required(seen))
    with pytest.raises(exceptions.LengthRequiredError) as caught:
        session_with(max_replay_bytes=4).put(URL, data=gen(b"0123", b"4567"))
    error = caught.value
    assert isinstance(error, RequestException)
    assert isinstance(error, exceptions.BodyNotReplayableError)
    assert error.bytes_sent == 8 and error.limit == 4
    assert "411" in str(error) and "8 bytes had been sent" in str(error)
    assert error.response is not None and error.response.status_code == 411


@responses.activate
def test_cookies_set_by_the_401_go_with_the_retry() -> None:
    cookies: List[Optional[str]] = []

    def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        cookies.append(request.headers.get("Cookie"))
        if "Authorization" not in request.headers:
            return (
                401,
                {"WWW-Authenticate": 'Basic realm="x"', "Set-Cookie": "sid=42; Path=/"},
                b"",
            )
        return 200, {}, b""

    responses.add_callback("GET", URL, callback=callback)
    session = session_with()
    response = session.get(URL)
    assert response.status_code == 200
    assert cookies == [None, "sid=42"]
    assert session.cookies.get("sid") == "42"


@responses.activate
def test_hooks_run_once_on_the_final_response_and_stream_stays_unread() -> None:
    calls: List[Any] = []
    responses.add_callback("GET", URL, callback=basic_server(calls))
    seen: List[int] = []
    session = session_with()
    session.hooks["response"].append(lambda r, **kw: seen.append(r.status_code))
    response = session.get(URL, stream=True)
    assert seen == [201]
    assert response._content_consumed is False
    assert b"".join(response.iter_content(2)) == b"stored"


@responses.activate
def test_verify_cert_and_timeout_reach_the_transport() -> None:
    calls: List[Any] = []
    responses.add_callback("GET", URL, callback=basic_server(calls))
    session_with().get(URL, verify="/some/ca.pem", cert=("c.pem", "k.pem"), timeout=(3, 7))
    for call in responses.calls:
        kwargs = call.request.req_kwargs
        assert kwargs["verify"] == "/some/ca.pem" and kwargs["cert"] == ("c.pem", "k.pem")
        assert kwargs["timeout"] == (3, 7)


@responses.activate
def test_proxy_userinfo_is_registered_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """trust_env: the proxy comes from HTTP_PROXY; its userinfo goes to the store only."""
    monkeypatch.setenv("HTTP_PROXY", "http://pu:proxy-secret@proxy.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    calls: List[Any] = []
    responses.add_callback("GET", URL, callback=basic_server(calls))
    credentials = Credentials()
    credentials.add("http://dav.test/", USER, PASSWORD)
    session = session_with(credentials)
    session.trust_env = True
    session.get(URL)
    found = credentials.find("http://proxy.test:3128", proxy=True)
    assert found is not None and found.username == "pu"
    assert all("Proxy-Authorization" not in h for _, _, h in calls)


@responses.activate
def test_failures_say_why_and_keep_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    responses.add("PUT", URL, status=401, headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})
    credentials = Credentials()
    credentials.add("http://dav.test/", USER, PASSWORD)
    session = session_with(credentials)
    response = session.put(URL, data=b"x")
    assert response.status_code == 401
    with pytest.raises(exceptions.AuthenticationFailedError) as caught:
        raise_for_auth(response)
    error = caught.value
    text = str(error)
    assert error.outcome == "refused" and error.scheme == "basic" and error.realm == REALM
    assert "refused" in text and "basic" in text and REALM in text and URL in text
    token = _b64(f"{USER}:{PASSWORD}")
    everything = [text, repr(error), repr(credentials), repr(session.adapters["http://"])]
    everything += [repr(auth_result(response)), caplog.text]
    for item in everything:
        assert PASSWORD not in item and token not in item


@responses.activate
def test_not_replayable_says_bytes_sent_and_limit(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    calls: List[Any] = []
    responses.add_callback("PUT", URL, callback=basic_server(calls))
    response = session_with(max_replay_bytes=5).put(URL, data=gen(b"0123", b"4567", b"89"))
    assert response.status_code == 401
    with pytest.raises(exceptions.AuthenticationFailedError) as caught:
        raise_for_auth(response)
    error = caught.value
    assert error.outcome == "not-replayable" and error.bytes_sent == 10 and error.limit == 5
    assert "10 bytes had been sent" in str(error) and "5 bytes" in str(error)
    assert PASSWORD not in caplog.text


# -- the body on the wire -----------------------------------------------------------------------


def test_wire_body_reads_rewinds_and_refuses_other_seeks() -> None:
    wrapped = ReplayableBody.wrap(gen(b"abc", b"defg"), max_replay_bytes=100)
    assert wrapped is not None
    wire = WireBody(wrapped)
    assert wire.read(2) == b"ab" and wire.read(5) == b"c" and wire.tell() == 3
    assert wire.read() == b"defg" and wire.complete
    assert wire.seek(0) == 0 and wire.read() == b"abcdefg"
    with pytest.raises(io.UnsupportedOperation):
        wire.seek(0, io.SEEK_END)


def test_wire_body_over_the_limit_cannot_rewind() -> None:
    wrapped = ReplayableBody.wrap(gen(b"abc", b"defg"), max_replay_bytes=3)
    assert wrapped is not None
    wire = WireBody(wrapped)
    assert b"".join(wire) == b"abcdefg"
    with pytest.raises(exceptions.BodyNotReplayableError) as caught:
        wire.seek(0)
    assert isinstance(caught.value, OSError)  # so requests reports UnrewindableBodyError


# -- auth= objects ------------------------------------------------------------------------------


@responses.activate
def test_auth_objects_replay_and_verify() -> None:
    calls: List[Any] = []
    responses.add_callback("PUT", URL, callback=digest_server(calls))
    response = requests.put(URL, data=gen(b"ab", b"cd"), auth=DigestAuth(USER, PASSWORD), timeout=5)
    assert response.status_code == 200 and [r.status_code for r in response.history] == [401]
    assert calls[0] is None and calls[1].startswith("Digest ")

    calls.clear()
    responses.replace(responses.PUT, URL, status=200)
    response = requests.put(URL, data=b"x", auth=BasicAuth(USER, PASSWORD), timeout=5)
    sent = responses.calls[-1].request.headers["Authorization"]
    assert sent == "Basic " + _b64(f"{USER}:{PASSWORD}")  # preemptive and UTF-8
    assert response.history == []


@responses.activate
def test_auth_hook_never_answers_another_origin() -> None:
    responses.add("PUT", "http://a.test/x", status=307, headers={"Location": "http://b.test/y"})
    responses.add(
        "PUT", "http://b.test/y", status=401, headers={"WWW-Authenticate": 'Basic realm="b"'}
    )
    response = requests.put("http://a.test/x", data=b"x", auth=HTTPAuth(USER, PASSWORD), timeout=5)
    assert response.status_code == 401
    to_b = [c for c in responses.calls if c.request.url.startswith("http://b.test/")]
    assert len(to_b) == 1 and "Authorization" not in to_b[0].request.headers


@responses.activate
def test_tampered_rspauth_through_auth_hook() -> None:
    calls: List[Any] = []
    responses.add_callback("GET", URL, callback=digest_server(calls, tamper=True))
    with pytest.raises(exceptions.MutualAuthenticationError):
        requests.get(URL, auth=DigestAuth(USER, PASSWORD), timeout=5)


def test_auth_object_repr_hides_the_password() -> None:
    for auth in (HTTPAuth(USER, PASSWORD), BasicAuth(USER, PASSWORD), DigestAuth(USER, PASSWORD)):
        assert PASSWORD not in repr(auth) and USER in repr(auth)


# -- local stand-ins ----------------------------------------------------------------------------


class StandIn:
    """A tiny threaded server on 127.0.0.1 driven by ``handle(handler) -> None``."""

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler], None], version: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = version

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                handle(self)

            do_GET = do_PUT

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        data = b""
        while True:
            size = int(handler.rfile.readline().strip(), 16)
            chunk = handler.rfile.read(size)
            handler.rfile.readline()
            if size == 0:
                return data
            data += chunk
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"") -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def http10() -> Iterator[Tuple[StandIn, List[Tuple[str, bytes]]]]:
    """An HTTP/1.0 server: 411 to a body without Content-Length (it cannot read chunked)."""
    seen: List[Tuple[str, bytes]] = []

    def handle(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Content-Length") is None:
            seen.append(("chunked", b""))
            handler.close_connection = True
            reply(handler, 411)
            return
        body = read_body(handler)
        seen.append(("length", body))
        reply(handler, 201)

    server = StandIn(handle, "HTTP/1.0")
    yield server, seen
    server.close()


@pytest.mark.skipif(
    URLLIB3_FUTURE, reason="urllib3-future reports HTTP/1.0 answers as 1.1 (docs/adapter.rst)"
)
def test_http10_peer_gets_content_length_and_is_remembered(
    http10: Tuple[StandIn, List[Tuple[str, bytes]]],
) -> None:
    server, seen = http10
    session = session_with(Credentials())
    first = session.put(server.url + "/a", data=gen(b"12", b"34"))
    second = session.put(server.url + "/b", data=gen(b"56", b"78"))
    assert first.status_code == 201 and second.status_code == 201
    assert seen == [("chunked", b""), ("length", b"1234"), ("length", b"5678")]
    assert [r.status_code for r in first.history] == [411] and second.history == []


@pytest.mark.skipif(
    URLLIB3_FUTURE, reason="urllib3-future reports HTTP/1.0 answers as 1.1 (docs/adapter.rst)"
)
def test_http10_peer_and_a_body_over_the_limit(
    http10: Tuple[StandIn, List[Tuple[str, bytes]]],
) -> None:
    server, seen = http10
    session = session_with(Credentials(), max_replay_bytes=8)
    session.put(server.url + "/a", data=gen(b"12"))
    with pytest.raises(exceptions.LengthRequiredError) as caught:
        session.put(server.url + "/b", data=gen(b"0123456789"))
    assert "HTTP/1.0" in str(caught.value) and caught.value.limit == 8
    assert seen[-1] == ("length", b"12")  # nothing chunked was sent to it again


def test_timeouts_apply_through_the_adapter() -> None:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        reply(handler, 200)

    server = StandIn(handle, "HTTP/1.1")
    try:
        with pytest.raises(ReadTimeout):
            session_with(Credentials()).get(server.url + "/slow", timeout=0.2)
    finally:
        server.close()


def test_urllib3_retry_replays_a_generator_body() -> None:
    stored: List[bytes] = []

    def handle(handler: BaseHTTPRequestHandler) -> None:
        body = read_body(handler)
        stored.append(body)
        reply(handler, 503 if len(stored) == 1 else 201)

    server = StandIn(handle, "HTTP/1.1")
    retry = Retry(total=2, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    try:
        response = session_with(Credentials(), max_retries=retry).put(
            server.url + "/r", data=gen(b"same ", b"bytes")
        )
    finally:
        server.close()
    assert response.status_code == 201
    assert stored == [b"same bytes", b"same bytes"]  # plain requests would re-send b""


@responses.activate
def test_307_redirect_replays_the_generator_through_the_adapter() -> None:
    bodies: List[Tuple[str, bytes]] = []

    def first(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        bodies.append(("first", body_of(request)))
        return 307, {"Location": "http://dav.test/dir/moved.bin"}, b""

    def moved(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        bodies.append(("moved", body_of(request)))
        return 201, {}, b""

    responses.add_callback("PUT", URL, callback=first)
    responses.add_callback("PUT", "http://dav.test/dir/moved.bin", callback=moved)
    response = session_with(Credentials()).put(URL, data=gen(b"kept ", b"bytes"))
    assert response.status_code == 201
    assert bodies == [("first", b"kept bytes"), ("moved", b"kept bytes")]  # requests: b""


@responses.activate
def test_same_origin_redirect_with_digest_auth_is_answered_afresh() -> None:
    calls: List[Any] = []
    digest = digest_server(calls)
    moved = "http://dav.test/dir/moved.bin"

    def first(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        status, headers, body = digest(request)
        if status == 200:
            return 307, {**headers, "Location": moved}, b""
        return status, headers, body

    responses.add_callback("PUT", URL, callback=first)
    responses.add_callback("PUT", moved, callback=digest)
    response = requests.put(URL, data=gen(b"ab"), auth=DigestAuth(USER, PASSWORD), timeout=5)
    assert response.status_code == 200
    uris = [digest_params(c)["uri"] if c else None for c in calls]
    # the Digest response made for /dir/file.bin never went to /dir/moved.bin
    assert uris[:2] == [None, "/dir/file.bin"]
    assert all(uri in (None, "/dir/moved.bin") for uri in uris[2:])
    assert body_of(responses.calls[-1].request) == b"ab"


@responses.activate
def test_a_server_that_serves_the_bodiless_ntlm_type_1_leg_is_an_error() -> None:
    """The type 1 leg goes with an empty body; a server that answers it with anything but a
    challenge has acted on a request without its body, which must not pass silently."""
    pytest.importorskip("spnego")
    from requests_dav.auth.schemes import SchemeRegistry
    from requests_dav.auth.schemes.spnego import NTLMScheme

    seen: List[Tuple[Optional[str], bytes]] = []

    def server(request: Any) -> Tuple[int, Dict[str, str], str]:
        seen.append((request.headers.get("Authorization"), body_of(request)))
        if len(seen) == 1:
            return 401, {"WWW-Authenticate": "NTLM"}, "who are you"
        return 201, {}, "stored"

    responses.add_callback("PUT", URL, callback=server)
    store = Credentials()
    store.add("http://dav.test/", "alice", "s3cret")
    session = session_with(store, registry=SchemeRegistry([NTLMScheme]))
    with pytest.raises(exceptions.AuthenticationError, match=r"201 .*body was not sent") as caught:
        session.put(URL, data=b"the payload")
    assert caught.value.response is not None and caught.value.response.status_code == 201
    assert [(auth.split()[0] if auth else None, body) for auth, body in seen] == [
        (None, b"the payload"),
        ("NTLM", b""),
    ]
