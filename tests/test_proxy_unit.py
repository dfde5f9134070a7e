"""The CONNECT exchange of requests_dav.transport.proxy against a scripted proxy on 127.0.0.1.

The proxy here answers each CONNECT from a script (407s shaped as a test needs: keep-alive
with a body, `Connection: close`, a body delimited by closing, two Proxy-Authenticate lines,
Digest `stale=true`, refusal) and, on success, relays the tunnel to a small TLS origin that
records the headers it saw. RFC 9110 section 9.3.6, RFC 7235 sections 3.2, 4.3, 4.4.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple, Union

import pytest
import requests
from requests.adapters import HTTPAdapter
from servers.common import QuietHTTPServer
from urllib3.util.retry import Retry

from requests_dav.auth.challenge import parse_auth_info
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.flow import Negotiator
from requests_dav.exceptions import (
    MutualAuthenticationError,
    ProxyAuthenticationError,
    ProxyTunnelAuthenticationError,
)
from requests_dav.transport.proxy import (
    AuthProxyManager,
    TunnelAuthHTTPSConnection,
    build_proxy_manager,
    proxy_userinfo,
    strip_userinfo,
    tunnel_error,
)
from requests_dav.transport.proxy.tunnel import authority_of

HOST = "127.0.0.1"
USER, PASSWORD = "alice", "s3cret"
REALM = "unit proxy"


# -- a TLS origin that records request headers --------------------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(keyfile),
            "-out",
            str(certfile),
        ],
        check=True,
        capture_output=True,
    )
    return certfile, keyfile


class Origin(QuietHTTPServer):
    def __init__(self, certfile: Path, keyfile: Path) -> None:
        super().__init__((HOST, 0), _OriginHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certfile), str(keyfile))
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.seen: List[List[Tuple[str, str]]] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Origin

    def do_GET(self) -> None:
        self.server.seen.append(list(self.headers.items()))
        body = b"hello through the tunnel"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin(cert: Tuple[Path, Path]) -> Iterator[Origin]:
    server = Origin(*cert)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# -- a scripted proxy -----------------------------------------------------------------------


@dataclass
class Seen:
    connection: int
    method: str
    target: str
    headers: List[Tuple[str, str]]

    def get(self, name: str) -> Optional[str]:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Reply:
    status: int = 407
    reason: str = "Proxy Authentication Required"
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b"<h1>407</h1>"
    length: bool = True  # send Content-Length (else: the body ends when the proxy closes)
    close: bool = False  # Connection: close, and close after the reply


@dataclass
class Tunnel:
    headers: List[Tuple[str, str]] = field(default_factory=list)


TUNNEL = Tunnel()
Script = Callable[[int, Seen], Union[Reply, Tunnel]]


class ScriptedProxy:
    """A forward proxy that answers CONNECT #n with script(n, request)."""

    def __init__(
        self, script: Script, origin_port: int, tls: Optional[ssl.SSLContext] = None
    ) -> None:
        self.script = script
        self.tls = tls
        self.origin_port = origin_port
        self.seen: List[Seen] = []
        self.connections = 0
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self.url = f"{'https' if tls else 'http'}://{HOST}:{self.port}"
        self._open: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:
                conn.close()
                return
        reader = conn.makefile("rb")
        try:
            while True:
                line = reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers = []
                while True:
                    raw = reader.readline().decode("latin-1").rstrip("\r\n")
                    if not raw:
                        break
                    name, _, value = raw.partition(":")
                    headers.append((name.strip(), value.strip()))
                seen = Seen(number, method, target, headers)
                self.seen.append(seen)
                reply = self.script(len(self.seen), seen)
                if isinstance(reply, Tunnel):
                    extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers)
                    conn.sendall(f"HTTP/1.1 200 Connection established\r\n{extra}\r\n".encode())
                    self._relay(conn)
                    return
                assert isinstance(reply, Reply)
                head = [
                    f"HTTP/1.1 {reply.status} {reply.reason}",
                    *(f"{k}: {v}" for k, v in reply.headers),
                ]
                if reply.length:
                    head.append(f"Content-Length: {len(reply.body)}")
                if reply.close or not reply.length:
                    head.append("Connection: close")
                conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body)
                if reply.close or not reply.length:
                    return
        except OSError:
            return
        finally:
            reader.close()
            conn.close()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection((HOST, self.origin_port))
        self._open.append(upstream)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        back.join(5)
        upstream.close()

    def close(self) -> None:
        self.listener.close()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def make_proxy(origin: Origin, cert: Tuple[Path, Path]) -> Iterator[Callable[..., ScriptedProxy]]:
    proxies: List[ScriptedProxy] = []

    def make(script: Script, tls: bool = False) -> ScriptedProxy:
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        proxy = ScriptedProxy(script, origin.port, context)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


