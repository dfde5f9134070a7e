"""DAVSession against WsgiDAV 4.4 (in-process): every method it implements.

WsgiDAV has dead properties (in-memory property manager), exclusive and shared locks,
Depth infinity PROPFIND, conditional PUT. It does not implement REPORT (so no RFC 6578
sync-collection: 405, checked below). Each test works in its own fresh collection.
"""

from __future__ import annotations

import io
import uuid
from typing import Iterator

import pytest
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD
from servers.wsgidav_server import WsgiDAVServer

from integration.dav_matrix import record
from integration.dav_support import fresh_collection, other_session
from requests_dav.dav import errors
from requests_dav.dav.requestbodies import E, Href
from requests_dav.dav.session import DAVSession


@pytest.fixture
def dav(wsgidav_server: WsgiDAVServer) -> Iterator[DAVSession]:
    with fresh_collection(wsgidav_server) as session:
        yield session


def test_options(dav: DAVSession) -> None:
    caps = dav.options()
    assert caps.is_dav and caps.supports_locking
    assert {"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "COPY", "MOVE"} <= set(caps.allow)
    assert caps.ms_author_via == "DAV"
    assert caps.classes == ("1", "2")
    record("wsgidav", "options", "``1, 2``")


def test_propfind_forms_and_depths(dav: DAVSession) -> None:
    dav.upload(b"hello", "a.txt")
    dav.mkcol("sub/")
    dav.upload(b"x", "sub/b.txt")
    allprop = dav.propfind("", depth=1)
    assert len(allprop) == 3
    a = allprop["a.txt"]
    assert a.content_length == 5 and a.etag and a.last_modified is not None
    assert not a.is_collection and allprop["sub"].is_collection

    # WsgiDAV 4.4 answers a propname request with a bare href: no propstat, no names.
    names = dav.propfind("a.txt", "propname")
    assert [r.path for r in names] == [a.path]
    record("wsgidav", "propname", "a bare href, no names")

    named = dav.propfind("a.txt", ["getcontentlength", "{urn:x}missing"])
    item = named.first
    assert item is not None
    assert item.props["{DAV:}getcontentlength"] == 5
    assert item.failed == {"{urn:x}missing": 404}

    assert len(dav.propfind("", ["resourcetype"], depth="infinity")) == 4
    record("wsgidav", "propfind-infinity", "yes")
    assert len(dav.propfind("", depth=0)) == 1
    record("wsgidav", "propfind", "yes")


def test_proppatch_set_and_remove_with_per_property_status(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    structured = {"{urn:x}name": "Ada", "{urn:x}tag": ["a", "b"]}
    result = dav.proppatch(
        "f.txt",
        set={"{urn:x}plain": "1 < 2 & 3", "{urn:x}rich": structured, "{urn:y}gone": "soon"},
    )
    assert dict(result.statuses) == {"{urn:x}plain": 200, "{urn:x}rich": 200, "{urn:y}gone": 200}
    result = dav.proppatch("f.txt", set={"{urn:x}plain": "2"}, remove=["{urn:y}gone"])
    assert dict(result.statuses) == {"{urn:x}plain": 200, "{urn:y}gone": 200}

    item = dav.info("f.txt", ["{urn:x}plain", "{urn:x}rich", "{urn:y}gone"])
    assert item.props["{urn:x}plain"] == "2"
    assert item.props["{urn:x}rich"] == structured
    assert item.failed == {"{urn:y}gone": 404}
    record("wsgidav", "proppatch", "yes")


def test_proppatch_failure_is_all_or_nothing_and_reports_every_property(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f.txt", set={"{urn:x}ok": "1", "getetag": '"forged"'})
    # WsgiDAV: 403 for the protected live property, 424 for the one that would have worked.
    assert info.value.statuses == {"{urn:x}ok": 424, "{DAV:}getetag": 403}
    assert info.value.failed == {"{DAV:}getetag": 403}
    assert dav.info("f.txt", ["{urn:x}ok"]).failed == {"{urn:x}ok": 404}
    record("wsgidav", "proppatch-protected", "403, others 424")


def test_mkcol_errors(dav: DAVSession) -> None:
    assert dav.mkcol("c/").created
    with pytest.raises(errors.MethodNotAllowedError):
        dav.mkcol("c/")
    with pytest.raises(errors.ConflictError):
        dav.mkcol("missing/c/")
    record("wsgidav", "mkcol", "201 / 405 / 409")


def test_copy_and_move_overwrite_semantics(dav: DAVSession) -> None:
    dav.upload(b"one", "a.txt")
    assert dav.copy("a.txt", "b.txt").created  # 201
    replaced = dav.copy("a.txt", "b.txt")
    assert replaced.status == 204 and replaced.replaced
    with pytest.raises(errors.PreconditionFailedError):
        dav.copy("a.txt", "b.txt", overwrite=False)
    assert dav.move("b.txt", "c.txt").created
    assert dav.move("c.txt", "a.txt").status == 204
    with pytest.raises(errors.NotFoundError):
        dav.info("c.txt")
    record("wsgidav", "copy-file", "201 / 204")
    record("wsgidav", "propfind-missing", "404")

    dav.makedirs("d/e")
    dav.upload(b"deep", "d/e/f.txt")
    shallow = dav.copy("d/", "shallow/", depth=0)
    assert shallow.response is not None and shallow.response.request.headers["Depth"] == "0"
    # WsgiDAV 4.4 ignores Depth: 0 on COPY and copies the members too (RFC 4918 section
    # 9.8.3 says only the collection and its properties); Apache does it right.
    assert dav.exists("shallow/e/f.txt")
    record("wsgidav", "copy-depth0", "ignored: whole tree copied")
    dav.copy("d/", "full/")
    assert [r.path.split("/", 3)[-1] for r in dav.ls("full/", recursive=True)] == [
        "full/e/",
        "full/e/f.txt",
    ]


def test_delete_and_rmtree(dav: DAVSession) -> None:
    dav.makedirs("x/y/z")
    dav.upload(b"1", "x/y/z/f")
    dav.rmtree("x/")
    assert not dav.exists("x/")
    with pytest.raises(errors.NotFoundError):
        dav.delete("x/")
    dav.rmtree("x/", missing_ok=True)


def test_lock_adds_if_header_automatically(dav: DAVSession) -> None:
    dav.upload(b"v1", "f.txt")
    other = other_session(dav)
    with dav.lock("f.txt", timeout=60, owner=Href("mailto:ada@example.org")) as lock:
        assert lock.token.startswith("opaquelocktoken:")
        assert lock.scope == "exclusive" and lock.timeout is not None
        # Without the token: 423. With it (added by the session): 204.
        with pytest.raises(errors.LockedError):
            other.upload(b"theirs", "f.txt")
        result = dav.upload(b"mine", "f.txt")
        assert result.response is not None
        assert lock.token in result.response.request.headers["If"]
        found = dav.locks("f.txt")
        assert [x.locktoken for x in found] == [lock.token]
        assert found[0].owner == {"{DAV:}href": "mailto:ada@example.org"}
        record("wsgidav", "lock", "``opaquelocktoken:``")
        record("wsgidav", "lock-owner", "kept")
        refreshed = dav.refresh(lock, timeout=120)
        assert refreshed.token == lock.token and refreshed.timeout
        record("wsgidav", "lock-refresh", "tagged ``If``")
    assert len(dav.lock_store) == 0
    assert dav.locks("f.txt") == []
    other.upload(b"theirs", "f.txt")
    assert other.get("f.txt").content == b"theirs"


def test_depth_infinity_lock_covers_members_and_move_destination(dav: DAVSession) -> None:
    dav.makedirs("col/sub")
    dav.upload(b"x", "outside.txt")
    other = other_session(dav)
    lock = dav.lock("col/")
    try:
        with pytest.raises(errors.LockedError):
            other.upload(b"no", "col/sub/new.txt")
        dav.upload(b"yes", "col/sub/new.txt")  # member of a depth-infinity lock
        with pytest.raises(errors.LockedError):
            other.copy("outside.txt", "col/copied.txt")
        dav.copy("outside.txt", "col/copied.txt")  # the Destination is locked
        dav.move("col/copied.txt", "col/sub/moved.txt")
        dav.proppatch("col/sub/moved.txt", set={"{urn:x}p": "1"})
        dav.delete("col/sub/moved.txt")
    finally:
        dav.unlock(lock)
    other.delete("col/")


def test_shared_locks_from_two_clients(dav: DAVSession) -> None:
    dav.upload(b"x", "s.txt")
    other = other_session(dav)
    first = dav.lock("s.txt", scope="shared", depth=0)
    second = other.lock("s.txt", scope="shared", depth=0)
    assert first.token != second.token and first.scope == second.scope == "shared"
    with pytest.raises(errors.LockedError):
        dav.lock("s.txt", scope="exclusive", depth=0)
    assert {x.locktoken for x in dav.locks("s.txt")} == {first.token, second.token}
    # WsgiDAV wants the tokens of *all* locks on the resource for a write (stricter than
    # RFC 4918 section 6.2), so one holder of a shared lock is refused ...
    with pytest.raises(errors.LockedError):
        dav.upload(b"by first", "s.txt")
    # ... and a client whose store holds both tokens gets through: the If header lists both.
    dav.lock_store.add(second)
    result = dav.upload(b"by first", "s.txt")
    assert result.response is not None
    sent = result.response.request.headers["If"]
    assert first.token in sent and second.token in sent
    record("wsgidav", "lock-shared", "yes; a write needs every holder's token")
    dav.lock_store.remove(second)
    dav.unlock(first)
    other.unlock(second)
    other.upload(b"free again", "s.txt")


def test_conditional_upload(dav: DAVSession) -> None:
    created = dav.upload(b"v1", "c.txt", if_none_match="*")
    assert created.created
    with pytest.raises(errors.PreconditionFailedError):
        dav.upload(b"v2", "c.txt", if_none_match="*")
    etag = dav.info("c.txt").etag
    assert etag
    # WsgiDAV's ETag is inode-mtime-size (mtime in seconds): change the size so it changes.
    dav.upload(b"version 2", "c.txt", if_match=etag)
    with pytest.raises(errors.PreconditionFailedError) as info:
        dav.upload(b"v3", "c.txt", if_match=etag)  # stale now
    assert info.value.status == 412
    assert dav.get("c.txt").content == b"version 2"
    record("wsgidav", "put-conditional", "honoured (412)")


def test_upload_and_download_with_progress(dav: DAVSession, tmp_path: object) -> None:
    data = bytes(range(256)) * 2000
    seen: list[tuple[int, int | None]] = []
    dav.upload(io.BytesIO(data), "blob.bin", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(data), len(data))
    out = io.BytesIO()
    got: list[tuple[int, int | None]] = []
    assert dav.download("blob.bin", out, progress=lambda d, t: got.append((d, t))) == len(data)
    assert out.getvalue() == data
    assert got[-1] == (len(data), len(data))
    dav.upload(iter([data[:1000], data[1000:]]), "gen.bin")
    assert dav.info("gen.bin").content_length == len(data)


def test_ls_walk_exists_makedirs(dav: DAVSession) -> None:
    dav.makedirs("a/b/c")
    dav.makedirs("a/b/c")  # exist_ok
    with pytest.raises(errors.MethodNotAllowedError):
        dav.makedirs("a/b/c", exist_ok=False)
    dav.upload(b"1", "a/b/f.txt")
    flat = [r.path.split("/", 3)[-1] for r in dav.ls("a/")]
    assert flat == ["a/b/"]
    deep = sorted(r.path.split("/", 3)[-1] for r in dav.ls("a/", recursive=True))
    assert deep == ["a/b/", "a/b/c/", "a/b/f.txt"]
    assert sorted(r.path.split("/", 3)[-1] for r in dav.walk("a/")) == deep
    assert dav.exists("a/b/f.txt") and not dav.exists("a/nope")


def test_sync_collection_is_not_implemented_by_wsgidav(dav: DAVSession) -> None:
    # WsgiDAV 4.4 has no REPORT method: the error is raised, never swallowed.
    with pytest.raises(errors.MethodNotAllowedError):
        dav.sync_collection("")
    with pytest.raises(errors.MethodNotAllowedError):
        dav.report("", E("{urn:x}anything"))
    record("wsgidav", "sync-collection", "405")
    record("wsgidav", "calendar-query", "405")


@pytest.mark.parametrize("share", ["basic", "digest"])
@pytest.mark.parametrize(("user", "password"), [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)])
def test_authenticated_sessions(
    wsgidav_server: WsgiDAVServer, share: str, user: str, password: str
) -> None:
    name = f"auth-{uuid.uuid4().hex[:8]}/"
    with DAVSession(wsgidav_server.url(share), auth=(user, password)) as dav:
        dav.mkcol(name)
        dav.upload(io.BytesIO(b"s" * 70_000), name + "f.bin")
        with dav.lock(name + "f.bin"):
            dav.upload(b"locked write", name + "f.bin")
        assert [r.content_length for r in dav.ls(name)] == [12]
        dav.rmtree(name)
    with DAVSession(wsgidav_server.url(share)) as anonymous, pytest.raises(errors.DAVError) as info:
        anonymous.propfind("")
    assert info.value.status == 401
    record("wsgidav", "auth", "Basic, Digest MD5")
