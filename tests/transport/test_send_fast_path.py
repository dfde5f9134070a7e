"""What makes a send into a known protection space cheap gives what the long way gives
(issue 16): the request copy that shares the flow's headers, the remembered URL checks and
request-targets, the store's one-step success record, and header lines read on demand."""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st
from requests import adapters as requests_adapters
from requests.models import PreparedRequest
from servers.hostile import HostileServer
from servers.hostile import send as hostile_send
from urllib3 import HTTPHeaderDict

from requests_dav.auth.challenge import parse_challenges
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.messages import AuthResponse, HeaderLines
from requests_dav.auth.schemes import BasicScheme, DigestScheme
from requests_dav.auth.schemes.base import SchemeOptions
from requests_dav.auth.space_memo import directory_of
from requests_dav.auth.types import Credential, Strength
from requests_dav.transport import fidelity, send_memo
from requests_dav.transport.adapter import AuthAdapter, auth_result
from requests_dav.transport.send_memo import wire_request
from requests_dav.transport.send_state import copy_headers
from requests_dav.transport.wire import auth_response

URL = "http://fast.test/dir/file.txt"
USER, PASSWORD = "alice", "s3cret"


def session_with(credentials: Credentials) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials))
    return session


def prepared(**kwargs: Any) -> PreparedRequest:
    session = requests.Session()
    session.cookies.set("c", "1", domain="fast.test")
    return session.prepare_request(requests.Request("PUT", URL, data=b"x", **kwargs))


# -- wire_request ------------------------------------------------------------------------------


def test_wire_request_is_requests_copy_with_the_given_headers() -> None:
    request = prepared(headers={"X-A": "1"})
    headers = requests.structures.CaseInsensitiveDict({"X-B": "2"})
    wire = wire_request(request, headers)
    expected = request.copy()
    assert type(wire) is PreparedRequest and wire is not request
    assert vars(wire).keys() == vars(expected).keys()  # the fields copy() sets, no more
    assert wire.headers is headers
    for name in ("method", "url", "body", "hooks", "_body_position"):
        assert getattr(wire, name) == getattr(expected, name)
    assert wire._cookies is request._cookies  # shared: only read once the request is prepared
    assert dict(wire._cookies) == dict(expected._cookies) == {"c": "1"}
    assert dict(request.headers)["X-A"] == "1"  # the request itself is left alone


@responses.activate
def test_cookies_of_a_primed_request_and_its_redirect_are_requests_own() -> None:
    """The shared jar changes nothing requests does with cookies: a primed request carries the
    session's cookie, a redirect's Set-Cookie reaches the session and the redirected request,
    and the caller's request jar is left as it was."""
    target = "http://fast.test/dir/moved.txt"
    seen: List[Tuple[Optional[str], Optional[str]]] = []

    def record(status: int, headers: Dict[str, str]) -> Any:
        def callback(request: Any) -> Tuple[int, Dict[str, str], bytes]:
            seen.append((request.headers.get("Cookie"), request.headers.get("Authorization")))
            return status, headers, b""

        return callback

    def first(request: Any) -> Tuple[int, Dict[str, str], bytes]:
        if "Authorization" not in request.headers:
            return 401, {"WWW-Authenticate": 'Basic realm="r"'}, b""
        return record(302, {"Location": target, "Set-Cookie": "r=2; Path=/"})(request)

    responses.add_callback(responses.GET, URL, callback=first)
    responses.add_callback(responses.GET, target, callback=record(200, {}))
    credentials = Credentials()
    credentials.add("http://fast.test/", USER, PASSWORD)
    session = session_with(credentials)
    assert session.get(URL).status_code == 200  # the 401: the space is learned
    session.cookies.clear()
    session.cookies.set("c", "1", domain="fast.test")
    seen.clear()
    request = session.prepare_request(requests.Request("GET", URL))
    jar_before = dict(request._cookies)
    response = session.send(request)  # primed: Basic goes at once
    assert response.status_code == 200 and len(responses.calls) == 5
    assert seen[0][0] == "c=1" and seen[0][1] is not None
    assert seen[1][0] is not None and sorted(seen[1][0].split("; ")) == ["c=1", "r=2"]
    assert seen[1][1] == seen[0][1]  # same origin and space: requests keeps Authorization
    assert session.cookies.get("r") == "2"
    assert dict(request._cookies) == jar_before
    assert response.history[0].request._cookies is request._cookies