# -- the driver: a bare HTTPAdapter whose proxy managers come from build_proxy_manager --------


class TunnelAdapter(HTTPAdapter):
    def __init__(self, negotiator: Negotiator) -> None:
        self.negotiator = negotiator
        super().__init__()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: object) -> AuthProxyManager:
        if proxy not in self.proxy_manager:
            self.proxy_manager[proxy] = build_proxy_manager(
                proxy,
                negotiator=self.negotiator,
                proxy_headers=self.proxy_headers(proxy),
                num_pools=self._pool_connections,
                maxsize=self._pool_maxsize,
                **proxy_kwargs,
            )
        return self.proxy_manager[proxy]  # type: ignore[no-any-return]


def session_for(
    proxy: ScriptedProxy, credentials: Credentials, cert: Tuple[Path, Path]
) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(cert[0])
    session.proxies = {"https": proxy.url}
    session.mount("https://", TunnelAdapter(Negotiator(credentials)))
    return session


def creds_for(proxy: ScriptedProxy, user: str = USER, password: str = PASSWORD) -> Credentials:
    credentials = Credentials()
    credentials.add_proxy(proxy.url, user, password)
    return credentials


def basic(realm: str = REALM) -> Tuple[str, str]:
    return ("Proxy-Authenticate", f'Basic realm="{realm}"')


def digest(nonce: str = "n1", stale: bool = False, realm: str = REALM) -> Tuple[str, str]:
    extra = ", stale=true" if stale else ""
    return ("Proxy-Authenticate", f'Digest realm="{realm}", nonce="{nonce}", qop="auth"{extra}')


def basic_ok(seen: Seen) -> bool:
    import base64

    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return seen.get("Proxy-Authorization") == expected


