"""Tree transfers, atomic and resumed downloads, atomic uploads, on every server of the bed.

A tree of awkward names (spaces, ``%``, ``#``, ``?``, non-ASCII, emoji) goes up with
``upload_tree`` and must be on the server's disk byte for byte, come back down with
``download_tree`` identical, and a second run with a skip rule must transfer nothing.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from servers.common import ALICE, ALICE_PASSWORD, ServerBase

from requests_dav import DAVSession
from requests_dav.dav.transfers import partial_path
from requests_dav.dav.trees import TreeProgress

SERVERS = [
    pytest.param("wsgidav_server", id="wsgidav"),
    pytest.param("apache_server", marks=pytest.mark.needs_apache, id="apache"),
    pytest.param("nginx_server", marks=pytest.mark.needs_nginx, id="nginx"),
    pytest.param("rclone_server", marks=pytest.mark.needs_rclone, id="rclone"),
]

TREE: Dict[str, bytes] = {
    "sp ace.txt": b"space",
    "per%cent 100%25.txt": b"percent",
    "hash#tag.txt": b"hash",
    "q?mark.txt": b"question",
    "ünïcödé €/日本語 ファイル.txt": "日本語".encode(),
    "ünïcödé €/emoji 😀.txt": "😀".encode(),
    "d#ir?;+%/deeper dir/file #1.txt": b"x" * 70000,
    "d#ir?;+%/deeper dir/empty.bin": b"",
}
EMPTY_DIRS = ["empty dir 📁"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> ServerBase:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def scratch(server: ServerBase) -> Iterator[tuple[DAVSession, Path]]:
    name = f"tree-{uuid.uuid4().hex[:12]}"
    with DAVSession(server.url("open")) as root:
        root.mkcol(name + "/")
    with DAVSession(server.url("open", name + "/")) as session:
        yield session, server.root("open") / name


def make_tree(base: Path, tree: Dict[str, bytes] = TREE) -> None:
    for name, data in tree.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for name in EMPTY_DIRS:
        (base / name).mkdir(parents=True, exist_ok=True)


def files_below(base: Path) -> Dict[str, bytes]:
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def dirs_below(base: Path) -> List[str]:
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_dir())


def test_tree_round_trips_with_awkward_names(
    scratch: tuple[DAVSession, Path], tmp_path: Path
) -> None:
    dav, disk = scratch
    local = tmp_path / "up"
    make_tree(local)
    seen: List[TreeProgress] = []
    result = dav.upload_tree(local, "dest/", workers=4, progress=seen.append)
    assert result.ok, result.failed
    assert result.files == len(TREE)
    assert result.bytes == sum(len(d) for d in TREE.values())
    assert files_below(disk / "dest") == TREE
    assert dirs_below(disk / "dest") == dirs_below(local)
    last = seen[-1]
    assert (last.files_done, last.files_total) == (len(TREE), len(TREE))
    assert last.bytes_done == last.bytes_total == result.bytes
    assert all(a.bytes_done <= a.bytes_total for a in seen)

    back = tmp_path / "down"
    result = dav.download_tree("dest/", back, workers=3)
    assert result.ok, result.failed
    assert result.files == len(TREE)
    assert files_below(back) == TREE
    assert dirs_below(back) == dirs_below(local)


def test_second_run_with_size_mtime_rule_transfers_only_what_changed(
    scratch: tuple[DAVSession, Path], tmp_path: Path
) -> None:
    dav, disk = scratch
    local = tmp_path / "up"
    make_tree(local)
    assert dav.upload_tree(local, "t/", skip_unchanged=True).files == len(TREE)
    again = dav.upload_tree(local, "t/", skip_unchanged=True)
    assert (again.files, again.skipped) == (0, len(TREE))

    changed = local / "sp ace.txt"
    changed.write_bytes(b"a longer content now")
    later = os.stat(changed).st_mtime + 5
    os.utime(changed, (later, later))
    third = dav.upload_tree(local, "t/", skip_unchanged="size-mtime")
    assert (third.files, third.skipped) == (1, len(TREE) - 1)
    assert (disk / "t" / "sp ace.txt").read_bytes() == b"a longer content now"

    back = tmp_path / "down"
    assert dav.download_tree("t/", back, skip_unchanged=True).files == len(TREE)
    repeat = dav.download_tree("t/", back, skip_unchanged=True)
    assert (repeat.files, repeat.skipped) == (0, len(TREE))


def test_etag_rule_fetches_a_file_changed_on_the_server(
    scratch: tuple[DAVSession, Path], tmp_path: Path
) -> None:
    dav, _disk = scratch
    dav.upload_tree(_small_tree(tmp_path / "src"), "e/")
    manifest = tmp_path / "manifest.json"
    back = tmp_path / "down"
    first = dav.download_tree("e/", back, skip_unchanged="etag", manifest=manifest)
    assert (first.files, first.skipped) == (3, 0)
    second = dav.download_tree("e/", back, skip_unchanged="etag", manifest=manifest)
    assert (second.files, second.skipped) == (0, 3)
    dav.upload(b"changed on the server", "e/b.txt")
    third = dav.download_tree("e/", back, skip_unchanged="etag", manifest=manifest)
    assert (third.files, third.skipped) == (1, 2)
    assert (back / "b.txt").read_bytes() == b"changed on the server"


def _small_tree(base: Path) -> Path:
    base.mkdir(parents=True)
    for name in ("a.txt", "b.txt", "c.txt"):
        (base / name).write_bytes(name.encode() * 10)
    return base


class _Stop(Exception):
    pass


def _stop_after(limit: int):  # type: ignore[no-untyped-def]
    def progress(done: int, total: object) -> None:
        if done >= limit:
            raise _Stop

    return progress


BIG = bytes(range(256)) * 4096 * 4  # 4 MiB: several of the download's 1 MiB chunks


def test_interrupted_download_leaves_no_file_and_resumes_with_if_range(
    scratch: tuple[DAVSession, Path], tmp_path: Path, server: ServerBase
) -> None:
    dav, _disk = scratch
    dav.upload(BIG, "big.bin")
    if server.name == "apache":
        # Apache makes the ETag weak for a file modified within the last second, and a weak
        # validator cannot be used for a range (RFC 9110 section 13.1.5): it would start over
        time.sleep(1.1)
    target = tmp_path / "big.bin"
    with pytest.raises(_Stop):
        dav.download("big.bin", target, progress=_stop_after(200_000))
    assert not target.exists()
    partial = Path(partial_path(target))
    kept = partial.stat().st_size
    assert 0 < kept < len(BIG)

    mark = server.mark() if server.name != "rclone" else None
    seen: List[int] = []
    assert dav.download("big.bin", target, progress=lambda d, t: seen.append(d), resume=True)
    assert target.read_bytes() == BIG
    assert not partial.exists()
    assert seen[0] == kept  # continued, not started over
    if mark is not None:
        records = server.requests_since(mark, at_least=1)
        assert [r.status for r in records if r.method == "GET"] == [206]


def test_resume_starts_over_when_the_file_changed(
    scratch: tuple[DAVSession, Path], tmp_path: Path
) -> None:
    dav, _disk = scratch
    dav.upload(BIG, "big.bin")
    target = tmp_path / "big.bin"
    with pytest.raises(_Stop):
        dav.download("big.bin", target, progress=_stop_after(200_000))
    changed = BIG[::-1] + b"tail"
    dav.upload(changed, "big.bin")
    seen: List[int] = []
    written = dav.download("big.bin", target, progress=lambda d, t: seen.append(d), resume=True)
    assert written == len(changed)
    assert target.read_bytes() == changed
    assert seen[0] == 0


def test_atomic_upload_never_leaves_a_truncated_target(
    scratch: tuple[DAVSession, Path],
) -> None:
    dav, disk = scratch

    def broken() -> Iterator[bytes]:
        yield b"first part, "
        raise _Stop

    with pytest.raises(_Stop):
        dav.upload(broken(), "atomic.txt", atomic=True)
    assert not (disk / "atomic.txt").exists()
    # the temporary upload is deleted; a server still writing it then (rclone) may keep it
    left = [p.name for p in disk.iterdir()]
    assert all(n.startswith(".atomic.txt.") and n.endswith(".rdupload") for n in left), left
    for name in left:
        (disk / name).unlink()

    result = dav.upload(iter([b"whole ", b"body"]), "atomic.txt", atomic=True)
    assert result.created
    assert (disk / "atomic.txt").read_bytes() == b"whole body"
    assert [p.name for p in disk.iterdir()] == ["atomic.txt"]
    replaced = dav.upload(b"new", "atomic.txt", atomic=True)
    assert not replaced.created
    assert (disk / "atomic.txt").read_bytes() == b"new"


@pytest.mark.needs_apache
def test_parallel_tree_upload_answers_one_challenge(
    apache_server: ServerBase, tmp_path: Path
) -> None:
    name = f"tree-{uuid.uuid4().hex[:12]}/"
    local = tmp_path / "many"
    local.mkdir()
    for index in range(24):
        (local / f"f{index:02}.txt").write_bytes(b"%d" % index * 100)
    url = apache_server.url("digest", "")
    mark = apache_server.mark()
    with DAVSession(url, auth=(ALICE, ALICE_PASSWORD)) as dav:
        result = dav.upload_tree(local, name, workers=8)
    assert result.ok, result.failed
    assert result.files == 24
    records = apache_server.requests_since(mark, at_least=26)
    assert sum(1 for r in records if r.status == 401) == 1
    on_disk = apache_server.root("digest") / name
    assert sorted(p.name for p in on_disk.iterdir()) == sorted(p.name for p in local.iterdir())


def test_download_tree_refuses_a_file_and_names_outside_the_tree(
    scratch: tuple[DAVSession, Path], tmp_path: Path
) -> None:
    dav, _disk = scratch
    dav.upload(b"x", "file.txt")
    with pytest.raises(Exception, match="not a collection"):
        dav.download_tree("file.txt", tmp_path / "x")
