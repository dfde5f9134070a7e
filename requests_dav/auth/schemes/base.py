"""The contract every authentication scheme implements (RFC 7235 section 2).

An :class:`Authenticator` is one scheme's state for one protection space
(RFC 7235 section 2.2): it is created from a challenge the server sent and a
credential the store found, then answers requests in that space with the value
of ``Authorization`` / ``Proxy-Authorization`` (RFC 7235 sections 4.2, 4.4).
Schemes are sans-I/O: they read :class:`~requests_dav.auth.messages.AuthRequest`
and :class:`~requests_dav.auth.messages.AuthResponse` and never send anything.

The life of an authenticator, as the negotiation (``auth/flow.py``) drives it::

    cls.supports(challenge, options)        # can this class answer this challenge?
    auth = cls.create(challenge, credential, url=url, options=options)
    value = auth.try_authorize(request)     # once per request, from any thread (None: wait
                                            # for a challenge; the default calls authorize)
    auth.on_request_challenged(new, request)  # 401/407 again: retry (True) or refused (False);
                                            # the default calls on_challenge(new)
    auth.on_success(response, request)      # 2xx/3xx: RFC 7615 Authentication-Info
    auth.release(request)                   # the flow is done with request (any outcome)
    auth.space_prefixes(url)                # where to send it preemptively from now on

``cls.strength_for(challenge)`` ranks an answer for the no-downgrade rule: the flow
never answers a challenge weaker than what already succeeded in the space.

Secrets (passwords, derived keys, computed responses) never appear in a
``repr``, a log record or an exception message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, List, Optional, Tuple, Union

from ..errors import UnsupportedChallengeError
from ..types import Strength
from ..urls import Origin

if TYPE_CHECKING:
    from ..challenge import Challenge
    from ..messages import AuthRequest, AuthResponse
    from ..types import Credential

__all__ = [
    "Authenticator",
    "PasswordDeclinedError",
    "SchemeOptions",
    "origin_of",
    "resolve_password",
]


@dataclass(frozen=True)
class SchemeOptions:
    """Policy knobs shared by the schemes (immutable, like urllib3's ``Retry``).

    ``allow_legacy_digest``: answer a Digest challenge without ``qop``
    (RFC 2069, no client nonce, no nonce count: weak against replay). Off by
    default; RFC 7616 section 3.3 makes ``qop`` mandatory for servers.

    ``basic_encoding``: how Basic encodes user-id and password when neither the
    credential nor the challenge's ``charset`` decides (RFC 7617 section 2.1).

    ``allow_downgrade``: answer a challenge weaker than one that already
    succeeded in the same protection space (say MD5 Digest after SHA-256, or
    Basic over ``https`` after Digest). Off by default: such a challenge is
    not answered and the flow ends with outcome ``"downgrade-refused"``. Even
    with it, a scheme that sends the password itself (Basic) is never sent
    over plain ``http`` to a space where a stronger scheme succeeded.

    ``negotiate_mutual_auth`` (origins) and ``negotiate_proxy_mutual_auth``
    (proxies): whether a success after Kerberos inside ``Negotiate`` must carry
    the server's final token, its proof of identity (RFC 4559 section 5):
    ``"required"``, or ``"optional"`` (a success without one is accepted; a
    token that is there must verify either way). Proxies default to
    ``"optional"``: squid's ``negotiate_kerberos_auth`` sends none, the success
    being the origin's answer.
    """

    allow_legacy_digest: bool = False
    basic_encoding: str = "utf-8"
    allow_downgrade: bool = False
    negotiate_mutual_auth: str = "required"
    negotiate_proxy_mutual_auth: str = "optional"

    def __post_init__(self) -> None:
        for name in ("negotiate_mutual_auth", "negotiate_proxy_mutual_auth"):
            if getattr(self, name) not in MUTUAL_AUTH_POLICIES:
                raise ValueError(
                    f"{name} must be one of {', '.join(MUTUAL_AUTH_POLICIES)}, "
                    f"not {getattr(self, name)!r}"
                )


MUTUAL_AUTH_POLICIES = ("required", "optional")
"""The values of :attr:`SchemeOptions.negotiate_mutual_auth` and its proxy twin."""


class PasswordDeclinedError(UnsupportedChallengeError):
    """The credential's password callback returned ``None`` ("give up").

    A subclass of :class:`~requests_dav.auth.errors.UnsupportedChallengeError`
    so a caller that only knows the contract's error still catches it; the
    negotiation can tell it apart to report "no-credentials" rather than
    "unsupported".
    """


class Authenticator(ABC):
    """One scheme's state for one protection space (RFC 7235 section 2.2).

    Created from a challenge and a credential with :meth:`create`. Thread-safe:
    :meth:`authorize` may be called from many threads at once, and
    :meth:`on_challenge` / :meth:`on_success` may run while other threads
    authorize.

    Class flags declare what the scheme is (httpx's ``requires_request_body``
    manner): ``scheme`` is the lower-case auth-scheme name, ``strength`` orders
    schemes when a server offers several (Basic 10, Digest 20; a third-party
    scheme picks its own), ``connection_bound`` marks schemes whose
    authentication belongs to one TCP connection (NTLM, Negotiate), and
    ``sends_password`` those that put the password itself on the wire (Basic).
    """

    scheme: ClassVar[str]
    strength: ClassVar[int]
    connection_bound: ClassVar[bool] = False
    sends_password: ClassVar[bool] = False

    challenge: Challenge
    credential: Credential
    realm: Optional[str]

    @classmethod
    @abstractmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        """Whether this class can answer ``challenge`` under ``options``."""

    @classmethod
    def rank(cls, challenge: Challenge) -> int:
        """Order among challenges of this same scheme: higher is preferred."""
        return 0

    @classmethod
    def grade(cls, challenge: Challenge) -> int:
        """Strength of an answer to ``challenge`` inside this scheme, for the no-downgrade rule.

        Unlike :meth:`rank` (a preference), equal grades are equally strong.
        The default is 0: every challenge of the scheme is as strong as another.
        """
        return 0

    @classmethod
    def strength_for(cls, challenge: Challenge) -> Strength:
        """``(strength, grade)`` of an answer to ``challenge``, with a label for messages."""
        return Strength(cls.strength, cls.grade(challenge), cls.label_for(challenge))

    @classmethod
    def label_for(cls, challenge: Challenge) -> str:
        """How messages name an answer to ``challenge`` (``"Basic"``, ``"Digest SHA-256"``)."""
        return cls.scheme.capitalize()

    #: (challenge, its :meth:`strength_for`) for :attr:`achieved`; set per instance when read
    _achieved: Optional[Tuple[Challenge, Strength]] = None

    @property
    def achieved(self) -> Strength:
        """The strength of this authenticator's current challenge (:meth:`strength_for`),
        worked out once per challenge.

        Read at the start of every preemptive request and after every success (the
        no-downgrade floor, RFC 7235 section 4.1). A challenge is immutable and only
        replaced, and the strength depends on the challenge alone, so it is kept with the
        challenge it is for and a replaced challenge is ranked anew.
        """
        challenge = self.challenge
        memo = self._achieved
        if memo is not None and memo[0] is challenge:
            return memo[1]
        strength = type(self).strength_for(challenge)
        self._achieved = (challenge, strength)
        return strength

    @classmethod
    @abstractmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> Authenticator:
        """Build the authenticator for ``challenge`` with ``credential``.

        The password is resolved here: a callable credential is asked with
        ``(url, realm, attempt)``. Raises
        :class:`~requests_dav.auth.errors.UnsupportedChallengeError` when the
        scheme cannot answer with this credential, and
        :class:`PasswordDeclinedError` (a subclass) when the callback returned
        ``None``.
        """

    @property
    def requires_body(self) -> bool:
        """True when :meth:`authorize` must read the whole request body."""
        return False

    @property
    def per_request(self) -> bool:
        """True when a connection-bound scheme learned that the server authenticates each request.

        Then the authenticator is used like a per-request one: learned for its
        space, sent with every request, its connection not pinned (Negotiate with
        Kerberos against ``Persistent-Auth: false``). False by default.
        """
        return False

    @property
    def awaits_challenge(self) -> bool:
        """True when the value :meth:`authorize` last produced cannot authenticate by itself.

        The server can only answer it with a challenge carrying the next token
        (NTLM's type 1 message, [MS-NLMP] section 3.1.5.1.1), so the request
        that carries it need not carry the body: the flow marks it
        ``withhold_body``. Never true for a token that may complete the
        handshake (Kerberos inside Negotiate can, in one leg).
        """
        return False

    @abstractmethod
    def authorize(self, request: AuthRequest) -> str:
        """The ``Authorization`` / ``Proxy-Authorization`` value for ``request``."""

    def try_authorize(self, request: AuthRequest) -> Optional[str]:
        """:meth:`authorize`, or ``None`` when the scheme has nothing to send ``request`` now.

        ``None`` (Digest, when every nonce of a count-checking server is in use
        by another request): the flow sends the request without credentials
        for this side and passes the challenge it draws to
        :meth:`on_request_challenged`. The default always authorizes.
        """
        return self.authorize(request)

    def on_challenge(self, challenge: Challenge) -> bool:
        """A new challenge of this scheme and realm came back after credentials were sent.

        True: it carries new information, the state is already updated and the
        same credentials should be tried again. False: the credentials were
        refused. The default has nothing new to offer.
        """
        return False

    def on_request_challenged(self, challenge: Challenge, request: AuthRequest) -> bool:
        """:meth:`on_challenge` for the answer to ``request`` (what the flow calls).

        A scheme that keeps per-request state (the nonce and count ``request``
        was sent with) overrides this; the default calls :meth:`on_challenge`.
        """
        return self.on_challenge(challenge)

    def release(self, request: AuthRequest) -> None:  # noqa: B027
        """The flow is done with ``request``, whatever its outcome: free what it held.

        Called once per flow and authenticator, also when the flow is closed
        early. The default holds nothing.
        """

    def on_success(self, response: AuthResponse, request: AuthRequest) -> None:  # noqa: B027
        """The server accepted ``request``; read what it says back (RFC 7615).

        The default reads nothing.
        """

    @abstractmethod
    def space_prefixes(self, url: str) -> List[str]:
        """Absolute URL prefixes the protection space covers, learned from ``url``."""

    def space_from_directory(self) -> bool:
        """Whether :meth:`space_prefixes` reads ``url`` only through its scheme, authority and
        the directory of its path, as written: then one directory's URLs share what the store
        works out for them (:func:`~requests_dav.auth.space_memo.directory_of`). No, unless a
        scheme knows better."""
        return False


def resolve_password(
    credential: Credential, url: str, realm: Optional[str], attempt: int
) -> Union[str, bytes]:
    """Ask ``credential`` for its password (calling a callback with ``(url, realm, attempt)``).

    Raises :class:`PasswordDeclinedError` when the answer is ``None``.
    """
    password = credential.password_for(url, realm, attempt)
    if password is None:
        where = f" for realm {realm!r}" if realm is not None else ""
        raise PasswordDeclinedError(
            f"no password{where}: the password source for user "
            f"{credential.username!r} declined (returned None)"
        )
    return password


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url`` (:attr:`~requests_dav.auth.urls.Origin.url`).

    Normalised as the credential store normalises it: lower-cased, default
    port filled in, no userinfo, IPv6 in brackets, IDNA host. This is the
    origin (RFC 6454 section 4) written as the start of an absolute URL
    prefix. :class:`ValueError` for a URL that is not ``http``/``https`` with
    a host.
    """
    return Origin.from_url(url).url
