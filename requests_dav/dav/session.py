"""``DAVSession``: a :class:`requests.Session` that speaks WebDAV (RFC 4918, RFC 6578).

Paths
    Every method takes a *decoded* path relative to the session's base URL (``"a b/c#1.txt"``
    names exactly that file; it is percent-encoded with :func:`hrefs.quote_path`).
    ``"/x"`` and ``"x"`` both mean ``x`` directly under the base URL, never under the host's
    root, and ``..`` cannot climb above the base. A :class:`DAVResponse` from a listing may be
    passed wherever a path is expected (its URL is used as it is; it must be on the base URL's
    origin). A string that is an absolute URL (``https://...``) is used verbatim, on any
    origin: that is the caller's explicit choice. Plain requests calls (``dav.get("f.txt")``)
    resolve relative paths the same way.

Authentication
    ``auth=(user, password)`` makes a :class:`Credentials` store scoped to the base URL's
    origin; a :class:`Credentials` store is used as it is; anything else (any requests auth)
    becomes ``session.auth``. An :class:`AuthAdapter` is mounted for ``http://`` and
    ``https://`` either way, so challenges are answered with body replay (PEP 268).

Locks
    :meth:`DAVSession.lock` remembers each lock in :attr:`DAVSession.lock_store`; every
    state-changing request (PUT, DELETE, PROPPATCH, MKCOL, COPY, MOVE, LOCK, PATCH, POST)
    prepared by this session gets the tagged-list ``If`` header (RFC 4918 section 10.4) for
    the locks that cover its URL, the members it affects, and the Destination of COPY/MOVE.

Errors
    Every WebDAV method raises a :class:`~requests_dav.dav.errors.DAVError` subclass for a
    failure (status >= 400, or failures inside a 207), never a silent success.
"""

from __future__ import annotations

