"""DAVSession against nginx 1.22 + dav_ext and rclone 1.60 ``serve webdav``.

Both are class 2 servers with less than Apache and WsgiDAV; each test runs on both and says
where they differ (the server limitations are asserted, so a change shows up):

============================ ================================ ===============================
                             nginx + dav_ext                  rclone (golang.org/x/net/webdav)
============================ ================================ ===============================
OPTIONS ``DAV``              ``2`` only (no ``1``)            ``1, 2``
PROPPATCH                    not implemented: 405             implemented, stores nothing:
                                                              403 for every property
Depth infinity PROPFIND      403 (walked level by level)      allowed
MKCOL on an existing name    405                              201 (no error)
COPY/MOVE to a new name      204 (not 201)                    201
PUT over an existing file    204                              201 (not 204)
If-None-Match/If-Match PUT   ignored                          ignored
shared locks                 granted as exclusive             501
lock owner / lockdiscovery   owner not kept                   lockdiscovery always empty
REPORT (sync-collection)     405                              400
MOVE onto itself             412                              403
============================ ================================ ===============================
"""

from __future__ import annotations

import io
import uuid
from typing import Iterator

import pytest
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, ServerBase

from integration.dav_matrix import record
from integration.dav_support import fresh_collection
from requests_dav.dav import errors
from requests_dav.dav.session import DAVSession

SERVERS = [
    pytest.param("nginx_server", marks=pytest.mark.needs_nginx, id="nginx"),
    pytest.param("rclone_server", marks=pytest.mark.needs_rclone, id="rclone"),
]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> ServerBase:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def dav(server: ServerBase) -> Iterator[DAVSession]:
    with fresh_collection(server) as session:
        yield session


def is_nginx(server: ServerBase) -> bool:
    return server.name == "nginx"


def test_options(dav: DAVSession, server: ServerBase) -> None:
    caps = dav.options()
    assert caps.supports_locking
    assert {"PROPFIND", "LOCK", "UNLOCK", "COPY", "MOVE", "DELETE"} <= set(caps.allow)
    if is_nginx(server):
        assert caps.dav == ("2",) and not caps.is_dav
        assert "PROPPATCH" not in caps.allow
        record(server.name, "options", "``2`` only (no ``1``)")
    else:
        assert caps.classes == ("1", "2") and caps.ms_author_via == "DAV"
        record(server.name, "options", "``1, 2``")


def test_propfind_and_recursive_listing(dav: DAVSession, server: ServerBase) -> None:
    dav.upload(b"hello", "a.txt")
    dav.makedirs("sub/deeper")
    dav.upload(b"x", "sub/deeper/b.txt")
    listing = dav.propfind("", depth=1)
    assert len(listing) == 3
    a = listing["a.txt"]
    assert a.content_length == 5 and a.last_modified is not None and not a.is_collection
    assert listing["sub/"].is_collection
    assert dav.info("a.txt", ["getcontentlength"]).content_length == 5
    record(server.name, "propfind", "yes")
    if is_nginx(server):
        with pytest.raises(errors.ForbiddenError):
            dav.propfind("", depth="infinity")
        record(server.name, "propfind-infinity", "403 (client walks Depth 1)")
    else:
        assert len(dav.propfind("", ["resourcetype"], depth="infinity")) == 5
        record(server.name, "propfind-infinity", "yes")
    tree = sorted(r.path.split("/", 3)[-1] for r in dav.ls("", recursive=True))
    assert tree == ["a.txt", "sub/", "sub/deeper/", "sub/deeper/b.txt"]
    assert sorted(r.path.split("/", 3)[-1] for r in dav.walk("")) == tree


def test_proppatch(dav: DAVSession, server: ServerBase) -> None:
    dav.upload(b"x", "f.txt")
    if is_nginx(server):
        with pytest.raises(errors.MethodNotAllowedError):
            dav.proppatch("f.txt", set={"{urn:x}a": "1"})
        record(server.name, "proppatch", "405")
        return
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f.txt", set={"{urn:x}a": "1"}, remove=["{urn:x}b"])
    assert info.value.statuses == {"{urn:x}a": 403, "{urn:x}b": 403}
    record(server.name, "proppatch", "403 for every property")


def test_mkcol(dav: DAVSession, server: ServerBase) -> None:
    assert dav.mkcol("c/").created
    if is_nginx(server):
        with pytest.raises(errors.MethodNotAllowedError):
            dav.mkcol("c/")
    else:
        assert dav.mkcol("c/").status == 201  # rclone: no error for an existing collection
    with pytest.raises(errors.ConflictError):
        dav.mkcol("missing/c/")
    record(server.name, "mkcol", "201 / 405 / 409" if is_nginx(server) else "201 / 201 / 409")
    dav.makedirs("c/d/e")
    assert dav.info("c/d/e/").is_collection


def test_copy_and_move_overwrite(dav: DAVSession, server: ServerBase) -> None:
    dav.upload(b"one", "a.txt")
    new_status = 204 if is_nginx(server) else 201
    assert dav.copy("a.txt", "b.txt").status == new_status
    assert dav.copy("a.txt", "b.txt").status == 204
    with pytest.raises(errors.PreconditionFailedError):
        dav.copy("a.txt", "b.txt", overwrite=False)
    assert dav.move("b.txt", "c.txt").status == new_status
    assert dav.move("c.txt", "a.txt").status == 204
    record(server.name, "copy-file", "204 / 204" if is_nginx(server) else "201 / 204")
    assert not dav.exists("c.txt")
    # Source and destination the same: nginx 412, rclone 403 (RFC 4918 section 9.9.4 allows it)
    expected = errors.PreconditionFailedError if is_nginx(server) else errors.ForbiddenError
    with pytest.raises(expected):
        dav.move("a.txt", "a.txt", overwrite=False)
    record(server.name, "move-self", "412" if is_nginx(server) else "403")
    dav.makedirs("d/e")
    dav.upload(b"deep", "d/e/f.txt")
    dav.copy("d/", "full/")
    assert dav.get("full/e/f.txt").content == b"deep"


