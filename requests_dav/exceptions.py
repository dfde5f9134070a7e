"""The exception hierarchy of requests-dav, rooted in requests' own.

Every exception a user of the adapter, the ``auth=`` classes or
:class:`~requests_dav.DAVSession` can see subclasses
:class:`requests.exceptions.RequestException`, so existing ``except``
clauses keep working. Errors that originate in the sans-I/O core also
subclass their core twin from :mod:`requests_dav.auth.errors`.
"""

from __future__ import annotations

from typing import Any, Optional

from requests.exceptions import HTTPError, RequestException

from .auth import errors as _core


class RequestsDAVError(RequestException):
    """Base class of everything requests-dav raises."""


class AuthenticationError(RequestsDAVError):
    """Authentication could not be completed (RFC 7235)."""


class ChallengeParseError(AuthenticationError, _core.ChallengeParseError):
    """A challenge header is malformed (RFC 7235 section 2.1).

    See :class:`requests_dav.auth.errors.ChallengeParseError`.
    """

    def __init__(
        self, header: str, position: int, reason: str, value: str = "", **kwargs: Any
    ) -> None:
        _core.ChallengeParseError.__init__(self, header, position, reason, value)
        self.response = kwargs.get("response")
        self.request = kwargs.get("request")


class MutualAuthenticationError(AuthenticationError, _core.MutualAuthenticationError):
    """The server failed to prove it knows the credentials (Digest ``rspauth``)."""


class BodyNotReplayableError(AuthenticationError, _core.BodyNotReplayableError):
    """A request body had to be sent again but could not be (PEP 268)."""

    def __init__(
        self, reason: str, *, bytes_sent: int, limit: Optional[int], **kwargs: Any
    ) -> None:
        _core.BodyNotReplayableError.__init__(self, reason, bytes_sent=bytes_sent, limit=limit)
        self.response = kwargs.get("response")
        self.request = kwargs.get("request")


class ProxyAuthenticationError(AuthenticationError):
    """A proxy refused the credentials, or none were available for it (407)."""


class DAVError(HTTPError, RequestsDAVError):
    """A WebDAV request failed (RFC 4918); see :mod:`requests_dav.dav.errors`."""


class ProxyTunnelAuthenticationError(ProxyAuthenticationError):
    """The proxy refused to open an HTTPS tunnel: a final ``407`` to ``CONNECT``.

    RFC 9110 section 9.3.6 (CONNECT), RFC 7235 section 3.2 (407). ``status``
    is the proxy's status code, ``proxy`` its URL (never with userinfo),
    ``authority`` the ``host:port`` asked for, ``scheme`` and ``realm`` what
    was refused (the scheme of the credentials sent, or ``None`` when none
    could be sent), ``offered`` the schemes the proxy challenged with and
    ``outcome`` the flow's verdict (``"refused"``, ``"no-credentials"``, ...).
    No secret is kept.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        proxy: str,
        authority: str,
        scheme: Optional[str] = None,
        realm: Optional[str] = None,
        offered: tuple[str, ...] = (),
        outcome: str = "refused",
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status = status
        self.proxy = proxy
        self.authority = authority
        self.scheme = scheme
        self.realm = realm
        self.offered = offered
        self.outcome = outcome


class LengthRequiredError(BodyNotReplayableError):
    """A chunked body had to be sent with ``Content-Length`` and does not fit the replay buffer.

    Raised by :class:`~requests_dav.transport.adapter.AuthAdapter` after ``411 Length
    Required`` (RFC 9110 section 15.5.12), or before sending to a peer known to
    speak HTTP/1.0, which must never get a chunked body (RFC 2145 section 2.3).
    ``bytes_sent`` and ``limit`` as for :class:`BodyNotReplayableError`.
    """


class AuthenticationFailedError(AuthenticationError):
    """A negotiation ended without authenticating (raised by ``adapter.raise_for_auth``).

    ``outcome`` is the flow's verdict (``"refused"``, ``"no-credentials"``,
    ``"unsupported"``, ``"not-replayable"``, ``"gave-up"``), ``url`` the URL
    (no userinfo), ``status`` the final status, ``scheme``/``realm`` what was
    tried, ``bytes_sent``/``limit`` the body's state when it could not be sent
    again (else ``None``). No secret is kept.
    """

    def __init__(
        self,
        message: str,
        *,
        outcome: str,
        url: str,
        status: int,
        scheme: Optional[str] = None,
        realm: Optional[str] = None,
        bytes_sent: Optional[int] = None,
        limit: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.outcome = outcome
        self.url = url
        self.status = status
        self.scheme = scheme
        self.realm = realm
        self.bytes_sent = bytes_sent
        self.limit = limit


class BoundConnectionBusyError(AuthenticationError):
    """The one connection a connection-bound scheme authenticated stayed busy too long.

    NTLM and Negotiate authenticate a connection, not a request (RFC 4559);
    requests with the same credentials share that one connection. This is
    raised after :data:`~requests_dav.transport.pinning.BOUND_CONNECTION_WAIT` seconds
    (``AuthAdapter.bound_connection_wait``) instead of waiting forever, most
    often because a ``stream=True`` response was neither read nor closed.
    """
