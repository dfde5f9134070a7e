"""Connections pinned for connection-bound schemes (NTLM, Negotiate).

NTLM and Negotiate authenticate a connection, not a request ([MS-NTHT]
section 3.2; RFC 4559 section 4): every leg of a handshake must travel on
the connection that carried the previous one, and the connection it
authenticates acts as that user from then on. RFC 9112 section 9.3 lets a
client reuse a persistent connection for any request to the same peer, so a
shared pool would hand an authenticated connection to a request made with
other credentials, or with none (requests-ntlm's long-standing bug).

Each (side, peer, credential, proxy) gets a :class:`PinnedPool`: a pool
manager of its own whose pools hold ONE connection, and a lock held by the
one flow sending on it. The side is who the connection is authenticated to:

* ``"origin"``, direct or inside an HTTPS tunnel through ``proxy`` (the
  tunnel is one TCP connection to the proxy spliced to the origin, so the
  origin's handshake stays on it);
* ``"proxy"``, a forward proxy carrying plain ``http://`` requests: the
  connection to the proxy is authenticated, whatever origin each request
  names.

Reusing the connection is the preemptive step of these schemes: a later
request with the same credential goes on it without ``Authorization``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Dict, List, Optional, Type

from urllib3 import PoolManager
from urllib3.connectionpool import HTTPConnectionPool

from ..auth.types import Credential
from ..auth.urls import Origin
from .expect import (
    ConfiguringPoolManager,
    ExpectHTTPConnectionPool,
    ExpectHTTPSConnectionPool,
    ExpectPoolManager,
)
from .proxy.manager import AuthProxyManager, TunnelAuthHTTPSConnectionPool

__all__ = [
    "BOUND_CONNECTION_WAIT",
    "PinKey",
    "PinnedPool",
    "PinnedPools",
    "pinned_manager",
]

BOUND_CONNECTION_WAIT = 30.0
"""Seconds a request waits for the one connection authenticated for its credential.

A connection-bound scheme (NTLM, Negotiate) authenticates one connection; a
request with the same credential waits for it while another uses it (a
``stream=True`` response not yet read or closed holds it). Past this wait
:class:`~requests_dav.exceptions.BoundConnectionBusyError` is raised instead
of waiting forever. ``AuthAdapter.bound_connection_wait`` overrides it.
"""


class _BoundWait(HTTPConnectionPool):
    """Waits at most ``bound_wait`` seconds for the pool's one connection (never forever)."""

    bound_wait: float = BOUND_CONNECTION_WAIT

    def _get_conn(self, timeout: Optional[float] = None, *args: Any, **kwargs: Any) -> Any:
        wait = self.bound_wait if timeout is None else timeout
        return super()._get_conn(wait, *args, **kwargs)


class _BoundHTTPPool(_BoundWait, ExpectHTTPConnectionPool):
    """The one-connection pool of an ``http://`` origin, or of a forward proxy."""


class _BoundHTTPSPool(_BoundWait, ExpectHTTPSConnectionPool):
    """The one-connection pool of an ``https://`` origin."""


class _BoundTunnelPool(_BoundWait, TunnelAuthHTTPSConnectionPool):
    """The one-connection pool of an ``https://`` origin through a proxy tunnel."""


class _PinnedManager(ConfiguringPoolManager):
    """Builds the pools of :attr:`pinned_pools` and gives each ``bound_wait``.

    Mixed in before a pool manager class, whose own ``__init__`` sets its
    pool classes first: these replace them.
    """

    pinned_pools: ClassVar[Dict[str, Type[HTTPConnectionPool]]]

    def __init__(self, *args: Any, bound_wait: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bound_wait = bound_wait
        self.pool_classes_by_scheme = dict(self.pinned_pools)

    def _configure_pool(self, pool: HTTPConnectionPool) -> None:
        super()._configure_pool(pool)
        if isinstance(pool, _BoundWait):
            pool.bound_wait = self.bound_wait


class _BoundPoolManager(_PinnedManager, ExpectPoolManager):
    """Direct connections: one-connection pools that wait at most ``bound_wait``."""

    pinned_pools = {"http": _BoundHTTPPool, "https": _BoundHTTPSPool}


class _BoundProxyManager(_PinnedManager, AuthProxyManager):
    """Through a proxy: one-connection pools (to the proxy, or one tunnel per origin)."""

    pinned_pools = {"http": _BoundHTTPPool, "https": _BoundTunnelPool}


def pinned_manager(
    proxy: Optional[str],
    *,
    negotiator: Any,
    expect_timeout: float,
    bound_wait: float,
    **pool_kw: Any,
) -> PoolManager:
    """A pool manager whose pools hold one connection (``maxsize=1``, ``block=True``).

    ``proxy`` (a URL without userinfo) routes it through that proxy, whose
    tunnels answer ``407`` on ``CONNECT`` with ``negotiator``. ``pool_kw`` are
    the shared pools' settings (TLS options and the like).
    """
    pool_kw.update(maxsize=1, block=True)
    if proxy is None:
        return _BoundPoolManager(
            num_pools=4, expect_timeout=expect_timeout, bound_wait=bound_wait, **pool_kw
        )
    return _BoundProxyManager(
        proxy,
        negotiator=negotiator,
        expect_timeout=expect_timeout,
        bound_wait=bound_wait,
        num_pools=4,
        **pool_kw,
    )


@dataclass(frozen=True)
class PinKey:
    """Who a pinned connection is authenticated to, as whom, and which way it goes.

    ``side`` is ``"origin"`` or ``"proxy"``; ``peer`` the origin or the
    proxy the handshake authenticated to; ``credential`` the credential it
    used; ``proxy`` the proxy URL (no userinfo) the connection goes through,
    ``None`` for a direct one.
    """

    side: str
    peer: Origin
    credential: Credential
    proxy: Optional[str] = None

    def __repr__(self) -> str:
        via = f" via {self.proxy}" if self.proxy is not None else ""
        return f"<PinKey {self.side} {self.peer} user={self.credential.username!r}{via}>"


class PinnedPool:
    """The connection(s) authenticated for one :class:`PinKey`.

    ``lock`` is held by the one flow using it, from its first leg on it to its
    end, so that no other request slips in between two legs of a handshake.
    """

    def __init__(self, key: PinKey, manager: PoolManager) -> None:
        self.key = key
        self.manager = manager
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<PinnedPool {self.key!r}>"


class PinnedPools:
    """The pinned pools of one adapter, made on demand by ``make_manager(key)``; thread-safe."""

    def __init__(self, make_manager: Callable[[PinKey], PoolManager]) -> None:
        self._make_manager = make_manager
        self._lock = threading.Lock()
        self._pools: Dict[PinKey, PinnedPool] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._pools)

    def __repr__(self) -> str:
        return f"<PinnedPools {len(self)} pinned>"

    def get(self, key: PinKey) -> PinnedPool:
        """The pool of ``key``, created the first time."""
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = PinnedPool(key, self._make_manager(key))
            return pool

    def find(self, key: PinKey) -> Optional[PinnedPool]:
        """The pool of ``key`` if one exists."""
        with self._lock:
            return self._pools.get(key)

    def close(self, matches: Callable[[PinKey], bool] = lambda key: True) -> int:
        """Close and drop the pools whose key ``matches`` (all by default); how many."""
        with self._lock:
            dropped: List[PinnedPool] = [p for k, p in self._pools.items() if matches(k)]
            for pool in dropped:
                del self._pools[pool.key]
        for pool in dropped:
            pool.manager.clear()
        return len(dropped)
