"""XML request bodies of WebDAV methods (RFC 4918 section 14, RFC 6578 section 6.1, RFC 5323).

Every builder returns UTF-8 ``bytes`` with an XML declaration, ready to send with
``Content-Type: application/xml; charset="utf-8"`` (RFC 4918 section 8.2).

Property names are Clark notation ``{namespace}local``; a bare name means the ``DAV:``
namespace (``"getetag"`` is ``{DAV:}getetag``). ``DAV:`` is always written with the prefix
``D``; every other namespace gets a generated prefix (``ns0``, ``ns1``, ...) declared on the
root element, so any namespace a caller names (or that appears inside a structured value)
is declared exactly once.

Property values for ``PROPPATCH`` ``set`` (RFC 4918 section 14.26) are

- ``None`` or ``""``: an empty property element;
- a ``str``: the element's text (escaped);
- an :class:`Element` (a small element helper), or a list of them and strings (mixed content);
- a ``dict`` in :mod:`xmltodict` form: keys are child element names (Clark names, or bare
  names meaning *no namespace*: inside a value nothing is implied), ``"@name"`` keys are
  attributes and ``"#text"`` is text; a list value repeats the element.

Characters that XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE/U+FFFF)
raise :class:`ValueError`: a property value is never silently altered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

DAV_NS = "DAV:"

#: XML 1.0 section 2.2 ``Char`` production, negated: what must not appear in a document.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: XML 1.0 section 2.3 ``Name`` (close enough: any letters, digits, '_', '-', '.').
_NCNAME = re.compile(r"^[^\W\d][\w.\-]*$", re.UNICODE)


@dataclass(frozen=True)
class Element:
    """A small XML element for structured property values.

    ``name`` is a Clark name (``{ns}local``) or a bare local name in no namespace;
    ``children`` mixes ``Element`` objects and text strings, in document order.

    >>> Element("{urn:x}author", [Element("{urn:x}name", ["Ada"])], attrs={"lang": "en"})
    """

    name: str
    children: Sequence[Union[Element, str]] = ()
    attrs: Mapping[str, str] = field(default_factory=dict)


PropertyValue = Union[None, str, Element, Mapping[str, Any], Sequence[Union[Element, str]]]


def split_clark(name: str, default_ns: Optional[str] = DAV_NS) -> Tuple[Optional[str], str]:
    """Split ``{ns}local`` into ``(ns, local)``; a bare name gets ``default_ns``.

    Raises :class:`ValueError` for an empty or malformed name.
    """
    if name.startswith("{"):
        end = name.find("}")
        if end < 0:
            raise ValueError(f"malformed Clark name {name!r}")
        ns, local = name[1:end], name[end + 1 :]
        namespace: Optional[str] = ns or None
    else:
        namespace, local = default_ns, name
    if not _NCNAME.match(local) or ":" in local:
        raise ValueError(f"invalid XML element name {name!r}")
    return namespace, local


def clark(name: str) -> str:
    """The canonical Clark name of a property name (bare names mean ``DAV:``).

    A property in no namespace (``{}local``) comes back as the bare ``local``, as Clark
    notation has it.
    """
    ns, local = split_clark(name)
    return f"{{{ns}}}{local}" if ns else local


def escape_text(text: str) -> str:
    """Escape character data (XML 1.0 section 2.4); refuse characters XML cannot carry."""
    _check_chars(text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attr(text: str) -> str:
    """Escape an attribute value (XML 1.0 section 3.3.3: whitespace kept as references)."""
    return escape_text(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _check_chars(text: str) -> None:
    bad = _INVALID_XML_CHARS.search(text)
    if bad is not None:
        raise ValueError(
            f"character U+{ord(bad.group()):04X} at position {bad.start()} cannot be sent in XML"
        )


class _Writer:
    """Collects namespaces, assigns prefixes, and serialises a tree of ``Element``."""

    def __init__(self) -> None:
        self.prefixes: Dict[str, str] = {DAV_NS: "D"}

    def prefix(self, ns: str) -> str:
        if ns not in self.prefixes:
            self.prefixes[ns] = f"ns{len(self.prefixes) - 1}"
        return self.prefixes[ns]

    def qname(self, name: str, default_ns: Optional[str]) -> str:
        ns, local = split_clark(name, default_ns)
        return f"{self.prefix(ns)}:{local}" if ns else local

    def attr_name(self, name: str) -> str:
        # Attributes in no namespace stay bare; Clark-named ones get a prefix.
        return self.qname(name, None)

    def write(self, element: Element, default_ns: Optional[str], out: List[str]) -> None:
        tag = self.qname(element.name, default_ns)
        attrs = "".join(
            f' {self.attr_name(key)}="{escape_attr(str(value))}"'
            for key, value in element.attrs.items()
        )
        if not element.children:
            out.append(f"<{tag}{attrs}/>")
            return
        out.append(f"<{tag}{attrs}>")
        for child in element.children:
            if isinstance(child, Element):
                # Inside a value, a bare child name is in no namespace.
                self.write(child, None, out)
            else:
                out.append(escape_text(child))
        out.append(f"</{tag}>")

    def document(self, root: Element) -> bytes:
        body: List[str] = []
        self.write(root, DAV_NS, body)
        # The root's own tag is written first: splice the declarations into it.
        first = body[0]
        decls = "".join(
            f' xmlns:{prefix}="{escape_attr(ns)}"' for ns, prefix in self.prefixes.items()
        )
        close = -2 if first.endswith("/>") else -1
        body[0] = first[:close] + decls + first[close:]
        return ('<?xml version="1.0" encoding="utf-8"?>\n' + "".join(body)).encode("utf-8")


def E(tag: str, /, *children: Union[Element, str], **attrs: str) -> Element:
    """Shorthand for :class:`Element`; bare names given to the builders below mean ``DAV:``.

    The element name is positional-only, so any attribute can be a keyword, ``name``
    included (CalDAV's ``E(C + "comp-filter", name="VEVENT")``, RFC 4791 section 9.7.1).
    """
    return Element(tag, children, attrs)


def _dav(local: str, *children: Union[Element, str]) -> Element:
    return Element(f"{{{DAV_NS}}}{local}", children)


def _prop_element(name: str, value: PropertyValue = None) -> Element:
    """The element of a property (RFC 4918 section 14.18), with its value as children."""
    ns, local = split_clark(name)
    attrs: Dict[str, str] = {}
    if isinstance(value, Mapping):
        # "@name" keys at the top of a dict value are attributes of the property element.
        attrs = {k[1:]: str(v) for k, v in value.items() if k.startswith("@")}
        value = {k: v for k, v in value.items() if not k.startswith("@")}
    # "{}local" keeps a no-namespace property out of the bare-name-means-DAV: rule.
    return Element(f"{{{ns or ''}}}{local}", tuple(value_children(value)), attrs)


def value_children(value: PropertyValue) -> List[Union[Element, str]]:
    """Turn a property value (see the module docstring) into element children."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Element):
        return [value]
    if isinstance(value, Mapping):
        return _from_dict(value)
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("property values are text: decode bytes first")
    children: List[Union[Element, str]] = []
    for item in value:
        if isinstance(item, (Element, str)):
            children.append(item)
        elif isinstance(item, Mapping):
            children.extend(_from_dict(item))
        else:
            raise TypeError(f"cannot use {type(item).__name__} in a property value")
    return children


def _from_dict(mapping: Mapping[str, Any]) -> List[Union[Element, str]]:
    """xmltodict-style content: ``#text`` first (the element's own text), then the child
    elements in mapping order (attributes are the caller's)."""
    children: List[Union[Element, str]] = []
    if mapping.get("#text") is not None:
        children.append(str(mapping["#text"]))
    for key, item in mapping.items():
        if key.startswith("@"):
            raise ValueError(f"attribute {key!r} has no element to belong to")
        if key == "#text":
            continue
        items = item if isinstance(item, list) else [item]
        for one in items:
            children.append(_dict_element(key, one))
    return children


def _dict_element(name: str, content: Any) -> Element:
    if content is None:
        return Element(name)
    if isinstance(content, Element):
        return Element(name, (content,))
    if isinstance(content, Mapping):
        attrs = {k[1:]: str(v) for k, v in content.items() if k.startswith("@")}
        rest = {k: v for k, v in content.items() if not k.startswith("@")}
        return Element(name, tuple(_from_dict(rest)), attrs)
    if isinstance(content, bool):
        return Element(name, ("true" if content else "false",))
    return Element(name, (str(content),))


# -- PROPFIND (RFC 4918 sections 9.1, 14.20) --------------------------------------------------


def propfind(
    props: Union[str, Iterable[str], None] = None, include: Optional[Iterable[str]] = None
) -> bytes:
    """A ``propfind`` body (RFC 4918 section 14.20).

    ``props`` is ``None`` for ``allprop`` (optionally with ``include``, section 14.8: properties
    a server would not return with allprop, e.g. ``{DAV:}supported-report-set``), the string
    ``"propname"`` for the names only, or an iterable of property names for ``prop``.
    """
    if props is None:
        children: List[Union[Element, str]] = [_dav("allprop")]
        names = list(include or ())
        if names:
            children.append(_dav("include", *(_prop_element(n) for n in names)))
    elif isinstance(props, str):
        if props != "propname":
            raise ValueError('props must be None, "propname" or a list of property names')
        if include:
            raise ValueError("include is only allowed with allprop")
        children = [_dav("propname")]
    else:
        if include:
            raise ValueError("include is only allowed with allprop")
        children = [_dav("prop", *(_prop_element(n) for n in props))]
    return _Writer().document(_dav("propfind", *children))


# -- PROPPATCH (RFC 4918 sections 9.2, 14.19, 14.23, 14.26) ------------------------------------

#: One PROPPATCH instruction: ``("set", name, value)`` or ``("remove", name, None)``.
Operation = Tuple[str, str, PropertyValue]


def proppatch_operations(
    set: Optional[Mapping[str, PropertyValue]] = None,
    remove: Optional[Iterable[str]] = None,
) -> List[Operation]:
    """The ordered instruction list of ``set`` (in mapping order) then ``remove``."""
    ops: List[Operation] = [("set", name, value) for name, value in (set or {}).items()]
    ops += [("remove", name, None) for name in (remove or ())]
    return ops


def proppatch(
    set: Optional[Mapping[str, PropertyValue]] = None,
    remove: Optional[Iterable[str]] = None,
    *,
    operations: Optional[Sequence[Operation]] = None,
) -> bytes:
    """A ``propertyupdate`` body (RFC 4918 section 14.19).

    Instructions are processed by the server in document order (section 9.2), so order is
    kept: ``set`` entries, then ``remove`` names, or exactly the given ``operations``
    (``("set", name, value)`` / ``("remove", name, None)``) when interleaving matters.

    Every property gets its own ``set``/``remove`` element with its own ``prop`` (section
    14.26 allows one ``prop`` per ``set``; a ``propertyupdate`` takes any number of them):
    lighttpd 1.4 keeps only the first property of a ``prop`` and answers 204 for all.
    """
    ops = list(operations) if operations is not None else proppatch_operations(set, remove)
    if not ops:
        raise ValueError("PROPPATCH needs at least one property to set or remove")
    children: List[Element] = []
    for op in ops:
        kind, name, value = op
        if kind not in ("set", "remove"):
            raise ValueError(f"unknown PROPPATCH instruction {kind!r}")
        element = _prop_element(name, value if kind == "set" else None)
        children.append(_dav(kind, _dav("prop", element)))
    return _Writer().document(_dav("propertyupdate", *children))


# -- LOCK (RFC 4918 sections 9.10, 14.11, 14.17) ----------------------------------------------


@dataclass(frozen=True)
class Href:
    """An owner given as a URL (RFC 4918 section 14.17: ``<owner><href>...</href></owner>``)."""

    url: str


def lockinfo(
    scope: str = "exclusive",
    owner: Union[str, Href, Element, Mapping[str, Any], None] = None,
) -> bytes:
    """A ``lockinfo`` body for a write lock (RFC 4918 section 14.11).

    ``scope`` is ``"exclusive"`` or ``"shared"``; ``owner`` is text, an :class:`Href`,
    or a structured value (``Element`` / xmltodict dict) put inside ``<D:owner>``.
    """
    if scope not in ("exclusive", "shared"):
        raise ValueError('scope must be "exclusive" or "shared"')
    children: List[Union[Element, str]] = [
        _dav("lockscope", _dav(scope)),
        _dav("locktype", _dav("write")),
    ]
    if owner is not None:
        if isinstance(owner, Href):
            children.append(_dav("owner", _dav("href", owner.url)))
        else:
            children.append(_dav("owner", *value_children(owner)))
    return _Writer().document(_dav("lockinfo", *children))


# -- REPORT sync-collection (RFC 6578 section 6.1, RFC 5323 section 5.17) ----------------------


def sync_collection(
    sync_token: Optional[str] = None,
    props: Optional[Iterable[str]] = None,
    *,
    sync_level: Union[int, str] = 1,
    limit: Optional[int] = None,
) -> bytes:
    """A ``sync-collection`` REPORT body (RFC 6578 section 6.1).

    ``sync_token`` ``None`` starts an initial synchronisation (an empty ``sync-token``
    element, section 3.8); ``sync_level`` is ``1`` or ``"infinite"``; ``props`` lists the
    properties to return for changed members (default ``{DAV:}getetag``); ``limit`` asks for
    at most that many results (``<D:limit><D:nresults>``, RFC 5323 section 5.17, as
    RFC 6578 section 3.7 uses it).
    """
    level = str(sync_level)
    if level not in ("1", "infinite"):
        raise ValueError('sync_level must be 1 or "infinite"')
    names = list(props) if props is not None else ["getetag"]
    children: List[Union[Element, str]] = [
        _dav("sync-token", *([sync_token] if sync_token else [])),
        _dav("sync-level", level),
    ]
    if limit is not None:
        if limit < 1:
            raise ValueError("limit must be a positive number of results")
        children.append(_dav("limit", _dav("nresults", str(int(limit)))))
    children.append(_dav("prop", *(_prop_element(n) for n in names)))
    return _Writer().document(_dav("sync-collection", *children))


def document(root: Element) -> bytes:
    """Serialise any :class:`Element` tree (bare names at the root mean ``DAV:``), for
    ``REPORT`` bodies the builders above do not cover."""
    return _Writer().document(root)


__all__ = [
    "DAV_NS",
    "E",
    "Element",
    "Href",
    "Operation",
    "PropertyValue",
    "clark",
    "document",
    "escape_attr",
    "escape_text",
    "lockinfo",
    "propfind",
    "proppatch",
    "proppatch_operations",
    "split_clark",
    "sync_collection",
    "value_children",
]
