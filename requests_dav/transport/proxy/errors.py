"""Turning a refused CONNECT into an exception, and finding it again (RFC 7235 section 3.2).

A final ``407`` to ``CONNECT`` (RFC 9110 section 9.3.6) becomes a
:class:`~requests_dav.exceptions.ProxyTunnelAuthenticationError` naming the
proxy, the scheme and realm that were refused and the schemes the proxy
offered (its ``Proxy-Authenticate`` challenges, RFC 7235 section 4.3), with
no secret in it. requests wraps every ``OSError`` raised below
``HTTPAdapter.send`` in a ``ConnectionError``; :func:`tunnel_error` digs the
original back out for the adapter.
"""

from __future__ import annotations

from typing import Any, List, Optional, Set

from ...auth import errors as _core
from ...auth.challenge import parse_challenges_lenient
from ...auth.errors import AuthCoreError
from ...auth.messages import AuthResponse
from ...exceptions import (
    ChallengeParseError,
    MutualAuthenticationError,
    ProxyAuthenticationError,
    ProxyTunnelAuthenticationError,
    RequestsDAVError,
)


def refused_error(
    *,
    proxy: str,
    authority: str,
    response: AuthResponse,
    sent_authorization: Optional[str],
    result: Any,
    closed: bool = False,
) -> ProxyTunnelAuthenticationError:
    """The exception for a CONNECT the flow gave up on after ``response`` (a 407).

    The message says what happened: credentials refused, a handshake cut short, no
    credentials for the proxy, no challenge this client can answer, a downgrade not
    answered; ``closed`` adds that the proxy hung up after the answer (a 407 cut off in
    the middle of its head reads as one without a usable challenge).
    """
    challenges, _ = parse_challenges_lenient(
        response.get_all("Proxy-Authenticate"), "Proxy-Authenticate"
    )
    offered: List[str] = []
    for challenge in challenges:
        if challenge.scheme not in offered:
            offered.append(challenge.scheme)
    scheme: Optional[str] = getattr(result, "scheme", None)
    if scheme is None and sent_authorization:
        scheme = sent_authorization.split(None, 1)[0].lower()
    realm: Optional[str] = getattr(result, "realm", None)
    if realm is None and scheme is not None:
        realm = next((c.realm for c in challenges if c.scheme == scheme), None)
    outcome = str(getattr(result, "outcome", "refused"))
    detail = str(getattr(result, "detail", "") or "")
    if sent_authorization is None and outcome == "refused":
        outcome = "no-credentials"
    realm_text = f" (realm {realm!r})" if realm is not None else ""
    if outcome == "connection-lost":
        what = f"{scheme} handshake{realm_text} cut short"
    elif outcome == "downgrade-refused":
        what = "only challenges weaker than the one that succeeded before; not answered"
    elif outcome == "unsupported":
        what = "no challenge this client can answer"
    elif sent_authorization:
        what = f"{scheme} credentials{realm_text} refused"
    elif outcome == "no-credentials":
        what = "no credentials for this proxy"
    else:
        what = f"not answered ({outcome})"
    hung_up = " and closed the connection" if closed else ""
    message = (
        f"proxy {proxy} answered CONNECT {authority} with {response.status}{hung_up}: "
        f"{what}; offered: {', '.join(offered) or 'nothing parsable'}"
    )
    if detail:
        message += f"; {detail}"
    return ProxyTunnelAuthenticationError(
        message,
        status=response.status,
        proxy=proxy,
        authority=authority,
        scheme=scheme,
        realm=realm,
        offered=tuple(offered),
        outcome=outcome,
    )


def as_requests_error(exc: AuthCoreError) -> RequestsDAVError:
    """The requests-rooted twin of a core error raised by the CONNECT flow.

    In practice :class:`~requests_dav.auth.errors.MutualAuthenticationError`:
    the proxy's ``Proxy-Authentication-Info`` ``rspauth`` did not match (RFC 7616
    section 3.5, RFC 7615 section 4).
    """
    if isinstance(exc, _core.MutualAuthenticationError):
        return MutualAuthenticationError(f"proxy: {exc}")
    if isinstance(exc, _core.ChallengeParseError):
        return ChallengeParseError(exc.header, exc.position, exc.reason, exc.value)
    return ProxyAuthenticationError(f"proxy authentication failed: {exc}")


def tunnel_error(exc: BaseException) -> Optional[RequestsDAVError]:
    """The requests-dav error behind ``exc`` (requests' ConnectionError, urllib3's errors).

    Usually a :class:`~requests_dav.exceptions.ProxyTunnelAuthenticationError`
    (a final 407 to CONNECT); None when ``exc`` has no requests-dav cause.
    """
    seen: Set[int] = set()
    pending: List[Any] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, RequestsDAVError):
            return current
        pending.extend(current.args)
        for name in ("reason", "original_error", "__cause__", "__context__"):
            pending.append(getattr(current, name, None))
    return None
