"""The Digest authentication scheme (RFC 7616; RFC 2069 compatibility on request).

What is implemented, by section of RFC 7616:

* 3.2 / 3.4.1-3.4.3: ``response = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))``
  with ``KD(secret, data) = H(secret ":" data)``; ``A1 = username ":" realm ":"
  password`` or, for the ``-sess`` algorithms, ``H(username ":" realm ":"
  password) ":" nonce ":" cnonce``; ``A2 = method ":" uri`` (qop ``auth``) or
  ``method ":" uri ":" H(entity-body)`` (qop ``auth-int``).
* 3.3: the challenge: ``realm``, ``nonce``, ``opaque`` (echoed), ``stale``,
  ``algorithm`` (MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256,
  SHA-512-256-sess; absent means MD5; anything else is not supported),
  ``qop`` (``auth``, ``auth-int``), ``domain`` (the protection space),
  ``charset``, ``userhash``.
* 3.4: the credentials: ``nc`` counts the requests made with one nonce
  (8 hex digits, from 00000001, incremented under a lock so concurrent
  requests never share a count), ``cnonce`` from :mod:`secrets`, ``uri`` is the
  request-target exactly as sent (absolute-form through a proxy, authority-form
  for ``CONNECT``).
* 3.4 / 5.8 (strict nonce counts): a server may accept a count only when it is
  exactly the next one (Apache's ``AuthDigestNcCheck On``); once a space shows
  it checks counts, each request uses a nonce alone, checked out of a small pool
  (:mod:`.digest_nonces`, :meth:`DigestScheme.try_authorize`,
  :meth:`DigestScheme.release`); the nonce whose count went out of step is
  retired, never the authenticator; refusals and challenges drawn for the pool
  together cost at most one request per concurrent request.
* Algorithms and SHA-512/256: :mod:`.digest_algorithms`.
* 3.4.4: ``userhash=true``: ``username`` is ``H(username ":" realm)``.
* 3.4.4 / RFC 8187: ``username*`` when the user name is not printable ASCII.
* 3.5: ``Authentication-Info`` (RFC 7615): ``nextnonce`` is adopted;
  ``rspauth`` is verified with ``A2 = ":" uri`` (``auth``) or
  ``":" uri ":" H(response body)`` (``auth-int``, verified only when the
  caller passes the response body to :meth:`DigestScheme.on_success`;
  otherwise it cannot be checked and is skipped). ``cnonce`` and ``nc`` in the
  answer must be those sent with the request.
* No downgrade: :meth:`DigestScheme.grade` ranks algorithms SHA-512-256 >
  SHA-256 > MD5, each ``-sess`` variant equal to its base, a challenge without
  ``qop`` below its algorithm.
* A challenge whose ``realm``, ``nonce`` or ``opaque`` has a character beyond
  U+00FF (possible when a stack hands over header values decoded as UTF-8)
  cannot be echoed in a quoted-string: it is not supported (outcome
  ``"unsupported"``), and such a ``nextnonce`` is ignored.
* RFC 2069 (no ``qop``): only with :attr:`SchemeOptions.allow_legacy_digest`.

Choices the RFC leaves open:

* Strings from the wire (realm, nonce, uri) are hashed as the octets they
  were received as (ISO-8859-1, as field values are decoded by http.client);
  the user name and a ``str`` password are encoded with the credential's
  ``encoding`` or UTF-8 (RFC 7616 section 4: servers compare raw bytes). A
  ``bytes`` password is used as is.
* Only ``H(username ":" realm ":" password)`` is kept, never the password;
  the ``-sess`` session key is derived from it per nonce.
* For ``-sess`` one client nonce is used for all the requests made with a
  server nonce, so the session key is computed once per nonce (section 3.4.2)
  whichever way a server interprets "once".
* ``qop``: with both offered, ``auth-int`` is chosen when the body can be hashed
  without risk (no body, an in-memory body, a seekable file), else ``auth``. A
  stream body (generator, pipe) is read ahead and hashed only when ``auth-int``
  is the only qop offered; past its replay limit that raises
  :class:`~requests_dav.auth.errors.BodyNotReplayableError`.
  :attr:`DigestScheme.requires_body` is True when ``auth-int`` is preferred.
* ``charset=UTF-8`` (section 4): user name and password are normalized to
  Unicode NFC first, unless the credential names its own ``encoding``.
* ``on_success`` verifies ``rspauth`` only for requests this authenticator
  authorized (it keeps the nonce, nc and cnonce of the last
  :data:`SENT_RECORDS_MAX` values it produced, keyed by header value); for
  any other request the field is read for ``nextnonce`` only.
* The password callback answering ``None`` raises
  :class:`~requests_dav.auth.schemes.base.PasswordDeclinedError`, a subclass of
  :class:`~requests_dav.auth.errors.UnsupportedChallengeError`.
"""

