"""Proxy authentication for requests, including the CONNECT of HTTPS tunnels.

RFC 9110 section 9.3.6 (CONNECT), RFC 7235 sections 3.2, 4.3 and 4.4 (407,
``Proxy-Authenticate``, ``Proxy-Authorization``). The adapter calls
:func:`build_proxy_manager` from ``proxy_manager_for`` and
:func:`proxy_userinfo` from ``proxy_headers``; :func:`tunnel_error` finds a
refused tunnel inside the ``ConnectionError`` requests wraps it in.
"""

from __future__ import annotations

from .errors import tunnel_error
from .manager import (
    AuthProxyManager,
    TunnelAuthHTTPSConnectionPool,
    build_proxy_manager,
    proxy_userinfo,
    strip_userinfo,
)
from .tunnel import ConnectNegotiator, TunnelAuthHTTPSConnection

__all__ = [
    "AuthProxyManager",
    "ConnectNegotiator",
    "TunnelAuthHTTPSConnection",
    "TunnelAuthHTTPSConnectionPool",
    "build_proxy_manager",
    "proxy_userinfo",
    "strip_userinfo",
    "tunnel_error",
]