def test_wire_request_of_a_subclass_uses_its_copy() -> None:
    class Traced(PreparedRequest):
        copies = 0

        def copy(self) -> PreparedRequest:
            Traced.copies += 1
            return super().copy()

    request = Traced()
    request.prepare(method="GET", url=URL)
    wire = wire_request(request, {"X": "1"})  # type: ignore[arg-type]
    assert Traced.copies == 1
    assert wire.headers == {"X": "1"}


# -- the headers each attempt was sent with ---------------------------------------------------


@responses.activate
def test_every_attempt_keeps_the_headers_it_was_sent_with() -> None:
    challenge = 'Digest realm="r", nonce="n1", qop="auth"'
    stale = 'Digest realm="r", nonce="n2", qop="auth", stale=true'
    responses.add(responses.GET, URL, status=401, headers={"WWW-Authenticate": challenge})
    responses.add(responses.GET, URL, status=401, headers={"WWW-Authenticate": stale})
    responses.add(responses.GET, URL, status=200, body=b"ok")
    credentials = Credentials()
    credentials.add("http://fast.test/", USER, PASSWORD)
    response = session_with(credentials).get(URL)
    assert response.status_code == 200
    sent = [r.request.headers.get("Authorization") for r in [*response.history, response]]
    assert sent[0] is None
    assert sent[1] is not None and 'nonce="n1"' in sent[1]
    assert sent[2] is not None and 'nonce="n2"' in sent[2]
    # what the server saw is what each response says was sent
    assert [c.request.headers.get("Authorization") for c in responses.calls] == sent


@responses.activate
def test_a_417_retry_leaves_the_first_attempts_expect() -> None:
    responses.add(responses.PUT, URL, status=417)
    responses.add(responses.PUT, URL, status=201)
    credentials = Credentials()
    credentials.add("http://fast.test/", USER, PASSWORD)
    response = session_with(credentials).put(URL, data=b"body", headers={"Expect": "100-continue"})
    assert response.status_code == 201
    assert response.history[0].request.headers.get("Expect") == "100-continue"
    assert "Expect" not in response.request.headers


# -- what is remembered per URL and authority ------------------------------------------------------


@responses.activate
def test_a_url_that_passed_the_check_is_not_worked_out_for_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    responses.add(responses.GET, URL + "?once", status=200)
    seen: List[str] = []
    real = requests_adapters._urllib3_request_context

    def counted(request: Any, *args: Any) -> Any:
        seen.append(request.url)
        return real(request, *args)

    monkeypatch.setattr(requests_adapters, "_urllib3_request_context", counted)
    monkeypatch.setattr(fidelity, "_CHECKED_AUTHORITIES", {})
    credentials = Credentials()
    credentials.add("http://fast.test/", USER, PASSWORD)
    adapter = AuthAdapter(credentials)
    request = requests.Request("GET", URL + "?once").prepare()
    # responses stands in for HTTPAdapter.send, which works the pool key out itself
    adapter.send(request)
    assert seen == [URL + "?once"]  # the check
    adapter.send(request)
    assert seen == [URL + "?once"]  # the URL passed before: not worked out for the check
    other = requests.Request("GET", "http://fast.test/elsewhere").prepare()
    responses.add(responses.GET, other.url, status=200)
    adapter.send(other)
    assert seen == [URL + "?once"]  # nor another URL of the same scheme and authority
    port = requests.Request("GET", "http://fast.test:8080/").prepare()
    responses.add(responses.GET, port.url, status=200)
    adapter.send(port)
    assert seen == [URL + "?once", port.url]  # another authority is worked out


def _check_outcome(url: str) -> object:
    request = requests.Request("GET", "http://fast.test/").prepare()
    request.url = url  # as a redirect can set it, past prepare()
    try:
        fidelity.check_urls(AuthAdapter(Credentials()), request, None, True, None)
    except requests.exceptions.RequestException as exc:
        return (type(exc), str(exc))
    return None