from __future__ import annotations

import hmac
import threading
import unicodedata
from collections import OrderedDict
from typing import (
    TYPE_CHECKING,
    ClassVar,
    FrozenSet,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Tuple,
)
from urllib.parse import urljoin, urlsplit

from .._abnf import QUOTABLE_RE
from ..challenge import parse_auth_info
from ..errors import ChallengeParseError, MutualAuthenticationError, UnsupportedChallengeError
from ..rfc8187 import encode_ext_value
from .base import Authenticator, SchemeOptions, origin_of, resolve_password
from .basic import basic_space_prefix
from .digest_algorithms import (
    ALGORITHMS,
    Algorithm,
    HashFactory,
    PureSHA512_256,
    algorithm_of,
)
from .digest_nonces import SEEN_NONCES_MAX, NoncePool, qops_of
from .digest_value import credentials_value, make_frame

if TYPE_CHECKING:
    from ..body import ReplayableBody
    from ..challenge import Challenge
    from ..messages import AuthRequest, AuthResponse
    from ..types import Credential

__all__ = [
    "ALGORITHMS",
    "SEEN_NONCES_MAX",
    "Algorithm",
    "DigestScheme",
    "HashFactory",
    "PureSHA512_256",
]

#: how a ``domain`` URI starts when it resolves without the request URL's path
_DIRECTORY_FREE = ("/", "http://", "https://")

#: How many sent Authorization values are remembered for rspauth verification.
SENT_RECORDS_MAX = 256


_QOPS: FrozenSet[str] = frozenset({"auth", "auth-int"})


def _quotable(value: Optional[str]) -> bool:
    """True when ``value`` can be echoed in a quoted-string of an ISO-8859-1 field line."""
    return value is None or QUOTABLE_RE.fullmatch(value) is not None


