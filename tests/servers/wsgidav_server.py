"""WsgiDAV (in-process, cheroot in a background thread): shares open, basic and digest.

WsgiDAV chooses Basic or Digest per application, so each share is its own WsgiDAVApp
behind a small dispatcher on the first path segment; a recording middleware around
everything keeps one RequestRecord per request.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from .common import (
    HOST,
    USERS,
    RequestRecord,
    ServerBase,
    Share,
    auth_scheme_of,
    parse_int,
    wait_for_port_closed,
)

BASIC_REALM = "requests-dav wsgidav basic"
DIGEST_REALM = "requests-dav wsgidav digest"

#: share name -> (auth scheme, realm)
SHARES: dict[str, tuple[str | None, str | None]] = {
    "open": (None, None),
    "basic": ("basic", BASIC_REALM),
    "digest": ("digest", DIGEST_REALM),
}

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def _not_found(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    body = b"no such share\n"
    start_response(
        "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    )
    return [body]


class ShareDispatcher:
    """Route `/<share>` and `/<share>/...` to that share's WsgiDAV app (PATH_INFO unchanged)."""

    def __init__(self, apps: dict[str, WSGIApp]) -> None:
        self.apps = apps

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        first = environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)[0]
        app = self.apps.get(first, _not_found)
        return app(environ, start_response)


class RecordingMiddleware:
    """Append a RequestRecord for every request, when its status line is decided."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.records: list[RequestRecord] = []

    def _record(self, environ: Environ, status: int) -> None:
        authorization = environ.get("HTTP_AUTHORIZATION")
        target = environ.get("REQUEST_URI") or (
            environ.get("PATH_INFO", "")
            + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        )
        record = RequestRecord(
            method=environ.get("REQUEST_METHOD", ""),
            path=target,
            status=status,
            auth_scheme=auth_scheme_of(authorization),
            authorization=authorization,
            content_length=parse_int(environ.get("CONTENT_LENGTH")),
            user=environ.get("wsgidav.auth.user_name") or None,
            port=parse_int(environ.get("SERVER_PORT")),
        )
        with self.lock:
            self.records.append(record)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        recorded = False

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(environ, int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        except BaseException:
            if not recorded:
                recorded = True
                self._record(environ, 500)
            raise

    def snapshot(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.records)


def _realm_dc(realm: str) -> type:
    from wsgidav.dc.simple_dc import SimpleDomainController

    class FixedRealmDC(SimpleDomainController):  # type: ignore[misc]
        """SimpleDomainController with one fixed realm name instead of the share path."""

        def get_domain_realm(self, path_info: str, environ: Environ) -> str:
            return realm

    return FixedRealmDC


def make_app(share: str, directory: Path, auth: str | None, realm: str | None) -> WSGIApp:
    from wsgidav.fs_dav_provider import FilesystemProvider
    from wsgidav.wsgidav_app import WsgiDAVApp

    config: dict[str, Any] = {
        "provider_mapping": {f"/{share}": FilesystemProvider(str(directory))},
        "verbose": 1,
        "logging": {"enable": False},
        "lock_storage": True,  # in-memory LockManager
        "property_manager": True,  # in-memory PropertyManager (dead properties)
        "dir_browser": {"enable": True, "response_trailer": False},
    }
    users = {name: {"password": password} for name, password in USERS.items()}
    if auth is None:
        config["simple_dc"] = {"user_mapping": {"*": True}}
    else:
        assert realm is not None
        config["simple_dc"] = {"user_mapping": {"*": users}}
        config["http_authenticator"] = {
            "domain_controller": _realm_dc(realm),
            "accept_basic": auth == "basic",
            "accept_digest": auth == "digest",
            "default_to_digest": auth == "digest",
        }
    return WsgiDAVApp(config)  # type: ignore[no-any-return]


class WsgiDAVServer(ServerBase):
    """WsgiDAV on cheroot; requests() are recorded in memory (no settling needed)."""

    name = "wsgidav"

    def __init__(self, port: int, shares: list[Share], recorder: RecordingMiddleware) -> None:
        super().__init__(port, shares)
        self.recorder = recorder
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def requests(self) -> list[RequestRecord]:
        return self.recorder.snapshot()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._thread is not None:
            self._thread.join(10)
        wait_for_port_closed(self.port)


def start(directory: Path) -> WsgiDAVServer:
    from cheroot import wsgi

    logging.getLogger("wsgidav").setLevel(logging.ERROR)

    shares = []
    apps: dict[str, WSGIApp] = {}
    for name, (auth, realm) in SHARES.items():
        root = directory / name
        root.mkdir(parents=True, exist_ok=True)
        shares.append(Share(name, root, auth, realm))
        apps[name] = make_app(name, root, auth, realm)
    recorder = RecordingMiddleware(ShareDispatcher(apps))

    server = wsgi.Server((HOST, 0), recorder, numthreads=16, server_name="wsgidav-testbed")
    server.prepare()  # binds port 0 -> bind_addr now holds the real port
    port = int(server.bind_addr[1])
    bed = WsgiDAVServer(port, shares, recorder)
    bed._server = server
    bed._thread = threading.Thread(target=server.serve, name="wsgidav-testbed", daemon=True)
    bed._thread.start()
    return bed
