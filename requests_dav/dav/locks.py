"""Write locks and the client's lock store (RFC 4918 sections 6, 7, 9.10, 10.4).

A :class:`Lock` is a value object: the opaque lock token (RFC 4918 section 6.5: servers use
different forms: Apache ``opaquelocktoken:<uuid>``, WsgiDAV ``opaquelocktoken:0x...``, nginx
``urn:...``, rclone a bare number; nothing here looks inside it), the absolute URL of the lock
root, scope, depth, timeout and owner.

:class:`LockStore` remembers the locks a client holds and builds the tagged-list ``If``
header (RFC 4918 section 10.4.2) that proves it holds them: one ``<resource> (<token>)``
entry per lock that covers a URL the request touches. A lock covers a URL when its root is
that URL, or an ancestor of it and the lock has depth infinity (section 7.4 also makes a
depth-0 lock on a collection protect the collection's membership; see ``membership``).

URLs are compared by origin (scheme, host, port; case-insensitive, default ports filled in)
and percent-decoded path, ignoring one trailing slash, so ``/a%20b/`` and ``/a b`` match.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

from .properties import bounded_int

#: RFC 4918 section 10.7: "Infinite" timeouts are represented as None.
INFINITE = None

_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str) -> Tuple[str, str, int, Tuple[str, ...]]:
    """A comparison key for a URL: origin plus decoded, normalised path segments.

    Empty segments and ``.`` are dropped and ``..`` pops (RFC 3986 section 5.2.4), so a
    trailing slash makes no difference.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = 0
    segments: List[str] = []
    for raw in parts.path.split("/"):
        segment = unquote(raw, errors="surrogateescape")
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return scheme, host, port, tuple(segments)


def is_ancestor(ancestor: str, url: str) -> bool:
    """True when ``ancestor`` is a proper ancestor of ``url`` (same origin)."""
    a, u = url_key(ancestor), url_key(url)
    return a[:3] == u[:3] and len(a[3]) < len(u[3]) and u[3][: len(a[3])] == a[3]


def same_resource(a: str, b: str) -> bool:
    """True when two URLs name the same resource (see :func:`url_key`)."""
    return url_key(a) == url_key(b)


