"""A request into a learned protection space, authorized before it is sent (RFC 7235 section 2.2).

After a success in a protection space the store holds the space's authenticator, and later
requests there carry its credentials from the start (RFC 7235 section 2.2; RFC 7617 section
2.2; RFC 7616 section 3.3 ``domain``). Nearly every such request succeeds, and a driver that
sends it through the whole negotiation (:meth:`~requests_dav.auth.flow.Negotiator.auth_flow`)
pays for a generator, per-side state and challenge machinery it does not use (issue 16).

:func:`prime` authorizes such a request when only the origin takes part (no proxy side), the
space's scheme authenticates each request (not NTLM or Negotiate) and no body needs hashing
(Digest ``auth-int``). :meth:`PrimedRequest.complete` gives the verdict on its response with
what the flow does on a success: ``Authentication-Info`` read (RFC 7615; RFC 7616 section 3.5:
``rspauth`` verified, ``nextnonce`` adopted), the space recorded and its no-downgrade floor
raised, the nonce given back. A ``401`` gets no verdict: the driver hands the primed request
to :meth:`~requests_dav.auth.flow.Negotiator.resume`, which goes on from that response as
the flow would have had it sent the request itself.
"""

from __future__ import annotations

from typing import Optional

from .credentials import Credentials
from .messages import AuthRequest, AuthResponse
from .outcome import FlowResult, realm_text
from .schemes import BasicScheme, DigestScheme
from .schemes.base import Authenticator
from .types import Strength

__all__ = ["PURE_SPACES", "PrimedRequest", "prime"]

#: Schemes whose ``space_prefixes`` and ``achieved`` are functions of the URL and the current
#: challenge alone (exactly these classes, not subclasses): the store may remember them.
PURE_SPACES = frozenset({BasicScheme, DigestScheme})

_CHALLENGED = 401  # RFC 9110 section 15.5.2: the origin asks for (other) credentials


class PrimedRequest:
    """A request authorized from its learned space (see the module docstring).

    ``unsent``: the scheme had nothing to send now (every nonce of a count-checking Digest
    space is in use), so the request goes without ``Authorization`` and draws a challenge of
    its own, as it would in the flow.
    """

    __slots__ = ("authenticator", "credentials", "floor", "request", "unsent")

    def __init__(
        self,
        credentials: Credentials,
        request: AuthRequest,
        authenticator: Authenticator,
        floor: Optional[Strength],
        unsent: bool,
    ) -> None:
        self.credentials = credentials
        self.request = request
        self.authenticator = authenticator
        self.floor = floor
        self.unsent = unsent

    def __repr__(self) -> str:
        return f"<PrimedRequest {self.request.method} {self.request.url} {self.authenticator!r}>"

    def complete(self, response: AuthResponse) -> Optional[FlowResult]:
        """The flow's result for ``response``; ``None`` for a ``401`` (resume the flow).

        Raises what the scheme raises for a server proof that does not verify
        (:class:`~requests_dav.auth.errors.MutualAuthenticationError`); the request's nonce
        is given back either way.
        """
        if response.status == _CHALLENGED:
            return None
        authenticator = self.authenticator
        request = self.request
        try:
            authenticator.on_success(response, request)
            self.credentials.record_success(
                request.url, authenticator, learn=True, pure=type(authenticator) in PURE_SPACES
            )
        finally:
            authenticator.release(request)
        return FlowResult(
            "ok",
            f"authenticated with {authenticator.scheme}{realm_text(authenticator.realm)}",
            scheme=authenticator.scheme,
            realm=authenticator.realm,
            rounds=1,
        )

    def abandon(self) -> None:
        """The request got no response (the transport raised): give back what it holds."""
        self.authenticator.release(self.request)


def prime(credentials: Credentials, request: AuthRequest) -> Optional[PrimedRequest]:
    """Authorize ``request`` (origin only) from its learned space, or ``None`` when the whole
    negotiation must run: nothing learned for the space, a connection-bound scheme, or a body
    the scheme must hash. Sets or removes ``Authorization`` on ``request.headers``."""
    learned, floor = credentials.preemptive(request.url)
    if learned is None or learned.connection_bound or learned.requires_body:
        return None
    value = learned.try_authorize(request)
    if value is None:
        request.headers.pop("Authorization", None)
    else:
        request.headers["Authorization"] = value
    return PrimedRequest(credentials, request, learned, floor, value is None)
