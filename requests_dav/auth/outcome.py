"""How a negotiation ended (RFC 7235): :class:`FlowResult`, read by drivers and callers.

Its own module so that the flow (:mod:`requests_dav.auth.flow`) and the primed short path
(:mod:`requests_dav.auth.primed`) give the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .errors import BodyNotReplayableError, ChallengeParseError
from .types import Credential

__all__ = ["OUTCOMES", "FlowResult", "realm_text"]

#: Outcomes a flow can end with (``FlowResult.outcome``).
OUTCOMES = (
    "ok",  # credentials were sent and the server accepted them
    "no-challenge",  # the response was not a challenge and no credentials were involved
    "refused",  # credentials were sent and refused; the caller gets the 401/407
    "downgrade-refused",  # only challenges weaker than what succeeded in the space: not answered
    "no-credentials",  # challenged, but the store has no credentials for that space
    "unsupported",  # challenged with no scheme this client can answer
    "not-replayable",  # the body could not be sent again; credentials are now cached
    "gave-up",  # max_rounds reached
    "connection-lost",  # the connection of a connection-bound handshake closed mid-way (driver)
)


@dataclass
class FlowResult:
    """How a negotiation ended. ``detail`` is for people; it never holds a secret."""

    outcome: str
    detail: str = ""
    body_error: Optional[BodyNotReplayableError] = None
    scheme: Optional[str] = None
    realm: Optional[str] = None
    rounds: int = 0
    parse_errors: List[ChallengeParseError] = field(default_factory=list)
    #: the side (``"origin"``/``"proxy"``) whose accepted authenticator is connection-bound:
    #: the connection that carried the last request is now authenticated as ``credential``
    bound_side: Optional[str] = None
    credential: Optional[Credential] = None
    #: the sides whose connection-bound scheme turned out to authenticate each request
    #: (Negotiate with ``Persistent-Auth: false``): no connection is authenticated for them
    per_request_sides: Tuple[str, ...] = ()

    @property
    def connection_bound(self) -> bool:
        """The accepted authentication belongs to the connection, not to the request."""
        return self.bound_side is not None

    @property
    def authenticated(self) -> bool:
        """True when credentials were sent and accepted."""
        return self.outcome == "ok"


def realm_text(realm: Optional[str]) -> str:
    """`` (realm 'x')`` for messages, or nothing when the challenge named no realm."""
    return f" (realm {realm!r})" if realm is not None else ""
