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

**Or per request.** A server may authenticate each request even over Negotiate:
mod_auth_gssapi does by default, and says so with ``Persistent-Auth: false``
([MS-N2HT] section 3.2.5; without the header only NTLM keeps the connection
authenticated). After such a success with Kerberos (one leg per request; NTLM's
three legs stay pinned, the connection challenged again) the authenticator is
:attr:`~_SpnegoScheme.per_request`: no longer bound to its connection, it is
learned for the URL's directory like Basic, and every later request there
carries a token of a fresh context of its own (one leg, the body sent once),
whose answer that context verifies. Kerberos makes this cheap: the service
ticket stays in the credential cache, so a new context costs no round trip to
the KDC (with a password, pyspnego asks the KDC for a ticket again each time).

**Kerberos tickets instead of a password.** :data:`TICKET_CACHE` as the
credential's password: ``Negotiate`` uses the Kerberos credential cache
(``KRB5CCNAME``, filled by ``kinit``), the default principal, or the one the
user name names; every other scheme finds no password there.

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
sans-I/O request does not carry yet (mod_auth_gssapi 1.6 cannot require it
either).
"""

from __future__ import annotations

import base64
import binascii
import threading
import weakref
from types import ModuleType
from typing import TYPE_CHECKING, Callable, ClassVar, Final, List, Optional
from urllib.parse import urlsplit

from ..challenge import parse_challenges_lenient
from ..errors import MutualAuthenticationError, UnsupportedChallengeError
from .base import Authenticator, PasswordDeclinedError, SchemeOptions, resolve_password
from .basic import basic_space_prefix

if TYPE_CHECKING:
    from spnego import ContextProxy

    from ..challenge import Challenge
    from ..messages import AuthRequest, AuthResponse
    from ..types import Credential

__all__ = ["EXTRA", "TICKET_CACHE", "NTLMScheme", "NegotiateScheme", "spnego_available"]

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


class _Handshake:
    """One security context and where its handshake stands (lock held by the owner)."""

    __slots__ = ("context", "established", "legs", "pending", "restarted", "sent")

    def __init__(self, context: ContextProxy) -> None:
        self.context = context
        self.pending: Optional[bytes] = None  # the token the next authorize() sends
        self.established = False
        self.legs = 0  # tokens produced in this handshake
        self.sent = False  # authorize() gave out a token
        self.restarted = False  # per request: a refused token was already started over


class _SpnegoScheme(Authenticator):
    """Handshakes of a connection-bound scheme over pyspnego client contexts.

    States of a handshake: *fresh* (nothing sent; :meth:`authorize` produces
    the first token), *in progress* (a token was sent; :meth:`on_challenge`
    feeds the server's answer and prepares the next one), *established*
    (:meth:`on_success` ran: the connection the handshake used is
    authenticated).

    Until the first success the authenticator runs one handshake, that of the
    flow that created it. The success decides what the server authenticates
    ([MS-N2HT] section 3.2.5, ``Persistent-Auth``): the connection (``true``;
    NTLM when the header is absent) or each request (``false``; Kerberos when
    it is absent, as mod_auth_gssapi does without ``GssapiConnectionBound``).
    When Kerberos was negotiated and the server authenticates each request,
    the authenticator becomes :attr:`per_request`: the
    flow learns it for the space, like Basic, and every later request carries
    a token of its own (a fresh context per request, kept per thread, since a
    flow runs in one thread: a server token on a 401 or on the success goes to
    the context of that thread's request). Thread-safe: every step holds the
    lock.
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
        mutual_auth_required: bool = True,
    ) -> None:
        self.challenge = challenge
        self.credential = credential
        self.realm = challenge.realm
        self.hostname = hostname
        self._factory = factory  # holds the password in its closure; never in a repr
        self._lock = threading.Lock()
        self._first = _Handshake(factory())
        self._per_request = False
        self._mutual_auth_required = mutual_auth_required
        self._local = threading.local()  # per request: (weakref to the AuthRequest, handshake)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(user={self.credential.username!r}, "
            f"host={self.hostname!r}, state={self.state!r})"
        )

    # -- state ------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"fresh"``, ``"in-progress"`` or ``"established"`` (of this thread's handshake)."""
        with self._lock:
            handshake = self._current()
            if handshake is None:
                return "fresh"
            if handshake.established:
                return "established"
            return "in-progress" if handshake.sent else "fresh"

    @property
    def established(self) -> bool:
        """The server accepted the handshake: the connection it ran on is authenticated."""
        with self._lock:
            handshake = self._current()
            return handshake is not None and handshake.established

    @property
    def per_request(self) -> bool:
        """The server authenticates each request, not the connection (``Persistent-Auth``).

        Known after the first success. Then the authenticator is no longer
        bound to a connection: the flow learns it and every request carries
        its own token.
        """
        with self._lock:
            return self._per_request

    @property
    def awaits_challenge(self) -> bool:
        """The pending token is the first one and it is (or carries) NTLM's type 1 message.

        A type 1 message ([MS-NLMP] section 2.2.1.1) only announces the client:
        no server can authenticate it, bare (``NTLM``) or as the optimistic
        mechanism token inside SPNEGO (``Negotiate`` without Kerberos). A
        Kerberos AP-REQ may be accepted at once, so it never awaits.
        """
        with self._lock:
            handshake = self._current()
            if handshake is None:
                return False
            pending = handshake.pending
            return (
                not handshake.established
                and handshake.sent
                and handshake.legs == 1
                and pending is not None
                and _NTLM_NEGOTIATE_MESSAGE in pending
            )

    @property
    def negotiated_protocol(self) -> Optional[str]:
        """What pyspnego ended up using (``"ntlm"``, ``"kerberos"``), once known."""
        with self._lock:
            handshake = self._current()
            return _protocol_name(handshake.context if handshake is not None else None)

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
        password as UTF-16). The password :data:`TICKET_CACHE` means the
        Kerberos credential cache (``Negotiate`` only; the user name, if any,
        picks the principal in it); it is not asked again after a refusal.
        Raises :class:`ImportError` naming the extra when pyspnego is missing.
        """
        spnego = _import_spnego()
        username: Optional[str] = credential.username
        password: Optional[str]
        if credential.password is TICKET_CACHE:
            if cls.protocol != "negotiate":
                raise PasswordDeclinedError(
                    f"{cls.wire_name} needs a password: the Kerberos ticket cache serves "
                    "Negotiate only"
                )
            if attempt > 1:
                raise PasswordDeclinedError(
                    "the server refused the Kerberos ticket; the ticket cache has nothing else"
                )
            username, password = username or None, None
        else:
            if not username:
                raise UnsupportedChallengeError(f"{cls.wire_name} authentication needs a user name")
            password = _text_password(cls.wire_name, credential, url, challenge, attempt)
        hostname = urlsplit(url).hostname or ""
        protocol = cls.protocol

        def factory() -> ContextProxy:
            context: ContextProxy = spnego.client(
                username, password, hostname=hostname, service="HTTP", protocol=protocol
            )
            return context

        policy = (
            options.negotiate_proxy_mutual_auth
            if challenge.is_proxy
            else options.negotiate_mutual_auth
        )
        try:
            made = cls(
                challenge,
                credential,
                factory,
                hostname=hostname,
                mutual_auth_required=policy == "required",
            )
            # the first token now: pyspnego acquires the credentials (a ticket from the
            # cache, or from the KDC with the password) at the first step, and a failure
            # here lets the flow pass on to another scheme
            made._first.pending = _step(made._first, None)
        except Exception as exc:  # pyspnego's own errors: no secret in their text
            raise UnsupportedChallengeError(
                f"cannot start {cls.wire_name} authentication for user {username!r}: "
                f"{type(exc).__name__}"
            ) from None
        return made

    def authorize(self, request: AuthRequest) -> str:
        """``<Scheme> <base64 token>``: the handshake's next leg.

        Called again before the server answered (a retry caused by the other
        side), it repeats the same token. After the server accepted the
        handshake it starts a new one (type 1 again); per request, every new
        request starts its own.
        """
        with self._lock:
            if self._per_request:
                handshake = self._handshake_for(request)
            else:
                handshake = self._first
                if handshake.established:
                    handshake = self._first = _Handshake(self._factory())
            if handshake.pending is None:
                try:
                    handshake.pending = _step(handshake, None)
                except Exception as exc:  # e.g. the ticket expired: no secret in the text
                    raise UnsupportedChallengeError(
                        f"cannot start {self.wire_name} authentication for user "
                        f"{self.credential.username!r}: {type(exc).__name__}"
                    ) from None
                if handshake.pending is None:
                    raise UnsupportedChallengeError(
                        f"{self.wire_name}: the security context produced no initial token"
                    )
            handshake.sent = True
            return f"{self.wire_name} {base64.b64encode(handshake.pending).decode('ascii')}"

    def on_challenge(self, challenge: Challenge) -> bool:
        """The server's next token: True while the handshake continues, False when refused.

        A bare challenge (no token68) after our token means the server dropped
        the handshake (wrong password, or the legs arrived on different
        connections): refused. So is a token that does not decode, a token that
        pyspnego rejects, or a token after our last leg. Per request, a bare
        challenge to the first token of a request starts that request's
        handshake over once (the server may have lost a ticket it knew).
        """
        token = challenge.token68
        with self._lock:
            handshake = self._current()
            if handshake is None:
                return False
            if token is None:
                if self._per_request and handshake.sent and not handshake.restarted:
                    fresh = _Handshake(self._factory())
                    fresh.restarted = True
                    self._local.slot = (self._local.slot[0], fresh)
                    return True
                return False
            if (
                handshake.established
                or not handshake.sent
                or handshake.pending is None
                or handshake.context.complete
            ):
                return False
            data = _decode(token)
            if data is None:
                return False
            try:
                answer = _step(handshake, data)
            except Exception:
                return False
            if not answer:
                return False
            handshake.pending = answer
            return True

    def on_success(self, response: AuthResponse, request: AuthRequest) -> None:
        """Read the server's final token, if any (RFC 4559 section 5), and mark established.

        ``WWW-Authenticate: Negotiate <token>`` (``Proxy-Authenticate`` for a
        proxy) on the success response completes the context; a token that
        does not verify raises :class:`MutualAuthenticationError`. When Kerberos
        was negotiated the context must be complete afterwards (mutual
        authentication was requested), unless the options made the proof
        optional for this side (``negotiate_mutual_auth``,
        ``negotiate_proxy_mutual_auth``: optional for proxies by default); NTLM,
        bare or inside SPNEGO, has nothing to prove and passes without a token.
        The first success also reads ``Persistent-Auth`` (origin only; see the
        class docstring).
        """
        header = "Proxy-Authenticate" if self.challenge.is_proxy else "WWW-Authenticate"
        challenges, _ = parse_challenges_lenient(response.get_all(header), header)
        tokens = [c.token68 for c in challenges if c.scheme == self.scheme and c.token68]
        with self._lock:
            handshake = self._handshake_of(request)
            if handshake is None or handshake.established:
                return
            context = handshake.context
            if tokens and not context.complete:
                data = _decode(tokens[0])
                try:
                    if data is None:
                        raise ValueError("not base64")
                    _step(handshake, data)
                except Exception:
                    raise MutualAuthenticationError(
                        f"the server's final {self.wire_name} token in {header} did not verify"
                    ) from None
            protocol = _protocol_name(context)
            if not context.complete and protocol == "kerberos" and self._mutual_auth_required:
                raise MutualAuthenticationError(
                    f"the server did not prove its identity: no final {self.wire_name} token "
                    f"in {header} (Kerberos mutual authentication)"
                )
            handshake.established = True
            handshake.pending = None
            if handshake is self._first and not self.challenge.is_proxy:
                # one leg: only Kerberos can answer each request without pinning a connection
                self._per_request = protocol == "kerberos" and not _persistent(response, protocol)

    def space_prefixes(self, url: str) -> List[str]:
        """Per request: the parent directory of ``url``, as for Basic. Else nothing.

        A connection-bound handshake is never replayed on another connection.
        """
        with self._lock:
            return [basic_space_prefix(url)] if self._per_request else []

    # -- helpers (lock held) ------------------------------------------------------------

    def _current(self) -> Optional[_Handshake]:
        """The handshake this thread works on: its request's when per request, else the one."""
        if not self._per_request:
            return self._first
        slot = getattr(self._local, "slot", None)
        return slot[1] if slot is not None else None

    def _handshake_of(self, request: AuthRequest) -> Optional[_Handshake]:
        """The handshake that carried ``request`` (per request: only this thread's)."""
        if not self._per_request:
            return self._first
        slot = getattr(self._local, "slot", None)
        if slot is None or slot[0]() is not request:
            return None
        handshake: _Handshake = slot[1]
        return handshake

    def _handshake_for(self, request: AuthRequest) -> _Handshake:
        """Per request: this request's open handshake, or a new one for it."""
        handshake = self._handshake_of(request)
        if handshake is None or handshake.established:
            handshake = _Handshake(self._factory())
            self._local.slot = (weakref.ref(request), handshake)
        return handshake


