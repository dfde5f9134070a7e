"""The 207 Multi-Status model and its parser (RFC 4918 sections 9.1, 13, 14.16, 14.22, 14.24).

:func:`parse_multistatus` reads a whole body into a :class:`MultiStatus`;
:func:`iter_multistatus` streams one :class:`DAVResponse` at a time from
chunks as they arrive, for listings of any size. Both parse through
:mod:`requests_dav.dav.xmlsafe` (no document type declarations, bounded
depth, lxml when available).

Nothing in a multistatus is dropped:

* every ``DAV:response``, with its hrefs resolved against the request URL
  (RFC 3986 section 5; :mod:`requests_dav.dav.hrefs`), its overall
  ``status`` or its ``propstat`` elements each with their own status (RFC
  4918 section 14.22), its ``error`` (section 14.5), ``responsedescription``
  (section 14.25) and ``location`` (section 14.9);
* a response in the ``href*, status`` form (several hrefs sharing one
  status, section 14.24) becomes one :class:`DAVResponse` per href, all with
  the same status, error and description;
* every property in any namespace: typed values for the DAV: properties
  listed in :mod:`requests_dav.dav.properties`, the text of any other leaf
  property exactly as sent (``""`` for an empty element), and for a property
  with child elements or attributes a dict in xmltodict's form with
  ``{namespace}local`` keys (:func:`requests_dav.dav.properties.structure`);
* the multistatus-level ``responsedescription`` and the RFC 6578
  ``sync-token``.

Typed values are computed on first access, so a listing that is only
iterated costs little more than the XML parse.
"""

from __future__ import annotations

import re
from typing import (
    Any,
    Callable,
    Dict,
    Generator,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
    overload,
)

from . import properties as _props
from .elements import (
    HREF as _HREF,
)
from .elements import (
    SharedNodes as _SharedNodes,
)
from .elements import (
    conditions as _conditions,
)
from .elements import (
    href_in as _href_in,
)
from .elements import (
    is_success as _is_success,
)
from .elements import (
    keep_element as _keep_element,
)
from .elements import (
    node as _node,
)
from .elements import (
    status as _status,
)
from .hrefs import href_to_path, normalize_path, resolve_href
from .properties import RawProp
from .typed import MISSING, TypedProperties
from .xmlsafe import DEFAULT_MAX_DEPTH, MultiStatusParseError, iterparse_children, select_backend

__all__ = [
    "CHUNK_SIZE",
    "DAVResponse",
    "MultiStatus",
    "MultiStatusParseError",
    "MultiStatusStream",
    "PropStat",
    "PropertyMap",
    "ResponseStatusError",
    "iter_multistatus",
    "parse_error_body",
    "parse_multistatus",
]

CHUNK_SIZE = 65536
"""Size of the slices a ``bytes`` body is fed to the parser in."""

_MULTISTATUS = "{DAV:}multistatus"
_RESPONSE = "{DAV:}response"
_STATUS = "{DAV:}status"
_PROPSTAT = "{DAV:}propstat"
_PROP = "{DAV:}prop"
_ERROR = "{DAV:}error"
_RESPONSEDESCRIPTION = "{DAV:}responsedescription"
_LOCATION = "{DAV:}location"
_SYNC_TOKEN = "{DAV:}sync-token"  # noqa: S105 (an element name)

Body = Union[bytes, bytearray, memoryview, Iterable[bytes]]

_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


_MISSING: Any = MISSING


