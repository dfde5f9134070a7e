"""The verdict of a negotiation on a response, and the errors that say why it failed.

:func:`auth_result` reads the :class:`~requests_dav.auth.outcome.FlowResult` the
adapter or an ``auth=`` class set on a final response; :func:`raise_for_auth`
turns a failed negotiation into
:class:`~requests_dav.exceptions.AuthenticationFailedError`;
:func:`to_requests_error` gives a core error its requests-rooted twin. No
message ever holds a secret: URLs lose their userinfo (:func:`safe_url`).
"""

from __future__ import annotations

import functools
import re
from typing import Optional

from requests.exceptions import RequestException
from requests.models import PreparedRequest, Response
from requests.utils import urldefragauth

from .. import exceptions
from ..auth import errors as core_errors
from ..auth.outcome import FlowResult

__all__ = [
    "RESULT_ATTRIBUTE",
    "auth_result",
    "log_url",
    "raise_for_auth",
    "safe_url",
    "to_requests_error",
]

RESULT_ATTRIBUTE = "auth_result"
"""Name of the :class:`~requests_dav.auth.outcome.FlowResult` attribute set on final responses."""


# -- results and errors -----------------------------------------------------------------------


def auth_result(response: Response) -> Optional[FlowResult]:
    """The :class:`FlowResult` of the negotiation that produced ``response``, if any."""
    result = getattr(response, RESULT_ATTRIBUTE, None)
    return result if isinstance(result, FlowResult) else None


def safe_url(url: Optional[str]) -> str:
    """``url`` without userinfo or fragment, for messages and logs (never a secret)."""
    if not url:
        return ""
    try:
        return _defragauth(url)
    except ValueError:
        return "<unparsable URL>"


@functools.lru_cache(maxsize=512)
def _defragauth(url: str) -> str:
    """requests' ``urldefragauth``, remembered: every send asks about its URL.

    A URL written plainly (:data:`_PLAIN_URL`) is its own answer: ``urldefragauth`` would give
    it back after parsing and re-assembling it (issue 16: each new URL paid for that)."""
    if _PLAIN_URL.fullmatch(url) is not None:
        return url
    return str(urldefragauth(url))


#: ``http(s)://`` and a host, printable ASCII with no space, and nothing ``urldefragauth``
#: drops or re-writes: no ``@`` (userinfo), ``#`` (fragment), ``;`` (an empty parameter is
#: dropped), ``[`` or ``]`` (brackets ``urlsplit`` may refuse), no trailing ``?`` (an empty
#: query is dropped)
_PLAIN_URL = re.compile(r"https?://[!-\"$-.0-:<->A-Z\\^-~][!-\"$-:<-?A-Z\\^-~]*(?<!\?)")


def log_url(url: Optional[str]) -> str:
    """``url`` for log records: :func:`safe_url` without the query, which often holds tokens
    (``?access_token=...``, signed URLs); ``?...`` marks that there was one."""
    clean = safe_url(url)
    base, mark, _ = clean.partition("?")
    return base + ("?..." if mark else "")


def raise_for_auth(response: Response) -> None:
    """Raise :class:`~requests_dav.exceptions.AuthenticationFailedError` if authentication failed.

    Does nothing when the negotiation succeeded or was not needed. The error
    names the URL, the status, the scheme and realm, why (``outcome`` and the
    core's ``detail``), and for an unreplayable body how many bytes had been
    sent and the limit. ``response`` is attached. No secret is in the message.
    """
    result = auth_result(response)
    if result is None or result.outcome in ("ok", "no-challenge"):
        return
    url = safe_url(response.url)
    status = int(response.status_code)
    message = f"{status} for {url}: authentication {result.outcome}"
    if result.detail:
        message += f": {result.detail}"
    bytes_sent: Optional[int] = None
    limit: Optional[int] = None
    if result.body_error is not None:
        bytes_sent, limit = result.body_error.bytes_sent, result.body_error.limit
        message += f" (body not replayable: {result.body_error})"
    raise exceptions.AuthenticationFailedError(
        message,
        outcome=result.outcome,
        url=url,
        status=status,
        scheme=result.scheme,
        realm=result.realm,
        bytes_sent=bytes_sent,
        limit=limit,
        response=response,
        request=response.request,
    )


def to_requests_error(
    exc: core_errors.AuthCoreError,
    *,
    request: Optional[PreparedRequest] = None,
    response: Optional[Response] = None,
) -> RequestException:
    """The requests-rooted twin (:mod:`requests_dav.exceptions`) of a core error."""
    if isinstance(exc, core_errors.ChallengeParseError):
        return exceptions.ChallengeParseError(
            exc.header, exc.position, exc.reason, exc.value, request=request, response=response
        )
    if isinstance(exc, core_errors.BodyNotReplayableError):
        return exceptions.BodyNotReplayableError(
            exc.reason,
            bytes_sent=exc.bytes_sent,
            limit=exc.limit,
            request=request,
            response=response,
        )
    if isinstance(exc, core_errors.MutualAuthenticationError):
        return exceptions.MutualAuthenticationError(str(exc), request=request, response=response)
    return exceptions.AuthenticationError(str(exc), request=request, response=response)
