"""Proxy managers whose HTTPS pools negotiate proxy authentication on CONNECT.

RFC 9110 section 9.3.6 (CONNECT) and RFC 7235 sections 3.2, 4.3 and 4.4
(``407``, ``Proxy-Authenticate``, ``Proxy-Authorization``). The negotiator
travels from the adapter to each connection through the manager and its
pools (an attribute of each instance), never through global state and
without touching urllib3's own classes:

``build_proxy_manager`` -> :class:`AuthProxyManager` -> (for ``https://``
targets) :class:`TunnelAuthHTTPSConnectionPool` ->
:class:`~requests_dav.transport.proxy.tunnel.TunnelAuthHTTPSConnection`.

Requests to ``http://`` targets go through urllib3's ordinary pool to the
proxy: a 407 comes back as a response and the adapter's flow answers it with
``Proxy-Authorization`` on the retried request. Neither path lets requests
or urllib3 add a ``Proxy-Authorization`` of their own (requests' Basic header
built from the proxy URL's userinfo): the flow alone decides what the proxy
gets, and nothing of it ever goes inside a tunnel to the origin.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, MutableMapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

from urllib3 import PoolManager, ProxyManager
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.proxy import connection_requires_http_tunnel

from ...auth.errors import AuthCoreError
from ...exceptions import RequestsDAVError
from ..expect import (
    DEFAULT_EXPECT_TIMEOUT,
    ConfiguringPoolManager,
    ExpectHTTPConnectionPool,
    ExpectHTTPSConnectionPool,
    configure_pool,
)
from .errors import as_requests_error
from .tunnel import ConnectNegotiator, TunnelAuthHTTPSConnection

__all__ = [
    "AuthProxyManager",
    "TunnelAuthHTTPSConnectionPool",
    "build_proxy_manager",
    "proxy_userinfo",
    "strip_userinfo",
]


class _TunnelRefused(Exception):
    """Carries a tunnel's authentication error past urllib3's retry and wrapping machinery."""

    def __init__(self, error: RequestsDAVError) -> None:
        super().__init__(str(error))
        self.error = error


class TunnelAuthHTTPSConnectionPool(ExpectHTTPSConnectionPool):
    """An HTTPS pool through a proxy whose connections answer 407 on CONNECT.

    A refused CONNECT is not retried by urllib3 (``Retry`` counts connection
    errors; credentials do not get better by repetition) and reaches
    requests as the
    :class:`~requests_dav.exceptions.ProxyTunnelAuthenticationError` itself
    (which requests then wraps in ``ConnectionError``; see
    :func:`requests_dav.transport.proxy.tunnel_error`).
    """

    ConnectionCls = TunnelAuthHTTPSConnection
    negotiator: Optional[ConnectNegotiator] = None
    connect_lock: Optional[threading.Lock] = None

    def _new_conn(self, *args: Any, **kwargs: Any) -> Any:
        conn = super()._new_conn(*args, **kwargs)
        if isinstance(conn, TunnelAuthHTTPSConnection):
            conn.negotiator = self.negotiator
            conn.connect_lock = self.connect_lock
        return conn

    def _prepare_proxy(self, conn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            super()._prepare_proxy(conn, *args, **kwargs)
        except RequestsDAVError as exc:
            raise _TunnelRefused(exc) from None
        except AuthCoreError as exc:
            raise _TunnelRefused(as_requests_error(exc)) from exc

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> BaseHTTPResponse:
        """urllib3's ``urlopen``; never carries ``Proxy-Authorization`` into a tunnel."""
        if self.proxy is not None and connection_requires_http_tunnel(
            self.proxy, self.proxy_config, self.scheme
        ):
            if len(args) >= 2:
                args = (args[0], _without_proxy_authorization(args[1]), *args[2:])
            elif kwargs.get("headers") is not None:
                kwargs["headers"] = _without_proxy_authorization(kwargs["headers"])
        try:
            return super().urlopen(method, url, *args, **kwargs)
        except _TunnelRefused as carrier:
            raise carrier.error from None