class PropertyMap(Mapping[str, Any]):
    """Properties by Clark name (``{namespace}local``), converted on first access.

    Values are those of :func:`requests_dav.dav.properties.convert`;
    :meth:`raw` gives the text as sent (or the structure of an element).
    With the stdlib backend a property element with children or attributes
    is kept as the parser built it until first access (parsing a listing
    does not pay for structures nobody reads); pickling converts everything
    to plain values.
    """

    __slots__ = ("_raw", "_values")

    def __init__(self, raw: Optional[Dict[str, Any]] = None) -> None:
        self._raw: Dict[str, Any] = raw if raw is not None else {}
        self._values: Dict[str, Any] = {}

    def _raw_value(self, name: str) -> RawProp:
        raw = self._raw[name]
        if isinstance(raw, (str, tuple)):
            return raw
        node = _node(raw)  # a parser element: keep the plain form instead
        self._raw[name] = node
        return node

    def __getitem__(self, name: str) -> Any:
        value = self._values.get(name, _MISSING)
        if value is _MISSING:
            value = self._values[name] = _props.convert(name, self._raw_value(name))
        return value

    def get(self, name: str, default: Any = None) -> Any:
        value = self._values.get(name, _MISSING)
        if value is _MISSING:
            if name not in self._raw:
                return default
            value = self._values[name] = _props.convert(name, self._raw_value(name))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def raw(self, name: str) -> Any:
        """The value before conversion: the text of a leaf element, else its structure."""
        raw = self._raw_value(name)
        return raw if isinstance(raw, str) else _props.structure(raw)

    def __repr__(self) -> str:
        return f"PropertyMap({dict(self.items())!r})"

    def __getstate__(self) -> Dict[str, RawProp]:
        return {name: self._raw_value(name) for name in self._raw}

    def __setstate__(self, state: Dict[str, RawProp]) -> None:
        self._raw = dict(state)
        self._values = {}


