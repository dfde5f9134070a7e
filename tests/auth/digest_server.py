"""An in-memory Digest server (RFC 7616) for driving the sans-I/O flow in tests.

It verifies ``response`` for MD5, SHA-256 and SHA-512-256 with ``qop=auth``. With
``strict=True`` it checks nonce counts as Apache's ``AuthDigestNcCheck On`` does: one count
per ``opaque``, advanced by every request that names it, a request accepted only when its
``nc`` equals that count, and a refusal answered with a fresh nonce under the same opaque
and the count restarted. Every request without credentials gets a fresh nonce and opaque.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import Dict, List, Optional

from requests_dav.auth.messages import AuthRequest, AuthResponse

_HASHES = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": lambda: hashlib.new("sha512_256"),
}


def _h(algorithm: str, text: str) -> str:
    hasher = _HASHES[algorithm]()
    hasher.update(text.encode("utf-8"))
    digest: str = hasher.hexdigest()
    return digest


def params_of(value: str) -> Dict[str, str]:
    """The auth-params of a credentials value (quoted or token values)."""
    return {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', value)
    }


class DigestServer:
    """Answers 200 to valid Digest credentials, else 401 with a challenge."""

    def __init__(
        self,
        *,
        realm: str = "files",
        algorithm: str = "MD5",
        strict: bool = False,
        users: Optional[Dict[str, str]] = None,
        header: str = "WWW-Authenticate",
    ) -> None:
        self.realm = realm
        self.algorithm = algorithm
        self.strict = strict
        self.users = users if users is not None else {"alice": "s3cret"}
        self.header = header
        self.counts: Dict[str, int] = {}
        self._ids = itertools.count(1)
        self.log: List[int] = []  # statuses, in the order requests arrived

    def challenge(self, opaque: Optional[str] = None) -> str:
        serial = next(self._ids)
        if opaque is None:
            opaque = f"o{serial}"
        self.counts[opaque] = 0
        algorithm = "" if self.algorithm == "MD5" else f", algorithm={self.algorithm}"
        return (
            f'Digest realm="{self.realm}", nonce="n{serial}", qop="auth", '
            f'opaque="{opaque}"{algorithm}'
        )

    def _refuse(self, opaque: Optional[str] = None) -> AuthResponse:
        status = 407 if self.header.lower().startswith("proxy") else 401
        self.log.append(status)
        return AuthResponse(status, [(self.header, self.challenge(opaque))])

    def __call__(self, request: AuthRequest) -> AuthResponse:
        name = "Proxy-Authorization" if self.header.lower().startswith("proxy") else "Authorization"
        value = request.headers.get(name)
        if not value or not value.startswith("Digest "):
            return self._refuse()
        p = params_of(value)
        opaque = p.get("opaque")
        if opaque not in self.counts:
            return self._refuse()
        self.counts[opaque] += 1
        password = self.users.get(p.get("username", ""))
        if password is None or p.get("realm") != self.realm:
            return self._refuse(opaque)
        if self.strict and int(p.get("nc", "0"), 16) != self.counts[opaque]:
            return self._refuse(opaque)
        algorithm = self.algorithm
        ha1 = _h(algorithm, f"{p['username']}:{self.realm}:{password}")
        ha2 = _h(algorithm, f"{request.method}:{p['uri']}")
        expected = _h(algorithm, f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:auth:{ha2}")
        if p.get("response") != expected:
            return self._refuse(opaque)
        self.log.append(200)
        return AuthResponse(200)
