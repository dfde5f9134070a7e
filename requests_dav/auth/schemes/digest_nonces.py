"""The server nonces of one Digest authenticator and their counts (RFC 7616 sections 3.3, 3.4).

``nc`` counts the requests made with one nonce; the client increments it for every request
(section 3.4). Most servers accept any count they have not seen, so every request of a space
shares the newest nonce (*shared* mode). A server may instead accept a count only when it is
exactly the next one (section 5.8's replay protection taken strictly: Apache's
``AuthDigestNcCheck On``), which concurrent requests sharing one nonce cannot guarantee: they
reach the server in another order than their counts were taken.

:class:`NoncePool` switches to *exclusive* mode when a space shows it checks counts: a fresh
nonce without ``stale=true`` in answer to a count above 1. From then on:

* each request checks a nonce out of a small pool (at most :data:`NONCE_POOL_MAX` kept) and
  uses it alone; :meth:`NoncePool.release` gives it back when the request was answered;
* a request that finds every nonce in use gets nothing (:meth:`NoncePool.checkout` returns
  ``None``), goes without credentials and takes the fresh nonce of the challenge it draws;
* the requests this costs are bounded by the space's concurrency: every refusal of an
  out-of-step count and every challenge drawn for the pool spend one unit of a budget equal to
  the most requests seen in flight at once. Once it is spent, a request that finds every nonce
  in use waits (at most :data:`NONCE_WAIT_SECONDS`) for one held by another thread to be given
  back instead of drawing another challenge: N requests from T threads cost at most
  N + T + 1 on the wire, whatever order the first shared counts arrived in;
* the nonce whose count went out of step is retired, never the authenticator;
* what the server counts by is the ``opaque`` when there is one (Apache keeps one count per
  opaque across the nonces it issues with it, and restarts it with each refusal): a nonce is
  only handed out while no other request is in flight on the same count.

Requests are held weakly, so a driver that never releases leaks no request bodies.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, NamedTuple, Optional, Tuple

if TYPE_CHECKING:
    from ..challenge import Challenge
    from ..messages import AuthRequest

__all__ = [
    "LEASES_MAX",
    "NONCE_POOL_MAX",
    "NONCE_WAIT_SECONDS",
    "SEEN_NONCES_MAX",
    "NoncePool",
    "NonceState",
    "Taken",
]

#: How many nonces are remembered as already used (so none is retried twice).
SEEN_NONCES_MAX = 64
#: Exclusive mode: how many server nonces are kept for requests to check out.
NONCE_POOL_MAX = 16
#: How many requests' nonce and count are remembered until their flow releases them.
LEASES_MAX = 1024
#: Exclusive mode, budget spent: how long a request waits for a nonce another thread holds
#: before it draws a challenge of its own anyway.
NONCE_WAIT_SECONDS = 10.0


def qops_of(challenge: Challenge) -> Optional[FrozenSet[str]]:
    """The qop values offered, lower-cased; None when the challenge has no ``qop`` (RFC 2069)."""
    value = challenge.get("qop")
    if value is None:
        return None
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def is_true(value: Optional[str]) -> bool:
    """An auth-param's ``true`` (``stale``, ``userhash``), case-insensitively."""
    return value is not None and value.strip().lower() == "true"


def new_cnonce() -> str:
    """A fresh client nonce: 128 random bits as hex (RFC 7616 section 3.4).

    What ``secrets.token_hex(16)`` gives (the operating system's random source), without
    its two extra calls: one is made for every request.
    """
    return os.urandom(16).hex()


