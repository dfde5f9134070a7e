"""Pinned connections for connection-bound schemes (NTLM, Negotiate), on the adapter's side.

Every leg of a handshake goes on the connection that carried the previous one, and the
connection it authenticated serves only that credential (the pools are in
:mod:`requests_dav.transport.pinning`). Forgetting credentials closes what they authenticated.
"""

from __future__ import annotations

import threading
from typing import (
    Any,
    Mapping,
    Optional,
)

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from urllib3 import PoolManager

from ..auth.credentials import Credentials
from ..auth.flow import Negotiator
from ..auth.messages import AuthRequest
from ..auth.types import Credential
from ..auth.urls import Origin
from .pinning import PinKey, PinnedPool, PinnedPools, pinned_manager
from .proxy import strip_userinfo
from .send_state import SendState


class ConnectionPinning(HTTPAdapter):
    """The pinned-pool half of :class:`~requests_dav.transport.adapter.AuthAdapter`."""

    _negotiator: Negotiator
    _credentials: Credentials
    _pinned_pools: PinnedPools
    _pinned: threading.local
    expect_timeout: float
    bound_connection_wait: float

    def get_connection_with_tls_context(
        self,
        request: PreparedRequest,
        verify: Any,
        proxies: Optional[Mapping[str, str]] = None,
        cert: Any = None,
    ) -> Any:
        """requests' pool lookup, or the pinned pool while this thread sends a pinned leg."""
        manager = getattr(self._pinned, "manager", None)
        if manager is None:
            return super().get_connection_with_tls_context(
                request, verify, proxies=proxies, cert=cert
            )
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        return manager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)

    def get_connection(self, url: Any, proxies: Optional[Mapping[str, str]] = None) -> Any:
        """The same for requests < 2.32.2, whose ``send`` calls this instead."""
        manager = getattr(self._pinned, "manager", None)
        if manager is None:
            return super().get_connection(url, proxies)
        return manager.connection_from_url(url)

    def _pinned_manager(self, key: PinKey) -> PoolManager:
        """The one-connection pool manager of ``key`` (direct, or through its proxy)."""
        return pinned_manager(
            key.proxy,
            negotiator=self._negotiator,
            expect_timeout=self.expect_timeout,
            bound_wait=self.bound_connection_wait,
            **self.poolmanager.connection_pool_kw,
        )

    def _pin_key(
        self, state: SendState, side: str, credential: Optional[Credential]
    ) -> Optional[PinKey]:
        """Whom a connection-bound handshake on ``side`` authenticates this connection to."""
        if credential is None:
            return None
        if side == "proxy":
            assert state.proxy is not None
            return PinKey("proxy", state.peer, credential, state.proxy)
        return PinKey("origin", state.peer, credential, state.proxy)

    def _known_pinned_pool(self, state: SendState) -> Optional[PinnedPool]:
        """The pinned pool authenticated for the credential the store gives this request now.

        Origin side for direct requests and HTTPS tunnels, proxy side for a
        forward proxy; ``None`` when there is none (the common case, cheaply).
        """
        if not len(self._pinned_pools):
            return None
        if state.forward_proxy:
            assert state.proxy is not None
            key = self._pin_key(state, "proxy", self._credentials.find(state.proxy, proxy=True))
        else:
            key = self._pin_key(state, "origin", self._credentials.find(state.url))
        return self._pinned_pools.find(key) if key is not None else None

    def _forgotten(self, origin: Optional[Origin], proxy: bool) -> None:
        """P5: credentials forgotten (or all cleared) close what they authenticated.

        The pinned connections authenticated to that origin or proxy, and for
        a proxy also the tunnels through it (a tunnel is authenticated to the
        proxy once, on ``CONNECT``, and would otherwise go on serving requests
        as the forgotten user).
        """
        if origin is None:
            self._pinned_pools.close()
            for manager in list(self.proxy_manager.values()):
                manager.clear()
            return
        side = "proxy" if proxy else "origin"

        def dropped(key: PinKey) -> bool:
            if key.side == side and key.peer == origin:
                return True
            # a tunnel through the forgotten proxy was authenticated to it on CONNECT
            return proxy and key.proxy is not None and Origin.from_url(key.proxy) == origin

        self._pinned_pools.close(dropped)
        if proxy:
            for url, manager in list(self.proxy_manager.items()):
                if (
                    not url.lower().startswith("socks")
                    and Origin.from_url(strip_userinfo(url)) == origin
                ):
                    manager.clear()

    @staticmethod
    def _use_pool(state: SendState, pool: Optional[PinnedPool]) -> None:
        """Send this flow's next legs on ``pool`` (holding its lock), or on the shared pools."""
        if state.locked is pool:
            state.bound = pool
            return
        if state.locked is not None:
            state.locked.lock.release()
            state.locked = None
        if pool is not None:
            pool.lock.acquire()
            state.locked = pool
        state.bound = pool

    def _pin(self, state: SendState, outgoing: AuthRequest) -> None:
        """Choose the pool for the leg ``outgoing`` (P1: a handshake stays on one connection)."""
        if outgoing.bound_side is None:
            return  # not connection-bound: stay where the flow is
        key = self._pin_key(state, outgoing.bound_side, outgoing.bound_credential)
        assert key is not None
        if state.bound is not None and state.bound.key == key:
            return
        self._use_pool(state, self._pinned_pools.get(key))


__all__ = ["ConnectionPinning"]
