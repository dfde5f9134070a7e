"""DAVSession against SabreDAV 1.8 (Debian ``php-sabre-dav``) under ``php -S``.

SabreDAV is the library Nextcloud and ownCloud are built on. Each share is an FSExt tree
with the Locks plugin (File backend); ``digest`` adds the Auth plugin (htdigest, MD5).

============================== =============================================================
OPTIONS ``DAV``                ``1, 3, extended-mkcol, 2``
Depth infinity PROPFIND        answered as Depth 1, without saying so
dead properties                kept, but left out of ``allprop``
protected property             403, the others 424 (all or nothing)
COPY Depth 0 of a collection   ignored: the whole tree is copied
MOVE onto itself               412
lock timeout                   always 1800 s, whatever was asked
REPORT                         403 ``supported-report`` (no sync-collection)
============================== =============================================================
"""

from __future__ import annotations

import io
import uuid
from typing import Iterator

import pytest
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD
from servers.sabredav import SabreDAVServer

from integration.dav_matrix import record
from integration.dav_support import fresh_collection, other_session
from requests_dav import DAVSession
from requests_dav.dav import errors

pytestmark = pytest.mark.needs_php

SERVER = "sabredav"


@pytest.fixture
def dav(sabredav_server: SabreDAVServer) -> Iterator[DAVSession]:
    with fresh_collection(sabredav_server) as session:
        yield session