class PropStat:
    """One ``DAV:propstat`` (RFC 4918 section 14.22): properties sharing one status.

    ``props`` holds the properties (in a failed propstat the values are
    usually empty); ``error`` maps the Clark names of the precondition or
    postcondition elements of its ``DAV:error`` to their content
    (``None`` for an empty element, else xmltodict form).
    """

    __slots__ = ("error", "props", "reason", "responsedescription", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        props: PropertyMap,
        error: Optional[Dict[str, Any]] = None,
        responsedescription: Optional[str] = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.props = props
        self.error: Dict[str, Any] = error if error is not None else {}
        self.responsedescription = responsedescription

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return _is_success(self.status)

    def __repr__(self) -> str:
        return f"<PropStat {self.status} {list(self.props)!r}>"


def _propstat(element: Any, keep: Callable[[Any], Any]) -> PropStat:
    raw: Dict[str, Any] = {}
    status_text = None
    error = None
    description = None
    for child in element:
        tag = child.tag
        if tag == _PROP:
            for prop in child:
                # a leaf without attributes is kept as text; anything else as
                # what keep() makes of it (a node, or the element itself)
                raw[prop.tag] = keep(prop) if len(prop) or prop.keys() else prop.text or ""
        elif tag == _STATUS:
            status_text = child.text
        elif tag == _ERROR:
            error = _conditions(child)
        elif tag == _RESPONSEDESCRIPTION:
            description = child.text or ""
    status, reason = _status(status_text, "a DAV:propstat")
    return PropStat(status, reason, PropertyMap(raw), error, description)


class ResponseStatusError(Exception):
    """A :class:`DAVResponse` (or one of its propstats) reports a failure.

    ``response`` is the :class:`DAVResponse`, ``status`` and ``reason`` the
    failing status, ``propstat`` the failing :class:`PropStat` or ``None``
    when the response's own status failed. The session layer maps this to
    its requests-based exception.
    """

    def __init__(
        self, response: DAVResponse, status: int, reason: str, propstat: Optional[PropStat] = None
    ) -> None:
        self.response = response
        self.status = status
        self.reason = reason
        self.propstat = propstat
        source: Union[DAVResponse, PropStat] = propstat if propstat is not None else response
        details = []
        if propstat is not None:
            details.append("properties " + ", ".join(propstat.props))
        if source.error:
            details.append("DAV:error " + ", ".join(source.error))
        if source.responsedescription:
            details.append(source.responsedescription.strip())
        suffix = f" ({'; '.join(details)})" if details else ""
        super().__init__(f"{status} {reason}".rstrip() + f" for {response.href}{suffix}")


class DAVResponse(TypedProperties):
    """One resource of a multistatus (RFC 4918 section 14.24).

    ``href`` is the href as sent, ``url`` the absolute URL it names and
    ``path`` its decoded path (both resolved against the request URL).
    ``status`` is the response's own status (``None`` when it reports per
    property in ``propstats``). ``error`` maps precondition/postcondition
    names to their content, ``location`` is the resolved URL of a
    ``DAV:location`` or ``None``.
    """

    __slots__ = (
        "_base_url",
        "_location",
        "_path",
        "_props",
        "_url",
        "error",
        "href",
        "propstats",
        "reason",
        "responsedescription",
        "status",
    )

    def __init__(
        self,
        href: str,
        base_url: str,
        *,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        propstats: Optional[List[PropStat]] = None,
        error: Optional[Dict[str, Any]] = None,
        responsedescription: Optional[str] = None,
        location: Optional[str] = None,
    ) -> None:
        self.href = href.strip()
        self._base_url = base_url
        self.status = status
        self.reason = reason
        self.propstats: List[PropStat] = propstats if propstats is not None else []
        self.error: Dict[str, Any] = error if error is not None else {}
        self.responsedescription = responsedescription
        self._location = location
        self._url: Optional[str] = None
        self._path: Optional[str] = None
        self._props: Optional[PropertyMap] = None

    @property
    def url(self) -> str:
        """The absolute URL of the resource."""
        if self._url is None:
            self._url = resolve_href(self.href, self._base_url)
        return self._url

    @property
    def path(self) -> str:
        """The decoded, normalised path of the resource (trailing slash kept)."""
        if self._path is None:
            self._path = href_to_path(self.href, self._base_url)
        return self._path

    @property
    def location(self) -> Optional[str]:
        """The resolved URL of ``DAV:location`` (RFC 4918 section 14.9), or ``None``."""
        if self._location is None:
            return None
        return resolve_href(self._location, self._base_url)

    @property
    def props(self) -> PropertyMap:
        """The properties of every 2xx propstat, merged."""
        if self._props is None:
            propstats = self.propstats
            good = None
            for propstat in propstats:  # the usual shape: one 2xx propstat (and a 404 one)
                if 200 <= propstat.status < 300:
                    if good is not None:
                        break  # several: merged below
                    good = propstat
            else:
                self._props = good.props if good is not None else PropertyMap({})
                return self._props
            merged: Dict[str, Any] = {}
            for propstat in propstats:
                if 200 <= propstat.status < 300:
                    merged.update(propstat.props._raw)
            self._props = PropertyMap(merged)
        return self._props

    @property
    def failed(self) -> Dict[str, int]:
        """Property name -> status, for every property in a non-2xx propstat."""
        return {
            name: propstat.status
            for propstat in self.propstats
            if not _is_success(propstat.status)
            for name in propstat.props
        }

    def raise_for_status(self, include_propstats: bool = False) -> None:
        """Raise :class:`ResponseStatusError` if the response's status is not 2xx.

        With ``include_propstats`` a non-2xx propstat raises too (what a
        PROPPATCH caller wants; after a PROPFIND a 404 propstat only means
        a property is not set).
        """
        if self.status is not None and not _is_success(self.status):
            raise ResponseStatusError(self, self.status, self.reason or "")
        if include_propstats:
            for propstat in self.propstats:
                if not _is_success(propstat.status):
                    raise ResponseStatusError(self, propstat.status, propstat.reason, propstat)

    def __repr__(self) -> str:
        if self.status is not None:
            state = f"status={self.status}"
        else:
            state = "propstats=[" + ", ".join(str(p.status) for p in self.propstats) + "]"
        return f"<DAVResponse {self.href!r} {state}>"


def _responses(element: Any, base_url: str, keep: Callable[[Any], Any]) -> List[DAVResponse]:
    hrefs = []
    status_text = None
    propstats = []
    error = None
    description = None
    location = None
    for child in element:
        tag = child.tag
        if tag == _PROPSTAT:
            propstats.append(_propstat(child, keep))
        elif tag == _HREF:
            hrefs.append(child.text or "")
        elif tag == _STATUS:
            status_text = child.text
        elif tag == _ERROR:
            error = _conditions(child)
        elif tag == _RESPONSEDESCRIPTION:
            description = child.text or ""
        elif tag == _LOCATION:
            location = _href_in(child)
    if not hrefs:
        raise MultiStatusParseError("a DAV:response without a DAV:href", _line(element))
    if (
        len(hrefs) == 1
        and status_text is None
        and error is None
        and description is None
        and location is None
    ):  # a listing's response: its other arguments are their defaults
        return [DAVResponse(hrefs[0], base_url, propstats=propstats)]
    status: Optional[int] = None
    reason: Optional[str] = None
    if status_text is not None:
        status, reason = _status(status_text, f"the DAV:response for {hrefs[0].strip()!r}")
    if len(hrefs) == 1:
        return [
            DAVResponse(
                hrefs[0],
                base_url,
                status=status,
                reason=reason,
                propstats=propstats,
                error=error,
                responsedescription=description,
                location=location,
            )
        ]
    return [
        DAVResponse(
            href,
            base_url,
            status=status,
            reason=reason,
            propstats=propstats,
            error=error,
            responsedescription=description,
            location=location,
        )
        for href in hrefs
    ]


def _line(element: Any) -> Optional[Tuple[int, int]]:
    line = getattr(element, "sourceline", None)
    return (line, 1) if isinstance(line, int) else None


# ---------------------------------------------------------------------------
# Streaming and whole documents


def _chunked(body: Body) -> Iterable[bytes]:
    if isinstance(body, (bytes, bytearray, memoryview)):
        view = memoryview(body)
        return (bytes(view[i : i + CHUNK_SIZE]) for i in range(0, len(view), CHUNK_SIZE))
    if isinstance(body, str):
        raise TypeError("a multistatus body must be bytes, not str")
    return body


class MultiStatusStream(Iterator[DAVResponse]):
    """The :class:`DAVResponse` objects of a multistatus, parsed as the chunks arrive.

    Only the response being handed out is held in memory. ``description``
    (the multistatus-level ``responsedescription``) and ``sync_token`` (RFC
    6578) follow the responses in the document: they are set once iteration
    has finished (``finished`` is then true). :meth:`close` (or leaving a
    ``with`` block) stops early.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        base_url: str,
        *,
        backend: Optional[str] = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.base_url = base_url
        self.description: Optional[str] = None
        self.sync_token: Optional[str] = None
        self.finished = False
        name = select_backend(backend)
        self._keep: Callable[[Any], Any] = _SharedNodes() if name == "lxml" else _keep_element
        self._elements: Generator[Any, None, None] = iterparse_children(
            chunks,
            root_tag=_MULTISTATUS,
            child_tags=(_RESPONSE, _RESPONSEDESCRIPTION, _SYNC_TOKEN),
            backend=name,
            max_depth=max_depth,
        )
        self._responses = self._run()

    def _run(self) -> Generator[DAVResponse, None, None]:
        base_url = self.base_url
        for element in self._elements:
            tag = element.tag
            if tag == _RESPONSE:
                yield from _responses(element, base_url, self._keep)
            elif tag == _SYNC_TOKEN:
                self.sync_token = (element.text or "").strip()
            else:
                self.description = element.text or ""
        self.finished = True

    def __next__(self) -> DAVResponse:
        return next(self._responses)

    def __iter__(self) -> MultiStatusStream:
        return self

    def close(self) -> None:
        """Stop parsing; the rest of the body is not read."""
        self._responses.close()
        self._elements.close()

    def __enter__(self) -> MultiStatusStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "finished" if self.finished else "open"
        return f"<MultiStatusStream {self.base_url!r} {state}>"


class MultiStatus:
    """A parsed 207 Multi-Status body (RFC 4918 section 13).

    Iterates over its :class:`DAVResponse` objects in document order;
    ``ms[i]`` indexes them, ``ms[path]`` / ``ms.get(path)`` / ``path in ms``
    find one by path: a decoded absolute path (``"/dav/a b.txt"``), an
    absolute URL, or a decoded name relative to the request URL (``"a b.txt"``,
    the request URL taken as a collection); a trailing slash does not
    matter. ``description`` is the multistatus-level
    ``responsedescription``, ``sync_token`` the RFC 6578 token.
    """

    def __init__(
        self,
        responses: List[DAVResponse],
        base_url: str,
        *,
        description: Optional[str] = None,
        sync_token: Optional[str] = None,
    ) -> None:
        self.responses = responses
        self.base_url = base_url
        self.description = description
        self.sync_token = sync_token
        self._index: Optional[Dict[str, DAVResponse]] = None

    def __iter__(self) -> Iterator[DAVResponse]:
        return iter(self.responses)

    def __len__(self) -> int:
        return len(self.responses)

    def _key(self, path: str) -> str:
        if _URL_RE.match(path):
            path = href_to_path(path, self.base_url)
        elif not path.startswith("/"):
            path = href_to_path(self.base_url, self.base_url).rstrip("/") + "/" + path
        return normalize_path(path).rstrip("/")

    def _lookup(self, path: str) -> Optional[DAVResponse]:
        if self._index is None:
            index: Dict[str, DAVResponse] = {}
            for response in self.responses:
                index.setdefault(response.path.rstrip("/"), response)
            self._index = index
        return self._index.get(self._key(path))

    @overload
    def __getitem__(self, key: int) -> DAVResponse: ...

    @overload
    def __getitem__(self, key: str) -> DAVResponse: ...

    def __getitem__(self, key: Union[int, str]) -> DAVResponse:
        if isinstance(key, int):
            return self.responses[key]
        response = self._lookup(key)
        if response is None:
            raise KeyError(key)
        return response

    def get(self, path: str, default: Optional[DAVResponse] = None) -> Optional[DAVResponse]:
        """The response for ``path`` (see the class docstring), else ``default``."""
        response = self._lookup(path)
        return response if response is not None else default

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._lookup(path) is not None

    @property
    def first(self) -> Optional[DAVResponse]:
        """The first response (for Depth 0 or 1 PROPFIND: the requested resource), or ``None``."""
        return self.responses[0] if self.responses else None

    def raise_for_status(self, include_propstats: bool = False) -> None:
        """Call :meth:`DAVResponse.raise_for_status` on every response, in order."""
        for response in self.responses:
            response.raise_for_status(include_propstats)

    def __repr__(self) -> str:
        token = f" sync_token={self.sync_token!r}" if self.sync_token is not None else ""
        return f"<MultiStatus {len(self.responses)} responses{token}>"


def iter_multistatus(
    chunks: Body,
    base_url: str,
    *,
    backend: Optional[str] = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> MultiStatusStream:
    """Stream the responses of a 207 body (see :class:`MultiStatusStream`).

    ``chunks`` is an iterable of ``bytes`` (such as
    ``response.iter_content(65536)``) or one ``bytes`` object; ``base_url``
    is the request URL, which relative hrefs are resolved against.
    ``backend`` forces ``"lxml"`` or ``"stdlib"``; ``max_depth`` bounds the
    element nesting. Parse errors raise :class:`MultiStatusParseError` from
    the iteration.
    """
    return MultiStatusStream(_chunked(chunks), base_url, backend=backend, max_depth=max_depth)


def parse_multistatus(
    body: Body,
    base_url: str,
    *,
    backend: Optional[str] = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> MultiStatus:
    """Parse a whole 207 body (``bytes`` or an iterable of chunks) into a :class:`MultiStatus`.

    Arguments as for :func:`iter_multistatus`; raises
    :class:`MultiStatusParseError`.
    """
    stream = iter_multistatus(body, base_url, backend=backend, max_depth=max_depth)
    responses = list(stream)
    return MultiStatus(
        responses, base_url, description=stream.description, sync_token=stream.sync_token
    )


def parse_error_body(
    body: Body,
    *,
    backend: Optional[str] = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Dict[str, Any]:
    """The conditions of a ``DAV:error`` body (RFC 4918 section 16), e.g. of a 403 or 423.

    Maps each precondition/postcondition Clark name to its content: ``None``
    for an empty element, else its text or xmltodict-form structure. Raises
    :class:`MultiStatusParseError` when the body is not a ``DAV:error``
    document.
    """
    return _conditions(
        iterparse_children(_chunked(body), root_tag=_ERROR, backend=backend, max_depth=max_depth)
    )
