"""What a server offers, read from the headers of an ``OPTIONS`` response.

- ``DAV`` (RFC 4918 section 10.1): compliance classes ``1``, ``2``, ``3`` and extension
  tokens or Coded-URLs (``access-control`` of RFC 3744, ``extended-mkcol`` of RFC 5689,
  ``<http://apache.org/dav/propset/fs/1>``...). Several ``DAV`` lines are merged.
- ``Allow`` (RFC 9110 section 10.2.1): the methods the resource supports.
- Other offers kept as extensions: ``MS-Author-Via`` (Microsoft's "DAV" authoring hint),
  ``Accept-Ranges`` (RFC 9110 section 14.3), ``DASL`` (RFC 5323 section 3.2, search
  grammars), ``Accept-Patch`` (RFC 5789 section 3.1), ``Public`` (RFC 2068's list of methods,
  still sent by IIS), and any header whose name mentions DAV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

#: Headers kept in :attr:`Capabilities.extensions` besides any whose name contains "dav".
EXTENSION_HEADERS = (
    "ms-author-via",
    "accept-ranges",
    "dasl",
    "accept-patch",
    "public",
    "x-msdavext",
    "x-sabre-version",
)

HeaderInput = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


def _pairs(headers: HeaderInput) -> List[Tuple[str, str]]:
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def split_list(value: str) -> List[str]:
    """Split an RFC 9110 section 5.6.1 list, keeping ``<...>`` Coded-URLs whole."""
    items: List[str] = []
    current: List[str] = []
    in_angle = False
    for ch in value:
        if ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        if ch == "," and not in_angle:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [item for item in items if item]


@dataclass(frozen=True)
class Capabilities:
    """The parsed offers of an ``OPTIONS`` response.

    ``dav`` lists the compliance classes in the order the server sent them; ``allow`` the
    methods, upper-cased; ``extensions`` other offers by lower-cased header name (values of
    repeated headers joined with ``", "``); ``headers`` every header as received.
    """

    dav: Tuple[str, ...] = ()
    allow: Tuple[str, ...] = ()
    extensions: Mapping[str, str] = field(default_factory=dict)
    headers: Tuple[Tuple[str, str], ...] = ()
    status: Optional[int] = None

    @classmethod
    def from_headers(cls, headers: HeaderInput, status: Optional[int] = None) -> Capabilities:
        pairs = _pairs(headers)
        dav: List[str] = []
        allow: List[str] = []
        extensions: Dict[str, str] = {}
        for name, value in pairs:
            lname = name.lower()
            if lname == "dav":
                for item in split_list(value):
                    if item not in dav:
                        dav.append(item)
            elif lname == "allow":
                for item in split_list(value):
                    method = item.upper()
                    if method not in allow:
                        allow.append(method)
            elif lname in EXTENSION_HEADERS or "dav" in lname:
                previous = extensions.get(lname)
                extensions[lname] = value if previous is None else f"{previous}, {value}"
        return cls(tuple(dav), tuple(allow), extensions, tuple(pairs), status)

    @property
    def classes(self) -> Tuple[str, ...]:
        """The numeric compliance classes (``"1"``, ``"2"``, ``"3"``) offered."""
        return tuple(item for item in self.dav if item.isdigit())

    @property
    def is_dav(self) -> bool:
        """The server claims class 1 compliance (RFC 4918 section 18.1)."""
        return "1" in self.dav

    @property
    def supports_locking(self) -> bool:
        """Class 2 (RFC 4918 section 18.2): LOCK and UNLOCK."""
        return "2" in self.dav

    def has(self, token: str) -> bool:
        """True when ``token`` (a class, extension token or Coded-URL) is in ``DAV``."""
        wanted = token.strip().lower()
        return any(item.lower() == wanted for item in self.dav)

    def allows(self, method: str) -> bool:
        """True when the ``Allow`` header lists ``method`` (False when there was no Allow)."""
        return method.upper() in self.allow

    @property
    def ms_author_via(self) -> Optional[str]:
        return self.extensions.get("ms-author-via")

    @property
    def accept_ranges(self) -> Optional[str]:
        return self.extensions.get("accept-ranges")

    def __repr__(self) -> str:
        return f"Capabilities(dav={list(self.dav)}, allow={list(self.allow)})"


def parse_options(headers: HeaderInput, status: Optional[int] = None) -> Capabilities:
    """Parse ``OPTIONS`` response headers; see :class:`Capabilities`."""
    return Capabilities.from_headers(headers, status)


__all__ = ["EXTENSION_HEADERS", "Capabilities", "parse_options", "split_list"]
