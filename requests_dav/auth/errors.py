"""Errors raised by the sans-I/O authentication core.

These carry no dependency on requests; :mod:`requests_dav.exceptions` gives
each of them a twin rooted in :class:`requests.exceptions.RequestException`
so that callers of the adapter catch one hierarchy. Messages never contain a
password, a Digest response or any other secret.
"""

from __future__ import annotations

from typing import Optional


class AuthCoreError(Exception):
    """Base class of every error the authentication core raises."""


class ChallengeParseError(AuthCoreError, ValueError):
    """A ``WWW-Authenticate``-style header is not well formed (RFC 7235 section 2.1).

    ``header`` names the field, ``position`` is the 0-based character offset in
    the field value where parsing stopped.
    """

    def __init__(self, header: str, position: int, reason: str, value: str = "") -> None:
        self.header = header
        self.position = position
        self.reason = reason
        self.value = value
        snippet = value[max(0, position - 10) : position + 10]
        where = f" near {snippet!r}" if snippet else ""
        super().__init__(f"malformed {header} header at position {position}{where}: {reason}")


class MutualAuthenticationError(AuthCoreError):
    """The server's ``rspauth`` did not match (RFC 7616 section 3.5)."""


class BodyNotReplayableError(AuthCoreError):
    """A request body cannot be sent again (PEP 268 body buffering).

    ``bytes_sent`` is how much of the body had gone out, ``limit`` the replay
    buffer limit in bytes (``None`` where no limit applied, e.g. a consumed
    one-shot body with buffering disabled).
    """

    def __init__(self, reason: str, *, bytes_sent: int, limit: Optional[int]) -> None:
        self.reason = reason
        self.bytes_sent = bytes_sent
        self.limit = limit
        limit_text = f"the replay limit is {limit} bytes" if limit is not None else "no buffer"
        super().__init__(f"{reason}: {bytes_sent} bytes had been sent; {limit_text}")


class UnsupportedChallengeError(AuthCoreError):
    """No registered scheme can answer any of the challenges offered."""
