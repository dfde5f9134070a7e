"""Authentication schemes and the registry that picks among them (RFC 7235 sections 2.1, 4.1).

A server may offer several challenges in one response (RFC 7235 section 4.1:
"a user agent MUST choose to use one of the challenges with the strongest
auth-scheme it understands"). :meth:`SchemeRegistry.candidates` returns the
supported ones strongest first: by the scheme's ``strength`` (Digest 20 >
Basic 10; a third-party scheme picks its own), then by ``rank`` within a
scheme (Digest SHA-512-256 > SHA-256 > MD5), then in the order the server
sent them.

:meth:`SchemeRegistry.default` holds Basic and Digest plus every scheme
installed under the entry-point group ``requests_dav.schemes``
(``name = package.module:Class``, the class an :class:`Authenticator`
subclass). A broken entry point (import error, not an Authenticator) is
skipped with a :class:`RuntimeWarning`, never fatal.
"""

from __future__ import annotations

import threading
import warnings
from importlib import metadata
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from ..challenge import Challenge
from .base import Authenticator, PasswordDeclinedError, SchemeOptions
from .basic import BasicScheme
from .digest import DigestScheme

__all__ = [
    "ENTRY_POINT_GROUP",
    "Authenticator",
    "BasicScheme",
    "DigestScheme",
    "PasswordDeclinedError",
    "SchemeOptions",
    "SchemeRegistry",
]

ENTRY_POINT_GROUP = "requests_dav.schemes"
"""The entry-point group third-party schemes register under."""


def _entry_points(group: str) -> List[Any]:
    """The entry points of ``group`` (the selection API of Python 3.10+, or 3.9's dict)."""
    found: Any = metadata.entry_points()
    if hasattr(found, "select"):
        return list(found.select(group=group))
    return list(found.get(group, ()))  # Python 3.9: a dict of group -> entry points


class SchemeRegistry:
    """The schemes this client can answer with, by lower-case name (thread-safe).

    Registering a class under a name already taken replaces the earlier one,
    so an installed plugin can supersede a built-in scheme.
    """

    def __init__(self, schemes: Iterable[Type[Authenticator]] = ()) -> None:
        self._lock = threading.Lock()
        self._schemes: Dict[str, Type[Authenticator]] = {}
        for cls in schemes:
            self.register(cls)

    def __getstate__(self) -> Dict[str, Any]:
        """Pickled (and deep-copied) as its scheme classes, by reference; the lock is new."""
        with self._lock:
            return {"schemes": dict(self._schemes)}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._schemes = dict(state["schemes"])

    def __repr__(self) -> str:
        names = ", ".join(f"{name}={cls.__name__}" for name, cls in self._schemes.items())
        return f"SchemeRegistry({names})"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def names(self) -> List[str]:
        """The registered scheme names, strongest first."""
        with self._lock:
            ordered = sorted(self._schemes.items(), key=lambda item: -item[1].strength)
        return [name for name, _ in ordered]

    def register(self, cls: Type[Authenticator]) -> None:
        """Add ``cls`` under ``cls.scheme`` (case-insensitive).

        Raises :class:`TypeError` for anything that is not an
        :class:`Authenticator` subclass with a ``scheme`` name and an integer
        ``strength``.
        """
        if not isinstance(cls, type) or not issubclass(cls, Authenticator):
            raise TypeError(f"{cls!r} is not an Authenticator subclass")
        name = getattr(cls, "scheme", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__name__} has no scheme name")
        strength = getattr(cls, "strength", None)
        if not isinstance(strength, int) or isinstance(strength, bool):
            raise TypeError(f"{cls.__name__} has no integer strength")
        with self._lock:
            self._schemes[name.lower()] = cls

    def get(self, name: str) -> Optional[Type[Authenticator]]:
        """The class registered for the scheme ``name`` (case-insensitive), or None."""
        with self._lock:
            return self._schemes.get(name.lower())

    def candidates(
        self, challenges: Sequence[Challenge], options: SchemeOptions
    ) -> List[Tuple[Type[Authenticator], Challenge]]:
        """The challenges some registered scheme supports, each with its class, strongest first.

        Order: ``strength`` (RFC 7235 section 4.1 "strongest auth-scheme"),
        then ``rank`` within one scheme, then the server's order. A scheme
        whose ``supports`` or ``rank`` raises is skipped with a warning.
        """
        found: List[Tuple[int, int, int, Type[Authenticator], Challenge]] = []
        for index, challenge in enumerate(challenges):
            cls = self.get(challenge.scheme)
            if cls is None:
                continue
            try:
                if not cls.supports(challenge, options):
                    continue
                rank = int(cls.rank(challenge))
            except Exception as exc:
                warnings.warn(
                    f"authentication scheme {cls.__name__} failed on a {challenge.scheme} "
                    f"challenge ({type(exc).__name__}: {exc}); skipped",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            found.append((-cls.strength, -rank, index, cls, challenge))
        found.sort(key=lambda item: item[:3])
        return [(cls, challenge) for _, _, _, cls, challenge in found]

    @classmethod
    def default(cls) -> SchemeRegistry:
        """Basic and Digest, then every scheme of the ``requests_dav.schemes`` entry points.

        Entry points are loaded each time this is called (a fresh registry the
        caller may change). One that fails to load, or does not name an
        :class:`Authenticator` subclass, is skipped with a :class:`RuntimeWarning`.
        """
        registry = cls([BasicScheme, DigestScheme])
        try:
            entry_points = _entry_points(ENTRY_POINT_GROUP)
        except Exception as exc:
            warnings.warn(
                f"cannot list the {ENTRY_POINT_GROUP!r} entry points "
                f"({type(exc).__name__}: {exc}); using the built-in schemes only",
                RuntimeWarning,
                stacklevel=2,
            )
            return registry
        for entry_point in entry_points:
            label = f"{getattr(entry_point, 'name', '?')} = {getattr(entry_point, 'value', '?')}"
            try:
                loaded = entry_point.load()
                if loaded in (BasicScheme, DigestScheme):
                    continue  # this package's own entry points
                registry.register(loaded)
            except Exception as exc:
                warnings.warn(
                    f"skipping the authentication scheme entry point {label!r}: "
                    f"{type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return registry