def parent_url(url: str) -> str:
    """The URL of the collection containing ``url`` (itself for the root)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    head = path.rsplit("/", 1)[0] + "/" if "/" in path else "/"
    return parts._replace(path=head, query="", fragment="").geturl()


@dataclass(frozen=True)
class Lock:
    """A WebDAV write lock held by this client (RFC 4918 section 6, ``activelock`` 14.1).

    ``token`` is the opaque lock token (without angle brackets); ``root`` is the absolute URL
    of the lock root; ``scope`` ``"exclusive"`` or ``"shared"``; ``depth`` ``"0"`` or
    ``"infinity"``; ``timeout`` the seconds granted at ``acquired`` (``time.monotonic()``),
    or ``None`` for Infinite; ``owner`` whatever the server reported (text or a structured
    value), or what was sent.

    Returned by :meth:`DAVSession.lock`, a lock is a context manager: leaving the ``with``
    block unlocks it (when the session still holds it).
    """

    token: str
    root: str
    scope: str = "exclusive"
    depth: str = "infinity"
    timeout: Optional[int] = None
    owner: Any = None
    type: str = "write"
    acquired: float = field(default_factory=time.monotonic, compare=False)
    session: Any = field(default=None, compare=False, repr=False)

    def covers(self, url: str) -> bool:
        """True when this lock applies to ``url``: its root, or a member under depth infinity."""
        if same_resource(self.root, url):
            return True
        return self.depth == "infinity" and is_ancestor(self.root, url)

    @property
    def expires_in(self) -> Optional[float]:
        """Seconds until the server may expire the lock (negative once past), None if never."""
        if self.timeout is None:
            return None
        return self.acquired + self.timeout - time.monotonic()

    @property
    def lock_token_header(self) -> str:
        """The ``Lock-Token`` header value (Coded-URL, RFC 4918 section 10.5)."""
        return f"<{self.token}>"

    def with_session(self, session: Any) -> Lock:
        return replace(self, session=session)

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        session = self.session
        if session is None:
            return
        current = session.lock_store.find(self.token)
        if current is not None:
            session.unlock(current)


def parse_timeout(value: Optional[str]) -> Optional[int]:
    """Read a ``Timeout`` value (RFC 4918 section 10.7): ``Second-N`` or ``Infinite``.

    The first recognised entry wins; ``None`` means infinite (or absent). An
    unreadable entry (also one of more than
    :data:`~requests_dav.dav.properties.MAX_INTEGER_DIGITS` digits) is skipped.
    """
    if not value:
        return None
    for item in value.split(","):
        item = item.strip()
        if item.lower() == "infinite":
            return None
        digits = item[7:]
        if item.lower().startswith("second-") and digits.isascii() and digits.isdigit():
            seconds = bounded_int(digits)
            if seconds is not None:
                return seconds
    return None


def format_timeout(timeout: Optional[float]) -> str:
    """A ``Timeout`` request header (RFC 4918 section 10.7): ``Second-N``, or ``Infinite``
    for ``None``. Servers may grant a different timeout; the granted one is in the
    ``lockdiscovery`` of the response.
    """
    if timeout is None:
        return "Infinite"
    seconds = int(timeout)
    if seconds < 0:
        raise ValueError("timeout must be >= 0 seconds")
    return f"Second-{seconds}"


class LockStore:
    """The locks a client holds, by token; thread-safe (one lock around every access).

    It answers which locks a request must submit and builds the ``If`` header for them.
    """

    def __init__(self) -> None:
        self._locks: Dict[str, Lock] = {}
        self._mutex = threading.RLock()

    def __len__(self) -> int:
        with self._mutex:
            return len(self._locks)

    def __iter__(self) -> Any:
        with self._mutex:
            return iter(list(self._locks.values()))

    def __contains__(self, token: object) -> bool:
        with self._mutex:
            return token in self._locks

    def __repr__(self) -> str:
        with self._mutex:
            return f"<LockStore {len(self._locks)} lock(s)>"

    def add(self, lock: Lock) -> None:
        """Remember ``lock`` (replacing a lock with the same token, e.g. after a refresh)."""
        with self._mutex:
            self._locks[lock.token] = lock

    def remove(self, lock_or_token: Any) -> Optional[Lock]:
        """Forget a lock (by object or token); returns what was stored, if anything."""
        token = lock_or_token.token if isinstance(lock_or_token, Lock) else str(lock_or_token)
        with self._mutex:
            return self._locks.pop(token, None)

    def find(self, token: str) -> Optional[Lock]:
        with self._mutex:
            return self._locks.get(token)

    def clear(self) -> None:
        with self._mutex:
            self._locks.clear()

    def locks_for(self, url: str) -> List[Lock]:
        """Locks that cover ``url``: rooted at it, or at an ancestor with depth infinity."""
        with self._mutex:
            return [lock for lock in self._locks.values() if lock.covers(url)]

    def locks_below(self, url: str) -> List[Lock]:
        """Locks rooted strictly inside the collection ``url`` (needed to delete or move it)."""
        with self._mutex:
            return [lock for lock in self._locks.values() if is_ancestor(url, lock.root)]

    def locks_on(self, url: str) -> List[Lock]:
        """Locks rooted exactly at ``url`` (any depth)."""
        with self._mutex:
            return [lock for lock in self._locks.values() if same_resource(lock.root, url)]

    def relevant(self, url: str, *, members: bool = False, membership: bool = False) -> List[Lock]:
        """Locks a request on ``url`` must submit.

        ``members``: the request also affects everything below ``url`` (DELETE, MOVE source,
        COPY/MOVE destination being overwritten). ``membership``: the request adds or removes
        ``url`` in its parent collection, which a depth-0 lock on the parent also protects
        (RFC 4918 section 7.4).
        """
        found = self.locks_for(url)
        if members:
            found += self.locks_below(url)
        if membership:
            found += self.locks_on(parent_url(url))
        unique: Dict[str, Lock] = {}
        for lock in found:
            unique.setdefault(lock.token, lock)
        return list(unique.values())

    def if_header(
        self,
        urls: Iterable[str],
        *,
        members: bool = False,
        membership: bool = False,
    ) -> Optional[str]:
        """The tagged-list ``If`` header (RFC 4918 section 10.4.2) for a request touching
        ``urls`` (the request URL and, for COPY/MOVE, the Destination), or None if no lock
        applies.

        Each entry is tagged with the lock root's URL, the resource the token belongs to:
        ``<http://h/dir/> (<opaquelocktoken:...>)``; several locks on one root are
        alternatives ``(<t1>) (<t2>)``.
        """
        by_root: Dict[str, List[str]] = {}
        order: List[str] = []
        for url in urls:
            for lock in self.relevant(url, members=members, membership=membership):
                tokens = by_root.setdefault(lock.root, [])
                if lock.root not in order:
                    order.append(lock.root)
                if lock.token not in tokens:
                    tokens.append(lock.token)
        if not order:
            return None
        return " ".join(
            f"<{root}> " + " ".join(f"(<{token}>)" for token in by_root[root]) for root in order
        )


def format_if_header(entries: Iterable[Tuple[str, str]]) -> str:
    """A tagged-list ``If`` header from ``(resource_url, token)`` pairs (section 10.4.2)."""
    return " ".join(f"<{url}> (<{token}>)" for url, token in entries)


__all__ = [
    "INFINITE",
    "Lock",
    "LockStore",
    "format_if_header",
    "format_timeout",
    "is_ancestor",
    "parent_url",
    "parse_timeout",
    "same_resource",
    "url_key",
]
