"""Typed values of the DAV: properties (RFC 4918 section 15, RFC 4331, RFC 6578 section 4).

A property arrives as raw XML: text for a leaf element, else a *node*, the
small tuple ``(tag, attributes or None, text, children)`` the parser keeps
of an element with children or attributes (``text`` joins the element's own
character data, ``children`` are nodes again, tags and attribute names are
Clark names ``{namespace}local``). :func:`convert` turns a raw value into
what :class:`~requests_dav.dav.multistatus.PropStat` hands out:

=================================== ===============================================
``{DAV:}getlastmodified``           aware :class:`~datetime.datetime` (RFC 1123;
                                    RFC 850, asctime and ISO 8601 tolerated)
``{DAV:}creationdate``              aware :class:`~datetime.datetime` (RFC 3339;
                                    RFC 1123 tolerated)
``{DAV:}getcontentlength``,         :class:`int`
``{DAV:}quota-available-bytes``,
``{DAV:}quota-used-bytes``
``{DAV:}getetag``                   :class:`str`, quotes and ``W/`` as sent
``{DAV:}resourcetype``              :class:`ResourceType`
``{DAV:}lockdiscovery``             list of :class:`ActiveLock`
``{DAV:}supportedlock``             list of :class:`LockEntry`
``{DAV:}displayname``,              :class:`str`
``{DAV:}getcontenttype``,
``{DAV:}getcontentlanguage``,
``{DAV:}sync-token``
=================================== ===============================================

A value that cannot be read as its type is not lost: it comes back as a
:class:`RawValue`, the text as sent. Every other property, in any
namespace, is returned by :func:`structure`: the text of a leaf element
without attributes exactly as sent (``""`` when empty), else a dict in
xmltodict's form with Clark-notation keys (see :func:`structure`).
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Tuple, Union

__all__ = [
    "CREATIONDATE",
    "DISPLAYNAME",
    "GETCONTENTLANGUAGE",
    "GETCONTENTLENGTH",
    "GETCONTENTTYPE",
    "GETETAG",
    "GETLASTMODIFIED",
    "LOCKDISCOVERY",
    "MAX_INTEGER_DIGITS",
    "QUOTA_AVAILABLE_BYTES",
    "QUOTA_USED_BYTES",
    "RESOURCETYPE",
    "SUPPORTEDLOCK",
    "SYNC_TOKEN",
    "ActiveLock",
    "LockEntry",
    "Node",
    "RawValue",
    "ResourceType",
    "active_lock",
    "bounded_int",
    "convert",
    "known_properties",
    "parse_http_date",
    "parse_iso8601",
    "parse_timeout",
    "structure",
]

DAV = "{DAV:}"
CREATIONDATE = "{DAV:}creationdate"
DISPLAYNAME = "{DAV:}displayname"
GETCONTENTLANGUAGE = "{DAV:}getcontentlanguage"
GETCONTENTLENGTH = "{DAV:}getcontentlength"
GETCONTENTTYPE = "{DAV:}getcontenttype"
GETETAG = "{DAV:}getetag"
GETLASTMODIFIED = "{DAV:}getlastmodified"
LOCKDISCOVERY = "{DAV:}lockdiscovery"
RESOURCETYPE = "{DAV:}resourcetype"
SUPPORTEDLOCK = "{DAV:}supportedlock"
QUOTA_AVAILABLE_BYTES = "{DAV:}quota-available-bytes"
QUOTA_USED_BYTES = "{DAV:}quota-used-bytes"
SYNC_TOKEN = "{DAV:}sync-token"  # noqa: S105 (an element name)

Node = Tuple[str, Optional[Dict[str, str]], str, Tuple["Node", ...]]
"""An element kept by the parser: (Clark tag, attributes or None, text, children)."""

RawProp = Union[str, Node]


MAX_INTEGER_DIGITS = 4300
"""Longest integer (in significant digits) read from server data; a longer one is unreadable.