_AUTHORITIES = st.sampled_from(
    ["h", "H:80", "h:99999", "h:x", "h:", "u:p@h", "[::1]", "[::1", "[v1.x]", "", "é.test", "a b"]
)


@given(
    scheme=st.sampled_from(["http", "HTTPS", "1http"]),
    authority=_AUTHORITIES,
    earlier=_AUTHORITIES,
    first=st.sampled_from(["/", "/a?q", "#f", ""]),
    second=st.sampled_from(["/b", "/a/../c", "?x", "/%zz"]),
)
def test_a_remembered_authority_gives_the_check_a_fresh_one_gives(
    scheme: str, authority: str, earlier: str, first: str, second: str
) -> None:
    """Whatever URLs checked before (of this authority or another) left in the memo, a URL's
    check raises (or passes) exactly as with nothing remembered."""
    url = f"{scheme}://{authority}{second}"
    saved = dict(fidelity._CHECKED_AUTHORITIES)
    try:
        fidelity._CHECKED_AUTHORITIES.clear()
        fresh = _check_outcome(url)
        fidelity._CHECKED_AUTHORITIES.clear()
        _check_outcome(f"{scheme}://{earlier}{first}")
        _check_outcome(f"{scheme}://{authority}{first}")
        assert _check_outcome(url) == fresh
    finally:
        fidelity._CHECKED_AUTHORITIES.clear()
        fidelity._CHECKED_AUTHORITIES.update(saved)


def test_a_url_that_failed_the_check_fails_it_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fidelity, "_CHECKED_AUTHORITIES", {})
    adapter = AuthAdapter(Credentials())
    request = requests.Request("GET", URL).prepare()
    request.url = "http://fast.test:99999/"  # as a redirect can set it, past prepare()
    for _ in range(2):
        with pytest.raises(requests.exceptions.InvalidURL, match="out of range"):
            adapter.send(request)
    assert fidelity._CHECKED_AUTHORITIES == {}


def test_an_adapter_with_a_pool_key_of_its_own_is_always_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A URL that passed with requests' pool key is still refused by an adapter whose own
    pool key refuses it: what passed is remembered for requests' pool key only."""
    monkeypatch.setattr(fidelity, "_CHECKED_AUTHORITIES", {})

    class Strict(AuthAdapter):
        def build_connection_pool_key_attributes(self, request: Any, *args: Any) -> Any:
            raise ValueError("this adapter refuses every URL")

    request = requests.Request("GET", URL).prepare()
    fidelity.check_urls(AuthAdapter(Credentials()), request, None, True, None)
    assert ("http", "fast.test") in fidelity._CHECKED_AUTHORITIES
    with pytest.raises(requests.exceptions.InvalidURL, match="refuses every URL"):
        fidelity.check_urls(Strict(Credentials()), request, None, True, None)


def test_the_urls_checked_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fidelity, "_CHECKED_AUTHORITIES", {})
    adapter = AuthAdapter(Credentials())
    for index in range(fidelity._CHECKED_AUTHORITIES_KEPT * 3):
        request = requests.Request("GET", f"{URL}?n={index}").prepare()
        fidelity.check_urls(adapter, request, None, True, None)
        assert len(fidelity._CHECKED_AUTHORITIES) <= fidelity._CHECKED_AUTHORITIES_KEPT


_PROXY_MAPPINGS = st.sampled_from(
    [
        None,
        {},
        {"http": "http://proxy.test:3128"},
        {"http": "socks5://proxy.test:1080", "https": "http://proxy.test:3128"},
        {"all://fast.test": "http://proxy.test:3128"},
        {"all": "http://proxy.test:3128", "no_proxy": "other.test"},
    ]
)


