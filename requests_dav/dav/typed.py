"""The typed accessors of a multistatus response (RFC 4918 section 15).

:class:`TypedProperties` gives :class:`~requests_dav.dav.multistatus.DAVResponse`
its ``etag``, ``content_length``, ``last_modified`` and the other typed
DAV: properties: the values of :func:`requests_dav.dav.properties.convert`
when they have the property's type, else ``None``. A listing is read
through these, so they reach the converter of a leaf property directly
rather than through the mapping's general lookup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from . import properties as _props
from .properties import ResourceType

__all__ = ["MISSING", "TypedProperties"]

MISSING: Any = object()
"""A default no property value can be."""

_COLLECTION = "{DAV:}collection"
_GETCONTENTLENGTH = _props.GETCONTENTLENGTH
_GETETAG = _props.GETETAG
_GETLASTMODIFIED = _props.GETLASTMODIFIED
_RESOURCETYPE = _props.RESOURCETYPE
_PLAIN_RESOURCE = _props._PLAIN_RESOURCE
_imf_fixdate = _props._imf_fixdate


class TypedProperties:
    """The typed DAV: property accessors, over the merged properties of a response."""

    __slots__ = ()

    href: str
    _props: Any  # the merged 2xx properties once worked out, else None

    @property
    def props(self) -> Any:
        """The merged 2xx properties (a ``PropertyMap``)."""
        raise NotImplementedError

    def _typed(self, name: str, kind: Any) -> Any:
        # PropertyMap.get inlined: a leaf's text goes straight to its converter
        props = self._props
        if props is None:
            props = self.props
        values = props._values
        value = values.get(name, MISSING)
        if value is MISSING:
            raw = props._raw.get(name, MISSING)
            if raw is MISSING:
                return None
            if type(raw) is str:
                value = values[name] = _props._CONVERTERS[name](raw)
            else:
                value = props[name]
        if type(value) is kind:  # what the converters give; a RawValue is its own type
            return value
        return value if isinstance(value, kind) and not isinstance(value, _props.RawValue) else None

    # The five a listing is read for take the leaf text that servers send
    # straight to its converter's own shortcut (no call to _typed, the
    # converter or PropertyMap), the value kept in the map as _typed keeps
    # it; everything else (absent, an element, a value already kept) is
    # _typed's.

    @property
    def resourcetype(self) -> Optional[ResourceType]:
        """``DAV:resourcetype``, or ``None`` when not reported."""
        return self._typed(_RESOURCETYPE, ResourceType)  # type: ignore[no-any-return]

    @property
    def is_collection(self) -> bool:
        """From ``DAV:resourcetype`` when reported, else from a trailing slash in the href."""
        props = self._props
        if props is None:
            props = self.props
        if _RESOURCETYPE not in props._values:
            raw = props._raw.get(_RESOURCETYPE)
            if type(raw) is str and not raw.strip():  # the converter's empty set, inlined
                props._values[_RESOURCETYPE] = _PLAIN_RESOURCE
                return False
        resourcetype = self._typed(_RESOURCETYPE, ResourceType)
        if resourcetype is not None:
            return _COLLECTION in resourcetype  # ResourceType.is_collection, inlined
        return self.href.endswith("/")

    @property
    def etag(self) -> Optional[str]:
        """``DAV:getetag`` as sent (quotes and ``W/`` kept), or ``None``."""
        props = self._props
        if props is None:
            props = self.props
        value = props._values.get(_GETETAG, MISSING)
        if value is MISSING:
            raw = props._raw.get(_GETETAG)
            if type(raw) is not str:
                return self._typed(_GETETAG, str)  # type: ignore[no-any-return]
            value = props._values[_GETETAG] = raw.strip()  # the converter, inlined
        if type(value) is str:
            return value
        return self._typed(_GETETAG, str)  # type: ignore[no-any-return]

    @property
    def content_length(self) -> Optional[int]:
        """``DAV:getcontentlength``, or ``None`` when absent or unreadable."""
        props = self._props
        if props is None:
            props = self.props
        value = props._values.get(_GETCONTENTLENGTH, MISSING)
        if value is MISSING:
            raw = props._raw.get(_GETCONTENTLENGTH)
            if type(raw) is not str:
                return self._typed(_GETCONTENTLENGTH, int)  # type: ignore[no-any-return]
            if raw.isdigit() and raw.isascii() and len(raw) <= _props._SHORT_DIGITS:
                value = int(raw)  # the converter's shortcut, inlined (no space to strip)
            else:
                value = _props._integer(raw)
            props._values[_GETCONTENTLENGTH] = value
        if type(value) is int:
            return value
        return self._typed(_GETCONTENTLENGTH, int)  # type: ignore[no-any-return]

    @property
    def last_modified(self) -> Optional[datetime]:
        """``DAV:getlastmodified`` (aware), or ``None`` when absent or unreadable."""
        props = self._props
        if props is None:
            props = self.props
        value = props._values.get(_GETLASTMODIFIED, MISSING)
        if value is MISSING:
            raw = props._raw.get(_GETLASTMODIFIED)
            if type(raw) is not str:
                return self._typed(_GETLASTMODIFIED, datetime)  # type: ignore[no-any-return]
            value = _imf_fixdate(raw)  # the converter's shortcut, called directly
            if value is None:
                value = _props._last_modified(raw)
            props._values[_GETLASTMODIFIED] = value
        if type(value) is datetime:
            return value
        return self._typed(_GETLASTMODIFIED, datetime)  # type: ignore[no-any-return]

    @property
    def creation_date(self) -> Optional[datetime]:
        """``DAV:creationdate`` (aware), or ``None`` when absent or unreadable."""
        return self._typed(_props.CREATIONDATE, datetime)  # type: ignore[no-any-return]

    @property
    def content_type(self) -> Optional[str]:
        """``DAV:getcontenttype``, or ``None``."""
        return self._typed(_props.GETCONTENTTYPE, str)  # type: ignore[no-any-return]

    @property
    def display_name(self) -> Optional[str]:
        """``DAV:displayname``, or ``None``."""
        return self._typed(_props.DISPLAYNAME, str)  # type: ignore[no-any-return]