The default of Python's int-string limit (:func:`sys.set_int_max_str_digits`),
applied here whatever the interpreter's setting: past it :class:`int` raises
:class:`ValueError`, or with the limit lifted costs the square of the length.
"""


def bounded_int(digits: str) -> Optional[int]:
    """``int(digits)`` for an ASCII ``[+-]?[0-9]+``, or ``None`` past :data:`MAX_INTEGER_DIGITS`."""
    significant = digits.lstrip("+-").lstrip("0") or "0"  # leading zeros count in int()
    if len(significant) > MAX_INTEGER_DIGITS:
        return None
    value = int(significant)
    return -value if digits.startswith("-") else value


class RawValue(str):
    """The text of a known property that could not be read as its type.

    It is a :class:`str` (the value exactly as sent), so nothing is lost and
    ``isinstance(value, RawValue)`` tells a caller the conversion failed.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"RawValue({str.__repr__(self)})"


class ResourceType(FrozenSet[str]):
    """The Clark names inside ``DAV:resourcetype`` (RFC 4918 section 15.9).

    An empty set is a plain resource; ``"{DAV:}collection" in rt`` or
    :attr:`is_collection` tells a collection.
    """

    __slots__ = ()

    @property
    def is_collection(self) -> bool:
        return "{DAV:}collection" in self

    def __repr__(self) -> str:
        return f"ResourceType({sorted(self)!r})"


class LockEntry(NamedTuple):
    """One ``DAV:lockentry`` of ``DAV:supportedlock`` (RFC 4918 section 15.10).

    ``scope`` and ``type`` are local names for ``DAV:`` elements
    (``"exclusive"``, ``"shared"``, ``"write"``), Clark names otherwise.
    """

    scope: str
    type: str


class ActiveLock(NamedTuple):
    """One ``DAV:activelock`` of ``DAV:lockdiscovery`` (RFC 4918 sections 14.1, 15.8).

    ``depth`` is ``"0"``, ``"1"`` or ``"infinity"``; ``owner`` is the owner's
    text, a structure (see :func:`structure`) when it has child elements, or
    ``None``; ``timeout`` is in seconds, ``None`` for ``Infinite`` or when
    absent; ``locktoken`` and ``lockroot`` are the hrefs as sent (the lock
    root is resolved by the caller against the request URL).
    """

    scope: str
    type: str
    depth: str
    owner: Any
    timeout: Optional[int]
    locktoken: Optional[str]
    lockroot: Optional[str]


# ---------------------------------------------------------------------------
# Dates

_MONTHS = {
    name: index
    for index, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

# RFC 9110 section 5.6.7: IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
_IMF_FIXDATE_RE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s*(?:GMT|UTC|UT|Z)?\Z"
)

# RFC 3339 section 5.6 (date-time), with what broken servers send: a space for
# "T", no seconds, a comma before the fraction, no offset, "+hhmm" or "+hh".
_ISO8601_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?\Z"
)


_DAY_NAMES = frozenset(("Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"))  # with the ","


_MONTH_DASHED = {name.capitalize(): f"-{number:02d}-" for name, number in _MONTHS.items()}
_fromisoformat = datetime.fromisoformat


def _imf_fixdate(text: str) -> Optional[datetime]:
    """The exact IMF-fixdate form servers send (``Sun, 06 Nov 1994 08:49:37 GMT``), else ``None``.

    No regular expression: one split at single spaces, the layout checked
    by the lengths of the parts, and the fields handed to
    :meth:`datetime.fromisoformat` (C, ASCII digits only) in its own form,
    ``1994-11-06T08:49:37+00:00``. What the general rule in
    :func:`parse_http_date` gives for this form, at a fraction of its cost;
    anything else (non-ASCII digits, an hour of 24, a day out of range,
    other spacing) is left to the general rule.
    """
    if len(text) != 29:
        return None
    try:
        day_name, day, month, year, clock, zone = text.split(" ")
    except ValueError:  # not five single spaces
        return None
    dashed = _MONTH_DASHED.get(month)
    if (
        dashed is None
        or zone != "GMT"
        or day_name not in _DAY_NAMES
        or len(day) != 2
        or len(clock) != 8  # and so the year has 4 characters
        or clock[2:6:3] != "::"
        or not clock < "24"  # fromisoformat reads 24:00 as the next day on newer Pythons
    ):
        return None
    try:
        return _fromisoformat(f"{year}{dashed}{day}T{clock}+00:00")
    except ValueError:  # not digits, or out of range: the general rule says what it is
        return None


def parse_http_date(text: str) -> datetime:
    """An HTTP date (RFC 9110 section 5.6.7; RFC 850 and asctime too) as an aware UTC datetime.

    Raises :class:`ValueError` when ``text`` is not one.
    """
    text = text.strip()
    fixdate = _imf_fixdate(text)
    if fixdate is not None:
        return fixdate
    return _parse_http_date_general(text)


