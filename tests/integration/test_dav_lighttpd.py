"""DAVSession and AuthAdapter against lighttpd 1.4 mod_webdav + mod_auth.

lighttpd is the bed's real server for RFC 7616 beyond MD5: Digest SHA-256, both
challenges on one share (``algorithm="MD5|SHA-256"`` sends two ``WWW-Authenticate``
lines) and ``userhash`` (section 3.4.4). Its WebDAV differs from Apache's:

============================== =============================================================
OPTIONS ``DAV``                ``1, 2, 3``
Depth infinity PROPFIND        403 (ls(recursive=True) walks level by level)
PROPPATCH                      204 for all, but keeps only the first property of each
                               ``<D:prop>`` (the client sends one ``<D:prop>`` each);
                               a protected property: 403 in a 207 that is not XML
                               (``<DAV:getetag/>``, an undeclared prefix)
COPY/MOVE of a collection      200 whether the destination existed or not; with
                               ``Overwrite: F`` onto an existing one a 207 with 409
MOVE onto itself               403
lock tokens                    ``urn:uuid:...``; owner not kept; refresh only with the
                               untagged ``If: (<token>)`` (400 for the tagged form)
PROPFIND ``file/``             403 (a trailing slash on a file)
``propname``                   live property names in no namespace (``<getetag/>``)
REPORT                         501
============================== =============================================================
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Iterator

import pytest
import requests
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD
from servers.lighttpd import (
    NON_ASCII_PASSWORD,
    NON_ASCII_USER,
    USERHASH_REALM,
    LighttpdServer,
    userhash,
)

from integration.dav_matrix import record
from integration.dav_support import fresh_collection, other_session
from requests_dav import AuthAdapter, Credentials, DAVSession
from requests_dav.dav import errors

pytestmark = pytest.mark.needs_lighttpd

SERVER = "lighttpd"


@pytest.fixture
def dav(lighttpd_server: LighttpdServer) -> Iterator[DAVSession]:
    with fresh_collection(lighttpd_server) as session:
        yield session


def test_options(dav: DAVSession) -> None:
    caps = dav.options()
    assert caps.classes == ("1", "2", "3")
    assert {"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "COPY", "MOVE"} <= set(caps.allow)
    record(SERVER, "options", "``1, 2, 3``")


def test_propfind_forms(dav: DAVSession) -> None:
    dav.upload(b"hello", "a.txt")
    dav.makedirs("sub/deeper")
    dav.upload(b"x", "sub/deeper/b.txt")
    listing = dav.propfind("", depth=1)
    assert len(listing) == 3
    a = listing["a.txt"]
    assert a.content_length == 5 and a.etag and a.last_modified is not None
    assert a.content_type == "text/plain"
    assert listing["sub/"].is_collection
    record(SERVER, "propfind", "yes")

    names = dav.propfind("a.txt", "propname").first
    # lighttpd writes the names of its live properties in no namespace (<getetag/>)
    assert names is not None and {"getetag", "lockdiscovery"} <= set(names.props)
    assert "{DAV:}getetag" not in names.props
    record(SERVER, "propname", "names in no namespace")
    named = dav.propfind("a.txt", ["getcontentlength", "{urn:x}missing"]).first
    assert named is not None and named.failed == {"{urn:x}missing": 404}

    with pytest.raises(errors.ForbiddenError):
        dav.propfind("", depth="infinity")
    record(SERVER, "propfind-infinity", "403 (client walks Depth 1)")
    tree = sorted(r.path.split("/", 3)[-1] for r in dav.ls("", recursive=True))
    assert tree == ["a.txt", "sub/", "sub/deeper/", "sub/deeper/b.txt"]

    with pytest.raises(errors.NotFoundError):
        dav.propfind("gone.txt")
    assert not dav.exists("gone.txt")
    record(SERVER, "propfind-missing", "404")


def test_proppatch_stores_every_property(dav: DAVSession) -> None:
    # lighttpd keeps only the first property of each <D:prop>: the client sends one each
    dav.upload(b"x", "f.txt")
    result = dav.proppatch(
        "f.txt", set={"{urn:x}a": "1", "{urn:x}b": "2", "{urn:y}c": "3"}, remove=["{urn:x}z"]
    )
    assert set(result.statuses.values()) == {204}
    item = dav.info("f.txt", ["{urn:x}a", "{urn:x}b", "{urn:y}c"])
    assert dict(item.props) == {"{urn:x}a": "1", "{urn:x}b": "2", "{urn:y}c": "3"}
    dav.proppatch("f.txt", set={"{urn:x}a": "one"}, remove=["{urn:x}b", "{urn:y}c"])
    item = dav.info("f.txt", ["{urn:x}a", "{urn:x}b", "{urn:y}c"])
    assert dict(item.props) == {"{urn:x}a": "one"}
    assert item.failed == {"{urn:x}b": 404, "{urn:y}c": 404}
    record(SERVER, "proppatch", "204; first property of each ``prop`` only")


def test_proppatch_of_a_protected_property_gets_a_malformed_207(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    etag = dav.info("f.txt").etag
    # lighttpd refuses with 403 cannot-modify-protected-property, in a 207 that writes the
    # name as <DAV:getetag/>: an undeclared prefix, so not XML; the client says so
    with pytest.raises(errors.MalformedResponseError):
        dav.proppatch("f.txt", set={"getetag": '"forged"', "{urn:x}a": "1"})
    item = dav.info("f.txt")
    assert item.etag == etag and "{urn:x}a" not in item.props
    record(SERVER, "proppatch-protected", "403 in a malformed 207 (``<DAV:getetag/>``)")


def test_dead_properties_in_allprop(dav: DAVSession) -> None:
    dav.upload(b"x", "f.txt")
    dav.proppatch("f.txt", set={"{urn:x}a": "1"})
    assert dav.info("f.txt").props["{urn:x}a"] == "1"
    record(SERVER, "allprop-dead", "yes")


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


def test_copy_and_move_of_files(dav: DAVSession) -> None:
    dav.upload(b"one", "a.txt")
    assert dav.copy("a.txt", "b.txt").status == 201
    assert dav.copy("a.txt", "b.txt").status == 204
    with pytest.raises(errors.PreconditionFailedError):
        dav.copy("a.txt", "b.txt", overwrite=False)
    assert dav.move("b.txt", "c.txt").status == 201
    assert dav.move("c.txt", "a.txt").status == 204
    record(SERVER, "copy-file", "201 / 204")
    with pytest.raises(errors.ForbiddenError):
        dav.move("a.txt", "a.txt", overwrite=False)
    record(SERVER, "move-self", "403")


def test_copy_and_move_of_collections_answer_200(dav: DAVSession) -> None:
    # issue 13 point 7: lighttpd answers 200 for a new tree and for a replaced one alike;
    # with overwrite=False a success means the destination was new
    dav.makedirs("d/e")
    dav.upload(b"deep", "d/e/f.txt")
    copied = dav.copy("d/", "new/")
    assert copied.status == 200 and not copied.created  # the server did not say
    replaced = dav.copy("d/", "new/")
    assert replaced.status == 200 and replaced.replaced
    fresh = dav.copy("d/", "fresh/", overwrite=False)
    assert fresh.status == 200 and fresh.created
    moved = dav.move("fresh/", "moved/", overwrite=False)
    assert moved.status == 200 and moved.created
    assert dav.get("moved/e/f.txt").content == b"deep"
    # an existing destination with Overwrite: F: a 207 with 409 (not a plain 412)
    with pytest.raises(errors.MultiStatusError) as info:
        dav.copy("d/", "moved/", overwrite=False)
    assert list(info.value.failures.values()) == [409]
    record(
        SERVER, "copy-collection", "200 new or not (client: ``created`` with ``overwrite=False``)"
    )


def test_makedirs_over_a_file_is_a_conflict(dav: DAVSession) -> None:
    # issue 13 point 2: lighttpd answers PROPFIND "file/" with 403
    dav.upload(b"x", "a.txt")
    with pytest.raises(errors.ForbiddenError):
        dav.propfind("a.txt/")
    with pytest.raises(errors.ConflictError):
        dav.makedirs("a.txt/x")
    with pytest.raises(errors.ConflictError):
        dav.makedirs("a.txt")
    dav.makedirs("dir/sub")
    dav.makedirs("dir/sub")


def test_copy_depth_0_of_a_collection(dav: DAVSession) -> None:
    dav.makedirs("d/e")
    dav.upload(b"deep", "d/e/f.txt")
    assert dav.copy("d/", "shallow/", depth=0).status == 201
    assert dav.ls("shallow/") == []
    record(SERVER, "copy-depth0", "yes")


def test_locks(dav: DAVSession) -> None:
    dav.upload(b"v1", "f.txt")
    other = other_session(dav)
    lock = dav.lock("f.txt", timeout=60, owner="ada")
    assert lock.token.startswith("urn:uuid:") and lock.timeout == 60
    with pytest.raises(errors.LockedError):
        other.upload(b"theirs", "f.txt")
    result = dav.upload(b"mine", "f.txt")
    assert result.response is not None
    assert result.response.request.headers["If"] == f"<{lock.root}> (<{lock.token}>)"
    found = dav.locks("f.txt")
    assert [x.locktoken for x in found] == [lock.token]
    assert found[0].owner is None  # lighttpd does not keep the owner
    record(SERVER, "lock", "``urn:uuid:``")
    record(SERVER, "lock-owner", "not kept")
    # issue 13 point 6: the tagged If of a refresh gets 400; the untagged form works
    tagged = dav.request(
        "LOCK", lock.root, headers={"If": f"<{lock.root}> (<{lock.token}>)", "Timeout": "Second-30"}
    )
    assert tagged.status_code == 400
    refreshed = dav.refresh(lock, timeout=30)
    assert refreshed.token == lock.token and refreshed.timeout == 30
    record(SERVER, "lock-refresh", "untagged ``If`` only (client falls back)")
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
    assert not dav.exists("col/")


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


def test_report_is_not_implemented(dav: DAVSession) -> None:
    with pytest.raises(errors.DAVError) as info:
        dav.sync_collection("")
    assert info.value.status == 501
    record(SERVER, "sync-collection", "501")
    record(SERVER, "sync-limit", "-")
    record(SERVER, "calendar-query", "501")


# -- authentication: Basic, Digest MD5, SHA-256, both challenges, userhash ------------------

#: share -> what the accepted Authorization header must say
DIGEST_SHARES = {
    "digest": "algorithm=MD5",
    "sha256": "algorithm=SHA-256",
    "both": "algorithm=SHA-256",  # two challenges: the stronger one is answered
    "userhash": "algorithm=SHA-256",
}

USERS = [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)]


def _adapter_session(
    server: LighttpdServer, share: str, user: str, password: str
) -> requests.Session:
    credentials = Credentials()
    credentials.add(server.url(share), user, password)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials))
    return session


def test_both_challenges_are_sent_on_one_share(lighttpd_server: LighttpdServer) -> None:
    with requests.Session() as plain:
        plain.trust_env = False
        response = plain.get(lighttpd_server.url("both"))
    assert response.status_code == 401
    offered = response.raw.headers.getlist("WWW-Authenticate")
    assert len(offered) == 2
    assert any("algorithm=MD5" in value for value in offered)
    assert any("algorithm=SHA-256" in value for value in offered)


@pytest.mark.parametrize("share", sorted(DIGEST_SHARES))
@pytest.mark.parametrize(("user", "password"), USERS)
def test_digest_through_the_adapter(
    lighttpd_server: LighttpdServer, share: str, user: str, password: str
) -> None:
    name = f"a-{uuid.uuid4().hex[:8]}.txt"
    with _adapter_session(lighttpd_server, share, user, password) as session:
        put = session.put(lighttpd_server.url(share, name), data=iter([b"gen", b"erator"]))
        assert put.status_code == 201
        assert (lighttpd_server.root(share) / name).read_bytes() == b"generator"
        sent = put.request.headers["Authorization"]
        assert sent.startswith("Digest ") and DIGEST_SHARES[share] in sent
        if share == "userhash":
            assert f'username="{userhash(user, USERHASH_REALM)}"' in sent
            assert "userhash=true" in sent
        else:
            assert "userhash" not in sent
        # the space is primed: the next request is authorized without a 401
        again = session.get(lighttpd_server.url(share, name))
        assert again.status_code == 200 and again.history == []
        assert again.request.headers["Authorization"].startswith("Digest ")


@pytest.mark.parametrize("share", ["basic", *sorted(DIGEST_SHARES)])
@pytest.mark.parametrize(("user", "password"), USERS)
def test_dav_session_on_every_auth_share(
    lighttpd_server: LighttpdServer, share: str, user: str, password: str
) -> None:
    name = f"s-{uuid.uuid4().hex[:8]}/"
    with DAVSession(lighttpd_server.url(share), auth=(user, password)) as dav:
        dav.mkcol(name)
        dav.upload(b"x" * 70_000, name + "f.bin")
        with dav.lock(name + "f.bin"):
            dav.upload(b"locked write", name + "f.bin")
        assert dav.info(name + "f.bin").content_length == 12
        dav.rmtree(name)
    anonymous = DAVSession(lighttpd_server.url(share))
    with pytest.raises(errors.DAVError) as info:
        anonymous.propfind("")
    assert info.value.status == 401
    wrong = DAVSession(lighttpd_server.url(share), auth=(user, "wrong"))
    with pytest.raises(errors.DAVError) as info:
        wrong.propfind("")
    assert info.value.status == 401


@pytest.mark.parametrize("share", ["sha256", "digest", "userhash"])
def test_non_ascii_user_name(lighttpd_server: LighttpdServer, share: str) -> None:
    # RFC 7616 section 3.4.4: a name that is not printable ASCII goes as username*
    # (RFC 8187 ext-value), unless userhash hides it anyway
    with DAVSession(lighttpd_server.url(share), auth=(NON_ASCII_USER, NON_ASCII_PASSWORD)) as dav:
        result = dav.upload(b"x", f"n-{uuid.uuid4().hex[:8]}.txt")
    assert result.created and result.response is not None
    sent = result.response.request.headers["Authorization"]
    if share == "userhash":
        assert f'username="{userhash(NON_ASCII_USER)}"' in sent and "username*" not in sent
    else:
        assert "username*=UTF-8''j%C3%BCrgen" in sent
        assert 'username="' not in sent


def test_userhash_hides_the_user_name_on_the_wire(lighttpd_server: LighttpdServer) -> None:
    name = f"u-{uuid.uuid4().hex[:8]}.txt"
    with DAVSession(lighttpd_server.url("userhash"), auth=(BOB, BOB_PASSWORD)) as dav:
        dav.upload(b"x", name)
    # lighttpd buffers its access log (about a second): wait for this file's records
    path = f"/userhash/{name}"
    deadline = time.monotonic() + 15
    records = [r for r in lighttpd_server.requests() if r.path == path]
    while len(records) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        records = [r for r in lighttpd_server.requests() if r.path == path]
    assert [r.status for r in records] == [401, 201]
    sent = records[1].authorization or ""
    assert BOB not in sent and userhash(BOB) in sent
    assert records[1].user == BOB  # lighttpd resolved the hash to the user
    record(
        SERVER,
        "auth",
        "Basic, Digest MD5, SHA-256, both challenges, userhash",
    )


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
