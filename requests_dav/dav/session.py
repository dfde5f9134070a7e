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
    origin (``auth=("", TICKET_CACHE)``: Kerberos tickets from the credential cache, for
    ``Negotiate``); a :class:`Credentials` store is used as it is; anything else (any requests auth)
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

import dataclasses
import warnings
from collections import deque
from typing import (
    Any,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
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
from .trees import TreeMethods


class DAVSession(TreeMethods, LockMethods):
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
        every property's status: the failures and the 424s they caused) if any failed, and
        also when the server's 207 gives no status for a property that was sent (its
        ``unanswered``; RFC 4918 section 9.2.1 requires one for each): a server that
        answers under other names (SabreDAV 1.8 turns ``urn:DAV`` into ``DAV:``) must not
        pass for a success.
        """
        body = requestbodies.proppatch(set, remove, operations=operations)
        response = self._send("PROPPATCH", path, body=body)
        ops = operations or requestbodies.proppatch_operations(set, remove)
        sent = list(dict.fromkeys(_clark(name) for _kind, name, _v in ops))
        if response.status_code in (200, 204) and not response.content:
            return PropPatchResult({name: response.status_code for name in sent})
        multistatus = self._expect_207(response, "PROPPATCH")
        statuses: Dict[str, int] = {}
        whole: Optional[Tuple[str, int]] = None  # a response-level status, no propstat
        for item in multistatus:
            for propstat in item.propstats:
                for name in propstat.props:
                    statuses[name] = int(propstat.status)
            if item.status is not None and not item.propstats:
                whole = (str(item.url), int(item.status))
        unanswered = [name for name in sent if name not in statuses]
        if whole is not None and not statuses:
            if 200 <= whole[1] < 300:
                return PropPatchResult({name: whole[1] for name in sent}, multistatus)
            statuses, unanswered = {whole[0]: whole[1]}, []
        failed = {k: v for k, v in statuses.items() if not 200 <= v < 300}
        if failed or unanswered:
            details = [f"{k} {v}" for k, v in failed.items()]
            if unanswered:
                others = [name for name in statuses if name not in sent]
                details.append(
                    "no status for "
                    + ", ".join(unanswered)
                    + (f" (answered instead for {', '.join(others)})" if others else "")
                )
            raise errors.PropPatchError(
                f"PROPPATCH {response.url} failed: {'; '.join(details)}",
                statuses=statuses,
                unanswered=unanswered,
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
        result = write_result(response, url=headers["Destination"])
        if not overwrite and not result.created and 200 <= response.status_code < 300:
            # With Overwrite: F a success means nothing was there before (RFC 4918 section
            # 10.6), whatever the status says: lighttpd answers 200 for a new collection.
            result = dataclasses.replace(result, created=True)
        return result

    def copy(
        self, src: Target, dst: Target, depth: Depth = "infinity", overwrite: bool = True
    ) -> WriteResult:
        """COPY (RFC 4918 section 9.8) with an absolute, encoded ``Destination``.

        ``created`` tells 201 (new) from 204 (replaced); ``overwrite=False`` makes an existing
        destination fail with :class:`errors.PreconditionFailedError` (412), and a success
        with it is always ``created`` (some servers, lighttpd for collections, answer 200
        either way: with the default ``overwrite=True`` a 200 says nothing about the
        destination's previous state, and ``created`` is False); a 207 raises
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
        from None. ``truncated`` tells a 507 for the collection itself (section 3.6), and
        also an answer to a request with ``limit`` that holds exactly ``limit`` members: a
        server may cut there without the 507 (Xandikos 0.4 does, and its new token skips
        what was cut), so a full answer cannot be told from a complete one; resync without
        ``limit`` (or with a larger one) to be sure nothing was missed.
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
        if limit is not None and len(changed) + len(removed) == limit:
            truncated = True
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
        (:meth:`walk`). So are the member collections of an answer that is only one level
        deep: SabreDAV 1.8 serves Depth infinity as Depth 1 without saying so (an answer
        whose member collections are all empty costs one PROPFIND per collection more).
        A missing collection raises :class:`errors.NotFoundError`, also when the server
        says so inside a 207 (Xandikos).
        """
        url = self.url(path)
        if recursive:
            names = _with_resourcetype(props)
            try:
                with self.iter_propfind(url, names, depth="infinity") as stream:
                    items = _members(stream, url)
            except errors.DAVError as exc:
                if not errors.refuses_depth_infinity(exc):
                    raise
                return list(self.walk(url, props))
            if _one_level(items, url):
                origin = Origin.from_url(url)
                for item in [item for item in items if item.is_collection]:
                    member = self._to_descend_into(item, origin)
                    if member is not None:
                        items += self.walk(member, props)
            return items
        with self.iter_propfind(url, props, depth=1) as stream:
            return _members(stream, url)

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
        names = _with_resourcetype(props)
        while pending:
            current = pending.popleft()
            key = hrefs.href_to_path(current, current).rstrip("/")
            if key in seen:
                continue
            seen.add(key)
            with self.iter_propfind(current, names, depth=1) as stream:
                for item in filter(_not_self(current), stream):
                    if item.is_collection:
                        member = self._to_descend_into(item, origin)
                        if member is not None:
                            pending.append(member)
                    yield item

    def _to_descend_into(self, item: DAVResponse, origin: Origin) -> Optional[str]:
        """The URL of a listed collection to list next, or None (with a
        :class:`errors.CrossOriginHrefWarning`) when the server names it on another origin."""
        url = str(item.url)
        try:
            self._check_origin(url, origin, "an href")
        except errors.CrossOriginHrefError as exc:
            warnings.warn(errors.CrossOriginHrefWarning(f"not descended into: {exc}"), stacklevel=3)
            return None
        return url

    def exists(self, path: Target, *, max_response_bytes: Optional[int] = None) -> bool:
        """True when ``path`` is mapped: a Depth 0 PROPFIND (RFC 4918 section 9.1) answered
        207, not 404 (nor a 207 whose response for ``path`` is 404, as Xandikos answers).
        ``max_response_bytes`` as for :meth:`propfind`."""
        try:
            self.info(path, ["resourcetype"], max_response_bytes=max_response_bytes)
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
        by default. :class:`errors.NotFoundError` for a 404, and for a 207 whose response
        for the resource has status 404 (Xandikos answers a missing URL so).
        ``max_response_bytes`` as for :meth:`propfind`."""
        url = self.url(path)
        result = self.propfind(url, props, depth=0, max_response_bytes=max_response_bytes)
        items = list(result)
        found = next((item for item in items if _same(item, url)), None)
        if found is None and len(items) == 1:
            found = items[0]
        if found is None:
            raise errors.DAVError(f"PROPFIND {url} returned no response for the resource")
        if found.status is not None and int(found.status) == 404:
            raise errors.NotFoundError(
                f"404 Not Found for PROPFIND {url} (in a 207 Multi-Status)", multistatus=result
            )
        return found

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
                if not self._is_collection(current):
                    raise errors.ConflictError(
                        f"{current!r} exists and is not a collection"
                    ) from None

    def _is_collection(self, path: str) -> bool:
        """Whether the mapped ``path`` (ending in ``/``) is a collection. A file addressed
        with a trailing slash is refused by some servers (lighttpd: 403, others 404 or 409):
        then the name without the slash is asked."""
        try:
            return self.info(path, ["resourcetype"]).is_collection
        except (errors.ForbiddenError, errors.NotFoundError, errors.ConflictError):
            return self.info(path.rstrip("/"), ["resourcetype"]).is_collection

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


def _with_resourcetype(props: Union[Iterable[str], None]) -> Optional[List[str]]:
    """The property names of a listing, with ``resourcetype`` to tell collections."""
    names = None if props is None else list(props)
    if names is not None and "resourcetype" not in names and "{DAV:}resourcetype" not in names:
        names.append("resourcetype")
    return names


def _members(stream: Iterable[DAVResponse], url: str) -> List[DAVResponse]:
    """The members in a listing of ``url``; a 404 for ``url`` itself means it is missing."""
    items = []
    not_self = _not_self(url)
    for item in stream:
        if not not_self(item):
            if item.status is not None and int(item.status) == 404:
                raise errors.NotFoundError(f"404 Not Found for PROPFIND {url} (in a 207)")
            continue
        items.append(item)
    return items


def _one_level(items: List[DAVResponse], url: str) -> bool:
    """Whether a Depth infinity answer holds nothing below the direct members of ``url``."""
    base = hrefs.href_to_path(url, url).rstrip("/")
    for item in items:
        rest = hrefs.href_to_path(str(item.url), url).rstrip("/")[len(base) :].strip("/")
        if "/" in rest:
            return False
    return True


__all__ = ["DAVSession"]