class NonceState:
    """One server nonce and everything tied to it (changed only under the pool's lock)."""

    __slots__ = (
        "algorithm_token",
        "challenge",
        "count",
        "holder",
        "holder_thread",
        "nonce",
        "opaque",
        "qops",
        "retired",
        "session_cnonce",
        "userhash",
    )

    def __init__(self, challenge: Challenge) -> None:
        self.challenge = challenge
        self.algorithm_token = challenge.get("algorithm")  # echoed as received, each request
        self.nonce = challenge.get("nonce") or ""
        self.opaque = challenge.get("opaque")
        self.qops = qops_of(challenge)
        self.userhash = is_true(challenge.get("userhash"))
        self.count = 0
        self.session_cnonce = new_cnonce()
        self.holder: Optional[int] = None  # id() of the request using it alone (exclusive)
        self.holder_thread: Optional[int] = None  # the thread that request runs in
        self.retired = False  # its count is out of step with the server's: never used again

    @property
    def counter(self) -> str:
        """What the server counts by: the ``opaque`` when there is one, else the nonce."""
        return self.opaque or self.nonce

    def renew(self, nonce: str) -> None:
        """Adopt ``nextnonce`` (RFC 7616 section 3.5): a new nonce, the count from 1 again."""
        self.nonce = nonce
        self.count = 0
        self.session_cnonce = new_cnonce()


class Taken(NamedTuple):
    """What one request is authorized with: a consistent snapshot of its nonce state."""

    nc: int
    nonce: str
    opaque: Optional[str]
    userhash: bool
    algorithm_token: Optional[str]
    cnonce: str


class _Lease:
    """The nonce state one request was authorized with, and the count it was sent with."""

    __slots__ = ("fresh", "nc", "request", "state", "thread")

    def __init__(self, request: AuthRequest, state: NonceState, nc: int) -> None:
        self.request = weakref.ref(request)
        self.state = state
        self.nc = nc  # 0: a nonce of its own not yet used; -1: the shared one, count not taken
        self.thread = threading.get_ident()
        self.fresh = False  # needs a nonce of its own: a free one, else one drawn by a challenge


