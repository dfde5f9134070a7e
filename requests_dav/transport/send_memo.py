"""What :class:`~requests_dav.transport.adapter.AuthAdapter` works out once per URL (issue 16).

The adapter reads a request's request-target (Digest's ``uri``, RFC 7616 section 3.4) before
``HTTPAdapter.send`` works it out again for the same attempt, and the work (requests'
``request_url``: its proxy selection parses the URL twice, then ``path_url`` splits it) cost a
primed request about as much as the whole of its Basic authentication. requests' answer is a
function of the URL and the ``proxies`` mapping alone, so the last :data:`TARGETS_KEPT`
answers are remembered, keyed by the URL and the mapping's items, and given again: to the
adapter's own read and to ``HTTPAdapter.send``'s. A URL not seen before, with no proxy, is
answered with its ``path_url`` as requests answers it, without the proxy selection's two
parses. Only requests' own ``request_url`` and ``path_url`` are remembered (an adapter or
request class with its own is asked every time), and only for a plain ``dict`` of proxies
(or none).

:func:`wire_request` is :meth:`requests.PreparedRequest.copy` for a request about to be sent
with headers of its own: the copy of the headers ``copy()`` makes would be replaced at once,
and the cookie jar it copies is only read from then on.
"""

from __future__ import annotations

from typing import Any, Dict, Hashable, Mapping, MutableMapping, Optional

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest

__all__ = ["TARGETS_KEPT", "TargetMemo", "wire_request"]

_new_request = PreparedRequest.__new__

#: requests' own request-target (what is remembered is what it gave)
_REQUESTS_REQUEST_URL = HTTPAdapter.request_url
#: how many (URL, proxies) request-targets are remembered
TARGETS_KEPT = 512
_TARGETS: Dict[Hashable, str] = {}


def _target_key(request: PreparedRequest, proxies: Optional[Mapping[str, str]]) -> Any:
    """What requests' request-target of ``request`` depends on, or ``None`` if not known."""
    url = request.url
    if type(request) is not PreparedRequest or type(url) is not str:
        return None  # a request class may have a path_url of its own
    if not proxies:
        return url  # select_proxy reads None and {} alike: nothing is selected
    if type(proxies) is not dict:
        return None  # a mapping class may answer lookups in its own way
    return (url, tuple(proxies.items()))


def _origin_form(request: PreparedRequest) -> Optional[str]:
    """requests' request-target for ``request`` when no proxy is selected: its path and query
    (``path_url``); ``None`` for a path that starts with ``//``, which requests writes in a
    way of its own (2.32 folds the slashes into one, 2.34 leaves them)."""
    target: str = request.path_url
    return None if target.startswith("//") else target


class TargetMemo(HTTPAdapter):
    """The remembering half of :class:`~requests_dav.transport.adapter.AuthAdapter`."""

    def request_url(self, request: PreparedRequest, proxies: Optional[Mapping[str, str]]) -> str:
        """requests' request-target for ``request`` (``proxies`` decide origin- or
        absolute-form), remembered for its URL and ``proxies``."""
        key = _target_key(request, proxies)
        if key is None or HTTPAdapter.request_url is not _REQUESTS_REQUEST_URL:
            return str(super().request_url(request, proxies))
        try:
            found = _TARGETS.get(key)
        except TypeError:  # a proxy URL that is not a string
            return str(super().request_url(request, proxies))
        if found is not None:
            return found
        target = _origin_form(request) if not proxies else None
        if target is None:
            target = super().request_url(request, proxies)
        if type(target) is str:
            if len(_TARGETS) >= TARGETS_KEPT:
                _TARGETS.clear()
            _TARGETS[key] = target
        return target


def wire_request(request: PreparedRequest, headers: MutableMapping[str, str]) -> PreparedRequest:
    """``request.copy()`` with ``headers`` as its headers (not a copy of the request's own) and
    the request's cookie jar shared, not copied (issue 16).

    The same fields as requests' ``copy()`` (body, hooks and body position shared). The jar is
    only read once a request is prepared: requests' redirect handling and ``HTTPDigestAuth``
    copy a request before they add cookies to its jar, and without the adapter the response's
    ``request`` would be the caller's request itself, jar and all. Copying it cost more than the
    rest of the copy. A subclass with a ``copy()`` of its own is copied with it.
    """
    if type(request).copy is not PreparedRequest.copy:
        wire = request.copy()
        wire.headers = headers  # type: ignore[assignment]
        return wire
    wire = _new_request(PreparedRequest)  # __init__ would set these same fields
    wire.method = request.method
    wire.url = request.url
    wire.headers = headers  # type: ignore[assignment]
    wire._cookies = request._cookies  # type: ignore[attr-defined]
    wire.body = request.body
    wire.hooks = request.hooks
    wire._body_position = request._body_position  # type: ignore[attr-defined]
    return wire