@given(
    scheme=st.sampled_from(["http", "https"]),
    path=st.text(alphabet="/ab%2F?&=#;", max_size=12),
    userinfo=st.sampled_from(["", "u:p@"]),
    proxies=_PROXY_MAPPINGS,
)
def test_the_remembered_request_target_is_what_requests_computes(
    scheme: str, path: str, userinfo: str, proxies: Optional[Dict[str, str]]
) -> None:
    """Asked twice (worked out, then remembered), the adapter gives requests' own answer for
    every URL shape and proxy mapping: origin-form, absolute-form, SOCKS, ``//`` paths."""
    request = requests.Request("GET", f"{scheme}://{userinfo}fast.test/{path}").prepare()
    expected = requests_adapters.HTTPAdapter().request_url(request, proxies)
    adapter = AuthAdapter(Credentials())
    assert adapter.request_url(request, proxies) == expected
    assert adapter.request_url(request, proxies) == expected


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("requests' request-target was worked out again")


def test_a_request_target_is_remembered_for_its_url_and_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_memo, "_TARGETS", {})
    adapter = AuthAdapter(Credentials())
    request = requests.Request("GET", URL + "?q=1").prepare()
    proxies = {"http": "http://proxy.test:3128"}
    assert adapter.request_url(request, None) == "/dir/file.txt?q=1"
    assert adapter.request_url(request, proxies) == URL + "?q=1"
    monkeypatch.setattr(requests_adapters, "select_proxy", _refuse)
    assert adapter.request_url(request, {}) == "/dir/file.txt?q=1"  # {} selects what None does
    assert adapter.request_url(request, dict(proxies)) == URL + "?q=1"
    with pytest.raises(AssertionError, match="worked out again"):
        adapter.request_url(request, {"http": "http://other-proxy.test:3128"})
    # a new URL with no proxy is its path and query, as requests gives it, without its parses
    assert adapter.request_url(requests.Request("GET", URL).prepare(), None) == "/dir/file.txt"
    with pytest.raises(AssertionError, match="worked out again"):  # requests' own // form
        adapter.request_url(requests.Request("GET", "http://fast.test//x").prepare(), None)


def test_a_request_target_of_requests_own_is_asked_when_it_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A replaced ``HTTPAdapter.request_url``, a request class or a proxy mapping of its own
    can answer differently: they are asked every time."""
    monkeypatch.setattr(send_memo, "_TARGETS", {})
    adapter = AuthAdapter(Credentials())
    request = requests.Request("GET", URL).prepare()
    adapter.request_url(request, None)
    monkeypatch.setattr(
        requests_adapters.HTTPAdapter, "request_url", lambda self, request, proxies: "/replaced"
    )
    assert adapter.request_url(request, None) == "/replaced"
    monkeypatch.undo()

    class OwnPath(PreparedRequest):
        @property
        def path_url(self) -> str:
            return "/own"

    own = OwnPath()
    own.prepare(method="GET", url=URL)
    monkeypatch.setattr(send_memo, "_TARGETS", {})
    assert adapter.request_url(own, None) == "/own"
    assert send_memo._TARGETS == {}

    class Proxies(dict):  # type: ignore[type-arg]
        pass

    assert adapter.request_url(request, Proxies(http="http://proxy.test:3128")) == URL
    assert send_memo._TARGETS == {}


def test_a_mapping_with_a_value_that_cannot_be_a_key_is_worked_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_memo, "_TARGETS", {})
    request = requests.Request("GET", URL).prepare()
    odd = {"ftp": ["not", "a", "proxy"]}
    assert AuthAdapter(Credentials()).request_url(request, odd) == "/dir/file.txt"  # type: ignore[arg-type]
    assert send_memo._TARGETS == {}


def test_the_request_targets_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send_memo, "_TARGETS", {})
    adapter = AuthAdapter(Credentials())
    for index in range(send_memo.TARGETS_KEPT * 3):
        adapter.request_url(requests.Request("GET", f"{URL}?n={index}").prepare(), None)
        assert len(send_memo._TARGETS) <= send_memo.TARGETS_KEPT


def test_a_primed_send_works_its_request_target_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the wire (a loopback server), the adapter's read of the request-target and
    ``HTTPAdapter.send``'s share one answer; the request goes to the target requests gives."""
    monkeypatch.setattr(send_memo, "_TARGETS", {})
    worked_out: List[str] = []
    own = send_memo._origin_form

    def counting(request: PreparedRequest) -> Optional[str]:
        worked_out.append(str(request.url))
        return own(request)

    monkeypatch.setattr(send_memo, "_origin_form", counting)
    with HostileServer() as server:
        server.respond = lambda handler: hostile_send(
            handler,
            200 if handler.headers.get("Authorization") else 401,
            {"WWW-Authenticate": 'Basic realm="r"'},
            b"ok",
        )
        credentials = Credentials()
        credentials.add(server.url, USER, PASSWORD)
        session = session_with(credentials)
        assert session.get(server.url + "a").status_code == 200  # learns the space
        worked_out.clear()
        target = server.url + "b?fresh=1"
        response = session.get(target)
        assert (response.status_code, auth_result(response).rounds) == (200, 1)  # primed
        assert worked_out == [target]
        assert server.requests[-1][1] == "/b?fresh=1"