def digest_ok(seen: Seen, nonce: str, authority: str) -> bool:
    value = seen.get("Proxy-Authorization") or ""
    if not value.startswith("Digest "):
        return False
    params = parse_auth_info(value[len("Digest ") :])

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{USER}:{REALM}:{PASSWORD}")
    ha2 = md5(f"CONNECT:{authority}")
    expected = md5(f"{ha1}:{nonce}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
    return (
        params["uri"] == authority and params["nonce"] == nonce and params["response"] == expected
    )


def get(session: requests.Session, origin: Origin) -> requests.Response:
    return session.get(f"https://{HOST}:{origin.port}/x", timeout=10)


def assert_clean_origin(origin: Origin) -> None:
    for headers in origin.seen:
        assert "proxy-authorization" not in {k.lower() for k, _ in headers}


# -- tests --------------------------------------------------------------------------------


def test_407_with_body_keepalive_retried_on_same_connection(make_proxy, origin, cert) -> None:
    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        if basic_ok(seen):
            return TUNNEL
        return Reply(headers=[basic()], body=b"x" * 5000)

    proxy = make_proxy(script)
    with session_for(proxy, creds_for(proxy), cert) as session:
        response = get(session, origin)
    assert response.status_code == 200
    assert response.text == "hello through the tunnel"
    assert [s.connection for s in proxy.seen] == [1, 1]  # the 407's body was drained, socket kept
    assert proxy.seen[0].get("Proxy-Authorization") is None
    assert proxy.seen[1].target == f"{HOST}:{origin.port}"
    assert proxy.seen[1].get("Host") == f"{HOST}:{origin.port}"
    assert_clean_origin(origin)


@pytest.mark.parametrize("reuse", [True, False], ids=["keep-alive", "close"])
def test_https_proxy_tls_to_the_proxy_then_tls_in_tls(make_proxy, origin, cert, reuse) -> None:
    """An https:// proxy: CONNECT goes inside TLS to the proxy, also after a reconnect."""

    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        return TUNNEL if basic_ok(seen) else Reply(headers=[basic()], close=not reuse)

    proxy = make_proxy(script, tls=True)
    assert proxy.url.startswith("https://")
    with session_for(proxy, creds_for(proxy), cert) as session:
        assert get(session, origin).status_code == 200
    assert [s.connection for s in proxy.seen] == ([1, 1] if reuse else [1, 2])
    assert_clean_origin(origin)


@pytest.mark.parametrize("shape", ["connection-close", "no-length", "big-body"])
def test_407_that_ends_the_connection_gets_a_fresh_one(make_proxy, origin, cert, shape) -> None:
    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        if basic_ok(seen):
            return TUNNEL
        if shape == "connection-close":
            return Reply(headers=[basic()], close=True)
        if shape == "no-length":
            return Reply(headers=[basic()], length=False, body=b"goodbye")
        return Reply(headers=[basic()], body=b"y" * (200 * 1024))

    proxy = make_proxy(script)
    with session_for(proxy, creds_for(proxy), cert) as session:
        assert get(session, origin).status_code == 200
    assert [s.connection for s in proxy.seen] == [1, 2]
    assert basic_ok(proxy.seen[1])


def test_two_proxy_authenticate_lines_strongest_scheme_wins(make_proxy, origin, cert) -> None:
    authority = f"{HOST}:{origin.port}"

    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        if digest_ok(seen, "abc", authority):
            return TUNNEL
        return Reply(headers=[basic(), digest("abc")])

    proxy = make_proxy(script)
    with session_for(proxy, creds_for(proxy), cert) as session:
        assert get(session, origin).status_code == 200
    assert len(proxy.seen) == 2
    assert (proxy.seen[1].get("Proxy-Authorization") or "").startswith("Digest ")


def test_digest_stale_on_connect_is_retried_with_the_new_nonce(make_proxy, origin, cert) -> None:
    authority = f"{HOST}:{origin.port}"

    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        if n == 1:
            return Reply(headers=[digest("old")])
        if n == 2:
            assert digest_ok(seen, "old", authority)
            return Reply(headers=[digest("new", stale=True)])
        assert digest_ok(seen, "new", authority)
        return TUNNEL

    proxy = make_proxy(script)
    with session_for(proxy, creds_for(proxy), cert) as session:
        assert get(session, origin).status_code == 200
    assert len(proxy.seen) == 3


def test_refusal_after_credentials_raises_without_secrets(make_proxy, origin, cert) -> None:
    proxy = make_proxy(lambda n, seen: Reply(headers=[basic()]))
    session = session_for(proxy, creds_for(proxy, password="wrong-Pa55"), cert)
    session.get_adapter("https://").max_retries = Retry(connect=3, total=3)
    with session, pytest.raises(requests.exceptions.ConnectionError) as info:
        get(session, origin)
    error = tunnel_error(info.value)
    assert isinstance(error, ProxyTunnelAuthenticationError)
    assert isinstance(error, ProxyAuthenticationError)
    assert isinstance(error, requests.exceptions.RequestException)
    assert (error.status, error.scheme, error.realm, error.outcome) == (
        407,
        "basic",
        REALM,
        "refused",
    )
    assert error.offered == ("basic",)
    assert error.proxy == proxy.url and error.authority == f"{HOST}:{origin.port}"
    assert len(proxy.seen) == 2  # one challenge, one refused answer: no loop, no Retry
    for text in (str(error), repr(error), str(info.value)):
        assert "wrong-Pa55" not in text
        assert proxy.seen[1].get("Proxy-Authorization") not in text
        assert (proxy.seen[1].get("Proxy-Authorization") or "")[6:] not in text


def test_no_credentials_for_the_proxy(make_proxy, origin, cert) -> None:
    proxy = make_proxy(lambda n, seen: Reply(headers=[digest("q")]))
    session = session_for(proxy, Credentials(), cert)
    with session, pytest.raises(requests.exceptions.ConnectionError) as info:
        get(session, origin)
    error = tunnel_error(info.value)
    assert isinstance(error, ProxyTunnelAuthenticationError)
    assert (error.status, error.scheme, error.outcome) == (407, None, "no-credentials")
    assert "no credentials" in str(error)
    assert len(proxy.seen) == 1


def test_other_refusals_stay_requests_proxy_errors(make_proxy, origin, cert) -> None:
    proxy = make_proxy(lambda n, seen: Reply(status=403, reason="Forbidden", headers=[]))
    session = session_for(proxy, creds_for(proxy), cert)
    with session, pytest.raises(requests.exceptions.ProxyError, match="403"):
        get(session, origin)


def test_second_tunnel_is_authorized_preemptively(make_proxy, origin, cert) -> None:
    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        return TUNNEL if basic_ok(seen) else Reply(headers=[basic()])

    proxy = make_proxy(script)
    with session_for(proxy, creds_for(proxy), cert) as session:
        for _ in range(3):
            assert get(session, origin).status_code == 200
        # a new pool (a new connection) for the same proxy: CONNECT carries credentials at once
        session.get_adapter("https://").poolmanager.clear()
        for manager in session.get_adapter("https://").proxy_manager.values():
            manager.clear()
        assert get(session, origin).status_code == 200
    assert [s.get("Proxy-Authorization") is not None for s in proxy.seen] == [False, True, True]
    assert proxy.connections == 2


def test_stale_proxy_authorization_from_requests_never_leaves(make_proxy, origin, cert) -> None:
    """requests puts Basic userinfo in proxy headers and (on redirects) in request headers."""

    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        return TUNNEL if basic_ok(seen) else Reply(headers=[basic()])

    proxy = make_proxy(script)
    credentials = creds_for(proxy)
    with session_for(proxy, credentials, cert) as session:
        session.proxies = {"https": f"http://mallory:stale@{HOST}:{proxy.port}"}
        response = session.get(
            f"https://{HOST}:{origin.port}/x",
            headers={"Proxy-Authorization": "Basic c3RhbGU6c3RhbGU="},
            timeout=10,
        )
    assert response.status_code == 200
    assert proxy.seen[0].get("Proxy-Authorization") is None  # not requests' Basic from userinfo
    assert basic_ok(proxy.seen[1])
    assert_clean_origin(origin)  # nor the request's own header, inside the tunnel


def test_connect_request_wire_format(make_proxy, origin, cert) -> None:
    proxy = make_proxy(lambda n, seen: TUNNEL)
    negotiator = Negotiator(Credentials())
    manager = build_proxy_manager(
        proxy.url, negotiator=negotiator, proxy_headers={"User-Agent": "unit/1", "Host": "bogus"}
    )
    pool = manager.connection_from_url(f"https://{HOST}:{origin.port}/x")
    pool.ca_certs = str(cert[0])
    conn = pool._new_conn()
    assert isinstance(conn, TunnelAuthHTTPSConnection) and conn.negotiator is negotiator
    conn.ca_certs = str(cert[0])
    pool._prepare_proxy(conn)
    conn.close()
    seen = proxy.seen[0]
    assert (seen.method, seen.target) == ("CONNECT", f"{HOST}:{origin.port}")
    assert seen.get("Host") == f"{HOST}:{origin.port}"
    assert seen.get("User-Agent") == "unit/1"
    assert [k.lower() for k, _ in seen.headers].count("host") == 1
    assert conn.tunnel_rounds == 1 and conn.tunnel_connections == 1


@pytest.mark.parametrize("status", [200, 407])
def test_pool_without_negotiator_behaves_like_urllib3(make_proxy, origin, cert, status) -> None:
    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        return TUNNEL if status == 200 else Reply(headers=[basic()])

    proxy = make_proxy(script)
    manager = build_proxy_manager(proxy.url, negotiator=Negotiator(Credentials()))
    pool = manager.connection_from_url(f"https://{HOST}:{origin.port}/x")
    pool.negotiator = None  # type: ignore[attr-defined]
    conn = pool._new_conn()
    conn.ca_certs = str(cert[0])
    if status == 200:
        pool._prepare_proxy(conn)
        assert conn.sock is not None
        conn.close()
    else:
        with pytest.raises(OSError, match="Tunnel connection failed: 407"):
            pool._prepare_proxy(conn)
        assert conn.sock is None
    assert proxy.seen[0].get("Proxy-Authorization") is None


def test_bad_proxy_rspauth_on_connect_is_a_mutual_authentication_error(
    make_proxy, origin, cert
) -> None:
    """RFC 7616 section 3.5 / RFC 7615: a proxy that cannot prove it knows the password."""

    def script(n: int, seen: Seen) -> Union[Reply, Tunnel]:
        value = seen.get("Proxy-Authorization")
        if value is None:
            return Reply(headers=[digest("m")])
        params = parse_auth_info(value[len("Digest ") :])
        info = f'rspauth="{"0" * 32}", qop=auth, nc={params["nc"]}, cnonce="{params["cnonce"]}"'
        return Tunnel(headers=[("Proxy-Authentication-Info", info)])

    proxy = make_proxy(script)
    before = len(origin.seen)
    session = session_for(proxy, creds_for(proxy), cert)
    with session, pytest.raises(requests.exceptions.RequestException) as info:
        get(session, origin)
    error = tunnel_error(info.value)
    assert isinstance(error, MutualAuthenticationError), repr(info.value)
    assert PASSWORD not in str(error)
    assert len(origin.seen) == before  # no request went through the unproven tunnel


def test_crlf_in_proxy_headers_is_refused(make_proxy, origin) -> None:
    proxy = make_proxy(lambda n, seen: TUNNEL)
    manager = build_proxy_manager(
        proxy.url,
        negotiator=Negotiator(Credentials()),
        proxy_headers={"X-Note": "a\r\nInjected: 1"},
    )
    pool = manager.connection_from_url(f"https://{HOST}:{origin.port}/x")
    conn = pool._new_conn()
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        pool._prepare_proxy(conn)
    assert proxy.seen == []


def test_authority_form() -> None:
    assert authority_of("127.0.0.1", 443) == "127.0.0.1:443"
    assert authority_of("::1", 8443) == "[::1]:8443"
    assert authority_of("[::1]", 8443) == "[::1]:8443"
    assert authority_of("bücher.example", 443) == "xn--bcher-kva.example:443"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://alice:s3cret@127.0.0.1:3128", ("http://127.0.0.1:3128", "alice", "s3cret")),
        (
            "http://bob:p%C3%A4ssw%C3%B6rd%E2%82%AC@proxy:8080/",
            ("http://proxy:8080", "bob", "pässwörd€"),
        ),
        ("http://a%40b:p%3Aw@[::1]:3128", ("http://[::1]:3128", "a@b", "p:w")),
        ("http://carol@proxy:3128", ("http://proxy:3128", "carol", "")),
        ("alice:x@proxy:3128", ("http://proxy:3128", "alice", "x")),
        ("http://proxy:3128", None),
        ("http://:pw@proxy:3128", None),
    ],
)
def test_proxy_userinfo(url: str, expected: object) -> None:
    assert proxy_userinfo(url) == expected


