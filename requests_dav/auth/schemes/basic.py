"""The Basic authentication scheme (RFC 7617).

* Section 2: ``credentials = "Basic" SP token68`` where the token68 is the
  Base64 of ``user-id ":" password``. A user-id containing ``':'`` cannot be
  expressed; neither may contain a control character.
* Section 2.1: the ``charset`` auth-param. Encoding, in order of precedence:
  the credential's own ``encoding`` (for a server that stored, say, latin-1
  passwords: servers compare raw bytes), then UTF-8 when the challenge says
  ``charset="UTF-8"`` (user-id and password then normalized to Unicode NFC, as
  the PRECIS profiles of RFC 7613 that section 2.1 refers to do), else
  :attr:`SchemeOptions.basic_encoding` (UTF-8 by default). A password given as
  ``bytes`` is sent exactly as it is.
* Section 2.2: the protection space is every path at or below the parent
  "directory" of the request path, used for preemptive authentication.

Basic has no state to refresh: a second challenge after credentials were sent
always means they were refused.
"""

from __future__ import annotations

import base64
import unicodedata
from typing import TYPE_CHECKING, ClassVar, List, Optional, Union
from urllib.parse import urlsplit

from ..errors import UnsupportedChallengeError
from .base import Authenticator, SchemeOptions, origin_of, resolve_password

if TYPE_CHECKING:
    from ..challenge import Challenge
    from ..messages import AuthRequest
    from ..types import Credential

__all__ = ["BasicScheme", "basic_space_prefix"]


def _has_control(text: str) -> bool:
    """True when ``text`` holds a C0 control character or DEL (RFC 5234 CTL)."""
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


def basic_space_prefix(url: str) -> str:
    """The absolute URL prefix of the parent "directory" of ``url`` (RFC 7617 section 2.2).

    ``http://h/docs/a/b.txt`` -> ``http://h:80/docs/a/``; a path ending in
    ``/`` is its own directory; the query is dropped.
    """
    path = urlsplit(url).path or "/"
    directory = path[: path.rfind("/") + 1] or "/"
    return origin_of(url) + directory


class BasicScheme(Authenticator):
    """RFC 7617 Basic: ``Authorization: Basic base64(user-id:password)``."""

    scheme: ClassVar[str] = "basic"
    strength: ClassVar[int] = 10
    sends_password: ClassVar[bool] = True

    def __init__(
        self, challenge: Challenge, credential: Credential, token: str, encoding: str
    ) -> None:
        self.challenge = challenge
        self.credential = credential
        self.realm = challenge.realm
        self.encoding = encoding
        self._value = f"Basic {token}"

    def __repr__(self) -> str:
        return (
            f"BasicScheme(realm={self.realm!r}, user={self.credential.username!r}, "
            f"encoding={self.encoding!r})"
        )

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        """Every Basic challenge can be answered (RFC 7617 section 2)."""
        return challenge.scheme.lower() == cls.scheme

    @classmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> BasicScheme:
        """Resolve the password and encode the credentials once (RFC 7617 sections 2, 2.1)."""
        username = credential.username
        if ":" in username:
            raise UnsupportedChallengeError(
                f"Basic authentication cannot express the user-id {username!r}: "
                "it contains ':' (RFC 7617 section 2)"
            )
        if _has_control(username):
            raise UnsupportedChallengeError(
                f"Basic authentication cannot send the user-id {username!r}: "
                "it contains a control character (RFC 7617 section 2)"
            )
        password = resolve_password(credential, url, challenge.realm, attempt)
        charset = (challenge.get("charset") or "").strip().lower()
        normalize = False
        if credential.encoding:
            encoding = credential.encoding
        elif charset in ("utf-8", "utf8"):
            encoding, normalize = "utf-8", True
        else:
            encoding = options.basic_encoding
        token = _encode(username, password, encoding, normalize)
        return cls(challenge, credential, token, encoding)

    def authorize(self, request: AuthRequest) -> str:
        """The same ``Basic`` credentials for every request of the space."""
        return self._value

    def on_challenge(self, challenge: Challenge) -> bool:
        """Basic has nothing new to offer: a repeated challenge means refused."""
        return False

    def space_prefixes(self, url: str) -> List[str]:
        """The parent directory of ``url`` (RFC 7617 section 2.2); a proxy: its whole origin."""
        if self.challenge.is_proxy:
            return [origin_of(url) + "/"]
        return [basic_space_prefix(url)]

    def space_from_directory(self) -> bool:
        """Yes: the parent directory, or the origin."""
        return True


def _encode(username: str, password: Union[str, bytes], encoding: str, normalize: bool) -> str:
    """Base64 of ``user-id ":" password`` in ``encoding``; no secret in any error raised."""
    if normalize:
        username = unicodedata.normalize("NFC", username)
    try:
        user_bytes = username.encode(encoding)
    except (UnicodeError, LookupError):
        raise UnsupportedChallengeError(
            f"Basic authentication cannot encode the user-id {username!r} as {encoding}"
        ) from None
    if isinstance(password, bytes):
        password_bytes = password
    else:
        if _has_control(password):
            raise UnsupportedChallengeError(
                "Basic authentication cannot send this password: it contains a control "
                "character (RFC 7617 section 2)"
            )
        if normalize:
            password = unicodedata.normalize("NFC", password)
        password_bytes = _encode_secret(password, encoding)
    return base64.b64encode(user_bytes + b":" + password_bytes).decode("ascii")


def _encode_secret(password: str, encoding: str) -> bytes:
    """``password`` in ``encoding``; the error names the encoding only, never the password."""
    failure: Optional[str] = None
    try:
        return password.encode(encoding)
    except LookupError:
        failure = f"unknown encoding {encoding!r}"
    except UnicodeError:
        failure = f"the password has characters {encoding} cannot encode"
    raise UnsupportedChallengeError(f"Basic authentication: {failure}")
