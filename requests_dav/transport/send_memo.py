"""What one :meth:`~requests_dav.transport.adapter.AuthAdapter.send` works out once (issue 16).

The adapter reads a request's request-target (Digest's ``uri``, RFC 7616 section 3.4) before
``HTTPAdapter.send`` works it out again for each attempt. It is a function of the request's
URL and ``proxies`` alone, so while a send is under way on a thread the answer is remembered
for that URL and that mapping (compared by identity: the very object the send was given) and
handed out again: ``HTTPAdapter.send`` gets what it would have computed. Outside a send
nothing is remembered, so a changed proxy mapping is always seen. (The pool key, which the
URL check before the send also needs, is not remembered here: the check remembers which URLs
passed it, :func:`~requests_dav.transport.fidelity.check_urls`.)

:func:`wire_request` is :meth:`requests.PreparedRequest.copy` for a request about to be sent
with headers of its own: the copy of the headers ``copy()`` makes would be replaced at once,
and the cookie jar it copies is only read from then on.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, MutableMapping, Optional, Tuple

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest

__all__ = ["SendMemo", "wire_request"]

_new_request = PreparedRequest.__new__


class SendMemo(HTTPAdapter):
    """The remembering half of :class:`~requests_dav.transport.adapter.AuthAdapter`."""

    _memo: threading.local

    def _begin_send(self) -> None:
        """Start remembering for the send under way on this thread."""
        memo = self._memo
        memo.active = True
        memo.target = None

    def _end_send(self) -> None:
        """Forget what this thread's send remembered."""
        memo = self._memo
        memo.active = False
        memo.target = None

    def request_url(self, request: PreparedRequest, proxies: Optional[Mapping[str, str]]) -> str:
        """requests' request-target for ``request`` (``proxies`` decide origin- or
        absolute-form), worked out once per send."""
        memo = self._memo
        url = request.url
        found: Optional[Tuple[Any, Any, str]] = getattr(memo, "target", None)
        if found is not None and found[0] == url and found[1] is proxies:
            return found[2]
        target: str = super().request_url(request, proxies)
        if getattr(memo, "active", False):
            memo.target = (url, proxies, target)
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
