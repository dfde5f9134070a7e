"""The shortcuts of the primed preemptive path give exactly what the general paths give (issue 16).

* :meth:`Credentials.preemptive` answers ``(authenticator_for(url), floor_for(url))`` from a
  memo kept while the learned spaces and floors stay the same; it is compared with the two
  lookups after every step of generated sequences of adds, learns, successes, floors,
  discards, forgets and clears (RFC 7235 section 2.2, the no-downgrade floor).
* :meth:`Credentials.knows` remembers a URL it found while no credential or learned space
  was added or dropped; compared with the tables after every step too.
* :meth:`Credentials.record_success` returns at once when the same success was recorded and
  nothing changed since; the tables are compared with a store that is told the same through
  :meth:`Credentials.learn` and :meth:`Credentials.raise_floor`.
* Digest's ``Authorization`` value is written around a frame made once per nonce; it is
  compared with :func:`format_auth_params` of the same parameters on hostile values
  (quotes, backslashes, control characters, text beyond U+00FF, empty), errors included
  (RFC 7616 section 3.4).
* :meth:`NoncePool.checkout_and_take` is :meth:`NoncePool.checkout` then
  :meth:`NoncePool.take` in one step (RFC 7616 section 3.4, ``nc``): two pools driven
  through the same generated requests, answers and releases, one each way, end up alike.
"""

from __future__ import annotations

import gc
from typing import Any, Dict, List, Optional, Tuple

from hypothesis import given, settings
from hypothesis import strategies as st

from requests_dav.auth.challenge import Challenge, format_auth_params
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.messages import AuthRequest
from requests_dav.auth.schemes.base import SchemeOptions
from requests_dav.auth.schemes.basic import BasicScheme
from requests_dav.auth.schemes.digest import DigestScheme
from requests_dav.auth.schemes.digest_nonces import NoncePool
from requests_dav.auth.schemes.digest_value import credential_params
from requests_dav.auth.types import Credential
from requests_dav.auth.urls import split_url

USER, PASSWORD = "alice", "s3cret"
ORIGIN = "http://fast.test"

# -- the store -----------------------------------------------------------------------------


def _authenticator(kind: str, domain: Optional[str], algorithm: str) -> Any:
    credential = Credential(USER, PASSWORD)
    if kind == "basic":
        return BasicScheme.create(
            Challenge("basic", {"realm": "r"}),
            credential,
            url=ORIGIN + "/",
            options=SchemeOptions(),
        )
    params = {"realm": "r", "nonce": "n1", "qop": "auth", "algorithm": algorithm}
    if domain is not None:
        params["domain"] = domain
    return DigestScheme.create(
        Challenge("digest", params), credential, url=ORIGIN + "/", options=SchemeOptions()
    )


_PATHS = st.sampled_from(["/", "/a", "/a/", "/a/b/c.txt", "/a/bc", "/x/y", "/a/b/"])
_STEP = st.one_of(
    st.tuples(st.just("add"), _PATHS, st.booleans()),
    st.tuples(st.just("success"), _PATHS, st.integers(0, 3), st.booleans()),
    st.tuples(st.just("learn"), _PATHS, st.integers(0, 3), st.booleans()),
    st.tuples(st.just("floor"), _PATHS, st.integers(0, 3), st.booleans()),
    st.tuples(st.just("discard"), st.integers(0, 3)),
    st.tuples(st.just("forget"), _PATHS, st.booleans()),
    st.tuples(
        st.just("clear"),
    ),
    st.tuples(st.just("challenge"), st.integers(0, 3)),
)


def _lookups(store: Credentials, urls: List[str]) -> List[Tuple[Any, Any]]:
    return [
        (store.authenticator_for(url, proxy=proxy), store.floor_for(url, proxy=proxy))
        for url in urls
        for proxy in (False, True)
    ]


def _knows(store: Credentials, url: str) -> bool:
    """What :meth:`Credentials.knows` finds in the tables, worked out afresh."""
    origin, _ = split_url(url)
    return bool(store._origin.get(origin) or store._learned.get(origin))


