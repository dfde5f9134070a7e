"""Tests for the credentials store (RFC 7235 section 2.2, RFC 2617 section 1.2, PEP 268)."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_dav.auth.credentials import Credentials
from requests_dav.auth.types import Credential
from requests_dav.auth.urls import Origin, canonical_prefix, normalize_path, path_covers, split_url

SECRET = "s3cr3t-Pa55"


class FakeAuthenticator:
    """Stand-in for schemes.base.Authenticator: only space_prefixes matters to the store."""

    def __init__(self, name: str, prefixes: Optional[List[str]] = None) -> None:
        self.name = name
        self.prefixes = prefixes
        self.calls: List[str] = []
        # held by no entry of the store: the grant is the URL's parent directory
        self.credential = Credential("fake", "pw")

    def space_prefixes(self, url: str) -> List[str]:
        self.calls.append(url)
        if self.prefixes is not None:
            return list(self.prefixes)
        return [url.rsplit("/", 1)[0] + "/"]

    def __repr__(self) -> str:
        return f"FakeAuthenticator({self.name!r})"


def fake(name: str, prefixes: Optional[List[str]] = None) -> Any:
    """A FakeAuthenticator typed as Any: the store takes it where an Authenticator goes."""
    return FakeAuthenticator(name, prefixes)


def user(
    store: Credentials, url: str, *, realm: Optional[str] = None, proxy: bool = False
) -> Optional[str]:
    found = store.find(url, realm=realm, proxy=proxy)
    return None if found is None else found.username


# -- URLs and origins ---------------------------------------------------------------------------


class TestOrigin:
    def test_default_ports_and_case(self) -> None:
        assert Origin.from_url("HTTP://Example.COM/x") == Origin("http", "example.com", 80)
        assert Origin.from_url("https://example.com") == Origin("https", "example.com", 443)
        assert Origin.from_url("https://example.com:8443/") == Origin("https", "example.com", 8443)

    def test_ipv6(self) -> None:
        origin = Origin.from_url("http://[::1]:8080/a")
        assert origin == Origin("http", "::1", 8080)
        assert origin.url == "http://[::1]:8080"
        assert Origin.from_url("http://[2001:DB8::1]/") == Origin("http", "2001:db8::1", 80)

    def test_idna_host(self) -> None:
        assert Origin.from_url("http://bücher.example/").host == "xn--bcher-kva.example"

    def test_idna_2008_as_requests_sends_it(self) -> None:
        """IDNA 2003 would map ß to "ss" (strasse.de); requests connects to xn--strae-oqa.de."""
        requests = pytest.importorskip("requests")
        sent = requests.Request("GET", "https://Straße.de/x").prepare().url
        assert sent == "https://xn--strae-oqa.de/x"
        store = Credentials()
        store.add("https://straße.de/", "u", "p")
        assert Origin.from_url("https://STRASSE.de/") != Origin.from_url("https://straße.de/")
        found = store.find(sent)
        assert found is not None and found.username == "u"

    @pytest.mark.parametrize(
        "url", ["/relative/path", "example.com/x", "ftp://example.com/", "http:///nohost"]
    )
    def test_bad_urls(self, url: str) -> None:
        with pytest.raises(ValueError):
            Origin.from_url(url)

    def test_bad_port(self) -> None:
        with pytest.raises(ValueError):
            Origin.from_url("http://example.com:99999/")


class TestPaths:
    @pytest.mark.parametrize(
        ("raw", "normal"),
        [
            ("", "/"),
            ("/a/./b/../c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/%7euser/%2f", "/~user/%2F"),
            ("/ü", "/%C3%BC"),
            ("/a b", "/a%20b"),
            ("/..", "/"),
        ],
    )
    def test_normalize(self, raw: str, normal: str) -> None:
        assert normalize_path(raw) == normal

    def test_prefix_segment_boundaries(self) -> None:
        foo = canonical_prefix("/foo")
        assert path_covers(foo, "/foo")
        assert path_covers(foo, "/foo/")
        assert path_covers(foo, "/foo/x")
        assert not path_covers(foo, "/foobar")
        assert not path_covers(foo, "/fo")
        slash = canonical_prefix("/foo/")
        assert slash == foo  # "/foo/" also covers "/foo" by convention
        assert path_covers(slash, "/foo")
        assert path_covers(canonical_prefix("/"), "/anything/at/all")


SEGMENTS = st.lists(st.sampled_from(["a", "b", "ab", "a.b", "x%20y", "ba"]), max_size=4)


def reference_covers(prefix_segments: List[str], path_segments: List[str]) -> bool:
    """Reference model: a prefix covers a path when its segments start the path's segments."""
    return path_segments[: len(prefix_segments)] == prefix_segments