class NoncePool:
    """The nonces of one authenticator and which request uses which (thread-safe)."""

    def __init__(self, challenge: Challenge) -> None:
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)  # a nonce was given back or adopted
        self.state = NonceState(challenge)  # the newest: what shared mode uses
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember(self.state.nonce)
        self._exclusive = False
        self._pool: List[NonceState] = []
        self._leases: OrderedDict[int, _Lease] = OrderedDict()
        # requests between checkout and release (held weakly: one never released is dropped)
        self._in_flight: Dict[int, weakref.ref[AuthRequest]] = {}
        self._peak = 0  # the most requests seen in flight at once
        self._spent = 0  # exclusive mode: count refusals and challenges drawn for the pool

    @property
    def exclusive(self) -> bool:
        """The space checks counts: each nonce serves one request at a time."""
        return self._exclusive

    def seen(self, nonce: str) -> bool:
        """Whether ``nonce`` was already adopted (a nonce is never adopted twice)."""
        with self._lock:
            return nonce in self._seen

    # -- authorizing ---------------------------------------------------------------------------

    def checkout(self, request: AuthRequest, *, exclusive: bool) -> Optional[NonceState]:
        """The nonce state to authorize ``request`` with: the shared one, or in exclusive
        mode its own or a free one of the pool; ``None`` when every one is in use and
        ``exclusive`` (else the newest is shared). With the space's budget spent, waits
        first for a nonce that a request of another thread holds (see the module docstring).
        """
        deadline: Optional[float] = None
        with self._lock:
            self._fly(request)
            while True:
                if not self._exclusive:
                    # recorded before the count is taken: a switch to exclusive mode in between
                    # then knows this request will go out on the shared nonce (see _doomed)
                    self._leases.pop(id(request), None)
                    self._leases[id(request)] = _Lease(request, self.state, -1)
                    return self.state
                state = self._free_for(request)
                if state is not None:
                    return state
                if not exclusive:
                    return self.state
                if self._spent + self._doomed(request) < self._peak or not self._held_elsewhere(
                    request
                ):
                    self._spent += 1
                    return None
                now = time.monotonic()
                if deadline is None:
                    deadline = now + NONCE_WAIT_SECONDS
                elif now >= deadline:
                    self._spent += 1
                    return None
                self._freed.wait(deadline - now)

    def take(self, request: AuthRequest, state: NonceState, *, sess: bool) -> Taken:
        """The next count of ``state`` for ``request``, recorded until :meth:`release`."""
        with self._lock:
            return self._take(request, state, sess)

    def checkout_and_take(
        self,
        request: AuthRequest,
        *,
        sess: bool,
        hashes_body: Callable[[Optional[FrozenSet[str]]], bool],
    ) -> Optional[Tuple[NonceState, Taken]]:
        """:meth:`checkout` then :meth:`take` in one step, for shared mode when nothing is
        done in between (``hashes_body(qops)`` false: no ``auth-int`` body to hash first).

        ``None`` when that is not so (exclusive mode, or a body to hash): nothing is recorded
        and the caller takes the two steps. Otherwise the pool ends up exactly as after the
        two calls made back to back (the count taken at once after the checkout, as it may
        be in the two-step path when no other request runs in between).
        """
        with self._lock:
            if self._exclusive:
                return None
            state = self.state
            if hashes_body(state.qops):
                return None
            self._fly(request)
            return state, self._take(request, state, sess)

    def _take(self, request: AuthRequest, state: NonceState, sess: bool) -> Taken:
        state.count += 1
        taken = Taken(
            state.count,
            state.nonce,
            state.opaque,
            state.userhash,
            state.algorithm_token,
            state.session_cnonce if sess else new_cnonce(),
        )
        self._leases.pop(id(request), None)
        self._leases[id(request)] = _Lease(request, state, taken.nc)
        while len(self._leases) > LEASES_MAX:
            key, dropped = self._leases.popitem(last=False)
            if dropped.state.holder == key:
                dropped.state.holder = None
        return taken

    def release(self, request: AuthRequest) -> None:
        """Give back the nonce ``request`` used alone and forget the count it was sent with."""
        with self._lock:
            self._in_flight.pop(id(request), None)
            lease = self._lease_of(request)
            if lease is None:
                return
            del self._leases[id(request)]
            if lease.state.holder == id(request):
                lease.state.holder = None
                lease.state.holder_thread = None
            if self._pool:  # shared mode keeps no pool
                self._pool = [state for state in self._pool if not state.retired]
                surplus = len(self._pool) - NONCE_POOL_MAX
                if surplus > 0:
                    free = [state for state in self._pool if state.holder is None][:surplus]
                    self._pool = [state for state in self._pool if state not in free]
            if self._exclusive:  # only exclusive mode waits (checkout)
                self._freed.notify_all()

    # -- answers -------------------------------------------------------------------------------

    def adopt_shared_if_new(self, challenge: Challenge) -> bool:
        """The rule without a request: a nonce never used, after ``stale=true`` or a count
        above 1, becomes the shared one."""
        nonce = challenge.get("nonce") or ""
        with self._lock:
            if nonce in self._seen:
                return False
            if not is_true(challenge.get("stale")) and self.state.count <= 1:
                return False
            self._adopt_shared(challenge)
        return True

    def on_request_challenged(self, challenge: Challenge, request: AuthRequest) -> bool:
        """Whether ``request`` should be sent again after ``challenge``; adopts its nonce.

        Judged by the count ``request`` itself was sent with: after a count of 1 without
        ``stale`` it was refused (False); after a higher one the space checks counts and
        exclusive mode starts. A request sent without credentials takes the nonce.
        """
        nonce = challenge.get("nonce") or ""
        stale = is_true(challenge.get("stale"))
        with self._lock:
            if nonce in self._seen:
                return False
            lease = self._lease_of(request)
            if lease is None or lease.fresh:
                if self._exclusive:
                    self._adopt_exclusive(challenge, request)
                    return True
                if not stale and self.state.count <= 1:
                    return False
                self._adopt_shared(challenge)
                return True
            if not stale and lease.nc <= 1:
                return False
            if not stale and not self._exclusive:
                self._exclusive = True
                self.state.retired = True  # the shared nonce: its counts are out of step
            if not self._exclusive:
                self._adopt_shared(challenge)
                return True
            if not stale:
                self._spent += 1  # a count refused out of step: one request the budget pays
            lease.state.retired = True
            counter = challenge.get("opaque") or nonce
            if any(
                other is not lease and not other.fresh and other.state.counter == counter
                for other in self._leases.values()
            ):
                # the server restarted a count that other requests still move: the nonce
                # waits in the pool until they are answered, and request takes another
                self._adopt_exclusive(challenge, None)
                lease.fresh = True
                return True
            self._adopt_exclusive(challenge, request)
        return True

    def next_nonce(self, request: AuthRequest, nextnonce: str) -> None:
        """``nextnonce`` from the answer to ``request`` renews the nonce it used (if unseen)."""
        with self._lock:
            lease = self._lease_of(request)
            own = lease is not None and lease.state.holder == id(request)
            state = lease.state if own and lease is not None else self.state
            if nextnonce != state.nonce and nextnonce not in self._seen:
                state.renew(nextnonce)
                self._remember(nextnonce)

    # -- internals (under the lock) ------------------------------------------------------------

    def _fly(self, request: AuthRequest) -> None:
        """Count ``request`` in flight (until :meth:`release`, or until it is collected).

        A plain dict of weak references that remove their own entry when their request
        dies (what a ``WeakValueDictionary`` does, with a third of its calls: one
        request in flight per Digest request).
        """
        key = id(request)
        flights = self._in_flight
        flights[key] = weakref.ref(request, lambda _ref: flights.pop(key, None))
        self._peak = max(self._peak, len(flights))

    def _lease_of(self, request: AuthRequest) -> Optional[_Lease]:
        lease = self._leases.get(id(request))
        return lease if lease is not None and lease.request() is request else None

    def _free_for(self, request: AuthRequest) -> Optional[NonceState]:
        """Exclusive mode: the nonce ``request`` holds, else a free quiet one, now its own."""
        lease = self._lease_of(request)
        if (
            lease is not None
            and not lease.fresh
            and not lease.state.retired
            and lease.state.holder == id(request)
        ):
            return lease.state
        for state in self._pool:
            if state.holder is None and not state.retired and self._quiet(state, request):
                state.holder = id(request)
                state.holder_thread = threading.get_ident()
                if lease is not None:
                    lease.fresh = False
                return state
        return None

    def _doomed(self, request: AuthRequest) -> int:
        """Requests in flight on a count already out of step: refusals the budget must keep
        room for (one answered 2xx after all gives its room back when it is released)."""
        return sum(
            1
            for key, lease in self._leases.items()
            if key != id(request) and not lease.fresh and lease.nc != 0 and lease.state.retired
        )

    def _held_elsewhere(self, request: AuthRequest) -> bool:
        """Whether a request of another thread (a thread never waits for itself) holds a live
        nonce of the pool or is in flight on the count of one: it will be answered and give
        the nonce back, or leave it quiet."""
        me = threading.get_ident()
        live = {state.counter for state in self._pool if not state.retired}
        if any(
            state.holder is not None and state.holder != id(request) and state.holder_thread != me
            for state in self._pool
            if not state.retired
        ):
            return True
        return any(
            key != id(request)
            and lease.thread != me
            and not lease.fresh
            and lease.state.counter in live
            for key, lease in self._leases.items()
        )

    def _quiet(self, state: NonceState, request: AuthRequest) -> bool:
        """No other request is in flight on another nonce the server counts together with
        ``state``'s: its count is then the server's."""
        return not any(
            key != id(request)
            and not lease.fresh  # answered; its next request goes without this count
            and lease.state is not state
            and lease.state.counter == state.counter
            for key, lease in self._leases.items()
        )

    def _adopt_shared(self, challenge: Challenge) -> None:
        self.state = NonceState(challenge)
        self._remember(self.state.nonce)

    def _adopt_exclusive(self, challenge: Challenge, request: Optional[AuthRequest]) -> None:
        """The challenge's nonce joins the pool, checked out to ``request`` (or free)."""
        state = NonceState(challenge)
        for kept in self._pool:
            if kept.counter == state.counter:
                kept.retired = True  # the server restarted that count with this nonce
        self._pool = [kept for kept in self._pool if not kept.retired]
        self._pool.append(state)
        if request is not None:
            state.holder = id(request)
            state.holder_thread = threading.get_ident()
            self._leases.pop(id(request), None)
            self._leases[id(request)] = _Lease(request, state, 0)
        self.state = state
        self._remember(state.nonce)
        self._freed.notify_all()

    def _remember(self, nonce: str) -> None:
        self._seen[nonce] = None
        while len(self._seen) > SEEN_NONCES_MAX:
            self._seen.popitem(last=False)
