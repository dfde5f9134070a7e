"""Locks (RFC 4918 sections 6, 9.10, 9.11, 15.8) for :class:`~requests_dav.dav.session.DAVSession`.

LOCK takes a lock and files it in the session's lock store (whose tokens the core sends in the
``If`` header), a LOCK with ``If`` refreshes it, UNLOCK releases it, and lock discovery lists
the active locks of a resource.
"""

from __future__ import annotations

from typing import (
    Any,
    List,
    Optional,
    Union,
)

import requests

from . import errors, requestbodies
from .client import DAVSessionCore, Depth, Target, _depth
from .elements import node as _node  # one element-to-node conversion, linear in attributes
from .locks import Lock, format_timeout, parse_timeout
from .multistatus import MultiStatusParseError
from .properties import ActiveLock, active_lock
from .xmlsafe import iterparse_children


class LockMethods(DAVSessionCore):
    """LOCK, refresh, UNLOCK and lock discovery."""

    def lock(
        self,
        path: Target,
        scope: str = "exclusive",
        depth: Depth = "infinity",
        timeout: Optional[float] = None,
        owner: Any = None,
    ) -> Lock:
        """LOCK (RFC 4918 section 9.10): take a write lock; returns the :class:`Lock`, which
        the lock store remembers (and which unlocks at the end of a ``with`` block).

        ``timeout`` in seconds (``None`` asks for Infinite; the server decides); ``owner`` is
        text, a :class:`requestbodies.Href` or a structured value. Locking an unmapped URL
        creates an empty resource (section 7.3).
        """
        value = _depth(depth)
        if value == "1":
            raise ValueError('LOCK takes depth 0 or "infinity" (RFC 4918 section 9.10.3)')
        url = self.url(path)
        body = requestbodies.lockinfo(scope, owner)
        headers = {"Depth": value, "Timeout": format_timeout(timeout)}
        response = self._send("LOCK", url, body=body, headers=headers)
        header_token = _coded_url(response.headers.get("Lock-Token"))
        active = _active_locks(response)
        chosen = _match_lock(active, header_token)
        token = header_token or (chosen.locktoken if chosen is not None else None)
        if not token:
            raise errors.DAVError(
                f"LOCK {url} succeeded but the server sent no lock token", response=response
            )
        lock = Lock(
            token=token,
            root=url,
            scope=(chosen.scope if chosen and chosen.scope else scope),
            depth=(chosen.depth if chosen and chosen.depth else value),
            timeout=(chosen.timeout if chosen else parse_timeout(response.headers.get("Timeout"))),
            owner=(chosen.owner if chosen and chosen.owner is not None else owner),
            session=self,
        )
        self.lock_store.add(lock)
        return lock

    def refresh(self, lock: Lock, timeout: Optional[float] = None) -> Lock:
        """Refresh a lock (RFC 4918 section 9.10.2): LOCK without a body, the token in ``If``.

        Returns the lock with the timeout the server granted (also stored). A server that
        answers 400 to the tagged ``If`` (lighttpd 1.4) is asked again with the untagged
        ``If: (<token>)`` (RFC 4918 section 10.4.2): the request URL is the lock root, so
        both forms name the same resource.
        """
        headers = {
            "If": f"<{lock.root}> (<{lock.token}>)",
            "Timeout": format_timeout(timeout if timeout is not None else lock.timeout),
        }
        try:
            response = self._send("LOCK", lock.root, headers=headers)
        except errors.BadRequestError:
            headers["If"] = f"(<{lock.token}>)"
            response = self._send("LOCK", lock.root, headers=headers)
        chosen = _match_lock(_active_locks(response), lock.token)
        granted = (
            chosen.timeout if chosen is not None else parse_timeout(response.headers.get("Timeout"))
        )
        refreshed = Lock(
            token=lock.token,
            root=lock.root,
            scope=lock.scope,
            depth=lock.depth,
            timeout=granted,
            owner=lock.owner,
            type=lock.type,
            session=self,
        )
        self.lock_store.add(refreshed)
        return refreshed

    def unlock(self, lock: Union[Lock, str], path: Optional[Target] = None) -> None:
        """UNLOCK (RFC 4918 section 9.11) with ``Lock-Token``; forgets the lock.

        ``lock`` is a :class:`Lock`, or a token string together with ``path`` (e.g. a lock
        found with :meth:`locks`). A lock the server no longer knows (409, 412) is
        forgotten too, and the error raised.
        """
        if isinstance(lock, Lock):
            token, url = lock.token, lock.root
        else:
            if path is None:
                stored = self.lock_store.find(lock)
                if stored is None:
                    raise ValueError("unlock(token) needs the path of the locked resource")
                url = stored.root
            else:
                url = self.url(path)
            token = lock
        try:
            self._send("UNLOCK", url, headers={"Lock-Token": f"<{token}>"})
        except (errors.ConflictError, errors.PreconditionFailedError, errors.NotFoundError):
            self.lock_store.remove(token)
            raise
        self.lock_store.remove(token)

    def locks(self, path: Target = "") -> List[Any]:
        """Lock discovery (RFC 4918 section 15.8): the active locks on ``path``, as the
        server's typed ``lockdiscovery`` entries (they include locks held by others)."""
        result = self.propfind(path, ["lockdiscovery"], depth=0)
        for item in result:
            value = item.props.get("{DAV:}lockdiscovery")
            return list(value or [])
        return []


def _coded_url(value: Optional[str]) -> Optional[str]:
    """The token inside a ``Lock-Token`` Coded-URL ``<token>`` (RFC 4918 section 10.5)."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return value.strip() or None


def _active_locks(response: requests.Response) -> List[ActiveLock]:
    """The ``activelock`` entries of a LOCK response body (RFC 4918 section 9.10.1:
    a ``DAV:prop`` with the ``lockdiscovery`` of the resource)."""
    if not response.content:
        return []
    found: List[ActiveLock] = []
    try:
        for element in iterparse_children([response.content], root_tag="{DAV:}prop"):
            if element.tag == "{DAV:}lockdiscovery":
                found += [
                    active_lock(_node(child))
                    for child in element
                    if child.tag == "{DAV:}activelock"
                ]
    except MultiStatusParseError:
        return []
    return found


def _match_lock(locks: List[ActiveLock], token: Optional[str]) -> Optional[ActiveLock]:
    if token:
        for lock in locks:
            if lock.locktoken == token:
                return lock
    return locks[0] if len(locks) == 1 else None


__all__ = ["LockMethods"]
