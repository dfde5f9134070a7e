"""requests-dav: HTTP authentication and WebDAV for requests.

Body-buffered replay of 401/407 challenges, protection-space credential
lookup (RFC 7235, RFC 2617 section 1.2), proxy authentication including the
CONNECT of an HTTPS tunnel, and a WebDAV session (RFC 4918).

Three ways to use it: mount :class:`AuthAdapter` on a session, pass
:class:`HTTPAuth` / :class:`BasicAuth` / :class:`DigestAuth` as ``auth=``, or
script WebDAV with :class:`DAVSession`.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from .auth.body import DEFAULT_MAX_REPLAY_BYTES
    from .auth.credentials import Credentials
    from .auth.outcome import FlowResult
    from .auth.schemes import SchemeRegistry
    from .auth.schemes.base import SchemeOptions
    from .auth.schemes.spnego import TICKET_CACHE
    from .auth.types import Credential
    from .dav.session import DAVSession
    from .transport.adapter import AuthAdapter, auth_result, raise_for_auth
    from .transport.auth_base import BasicAuth, DigestAuth, HTTPAuth

_EXPORTS = {
    "AuthAdapter": ".transport.adapter",
    "BasicAuth": ".transport.auth_base",
    "Credential": ".auth.types",
    "Credentials": ".auth.credentials",
    "DAVSession": ".dav.session",
    "DEFAULT_MAX_REPLAY_BYTES": ".auth.body",
    "DigestAuth": ".transport.auth_base",
    "FlowResult": ".auth.outcome",
    "HTTPAuth": ".transport.auth_base",
    "SchemeOptions": ".auth.schemes.base",
    "SchemeRegistry": ".auth.schemes",
    "TICKET_CACHE": ".auth.schemes.spnego",
    "auth_result": ".transport.adapter",
    "raise_for_auth": ".transport.adapter",
}

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_MAX_REPLAY_BYTES",
    "TICKET_CACHE",
    "AuthAdapter",
    "BasicAuth",
    "Credential",
    "Credentials",
    "DAVSession",
    "DigestAuth",
    "FlowResult",
    "HTTPAuth",
    "SchemeOptions",
    "SchemeRegistry",
    "auth_result",
    "raise_for_auth",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