def _step(handshake: _Handshake, data: Optional[bytes]) -> Optional[bytes]:
    answer = handshake.context.step(data)
    handshake.legs += 1
    return answer


def _protocol_name(context: Optional[ContextProxy]) -> Optional[str]:
    if context is None:
        return None
    try:
        name = context.negotiated_protocol
    except Exception:
        return None
    return str(name) if name else None


def _persistent(response: AuthResponse, protocol: Optional[str]) -> bool:
    """Whether the server keeps the connection authenticated ([MS-N2HT] section 3.2.5).

    ``Persistent-Auth: true`` or ``false`` on the success says so; any other
    value is ignored; without it only NTLM is persistent.
    """
    values = [v.strip().lower() for v in response.get_all("Persistent-Auth")]
    if values and values[-1] in ("true", "false"):
        return values[-1] == "true"
    return protocol != "kerberos"


def _text_password(
    wire_name: str, credential: Credential, url: str, challenge: Challenge, attempt: int
) -> str:
    secret = resolve_password(credential, url, challenge.realm, attempt)
    if isinstance(secret, str):
        return secret
    try:
        return secret.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedChallengeError(
            f"{wire_name} authentication needs a text password (UTF-8 bytes)"
        ) from None


class _TicketCache:
    """The password source that stands for the Kerberos credential cache (see TICKET_CACHE)."""

    def __call__(self, url: str, realm: Optional[str], attempt: int) -> None:
        return None  # every scheme that needs a password declines

    def __repr__(self) -> str:
        return "TICKET_CACHE"


TICKET_CACHE: Final = _TicketCache()
"""Add this as the password to authenticate with Kerberos tickets, not a password.

``credentials.add(url, "", TICKET_CACHE)`` lets ``Negotiate`` use the default
principal of the credential cache (``KRB5CCNAME``, filled by ``kinit``);
``credentials.add(url, "alice@EXAMPLE.ORG", TICKET_CACHE)`` picks that
principal from a cache collection. Every other scheme finds no password in it
(Basic, Digest and NTLM decline), so it never sends anything password-based.
"""


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