def test_lock_adds_if_header_automatically(dav: DAVSession, server: ServerBase) -> None:
    dav.upload(b"v1", "f.txt")
    other = DAVSession(dav.base_url)
    with dav.lock("f.txt", timeout=60, owner="ada") as lock:
        if is_nginx(server):
            assert lock.token.startswith("urn:")
        else:
            assert lock.token.isdigit()  # rclone: a bare number
        with pytest.raises(errors.LockedError):
            other.upload(b"theirs", "f.txt")
        with pytest.raises(errors.LockedError):
            other.delete("f.txt")
        result = dav.upload(b"mine", "f.txt")
        assert result.response is not None
        assert result.response.request.headers["If"] == f"<{lock.root}> (<{lock.token}>)"
        found = dav.locks("f.txt")
        if is_nginx(server):
            assert [x.locktoken for x in found] == [lock.token] and found[0].owner is None
            record(server.name, "lock", "``urn:``")
            record(server.name, "lock-owner", "not kept")
        else:
            assert found == []  # rclone never reports lockdiscovery
            record(server.name, "lock", "a bare number")
            record(server.name, "lock-owner", "no lockdiscovery at all")
        assert dav.refresh(lock, timeout=30).token == lock.token
        record(server.name, "lock-refresh", "tagged ``If``")
    assert len(dav.lock_store) == 0
    other.upload(b"theirs", "f.txt")
    assert dav.get("f.txt").content == b"theirs"


def test_depth_infinity_lock_covers_members_and_destination(
    dav: DAVSession, server: ServerBase
) -> None:
    dav.makedirs("col/sub")
    dav.upload(b"x", "outside.txt")
    other = DAVSession(dav.base_url)
    with dav.lock("col/"):
        with pytest.raises(errors.LockedError):
            other.upload(b"no", "col/sub/new.txt")
        dav.upload(b"yes", "col/sub/new.txt")
        with pytest.raises(errors.LockedError):
            other.copy("outside.txt", "col/copied.txt")
        dav.copy("outside.txt", "col/copied.txt")
        dav.move("col/copied.txt", "col/sub/moved.txt")
        dav.delete("col/sub/moved.txt")
    other.rmtree("col/")


def test_shared_lock(dav: DAVSession, server: ServerBase) -> None:
    dav.upload(b"x", "s.txt")
    if is_nginx(server):
        lock = dav.lock("s.txt", scope="shared", depth=0)
        assert dav.locks("s.txt")[0].scope == "exclusive"  # nginx only has exclusive locks
        with pytest.raises(errors.LockedError):
            DAVSession(dav.base_url).lock("s.txt", scope="shared", depth=0)
        dav.unlock(lock)
        record(server.name, "lock-shared", "granted as exclusive")
    else:
        with pytest.raises(errors.DAVError) as info:
            dav.lock("s.txt", scope="shared", depth=0)
        assert info.value.status == 501
        record(server.name, "lock-shared", "501")


def test_conditional_upload_is_ignored(dav: DAVSession, server: ServerBase) -> None:
    # Neither server evaluates If-None-Match or If-Match on PUT, so create-only uploads
    # cannot be made race-free there; the headers do go out (see test_session_unit).
    dav.upload(b"v1", "c.txt", if_none_match="*")
    result = dav.upload(b"v2", "c.txt", if_none_match="*")
    assert result.status == (204 if is_nginx(server) else 201)
    dav.upload(b"v3", "c.txt", if_match='"no-such-etag"')
    assert dav.get("c.txt").content == b"v3"
    record(server.name, "put-conditional", "ignored")


def test_upload_download_rmtree(dav: DAVSession, server: ServerBase) -> None:
    data = bytes(range(256)) * 1000
    seen: list[tuple[int, int | None]] = []
    dav.upload(io.BytesIO(data), "b.bin", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(data), len(data))
    out = io.BytesIO()
    assert dav.download("b.bin", out) == len(data) and out.getvalue() == data
    dav.upload(iter([data[:5], data[5:]]), "gen.bin")
    assert dav.info("gen.bin").content_length == len(data)
    dav.makedirs("x/y")
    dav.upload(b"1", "x/y/f")
    dav.rmtree("x/")
    assert not dav.exists("x/")
    record(server.name, "propfind-missing", "404")
    with pytest.raises(errors.NotFoundError):
        dav.delete("x/")


def test_sync_collection_is_not_implemented(dav: DAVSession, server: ServerBase) -> None:
    with pytest.raises(errors.DAVError) as info:
        dav.sync_collection("")
    assert info.value.status == (405 if is_nginx(server) else 400)
    record(server.name, "sync-collection", "405" if is_nginx(server) else "400")


@pytest.mark.parametrize(("user", "password"), [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)])
def test_basic_auth_share(server: ServerBase, user: str, password: str) -> None:
    name = f"auth-{uuid.uuid4().hex[:8]}/"
    with DAVSession(server.url("basic"), auth=(user, password)) as dav:
        dav.mkcol(name)
        dav.upload(io.BytesIO(b"s" * 70_000), name + "f.bin")
        with dav.lock(name + "f.bin"):
            dav.upload(b"locked write", name + "f.bin")
        assert [r.content_length for r in dav.ls(name)] == [12]
        dav.rmtree(name)
    with DAVSession(server.url("basic")) as anonymous, pytest.raises(errors.DAVError) as info:
        anonymous.propfind("")
    assert info.value.status == 401
    record(server.name, "auth", "Basic")