import warnings
from collections import deque
from typing import (
    Any,
    Deque,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from ..auth.urls import Origin
from . import errors, hrefs, requestbodies
from .capabilities import Capabilities
from .client import Depth, Target, _depth, _first_error, _not_self, _same
from .locking import LockMethods
from .multistatus import (
    DAVResponse,
    MultiStatus,
)
from .results import PropfindStream, PropPatchResult, SyncResult, WriteResult, write_result
from .transfers import TransferMethods


class DAVSession(TransferMethods, LockMethods):
    """A requests session for one WebDAV server (RFC 4918); see the module docstring.

    ``DAVSession(base_url, auth=None, *, max_replay_bytes=..., credentials=None,
    max_response_bytes=64 MiB, **kw)``: ``kw`` goes to the :class:`AuthAdapter` (pool sizes,
    retries, ``registry``, ``options``). ``max_response_bytes`` bounds the decoded body a
    method returning a whole result reads (None: no limit); see :doc:`/security`.
    """

    # -- RFC 4918 methods -------------------------------------------------------------------

    def options(self, url: Any = "", **kwargs: Any) -> Any:
        """OPTIONS (RFC 9110 section 9.3.7, RFC 4918 section 10.1) -> :class:`Capabilities`.

        With keyword arguments this is requests' ``Session.options`` and returns the
        response.
        """
        if kwargs:
            return super().options(self.url(url), **kwargs)
        response = self._send("OPTIONS", url)
        return Capabilities.from_headers(response.headers, response.status_code)

    def iter_propfind(
        self,
        path: Target = "",
        props: Union[str, Iterable[str], None] = None,
        depth: Depth = 1,
        include: Optional[Iterable[str]] = None,
    ) -> PropfindStream:
        """PROPFIND with ``stream=True``: the responses one by one, bounded memory.

        The request is sent (and an error raised) at once; the body is parsed as it is
        iterated. See :class:`PropfindStream`.
        """
        body = requestbodies.propfind(props, include)
        response = self._send(
            "PROPFIND", path, body=body, headers={"Depth": _depth(depth)}, stream=True
        )
        if response.status_code != 207:
            response.close()
            raise errors.DAVError(
                f"PROPFIND answered {response.status_code}, expected 207 Multi-Status",
                response=response,
            )
        return PropfindStream(response, response.url)

    def proppatch(
        self,
        path: Target,
        set: Optional[Mapping[str, requestbodies.PropertyValue]] = None,
        remove: Optional[Iterable[str]] = None,
        *,
        operations: Optional[Sequence[requestbodies.Operation]] = None,
    ) -> PropPatchResult:
        """PROPPATCH (RFC 4918 section 9.2): set then remove, in order; all or nothing.

        Returns every property's status; raises :class:`errors.PropPatchError` (carrying
        every property's status: the failures and the 424s they caused) if any failed.
        """
        body = requestbodies.proppatch(set, remove, operations=operations)
        response = self._send("PROPPATCH", path, body=body)
        if response.status_code in (200, 204) and not response.content:
            ops = operations or requestbodies.proppatch_operations(set, remove)
            statuses = {_clark(name): response.status_code for _kind, name, _v in ops}
            return PropPatchResult(statuses)
        multistatus = self._expect_207(response, "PROPPATCH")
        statuses = {}
        for item in multistatus:
            for propstat in item.propstats:
                for name in propstat.props:
                    statuses[name] = int(propstat.status)
            if item.status is not None and not 200 <= int(item.status) < 300 and not statuses:
                statuses[str(item.url)] = int(item.status)
        failed = {k: v for k, v in statuses.items() if not 200 <= v < 300}
        if failed:
            detail = ", ".join(f"{k} {v}" for k, v in failed.items())
            raise errors.PropPatchError(
                f"PROPPATCH {response.url} failed: {detail}",
                statuses=statuses,
                response=response,
                multistatus=multistatus,
                error=_first_error(multistatus),
            )
        return PropPatchResult(statuses, multistatus)

    def mkcol(self, path: Target) -> WriteResult:
        """MKCOL (RFC 4918 section 9.3): 405 if something exists there, 409 if the parent is
        missing."""
        response = self._send("MKCOL", path)
        return write_result(response)

    def delete(self, url: Target, **kwargs: Any) -> Any:  # type: ignore[override]
        """DELETE (RFC 4918 section 9.6); a 207 (members that could not be deleted) raises
        :class:`errors.MultiStatusError`. With keyword arguments: requests' ``delete``."""
        if kwargs:
            return super().delete(self.url(url), **kwargs)
        response = self._send("DELETE", url)
        return response

    def _transfer(
        self, method: str, src: Target, dst: Target, depth: Optional[str], overwrite: bool
    ) -> WriteResult:
        headers = {"Destination": self.url(dst), "Overwrite": "T" if overwrite else "F"}
        if depth is not None:
            headers["Depth"] = depth
        response = self._send(method, src, headers=headers)
        return write_result(response, url=headers["Destination"])

    def copy(
        self, src: Target, dst: Target, depth: Depth = "infinity", overwrite: bool = True
    ) -> WriteResult:
        """COPY (RFC 4918 section 9.8) with an absolute, encoded ``Destination``.

        ``created`` tells 201 (new) from 204 (replaced); ``overwrite=False`` makes an existing
        destination fail with :class:`errors.PreconditionFailedError` (412); a 207 raises
        :class:`errors.MultiStatusError`. ``depth`` is 0 or ``"infinity"`` for collections.
        """
        value = _depth(depth)
        if value == "1":
            raise ValueError('COPY takes depth 0 or "infinity" (RFC 4918 section 9.8.3)')
        return self._transfer("COPY", src, dst, value, overwrite)

    def move(self, src: Target, dst: Target, overwrite: bool = True) -> WriteResult:
        """MOVE (RFC 4918 section 9.9; always Depth infinity); see :meth:`copy`."""
        return self._transfer("MOVE", src, dst, "infinity", overwrite)

    # -- REPORT (RFC 3253 section 3.6, RFC 6578) --------------------------------------------

    def report(
        self,
        path: Target,
        body: Union[bytes, requestbodies.Element],
        depth: Depth = 0,
        *,
        max_response_bytes: Optional[int] = None,
    ) -> MultiStatus:
        """REPORT (RFC 3253 section 3.6) with any body -> :class:`MultiStatus`.

        ``max_response_bytes`` as for :meth:`propfind`."""
        data = body if isinstance(body, bytes) else requestbodies.document(body)
        response = self._send(
            "REPORT",
            path,
            body=data,
            headers={"Depth": _depth(depth)},
            max_bytes=max_response_bytes,
        )
        return self._expect_207(response, "REPORT")

    def sync_collection(
        self,
        path: Target = "",
        sync_token: Optional[str] = None,
        props: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        level: Union[int, str] = 1,
        *,
        max_response_bytes: Optional[int] = None,
    ) -> SyncResult:
        """The ``sync-collection`` REPORT (RFC 6578 section 3).

        ``sync_token`` None starts an initial sync. An expired or unknown token raises
        :class:`errors.InvalidSyncTokenError` (``valid-sync-token``, section 3.2): resync
        from None. ``truncated`` tells a 507 for the collection itself (section 3.6).
        ``max_response_bytes`` as for :meth:`propfind`.
        """
        body = requestbodies.sync_collection(sync_token, props, sync_level=level, limit=limit)
        url = self.url(path)
        response = self._send(
            "REPORT", url, body=body, headers={"Depth": "0"}, max_bytes=max_response_bytes
        )
        multistatus = self._expect_207(response, "sync-collection REPORT")
        changed: List[DAVResponse] = []
        removed: List[DAVResponse] = []
        truncated = False
        for item in multistatus:
            status = int(item.status) if item.status is not None else None
            if status == 507 and hrefs.same_path(
                hrefs.href_to_path(str(item.url), url), hrefs.href_to_path(url, url)
            ):
                truncated = True
            elif status == 404:
                removed.append(item)
            else:
                changed.append(item)
        return SyncResult(multistatus.sync_token, changed, removed, truncated, multistatus)

    # -- convenience for scripts -------------------------------------------------------------

    def ls(
        self,
        path: Target = "",
        recursive: bool = False,
        props: Union[Iterable[str], None] = None,
    ) -> List[DAVResponse]:
        """The members of a collection (not the collection itself), as :class:`DAVResponse`.

        ``recursive=True`` asks for Depth infinity; a server that refuses it
        (403 ``{DAV:}propfind-finite-depth``, RFC 4918 section 9.1) is walked level by level
        (:meth:`walk`).
        """
        url = self.url(path)
        if recursive:
            try:
                with self.iter_propfind(url, props, depth="infinity") as stream:
                    return list(filter(_not_self(url), stream))
            except errors.DAVError as exc:
                if not _refuses_infinity(exc):
                    raise
            return list(self.walk(url, props))
        with self.iter_propfind(url, props, depth=1) as stream:
            return list(filter(_not_self(url), stream))

    def walk(
        self, path: Target = "", props: Union[Iterable[str], None] = None
    ) -> Iterator[DAVResponse]:
        """Everything below a collection, breadth first, one Depth 1 PROPFIND per
        collection (for servers that refuse Depth infinity).

        Only collections on the origin of ``path`` are descended into: a member the server
        names on another origin is yielded as listed, with a
        :class:`errors.CrossOriginHrefWarning`, and no request goes there."""
        start = self.url(path)
        origin = Origin.from_url(start)
        pending: Deque[str] = deque([start])
        seen = set()
        names = None if props is None else list(props)
        if names is not None and "resourcetype" not in names and "{DAV:}resourcetype" not in names:
            names.append("resourcetype")
        while pending:
            current = pending.popleft()
            key = hrefs.href_to_path(current, current).rstrip("/")
            if key in seen:
                continue
            seen.add(key)
            with self.iter_propfind(current, names, depth=1) as stream:
                for item in filter(_not_self(current), stream):
                    if item.is_collection:
                        url = str(item.url)
                        try:
                            self._check_origin(url, origin, "an href")
                        except errors.CrossOriginHrefError as exc:
                            warnings.warn(
                                errors.CrossOriginHrefWarning(f"not descended into: {exc}"),
                                stacklevel=2,
                            )
                        else:
                            pending.append(url)
                    yield item

    def exists(self, path: Target, *, max_response_bytes: Optional[int] = None) -> bool:
        """True when ``path`` is mapped: a Depth 0 PROPFIND (RFC 4918 section 9.1) answered
        207, not 404. ``max_response_bytes`` as for :meth:`propfind`."""
        try:
            self.propfind(path, ["resourcetype"], depth=0, max_response_bytes=max_response_bytes)
        except errors.NotFoundError:
            return False
        return True

    def info(
        self,
        path: Target,
        props: Union[str, Iterable[str], None] = None,
        *,
        max_response_bytes: Optional[int] = None,
    ) -> DAVResponse:
        """The properties of one resource: Depth 0 PROPFIND (RFC 4918 section 9.1), allprop
        by default. ``max_response_bytes`` as for :meth:`propfind`."""
        url = self.url(path)
        result = self.propfind(url, props, depth=0, max_response_bytes=max_response_bytes)
        items = list(result)
        for item in items:
            if _same(item, url):
                return item
        if len(items) == 1:
            return items[0]
        raise errors.DAVError(f"PROPFIND {url} returned no response for the resource")

    def makedirs(self, path: Target, exist_ok: bool = True) -> None:
        """Create a collection and any missing parents (MKCOL one level at a time).

        An existing collection is fine when ``exist_ok``; an existing non-collection raises
        :class:`errors.ConflictError`-like errors from the server."""
        relative = self.path(path).strip("/")
        if not relative:
            return
        parts = relative.split("/")
        for index in range(len(parts)):
            current = "/".join(parts[: index + 1]) + "/"
            last = index == len(parts) - 1
            try:
                self.mkcol(current)
            except errors.MethodNotAllowedError:
                # 405: something is mapped there already (RFC 4918 section 9.3.1).
                if last and not exist_ok:
                    raise
                if not self.info(current, ["resourcetype"]).is_collection:
                    raise errors.ConflictError(
                        f"{current!r} exists and is not a collection"
                    ) from None

    def rmtree(self, path: Target, missing_ok: bool = False) -> None:
        """Delete a collection and everything in it (DELETE is Depth infinity, RFC 4918
        section 9.6.1); a 207 raises :class:`errors.MultiStatusError`."""
        try:
            self.delete(path)
        except errors.NotFoundError:
            if not missing_ok:
                raise


# -- helpers -------------------------------------------------------------------------------


def _clark(name: str) -> str:
    return requestbodies.clark(name)


def _refuses_infinity(exc: errors.DAVError) -> bool:
    """A server that will not do Depth infinity: 403 propfind-finite-depth (RFC 4918
    section 9.1); some answer 400/501 or a bare 403 instead."""
    if exc.has_condition(errors.PROPFIND_FINITE_DEPTH):
        return True
    return exc.status in (400, 403, 501)


__all__ = ["DAVSession"]