def _wire(text: str) -> bytes:
    """The octets a field value was received as (ISO-8859-1), else its UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _printable_ascii(text: str) -> bool:
    """True when ``text`` fits a quoted-string using ASCII only (VCHAR, SP, HTAB)."""
    return all(char == "\t" or " " <= char <= "~" for char in text)


def _body_hashable(body: Optional[ReplayableBody]) -> bool:
    """Whether ``body.hash()`` is safe: it cannot outgrow the replay buffer and break the body.

    A stream's length is unknown until it has been read, so a stream is not.
    """
    if body is None:
        return True
    if not body.replayable:
        return False
    if body.kind != "stream":
        return True
    return body.length is not None and body.length <= body.max_replay_bytes


def _header_value(headers: MutableMapping[str, str], name: str) -> Optional[str]:
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None


class _Sent:
    """What one authorize() call sent, for checking the rspauth of its answer.

    Holds the session key, so its repr shows nothing.
    """

    __slots__ = ("cnonce", "ha1", "nc", "nonce", "qop", "uri")

    def __init__(
        self, nonce: str, nc: int, cnonce: str, qop: Optional[str], uri: str, ha1: str
    ) -> None:
        self.nonce = nonce
        self.nc = nc
        self.cnonce = cnonce
        self.qop = qop
        self.uri = uri
        self.ha1 = ha1

    def __repr__(self) -> str:
        return "<sent Digest credentials>"


class DigestScheme(Authenticator):
    """RFC 7616 Digest for one protection space (one realm, one algorithm).

    Thread-safe: the nonce, its count and the sent-record map are guarded by
    one lock; body hashing and digest computation happen outside it.
    """

    scheme: ClassVar[str] = "digest"
    strength: ClassVar[int] = 20

    def __init__(
        self,
        challenge: Challenge,
        credential: Credential,
        *,
        algorithm: Algorithm,
        ha1: str,
        username: str,
        encoding: str,
        options: SchemeOptions,
    ) -> None:
        self.challenge = challenge
        self.credential = credential
        self.realm = challenge.realm
        self.algorithm = algorithm
        self._options = options
        self._ha1 = ha1  # H(username ":" realm ":" password); never the password itself
        self._username = username  # as sent: NFC when the challenge announced charset=UTF-8
        self._username_bytes = username.encode(encoding)
        self._lock = threading.Lock()  # guards _sent
        self._nonces = NoncePool(challenge)
        self._sent: OrderedDict[str, _Sent] = OrderedDict()
        # (userhash, algorithm, nonce, opaque) and the text of the credentials around what
        # changes with each request (see _credentials_value)
        self._frame: Optional[
            Tuple[Tuple[bool, Optional[str], str, Optional[str]], Optional[Tuple[str, str, str]]]
        ] = None
        # The username parameter depends only on the name, the realm and userhash: made once.
        self._username_param = self._make_username_param(userhash=False)
        self._hashed_username_param = self._make_username_param(userhash=True)

    def __repr__(self) -> str:
        return (
            f"DigestScheme(realm={self.realm!r}, algorithm={self.algorithm.name!r}, "
            f"qop={self._preferred_qop(self._nonces.state.qops)!r}, "
            f"user={self.credential.username!r})"
        )

    # -- class side ----------------------------------------------------------------------------

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        """A Digest challenge with realm, nonce, a known algorithm and a usable qop.

        Without ``qop`` (RFC 2069) only when ``options.allow_legacy_digest``,
        and never with a ``-sess`` algorithm (which needs a client nonce, only
        sent with a qop).
        """
        if challenge.scheme.lower() != cls.scheme:
            return False
        if challenge.realm is None or not challenge.get("nonce"):
            return False
        if not all(_quotable(challenge.get(name)) for name in ("realm", "nonce", "opaque")):
            return False  # beyond U+00FF: cannot be echoed in a quoted-string
        algorithm = algorithm_of(challenge)
        if algorithm is None:
            return False
        qops = qops_of(challenge)
        if qops is None:
            return options.allow_legacy_digest and not algorithm.sess
        return bool(qops & _QOPS)

    @classmethod
    def rank(cls, challenge: Challenge) -> int:
        """SHA-512-256 > SHA-256 > MD5, each ``-sess`` just below its base; no qop last."""
        algorithm = algorithm_of(challenge)
        if algorithm is None:
            return -1
        return algorithm.rank + (0 if qops_of(challenge) is None else 1)

    @classmethod
    def grade(cls, challenge: Challenge) -> int:
        """SHA-512-256 300 > SHA-256 200 > MD5 100, ``-sess`` equal to its base; 50 less
        without ``qop`` (RFC 2069: no client nonce, no count); 0 for an unknown algorithm."""
        algorithm = algorithm_of(challenge)
        if algorithm is None:
            return 0
        return algorithm.grade - (50 if qops_of(challenge) is None else 0)

    @classmethod
    def label_for(cls, challenge: Challenge) -> str:
        """``"Digest SHA-256"``: the scheme and the algorithm."""
        algorithm = algorithm_of(challenge)
        return "Digest" if algorithm is None else f"Digest {algorithm.name}"

    @classmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> DigestScheme:
        """Resolve the password once and keep only ``H(username ":" realm ":" password)``.

        Raises :class:`UnsupportedChallengeError` for a challenge
        :meth:`supports` refuses or a name/password the encoding cannot carry,
        :class:`~.base.PasswordDeclinedError` when the password callback gives up.
        """
        algorithm = algorithm_of(challenge)
        if algorithm is None or not cls.supports(challenge, options):
            raise UnsupportedChallengeError(f"cannot answer this Digest challenge: {challenge!r}")
        realm = challenge.realm or ""
        password = resolve_password(credential, url, realm, attempt)
        username = credential.username
        encoding = credential.encoding or "utf-8"
        charset = (challenge.get("charset") or "").strip().lower()
        if not credential.encoding and charset in ("utf-8", "utf8"):
            # RFC 7616 section 4: with charset=UTF-8 the server expects NFC (RFC 7613 profiles)
            username = unicodedata.normalize("NFC", username)
            if isinstance(password, str):
                password = unicodedata.normalize("NFC", password)
        try:
            username_bytes = username.encode(encoding)
        except (UnicodeError, LookupError):
            raise UnsupportedChallengeError(
                f"Digest: cannot encode the user name {username!r} as {encoding}"
            ) from None
        password_bytes = _password_bytes(password, encoding)
        ha1 = algorithm.hash(username_bytes + b":" + _wire(realm) + b":" + password_bytes)
        return cls(
            challenge,
            credential,
            algorithm=algorithm,
            ha1=ha1,
            username=username,
            encoding=encoding,
            options=options,
        )

    # -- per request ---------------------------------------------------------------------------

    @property
    def requires_body(self) -> bool:
        """True when ``auth-int`` is the qop this authenticator prefers (RFC 7616 section 3.4.3)."""
        return self._preferred_qop(self._nonces.state.qops) == "auth-int"

    def hash_factory(self) -> HashFactory:
        """The hash constructor of the algorithm, e.g. for ``ReplayableBody.hash``."""
        return self.algorithm.factory

    def authorize(self, request: AuthRequest) -> str:
        """``Digest username=..., response=...`` for this request (RFC 7616 section 3.4).

        Takes the next nonce count atomically; hashes the exact body for
        ``auth-int`` (may raise :class:`~requests_dav.auth.errors.BodyNotReplayableError`
        when only ``auth-int`` is offered and the body is over its replay limit).
        With strict counts and every nonce in use, the newest nonce is shared
        (:meth:`try_authorize` returns ``None`` instead).
        """
        value = self._authorize(request, exclusive=False)
        assert value is not None
        return value

    def try_authorize(self, request: AuthRequest) -> Optional[str]:
        """:meth:`authorize`; ``None`` when the space checks counts and no nonce is free."""
        return self._authorize(request, exclusive=True)

    def _authorize(self, request: AuthRequest, *, exclusive: bool) -> Optional[str]:
        body = request.body
        sess_nonce = self.algorithm.sess
        at_once = self._nonces.checkout_and_take(
            request,
            sess=sess_nonce,
            hashes_body=lambda qops: self._qop_for(qops, body) == "auth-int",
        )
        if at_once is not None:
            # shared mode and nothing to hash between the checkout and the count: one step
            state, taken = at_once
            qop = self._qop_for(state.qops, body)
            body_hash: Optional[str] = None
        else:
            checked_out = self._nonces.checkout(request, exclusive=exclusive)
            if checked_out is None:
                return None
            state = checked_out
            qop = self._qop_for(state.qops, body)
            body_hash = None
            if qop == "auth-int":
                if body is None:
                    body_hash = self.algorithm.hash(b"")
                else:
                    body_hash = body.hash(self.algorithm.factory)
            taken = self._nonces.take(request, state, sess=sess_nonce)
        nc, nonce, opaque, userhash, algorithm_token, cnonce = taken
        uri = request.target
        sess = qop is not None and self.algorithm.sess
        ha1 = self._session_key(nonce, cnonce) if sess else self._ha1
        ha2 = self._ha2(request.method, uri, body_hash)
        response = self._digest(ha1, nonce, nc, cnonce, qop, ha2)

        value = self._credentials_value(
            userhash, algorithm_token, nonce, opaque, uri, nc, cnonce, qop, response
        )
        with self._lock:
            self._sent[value] = _Sent(nonce, nc, cnonce, qop, uri, ha1)
            while len(self._sent) > SENT_RECORDS_MAX:
                self._sent.popitem(last=False)
        return value

    def _credentials_value(
        self,
        userhash: bool,
        algorithm_token: Optional[str],
        nonce: str,
        opaque: Optional[str],
        uri: str,
        nc: int,
        cnonce: str,
        qop: Optional[str],
        response: str,
    ) -> str:
        """``format_auth_params`` of :func:`.digest_value.credential_params`, the same text,
        written around a frame made once per nonce (:mod:`.digest_value`)."""
        username = self._hashed_username_param if userhash else self._username_param
        realm = self.realm or ""
        key = (userhash, algorithm_token, nonce, opaque)
        frame = self._frame
        if frame is None or frame[0] != key:
            made = make_frame(username, realm, userhash, algorithm_token, nonce, opaque)
            frame = self._frame = (key, made)
        return credentials_value(frame[1], username, realm, *key, uri, nc, cnonce, qop, response)

    # -- answers -------------------------------------------------------------------------------

    def on_challenge(self, challenge: Challenge) -> bool:
        """Decide whether a new challenge is worth a retry with the same password.

        True (nonce adopted, count reset) when the realm and algorithm are
        unchanged, the nonce is one never used before, and either the
        challenge says ``stale=true`` (RFC 7616 section 3.3) or the nonce
        count in use was above 1, so the request may have been refused for an
        out-of-order count (Apache's ``AuthDigestNcCheck`` answers that with a
        plain 401 and a fresh nonce). Each nonce is retried at most once.
        False otherwise: the credentials were refused.
        """
        if not self._answerable(challenge) or not self._nonces.adopt_shared_if_new(challenge):
            return False
        self.challenge = challenge
        return True

    def on_request_challenged(self, challenge: Challenge, request: AuthRequest) -> bool:
        """:meth:`on_challenge` judged by the nonce and count ``request`` itself was sent with.

        A fresh nonce without ``stale`` in answer to a count above 1 shows a
        space that checks counts: from then on nonces are used exclusively (see
        the module docstring), the nonce that went out of step is retired and
        the fresh one belongs to ``request``, unless the server counts it
        together with nonces other requests still use (the same ``opaque``):
        then ``request`` goes without credentials next, to draw one of its own.
        A request sent without credentials takes the fresh nonce as its own. A
        fresh nonce after a count of 1 without ``stale`` means refused.
        """
        if not self._answerable(challenge):
            return False
        if not self._nonces.on_request_challenged(challenge, request):
            return False
        self.challenge = challenge
        return True

    def release(self, request: AuthRequest) -> None:
        """Give back the nonce ``request`` used alone (strict counts) and forget its count."""
        self._nonces.release(request)

    def _answerable(self, challenge: Challenge) -> bool:
        """Same scheme, side, realm and algorithm as this authenticator, and supported."""
        if challenge.scheme.lower() != self.scheme or challenge.is_proxy != self.challenge.is_proxy:
            return False
        algorithm = algorithm_of(challenge)
        if challenge.realm != self.realm or algorithm is None:
            return False
        if algorithm.name != self.algorithm.name:
            return False
        return type(self).supports(challenge, self._options)

    def on_success(
        self,
        response: AuthResponse,
        request: AuthRequest,
        response_body: Optional[bytes] = None,
    ) -> None:
        """Read ``Authentication-Info`` / ``Proxy-Authentication-Info`` (RFC 7616 section 3.5).

        Verifies ``rspauth`` against the values sent with ``request`` (found by
        its ``Authorization`` / ``Proxy-Authorization`` value) and then adopts
        ``nextnonce``. A missing field is fine. An ``auth-int`` ``rspauth`` is
        checked only when ``response_body`` (the exact entity-body octets) is
        given. Raises :class:`MutualAuthenticationError` when the server's
        proof does not match, or ``cnonce`` / ``nc`` differ from those sent.
        """
        proxy = self.challenge.is_proxy
        info_header = "Proxy-Authentication-Info" if proxy else "Authentication-Info"
        lines = response.get_all(info_header)
        if not lines:
            return
        try:
            info = parse_auth_info(lines, info_header)
        except ChallengeParseError as exc:
            raise MutualAuthenticationError(
                f"cannot read the {info_header} header: {exc.reason}"
            ) from None
        sent_value = _header_value(
            request.headers, "Proxy-Authorization" if proxy else "Authorization"
        )
        with self._lock:
            sent = self._sent.pop(sent_value, None) if sent_value is not None else None
        rspauth = info.get("rspauth")
        if sent is not None and rspauth is not None:
            self._verify(info_header, info, rspauth, sent, response_body)
        nextnonce = info.get("nextnonce")
        if nextnonce and _quotable(nextnonce):
            self._nonces.next_nonce(request, nextnonce)

    def space_prefixes(self, url: str) -> List[str]:
        """The ``domain`` URIs that are same-origin as ``url`` (RFC 7616 section 3.3).

        Each is resolved against ``url``; without ``domain`` the whole origin
        ``scheme://host:port/``. When ``domain`` names only other origins, the
        parent directory of ``url`` (it did authenticate there). A proxy's
        space is its whole origin.
        """
        origin = origin_of(url)
        domain = self.challenge.get("domain")
        if self.challenge.is_proxy or domain is None or not domain.split():
            return [origin + "/"]
        prefixes: List[str] = []
        for uri in domain.split():
            resolved = urljoin(url, uri)
            try:
                if origin_of(resolved) != origin:
                    continue
            except ValueError:  # not an http(s) URL with a host: another origin in any case
                continue
            path = urlsplit(resolved).path or "/"
            prefix = origin + path
            if prefix not in prefixes:
                prefixes.append(prefix)
        return prefixes or [basic_space_prefix(url)]

    def space_from_directory(self) -> bool:
        """Yes when every ``domain`` URI is an absolute path or an ``http(s)`` URL: each
        resolves without ``url``'s path, and the fallback is its parent directory. A relative
        reference (``sub/``, ``?q``) resolves against the whole URL."""
        domain = self.challenge.get("domain")
        if self.challenge.is_proxy or domain is None:
            return True
        return all(uri.startswith(_DIRECTORY_FREE) for uri in domain.split())

    # -- internals -----------------------------------------------------------------------------

    @staticmethod
    def _preferred_qop(qops: Optional[FrozenSet[str]]) -> Optional[str]:
        if qops is None:
            return None
        if "auth-int" in qops:
            return "auth-int"
        return "auth" if "auth" in qops else None

    def _qop_for(
        self, qops: Optional[FrozenSet[str]], body: Optional[ReplayableBody]
    ) -> Optional[str]:
        preferred = self._preferred_qop(qops)
        if preferred == "auth-int" and qops is not None and "auth" in qops:
            return "auth-int" if _body_hashable(body) else "auth"
        return preferred

    def _make_username_param(self, *, userhash: bool) -> Tuple[str, str, bool]:
        """The ``username`` (or ``username*``) parameter (RFC 7616 section 3.4.4)."""
        username = self._username
        if userhash:
            hashed = self.algorithm.hash(self._username_bytes + b":" + _wire(self.realm or ""))
            return ("username", hashed, True)
        if _printable_ascii(username):
            return ("username", username, True)
        return ("username*", encode_ext_value(username), False)

    # The hashing helpers below encode the whole colon-joined text at once when it is all
    # ISO-8859-1 (always, but for a wire string beyond U+00FF): then each part's octets are
    # its ISO-8859-1 octets, exactly what encoding part by part with _wire gives (a digest is
    # ASCII hex). Otherwise they encode part by part.

    def _session_key(self, nonce: str, cnonce: str) -> str:
        """H(A1): for ``-sess`` ``H(H(user:realm:pass) ":" nonce ":" cnonce)`` (section 3.4.2)."""
        if not self.algorithm.sess:
            return self._ha1
        try:
            a1 = f"{self._ha1}:{nonce}:{cnonce}".encode("latin-1")
        except UnicodeEncodeError:
            a1 = self._ha1.encode("ascii") + b":" + _wire(nonce) + b":" + _wire(cnonce)
        return self.algorithm.hash(a1)

    def _ha2(self, method: str, uri: str, body_hash: Optional[str]) -> str:
        """H(A2) (RFC 7616 section 3.4.3); ``method`` is empty for rspauth (section 3.5)."""
        text = f"{method}:{uri}" if body_hash is None else f"{method}:{uri}:{body_hash}"
        try:
            a2 = text.encode("latin-1")
        except UnicodeEncodeError:
            a2 = _wire(method) + b":" + _wire(uri)
            if body_hash is not None:
                a2 += b":" + body_hash.encode("ascii")
        return self.algorithm.hash(a2)

    def _digest(
        self, ha1: str, nonce: str, nc: int, cnonce: str, qop: Optional[str], ha2: str
    ) -> str:
        """KD(H(A1), ...) (RFC 7616 section 3.4.1; RFC 2069 form without qop)."""
        data = f"{nonce}:{ha2}" if qop is None else f"{nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}"
        try:
            kd = f"{ha1}:{data}".encode("latin-1")
        except UnicodeEncodeError:
            kd = ha1.encode("ascii") + b":" + _wire(data)
        return self.algorithm.hash(kd)

    def _verify(
        self,
        header: str,
        info: Mapping[str, str],
        rspauth: str,
        sent: _Sent,
        response_body: Optional[bytes],
    ) -> None:
        if "cnonce" in info and info["cnonce"] != sent.cnonce:
            raise MutualAuthenticationError(
                f"{header}: the server's cnonce is not the one this client sent"
            )
        if "nc" in info:
            try:
                echoed = int(info["nc"], 16)
            except ValueError:
                echoed = -1
            if echoed != sent.nc:
                raise MutualAuthenticationError(
                    f"{header}: the server's nc {info['nc']!r} is not the {sent.nc:08x} sent"
                )
        stated = info.get("qop")
        # the qop sent is already stripped and lower-case: the same text needs no normalizing
        qop = sent.qop if stated is None or stated == sent.qop else stated.strip().lower()
        if qop != sent.qop:
            raise MutualAuthenticationError(
                f"{header}: the server answered for qop={qop!r}, the request used {sent.qop!r}"
            )
        body_hash: Optional[str] = None
        if qop == "auth-int":
            if response_body is None:
                return  # cannot verify without the exact response body: documented in on_success
            body_hash = self.algorithm.hash(response_body)
        ha2 = self._ha2("", sent.uri, body_hash)
        expected = self._digest(sent.ha1, sent.nonce, sent.nc, sent.cnonce, qop, ha2)
        if not hmac.compare_digest(expected, rspauth.strip().lower()):
            raise MutualAuthenticationError(
                f"{header}: rspauth does not match: the server did not prove it knows the "
                f"credentials of user {self.credential.username!r}{_realm_text(self.realm)}"
            )


def _realm_text(realm: Optional[str]) -> str:
    return f" in realm {realm!r}" if realm is not None else ""


def _password_bytes(password: object, encoding: str) -> bytes:
    """``password`` as octets; errors name the encoding only, never the password."""
    if isinstance(password, bytes):
        return password
    assert isinstance(password, str)
    failure: Optional[str] = None
    try:
        return password.encode(encoding)
    except LookupError:
        failure = f"unknown encoding {encoding!r}"
    except UnicodeError:
        failure = f"the password has characters {encoding} cannot encode"
    raise UnsupportedChallengeError(f"Digest authentication: {failure}")