def _parse_http_date_general(text: str) -> datetime:
    """:func:`parse_http_date` of stripped text by the general rule (every form)."""
    match = _IMF_FIXDATE_RE.match(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
        month_number = _MONTHS.get(month.lower())
        if month_number is None:
            raise ValueError(f"not an HTTP date: {text!r}")
        return datetime(
            int(year),
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone.utc,
        )
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(f"not an HTTP date: {text!r}") from None
    if parsed is None:  # Python 3.9 returns None for some inputs
        raise ValueError(f"not an HTTP date: {text!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc) if parsed.utcoffset() == timedelta(0) else parsed


def parse_iso8601(text: str) -> datetime:
    """An RFC 3339 / ISO 8601 date-time as an aware datetime; no offset means UTC.

    Raises :class:`ValueError` when ``text`` is not one.
    """
    text = text.strip()
    match = _ISO8601_RE.match(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    tz = timezone.utc
    if offset and offset not in ("Z", "z"):
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = timezone(-delta if offset[0] == "-" else delta)
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        microsecond,
        tzinfo=tz,
    )


def _date(text: str, first: Any, second: Any) -> Union[datetime, RawValue]:
    for parse in (first, second):
        try:
            return parse(text)  # type: ignore[no-any-return]
        except (ValueError, OverflowError):
            continue
    return RawValue(text)


def parse_timeout(text: str) -> Optional[int]:
    """Seconds from a ``Timeout`` value (RFC 4918 section 10.7): ``Second-n`` or ``Infinite``.

    The first recognised entry of a list wins; ``Infinite`` and an
    unreadable value (also a number of more than :data:`MAX_INTEGER_DIGITS`
    digits) give ``None``.
    """
    for item in text.split(","):
        item = item.strip()
        if item.lower() == "infinite":
            return None
        match = re.fullmatch(r"second-([0-9]+)", item, re.I)
        if match:
            return bounded_int(match.group(1))
    return None


# ---------------------------------------------------------------------------
# Structures


def _text(raw: RawProp) -> str:
    return raw if isinstance(raw, str) else raw[2]


def structure(node: Node) -> Any:
    """An element in xmltodict's form, with Clark-notation names.

    A child element without children or attributes becomes its stripped text,
    or ``None`` when empty; otherwise a dict: attributes under ``"@name"``,
    child elements under their Clark name (a list when repeated), text under
    ``"#text"`` when there is any besides whitespace. This is what
    ``xmltodict.parse(..., process_namespaces=True)`` gives, except that
    names are ``{namespace}local`` rather than ``namespace:local`` and that
    namespace declarations are not repeated under ``"@xmlns"``.
    """
    _tag, attrib, text, children = node
    if not children and not attrib:
        return text.strip() or None
    result: Dict[str, Any] = {}
    if attrib:
        for name, value in attrib.items():
            result["@" + name] = value
    for child in children:
        value = structure(child)
        key = child[0]
        if key in result:
            existing = result[key]
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[key] = [existing, value]
        else:
            result[key] = value
    stripped = text.strip()
    if stripped:
        result["#text"] = stripped
    return result


def _short(tag: str) -> str:
    return tag[len(DAV) :] if tag.startswith(DAV) else tag


def _child(node: Node, tag: str) -> Optional[Node]:
    for child in node[3]:
        if child[0] == tag:
            return child
    return None


def _first_child_name(node: Optional[Node]) -> str:
    if node is None or not node[3]:
        return ""
    return _short(node[3][0][0])


def _href(node: Optional[Node]) -> Optional[str]:
    if node is None:
        return None
    href = _child(node, "{DAV:}href")
    return href[2].strip() if href is not None else (node[2].strip() or None)


_PLAIN_RESOURCE = ResourceType()


def _resourcetype(raw: RawProp) -> Union[ResourceType, RawValue]:
    if isinstance(raw, str):  # an empty set is immutable: one serves every plain resource
        return _PLAIN_RESOURCE if not raw.strip() else RawValue(raw)
    return ResourceType(child[0] for child in raw[3])


def _lock_entries(raw: RawProp) -> Union[List[LockEntry], RawValue]:
    if isinstance(raw, str):
        return [] if not raw.strip() else RawValue(raw)
    return [
        LockEntry(
            _first_child_name(_child(entry, "{DAV:}lockscope")),
            _first_child_name(_child(entry, "{DAV:}locktype")),
        )
        for entry in raw[3]
        if entry[0] == "{DAV:}lockentry"
    ]


def _owner(node: Optional[Node]) -> Any:
    if node is None:
        return None
    if not node[3] and not node[1]:
        return node[2].strip() or None
    return structure(node)


def active_lock(node: Node) -> ActiveLock:
    """An :class:`ActiveLock` from a ``DAV:activelock`` node."""
    depth = _child(node, "{DAV:}depth")
    timeout = _child(node, "{DAV:}timeout")
    return ActiveLock(
        scope=_first_child_name(_child(node, "{DAV:}lockscope")),
        type=_first_child_name(_child(node, "{DAV:}locktype")),
        depth=depth[2].strip().lower() if depth is not None else "infinity",
        owner=_owner(_child(node, "{DAV:}owner")),
        timeout=parse_timeout(timeout[2]) if timeout is not None else None,
        locktoken=_href(_child(node, "{DAV:}locktoken")),
        lockroot=_href(_child(node, "{DAV:}lockroot")),
    )


def _lockdiscovery(raw: RawProp) -> Union[List[ActiveLock], RawValue]:
    if isinstance(raw, str):
        return [] if not raw.strip() else RawValue(raw)
    return [active_lock(child) for child in raw[3] if child[0] == "{DAV:}activelock"]


def _integer(raw: RawProp) -> Union[int, RawValue]:
    text = raw if isinstance(raw, str) else raw[2]  # _text(), inlined
    stripped = text.strip()
    if stripped.isdigit() and stripped.isascii() and len(stripped) <= _SHORT_DIGITS:
        return int(stripped)  # the common case: what the general rule gives, without it
    return _integer_general(text, stripped)


def _integer_general(text: str, stripped: str) -> Union[int, RawValue]:
    if re.fullmatch(r"[+-]?[0-9]+", stripped):
        value = bounded_int(stripped)
        if value is not None:
            return value
    return RawValue(text)


_SHORT_DIGITS = 18


def _stripped(raw: RawProp) -> str:
    return (raw if isinstance(raw, str) else raw[2]).strip()  # _text(), inlined


def _as_is(raw: RawProp) -> str:
    return _text(raw)


def _last_modified(raw: RawProp) -> Union[datetime, RawValue]:
    text = raw if isinstance(raw, str) else raw[2]  # _text(), inlined
    fixdate = _imf_fixdate(text)  # the form servers send, without the general rule
    return fixdate if fixdate is not None else _date(text, parse_http_date, parse_iso8601)


_CONVERTERS: Dict[str, Any] = {
    GETLASTMODIFIED: _last_modified,
    CREATIONDATE: lambda raw: _date(_text(raw), parse_iso8601, parse_http_date),
    GETCONTENTLENGTH: _integer,
    QUOTA_AVAILABLE_BYTES: _integer,
    QUOTA_USED_BYTES: _integer,
    GETETAG: _stripped,
    GETCONTENTTYPE: _stripped,
    GETCONTENTLANGUAGE: _stripped,
    SYNC_TOKEN: _stripped,
    DISPLAYNAME: _as_is,
    RESOURCETYPE: _resourcetype,
    SUPPORTEDLOCK: _lock_entries,
    LOCKDISCOVERY: _lockdiscovery,
}

_STRUCTURED = frozenset((RESOURCETYPE, SUPPORTEDLOCK, LOCKDISCOVERY))


def convert(name: str, raw: RawProp) -> Any:
    """The value of property ``name`` (a Clark name) from its raw form.

    Known DAV: properties get the types listed in the module docstring; a
    leaf known property that turns up with child elements, and every other
    property, gets :func:`structure`'s form (a leaf without attributes: its
    text exactly as sent).
    """
    converter = _CONVERTERS.get(name)
    if converter is not None and (isinstance(raw, str) or not raw[3] or name in _STRUCTURED):
        return converter(raw)
    if isinstance(raw, str):
        return raw
    return structure(raw)


def known_properties() -> Iterable[str]:
    """The Clark names :func:`convert` gives a type to."""
    return tuple(_CONVERTERS)
