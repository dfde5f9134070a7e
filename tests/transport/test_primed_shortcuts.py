"""The per-request shortcuts of issue 16's fourth round give what the general paths give: the
check for the caller's own authentication and the peer memos read without their lock when
empty."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional
from unittest import mock

import requests
from hypothesis import given
from hypothesis import strategies as st
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict

from requests_dav import DigestAuth
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.urls import Origin
from requests_dav.transport import fidelity
from requests_dav.transport.adapter import AuthAdapter

URL = "http://short.test/dir/file.txt"


class OtherAuth(AuthBase):
    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        return r

    def hook(self, r: Any, **kwargs: Any) -> Any:
        return r


class NotAuth:
    def hook(self, r: Any, **kwargs: Any) -> Any:
        return r


class LoudHeaders(CaseInsensitiveDict):  # type: ignore[type-arg]
    """A subclass: the shortcut must leave it to the general path."""

    def __getitem__(self, key: str) -> Any:
        if key.lower() == "authorization":
            raise KeyError(key)
        return super().__getitem__(key)


def _hook(kind: str) -> Any:
    if kind == "function":
        return lambda r, **kwargs: r
    if kind == "digest":
        return HTTPDigestAuth("u", "p").handle_401
    if kind == "other-auth":
        return OtherAuth().hook
    if kind == "not-auth":
        return NotAuth().hook
    return DigestAuth("u", "p").__call__  # requests-dav's own class: a bound method too


_hooks = st.one_of(
    st.none(),
    st.just({}),
    st.builds(
        lambda kinds, extra: {"response": [_hook(k) for k in kinds], **extra},
        st.lists(
            st.sampled_from(["function", "digest", "other-auth", "not-auth", "dav"]), max_size=3
        ),
        st.sampled_from([{}, {"other": [lambda r: r]}]),
    ),
    st.just({"response": None}),
    st.just({"response": ()}),
)
_value = st.sampled_from(["Basic dTpw", "Bearer x", "", "basic dTpw", "Basic Zm9vOmJhcg=="])


@given(
    headers_type=st.sampled_from(["cid", "dict", "loud", "none-cid"]),
    names=st.lists(
        st.sampled_from(["Authorization", "authorization", "AUTHORIZATION", "X-A", "Cookie"]),
        max_size=3,
    ),
    value=_value,
    hooks=_hooks,
    netrc=st.sampled_from([None, ("foo", "bar"), ("u", "p")]),
)
def test_callers_own_auth_is_the_general_check(
    headers_type: str,
    names: List[str],
    value: str,
    hooks: Optional[Dict[str, Any]],
    netrc: Any,
) -> None:
    request = PreparedRequest()
    headers: Any = {"cid": CaseInsensitiveDict, "dict": dict, "loud": LoudHeaders}.get(
        headers_type, CaseInsensitiveDict
    )()
    for name in names:
        headers[name] = value
    request.headers = headers
    request.url = URL
    request.hooks = hooks  # type: ignore[assignment]
    with mock.patch.object(fidelity, "_get_netrc_auth", lambda url: netrc):
        assert _outcome(fidelity.callers_own_auth, request) == _outcome(
            general_callers_own_auth, request
        )


def general_callers_own_auth(request: PreparedRequest) -> bool:
    """The check as it was before its shortcuts (the oracle): any header mapping and hooks."""
    value = request.headers.get("Authorization")
    if value is not None:
        return value != fidelity._netrc_basic(str(request.url))
    hooks = (request.hooks or {}).get("response", ())
    return any(isinstance(getattr(hook, "__self__", None), AuthBase) for hook in hooks)


def _outcome(check: Any, request: PreparedRequest) -> Any:
    """What ``check`` answers, or the class of what it raises."""
    try:
        return check(request)
    except Exception as exc:  # the same error either way, e.g. hooks {"response": None}
        return type(exc)


def test_callers_own_auth_sees_each_kind_of_callers_auth() -> None:
    """The shortcut can fail: each answer is what the general check says, and both kinds."""
    session = requests.Session()
    session.trust_env = False
    plain = session.prepare_request(requests.Request("GET", URL))
    basic = session.prepare_request(requests.Request("GET", URL, auth=HTTPBasicAuth("u", "p")))
    digest = session.prepare_request(requests.Request("GET", URL, auth=HTTPDigestAuth("u", "p")))
    ours = session.prepare_request(requests.Request("GET", URL, auth=DigestAuth("u", "p")))
    answers = [fidelity.callers_own_auth(r) for r in (plain, basic, digest, ours)]
    assert answers == [False, True, True, False]
    assert answers == [general_callers_own_auth(r) for r in (plain, basic, digest, ours)]


# -- the peer memos ---------------------------------------------------------------------------

PEERS = [Origin("http", "a.test", 80), Origin("http", "b.test", 80), Origin("https", "a.test", 443)]


def _locked_http10(adapter: AuthAdapter, peer: Origin) -> bool:
    with adapter._state_lock:
        return peer in adapter._http10_peers


def _locked_refuses(adapter: AuthAdapter, peer: Origin) -> bool:
    with adapter._state_lock:
        return peer in adapter._http10_peers or peer in adapter._no_expect_peers


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["http10", "no-expect", "ask"]), st.sampled_from(PEERS)),
        max_size=8,
    )
)
def test_peer_memos_answer_as_under_the_lock(steps: List[Any]) -> None:
    adapter = AuthAdapter(Credentials())
    for step, peer in steps:
        if step == "http10":
            adapter._remember_http10(peer)
        elif step == "no-expect":
            adapter._remember_no_expect(peer, "test")
        for asked in PEERS:
            assert adapter._is_http10(asked) == _locked_http10(adapter, asked)
            assert adapter._refuses_expect(asked) == _locked_refuses(adapter, asked)


def test_a_peer_remembered_by_another_thread_is_seen_next() -> None:
    adapter = AuthAdapter(Credentials())
    peer = PEERS[0]
    assert not adapter._is_http10(peer) and not adapter._refuses_expect(peer)
    worker = threading.Thread(target=adapter._remember_http10, args=(peer,))
    worker.start()
    worker.join()
    assert adapter._is_http10(peer) and adapter._refuses_expect(peer)
    assert not adapter._is_http10(PEERS[1])
