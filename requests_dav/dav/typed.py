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


class TypedProperties:
    """The typed DAV: property accessors, over the merged properties of a response."""

    __slots__ = ()

    href: str
    _props: Any  # the merged 2xx properties once worked out, else None

    def _property_map(self) -> Any:
        """The merged 2xx properties (a ``PropertyMap``)."""
        raise NotImplementedError

    def _typed(self, name: str, kind: Any) -> Any:
        # PropertyMap.get inlined: a leaf's text goes straight to its converter
        props = self._props
        if props is None:
            props = self._property_map()
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

    @property
    def resourcetype(self) -> Optional[ResourceType]:
        """``DAV:resourcetype``, or ``None`` when not reported."""
        return self._typed(_props.RESOURCETYPE, ResourceType)  # type: ignore[no-any-return]

    @property
    def is_collection(self) -> bool:
        """From ``DAV:resourcetype`` when reported, else from a trailing slash in the href."""
        resourcetype = self._typed(_props.RESOURCETYPE, ResourceType)
        if resourcetype is not None:
            return _COLLECTION in resourcetype  # ResourceType.is_collection, inlined
        return self.href.endswith("/")

    @property
    def etag(self) -> Optional[str]:
        """``DAV:getetag`` as sent (quotes and ``W/`` kept), or ``None``."""
        return self._typed(_props.GETETAG, str)  # type: ignore[no-any-return]

    @property
    def content_length(self) -> Optional[int]:
        """``DAV:getcontentlength``, or ``None`` when absent or unreadable."""
        return self._typed(_props.GETCONTENTLENGTH, int)  # type: ignore[no-any-return]

    @property
    def last_modified(self) -> Optional[datetime]:
        """``DAV:getlastmodified`` (aware), or ``None`` when absent or unreadable."""
        return self._typed(_props.GETLASTMODIFIED, datetime)  # type: ignore[no-any-return]

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