# -- the store's success record ---------------------------------------------------------------


class Space:
    """An authenticator stand-in: a fixed strength and the prefixes it names."""

    def __init__(
        self, prefixes: List[str], grade: int, credential: Credential, by_directory: bool = False
    ) -> None:
        self.prefixes = prefixes
        self.grade = grade
        self.credential = credential
        self.challenge = object()
        self.by_directory = by_directory

    def space_from_directory(self) -> bool:
        return self.by_directory  # its prefixes resolve against the URL's directory at most

    @property
    def achieved(self) -> Strength:
        return Strength(20, self.grade, f"grade {self.grade}")

    def space_prefixes(self, url: str) -> List[str]:
        return list(self.prefixes)


def _store_state(store: Credentials) -> Tuple[Any, ...]:
    return (
        {o: dict(t) for o, t in store._learned.items()},
        dict(store._learned_proxy),
        {o: dict(t) for o, t in store._floors.items()},
        dict(store._floors_proxy),
    )


_prefix = st.sampled_from(
    ["/", "/a", "/a/", "/a/b/", "b/", "../x", "http://other.test/", "http://fast.test/a/c"]
)


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "/a/b/c.txt",
                    "/a/",
                    "/x",
                    "/a/b/",
                    "/a/b/d?q",
                    "/a/./b/e",
                    "/a/b/../f",
                    "/a/b/..",
                    "/a/%62/g",
                ]
            ),
            st.lists(_prefix, max_size=3),
            st.integers(0, 3),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=5,
    ),
    grant=st.sampled_from(
        ["http://fast.test/", "http://fast.test/a", "http://fast.test/a/b/c.txt", None]
    ),
    pure=st.booleans(),
    by_directory=st.booleans(),
    regrant=st.sampled_from([None, "http://fast.test/a/b", "http://fast.test/x"]),
)
def test_record_success_is_learn_then_raise_floor(
    steps: List[Tuple[str, List[str], int, bool, bool]],
    grant: Optional[str],
    pure: bool,
    by_directory: bool,
    regrant: Optional[str],
) -> None:
    """With ``pure`` the store remembers the space (by URL, and ``by_directory`` by
    directory): still what learn and raise_floor give, also for other files of a directory,
    under a grant of one file, after the grants change (``regrant``) or an authenticator's
    challenge does."""
    one, two = Credentials(), Credentials()
    credential = Credential(USER, PASSWORD)
    if grant is not None:
        for store in (one, two):
            store.add(grant, USER, PASSWORD)
            credential = store.find(grant)  # type: ignore[assignment]
    spaces: Dict[Tuple[Any, ...], Space] = {}
    for round_ in range(2):
        for path, prefixes, grade, learn, proxy in steps:
            space = spaces.setdefault(
                tuple(prefixes), Space(prefixes, grade, credential, by_directory)
            )
            if round_ and grade != space.grade:
                space.grade = grade  # a new challenge: another strength
                space.challenge = object()
            url = "http://fast.test" + path
            one.record_success(url, space, learn=learn, proxy=proxy, pure=pure)  # type: ignore[arg-type]
            if learn:
                two.learn(url, space, proxy=proxy)  # type: ignore[arg-type]
            two.raise_floor(url, space, proxy=proxy)  # type: ignore[arg-type]
            assert _store_state(one) == _store_state(two)
        if regrant is not None:
            for store in (one, two):
                store.add(regrant, USER, PASSWORD)


