"""NTLM and Negotiate: connection-bound authentication (RFC 4559, MS-NTHT), through pyspnego.

What the wire looks like (RFC 4559 sections 4 and 5; [MS-NTHT] sections 2 and 3 for
``NTLM``)::

    C: PUT /x                                   (no credentials)
    S: 401  WWW-Authenticate: NTLM              (bare: neither params nor token68)
    C: PUT /x  Authorization: NTLM <type 1>     (NEGOTIATE_MESSAGE)
    S: 401  WWW-Authenticate: NTLM <type 2>     (CHALLENGE_MESSAGE)
    C: PUT /x  Authorization: NTLM <type 3>     (AUTHENTICATE_MESSAGE)
    S: 201                                      (the *connection* is now authenticated)

``Negotiate`` is the same dance with SPNEGO tokens (RFC 4178): Kerberos when the
system has it (pyspnego on python-gssapi / SSPI), else NTLM wrapped in SPNEGO,
where the server's last token comes on the success response
(``WWW-Authenticate: Negotiate <token>``, RFC 4559 section 5) and is read by
:meth:`on_success` (for Kerberos that token is the mutual-authentication proof).

**Connection-bound.** These schemes authenticate the TCP connection, not the
request: the three legs must travel on one connection, and once the last leg is
accepted further requests *on that connection* need no credentials at all.
Hence ``connection_bound = True``, and these rules:

* One authenticator runs one handshake. It is valid only on the connection the
  handshake ran on: the driver must send every leg of one flow on one connection
  (pin it) and must not give an authenticated connection to requests of other
  credentials.
* Nothing is sent preemptively. :meth:`space_prefixes` returns ``[]``, so the
  credential store learns no protection space and no later request, on another
  connection, replays a type 3 that only meant something on the first one.
  "Preemptive" for a connection-bound scheme means *reusing the authenticated
  connection*: a request that goes out on it passes without a challenge. A
  request on a fresh connection is challenged and runs its own handshake.
* Should :meth:`authorize` be called again after the server accepted the
  handshake (a driver re-authorizing a side that already succeeded), it starts a
  new handshake with a fresh type 1: always correct on any connection (servers
  restart authentication on a new ``Authorization``), one round trip dearer.

Strength (RFC 7235 section 4.1 "strongest auth-scheme"): ``Negotiate`` 30 >
Digest 20 > ``NTLM`` 15 > Basic 10, the order curl picks in. Negotiate is first:
Kerberos, when it is used, gives mutual authentication and puts nothing
password-derived on the wire, and without Kerberos SPNEGO falls back to NTLM with
a MIC over the mechanism list, so it is never weaker than bare NTLM; which
mechanism wins is only known after the handshake, so the class ranks by its best
case. Digest comes before NTLM: it authenticates each request (no connection
pinning, survives pooling and proxies that do not keep client and server
connections paired), offers SHA-256, ``rspauth`` and ``auth-int``, whereas bare
NTLM has no mutual authentication and is deprecated by Microsoft. NTLM beats
Basic: the password never crosses the wire. A server offering
``Negotiate, NTLM, Basic`` therefore gets Negotiate first, then NTLM if it
refuses, Basic last.

pyspnego is an optional dependency (the ``requests-dav[spnego]`` extra) and is
imported only when a scheme is used: without it :meth:`supports` answers False
(the registry passes over these challenges) and :meth:`create` raises an
:class:`ImportError` that names the extra. pyspnego does no I/O, so this module
keeps the sans-I/O rule of ``requests_dav.auth``.

Not done here: channel binding to the TLS certificate (Extended Protection,
RFC 5929 ``tls-server-end-point``) needs the peer certificate, which the
sans-I/O request does not carry yet.
"""

from __future__ import annotations

import base64
import binascii
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Callable, ClassVar, List, Optional
from urllib.parse import urlsplit

from ..challenge import parse_challenges_lenient
from ..errors import MutualAuthenticationError, UnsupportedChallengeError
from .base import Authenticator, SchemeOptions, resolve_password

if TYPE_CHECKING:
    from spnego import ContextProxy

    from ..challenge import Challenge
    from ..messages import AuthRequest, AuthResponse
    from ..types import Credential

__all__ = ["EXTRA", "NTLMScheme", "NegotiateScheme", "spnego_available"]

EXTRA = "requests-dav[spnego]"
"""The extra that installs pyspnego."""


