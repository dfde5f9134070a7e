"""DAVSession against Apache 2.4 mod_dav_fs: every method it implements.

Apache keeps dead properties (its propset DB), has exclusive and shared locks
(``opaquelocktoken:<uuid>``), refuses Depth infinity PROPFIND with 403
``{DAV:}propfind-finite-depth`` (DavDepthInfinity is off by default, so ``ls(recursive=True)``
walks level by level), honours If-Match / If-None-Match on PUT, and has no REPORT
(501: no RFC 6578 sync-collection). Each test works in its own fresh collection.
"""

from __future__ import annotations

import io
import os
import time
import uuid
from typing import Iterator

import pytest
from servers.apache import ApacheServer
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD

from integration.dav_matrix import record
from integration.dav_support import fresh_collection, other_session
from requests_dav.dav import errors
from requests_dav.dav.requestbodies import Href
from requests_dav.dav.session import DAVSession

pytestmark = pytest.mark.needs_apache


@pytest.fixture
def dav(apache_server: ApacheServer) -> Iterator[DAVSession]:
    with fresh_collection(apache_server) as session:
        yield session


def test_options(dav: DAVSession) -> None:
    caps = dav.options()
    assert caps.classes == ("1", "2")
    assert caps.has("<http://apache.org/dav/propset/fs/1>")
    assert {"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "COPY", "MOVE"} <= set(caps.allow)
    record("apache", "options", "``1, 2``, propset")


def test_propfind_forms_and_finite_depth(dav: DAVSession) -> None:
    dav.upload(b"hello", "a.txt")
    dav.makedirs("sub/deeper")
    dav.upload(b"x", "sub/deeper/b.txt")
    listing = dav.propfind("", depth=1)
    assert len(listing) == 3
    a = listing["a.txt"]
    assert a.content_length == 5 and a.etag and a.last_modified is not None
    assert listing["sub/"].is_collection
    # Apache's own property, in its own namespace, is kept
    assert a.props["{http://apache.org/dav/props/}executable"] == "F"
    record("apache", "propfind", "yes")

    names = dav.propfind("a.txt", "propname").first
    assert names is not None and "{DAV:}getetag" in names.props
    record("apache", "propname", "yes")

    named = dav.propfind("a.txt", ["getcontentlength", "{urn:x}missing"]).first
    assert named is not None and named.failed == {"{urn:x}missing": 404}

    include = dav.propfind("a.txt", None, include=["lockdiscovery"]).first
    assert include is not None and include.props["{DAV:}lockdiscovery"] == []

    # Apache 2.4 refuses with a bare 403 and an HTML page, without the RFC 4918 section 9.1
    # propfind-finite-depth condition; ls(recursive=True) walks all the same.
    with pytest.raises(errors.ForbiddenError) as info:
        dav.propfind("", depth="infinity")
    assert info.value.error is None
    record("apache", "propfind-infinity", "403 (client walks Depth 1)")

    tree = sorted(r.path.split("/", 3)[-1] for r in dav.ls("", recursive=True))
    assert tree == ["a.txt", "sub/", "sub/deeper/", "sub/deeper/b.txt"]


def test_proppatch_set_and_remove_with_per_property_status(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    structured = {"{urn:x}name": "Ada", "{urn:x}tag": ["a", "b"]}
    result = dav.proppatch(
        "f.txt",
        set={"{urn:x}plain": "1 < 2 & 3", "{urn:x}rich": structured, "{urn:y}gone": "soon"},
    )
    assert set(result) == {"{urn:x}plain", "{urn:x}rich", "{urn:y}gone"}
    assert set(result.statuses.values()) == {200}
    result = dav.proppatch("f.txt", set={"{urn:x}plain": "2"}, remove=["{urn:y}gone"])
    assert dict(result.statuses) == {"{urn:x}plain": 200, "{urn:y}gone": 200}
    item = dav.info("f.txt", ["{urn:x}plain", "{urn:x}rich", "{urn:y}gone"])
    assert item.props["{urn:x}plain"] == "2"
    assert item.props["{urn:x}rich"] == structured
    assert item.failed == {"{urn:y}gone": 404}
    record("apache", "proppatch", "yes")


def test_proppatch_failure_reports_every_property(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    with pytest.raises(errors.PropPatchError) as info:
        dav.proppatch("f.txt", set={"{urn:x}ok": "1", "getetag": '"forged"'})
    # Apache answers 409 for a protected live property (WsgiDAV and rclone: 403).
    assert info.value.statuses == {"{urn:x}ok": 424, "{DAV:}getetag": 409}
    assert dav.info("f.txt", ["{urn:x}ok"]).failed == {"{urn:x}ok": 404}
    record("apache", "proppatch-protected", "409, others 424")


def test_mkcol_errors(dav: DAVSession) -> None:
    assert dav.mkcol("c/").created
    with pytest.raises(errors.MethodNotAllowedError):
        dav.mkcol("c/")
    with pytest.raises(errors.ConflictError):
        dav.mkcol("missing/c/")
    record("apache", "mkcol", "201 / 405 / 409")


def test_copy_and_move_overwrite_semantics(dav: DAVSession) -> None:
    dav.upload(b"one", "a.txt")
    assert dav.copy("a.txt", "b.txt").status == 201
    assert dav.copy("a.txt", "b.txt").status == 204
    with pytest.raises(errors.PreconditionFailedError):
        dav.copy("a.txt", "b.txt", overwrite=False)
    assert dav.move("b.txt", "c.txt").created
    assert dav.move("c.txt", "a.txt").replaced
    record("apache", "copy-file", "201 / 204")
    with pytest.raises(errors.PreconditionFailedError):
        dav.move("a.txt", "a.txt", overwrite=False)
    record("apache", "move-self", "412")
    dav.makedirs("d/e")
    dav.upload(b"deep", "d/e/f.txt")
    dav.copy("d/", "shallow/", depth=0)
    assert dav.ls("shallow/") == []  # Depth 0: the collection only (RFC 4918 section 9.8.3)
    record("apache", "copy-depth0", "yes")
    dav.copy("d/", "full/")
    assert dav.get("full/e/f.txt").content == b"deep"


def test_lock_adds_if_header_automatically(dav: DAVSession) -> None:
    dav.upload(b"v1", "f.txt")
    other = other_session(dav)
    with dav.lock("f.txt", timeout=60, owner=Href("mailto:ada@example.org")) as lock:
        assert lock.token.startswith("opaquelocktoken:")
        with pytest.raises(errors.LockedError):
            other.upload(b"theirs", "f.txt")
        with pytest.raises(errors.LockedError):
            other.delete("f.txt")
        result = dav.upload(b"mine", "f.txt")
        assert result.response is not None
        assert result.response.request.headers["If"] == f"<{lock.root}> (<{lock.token}>)"
        found = dav.locks("f.txt")
        assert [x.locktoken for x in found] == [lock.token]
        assert found[0].owner == {"{DAV:}href": "mailto:ada@example.org"}
        # Apache reports the seconds left, counted from its own clock: 300, or 299 a moment later
        assert 299 <= dav.refresh(lock, timeout=300).timeout <= 300
        record("apache", "lock", "``opaquelocktoken:``")
        record("apache", "lock-owner", "kept")
        record("apache", "lock-refresh", "tagged ``If``")
    assert dav.locks("f.txt") == []
    other.upload(b"theirs", "f.txt")


def test_depth_infinity_lock_covers_members_and_destination(dav: DAVSession) -> None:
    dav.makedirs("col/sub")
    dav.upload(b"x", "outside.txt")
    other = other_session(dav)
    with dav.lock("col/") as lock:
        assert lock.depth == "infinity"
        # Apache answers a write into a locked collection with 207 (423 for the lock root),
        # which the session raises as MultiStatusError, never as a success.
        with pytest.raises(errors.MultiStatusError) as info:
            other.upload(b"no", "col/sub/new.txt")
        # 423 for the locked ancestor, 424 for the request URL
        assert sorted(info.value.failures.values()) == [423, 424]
        assert info.value.failures[dav.url("col/sub/new.txt")] == 424
        dav.upload(b"yes", "col/sub/new.txt")
        # ... and a MOVE into it with 424, its multistatus body naming the locked parent.
        with pytest.raises(errors.FailedDependencyError) as failed:
            other.move("outside.txt", "col/moved.txt")
        assert failed.value.multistatus is not None
        assert [r.status for r in failed.value.multistatus] == [423]
        dav.move("outside.txt", "col/moved.txt")
        dav.proppatch("col/moved.txt", set={"{urn:x}p": "1"})
        dav.mkcol("col/newdir/")
        dav.delete("col/moved.txt")
    other.rmtree("col/")


def test_depth_0_lock_on_a_collection_protects_its_membership(dav: DAVSession) -> None:
    dav.mkcol("col/")
    other = other_session(dav)
    with dav.lock("col/", depth=0) as lock:
        with pytest.raises(errors.MultiStatusError) as info:
            other.upload(b"no", "col/new.txt")
        assert sorted(info.value.failures.values()) == [423, 424]
        assert lock.depth == "0"
        dav.upload(b"yes", "col/new.txt")  # the parent's token goes along
    other.delete("col/new.txt")


def test_shared_locks_from_two_clients(dav: DAVSession) -> None:
    dav.upload(b"x", "s.txt")
    other = other_session(dav)
    first = dav.lock("s.txt", scope="shared", depth=0)
    second = other.lock("s.txt", scope="shared", depth=0)
    assert first.token != second.token
    with pytest.raises(errors.LockedError):
        DAVSession(dav.base_url).lock("s.txt", depth=0)
    assert {x.locktoken for x in dav.locks("s.txt")} == {first.token, second.token}
    # Apache lets each holder write with its own token
    dav.upload(b"by first", "s.txt")
    other.upload(b"by second", "s.txt")
    record("apache", "lock-shared", "yes")
    dav.unlock(first)
    other.unlock(second)


def test_unlock_with_a_wrong_token_raises_and_forgets(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    lock = dav.lock("f.txt")
    dav.lock_store.remove(lock)
    with pytest.raises(errors.DAVError) as info:
        dav.unlock("opaquelocktoken:00000000-0000-0000-0000-000000000000", "f.txt")
    assert info.value.status in (400, 409, 412)
    dav.unlock(lock)


def test_conditional_upload(dav: DAVSession, apache_server: ApacheServer) -> None:
    assert dav.upload(b"v1", "c.txt", if_none_match="*").created
    with pytest.raises(errors.PreconditionFailedError):
        dav.upload(b"v2", "c.txt", if_none_match="*")
    # Apache's ETag of a file modified within the last second is weak (W/"..."), and
    # If-Match compares strongly, so age the file on disk to get a strong ETag first.
    scratch = dav.base_url.rstrip("/").rsplit("/", 1)[-1]
    on_disk = apache_server.root("open") / scratch / "c.txt"
    assert on_disk.read_bytes() == b"v1"
    os.utime(on_disk, (time.time() - 3600, time.time() - 3600))
    etag = dav.info("c.txt").etag
    assert etag and not etag.startswith("W/")
    dav.upload(b"version 2", "c.txt", if_match=etag)
    with pytest.raises(errors.PreconditionFailedError):
        dav.upload(b"v3", "c.txt", if_match=etag)  # stale now
    assert dav.get("c.txt").content == b"version 2"
    record("apache", "put-conditional", "honoured (412)")


def test_upload_download_makedirs_rmtree(dav: DAVSession) -> None:
    data = bytes(range(256)) * 1000
    seen: list[tuple[int, int | None]] = []
    dav.upload(io.BytesIO(data), "b.bin", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(data), len(data))
    out = io.BytesIO()
    assert dav.download("b.bin", out) == len(data) and out.getvalue() == data
    dav.makedirs("x/y/z")
    dav.makedirs("x/y/z")
    dav.rmtree("x/")
    assert not dav.exists("x/")
    record("apache", "propfind-missing", "404")


def test_sync_collection_is_not_implemented_by_apache(dav: DAVSession) -> None:
    with pytest.raises(errors.DAVError) as info:
        dav.sync_collection("")
    assert info.value.status == 501
    record("apache", "sync-collection", "501")


@pytest.mark.parametrize("share", ["basic", "digest"])
@pytest.mark.parametrize(("user", "password"), [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)])
def test_authenticated_sessions(
    apache_server: ApacheServer, share: str, user: str, password: str
) -> None:
    name = f"auth-{uuid.uuid4().hex[:8]}/"
    with DAVSession(apache_server.url(share), auth=(user, password)) as dav:
        dav.mkcol(name)
        dav.upload(io.BytesIO(b"s" * 70_000), name + "f.bin")
        with dav.lock(name + "f.bin"):
            dav.upload(b"locked write", name + "f.bin")
            dav.proppatch(name + "f.bin", set={"{urn:x}who": user})
        item = dav.info(name + "f.bin", ["{urn:x}who", "getcontentlength"])
        assert item.props["{urn:x}who"] == user and item.content_length == 12
        dav.rmtree(name)
    with DAVSession(apache_server.url(share)) as anonymous, pytest.raises(errors.DAVError) as info:
        anonymous.propfind("")
    assert info.value.status == 401
    record("apache", "auth", "Basic, Digest MD5")


def test_https_with_the_bed_certificate(apache_server: ApacheServer) -> None:
    with DAVSession(apache_server.https_url("digest"), auth=(ALICE, ALICE_PASSWORD)) as dav:
        dav.verify = apache_server.ca_cert
        name = f"tls-{uuid.uuid4().hex[:8]}.txt"
        dav.upload(b"over tls", name)
        assert dav.get(name).content == b"over tls"
        assert dav.info(name).url.startswith("https://")
        dav.delete(name)