def test_a_space_outside_the_origin_falls_back_to_each_files_own_directory() -> None:
    """With nothing learnable (the space names another origin), the floor goes on the
    normalised parent of each URL: ``/a/b/..`` is ``/a``, whose parent is ``/``, although
    it is written in ``/a/b/`` like ``/a/b/x``."""
    test_record_success_is_learn_then_raise_floor.hypothesis.inner_test(  # type: ignore[attr-defined]
        steps=[(path, ["http://other.test/"], 0, True, False) for path in ("/a/b/c", "/a/b/..")],
        grant="http://fast.test/",
        pure=True,
        by_directory=True,
        regrant=None,
    )


def _scheme(kind: str, credential: Credential, grade: int) -> Any:
    if kind == "basic":
        challenge = parse_challenges(f'Basic realm="r{grade}"')[0]
        return BasicScheme.create(challenge, credential, url=URL, options=SchemeOptions())
    domain = "" if kind == "digest" else f' domain="{kind.partition(" ")[2]}"'
    algorithm = ["MD5", "SHA-256"][grade % 2]
    challenge = parse_challenges(
        f'Digest realm="r", nonce="n{grade}", qop="auth", algorithm={algorithm}{domain}'
    )
    return DigestScheme.create(challenge[0], credential, url=URL, options=SchemeOptions())


_DIRECTORY_FILES = st.sampled_from(
    [
        "/a/b/c.txt",
        "/a/b/d",
        "/a/b/",
        "/a/b/c.txt?x=/y",
        "/a/./b/e",
        "/a/b/../f",
        "/a/b/..",
        "/a/%62/g",
        "/h#f/",
    ]
)


_KINDS = [
    "basic",
    "digest",
    "digest /a/",
    "digest sub/ /x",
    "digest ?q",
    "digest http://fast.test/a/b/",
]


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(_KINDS),
    steps=st.lists(st.tuples(_DIRECTORY_FILES, st.integers(0, 2)), min_size=1, max_size=6),
    grant=st.sampled_from(
        ["http://fast.test/", "http://fast.test/a/b/c.txt", "http://fast.test/a"]
    ),
)
def test_a_directorys_shared_space_is_what_each_file_would_learn(
    kind: str, steps: List[Tuple[str, int]], grant: str
) -> None:
    """Basic and Digest (every kind of ``domain``) authenticators succeeding at files of a
    directory: the store that shares their worked-out space ends as learn and raise_floor
    leave it, file after file."""
    one, two = Credentials(), Credentials()
    for store in (one, two):
        store.add(grant, USER, PASSWORD)
    credential = one.find(grant)
    assert credential is not None and credential == two.find(grant)
    schemes: Dict[int, Any] = {}
    for path, grade in steps:
        scheme = schemes.setdefault(grade, _scheme(kind, credential, grade))
        url = "http://fast.test" + path
        one.record_success(url, scheme, learn=True, pure=True)
        two.learn(url, scheme)
        two.raise_floor(url, scheme)
        assert _store_state(one) == _store_state(two)


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize(
    "paths", [["/a/b/c.txt", "/a/b/d"], ["/a/b/c.txt?x=/y", "/a/b/d#z/"], ["/a/b/x", "/a/b/.."]]
)
def test_each_kind_of_space_learns_what_each_file_would(kind: str, paths: List[str]) -> None:
    """Two files of one directory, for every kind: the second never gets the first's space
    when its own differs (a ``domain`` of ``?q`` resolves against the whole URL)."""
    shared_space_test = test_a_directorys_shared_space_is_what_each_file_would_learn
    shared_space_test.hypothesis.inner_test(  # type: ignore[attr-defined]
        kind, [(path, 0) for path in paths], "http://fast.test/"
    )