def _import_spnego() -> ModuleType:
    """pyspnego, or an :class:`ImportError` that says how to install it."""
    try:
        import spnego
    except ImportError as exc:
        raise ImportError(
            "NTLM and Negotiate authentication need pyspnego: "
            f"pip install '{EXTRA}' (or pip install pyspnego)",
            name="spnego",
        ) from exc
    return spnego


def spnego_available() -> bool:
    """Whether pyspnego can be imported (the schemes are usable)."""
    try:
        _import_spnego()
    except ImportError:
        return False
    return True


class _SpnegoScheme(Authenticator):
    """One handshake of a connection-bound scheme over a pyspnego client context.

    States: *fresh* (nothing sent; :meth:`authorize` produces the first token),
    *in progress* (a token was sent; :meth:`on_challenge` feeds the server's
    answer and prepares the next one), *established* (:meth:`on_success` ran:
    the connection the handshake used is authenticated). Thread-safe: every step
    holds the lock, but one authenticator belongs to one flow on one connection;
    sharing it between concurrent flows would interleave their handshakes.
    """

    connection_bound: ClassVar[bool] = True
    protocol: ClassVar[str]  # pyspnego's protocol name
    wire_name: ClassVar[str]  # the auth-scheme as written on the wire

    def __init__(
        self,
        challenge: Challenge,
        credential: Credential,
        factory: Callable[[], ContextProxy],
        *,
        hostname: str,
    ) -> None:
        self.challenge = challenge
        self.credential = credential
        self.realm = challenge.realm
        self.hostname = hostname
        self._factory = factory  # holds the password in its closure; never in a repr
        self._lock = threading.Lock()
        self._context = factory()
        self._pending: Optional[bytes] = None  # the token the next authorize() sends
        self._established = False
        self._legs = 0  # tokens produced in this handshake

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(user={self.credential.username!r}, "
            f"host={self.hostname!r}, state={self.state!r})"
        )

    # -- state ------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"fresh"``, ``"in-progress"`` or ``"established"``."""
        with self._lock:
            if self._established:
                return "established"
            return "in-progress" if self._legs else "fresh"

    @property
    def established(self) -> bool:
        """The server accepted the handshake: the connection it ran on is authenticated."""
        with self._lock:
            return self._established

    @property
    def awaits_challenge(self) -> bool:
        """The pending token is the first one and it is (or carries) NTLM's type 1 message.

        A type 1 message ([MS-NLMP] section 2.2.1.1) only announces the client:
        no server can authenticate it, bare (``NTLM``) or as the optimistic
        mechanism token inside SPNEGO (``Negotiate`` without Kerberos). A
        Kerberos AP-REQ may be accepted at once, so it never awaits.
        """
        with self._lock:
            pending = self._pending
            return (
                not self._established
                and self._legs == 1
                and pending is not None
                and _NTLM_NEGOTIATE_MESSAGE in pending
            )

    @property
    def negotiated_protocol(self) -> Optional[str]:
        """What pyspnego ended up using (``"ntlm"``, ``"kerberos"``), once known."""
        with self._lock:
            return self._protocol_name()

    # -- the contract -------------------------------------------------------------------

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        """A challenge of this scheme, when pyspnego is installed."""
        return challenge.scheme.lower() == cls.scheme and spnego_available()

    @classmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> _SpnegoScheme:
        """A fresh client context for ``credential`` towards ``HTTP@<host of url>``.

        The user name goes to pyspnego as given (``user``, ``DOMAIN\\user`` or
        ``user@REALM``). A ``bytes`` password must be UTF-8 (NTLM hashes the
        password as UTF-16). Raises :class:`ImportError` naming the extra when
        pyspnego is missing.
        """
        spnego = _import_spnego()
        username = credential.username
        if not username:
            raise UnsupportedChallengeError(f"{cls.wire_name} authentication needs a user name")
        secret = resolve_password(credential, url, challenge.realm, attempt)
        if isinstance(secret, bytes):
            try:
                password = secret.decode("utf-8")
            except UnicodeDecodeError:
                raise UnsupportedChallengeError(
                    f"{cls.wire_name} authentication needs a text password (UTF-8 bytes)"
                ) from None
        else:
            password = secret
        hostname = urlsplit(url).hostname or ""
        protocol = cls.protocol

        def factory() -> ContextProxy:
            context: ContextProxy = spnego.client(
                username, password, hostname=hostname, service="HTTP", protocol=protocol
            )
            return context

        try:
            return cls(challenge, credential, factory, hostname=hostname)
        except Exception as exc:  # pyspnego's own errors: no secret in their text
            raise UnsupportedChallengeError(
                f"cannot start {cls.wire_name} authentication for user {username!r}: "
                f"{type(exc).__name__}"
            ) from None

    def authorize(self, request: AuthRequest) -> str:
        """``<Scheme> <base64 token>``: the handshake's next leg.

        Called again before the server answered (a retry caused by the other
        side), it repeats the same token. After the server accepted the
        handshake it starts a new one (type 1 again).
        """
        with self._lock:
            if self._established:
                self._restart()
            if self._pending is None:
                self._pending = self._step(None)
                if self._pending is None:
                    raise UnsupportedChallengeError(
                        f"{self.wire_name}: the security context produced no initial token"
                    )
            return f"{self.wire_name} {base64.b64encode(self._pending).decode('ascii')}"

    def on_challenge(self, challenge: Challenge) -> bool:
        """The server's next token: True while the handshake continues, False when refused.

        A bare challenge (no token68) after our token means the server dropped
        the handshake (wrong password, or the legs arrived on different
        connections): refused. So is a token that does not decode, a token that
        pyspnego rejects, or a token after our last leg.
        """
        token = challenge.token68
        if token is None:
            return False
        with self._lock:
            if self._established or self._pending is None or self._context.complete:
                return False
            data = _decode(token)
            if data is None:
                return False
            try:
                answer = self._step(data)
            except Exception:
                return False
            if not answer:
                return False
            self._pending = answer
            return True

    def on_success(self, response: AuthResponse, request: AuthRequest) -> None:
        """Read the server's final token, if any (RFC 4559 section 5), and mark established.

        ``WWW-Authenticate: Negotiate <token>`` (``Proxy-Authenticate`` for a
        proxy) on the success response completes the context; a token that
        does not verify raises :class:`MutualAuthenticationError`. When Kerberos
        was negotiated the context must be complete afterwards (mutual
        authentication was requested); NTLM, bare or inside SPNEGO, has nothing
        to prove and passes without a token.
        """
        header = "Proxy-Authenticate" if self.challenge.is_proxy else "WWW-Authenticate"
        challenges, _ = parse_challenges_lenient(response.get_all(header), header)
        tokens = [c.token68 for c in challenges if c.scheme == self.scheme and c.token68]
        with self._lock:
            if self._established:
                return
            if tokens and not self._context.complete:
                data = _decode(tokens[0])
                try:
                    if data is None:
                        raise ValueError("not base64")
                    self._step(data)
                except Exception:
                    raise MutualAuthenticationError(
                        f"the server's final {self.wire_name} token in {header} did not verify"
                    ) from None
            if not self._context.complete and self._protocol_name() == "kerberos":
                raise MutualAuthenticationError(
                    f"the server did not prove its identity: no final {self.wire_name} token "
                    f"in {header} (Kerberos mutual authentication)"
                )
            self._established = True
            self._pending = None

    def space_prefixes(self, url: str) -> List[str]:
        """Nothing: a connection-bound handshake is never replayed on another connection."""
        return []

    # -- helpers (lock held) ------------------------------------------------------------

    def _step(self, data: Optional[bytes]) -> Optional[bytes]:
        answer = self._context.step(data)
        self._legs += 1
        return answer

    def _restart(self) -> None:
        self._context = self._factory()
        self._pending = None
        self._established = False
        self._legs = 0

    def _protocol_name(self) -> Optional[str]:
        try:
            name = self._context.negotiated_protocol
        except Exception:
            return None
        return str(name) if name else None


#: The signature and message type that open NTLM's NEGOTIATE (type 1) message.
_NTLM_NEGOTIATE_MESSAGE = b"NTLMSSP\x00\x01\x00\x00\x00"


def _decode(token: str) -> Optional[bytes]:
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None


class NTLMScheme(_SpnegoScheme):
    """``NTLM`` ([MS-NTHT], [MS-NLMP]): a three-leg handshake on one connection."""

    scheme: ClassVar[str] = "ntlm"
    strength: ClassVar[int] = 15
    protocol: ClassVar[str] = "ntlm"
    wire_name: ClassVar[str] = "NTLM"


class NegotiateScheme(_SpnegoScheme):
    """``Negotiate`` (RFC 4559): SPNEGO, Kerberos when available, else NTLM inside SPNEGO."""

    scheme: ClassVar[str] = "negotiate"
    strength: ClassVar[int] = 30
    protocol: ClassVar[str] = "negotiate"
    wire_name: ClassVar[str] = "Negotiate"
