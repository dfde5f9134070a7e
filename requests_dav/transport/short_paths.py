"""The sends of :class:`~requests_dav.transport.adapter.AuthAdapter` that skip the negotiation.

* :func:`send_framed`: nothing to authenticate, but the body's framing may need a fix (a
  ``411``, an HTTP/1.0 peer, a ``417``; RFC 9110 sections 10.1.1 and 15.5.12, RFC 9112
  section 6.2) or ``Expect: 100-continue`` is to be used.
* :func:`send_primed`: a request into a protection space the store has learned (RFC 7235
  section 2.2), sent with its credentials at once (:mod:`requests_dav.auth.primed`). A
  success ends it with the verdict the flow would have given; a ``401`` hands the request
  and its response to the whole negotiation, which goes on from there without sending the
  request again (issue 16: the negotiation cost an authenticated request a tenth of
  requests' own ``HTTPBasicAuth``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, List, Mapping, Optional

from requests.models import PreparedRequest, Response

from ..auth import errors as core_errors
from ..auth.messages import AuthRequest
from ..auth.outcome import FlowResult
from ..auth.primed import prime
from ..auth.urls import Origin
from .results import log_url, safe_url, to_requests_error
from .send_memo import wire_request
from .send_state import SendState, auth_request_for, unanswered
from .wire import (
    auth_response,
    nothing_left_unread,
    release_intermediate,
    replayable_body,
    settle,
)

if TYPE_CHECKING:
    from .adapter import AuthAdapter

__all__ = ["hand_over", "send_framed", "send_primed"]

logger = logging.getLogger("requests_dav.transport.adapter")


def send_framed(
    adapter: AuthAdapter,
    request: PreparedRequest,
    url: str,
    kwargs: Mapping[str, Any],
    callers: bool = False,
) -> Response:
    """Nothing to negotiate, but the body's framing may need a fix or ``Expect`` is to be
    used: the adapter's ``_attempt`` without the flow."""
    body, wire = replayable_body(request, adapter.max_replay_bytes)
    state = SendState(request, body, wire, Origin.from_url(url), kwargs)
    state.url = url
    outgoing = AuthRequest(
        method=str(request.method or "GET"),
        url=url,
        headers=request.headers,  # no flow writes to them; a fix copies them first
        target=request.path_url,
    )
    response, reusable = adapter._attempt(state, outgoing)
    response.history = state.history
    settle(response, unanswered(response, url, callers_auth=callers), reusable)
    return response


def send_primed(
    adapter: AuthAdapter,
    request: PreparedRequest,
    url: str,
    kwargs: Mapping[str, Any],
    proxies: Optional[Mapping[str, str]],
) -> Optional[Response]:
    """Send ``request`` authorized from its learned space, or ``None`` (nothing sent) when
    the whole negotiation must run (:func:`~requests_dav.auth.primed.prime`).

    For a request the adapter would send as it is apart from ``Authorization``: directly to
    the origin (no proxy), a body of fixed length with no ``Expect``, not the caller's own
    authentication, and no connection authenticated by NTLM or Negotiate in the adapter
    (one of them may be the one this request must use).
    """
    if len(adapter._pinned_pools):
        return None
    body, _ = replayable_body(request, adapter.max_replay_bytes)  # bytes: no WireBody
    outgoing = auth_request_for(request, safe_url(url), body, adapter.request_url(request, proxies))
    primed = prime(adapter.negotiator.credentials, outgoing)
    if primed is None:
        return None
    wire = wire_request(request, outgoing.headers)
    try:
        response = adapter._transport_send(wire, kwargs)
    except BaseException:
        primed.abandon()
        raise
    reusable = nothing_left_unread(wire)
    if getattr(response.raw, "version", 11) == 10:
        adapter._remember_http10(Origin.from_url(url))
    try:
        result = primed.complete(auth_response(response))
    except core_errors.AuthCoreError as exc:
        release_intermediate(response, reusable)
        response.history = []
        raise to_requests_error(exc, request=response.request, response=response) from exc
    if result is None:
        # a 401 to credentials that worked before: the negotiation goes on from this response
        state = SendState(request, body, None, Origin.from_url(url), kwargs)
        state.url = url
        state.target = outgoing.target
        state.sent = wire
        flow = adapter.negotiator.resume(primed)
        return adapter._negotiate(state, flow, next(flow), (response, reusable))
    return hand_over(response, [], result, reusable, request.method, url)


def hand_over(
    response: Response,
    history: List[Response],
    result: FlowResult,
    reusable: bool,
    method: Optional[str],
    url: str,
) -> Response:
    """The final response as the caller gets it: the intermediate responses in ``history``,
    the verdict as ``response.auth_result``, and a connection the request may have left
    unread closed once the caller is done (a ``4xx``/``5xx`` can come before the body was
    read)."""
    response.history = history
    settle(response, result, reusable)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s: %d after %d request(s), authentication %s",
            method,
            log_url(url),
            response.status_code,
            len(history) + 1,
            result.outcome,
        )
    return response