@given(SEGMENTS, SEGMENTS, st.booleans(), st.booleans())
def test_prefix_matching_agrees_with_reference(
    prefix: List[str], path: List[str], prefix_slash: bool, path_slash: bool
) -> None:
    prefix_text = "/" + "/".join(prefix) + ("/" if prefix_slash and prefix else "")
    path_text = "/" + "/".join(path) + ("/" if path_slash and path else "")
    expected = reference_covers(prefix, path)
    assert path_covers(canonical_prefix(prefix_text), normalize_path(path_text)) == expected

    store = Credentials()
    store.add("http://h" + prefix_text, "u", "p")
    assert (store.find("http://h" + path_text) is not None) == expected
    assert store.find("https://h" + path_text) is None


# -- Credential ---------------------------------------------------------------------------------


class TestCredential:
    def test_repr_hides_password(self) -> None:
        cred = Credential("alice", SECRET, realm="r")
        assert SECRET not in repr(cred)
        assert SECRET not in str(cred)
        assert "password=<hidden>" in repr(cred)
        assert cred == Credential("alice", SECRET, realm="r")
        assert cred != Credential("alice", "other", realm="r")

    def test_bytes_password(self) -> None:
        cred = Credential("alice", SECRET.encode())
        assert SECRET not in repr(cred)
        assert cred.password_for("http://h/", None, 1) == SECRET.encode()
        copied = Credential("a", bytearray(b"pw"))  # type: ignore[arg-type]
        assert copied.password == b"pw"

    def test_callable_password_with_attempts(self) -> None:
        asked: List[Tuple[str, Optional[str], int]] = []

        def prompt(url: str, realm: Optional[str], attempt: int) -> Optional[str]:
            asked.append((url, realm, attempt))
            return None if attempt > 2 else f"{SECRET}{attempt}"

        cred = Credential("bob", prompt)
        assert cred.interactive
        assert not Credential("bob", "x").interactive
        assert cred.password_for("http://h/a", "realm", 1) == f"{SECRET}1"
        assert cred.password_for("http://h/a", "realm", 2) == f"{SECRET}2"
        assert cred.password_for("http://h/a", "realm", 3) is None
        assert asked == [("http://h/a", "realm", n) for n in (1, 2, 3)]
        assert SECRET not in repr(cred)
        assert "password=<hidden>" in repr(cred)
        with pytest.raises(ValueError):
            cred.password_for("http://h/a", None, 0)

    def test_callable_bad_return(self) -> None:
        cred = Credential("bob", lambda url, realm, attempt: 42)  # type: ignore[arg-type,return-value]
        with pytest.raises(TypeError):
            cred.password_for("http://h/", None, 1)

    def test_type_checks(self) -> None:
        with pytest.raises(TypeError):
            Credential("a", 42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            Credential(b"a", "p")  # type: ignore[arg-type]
        with pytest.raises(LookupError):
            Credential("a", "p", encoding="no-such-codec")


# -- origin lookups -----------------------------------------------------------------------------


class TestLookup:
    def test_foo_never_matches_foobar(self) -> None:
        store = Credentials()
        store.add("http://h/foo", "foo", "p")
        assert user(store, "http://h/foo") == "foo"
        assert user(store, "http://h/foo/") == "foo"
        assert user(store, "http://h/foo/x/y?q=1") == "foo"
        assert user(store, "http://h/foobar") is None
        assert user(store, "http://h/") is None

    def test_trailing_slash_prefix_covers_bare_name(self) -> None:
        store = Credentials()
        store.add("http://h/foo/", "foo", "p")
        assert user(store, "http://h/foo") == "foo"
        assert user(store, "http://h/foo/x") == "foo"
        assert user(store, "http://h/foobar") is None

    def test_scheme_is_part_of_the_key(self) -> None:
        store = Credentials()
        store.add("https://h/", "secure", "p")
        assert user(store, "https://h/x") == "secure"
        assert user(store, "http://h/x") is None
        assert user(store, "http://h:443/x") is None

    def test_ports(self) -> None:
        store = Credentials()
        store.add("http://h", "eighty", "p")
        store.add("http://h:8080/", "eighty-eighty", "p")
        assert user(store, "http://h:80/a") == "eighty"
        assert user(store, "http://h/a") == "eighty"
        assert user(store, "http://h:8080/a") == "eighty-eighty"
        assert user(store, "http://h:8081/a") is None
        store.add("https://h:443/", "tls", "p")
        assert user(store, "https://h/") == "tls"

    def test_host_case_and_ipv6(self) -> None:
        store = Credentials()
        store.add("http://EXAMPLE.org/", "ex", "p")
        store.add("http://[::1]:8080/dav", "v6", "p")
        assert user(store, "http://example.ORG/x") == "ex"
        assert user(store, "http://[0:0::1]:8080/dav/x") is None  # no address canonicalisation
        assert user(store, "http://[::1]:8080/dav/x") == "v6"
        assert user(store, "http://[::1]:8080/davx") is None
        assert user(store, "http://[::1]/dav/x") is None

    def test_longest_prefix_wins(self) -> None:
        store = Credentials()
        store.add("http://h/", "root", "p")
        store.add("http://h/a", "a", "p")
        store.add("http://h/a/b", "ab", "p")
        assert user(store, "http://h/a/b/c") == "ab"
        assert user(store, "http://h/a/bc") == "a"
        assert user(store, "http://h/z") == "root"

    def test_replace_same_key(self) -> None:
        store = Credentials()
        store.add("http://h/a", "old", "p")
        store.add("http://h/a/", "new", "p")
        assert user(store, "http://h/a/x") == "new"
        assert "origin_entries=1" in repr(store)

    def test_path_normalisation_in_lookup(self) -> None:
        store = Credentials()
        store.add("http://h/private", "priv", "p")
        assert user(store, "http://h/public/../private/x") == "priv"
        assert user(store, "http://h/%70rivate/x") == "priv"

    def test_realm_lookup(self) -> None:
        store = Credentials()
        store.add("http://h/", "any", "p")
        store.add("http://h/", "admin", "p", realm="Admin")
        store.add("http://h/docs", "docs", "p", realm="Docs")
        # before a realm is known: longest covering prefix, realm-less first at equal prefix
        assert user(store, "http://h/x") == "any"
        assert user(store, "http://h/docs/x") == "docs"
        # a challenge named the realm
        assert user(store, "http://h/x", realm="Admin") == "admin"
        assert user(store, "http://h/docs/x", realm="Admin") == "admin"
        # realm identifies the space even where its prefix does not cover the path
        assert user(store, "http://h/x", realm="Docs") == "docs"
        # unknown realm: realm-less covering entry
        assert user(store, "http://h/x", realm="Other") == "any"
        # realm names are case-sensitive
        assert user(store, "http://h/x", realm="admin") == "any"
        # never across origins
        assert user(store, "https://h/x", realm="Admin") is None

    def test_realm_prefers_covering_longest(self) -> None:
        store = Credentials()
        store.add("http://h/a", "a", "p", realm="R")
        store.add("http://h/a/b", "ab", "p", realm="R")
        store.add("http://h/z", "z", "p", realm="R")
        assert user(store, "http://h/a/b/c", realm="R") == "ab"
        assert user(store, "http://h/a/c", realm="R") == "a"
        assert user(store, "http://h/z/1", realm="R") == "z"

    def test_unknown_realm_without_realmless_entry(self) -> None:
        store = Credentials()
        store.add("http://h/", "r", "p", realm="R")
        assert user(store, "http://h/x", realm="Other") is None
        assert user(store, "http://h/x") == "r"

    def test_encoding_kept(self) -> None:
        store = Credentials()
        store.add("http://h/", "u", "p", encoding="latin-1")
        found = store.find("http://h/")
        assert found is not None and found.encoding == "latin-1"

    @pytest.mark.parametrize(
        "url",
        [
            f"http://alice:{SECRET}@h/",
            f"http://alice:{SECRET}@h:99999/",
        ],
    )
    def test_userinfo_refused_without_leaking(self, url: str) -> None:
        store = Credentials()
        with pytest.raises(ValueError) as info:
            store.add(url, "alice", SECRET)
        assert SECRET not in str(info.value)
        with pytest.raises(ValueError) as info:
            store.add_proxy(url, "alice", SECRET)
        assert SECRET not in str(info.value)

    @pytest.mark.parametrize(
        "url", ["http://h/x#frag", "http://h/x?q=1", "/relative", "ftp://h/", "h/x", "http://h/#"]
    )
    def test_add_refuses(self, url: str) -> None:
        with pytest.raises(ValueError):
            Credentials().add(url, "u", "p")

    def test_find_other_scheme_is_none_relative_is_error(self) -> None:
        store = Credentials()
        store.add("http://h/", "u", "p")
        assert store.find("ftp://h/") is None
        assert store.authenticator_for("ws://h/") is None
        with pytest.raises(ValueError):
            store.find("/relative")

    def test_find_ignores_userinfo(self) -> None:
        store = Credentials()
        store.add("http://h/", "u", "p")
        assert user(store, "http://x:y@h/a") == "u"


# -- proxies ------------------------------------------------------------------------------------


class TestProxy:
    def test_proxy_and_origin_tables_are_separate(self) -> None:
        store = Credentials()
        store.add_proxy("http://proxy:3128", "proxyuser", "p")
        store.add("http://proxy:3128/", "originuser", "p")
        assert user(store, "http://proxy:3128", proxy=True) == "proxyuser"
        assert user(store, "http://proxy:3128/any/path", proxy=True) == "proxyuser"
        assert user(store, "http://proxy:3128/") == "originuser"
        assert user(store, "http://other:3128", proxy=True) is None
        assert user(store, "https://proxy:3128", proxy=True) is None

    def test_proxy_only(self) -> None:
        store = Credentials()
        store.add_proxy("http://proxy:3128/some/path", "proxyuser", "p")
        assert user(store, "http://proxy:3128/") is None
        assert user(store, "http://proxy:3128/", proxy=True) == "proxyuser"

    def test_proxy_realm(self) -> None:
        store = Credentials()
        store.add_proxy("http://proxy:3128", "squid", "p", realm="Squid")
        assert user(store, "http://proxy:3128", proxy=True, realm="Squid") == "squid"
        assert user(store, "http://proxy:3128", proxy=True) == "squid"
        assert user(store, "http://proxy:3128", proxy=True, realm="Other") is None
        store.add_proxy("http://proxy:3128", "any", "p")
        assert user(store, "http://proxy:3128", proxy=True, realm="Other") == "any"
        assert user(store, "http://proxy:3128", proxy=True) == "any"
        assert user(store, "http://proxy:3128", proxy=True, realm="Squid") == "squid"


# -- learned spaces -----------------------------------------------------------------------------


class TestLearned:
    def test_learn_and_lookup(self) -> None:
        store = Credentials()
        basic = fake("basic")  # parent directory of the URL
        store.learn("http://h/dav/docs/file.txt", basic)
        assert basic.calls == ["http://h/dav/docs/file.txt"]
        assert store.authenticator_for("http://h/dav/docs/other.txt") is basic
        assert store.authenticator_for("http://h/dav/docs") is basic
        assert store.authenticator_for("http://h/dav/docsx") is None
        assert store.authenticator_for("http://h/dav/") is None
        assert store.authenticator_for("https://h/dav/docs/a") is None
        assert store.authenticator_for("http://h:8080/dav/docs/a") is None

    def test_longest_learned_prefix(self) -> None:
        store = Credentials()
        outer = fake("outer", ["http://h/"])
        inner = fake("inner", ["http://h/a/b/"])
        store.learn("http://h/x", outer)
        store.learn("http://h/a/b/c", inner)
        assert store.authenticator_for("http://h/a/b/c/d") is inner
        assert store.authenticator_for("http://h/a/c") is outer

    def test_other_origin_prefixes_ignored_and_relative_resolved(self) -> None:
        store = Credentials()
        digest = fake(
            "digest", ["http://h/one/", "https://h/two/", "http://evil/", "/three", "ftp://h/"]
        )
        store.learn("http://h/start", digest)
        assert store.authenticator_for("http://h/one/x") is digest
        assert store.authenticator_for("http://h/three/x") is digest
        assert store.authenticator_for("https://h/two/x") is None
        assert store.authenticator_for("http://evil/x") is None
        assert store.authenticator_for("http://h/start") is None

    def test_newer_learn_replaces(self) -> None:
        store = Credentials()
        first = fake("first", ["http://h/a/"])
        second = fake("second", ["http://h/a"])
        store.learn("http://h/a/x", first)
        store.learn("http://h/a/y", second)
        assert store.authenticator_for("http://h/a/z") is second
        assert "learned_spaces=1" in repr(store)

    def test_proxy_learned_separately(self) -> None:
        store = Credentials()
        proxy_auth = fake("proxy", ["http://ignored/"])
        store.learn("http://proxy:3128/whatever", proxy_auth, proxy=True)
        assert proxy_auth.calls == []  # the whole proxy origin, no prefixes asked
        assert store.authenticator_for("http://proxy:3128", proxy=True) is proxy_auth
        assert store.authenticator_for("http://proxy:3128/") is None
        origin_auth = fake("origin", ["http://proxy:3128/"])
        store.learn("http://proxy:3128/", origin_auth)
        assert store.authenticator_for("http://proxy:3128/x") is origin_auth
        assert store.authenticator_for("http://proxy:3128/x", proxy=True) is proxy_auth

    def test_discard(self) -> None:
        store = Credentials()
        store.add("http://h/", "u", "p")
        gone = fake("gone", ["http://h/a/", "http://h/b/"])
        kept = fake("kept", ["http://h/"])
        store.learn("http://h/a/x", gone)
        store.learn("http://h/x", kept)
        store.learn("http://proxy:1/", gone, proxy=True)
        store.discard(gone)
        assert store.authenticator_for("http://h/a/x") is kept
        assert store.authenticator_for("http://h/b/x") is kept
        assert store.authenticator_for("http://proxy:1/", proxy=True) is None
        assert user(store, "http://h/a/x") == "u"  # credentials stay

    def test_forget(self) -> None:
        store = Credentials()
        store.add("http://h/", "root", "p")
        store.add("http://h/a", "a", "p")
        store.add("http://h/a/b", "ab", "p", realm="R")
        store.add("http://h/ab", "ab-sibling", "p")
        store.add("https://h/a", "tls", "p")
        above = fake("above", ["http://h/"])
        below = fake("below", ["http://h/a/b/"])
        sibling = fake("sibling", ["http://h/ab/"])
        store.learn("http://h/x", above)
        store.learn("http://h/a/b/c", below)
        store.learn("http://h/ab/c", sibling)

        store.forget("http://h/a")

        assert user(store, "http://h/a/b/c") == "root"  # /a and /a/b dropped, / kept
        assert user(store, "http://h/a/b/c", realm="R") == "root"
        assert user(store, "http://h/ab/x") == "ab-sibling"
        assert user(store, "https://h/a/x") == "tls"
        # learned: below dropped, covering (above) dropped too, sibling kept
        assert store.authenticator_for("http://h/a/b/c") is None
        assert store.authenticator_for("http://h/x") is None
        assert store.authenticator_for("http://h/ab/c") is sibling

    def test_forget_proxy(self) -> None:
        store = Credentials()
        store.add_proxy("http://proxy:3128", "p1", "p")
        store.add_proxy("http://proxy:3128", "p2", "p", realm="R")
        store.add("http://proxy:3128/", "origin", "p")
        store.learn("http://proxy:3128", fake("x"), proxy=True)
        store.forget("http://proxy:3128", proxy=True)
        assert store.find("http://proxy:3128", proxy=True) is None
        assert store.find("http://proxy:3128", proxy=True, realm="R") is None
        assert store.authenticator_for("http://proxy:3128", proxy=True) is None
        assert user(store, "http://proxy:3128/") == "origin"

    def test_clear(self) -> None:
        store = Credentials()
        store.add("http://h/", "u", "p")
        store.add_proxy("http://proxy:3128", "pu", "p")
        auth = fake("a", ["http://h/"])
        store.learn("http://h/", auth)
        store.learn("http://proxy:3128", auth, proxy=True)
        store.clear()
        assert store.find("http://h/") is None
        assert store.find("http://proxy:3128", proxy=True) is None
        assert store.authenticator_for("http://h/") is None
        assert store.authenticator_for("http://proxy:3128", proxy=True) is None
        assert repr(store) == (
            "Credentials(origin_entries=0, proxy_entries=0, learned_spaces=0, netrc=False)"
        )


class TestForgetListeners:
    """Who holds connections authenticated with the store's credentials is told of forgetting."""

    def test_forget_and_clear_tell_what_was_dropped(self) -> None:
        store = Credentials()
        heard: List[Tuple[Optional[Origin], bool]] = []
        store.on_forget(lambda origin, proxy: heard.append((origin, proxy)))
        store.add("http://h/a", "u", "p")
        store.forget("http://h/a/b")
        store.forget("http://proxy:3128", proxy=True)
        store.clear()
        assert heard == [
            (Origin("http", "h", 80), False),
            (Origin("http", "proxy", 3128), True),
            (None, False),
        ]

    def test_replacing_a_credential_with_another_is_heard_adding_the_same_is_not(self) -> None:
        store = Credentials()
        heard: List[Tuple[Optional[Origin], bool]] = []
        store.on_forget(lambda origin, proxy: heard.append((origin, proxy)))
        store.add("http://h/a", "u", "p")
        store.add("http://h/a", "u", "p")
        store.add("http://h/b", "v", "p")
        store.add_proxy("http://proxy:3128", "pu", "p")
        store.add_proxy("http://proxy:3128", "pu", "p")
        assert heard == []
        store.add("http://h/a", "u", "other")
        store.add_proxy("http://proxy:3128", "someone-else", "p")
        assert heard == [(Origin("http", "h", 80), False), (Origin("http", "proxy", 3128), True)]

    def test_the_store_is_changed_before_listeners_run(self) -> None:
        store = Credentials()
        store.add("http://h/", "u", "p")
        seen: List[Optional[Credential]] = []
        store.on_forget(lambda origin, proxy: seen.append(store.find("http://h/x")))
        store.forget("http://h/")
        assert seen == [None]

    def test_a_bound_method_is_held_weakly(self) -> None:
        store = Credentials()

        class Holder:
            calls = 0

            def heard(self, origin: Optional[Origin], proxy: bool) -> None:
                Holder.calls += 1

        holder = Holder()
        store.on_forget(holder.heard)
        store.clear()
        assert Holder.calls == 1
        del holder
        store.clear()
        assert Holder.calls == 1
        assert store._listeners == []

    def test_every_listener_runs_and_the_first_failure_is_raised(self) -> None:
        store = Credentials()
        calls: List[str] = []

        def broken(origin: Optional[Origin], proxy: bool) -> None:
            calls.append("broken")
            raise RuntimeError("listener failed")

        store.on_forget(broken)
        store.on_forget(lambda origin, proxy: calls.append("second"))
        store.add("http://h/", "u", "p")
        with pytest.raises(RuntimeError, match="listener failed"):
            store.forget("http://h/")
        assert calls == ["broken", "second"]
        assert store.find("http://h/") is None


# -- netrc --------------------------------------------------------------------------------------


@pytest.fixture
def netrc_file(tmp_path: Path) -> Path:
    path = tmp_path / "netrc"
    path.write_text(
        "machine Example.com login netuser password netpass\n"
        "machine ::1 login v6user password v6pass\n"
    )
    path.chmod(0o600)
    return path


class TestNetrc:
    def test_off_by_default(self, netrc_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("NETRC", str(netrc_file))
        assert Credentials().find("http://example.com/") is None

    def test_fallback(self, netrc_file: Path) -> None:
        store = Credentials(netrc=True, netrc_file=str(netrc_file))
        found = store.find("https://example.com:8443/x", realm="Any")
        assert found == Credential("netuser", "netpass")
        assert user(store, "http://[::1]:8080/") == "v6user"
        assert store.find("http://other.com/") is None
        assert store.find("ftp://example.com/") is None
        assert store.find("http://example.com/", proxy=True) is None  # origins only

    def test_store_entries_win(self, netrc_file: Path) -> None:
        store = Credentials(netrc_file=str(netrc_file))
        store.add("http://example.com/a", "explicit", "p")
        assert user(store, "http://example.com/a/x") == "explicit"
        assert user(store, "http://example.com/b") == "netuser"

    def test_netrc_env(self, netrc_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("NETRC", str(netrc_file))
        assert user(Credentials(netrc=True), "http://example.com/") == "netuser"
        monkeypatch.setenv("NETRC", str(netrc_file) + ".missing")
        assert Credentials(netrc=True).find("http://example.com/") is None

    def test_home_netrc(self, netrc_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("NETRC", raising=False)
        home = netrc_file.parent / "home"
        home.mkdir()
        (home / ".netrc").write_text(netrc_file.read_text())
        (home / ".netrc").chmod(0o600)
        monkeypatch.setenv("HOME", str(home))
        assert user(Credentials(netrc=True), "http://example.com/") == "netuser"

    def test_default_entry(self, tmp_path: Path) -> None:
        path = tmp_path / "netrc"
        path.write_text("machine a.example login a password pa\ndefault login d password pd\n")
        store = Credentials(netrc_file=str(path))
        assert user(store, "http://a.example/") == "a"
        assert user(store, "http://b.example/") == "d"

    def test_malformed_is_ignored_with_warning(self, tmp_path: Path) -> None:
        path = tmp_path / "netrc"
        path.write_text(f"machine h login u password {SECRET}\nbogus {SECRET}\n")
        store = Credentials(netrc_file=str(path))
        with pytest.warns(RuntimeWarning, match="malformed netrc") as record:
            assert store.find("http://h/") is None
        assert all(SECRET not in str(w.message) for w in record)
        # cached: parsed once per file version, the warning is not repeated
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert store.find("http://h/") is None

    def test_reloaded_when_changed(self, tmp_path: Path) -> None:
        path = tmp_path / "netrc"
        path.write_text("machine h login one password p\n")
        store = Credentials(netrc_file=str(path))
        assert user(store, "http://h/") == "one"
        path.write_text("machine h login second password p\n")
        assert user(store, "http://h/") == "second"


# -- repr and threads ---------------------------------------------------------------------------


def test_store_repr_has_counts_only() -> None:
    store = Credentials()
    store.add("http://h/", "alice", SECRET)
    store.add_proxy("http://proxy:3128", "bob", SECRET)
    text = repr(store)
    assert SECRET not in text and "alice" not in text and "bob" not in text
    assert text == "Credentials(origin_entries=1, proxy_entries=1, learned_spaces=0, netrc=False)"
    assert str(store) == text


def test_concurrent_add_find_learn() -> None:
    store = Credentials()
    errors: List[BaseException] = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(200):
                url = f"http://h{i % 5}/t{n}/d{i}"
                store.add(url, f"u{n}-{i}", "p", realm=f"R{i % 3}")
                found = store.find(url + "/file")
                assert found is not None and found.username == f"u{n}-{i}"
                assert store.find(url + "/file", realm=f"R{i % 3}") is not None
                auth = fake(f"{n}-{i}", [url + "/"])
                to_drop: Any = auth
                store.learn(url + "/file", auth)
                assert store.authenticator_for(url + "/x") is auth
                store.add_proxy(f"http://proxy{n}:3128", f"p{n}", "p")
                assert store.find(f"http://proxy{n}:3128", proxy=True) is not None
                if i % 50 == 49:
                    store.discard(to_drop)
                    store.forget(f"http://h{i % 5}/t{n}/d{i - 1}")
                repr(store)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "proxy_entries=8" in repr(store)


def test_split_url_strict_keeps_path() -> None:
    assert split_url("https://h:8443/a/b/", strict=True) == (Origin("https", "h", 8443), "/a/b/")


def test_knows_is_an_origin_level_test() -> None:
    store = Credentials()
    assert not store.knows("https://dav.example.org/a/")
    store.add("https://dav.example.org/team/", "alice", "s3cret")
    assert store.knows("https://dav.example.org/other/")  # any path of that origin
    assert not store.knows("http://dav.example.org/team/")  # another scheme
    assert not store.knows("https://dav.example.org:8443/team/")  # another port
    store.add_proxy("http://proxy.example.org:3128", "carol", "pr0xy")
    assert not store.knows("http://proxy.example.org:3128/")  # proxies are not origins
    assert not store.knows("ftp://dav.example.org/")


def test_knows_sees_learned_spaces_and_netrc(tmp_path: Path) -> None:
    class Space:
        credential = Credential("fake", "pw")

        def space_prefixes(self, url: str) -> List[str]:
            return ["https://learned.example.org/x/"]

    store = Credentials()
    store.learn("https://learned.example.org/x/y", Space())  # type: ignore[arg-type]
    assert store.knows("https://learned.example.org/elsewhere")
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine netrc.example.org login bob password pw\n")
    netrc_file.chmod(0o600)
    assert Credentials(netrc_file=str(netrc_file)).knows("https://netrc.example.org/")
    assert not Credentials().knows("https://netrc.example.org/")


def test_knows_remembers_a_no_until_the_store_changes() -> None:
    store = Credentials()
    url = "https://late.example.org/a/"
    assert not store.knows(url)
    assert not store.knows(url)  # remembered
    store.add("https://late.example.org/", "alice", "s3cret")
    assert store.knows(url)
    store.forget("https://late.example.org/")
    assert not store.knows(url)


def test_knows_with_netrc_does_not_remember_a_no(tmp_path: Path) -> None:
    """The netrc file may change under a store that reads it: a "no" is asked again."""
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine other.example.org login bob password pw\n")
    netrc_file.chmod(0o600)
    store = Credentials(netrc_file=str(netrc_file))
    url = "https://netrc.example.org/"
    assert not store.knows(url)
    assert store._known.get(url) is None  # nothing remembered: the next call reads again
