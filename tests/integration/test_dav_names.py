"""Awkward names on every server of the bed, and a listing of thousands of entries streamed.

Each name is created with ``upload`` (or ``mkcol``), must appear on the server's disk exactly
as written, come back from ``ls`` as the same decoded name, and the listed
:class:`DAVResponse` must work unchanged as the target of ``info``, ``download``, ``move``
and ``delete`` (RFC 3986 quoting out, RFC 4918 section 8.3 href resolution in).
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from servers.common import ServerBase, chown_tree, service_user_ids

from requests_dav.dav.session import DAVSession

SERVERS = [
    pytest.param("wsgidav_server", id="wsgidav"),
    pytest.param("apache_server", marks=pytest.mark.needs_apache, id="apache"),
    pytest.param("nginx_server", marks=pytest.mark.needs_nginx, id="nginx"),
    pytest.param("rclone_server", marks=pytest.mark.needs_rclone, id="rclone"),
]

NAMES = [
    "sp ace.txt",
    " leading space.txt",
    "trailing space .txt",
    "per%cent.txt",
    "100%25.txt",  # looks like an escape: must stay a literal "%25"
    "a%2Fb.txt",  # looks like an escaped slash
    "hash#tag.txt",
    "q?mark.txt",
    "plus+sign.txt",
    "semi;colon.txt",
    "amp&eq=.txt",
    "quote'paren(1).txt",
    "brackets[1]{2}.txt",
    "at@colon:comma,dollar$.txt",
    "tilde~.txt",
    "trailing.",
    "...",
    "ünïcödé€.txt",
    "日本語 ファイル.txt",
    "emoji 😀.txt",
]
COLLECTIONS = ["dir with space/", "d#ir?;+%/", "ü €/"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> ServerBase:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def scratch(server: ServerBase) -> Iterator[tuple[DAVSession, Path]]:
    name = f"n-{uuid.uuid4().hex[:12]}"
    with DAVSession(server.url("open")) as root:
        root.mkcol(name + "/")
    with DAVSession(server.url("open", name + "/")) as session:
        yield session, server.root("open") / name


def names_of(dav: DAVSession, path: str = "") -> list[str]:
    return sorted(dav.path(item) for item in dav.ls(path))


def listed(server: ServerBase, names: list[str]) -> list[str]:
    """What a listing shows: nginx's dav_ext leaves names starting with "." out of PROPFIND
    answers (the files are there and every other method reaches them)."""
    if server.name == "nginx":
        return sorted(n for n in names if not n.startswith("."))
    return sorted(names)


def move_target(server: ServerBase, name: str) -> str:
    """WsgiDAV 4.4 percent-decodes the Destination header *before* splitting it as a URL, so
    an (encoded) "?" or ";" in a destination name cuts the name short; avoid those there."""
    if server.name == "wsgidav":
        name = name.replace("?", "_").replace(";", "_")
    return "moved " + name


def test_awkward_file_names_round_trip(
    scratch: tuple[DAVSession, Path], server: ServerBase
) -> None:
    dav, disk = scratch
    for name in NAMES:
        assert dav.upload(name.encode("utf-8"), name).created
    assert sorted(p.name for p in disk.iterdir()) == sorted(NAMES)
    assert names_of(dav) == listed(server, NAMES)
    for name in NAMES:  # by name, also what a listing may hide
        assert dav.info(name).path.endswith("/" + name)
        assert dav.get(name).content == name.encode("utf-8")

    for item in dav.ls(""):
        name = dav.path(item)
        assert dav.info(item).path == item.path
        assert dav.info(name).path == item.path
        out = io.BytesIO()
        dav.download(item, out)
        assert out.getvalue() == name.encode("utf-8")
        moved = dav.move(item, move_target(server, name))
        assert moved.status in (201, 204)
    targets = [move_target(server, n) for n in listed(server, NAMES)]
    assert names_of(dav) == sorted(targets)
    assert sorted(p.name for p in disk.iterdir()) == sorted(
        targets + [n for n in NAMES if n not in listed(server, NAMES)]
    )

    for item in dav.ls(""):
        dav.delete(item)
    for name in set(NAMES) - set(listed(server, NAMES)):
        dav.delete(name)
    assert names_of(dav) == []
    assert list(disk.iterdir()) == []


def test_awkward_collection_names_round_trip(scratch: tuple[DAVSession, Path]) -> None:
    dav, disk = scratch
    for collection in COLLECTIONS:
        dav.makedirs(collection + "inner " + collection)
        dav.upload(b"x", collection + "inner " + collection + "f #1.txt")
    assert sorted(p.name + "/" for p in disk.iterdir()) == sorted(COLLECTIONS)
    listed = sorted(dav.path(item) for item in dav.ls("", recursive=True))
    expected = sorted(
        [c for c in COLLECTIONS]
        + [c + "inner " + c for c in COLLECTIONS]
        + [c + "inner " + c + "f #1.txt" for c in COLLECTIONS]
    )
    assert listed == expected
    for item in dav.ls(""):
        assert item.is_collection
        assert [dav.path(x) for x in dav.ls(item)] == [dav.path(item) + "inner " + dav.path(item)]
        copied = dav.copy(item, dav.path(item).rstrip("/") + " copy/")
        assert copied.status in (201, 204)
    for item in dav.ls(""):
        dav.rmtree(item)
    assert names_of(dav) == []


LISTING_SIZE = 3000
#: rclone runs with --dir-cache-time 0s (so files written to disk show up at once), which
#: makes it list the directory again for every entry of a PROPFIND: quadratic, about 4 s for
#: 300 entries. It gets a smaller listing; the others get the full one.
RCLONE_LISTING_SIZE = 300


def test_thousands_of_entries_streamed(
    scratch: tuple[DAVSession, Path], server: ServerBase
) -> None:
    dav, disk = scratch
    size = RCLONE_LISTING_SIZE if server.name == "rclone" else LISTING_SIZE
    big = disk / "big"
    big.mkdir()
    expected = set()
    for index in range(size):
        name = f"entry {index:05d} #ü%.txt"
        (big / name).write_bytes(b"x" * (index % 7))
        expected.add(name)
    # Apache and nginx workers run as www-data; files made here are root's.
    owner = service_user_ids("www-data") if server.name in ("apache", "nginx") else None
    chown_tree(big, owner)
    os.utime(big)  # rclone caches directory listings by modification time

    seen = set()
    sizes = 0
    with dav.iter_propfind("big/", ["getcontentlength", "resourcetype"], depth=1) as stream:
        for item in stream:
            if item.is_collection:
                continue
            seen.add(dav.path(item).split("/", 1)[1])
            sizes += item.content_length or 0
    assert seen == expected
    assert sizes == sum(index % 7 for index in range(size))

    # stopping early closes the response; the session goes on working
    stream = dav.iter_propfind("big/", ["resourcetype"], depth=1)
    first = [next(stream) for _ in range(5)]
    stream.close()
    assert len(first) == 5
    assert stream.response.raw is None or stream.response.raw.closed
    assert dav.exists("big/")
    shutil.rmtree(big)