def test_strip_userinfo() -> None:
    assert strip_userinfo("https://u:p@Proxy.example:8443/path?q") == "https://Proxy.example:8443"


def test_manager_is_built_without_userinfo_or_proxy_authorization() -> None:
    manager = build_proxy_manager(
        "http://alice:s3cret@127.0.0.1:3128",
        negotiator=Negotiator(Credentials()),
        proxy_headers={"Proxy-Authorization": "Basic YWxpY2U6czNjcmV0", "X-Hop": "1"},
    )
    assert isinstance(manager, AuthProxyManager)
    assert manager.proxy is not None and manager.proxy.auth is None
    assert dict(manager.proxy_headers) == {"X-Hop": "1"}
    plain = manager.connection_from_url("http://example.test/")
    assert "Proxy-Authorization" not in (plain.proxy_headers or {})
    assert "s3cret" not in repr(manager.proxy)


def test_socks_proxies_go_requests_normal_way() -> None:
    try:
        import socks  # noqa: F401
    except ImportError:
        with pytest.raises(requests.exceptions.InvalidSchema):
            build_proxy_manager("socks5://u:p@127.0.0.1:1080", negotiator=Negotiator(Credentials()))
    else:  # pragma: no cover - PySocks installed
        from urllib3.contrib.socks import SOCKSProxyManager

        manager = build_proxy_manager(
            "socks5://u:p@127.0.0.1:1080", negotiator=Negotiator(Credentials())
        )
        assert isinstance(manager, SOCKSProxyManager)