def test_a_directory_is_its_urls_scheme_authority_and_parent_as_written() -> None:
    assert directory_of("http://h/a/b.txt") == "http://h/a/"
    assert directory_of("http://h/a/b?x=/y#f/g") == "http://h/a/"  # query and fragment cut
    assert directory_of("http://h/a/b#x?/y") == "http://h/a/"
    assert directory_of("http://h/a/./b/../") == "http://h/a/./b/../"  # as written
    assert directory_of("http://h") is None  # no path
    assert directory_of("http://h?x/y") is None
    assert directory_of("http://h/a b/c") is None  # parsers drop or strip what is not plain
    assert directory_of("http://h/a\tb/c") is None
    assert directory_of("h/a/b") is None  # not absolute


# -- header lines read on demand --------------------------------------------------------------

_name = st.sampled_from(["WWW-Authenticate", "www-authenticate", "Authentication-Info", "X"])


@given(st.lists(st.tuples(_name, st.text(max_size=5)), max_size=6), _name)
def test_header_lines_give_what_the_copied_lines_give(
    lines: List[Tuple[str, str]], asked: str
) -> None:
    raw = HTTPHeaderDict()
    for name, value in lines:
        raw.add(name, value)
    lazy = AuthResponse(401, HeaderLines(raw.items, raw.getlist))
    copied = AuthResponse(401, list(raw.items()))
    assert lazy.get_all(asked) == copied.get_all(asked)
    assert lazy.get(asked) == copied.get(asked)
    assert list(lazy.headers) == list(copied.headers)
    assert lazy == copied
    assert repr(lazy) == repr(copied)


def test_a_success_reads_no_header_line() -> None:
    raw = HTTPHeaderDict({"WWW-Authenticate": "Basic"})
    read: List[int] = []

    def items() -> Any:
        read.append(1)
        return raw.items()

    lines = HeaderLines(items, raw.getlist)
    assert lines.values("www-authenticate") == ["Basic"]
    assert read == []  # one field asked for: the lines were not copied
    assert len(lines) == 1 and read == [1]
    assert copy.copy(lines) == [("WWW-Authenticate", "Basic")]


def test_auth_response_reads_urllib3_headers_on_demand() -> None:
    response = requests.Response()
    response.status_code = 200

    class Raw:
        headers = HTTPHeaderDict()

    Raw.headers.add("Authentication-Info", "a")
    Raw.headers.add("Authentication-Info", "b")
    response.raw = Raw()
    seen = auth_response(response)
    assert isinstance(seen.headers, HeaderLines)
    assert seen.get_all("authentication-info") == ["a", "b"]


@responses.activate
def test_without_credentials_a_fix_never_changes_the_callers_request() -> None:
    responses.add(responses.PUT, URL, status=417)
    responses.add(responses.PUT, URL, status=201)
    session = session_with(Credentials())
    request = session.prepare_request(
        requests.Request("PUT", URL, data=iter([b"a", b"b"]), headers={"Expect": "100-continue"})
    )
    before = dict(request.headers)
    response = session.send(request)
    assert response.status_code == 201
    assert dict(request.headers) == before  # the caller's request keeps its headers
    first = response.history[0].request
    assert first is not request and dict(first.headers) == before  # sent as it was
    assert response.request is not request
    assert "Expect" not in response.request.headers
    assert [c.request.headers.get("Expect") for c in responses.calls] == ["100-continue", None]


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "a", "Content-Length", "X-Y", "x-y"]), st.text(max_size=3)),
        max_size=6,
    )
)
def test_copy_headers_is_a_case_insensitive_dict_of_them(pairs: List[Tuple[str, str]]) -> None:
    original = requests.structures.CaseInsensitiveDict()
    for name, value in pairs:
        original[name] = value
    copied = copy_headers(original)
    expected = requests.structures.CaseInsensitiveDict(original)
    assert type(copied) is type(expected)
    assert vars(copied).keys() == vars(expected).keys()
    assert type(copied._store) is type(expected._store)
    assert list(copied.items()) == list(expected.items())
    assert list(copied.lower_items()) == list(expected.lower_items())
    copied["New"] = "1"
    assert "New" not in original  # a copy, not a view
    assert copy_headers({"K": "v"}) == requests.structures.CaseInsensitiveDict({"K": "v"})