class AuthProxyManager(ConfiguringPoolManager, ProxyManager):
    """urllib3's ``ProxyManager`` with :class:`TunnelAuthHTTPSConnectionPool` for HTTPS.

    Both pools honour ``Expect: 100-continue`` (:mod:`requests_dav.transport.expect`),
    waiting at most ``expect_timeout`` seconds for ``100 Continue``. One
    ``connect_lock`` per manager (per proxy) orders the first CONNECT of
    concurrent tunnels; see :meth:`TunnelAuthHTTPSConnection._first_round`.
    """

    def __init__(
        self,
        proxy_url: str,
        *,
        negotiator: ConnectNegotiator,
        expect_timeout: float = DEFAULT_EXPECT_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(proxy_url, **kwargs)
        self.negotiator = negotiator
        self.expect_timeout = expect_timeout
        self.connect_lock = threading.Lock()
        self.pool_classes_by_scheme = {
            "http": ExpectHTTPConnectionPool,
            "https": TunnelAuthHTTPSConnectionPool,
        }

    def _configure_pool(self, pool: HTTPConnectionPool) -> None:
        super()._configure_pool(pool)
        configure_pool(pool, self.expect_timeout)
        if isinstance(pool, TunnelAuthHTTPSConnectionPool):
            pool.negotiator = self.negotiator
            pool.connect_lock = self.connect_lock


def build_proxy_manager(
    proxy: str,
    *,
    negotiator: ConnectNegotiator,
    expect_timeout: float = DEFAULT_EXPECT_TIMEOUT,
    **proxy_kwargs: Any,
) -> PoolManager:
    """The pool manager for ``proxy``, as ``HTTPAdapter.proxy_manager_for`` would build it.

    ``proxy_kwargs`` are passed on (``num_pools``, ``maxsize``, ``block``,
    ``proxy_headers``, TLS options ...). ``socks`` proxies get exactly what
    requests gives them (a ``SOCKSProxyManager``, credentials from the URL).
    For HTTP(S) proxies the manager is built on the URL without userinfo
    (no password in urllib3's error messages) and any ``Proxy-Authorization``
    in ``proxy_headers`` is dropped: proxy credentials come from the
    negotiator's store, where the adapter registers the URL's userinfo
    (:func:`proxy_userinfo`). ``expect_timeout`` bounds the wait for
    ``100 Continue`` (not for SOCKS proxies, whose connections are urllib3's).
    """
    if proxy.lower().startswith("socks"):
        from requests.adapters import SOCKSProxyManager, get_auth_from_url

        username, password = get_auth_from_url(proxy)
        manager: PoolManager = SOCKSProxyManager(
            proxy, username=username, password=password, **proxy_kwargs
        )
        return manager
    headers = proxy_kwargs.pop("proxy_headers", None)
    return AuthProxyManager(
        strip_userinfo(proxy),
        negotiator=negotiator,
        expect_timeout=expect_timeout,
        proxy_headers=_without_proxy_authorization(headers or {}),
        **proxy_kwargs,
    )


def proxy_userinfo(proxy: str) -> Optional[Tuple[str, str, str]]:
    """``(proxy URL without userinfo, username, password)``, percent-decoded; None without user.

    ``http://alice:s3cret@127.0.0.1:3128`` gives
    ``("http://127.0.0.1:3128", "alice", "s3cret")``; a user without a
    password gets ``""``. Percent-escapes are decoded as UTF-8, as requests'
    ``get_auth_from_url`` does.
    """
    url = proxy if "://" in proxy else f"http://{proxy}"
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    if not at:
        return None
    username, _, password = userinfo.partition(":")
    if not username:
        return None
    return strip_userinfo(url), unquote(username), unquote(password)


def strip_userinfo(proxy: str) -> str:
    """``scheme://host[:port]`` of a proxy URL: no userinfo, path, query or fragment."""
    url = proxy if "://" in proxy else f"http://{proxy}"
    parts = urlsplit(url)
    hostport = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{hostport}"


def _without_proxy_authorization(headers: Mapping[str, str]) -> MutableMapping[str, str]:
    """A copy of ``headers`` (same mapping type when it can be copied) minus Proxy-Authorization."""
    copy: MutableMapping[str, str]
    copier = getattr(headers, "copy", None)
    copied = copier() if callable(copier) else None
    copy = copied if isinstance(copied, MutableMapping) else dict(headers)
    for name in [key for key in copy if key.lower() == "proxy-authorization"]:
        del copy[name]
    return copy