def _tables(store: Credentials) -> Tuple[Any, ...]:
    return (
        {o: dict(t) for o, t in store._learned.items()},
        dict(store._learned_proxy),
        {o: dict(t) for o, t in store._floors.items()},
        dict(store._floors_proxy),
    )


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(_STEP, min_size=1, max_size=14))
def test_preemptive_and_record_success_follow_every_change_of_the_store(
    steps: List[Tuple[Any, ...]],
) -> None:
    fast, reference = Credentials(), Credentials()
    authenticators = [
        _authenticator("basic", None, "MD5"),
        _authenticator("digest", None, "MD5"),
        _authenticator("digest", "/a/ /x/", "SHA-256"),
        _authenticator("digest", "http://other.test/ /a/b/", "SHA-512-256"),
    ]
    urls = [ORIGIN + path for path in ["/", "/a", "/a/b/c.txt", "/a/bc", "/x/y", "/q"]]
    for store in (fast, reference):
        store.add(ORIGIN + "/", USER, PASSWORD)
    nonce = 1
    for step in steps:
        # read (and so remember) every answer before the step: a stale memo would show after it
        for url in urls:
            fast.knows(url)
            for proxy in (False, True):
                fast.preemptive(url, proxy=proxy)
        kind = step[0]
        if kind == "add":
            for store in (fast, reference):
                store.add(ORIGIN + step[1], USER, PASSWORD if step[2] else "other")
        elif kind == "success":
            auth = authenticators[step[2]]
            url, proxy = ORIGIN + step[1], step[3]
            for _ in range(2):  # the second is the same success again: the quick return
                fast.record_success(url, auth, learn=True, proxy=proxy, pure=True)
            reference.learn(url, auth, proxy=proxy)
            reference.raise_floor(url, auth, proxy=proxy)
        elif kind in ("learn", "floor"):
            auth = authenticators[step[2]]
            for store in (fast, reference):
                if kind == "learn":
                    store.learn(ORIGIN + step[1], auth, proxy=step[3])
                else:
                    store.raise_floor(ORIGIN + step[1], auth, proxy=step[3])
        elif kind == "discard":
            for store in (fast, reference):
                store.discard(authenticators[step[1]])
        elif kind == "forget":
            for store in (fast, reference):
                store.forget(ORIGIN + step[1], proxy=step[2])
        elif kind == "clear":
            for store in (fast, reference):
                store.clear()
        else:  # a new challenge: another nonce, the same strength
            auth = authenticators[step[1]]
            if isinstance(auth, DigestScheme):
                nonce += 1
                auth.challenge = Challenge(
                    "digest", {**auth.challenge.params, "nonce": f"n{nonce}"}
                )
        assert _tables(fast) == _tables(reference)
        expected = _lookups(fast, urls)
        assert [fast.preemptive(url, proxy=p) for url in urls for p in (False, True)] == expected
        assert _lookups(reference, urls) == expected
        assert [fast.knows(url) for url in urls] == [_knows(fast, url) for url in urls]


def test_preemptive_of_a_url_without_a_protection_space() -> None:
    store = Credentials()
    assert store.preemptive("ftp://h/x") == (None, None)
    try:
        store.preemptive("/relative")
    except ValueError:
        pass
    else:  # pragma: no cover - the general lookups raise too
        raise AssertionError("a relative URL names no origin")


def test_a_repeated_success_writes_nothing_and_the_lookup_stays_remembered() -> None:
    store = Credentials()
    store.add(ORIGIN + "/", USER, PASSWORD)
    auth = _authenticator("basic", None, "MD5")
    url = ORIGIN + "/a/b.txt"
    store.record_success(url, auth, learn=True, pure=True)
    version = store._version
    answer = store.preemptive(url)
    for _ in range(3):
        store.record_success(url, auth, learn=True, pure=True)
        assert store.preemptive(url) == answer
    assert store._version == version
    assert answer == (auth, auth.achieved)


# -- Digest's Authorization value ----------------------------------------------------------

_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=10) | st.sampled_from(
    ['a"b', "a\\b", "", "x y", "\r\n", "\u00e9", "\u20ac", "a,b", "t" * 3000]
)


@settings(max_examples=500, deadline=None)
@given(
    user=_TEXT.filter(lambda text: bool(text) and ":" not in text),
    realm=_TEXT,
    nonce=_TEXT,
    opaque=st.none() | _TEXT,
    algorithm=st.none() | _TEXT,
    uri=_TEXT,
    cnonce=_TEXT,
    response=_TEXT,
    qop=st.sampled_from([None, "auth", "auth-int"]),
    userhash=st.booleans(),
    nc=st.integers(1, 2**32 - 1),
)
def test_digest_value_is_what_format_auth_params_writes(
    user: str,
    realm: str,
    nonce: str,
    opaque: Optional[str],
    algorithm: Optional[str],
    uri: str,
    cnonce: str,
    response: str,
    qop: Optional[str],
    userhash: bool,
    nc: int,
) -> None:
    challenge = Challenge("digest", {"realm": "r", "nonce": "n", "qop": "auth"})
    digest = DigestScheme.create(
        challenge, Credential(user, PASSWORD), url=ORIGIN + "/", options=SchemeOptions()
    )
    digest.realm = realm
    digest._username_param = digest._make_username_param(userhash=False)
    digest._hashed_username_param = digest._make_username_param(userhash=True)
    args = (userhash, algorithm, nonce, opaque, uri, nc, cnonce, qop, response)
    expected: Any
    try:
        username = digest._hashed_username_param if userhash else digest._username_param
        params = credential_params(username, realm, *args)
        expected = format_auth_params("Digest", params)
    except ValueError as exc:
        expected = ("error", str(exc))
    for _ in range(2):  # the frame made, then used again
        got: Any
        try:
            got = digest._credentials_value(*args)
        except ValueError as exc:
            got = ("error", str(exc))
        assert got == expected


