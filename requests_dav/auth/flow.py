"""The authentication negotiation: one flow, driven by the adapter and by ``auth=``.

Implements the client side of RFC 7235: section 2.1 (a 401/407 carries the
challenges; several schemes may be offered, the client picks one), section
3.1 and 3.2 (origin vs proxy: ``WWW-Authenticate``/``Authorization`` vs
``Proxy-Authenticate``/``Proxy-Authorization``), section 2.2 (protection
spaces: credentials learned for one space authorize later requests in it
without a challenge), and PEP 268's body buffering (a request is re-sent
with the same bytes, or not at all).

The flow is a generator in the manner of httpx's auth flows: it yields the
request to send, receives the response with ``send()``, and either yields
an authorized retry or returns a :class:`FlowResult`. Rules:

* the strongest offered scheme that has credentials is tried first; if it is
  refused the next one is tried;
* no downgrade: a challenge weaker (:meth:`Authenticator.strength_for`: scheme,
  then Digest algorithm) than what already succeeded in the space (the store's
  floor, :meth:`Credentials.floor_for`, which survives a refusal) is not
  answered: the flow ends with outcome ``"downgrade-refused"`` until the space
  is forgotten or ``SchemeOptions(allow_downgrade=True)`` is set, and even then
  a scheme that sends the password (Basic) never goes over plain ``http`` to a
  space where a stronger one succeeded;
* at most one retry per challenge that brings new information (Digest
  ``stale=true``, a fresh nonce); a challenge repeated after credentials were
  sent ends the flow and the caller gets that response, whose body is the
  server's diagnostic (draft-ietf-httpbis-p7-auth section 2.1);
* origin (401) and proxy (407) challenges are answered in the same flow;
* a body that cannot be replayed ends the flow with outcome
  ``"not-replayable"``; the credentials are still learned so that the
  caller's next attempt is authorized preemptively.

Requests into one protection space from many threads share one challenge:
while the first request to an origin whose credentials are known is in
flight, the others wait for it (bounded by ``single_flight_timeout``) and then
go out authorized preemptively.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Dict, Generator, List, MutableMapping, Optional, Set, Tuple, Type

from .challenge import Challenge, parse_challenges_lenient
from .credentials import Credentials
from .errors import BodyNotReplayableError, ChallengeParseError, UnsupportedChallengeError
from .messages import AuthRequest, AuthResponse
from .outcome import FlowResult as FlowResult  # where callers have imported it from
from .outcome import realm_text
from .primed import PURE_SPACES, PrimedRequest
from .schemes import SchemeRegistry
from .schemes.base import Authenticator, SchemeOptions
from .types import Strength
from .urls import Origin

__all__ = ["MAX_HANDSHAKE_RESTARTS", "Negotiator"]

#: How often a driver starts a connection-bound handshake again, on a fresh connection, after the
#: peer closed the connection between two of its legs (outcome ``"connection-lost"``).
MAX_HANDSHAKE_RESTARTS = 1


@dataclass(frozen=True, eq=False)
class _Side:
    """Origin or proxy: which status, which headers (RFC 7235 sections 3.1, 3.2, 4).

    There are two, :data:`ORIGIN` and :data:`PROXY`: compared and hashed by identity (each
    request keys its state by side).
    """

    name: str
    status: int
    challenge_header: str
    credentials_header: str
    info_header: str
    is_proxy: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_proxy", self.status == 407)


ORIGIN = _Side("origin", 401, "WWW-Authenticate", "Authorization", "Authentication-Info")
PROXY = _Side(
    "proxy", 407, "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Authentication-Info"
)


class _SideState:
    """What one flow knows about one side while it negotiates (one per side and request)."""

    __slots__ = (
        "attempt",
        "authenticator",
        "confirmed",
        "connection_bound",
        "floor",
        "refreshed",
        "tried",
        "unsent",
        "url",
        "used",
    )

    def __init__(self, url: str, connection_bound: bool = True) -> None:
        self.url = url
        self.authenticator: Optional[Authenticator] = None
        # the strongest answer that already succeeded in the space
        self.floor: Optional[Strength] = None
        self.used: List[Authenticator] = []  # released when the flow ends
        self.unsent = False  # the last request went without credentials (no free Digest nonce)
        self.tried: Set[Tuple[str, Optional[str]]] = set()
        self.attempt = 1
        self.refreshed = 0  # retries granted for new information (stale, new nonce)
        self.confirmed = False  # on_success already ran for the current authenticator
        self.connection_bound = connection_bound  # connection-bound schemes may be chosen


class _Gate:
    """One in-flight negotiation for a (side, origin) key."""

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.done = threading.Event()


class Negotiator:
    """Drives authentication for requests: preemptive credentials, challenges, replay.

    One negotiator is shared by every request of an adapter or ``auth=``
    object; it is thread-safe. ``credentials`` is the protection-space store,
    ``registry`` the schemes to use (strongest first), ``options`` the scheme
    options, ``max_rounds`` the most requests one flow sends, and
    ``max_password_attempts`` how often a callable password is asked again
    after a refusal.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        registry: Optional[SchemeRegistry] = None,
        options: Optional[SchemeOptions] = None,
        max_rounds: int = 6,
        max_password_attempts: int = 3,
        single_flight_timeout: float = 30.0,
    ) -> None:
        if max_rounds < 2:
            raise ValueError("max_rounds must be at least 2 (a request and one retry)")
        self.credentials = credentials
        self.registry = registry if registry is not None else SchemeRegistry.default()
        self.options = options if options is not None else SchemeOptions()
        self.max_rounds = max_rounds
        self.max_password_attempts = max_password_attempts
        self.single_flight_timeout = single_flight_timeout
        self._lock = threading.Lock()
        self._gates: Dict[Tuple[str, Origin], _Gate] = {}
        self._settled: Set[Tuple[str, Origin]] = set()

    def __repr__(self) -> str:
        return f"<Negotiator {self.credentials!r} max_rounds={self.max_rounds}>"

    # -- public flows -----------------------------------------------------------------

    def auth_flow(
        self,
        request: AuthRequest,
        *,
        connection_bound: bool = True,
        proxy_connection_bound: Optional[bool] = None,
        origin: bool = True,
    ) -> Generator[AuthRequest, AuthResponse, FlowResult]:
        """Negotiate origin (401) and, when ``request.proxy`` is set, proxy (407) authentication.

        ``origin=False`` negotiates the proxy only: the request carries the caller's own
        origin authentication, and its 401 goes back to the caller as it is.

        ``connection_bound=False`` leaves out the schemes that authenticate a
        connection (NTLM, Negotiate) toward the origin, for a driver that
        cannot keep one connection to it for a handshake (a forward proxy may
        spread the legs over its own connections to the origin).
        ``proxy_connection_bound`` says the same for the proxy; ``None``
        follows ``connection_bound``.
        """
        sides: List[Tuple[_Side, str, bool]] = (
            [(ORIGIN, request.url, connection_bound)] if origin else []
        )
        if request.proxy:
            proxy_bound = (
                connection_bound if proxy_connection_bound is None else proxy_connection_bound
            )
            sides.append((PROXY, request.proxy, proxy_bound))
        return self._flow(request, sides)

    def connect_flow(
        self,
        proxy_url: str,
        authority: str,
        headers: MutableMapping[str, str],
        *,
        connection_bound: bool = True,
    ) -> Generator[AuthRequest, AuthResponse, FlowResult]:
        """Negotiate proxy authentication for ``CONNECT authority`` (RFC 9110 section 9.3.6).

        The yielded requests carry ``target=authority``, which Digest uses as
        its ``uri``; a 200 ends the flow with ``"ok"`` (or ``"no-challenge"``).
        ``connection_bound`` as for :meth:`auth_flow`.
        """
        request = AuthRequest(
            method="CONNECT", url=proxy_url, headers=headers, target=authority, proxy=proxy_url
        )
        return self._flow(request, [(PROXY, proxy_url, connection_bound)])

    def resume(self, primed: PrimedRequest) -> Generator[AuthRequest, AuthResponse, FlowResult]:
        """The origin flow of a request :func:`~requests_dav.auth.primed.prime` authorized and
        the driver sent, which drew a ``401``: the first value it yields is ``primed.request``
        as it went out; send it that response and go on as with :meth:`auth_flow`."""
        return self._flow(primed.request, [(ORIGIN, primed.request.url, True)], primed)

    # -- the flow -----------------------------------------------------------------------

    def _flow(
        self,
        request: AuthRequest,
        sides: List[Tuple[_Side, str, bool]],
        primed: Optional[PrimedRequest] = None,
    ) -> Generator[AuthRequest, AuthResponse, FlowResult]:
        states: Dict[_Side, _SideState] = {}
        held: List[Tuple[str, Origin]] = []
        errors: List[ChallengeParseError] = []
        try:
            for side, url, connection_bound in sides:
                state = states[side] = _SideState(url=url, connection_bound=connection_bound)
                if primed is None:
                    learned, floor = self._preemptive(side, url, connection_bound)
                else:
                    learned, floor = primed.authenticator, primed.floor
                if learned is None and self._has_credentials(side, url):
                    key = self._key(side, url)
                    if self._enter_gate(key):
                        held.append(key)
                    learned, floor = self._preemptive(side, url, connection_bound)
                state.floor = floor
                if learned is not None:
                    state.authenticator = learned
                    if state.floor is None or state.floor < learned.achieved:
                        state.floor = learned.achieved
            if primed is None:
                self._authorize_all(request, states)
            else:  # authorized and sent already: what _authorize_all would have recorded
                states[ORIGIN].used.append(primed.authenticator)
                states[ORIGIN].unsent = primed.unsent

            rounds = 0
            while True:
                response = yield request
                rounds += 1
                challenged = self._challenged_side(response, states)
                if challenged is None:
                    result = self._finish(request, response, states, rounds, errors)
                    if held:
                        self._settle(held)
                    return result
                side = challenged
                if side is ORIGIN and PROXY in states:
                    self._succeeded(PROXY, states[PROXY], request, response)
                if rounds >= self.max_rounds:
                    return FlowResult(
                        "gave-up",
                        f"stopped after {rounds} requests without authenticating",
                        rounds=rounds,
                        parse_errors=errors,
                    )
                state = states[side]
                challenges, line_errors = parse_challenges_lenient(
                    response.get_all(side.challenge_header), side.challenge_header
                )
                errors.extend(line_errors)
                previous = state.authenticator
                chosen, why = self._next_authenticator(side, state, challenges, request)
                if chosen is None:
                    outcome, detail = why
                    return FlowResult(
                        outcome,
                        detail,
                        scheme=previous.scheme if previous is not None else None,
                        realm=previous.realm if previous is not None else None,
                        rounds=rounds,
                        parse_errors=errors,
                    )
                if request.body is not None:
                    try:
                        request.body.rewind()
                    except BodyNotReplayableError as exc:
                        self._learn(side, state.url, chosen)
                        return FlowResult(
                            "not-replayable",
                            f"{side.name} asked for {chosen.scheme} credentials"
                            f"{realm_text(chosen.realm)} but the body cannot be sent again; "
                            "the credentials are cached, send the request again",
                            body_error=exc,
                            scheme=chosen.scheme,
                            realm=chosen.realm,
                            rounds=rounds,
                            parse_errors=errors,
                        )
                state.authenticator = chosen
                state.confirmed = False
                try:
                    self._authorize_all(request, states)
                except BodyNotReplayableError as exc:
                    return FlowResult(
                        "not-replayable",
                        f"{chosen.scheme} needs the whole body (auth-int) and it is over the "
                        "replay limit",
                        body_error=exc,
                        scheme=chosen.scheme,
                        realm=chosen.realm,
                        rounds=rounds,
                        parse_errors=errors,
                    )
        finally:
            if held:
                self._release(held)
            for state in states.values():
                for used in state.used:
                    used.release(request)

    # -- steps ----------------------------------------------------------------------------

    def _preemptive(
        self, side: _Side, url: str, connection_bound: bool
    ) -> Tuple[Optional[Authenticator], Optional[Strength]]:
        """The learned authenticator of the space, unless its scheme is one this side leaves out
        (a per-request Negotiate is still a connection-bound scheme to a driver that cannot
        pin: it could not finish a handshake the server answers with a further token), and
        the space's no-downgrade floor, read together (:meth:`Credentials.preemptive`)."""
        learned, floor = self.credentials.preemptive(url, proxy=side.is_proxy)
        if learned is not None and learned.connection_bound and not connection_bound:
            return None, floor
        return learned, floor

    def _has_credentials(self, side: _Side, url: str) -> bool:
        return self.credentials.find(url, proxy=side.is_proxy) is not None

    @staticmethod
    def _challenged_side(
        response: AuthResponse, states: Dict[_Side, _SideState]
    ) -> Optional[_Side]:
        if response.status == PROXY.status and PROXY in states:
            return PROXY
        if response.status == ORIGIN.status and ORIGIN in states:
            return ORIGIN
        return None

    def _authorize_all(self, request: AuthRequest, states: Dict[_Side, _SideState]) -> None:
        """Set fresh credentials for every side that has an authenticator (new nc for Digest).

        A connection-bound side that already succeeded in this flow is not
        authorized again (its connection carries the authentication; a new
        token would restart the handshake): its header is removed. The request
        is marked connection-bound (``bound_side``, ``bound_credential``) while
        such an authenticator is in use, the origin's first, and
        ``withhold_body`` when a side's credentials can only draw a challenge.
        """
        request.bound_side = None
        request.bound_credential = None
        request.withhold_body = False
        items = states.items()
        for side, state in items if len(items) == 1 else sorted(items, key=_proxy_last):
            authenticator = state.authenticator
            state.unsent = False
            if authenticator is None:
                continue
            if _bound(authenticator):
                if request.bound_side is None:
                    request.bound_side = side.name
                    request.bound_credential = authenticator.credential
                if state.confirmed:
                    request.headers.pop(side.credentials_header, None)
                    continue
            if authenticator not in state.used:
                state.used.append(authenticator)
            value = authenticator.try_authorize(request)
            if value is None:
                # nothing to send now (every nonce of a count-checking space is in use): the
                # request draws a challenge of its own
                state.unsent = True
                request.headers.pop(side.credentials_header, None)
                continue
            request.headers[side.credentials_header] = value
            if request.body is not None and authenticator.awaits_challenge:
                request.withhold_body = True

    def _next_authenticator(
        self,
        side: _Side,
        state: _SideState,
        challenges: List[Challenge],
        request: AuthRequest,
    ) -> Tuple[Optional[Authenticator], Tuple[str, str]]:
        """Pick what answers this challenge: the same authenticator again, or a new one."""
        previous = state.authenticator
        refused = False
        if previous is not None:
            same = [
                c for c in challenges if c.scheme == previous.scheme and c.realm == previous.realm
            ]
            if same and state.unsent:
                # the request went without credentials: its challenge refuses nothing
                if previous.on_request_challenged(same[0], request):
                    return previous, ("ok", "")
            elif same:
                if state.refreshed < 2 and previous.on_request_challenged(same[0], request):
                    state.refreshed += 1
                    return previous, ("ok", "")
                refused = True
                self.credentials.discard(previous)
                state.tried.add((previous.scheme, previous.realm))
                if previous.credential.interactive and state.attempt < self.max_password_attempts:
                    state.attempt += 1
                    again = self._create(type(previous), same[0], state, previous.realm)
                    if again is not None:
                        return again, ("ok", "")
        candidates = self.registry.candidates(challenges, self.options)
        if not challenges or not candidates:
            if refused:
                return None, self._refusal(side, previous)
            offered = ", ".join(sorted({c.scheme for c in challenges})) or "no parsable challenge"
            return None, ("unsupported", f"{side.name} offered {offered}; no scheme can answer it")
        found_credentials = False
        skipped_bound: Set[str] = set()
        weaker: List[Strength] = []
        for scheme_cls, challenge in candidates:
            if self._below_floor(scheme_cls, challenge, state):
                if (
                    self.credentials.find(state.url, realm=challenge.realm, proxy=side.is_proxy)
                    is not None
                ):
                    weaker.append(scheme_cls.strength_for(challenge))
                continue
            if scheme_cls.connection_bound and not state.connection_bound:
                skipped_bound.add(scheme_cls.scheme)
                continue
            key = (scheme_cls.scheme, challenge.realm)
            if key in state.tried:
                found_credentials = True
                continue
            state.tried.add(key)
            made = self._create(scheme_cls, challenge, state, challenge.realm)
            if made is not None:
                return made, ("ok", "")
            if (
                self.credentials.find(state.url, realm=challenge.realm, proxy=side.is_proxy)
                is not None
            ):
                found_credentials = True
        if weaker and not found_credentials:
            return None, self._downgrade(side, state, weaker)
        if refused or found_credentials:
            return None, self._refusal(side, previous)
        if skipped_bound:
            return None, (
                "unsupported",
                f"{side.name} offered only connection-bound schemes this request cannot use "
                f"({', '.join(sorted(skipped_bound))}: the driver cannot pin a connection)",
            )
        realms = ", ".join(sorted({repr(c.realm) for c in challenges if c.realm is not None}))
        return None, (
            "no-credentials",
            f"no credentials for the {side.name} protection space of {Origin.from_url(state.url)}"
            + (f" (realm {realms})" if realms else ""),
        )

    def _create(
        self,
        scheme_cls: Type[Authenticator],
        challenge: Challenge,
        state: _SideState,
        realm: Optional[str],
    ) -> Optional[Authenticator]:
        credential = self.credentials.find(state.url, realm=realm, proxy=challenge.is_proxy)
        if credential is None:
            return None
        try:
            return scheme_cls.create(
                challenge, credential, url=state.url, options=self.options, attempt=state.attempt
            )
        except UnsupportedChallengeError:
            return None

    def _below_floor(
        self, scheme_cls: Type[Authenticator], challenge: Challenge, state: _SideState
    ) -> bool:
        """Whether answering ``challenge`` would be weaker than what succeeded in the space.

        ``allow_downgrade`` lifts the rule, except for a scheme that sends the password
        itself over plain ``http``.
        """
        floor = state.floor
        if floor is None or not scheme_cls.strength_for(challenge) < floor:
            return False
        if scheme_cls.sends_password and not state.url.lower().startswith("https:"):
            return True
        return not self.options.allow_downgrade

    @staticmethod
    def _downgrade(side: _Side, state: _SideState, weaker: List[Strength]) -> Tuple[str, str]:
        offered = ", ".join(sorted({str(strength) for strength in weaker}))
        return (
            "downgrade-refused",
            f"the {side.name} {Origin.from_url(state.url)} asked for {offered}, weaker than "
            f"{state.floor}, which already succeeded in this protection space; not answered "
            "(a forged or downgraded challenge?). Credentials.forget() or clear() resets the "
            "space; SchemeOptions(allow_downgrade=True) allows it, except for a password in "
            "clear over plain http",
        )

    @staticmethod
    def _refusal(side: _Side, previous: Optional[Authenticator]) -> Tuple[str, str]:
        if previous is None:
            return ("refused", f"the {side.name} refused every scheme this client could offer")
        return (
            "refused",
            f"the {side.name} refused the {previous.scheme} credentials for user "
            f"{previous.credential.username!r}{realm_text(previous.realm)}",
        )

    def _succeeded(
        self, side: _Side, state: _SideState, request: AuthRequest, response: AuthResponse
    ) -> bool:
        authenticator = state.authenticator
        if authenticator is None or state.confirmed:
            return False
        state.confirmed = True
        authenticator.on_success(response, request)
        # _learn, then the floor raised (Credentials.raise_floor), in one call to the store
        self.credentials.record_success(
            state.url,
            authenticator,
            learn=not _bound(authenticator),
            proxy=side.is_proxy,
            pure=type(authenticator) in PURE_SPACES,
        )
        return True

    def _learn(self, side: _Side, url: str, authenticator: Authenticator) -> None:
        """Record ``authenticator`` for its space, unless it is connection-bound.

        A connection-bound authenticator belongs to its connection: learned,
        it would be shared by concurrent flows and restart handshakes on
        authenticated connections. (Its floor is raised all the same.)
        """
        if not _bound(authenticator):
            self.credentials.learn(url, authenticator, proxy=side.is_proxy)

    def _finish(
        self,
        request: AuthRequest,
        response: AuthResponse,
        states: Dict[_Side, _SideState],
        rounds: int,
        errors: List[ChallengeParseError],
    ) -> FlowResult:
        used: Optional[Authenticator] = None
        bound: Optional[Tuple[_Side, Authenticator]] = None
        per_request: List[str] = []
        for side, state in states.items():
            if state.authenticator is None:
                continue
            self._succeeded(side, state, request, response)
            if side is ORIGIN or used is None:
                used = state.authenticator
            if _bound(state.authenticator) and (bound is None or side is ORIGIN):
                bound = (side, state.authenticator)
            elif state.authenticator.connection_bound:
                per_request.append(side.name)
        if used is None:
            return FlowResult("no-challenge", rounds=rounds, parse_errors=errors)
        return FlowResult(
            "ok",
            f"authenticated with {used.scheme}{realm_text(used.realm)}",
            scheme=used.scheme,
            realm=used.realm,
            rounds=rounds,
            parse_errors=errors,
            bound_side=bound[0].name if bound is not None else None,
            credential=bound[1].credential if bound is not None else None,
            per_request_sides=tuple(per_request),
        )

    # -- single flight --------------------------------------------------------------------

    @staticmethod
    def _key(side: _Side, url: str) -> Tuple[str, Origin]:
        return (side.name, Origin.from_url(url))

    def _enter_gate(self, key: Tuple[str, Origin]) -> bool:
        """Become the one negotiating for ``key``, or wait for the one who is.

        Returns True when this flow now holds the gate. A key whose first flow
        completed is settled: nobody waits on it again.
        """
        me = threading.get_ident()
        with self._lock:
            if key in self._settled:
                return False
            gate = self._gates.get(key)
            if gate is None:
                self._gates[key] = _Gate(me)
                return True
            if gate.owner == me:
                return False
        gate.done.wait(self.single_flight_timeout)
        return False

    def _settle(self, held: List[Tuple[str, Origin]]) -> None:
        if not held:
            return
        with self._lock:
            self._settled.update(held)

    def _release(self, held: List[Tuple[str, Origin]]) -> None:
        if not held:
            return
        with self._lock:
            for key in held:
                gate = self._gates.pop(key, None)
                if gate is not None:
                    gate.done.set()
        held.clear()


def _proxy_last(item: Tuple[_Side, _SideState]) -> bool:
    return item[0].is_proxy


def _bound(authenticator: Authenticator) -> bool:
    """The authenticator's authentication belongs to a connection (not to each request).

    The scheme's class flag, unless the instance learned that the server authenticates
    every request (``per_request``: Negotiate with Kerberos and ``Persistent-Auth: false``):
    then it is used like Basic, learned for its space and sent with each request.
    """
    return authenticator.connection_bound and not authenticator.per_request
