"""An embedded WebDAV server (WsgiDAV on cheroot) for the demo and for trying the CLI.

It listens on a free port of 127.0.0.1 only, serves a temporary directory
with Digest authentication (RFC 7616, as WsgiDAV implements it: MD5,
``qop=auth``), keeps locks and dead properties in memory, and counts the
requests it receives so the demo can show what went over the wire.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Dict, Iterable, List, Optional, Type

__all__ = ["DemoServer", "WireRecord"]

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
REALM = "requests-dav demo"


@dataclass(frozen=True)
class WireRecord:
    """One request as the server saw it: method, path, status, and the auth scheme used."""

    method: str
    path: str
    status: int
    auth_scheme: Optional[str]
    headers: Dict[str, str]


class _Recorder:
    """WSGI middleware that records every request when its status is decided."""

    def __init__(self, app: Callable[[Environ, StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.records: List[WireRecord] = []

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")

        def recording(status: str, headers: Any, exc_info: Any = None) -> Any:
            authorization = environ.get("HTTP_AUTHORIZATION")
            scheme = authorization.split(" ", 1)[0].lower() if authorization else None
            interesting = {
                name[5:].replace("_", "-").title(): value
                for name, value in environ.items()
                if name in ("HTTP_IF", "HTTP_DESTINATION", "HTTP_DEPTH", "HTTP_LOCK_TOKEN")
            }
            record = WireRecord(
                environ.get("REQUEST_METHOD", ""),
                path,
                int(status.split(" ", 1)[0]),
                scheme,
                interesting,
            )
            with self.lock:
                self.records.append(record)
            return start_response(status, headers, exc_info)

        return self.app(environ, recording)


class DemoServer:
    """WsgiDAV with Digest authentication on ``127.0.0.1:<free port>``.

    Use as a context manager; ``url`` is the share's base URL, ``username``
    and ``password`` the credentials (the password is random unless given),
    ``root`` the directory it serves, ``records`` what it received.
    """

    def __init__(
        self,
        *,
        username: str = "demo",
        password: Optional[str] = None,
        root: Optional[Path] = None,
        port: int = 0,
    ) -> None:
        self.username = username
        self.password = password if password is not None else secrets.token_urlsafe(9)
        self._tmp: Optional[tempfile.TemporaryDirectory[str]] = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="requests-dav-demo-")
            root = Path(self._tmp.name)
        self.root = root
        self._port = port
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None
        self._recorder: Optional[_Recorder] = None

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"<DemoServer {state} user={self.username!r}>"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the demo server is not running")
        return int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dav/"

    @property
    def records(self) -> List[WireRecord]:
        if self._recorder is None:
            return []
        with self._recorder.lock:
            return list(self._recorder.records)

    def start(self) -> DemoServer:
        try:
            from cheroot import wsgi
            from wsgidav.fs_dav_provider import FilesystemProvider
            from wsgidav.wsgidav_app import WsgiDAVApp
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError(
                'the demo server needs the demo extra: pip install "requests-dav[demo]" '
                '(in a checkout of the source: pip install -e ".[demo]")'
            ) from exc
        from wsgidav.dc.simple_dc import SimpleDomainController

        class _FixedRealm(SimpleDomainController):  # type: ignore[misc]
            def get_domain_realm(self, path_info: str, environ: Environ) -> str:
                return REALM

        logging.getLogger("wsgidav").setLevel(logging.ERROR)
        app = WsgiDAVApp(
            {
                "provider_mapping": {"/dav": FilesystemProvider(str(self.root))},
                "verbose": 1,
                "logging": {"enable": False},
                "lock_storage": True,
                "property_manager": True,
                "simple_dc": {"user_mapping": {"*": {self.username: {"password": self.password}}}},
                "http_authenticator": {
                    "domain_controller": _FixedRealm,
                    "accept_basic": False,
                    "accept_digest": True,
                    "default_to_digest": True,
                },
                "dir_browser": {"enable": True, "response_trailer": False},
            }
        )
        self._recorder = _Recorder(app)
        server = wsgi.Server(
            ("127.0.0.1", self._port), self._recorder, numthreads=8, server_name="requests-dav-demo"
        )
        server.prepare()
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="requests-dav-demo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()
