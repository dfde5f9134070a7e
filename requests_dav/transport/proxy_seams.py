"""The adapter's seams for proxies: its own urllib3 proxy managers, and proxy userinfo.

HTTPS tunnels through a proxy get a manager whose ``CONNECT`` answers a 407 with the
adapter's negotiator (RFC 9110 section 9.3.6, RFC 7235 section 3.2,
:mod:`requests_dav.transport.proxy`). Userinfo in a proxy URL becomes proxy credentials in
the store instead of a preemptive ``Proxy-Authorization: Basic``: the proxy's own challenge
decides the scheme.
"""

from __future__ import annotations

import threading
from typing import Any, Set, Tuple

from requests.adapters import DEFAULT_POOLBLOCK, DEFAULT_POOLSIZE, HTTPAdapter

from ..auth.credentials import Credentials
from ..auth.flow import Negotiator
from .proxy import build_proxy_manager, proxy_userinfo, strip_userinfo


class ProxySeams(HTTPAdapter):
    """The proxy half of :class:`~requests_dav.transport.adapter.AuthAdapter`."""

    _negotiator: Negotiator
    _credentials: Credentials
    _state_lock: threading.Lock
    _proxy_users: Set[Tuple[str, str]]
    expect_timeout: float

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """urllib3 manager for ``proxy`` whose HTTPS tunnels answer 407 on CONNECT.

        Built by :func:`requests_dav.transport.proxy.build_proxy_manager` with this
        adapter's negotiator; SOCKS proxies get requests' own manager.
        """
        if proxy in self.proxy_manager:
            return self.proxy_manager[proxy]
        if proxy.lower().startswith("socks"):
            return super().proxy_manager_for(proxy, **proxy_kwargs)
        manager = build_proxy_manager(
            proxy,
            negotiator=self._negotiator,
            expect_timeout=self.expect_timeout,
            proxy_headers=self.proxy_headers(proxy),
            num_pools=vars(self).get("_pool_connections", DEFAULT_POOLSIZE),
            maxsize=vars(self).get("_pool_maxsize", DEFAULT_POOLSIZE),
            block=vars(self).get("_pool_block", DEFAULT_POOLBLOCK),
            **proxy_kwargs,
        )
        self.proxy_manager[proxy] = manager
        return manager

    def proxy_headers(self, proxy: str) -> dict[str, str]:
        """No preemptive ``Proxy-Authorization``: userinfo goes to the store as proxy credentials.

        requests would send ``Basic`` built from ``http://user:pass@proxy`` on
        every request; here the proxy's own challenge decides the scheme
        (RFC 7235 section 3.2), Digest included.
        """
        self._register_proxy(proxy)
        return {}

    def _register_proxy(self, proxy: str) -> str:
        """The proxy URL without userinfo; its userinfo is added to the store once."""
        info = proxy_userinfo(proxy)
        if info is None:
            return strip_userinfo(proxy)
        clean, username, password = info
        key = (proxy, clean)
        with self._state_lock:
            if key in self._proxy_users:
                return clean
            self._proxy_users.add(key)
        self._credentials.add_proxy(clean, username, password)
        return clean


__all__ = ["ProxySeams"]
