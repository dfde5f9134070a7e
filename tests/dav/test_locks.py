"""Lock store and If header (RFC 4918 sections 7, 10.4, 10.7)."""

from __future__ import annotations

import threading
import time

import pytest

from requests_dav.dav.locks import (
    Lock,
    LockStore,
    format_timeout,
    is_ancestor,
    parent_url,
    parse_timeout,
    same_resource,
    url_key,
)

BASE = "http://h:8080/dav/"


def lock(path: str, token: str, depth: str = "infinity", **kw: object) -> Lock:
    return Lock(token=token, root=BASE + path, depth=depth, **kw)  # type: ignore[arg-type]


def test_url_key_normalises_origin_escapes_and_trailing_slash() -> None:
    assert url_key("HTTP://H:80/a%20b/") == url_key("http://h/a b")
    assert url_key("https://h/x") != url_key("http://h:443/x")
    assert url_key("http://h/a/./b/../c") == url_key("http://h/a/c")
    assert same_resource("http://h/a%2Bb", "http://h/a+b")
    assert not same_resource("http://h/a%2Fb", "http://h/a%252Fb")


def test_ancestry_is_by_segment() -> None:
    assert is_ancestor("http://h/dav/", "http://h/dav/x/y")
    assert not is_ancestor("http://h/dav", "http://h/dav")
    assert not is_ancestor("http://h/da", "http://h/dav/x")
    assert not is_ancestor("http://h/dav/", "http://other/dav/x")


def test_parent_url() -> None:
    assert parent_url("http://h/a/b") == "http://h/a/"
    assert parent_url("http://h/a/b/") == "http://h/a/"
    assert parent_url("http://h/a") == "http://h/"
    assert parent_url("http://h/") == "http://h/"


def test_covers_root_and_depth_infinity_members_only() -> None:
    deep = lock("col/", "t1")
    flat = lock("col/", "t2", depth="0")
    assert deep.covers(BASE + "col") and deep.covers(BASE + "col/a/b.txt")
    assert flat.covers(BASE + "col/")
    assert not flat.covers(BASE + "col/a.txt")
    assert not deep.covers(BASE + "colx/a.txt")


def test_locks_for_finds_own_and_ancestor_locks() -> None:
    store = LockStore()
    a, b, c = lock("col/", "ta"), lock("col/sub/f", "tb", depth="0"), lock("col/", "tc", "0")
    for item in (a, b, c):
        store.add(item)
    found = {x.token for x in store.locks_for(BASE + "col/sub/f")}
    assert found == {"ta", "tb"}
    assert {x.token for x in store.locks_for(BASE + "other")} == set()


def test_if_header_tags_each_lock_with_its_root() -> None:
    store = LockStore()
    store.add(lock("col/", "opaquelocktoken:1"))
    store.add(lock("col/f.txt", "urn:uuid:2", depth="0"))
    value = store.if_header([BASE + "col/f.txt"])
    assert value == (f"<{BASE}col/> (<opaquelocktoken:1>) <{BASE}col/f.txt> (<urn:uuid:2>)")


def test_if_header_none_without_locks() -> None:
    store = LockStore()
    assert store.if_header([BASE + "x"]) is None
    store.add(lock("y", "t"))
    assert store.if_header([BASE + "x"]) is None


def test_if_header_for_destination_and_shared_locks_on_one_root() -> None:
    store = LockStore()
    store.add(lock("dst/", "s1", scope="shared"))
    store.add(lock("dst/", "s2", scope="shared"))
    value = store.if_header([BASE + "src", BASE + "dst/new"])
    assert value == f"<{BASE}dst/> (<s1>) (<s2>)"


def test_members_and_membership_options() -> None:
    store = LockStore()
    store.add(lock("col/inner.txt", "inner", depth="0"))
    store.add(lock("parent/", "p0", depth="0"))
    # deleting the collection must submit the lock of a member
    assert store.if_header([BASE + "col/"]) is None
    assert store.if_header([BASE + "col/"], members=True) == f"<{BASE}col/inner.txt> (<inner>)"
    # adding to a depth-0 locked collection changes its membership
    assert store.if_header([BASE + "parent/new.txt"]) is None
    assert store.if_header([BASE + "parent/new.txt"], membership=True) == f"<{BASE}parent/> (<p0>)"


def test_tokens_are_opaque_and_kept_verbatim() -> None:
    store = LockStore()
    tokens = ["opaquelocktoken:0x1f", "urn:uuid:abc", "1234567", "opaquelocktoken:e71d-5dec"]
    for token in tokens:
        store.add(lock("f", token, depth="0"))
    value = store.if_header([BASE + "f"])
    assert value is not None
    for token in ["opaquelocktoken:0x1f", "urn:uuid:abc", "1234567"]:
        assert f"(<{token}>)" in value


def test_add_replaces_same_token_and_remove_by_object_or_token() -> None:
    store = LockStore()
    first = lock("f", "t", timeout=10)
    store.add(first)
    store.add(lock("f", "t", timeout=20))
    assert len(store) == 1
    assert store.find("t") is not None and store.find("t").timeout == 20  # type: ignore[union-attr]
    assert store.remove(first) is not None
    assert store.remove("t") is None
    assert "t" not in store


def test_store_is_thread_safe() -> None:
    store = LockStore()

    def work(n: int) -> None:
        for i in range(200):
            store.add(lock(f"d{n}/f{i}", f"{n}-{i}"))
            store.if_header([BASE + f"d{n}/f{i}"])
            store.remove(f"{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 0


def test_timeouts() -> None:
    assert parse_timeout("Second-3600") == 3600
    assert parse_timeout("Infinite, Second-4100000000") is None
    assert parse_timeout("second-5") == 5
    assert parse_timeout("Bogus, Second-7") == 7
    assert parse_timeout(None) is None
    assert format_timeout(None) == "Infinite"
    assert format_timeout(60) == "Second-60"
    with pytest.raises(ValueError):
        format_timeout(-1)


def test_expires_in_and_lock_token_header() -> None:
    item = Lock("t", BASE + "f", timeout=100, acquired=time.monotonic() - 40)
    remaining = item.expires_in
    assert remaining is not None and 59 <= remaining <= 60
    assert Lock("t", BASE + "f").expires_in is None
    assert item.lock_token_header == "<t>"


def test_context_manager_unlocks_through_its_session() -> None:
    calls: list[str] = []

    class FakeSession:
        lock_store = LockStore()

        def unlock(self, held: Lock) -> None:
            calls.append(held.token)
            self.lock_store.remove(held)

    session = FakeSession()
    held = Lock("t", BASE + "f", session=session)
    session.lock_store.add(held)
    with held as inside:
        assert inside is held
    assert calls == ["t"]
    with held:  # already unlocked: nothing more
        pass
    assert calls == ["t"]


def test_equality_ignores_session_and_time() -> None:
    assert Lock("t", BASE + "f", session=object()) == Lock("t", BASE + "f")
