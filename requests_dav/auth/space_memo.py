"""What a success of an authenticator at one URL records in the store, remembered.

:meth:`~requests_dav.auth.credentials.Credentials.record_success` works out the protection
space (RFC 7235 section 2.2) a success teaches and where the no-downgrade floor rises; for
schemes whose answer depends only on the URL and the current challenge (Basic, Digest) the
result is kept, with what it was worked out from, and used again while all of that holds.

:class:`SpaceMemo` keeps it by URL, and for a scheme whose space reads only the URL's
directory (:meth:`~requests_dav.auth.schemes.base.Authenticator.space_from_directory`) by
that directory as well (:func:`directory_of`), with the grant and normalised directory the
store reads besides: a success at each new file of a known directory costs a few lookups
instead of the whole work (issue 16), and the version of the tables each space was last
recorded at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Hashable, Optional, Tuple

from .types import Credential, Strength
from .urls import written_plainly

__all__ = ["SPACES_KEPT", "Space", "SpaceMemo", "directory_of"]

#: how many (URL, authenticator) spaces :meth:`Credentials.record_success` remembers
SPACES_KEPT = 256


@dataclass(frozen=True, eq=False)
class Space:
    """What a success of ``authenticator`` at one URL records, and what it was worked out from.

    Compared by identity: one is the very record a success worked out."""

    authenticator: Any
    challenge: Any
    credential: Credential
    generation: int
    prefixes: Tuple[str, ...]  # learned (RFC 7235 section 2.2), inside the grant
    floor_prefixes: Tuple[str, ...]  # where the no-downgrade floor is raised
    strength: Strength

    def holds(self, authenticator: Any, generation: int) -> bool:
        """Still what ``authenticator`` would give: same object, challenge, credential, grants."""
        return (
            self.authenticator is authenticator
            and self.challenge is authenticator.challenge
            and self.credential is authenticator.credential
            and self.generation == generation
        )


def directory_of(url: str) -> Optional[str]:
    """``url`` up to the last ``/`` of its path: its scheme, authority and directory as
    written, or ``None`` when the URL is not written plainly (a space or a control
    character, which the URL parsers drop or strip) or has no ``/`` after its authority.

    Two URLs with the same answer have the same origin and the same raw parent directory
    (the query and fragment start at the first ``?`` or ``#``, as ``urlsplit`` reads them).
    """
    if not written_plainly(url):
        return None
    end = len(url)
    for mark in "?#":
        found = url.find(mark, 0, end)
        if found >= 0:
            end = found
    authority = url.find("://", 0, end)
    slash = url.rfind("/", 0, end)
    if authority < 0 or slash < authority + 3:
        return None
    return url[: slash + 1]


class SpaceMemo:
    """The spaces a store's successes worked out, and the version each was last recorded at.

    Bounded (:data:`SPACES_KEPT` each); not locked: the store holds its lock around every
    call. Every space handed out still :meth:`~Space.holds` for the authenticator asking.
    """

    def __init__(self) -> None:
        self._by_url: Dict[Tuple[str, int], Space] = {}
        self._by_directory: Dict[Hashable, Space] = {}
        self._recorded: Dict[Tuple[Space, bool], int] = {}

    def for_url(self, url: str, authenticator: Any, generation: int) -> Optional[Space]:
        """The space worked out for a success of ``authenticator`` at ``url``, if it holds."""
        space = self._by_url.get((url, id(authenticator)))
        return space if space is not None and space.holds(authenticator, generation) else None

    def for_directory(self, key: Hashable, authenticator: Any, generation: int) -> Optional[Space]:
        """The space worked out for the directory ``key`` (:meth:`Credentials` builds it)."""
        space = self._by_directory.get(key)
        return space if space is not None and space.holds(authenticator, generation) else None

    def keep(self, url: str, directory: Optional[Hashable], space: Space) -> None:
        """Remember ``space`` for ``url`` (and for its directory key, when it has one)."""
        _bounded_put(self._by_url, (url, id(space.authenticator)), space)
        if directory is not None:
            _bounded_put(self._by_directory, directory, space)

    def recorded_at(self, space: Space, learn: bool) -> Optional[int]:
        """The version of the tables right after ``space`` was last recorded (``learn``)."""
        return self._recorded.get((space, learn))

    def mark_recorded(self, space: Space, learn: bool, version: int) -> None:
        _bounded_put(self._recorded, (space, learn), version)


def _bounded_put(table: Dict[Any, Any], key: Any, value: Any) -> None:
    if len(table) >= SPACES_KEPT:
        table.clear()
    table[key] = value