def test_options(dav: DAVSession) -> None:
    caps = dav.options()
    assert caps.dav == ("1", "3", "extended-mkcol", "2") and caps.classes == ("1", "3", "2")
    assert {"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "COPY", "MOVE", "REPORT"} <= set(caps.allow)
    record(SERVER, "options", "``1, 3, extended-mkcol, 2``")


def test_propfind_forms(dav: DAVSession) -> None:
    dav.upload(b"hello", "a.txt")
    dav.makedirs("sub/deeper")
    listing = dav.propfind("", depth=1)
    assert len(listing) == 3
    a = listing["a.txt"]
    assert a.content_length == 5 and a.etag and a.last_modified is not None
    assert listing["sub/"].is_collection
    record(SERVER, "propfind", "yes")
    names = dav.propfind("a.txt", "propname").first
    assert names is not None and "{DAV:}getetag" in names.props
    record(SERVER, "propname", "yes")
    named = dav.propfind("a.txt", ["getcontentlength", "{urn:x}missing"]).first
    assert named is not None and named.failed == {"{urn:x}missing": 404}
    with pytest.raises(errors.NotFoundError):
        dav.propfind("gone.txt")
    assert not dav.exists("gone.txt")
    record(SERVER, "propfind-missing", "404")


def test_depth_infinity_is_served_as_depth_1(dav: DAVSession) -> None:
    dav.makedirs("sub/deeper")
    dav.upload(b"x", "sub/deeper/b.txt")
    response = dav.request("PROPFIND", dav.url(""), headers={"Depth": "infinity"})
    assert response.status_code == 207
    listing = dav.propfind("", ["resourcetype"], depth="infinity")
    base = len(dav.url(""))
    assert sorted(str(r.url)[base:] for r in listing) == ["", "sub/"]
    record(SERVER, "propfind-infinity", "served as Depth 1 (client walks)")
    # issue 13 point 9: the recursive listing sees the one level and walks the rest
    tree = sorted(str(r.url)[base:] for r in dav.ls("", recursive=True))
    assert tree == ["sub/", "sub/deeper/", "sub/deeper/b.txt"]
    with_props = dav.ls("", recursive=True, props=["getcontentlength"])
    assert sorted(str(r.url)[base:] for r in with_props) == tree


def test_proppatch_answered_under_another_namespace(dav: DAVSession) -> None:
    # issue 13 point 4: SabreDAV 1.8 reads the namespace urn:DAV as DAV: and answers for
    # {DAV:}a when {urn:DAV}a was sent: that is not a success for what was sent
    dav.upload(b"x", "f.txt")
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f.txt", set={"{urn:DAV}a": "1", "{urn:x}b": "2"})
    assert info.value.unanswered == ("{urn:DAV}a",)
    assert info.value.statuses == {"{DAV:}a": 200, "{urn:x}b": 200}
    assert "no status for {urn:DAV}a" in str(info.value)
    assert "{DAV:}a" in str(info.value)


def test_proppatch_and_dead_properties(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    result = dav.proppatch("f.txt", set={"{urn:x}a": "1", "{urn:x}b": "2"})
    assert dict(result.statuses) == {"{urn:x}a": 200, "{urn:x}b": 200}
    item = dav.info("f.txt", ["{urn:x}a", "{urn:x}b"])
    assert item.props["{urn:x}a"] == "1" and item.props["{urn:x}b"] == "2"
    removed = dav.proppatch("f.txt", remove=["{urn:x}b"])
    assert dict(removed.statuses) == {"{urn:x}b": 200}
    assert dav.info("f.txt", ["{urn:x}b"]).failed == {"{urn:x}b": 404}
    record(SERVER, "proppatch", "yes")
    assert "{urn:x}a" not in dav.info("f.txt").props  # allprop leaves dead properties out
    record(SERVER, "allprop-dead", "left out")
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f.txt", set={"{urn:x}ok": "1", "getetag": '"forged"'})
    assert info.value.statuses == {"{urn:x}ok": 424, "{DAV:}getetag": 403}
    record(SERVER, "proppatch-protected", "403, others 424")


def test_mkcol(dav: DAVSession) -> None:
    assert dav.mkcol("c/").created
    with pytest.raises(errors.MethodNotAllowedError):
        dav.mkcol("c/")
    with pytest.raises(errors.ConflictError):
        dav.mkcol("missing/c/")
    record(SERVER, "mkcol", "201 / 405 / 409")


def test_put_and_conditional_put(dav: DAVSession) -> None:
    assert dav.upload(b"v1", "c.txt").status == 201
    assert dav.upload(b"v2", "c.txt").status == 204
    record(SERVER, "put", "201 / 204")
    with pytest.raises(errors.PreconditionFailedError):
        dav.upload(b"v3", "c.txt", if_none_match="*")
    etag = dav.info("c.txt").etag
    assert etag
    dav.upload(b"v4", "c.txt", if_match=etag)
    with pytest.raises(errors.PreconditionFailedError):
        dav.upload(b"v5", "c.txt", if_match='"stale"')
    assert dav.get("c.txt").content == b"v4"
    record(SERVER, "put-conditional", "honoured (412)")


def test_copy_and_move(dav: DAVSession) -> None:
    dav.upload(b"one", "a.txt")
    assert dav.copy("a.txt", "b.txt").created
    assert dav.copy("a.txt", "b.txt").replaced
    with pytest.raises(errors.PreconditionFailedError):
        dav.copy("a.txt", "b.txt", overwrite=False)
    assert dav.move("b.txt", "c.txt").created
    assert dav.move("c.txt", "a.txt").replaced
    record(SERVER, "copy-file", "201 / 204")
    with pytest.raises(errors.PreconditionFailedError):
        dav.move("a.txt", "a.txt", overwrite=False)
    record(SERVER, "move-self", "412")
    dav.makedirs("d/e")
    dav.upload(b"deep", "d/e/f.txt")
    assert dav.copy("d/", "full/").created
    assert dav.move("full/", "moved/").created
    assert dav.get("moved/e/f.txt").content == b"deep"
    record(SERVER, "copy-collection", "201")
    dav.copy("d/", "shallow/", depth=0)
    # SabreDAV ignores Depth 0 and copies the members too (RFC 4918 section 9.8.3 says not)
    assert [r.path.split("/", 3)[-1] for r in dav.ls("shallow/")] == ["shallow/e/"]
    record(SERVER, "copy-depth0", "ignored: whole tree copied")


def test_locks(dav: DAVSession) -> None:
    dav.upload(b"v1", "f.txt")
    other = other_session(dav)
    lock = dav.lock("f.txt", timeout=60, owner="ada")
    assert lock.token.startswith("opaquelocktoken:")
    assert lock.timeout == 1800  # SabreDAV grants its own default
    with pytest.raises(errors.LockedError):
        other.upload(b"theirs", "f.txt")
    with pytest.raises(errors.LockedError):
        other.delete("f.txt")
    result = dav.upload(b"mine", "f.txt")
    assert result.response is not None
    assert result.response.request.headers["If"] == f"<{lock.root}> (<{lock.token}>)"
    found = dav.locks("f.txt")
    assert len(found) == 1 and found[0].owner == "ada"
    record(SERVER, "lock", "``opaquelocktoken:``, timeout always 1800 s")
    record(SERVER, "lock-owner", "kept")
    assert dav.refresh(lock, timeout=300).token == lock.token
    record(SERVER, "lock-refresh", "tagged ``If``")
    dav.unlock(lock)
    assert dav.locks("f.txt") == []
    other.upload(b"theirs", "f.txt")


def test_depth_infinity_lock_covers_members(dav: DAVSession) -> None:
    dav.makedirs("col/sub")
    other = other_session(dav)
    with dav.lock("col/"):
        with pytest.raises(errors.LockedError):
            other.upload(b"no", "col/sub/new.txt")
        dav.upload(b"yes", "col/sub/new.txt")
    other.rmtree("col/")


def test_shared_locks(dav: DAVSession) -> None:
    dav.upload(b"x", "s.txt")
    other = other_session(dav)
    first = dav.lock("s.txt", scope="shared", depth=0)
    second = other.lock("s.txt", scope="shared", depth=0)
    assert first.token != second.token
    assert {x.scope for x in dav.locks("s.txt")} == {"shared"}
    with pytest.raises(errors.LockedError):
        DAVSession(dav.base_url).lock("s.txt", depth=0)
    dav.unlock(first)
    other.unlock(second)
    record(SERVER, "lock-shared", "yes")


def test_report_sync_collection_is_refused(dav: DAVSession) -> None:
    with pytest.raises(errors.ForbiddenError) as info:
        dav.sync_collection("")
    assert info.value.has_condition("{DAV:}supported-report")
    record(SERVER, "sync-collection", "403 ``supported-report``")
    record(SERVER, "sync-limit", "-")
    record(SERVER, "calendar-query", "403 (no CalDAV plugin)")


@pytest.mark.parametrize(("user", "password"), [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)])
def test_digest_share(sabredav_server: SabreDAVServer, user: str, password: str) -> None:
    name = f"auth-{uuid.uuid4().hex[:8]}/"
    with DAVSession(sabredav_server.url("digest"), auth=(user, password)) as dav:
        dav.mkcol(name)
        result = dav.upload(io.BytesIO(b"s" * 70_000), name + "f.bin")
        assert result.created and result.response is not None
        assert result.response.request.headers["Authorization"].startswith("Digest ")
        with dav.lock(name + "f.bin"):
            dav.upload(b"locked write", name + "f.bin")
        assert (sabredav_server.root("digest") / name / "f.bin").read_bytes() == b"locked write"
        dav.rmtree(name)
    anonymous = DAVSession(sabredav_server.url("digest"))
    with pytest.raises(errors.DAVError) as info:
        anonymous.propfind("")
    assert info.value.status == 401
    records = [r for r in sabredav_server.requests() if r.path == f"/digest/{name}f.bin"]
    assert records and {r.user for r in records if r.status < 300} == {user}
    record(SERVER, "auth", "Digest MD5")


def test_upload_download_stream_and_rmtree(dav: DAVSession) -> None:
    data = bytes(range(256)) * 1000
    seen: list[tuple[int, int | None]] = []
    dav.upload(io.BytesIO(data), "b.bin", progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(data), len(data))
    out = io.BytesIO()
    assert dav.download("b.bin", out) == len(data) and out.getvalue() == data
    dav.upload(iter([b"chunked ", b"body"]), "c.txt")
    assert dav.get("c.txt").content == b"chunked body"
    dav.makedirs("x/y/z")
    with dav.iter_propfind("", ["getcontentlength"], depth=1) as stream:
        lengths = {str(item.url).rsplit("/", 1)[-1]: item.content_length for item in stream}
    assert lengths["b.bin"] == len(data) and lengths["c.txt"] == 12
    dav.rmtree("x/")
    assert not dav.exists("x/")
    with pytest.raises(errors.NotFoundError):
        dav.rmtree("x/")
    dav.rmtree("x/", missing_ok=True)
