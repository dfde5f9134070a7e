"""Credentials by protection space (RFC 7235 section 2.2; RFC 2617 section 1.2; PEP 268).

A protection space is a canonical root URL (scheme, host, port: :class:`Origin`) plus a realm
(RFC 7235 section 2.2). Before the server has named a realm only the URL is known, so the store
is keyed by ``(scheme, host, port, path prefix)`` and, optionally, a realm (PEP 268's two
lookups). The scheme is part of every key (https credentials never match an http URL); host names
compare case-insensitively; default ports are filled in; path prefixes match on segment
boundaries only (``/foo`` covers ``/foo``, ``/foo/`` and ``/foo/x``, never ``/foobar``; ``/foo/``
covers ``/foo`` too, by convention: see :mod:`requests_dav.auth.urls`).

Proxy credentials are a separate table keyed by the proxy's ``(scheme, host, port)`` (and realm),
the path being always ``/`` (PEP 268): origin lookups never see proxy entries and vice versa.

After a successful exchange the flow *learns* the space: the scheme's authenticator (which holds
the negotiated state, e.g. a Digest nonce) is recorded under every prefix it says it covers (RFC
7617 section 2.2 for Basic, RFC 7616 section 3.3 ``domain`` for Digest), so the next request in
that space is authorized preemptively. A learned prefix never reaches beyond what the user
granted: it is narrowed to the prefix the credential was added for (a Basic challenge on
``/team`` under credentials for ``http://h/team`` learns ``/team``, not ``/``; a Digest
challenge without ``domain`` learns that prefix, not the whole origin), and a prefix outside
the grant is not learned. A refused or stale authenticator is dropped again with
:meth:`Credentials.discard` (draft-ietf-httpbis-p7-auth section 5.1: a client discards
credentials the server rejected).

The store also keeps the *floor* of each space (:meth:`Credentials.raise_floor`,
:meth:`Credentials.floor_for`): the strongest scheme and algorithm that succeeded there. It
survives :meth:`Credentials.discard`, so a forged challenge that makes the flow drop an
authenticator cannot lower it; only :meth:`Credentials.forget` and :meth:`Credentials.clear`
do.

Optionally (``netrc=True``) the store falls back to a netrc file for origin lookups, the way
requests does (:mod:`.netrc_source`).

Whoever holds something authenticated with these credentials beyond the store (an adapter's
connections authenticated by NTLM or Negotiate) registers with :meth:`Credentials.on_forget` and
is told when :meth:`Credentials.forget` or :meth:`Credentials.clear` drops them.

Every public method of :class:`Credentials` takes one re-entrant lock and is safe to call from
many threads at once. No repr, str or error message ever contains a password.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .netrc_source import NetrcSource
from .space_memo import SPACES_KEPT, Space, SpaceMemo, directory_of
from .types import Credential, PasswordSource, Strength
from .urls import (
    Origin,
    UnsupportedSchemeError,
    canonical_prefix,
    path_covers,
    split_reference,
    split_url,
)

if TYPE_CHECKING:
    from .schemes.base import Authenticator

__all__ = ["Credentials", "ForgetListener"]

ForgetListener = Callable[[Optional[Origin], bool], None]
"""Called as ``(origin, proxy)`` after :meth:`Credentials.forget` or a replacing
:meth:`Credentials.add` / :meth:`Credentials.add_proxy` (the origin or proxy origin whose
credentials were dropped, ``proxy`` telling which table) or with ``(None, False)`` after
:meth:`Credentials.clear`."""


@dataclass(frozen=True)
class _Entry:
    credential: Credential
    serial: int  # insertion order, the tie-breaker: newer first


_Lookup = Tuple[int, Optional["Authenticator"], Optional[Strength]]


class Credentials:
    """The credentials store: origin and proxy credentials, learned spaces, optional netrc.

    Lookup rules (:meth:`find`):

    * ``realm=None`` (no challenge yet): among the entries of the URL's origin whose prefix covers
      the URL's path, the longest prefix; at equal prefix a realm-less entry first, then the most
      recently added.
    * ``realm`` given (a challenge named it): an entry of that realm (case-sensitive, RFC 7235
      section 2.2) on the URL's origin, those whose prefix covers the path first, longest first,
      then the others, most recently added first (the realm defines the space, RFC 2617 section
      1.2); else the realm-less entry with the longest covering prefix.
    * ``proxy=True``: the same on the proxy table, the path ignored.
    * Nothing found and netrc enabled (origins only): the netrc entry for the host.

    Learned spaces (:meth:`learn`, :meth:`authenticator_for`, :meth:`discard`, :meth:`forget`,
    :meth:`clear`) are described on each method.
    """

    def __init__(self, *, netrc: bool = False, netrc_file: Optional[str] = None) -> None:
        """``netrc=True`` turns the netrc fallback on; ``netrc_file`` names the file (and turns
        the fallback on as well): without it ``NETRC`` then ``~/.netrc``, ``~/_netrc`` are used."""
        self._lock = threading.RLock()
        self._serial = 0
        # origin -> (prefix, realm) -> entry
        self._origin: Dict[Origin, Dict[Tuple[str, Optional[str]], _Entry]] = {}
        # proxy origin -> realm -> entry
        self._proxy: Dict[Origin, Dict[Optional[str], _Entry]] = {}
        # origin -> prefix -> authenticator
        self._learned: Dict[Origin, Dict[str, Authenticator]] = {}
        self._learned_proxy: Dict[Origin, Authenticator] = {}
        # origin -> prefix -> the strongest answer that succeeded there (the no-downgrade floor)
        self._floors: Dict[Origin, Dict[str, Strength]] = {}
        self._floors_proxy: Dict[Origin, Strength] = {}
        self._netrc_enabled = bool(netrc) or netrc_file is not None
        self._netrc_file = netrc_file
        self._netrc = NetrcSource(netrc_file)
        self._listeners: List[Callable[[], Optional[ForgetListener]]] = []
        # what record_success worked out, valid while the grants stay
        self._generation = 0  # bumped whenever an origin credential is added or dropped
        self._spaces = SpaceMemo()
        # bumped before any learned space or floor changes: what was read at one version is
        # what the tables still hold while it stays the same
        self._version = 0
        # (url, proxy) -> (version, authenticator_for, floor_for) as they were at that version
        self._lookups: Dict[Tuple[str, bool], _Lookup] = {}
        # url -> (generation, version, answer) of knows(url): whether the tables hold its origin
        self._known: Dict[str, Tuple[int, int, bool]] = {}

    # -- pickling (copy.deepcopy too) ---------------------------------------------------------

    def __getstate__(self) -> Dict[str, Any]:
        """The origin and proxy credentials, the floors of their protection spaces (what
        succeeded there, so a copy refuses the same downgrades) and the netrc settings. Not
        the learned spaces (negotiated state such as a Digest nonce), the netrc cache, the
        listeners or the lock: a copy starts those afresh, as a new store would."""
        with self._lock:
            return {
                "origin": {origin: dict(table) for origin, table in self._origin.items()},
                "proxy": {origin: dict(table) for origin, table in self._proxy.items()},
                "serial": self._serial,
                "floors": {origin: dict(table) for origin, table in self._floors.items()},
                "floors_proxy": dict(self._floors_proxy),
                "netrc": self._netrc_enabled,
                "netrc_file": self._netrc_file,
            }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        Credentials.__init__(self, netrc=state["netrc"], netrc_file=state["netrc_file"])
        self._origin = state["origin"]
        self._proxy = state["proxy"]
        self._serial = state["serial"]
        self._floors = state["floors"]
        self._floors_proxy = state["floors_proxy"]

    # -- adding -------------------------------------------------------------------------------

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def add(
        self,
        url: str,
        username: str,
        password: PasswordSource,
        *,
        realm: Optional[str] = None,
        encoding: Optional[str] = None,
    ) -> None:
        """Store credentials for ``url`` = ``scheme://host[:port][/prefix]``.

        The prefix covers the paths at and below it on segment boundaries. The same
        ``(origin, prefix, realm)`` added again replaces the earlier credentials (listeners
        of :meth:`on_forget` hear of it when they differ).
        :class:`ValueError` for a relative URL, a scheme other than http/https, or a URL with user
        information, a query or a fragment (the message never contains the user information).
        """
        origin, path = split_url(url, strict=True)
        credential = Credential(username, password, realm, encoding)
        self._put(self._origin, origin, (canonical_prefix(path), realm), credential, proxy=False)

    def add_proxy(
        self,
        proxy_url: str,
        username: str,
        password: PasswordSource,
        *,
        realm: Optional[str] = None,
        encoding: Optional[str] = None,
    ) -> None:
        """Store credentials for the proxy ``scheme://host[:port]`` (any path is ignored: "/").

        The same ``(proxy, realm)`` added again replaces the earlier credentials (listeners of
        :meth:`on_forget` hear of it when they differ)."""
        origin, _ = split_url(proxy_url, strict=True)
        credential = Credential(username, password, realm, encoding)
        self._put(self._proxy, origin, realm, credential, proxy=True)

    def _put(
        self,
        tables: Dict[Origin, Dict[Any, _Entry]],
        origin: Origin,
        key: Any,
        credential: Credential,
        *,
        proxy: bool,
    ) -> None:
        """File ``credential`` under ``origin`` and ``key``; a different one replaced is
        forgotten (listeners are told)."""
        with self._lock:
            self._generation += 1
            table = tables.setdefault(origin, {})
            replaced = table.get(key)
            table[key] = _Entry(credential, self._next_serial())
        if replaced is not None and replaced.credential != credential:
            self._tell(origin, proxy)

    # -- lookup -------------------------------------------------------------------------------

    def find(
        self, url: str, *, realm: Optional[str] = None, proxy: bool = False
    ) -> Optional[Credential]:
        """The credential for ``url`` (and ``realm`` once a challenge named one), or ``None``.

        See the class docstring for the rules. A URL whose scheme is not http/https finds
        nothing; a relative URL is a :class:`ValueError`.
        """
        try:
            origin, path = split_url(url)
        except UnsupportedSchemeError:
            return None
        with self._lock:
            if proxy:
                found = self._find_proxy(origin, realm)
            else:
                found = self._find_origin(origin, path, realm)
        if found is None and not proxy and self._netrc_enabled:
            found = self._find_netrc(origin, realm)
        return found

    def _find_origin(self, origin: Origin, path: str, realm: Optional[str]) -> Optional[Credential]:
        table = self._origin.get(origin)
        if not table:
            return None
        covering = [
            (prefix, entry_realm, entry)
            for (prefix, entry_realm), entry in table.items()
            if path_covers(prefix, path)
        ]
        if realm is None:
            if not covering:
                return None
            best = max(
                covering,
                key=lambda item: (len(item[0]), item[1] is None, item[2].serial),
            )
            return best[2].credential
        in_realm: List[Tuple[bool, int, int, Credential]] = []
        for (prefix, entry_realm), entry in table.items():
            if entry_realm == realm:
                covers = path_covers(prefix, path)
                in_realm.append(
                    (covers, len(prefix) if covers else 0, entry.serial, entry.credential)
                )
        if in_realm:
            return max(in_realm, key=lambda item: item[:3])[3]
        realmless = [item for item in covering if item[1] is None]
        if realmless:
            return max(realmless, key=lambda item: len(item[0]))[2].credential
        return None

    def _find_proxy(self, origin: Origin, realm: Optional[str]) -> Optional[Credential]:
        table = self._proxy.get(origin)
        if not table:
            return None
        if realm is not None:
            entry = table.get(realm) or table.get(None)
            return entry.credential if entry else None
        if None in table:
            return table[None].credential
        return max(table.values(), key=lambda e: e.serial).credential

    # -- netrc --------------------------------------------------------------------------------

    def _find_netrc(self, origin: Origin, realm: Optional[str]) -> Optional[Credential]:
        """netrc's model: an entry matches by host name only (any port; http/https only)."""
        return self._netrc.find(origin.host)

    # -- learned protection spaces ------------------------------------------------------------

    def learn(self, url: str, authenticator: Authenticator, *, proxy: bool = False) -> None:
        """Record ``authenticator`` as the one to use preemptively in its protection space.

        Origins: under every prefix of ``authenticator.space_prefixes(url)`` (resolved against
        ``url``) that lies on ``url``'s origin, narrowed to the grant (see :meth:`granted`);
        prefixes of another origin or outside the grant are ignored. Proxies: ``url`` is the
        proxy URL and the whole proxy origin is learned. A later ``learn`` for the same prefix
        replaces the earlier authenticator.
        """
        origin, _ = split_url(url)
        if proxy:
            with self._lock:
                self._version += 1
                self._learned_proxy[origin] = authenticator
            return
        with self._lock:
            self._version += 1
            prefixes = self._space_of(url, authenticator, fallback=False)
            table = self._learned.setdefault(origin, {})
            for prefix in prefixes:
                table[prefix] = authenticator

    def granted(self, url: str, credential: Credential) -> str:
        """The path prefix ``credential`` was granted for on ``url``'s origin (canonical form).

        The longest prefix among the entries holding ``credential`` that covers ``url``; for
        a credential found by its realm outside its prefix, the parent directory of ``url``;
        for a netrc credential (not added here), ``/``: netrc grants the whole host.
        """
        origin, path = split_url(url)
        with self._lock:
            return self._grant(origin, path, credential)

    def _grant(self, origin: Origin, path: str, credential: Credential) -> str:
        covering: Optional[str] = None
        held = False
        for (prefix, _realm), entry in self._origin.get(origin, {}).items():
            if entry.credential is not credential and entry.credential != credential:
                continue
            held = True
            if path_covers(prefix, path) and (covering is None or len(prefix) > len(covering)):
                covering = prefix
        if covering is not None:
            return covering
        if not held and self._netrc_enabled:
            return "/"
        return canonical_prefix(path[: path.rfind("/") + 1] or "/")

    def _space_of(self, url: str, authenticator: Authenticator, *, fallback: bool) -> List[str]:
        """The canonical prefixes ``authenticator`` covers on ``url``'s origin, inside the grant
        (under the lock); with ``fallback``, when there is none, ``url``'s parent directory
        inside the grant."""
        origin, path = split_url(url)
        grant = self._grant(origin, path, authenticator.credential)
        prefixes: List[str] = []
        for space in authenticator.space_prefixes(url):
            try:
                space_origin, space_path = split_reference(url, space)
            except ValueError:
                continue
            if space_origin != origin:
                continue
            prefix = _narrow(canonical_prefix(space_path), grant)
            if prefix is not None and prefix not in prefixes:
                prefixes.append(prefix)
        if not prefixes and fallback:
            directory = _narrow(canonical_prefix(path[: path.rfind("/") + 1] or "/"), grant)
            prefixes.append(directory if directory is not None else grant)
        return prefixes

    # -- the no-downgrade floor ---------------------------------------------------------------

    def raise_floor(self, url: str, authenticator: Authenticator, *, proxy: bool = False) -> None:
        """Remember that ``authenticator`` succeeded at ``url``: its space's floor is at least
        ``authenticator.achieved`` from now on.

        The space is the one :meth:`learn` would record (for a connection-bound scheme, which
        names no prefixes, the parent directory of ``url`` inside the grant); for a proxy its
        whole origin. :meth:`discard` leaves floors alone; :meth:`forget` and :meth:`clear`
        drop them.
        """
        strength = authenticator.achieved
        origin, _ = split_url(url)
        with self._lock:
            self._version += 1
            if proxy:
                current = self._floors_proxy.get(origin)
                if current is None or current < strength:
                    self._floors_proxy[origin] = strength
                return
            table = self._floors.setdefault(origin, {})
            for prefix in self._space_of(url, authenticator, fallback=True):
                current = table.get(prefix)
                if current is None or current < strength:
                    table[prefix] = strength

    def record_success(
        self,
        url: str,
        authenticator: Authenticator,
        *,
        learn: bool,
        proxy: bool = False,
        pure: bool = False,
    ) -> None:
        """:meth:`learn` (when ``learn``) then :meth:`raise_floor`, the space worked out once.

        What a flow does when ``authenticator`` succeeded at ``url``; the store ends up as
        after the two calls. ``pure``: the caller knows that the authenticator's
        ``space_prefixes`` and ``achieved`` depend on the URL and its ``challenge`` alone
        (Basic, Digest); then what they gave is remembered for ``url`` (and its directory,
        :mod:`~requests_dav.auth.space_memo`) and that authenticator while its challenge,
        its credential and the store's grants stay the same, and the next success there
        costs two dictionary lookups.
        """
        if proxy:
            origin, _ = split_url(url)
            strength = authenticator.achieved
            with self._lock:
                self._version += 1
                if learn:
                    self._learned_proxy[origin] = authenticator
                current = self._floors_proxy.get(origin)
                if current is None or current < strength:
                    self._floors_proxy[origin] = strength
            return
        if pure:
            with self._lock:
                space = self._spaces.for_url(url, authenticator, self._generation)
                # recorded already, nothing learned, raised or dropped since
                if space is not None and self._spaces.recorded_at(space, learn) == self._version:
                    return  # the tables hold what the rest would write
        origin, path = split_url(url)
        with self._lock:
            space = self._spaces.for_url(url, authenticator, self._generation) if pure else None
            if space is None:
                space = self._space_for(url, origin, path, authenticator, pure)
            learned = self._learned.setdefault(origin, {}) if learn else None
            strength = space.strength
            floors = self._floors.setdefault(origin, {})
            if (
                learned is not None
                and any(learned.get(prefix) is not authenticator for prefix in space.prefixes)
            ) or any(
                prefix not in floors or floors[prefix] < strength for prefix in space.floor_prefixes
            ):
                self._version += 1
                if learned is not None:
                    for prefix in space.prefixes:
                        learned[prefix] = authenticator
                for prefix in space.floor_prefixes:
                    current = floors.get(prefix)
                    if current is None or current < strength:
                        floors[prefix] = strength
            if pure:
                self._spaces.mark_recorded(space, learn, self._version)

    def _space_for(
        self, url: str, origin: Origin, path: str, authenticator: Authenticator, pure: bool
    ) -> Space:
        """:meth:`_work_out_space`; for ``pure`` remembered (:class:`SpaceMemo`)."""
        if not pure:
            return self._work_out_space(url, authenticator)
        directory = directory_of(url) if authenticator.space_from_directory() else None
        key = None
        if directory is not None:
            grant = self._grant(origin, path, authenticator.credential)
            key = (directory, id(authenticator), grant, path[: path.rfind("/") + 1])
            space = self._spaces.for_directory(key, authenticator, self._generation)
            if space is not None:
                self._spaces.keep(url, None, space)
                return space
        space = self._work_out_space(url, authenticator)
        self._spaces.keep(url, key, space)
        return space

    def _work_out_space(self, url: str, authenticator: Authenticator) -> Space:
        """What :meth:`learn` and :meth:`raise_floor` record for a success (lock held)."""
        prefixes = self._space_of(url, authenticator, fallback=False)
        floor_prefixes = prefixes or self._space_of(url, authenticator, fallback=True)
        return Space(
            authenticator,
            authenticator.challenge,
            authenticator.credential,
            self._generation,
            tuple(prefixes),
            tuple(floor_prefixes),
            authenticator.achieved,
        )

    def floor_for(self, url: str, *, proxy: bool = False) -> Optional[Strength]:
        """The strongest answer that succeeded in a space covering ``url``, or ``None``."""
        try:
            origin, path = split_url(url)
        except UnsupportedSchemeError:
            return None
        with self._lock:
            return self._floor(origin, path, proxy)

    def _floor(self, origin: Origin, path: str, proxy: bool) -> Optional[Strength]:
        if proxy:
            return self._floors_proxy.get(origin)
        found = [
            strength
            for prefix, strength in self._floors.get(origin, {}).items()
            if path_covers(prefix, path)
        ]
        return max(found) if found else None

    def knows(self, url: str) -> bool:
        """Whether anything here could authenticate a request to ``url``'s origin.

        A cheap origin-level test for drivers that skip the negotiation when it could only pass
        the request through: a credential or a learned space anywhere on the origin (whatever
        its path or realm), or, with the netrc fallback on, a netrc entry for the host. Proxies
        are not considered. The answer is remembered while no credential or learned space
        changes (a "no" only without the netrc fallback, whose file may change).
        """
        with self._lock:
            known = self._known.get(url)
            if known is not None and known[0] == self._generation and known[1] == self._version:
                return known[2]
        try:
            origin, _ = split_url(url)
        except UnsupportedSchemeError:
            return False
        with self._lock:
            found = bool(self._origin.get(origin) or self._learned.get(origin))
            if found or not self._netrc_enabled:
                if len(self._known) >= SPACES_KEPT:
                    self._known.clear()
                self._known[url] = (self._generation, self._version, found)
        return found or (self._netrc_enabled and self._find_netrc(origin, None) is not None)

    def authenticator_for(self, url: str, *, proxy: bool = False) -> Optional[Authenticator]:
        """The learned authenticator whose prefix covers ``url`` (longest first), or ``None``.

        ``proxy=True``: the one learned for the proxy origin of ``url``.
        """
        try:
            origin, path = split_url(url)
        except UnsupportedSchemeError:
            return None
        with self._lock:
            return self._authenticator(origin, path, proxy)

    def _authenticator(self, origin: Origin, path: str, proxy: bool) -> Optional[Authenticator]:
        if proxy:
            return self._learned_proxy.get(origin)
        table = self._learned.get(origin)
        if not table:
            return None
        covering = [prefix for prefix in table if path_covers(prefix, path)]
        if not covering:
            return None
        return table[max(covering, key=len)]

    def preemptive(
        self, url: str, *, proxy: bool = False
    ) -> Tuple[Optional[Authenticator], Optional[Strength]]:
        """``(authenticator_for(url), floor_for(url))`` read together, under one lock.

        What a request needs before it is sent (RFC 7235 section 2.2): the credentials to send
        preemptively and the no-downgrade floor; remembered for ``url`` and given again while
        nothing was learned, raised, discarded or forgotten since (the two lookups' answer).
        """
        key = (url, proxy)
        with self._lock:
            found = self._lookups.get(key)
            if found is not None and found[0] == self._version:
                return found[1], found[2]
        try:
            origin, path = split_url(url)
        except UnsupportedSchemeError:
            return None, None
        with self._lock:
            version = self._version
            answer = (self._authenticator(origin, path, proxy), self._floor(origin, path, proxy))
            if len(self._lookups) >= SPACES_KEPT:
                self._lookups.clear()
            self._lookups[key] = (version, *answer)
        return answer

    def discard(self, authenticator: Authenticator) -> None:
        """Drop ``authenticator`` (compared by identity) from every learned space, origin or proxy.

        Credentials stay: the flow discards the *state* the server refused and may try again.
        """
        with self._lock:
            self._version += 1
            for origin in list(self._learned):
                table = self._learned[origin]
                for prefix in [p for p, a in table.items() if a is authenticator]:
                    del table[prefix]
                if not table:
                    del self._learned[origin]
            for origin in [o for o, a in self._learned_proxy.items() if a is authenticator]:
                del self._learned_proxy[origin]

    def forget(self, url: str, *, proxy: bool = False) -> None:
        """Drop what the store holds for ``url`` and below.

        Origins: the credentials (any realm), learned authenticators and no-downgrade floors of
        ``url``'s origin whose prefix is at or below ``url``'s path (``forget("http://h/a")``
        drops ``/a`` and ``/a/b``, not ``/ab``), plus the learned authenticators and floors
        whose prefix covers ``url`` (so no request to ``url`` is authorized preemptively, nor
        held to an earlier scheme, any more). Credentials for a prefix above ``url`` stay.
        ``proxy=True``: every credential, the learned authenticator and the floor of that
        proxy origin. The netrc file is not touched.
        """
        origin, path = split_url(url)
        try:
            self._forget(origin, path, proxy)
        finally:
            self._tell(origin, proxy)

    def _forget(self, origin: Origin, path: str, proxy: bool) -> None:
        with self._lock:
            self._generation += 1
            self._version += 1
            if proxy:
                self._proxy.pop(origin, None)
                self._learned_proxy.pop(origin, None)
                self._floors_proxy.pop(origin, None)
                return
            below = canonical_prefix(path)
            table = self._origin.get(origin)
            if table is not None:
                for key in [k for k in table if path_covers(below, k[0])]:
                    del table[key]
                if not table:
                    del self._origin[origin]
            for tables in (self._learned, self._floors):
                spaces: Optional[Dict[str, Any]] = tables.get(origin)
                if spaces is None:
                    continue
                for prefix in [p for p in spaces if path_covers(below, p) or path_covers(p, path)]:
                    del spaces[prefix]
                if not spaces:
                    del tables[origin]

    def clear(self) -> None:
        """Drop everything: origin and proxy credentials, learned spaces and their floors, the
        cached netrc."""
        with self._lock:
            self._origin.clear()
            self._proxy.clear()
            self._learned.clear()
            self._learned_proxy.clear()
            self._floors.clear()
            self._floors_proxy.clear()
            self._netrc.reset()
            self._generation += 1
            self._version += 1
        self._tell(None, False)

    # -- listeners ----------------------------------------------------------------------------

    def on_forget(self, listener: ForgetListener) -> None:
        """Call ``listener(origin, proxy)`` after every :meth:`forget` and :meth:`clear`, and
        after :meth:`add` / :meth:`add_proxy` replaced a credential with a different one.

        A bound method is held weakly (the store does not keep its object alive); any other
        callable strongly. Listeners run outside the store's lock, in the forgetting thread; an
        exception from one propagates after the others ran.
        """
        ref: Callable[[], Optional[ForgetListener]]
        if hasattr(listener, "__self__") and hasattr(listener, "__func__"):
            ref = weakref.WeakMethod(listener)
        else:
            ref = lambda: listener  # noqa: E731 - a strong reference with weakref's call shape
        with self._lock:
            self._listeners.append(ref)

    def _tell(self, origin: Optional[Origin], proxy: bool) -> None:
        with self._lock:
            refs = list(self._listeners)
            self._listeners = [ref for ref in refs if ref() is not None]
        failure: Optional[BaseException] = None
        for ref in refs:
            listener = ref()
            if listener is None:
                continue
            try:
                listener(origin, proxy)
            except Exception as exc:  # every listener runs; the first failure is raised
                failure = failure or exc
        if failure is not None:
            raise failure

    def __repr__(self) -> str:
        with self._lock:
            origins = sum(len(t) for t in self._origin.values())
            proxies = sum(len(t) for t in self._proxy.values())
            learned = sum(len(t) for t in self._learned.values()) + len(self._learned_proxy)
        return (
            f"Credentials(origin_entries={origins}, proxy_entries={proxies}, "
            f"learned_spaces={learned}, netrc={self._netrc_enabled})"
        )


def _narrow(prefix: str, grant: str) -> Optional[str]:
    """``prefix`` kept inside ``grant``: itself when inside, ``grant`` when wider, else None."""
    if path_covers(grant, prefix):
        return prefix
    if path_covers(prefix, grant):
        return grant
    return None