# -- the nonce pool ------------------------------------------------------------------------

_POOL_STEP = st.one_of(
    st.tuples(st.just("authorize"), st.integers(0, 5)),
    st.tuples(st.just("release"), st.integers(0, 5)),
    st.tuples(st.just("challenged"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("nextnonce"), st.integers(0, 5)),
)


def _pool_view(pool: NoncePool, requests: List[AuthRequest]) -> Tuple[Any, ...]:
    def state_view(state: Any) -> Tuple[Any, ...]:
        return (state.nonce, state.count, state.retired, state.opaque)

    index = {id(request): n for n, request in enumerate(requests)}
    return (
        pool.exclusive,
        pool._peak,
        pool._spent,
        state_view(pool.state),
        [state_view(state) for state in pool._pool],
        [
            (index.get(key), lease.nc, lease.fresh, state_view(lease.state))
            for key, lease in pool._leases.items()
        ],
        sorted(index[key] for key in list(pool._in_flight)),
    )


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(_POOL_STEP, min_size=1, max_size=25), hashes=st.booleans())
def test_checkout_and_take_is_checkout_then_take(
    steps: List[Tuple[Any, ...]], hashes: bool
) -> None:
    challenge = Challenge("digest", {"realm": "r", "nonce": "n0", "qop": "auth", "opaque": "o"})
    one, two = NoncePool(challenge), NoncePool(challenge)
    requests: Dict[int, List[AuthRequest]] = {
        id(pool): [
            AuthRequest(method="GET", url=ORIGIN + "/", headers={}, target="/") for _ in range(6)
        ]
        for pool in (one, two)
    }
    for fresh, step in enumerate(steps):
        taken: List[Any] = []
        for pool, at_once in ((one, True), (two, False)):
            request = requests[id(pool)][step[1]]
            if step[0] == "authorize":
                both = (
                    pool.checkout_and_take(request, sess=True, hashes_body=lambda qops: hashes)
                    if at_once
                    else None
                )
                if both is None:
                    state = pool.checkout(request, exclusive=True)
                    both = (state, pool.take(request, state, sess=True)) if state else None
                taken.append(None if both is None else (both[0].nonce, both[1].nc, both[1].nonce))
            elif step[0] == "release":
                pool.release(request)
            elif step[0] == "challenged":
                new = Challenge(
                    "digest",
                    {
                        "realm": "r",
                        "nonce": f"c{fresh}",
                        "qop": "auth",
                        "opaque": "o",
                        **({"stale": "true"} if step[2] else {}),
                    },
                )
                taken.append(pool.on_request_challenged(new, request))
            else:
                pool.next_nonce(request, f"x{fresh}")
        if taken:
            assert taken[0] == taken[1]
        assert _pool_view(one, requests[id(one)]) == _pool_view(two, requests[id(two)])


def test_a_request_never_released_leaves_the_pool_when_it_is_collected() -> None:
    """Requests in flight are held weakly (a driver that never releases leaks nothing), and
    the count of requests in flight, the exclusive mode's budget, follows."""
    pool = NoncePool(Challenge("digest", {"realm": "r", "nonce": "n0", "qop": "auth"}))
    kept = AuthRequest(method="GET", url=ORIGIN + "/", headers={}, target="/")
    dropped = AuthRequest(method="GET", url=ORIGIN + "/", headers={}, target="/")
    assert pool.checkout_and_take(kept, sess=False, hashes_body=lambda qops: False) is not None
    state = pool.checkout(dropped, exclusive=True)
    assert state is not None
    pool.take(dropped, state, sess=False)
    assert pool._peak == 2 and len(pool._in_flight) == 2
    del dropped, state
    gc.collect()
    assert list(pool._in_flight) == [id(kept)]
    pool.release(kept)
    assert not pool._in_flight and pool._peak == 2
