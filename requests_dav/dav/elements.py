"""Parsed XML elements to the raw values of the multistatus model (RFC 4918 section 14).

A ``DAV:status`` line (section 14.28, an RFC 9112 status-line), an element to the plain
:data:`~requests_dav.dav.properties.Node` tuple the typed properties read, the conditions of
a ``DAV:error`` (section 16) and the ``DAV:href`` inside an element. Every function here is
linear in its input: a hostile server controls all of it.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Optional, Set, Tuple
from xml.etree.ElementTree import Element as _StdlibElement

from . import properties as _props
from .properties import Node
from .xmlsafe import MultiStatusParseError

HREF = "{DAV:}href"

# RFC 4918 section 14.28: DAV:status holds a status-line (RFC 9112 section 4:
# HTTP-version SP status-code SP [ reason-phrase ]); the reason may be missing.
# Matched against the stripped text: no trailing-whitespace group after a lazy
# reason, which made a long run of inner whitespace backtrack quadratically.
_STATUS_LINE_RE = re.compile(r"HTTP/\d+(?:\.\d+)?\s+(\d{3})(?:\s+(.*))?\Z", re.I | re.S)
_STATUS_CACHE: Dict[str, Tuple[int, str]] = {}
_STATUS_CACHE_MAX_CHARS = 256


def status(text: Optional[str], where: str) -> Tuple[int, str]:
    if text is None:
        raise MultiStatusParseError(f"{where} without a DAV:status")
    try:
        return _STATUS_CACHE[text]
    except KeyError:
        pass
    stripped = text.strip()
    match = _STATUS_LINE_RE.match(stripped)
    if match is None:
        raise MultiStatusParseError(f"malformed DAV:status in {where}: {stripped[:80]!r}")
    result = int(match.group(1)), match.group(2) or ""
    if len(_STATUS_CACHE) < 256 and len(text) <= _STATUS_CACHE_MAX_CHARS:
        _STATUS_CACHE[text] = result
    return result


def is_success(status: int) -> bool:
    return 200 <= status < 300


# ---------------------------------------------------------------------------
# Element -> raw values (the hot path: kept small)


def node(element: Any) -> Node:
    children = []
    texts = [element.text or ""]
    for child in element:
        children.append(node(child))
        tail = child.tail
        if tail:
            texts.append(tail)
    return element.tag, attributes(element), "".join(texts), tuple(children)


_FEW_ATTRIBUTES = 16


def attributes(element: Any) -> Optional[Dict[str, str]]:
    if type(element) is not _StdlibElement and len(element.attrib) > _FEW_ATTRIBUTES:
        # lxml's items() looks every value up by name, quadratic in the count;
        # its XPath attribute nodes carry the Clark name and the value together
        return {value.attrname: str(value) for value in element.xpath("@*")}
    items = element.items()  # unlike .attrib, creates no dict on a stdlib element
    return dict(items) if items else None


class SharedNodes:
    """Nodes of lxml elements, one per distinct serialisation (one parse's worth).

    An lxml element kept past its response would keep its whole detached
    ``propstat`` alive in libxml2 (several KiB per response), so lxml values
    are converted at once; most structured values of a listing are the same
    (``supportedlock``, ``resourcetype``), so the node is built once per
    distinct value and shared.
    """

    MAX_ENTRIES = 256
    MAX_KEY_CHARS = 4096

    def __init__(self) -> None:
        from lxml import etree

        self._tostring = etree.tostring
        self._nodes: Dict[str, Node] = {}

    def __call__(self, element: Any) -> Node:
        key = self._tostring(element, encoding="unicode", with_tail=False)
        found = self._nodes.get(key)
        if found is None:
            found = node(element)
            if len(self._nodes) < self.MAX_ENTRIES and len(key) <= self.MAX_KEY_CHARS:
                self._nodes[key] = found
        return found


def keep_element(element: Any) -> Any:
    """A stdlib element holds no reference to its parent: keep it, convert on access."""
    return element


def conditions(elements: Iterable[Any]) -> Dict[str, Any]:
    """The children of a ``DAV:error`` (RFC 4918 section 16): name -> detail or ``None``."""
    result: Dict[str, Any] = {}
    repeated: Set[str] = set()
    for child in elements:
        detail = _props.structure(node(child))
        name = child.tag
        if name not in result:
            result[name] = detail
        elif name in repeated:
            result[name].append(detail)  # in place: copying the list made n repeats cost n**2
        else:
            result[name] = [result[name], detail]
            repeated.add(name)
    return result


def href_in(element: Any) -> Optional[str]:
    for child in element:
        if child.tag == HREF:
            return (child.text or "").strip()
    return None


__all__ = [
    "HREF",
    "SharedNodes",
    "attributes",
    "conditions",
    "href_in",
    "is_success",
    "keep_element",
    "node",
    "status",
]
