"""DAVFileSystem on the test bed: paths and URLs, listings, reads by Range, streamed writes,
server-side copies and moves, locks, pickling (RFC 4918, RFC 9110 sections 13-14)."""

from __future__ import annotations

import io
import pickle
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

fsspec = pytest.importorskip("fsspec")

from fsspec.callbacks import Callback  # noqa: E402
from servers.common import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, HOST  # noqa: E402

from requests_dav import DAVSession  # noqa: E402
from requests_dav.fs import (  # noqa: E402
    DAVFileSystem,
    DAVSFileSystem,
    RangeNotSupportedWarning,
)

from .support import host_of, make_fs, unique_dir  # noqa: E402


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0]


def disk(server: Any, path: str) -> Path:
    """The file on the server's disk behind an fsspec path ``host/share/rest``."""
    _host, share, rest = path.split("/", 2)
    return Path(server.root(share)) / rest


# -- registration, paths, options ------------------------------------------------------------


def test_protocols_are_registered_through_the_entry_point() -> None:
    assert fsspec.get_filesystem_class("dav") is DAVFileSystem
    assert fsspec.get_filesystem_class("davs") is DAVSFileSystem
    assert DAVFileSystem._strip_protocol("dav://h:1/a/b/") == "h:1/a/b"
    assert DAVFileSystem._get_kwargs_from_urls("davs://h:1/a") == {"host": "h:1"}


def test_fsspec_open_with_a_full_url(wsgidav_server: Any) -> None:
    base = unique_dir(wsgidav_server, "basic")
    url = f"dav://{base}/dir/ü b#1.txt"
    options = {"auth": (BOB, BOB_PASSWORD), "skip_instance_cache": True}
    with fsspec.open(url, "wb", **options) as handle:
        handle.write(b"hello")
    assert disk(wsgidav_server, base + "/dir/ü b#1.txt").read_bytes() == b"hello"
    with fsspec.open(url, "rb", **options) as handle:
        assert handle.read() == b"hello"


def test_a_path_on_another_host_is_refused(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    with pytest.raises(ValueError, match="not on"):
        fs.ls("127.0.0.2:80/basic")


def test_a_davs_url_is_never_sent_over_http(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    with pytest.raises(ValueError, match="not on"):
        fs.cat_file(f"davs://{host_of(wsgidav_server)}/basic/x")
    assert DAVSFileSystem._strip_protocol("davs://h:1/a") == "h:1/a"


def test_the_first_path_binds_a_filesystem_without_host(wsgidav_server: Any) -> None:
    fs = DAVFileSystem(auth=(ALICE, ALICE_PASSWORD), skip_instance_cache=True)
    assert fs.exists(host_of(wsgidav_server) + "/basic")
    assert fs.host == host_of(wsgidav_server)
    with pytest.raises(ValueError):
        fs.exists("localhost:1/basic")


def test_instances_are_cached_by_options(wsgidav_server: Any) -> None:
    one = fsspec.filesystem("dav", host=host_of(wsgidav_server), auth=(ALICE, ALICE_PASSWORD))
    two = fsspec.filesystem("dav", host=host_of(wsgidav_server), auth=(ALICE, ALICE_PASSWORD))
    other = fsspec.filesystem("dav", host=host_of(wsgidav_server), auth=(BOB, BOB_PASSWORD))
    assert one is two
    assert other is not one


def test_a_wrong_password_is_a_permission_error(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server, auth=(ALICE, "wrong"))
    with pytest.raises(PermissionError):
        fs.ls(host_of(wsgidav_server) + "/basic")


@pytest.mark.needs_apache
def test_davs_with_verify_and_a_ready_session(apache_server: Any) -> None:
    host = f"{HOST}:{apache_server.https_port}"
    fs = DAVSFileSystem(
        host=host,
        auth=(ALICE, ALICE_PASSWORD),
        verify=apache_server.ca_cert,
        timeout=10,
        skip_instance_cache=True,
    )
    path = f"{host}/digest/fs-{id(fs)}.txt"
    fs.pipe_file(path, b"over tls")
    assert fs.session.base_url.startswith("https://")
    session = DAVSession(f"https://{host}/", auth=(ALICE, ALICE_PASSWORD))
    session.verify = apache_server.ca_cert
    ready = DAVSFileSystem(session=session, skip_instance_cache=True)
    assert ready.host == host
    assert ready.cat_file(path) == b"over tls"
    ready.rm(path)


@pytest.mark.needs_squid
def test_proxies_and_replay_limit_reach_the_session(apache_server: Any, squid_basic: Any) -> None:
    fs = make_fs(
        apache_server, proxies=squid_basic.proxies(ALICE, ALICE_PASSWORD), max_replay_bytes=12345
    )
    path = unique_dir(apache_server, "digest") + ".txt"  # Digest at the origin, Basic at squid
    mark = squid_basic.mark()
    fs.pipe_file(path, b"through the proxy")
    assert fs.cat_file(path) == b"through the proxy"
    methods = [r.method for r in squid_basic.requests_since(mark, at_least=2)]
    assert "PUT" in methods and "GET" in methods
    assert fs.session.adapter.max_replay_bytes == 12345


def test_the_timeout_applies_to_every_request() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind((HOST, 0))
        silent.listen(4)
        fs = DAVFileSystem(host=f"{HOST}:{silent.getsockname()[1]}", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            fs.ls(f"{HOST}:{silent.getsockname()[1]}/x")
        assert time.monotonic() - started < 5


# -- listings ----------------------------------------------------------------------------------


def test_ls_details_come_from_the_multistatus(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    base = unique_dir(wsgidav_server, "basic")
    fs.pipe_file(base + "/a.csv", b"x,y\n1,2\n")
    fs.mkdir(base + "/sub")
    entries = {e["name"]: e for e in fs.ls(base, detail=True)}
    assert set(entries) == {base + "/a.csv", base + "/sub"}
    csv = entries[base + "/a.csv"]
    assert csv["type"] == "file" and csv["size"] == 8
    assert csv["etag"] and csv["mtime"] is not None
    assert csv["content_type"].startswith("text/csv")
    assert entries[base + "/sub"]["type"] == "directory"
    assert fs.modified(base + "/a.csv") == csv["mtime"]
    assert fs.created(base + "/a.csv") is not None
    assert fs.ukey(base + "/a.csv") == csv["etag"]
    assert fs.isfile(base + "/a.csv") and fs.isdir(base + "/sub")
    assert not fs.exists(base + "/missing")


def test_the_directory_cache_serves_ls_and_writes_invalidate_it(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    base = unique_dir(wsgidav_server, "basic")
    fs.pipe_file(base + "/one", b"1")
    fs.ls(base)
    mark = wsgidav_server.mark()
    assert fs.ls(base, detail=False) == [base + "/one"]
    assert fs.info(base + "/one")["size"] == 1
    assert wsgidav_server.requests_since(mark) == []
    fs.pipe_file(base + "/two", b"22")
    assert sorted(fs.ls(base, detail=False)) == [base + "/one", base + "/two"]
    fs.rm(base + "/one")
    assert fs.ls(base, detail=False) == [base + "/two"]


def _tree(server: Any, share: str = "basic") -> tuple[DAVFileSystem, str]:
    """A filesystem with nothing cached and a tree ``a``, ``d/b``, ``d/e/c`` to list."""
    fs = make_fs(server)
    base = unique_dir(server, share)
    for name in ("a", "d/b", "d/e/c"):
        fs.pipe_file(f"{base}/{name}", b"x")
    fs.invalidate_cache()
    return fs, base


def test_find_is_one_depth_infinity_propfind_where_allowed(wsgidav_server: Any) -> None:
    fs, base = _tree(wsgidav_server)
    mark = wsgidav_server.mark()
    assert fs.find(base) == [f"{base}/a", f"{base}/d/b", f"{base}/d/e/c"]
    assert [r.method for r in wsgidav_server.requests_since(mark)] == ["PROPFIND"]
    # the one answer filled the cache for every level
    assert fs.glob(base + "/d/**") and wsgidav_server.requests_since(mark, at_least=1)[1:] == []


@pytest.mark.needs_php
def test_find_descends_where_infinity_is_served_as_depth_1(sabredav_server: Any) -> None:
    fs, base = _tree(sabredav_server, "digest")
    mark = sabredav_server.mark()
    assert fs.find(base) == [f"{base}/a", f"{base}/d/b", f"{base}/d/e/c"]
    # one answer with only the first level, then Depth 1 for d and d/e
    assert [r.method for r in sabredav_server.requests_since(mark, at_least=3)] == ["PROPFIND"] * 3


@pytest.mark.needs_apache
def test_find_walks_level_by_level_where_infinity_is_refused(apache_server: Any) -> None:
    fs, base = _tree(apache_server)
    mark = apache_server.mark()
    assert fs.find(base) == [f"{base}/a", f"{base}/d/b", f"{base}/d/e/c"]
    records = apache_server.requests_since(mark, at_least=4)
    assert Counter((r.method, r.status) for r in records) == {
        ("PROPFIND", 403): 1,  # Depth: infinity refused (DavDepthInfinity Off)
        ("PROPFIND", 207): 3,  # base, d, d/e
    }
    assert fs.find(base, withdirs=True, maxdepth=1) == [base, f"{base}/a", f"{base}/d"]


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.needs_apache
def test_reads_are_range_requests(apache_server: Any) -> None:
    fs = make_fs(apache_server)
    path = unique_dir(apache_server, "basic") + ".bin"
    data = bytes(range(256)) * 4096  # 1 MiB
    fs.pipe_file(path, data)
    mark = apache_server.mark()
    with fs.open(path, "rb", block_size=4096, cache_type="bytes") as handle:
        handle.seek(500_000)
        assert handle.read(10) == data[500_000:500_010]
        handle.seek(-5, 2)
        assert handle.read() == data[-5:]
    assert fs.cat_file(path, start=10, end=20) == data[10:20]
    assert fs.cat_file(path, start=-3) == data[-3:]
    assert fs.cat_file(path, start=5, end=5) == b""
    gets = [r for r in apache_server.requests_since(mark, at_least=4) if r.method == "GET"]
    assert [r.status for r in gets] == [206, 206, 206, 206]


@pytest.fixture(scope="module")
def norange_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """WsgiDAV behind a middleware that drops the Range header: a server without range
    support (RFC 9110 section 14.2 makes it optional)."""
    from cheroot import wsgi
    from servers.wsgidav_server import make_app

    root = tmp_path_factory.mktemp("norange")
    app = make_app("open", root, None, None)

    def no_range(environ: Any, start_response: Any) -> Any:
        environ.pop("HTTP_RANGE", None)
        return app(environ, start_response)

    server = wsgi.Server((HOST, 0), no_range, numthreads=4)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield f"{HOST}:{server.bind_addr[1]}"
    server.stop()
    thread.join(10)


def test_a_server_without_ranges_is_read_sequentially_and_says_so_once(
    norange_server: str,
) -> None:
    fs = DAVFileSystem(host=norange_server, skip_instance_cache=True)
    data = bytes(range(256)) * 1024
    fs.pipe_file(norange_server + "/open/a.bin", data)
    fs.pipe_file(norange_server + "/open/b.bin", data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fs.open(norange_server + "/open/a.bin", "rb", block_size=1000) as handle:
            handle.seek(100_000)
            assert handle.read(5000) == data[100_000:105_000]
            handle.seek(10)
            assert handle.read(10) == data[10:20]
        assert fs.cat_file(norange_server + "/open/b.bin", start=7, end=9) == data[7:9]
    assert [w.category for w in caught] == [RangeNotSupportedWarning]


def test_get_file_reports_progress(wsgidav_server: Any, tmp_path: Path) -> None:
    fs = make_fs(wsgidav_server)
    path = unique_dir(wsgidav_server, "basic") + ".bin"
    fs.pipe_file(path, b"z" * 300_000)

    class Progress(Callback):  # type: ignore[misc]
        updates: list[int] = []

        def call(self, *args: Any, **kwargs: Any) -> None:
            self.updates.append(self.value)

    progress = Progress()
    fs.get_file(path, str(tmp_path / "out" / "x.bin"), callback=progress)
    assert (tmp_path / "out" / "x.bin").read_bytes() == b"z" * 300_000
    assert progress.size == 300_000 and progress.updates[-1] == 300_000


# -- writing -----------------------------------------------------------------------------------


@pytest.mark.needs_apache
def test_a_large_write_is_one_streamed_put(apache_server: Any) -> None:
    fs = make_fs(apache_server)
    path = unique_dir(apache_server, "basic") + "/new/dir/big.bin"
    data = bytes(range(256)) * 2048  # 512 KiB in 64 KiB blocks
    mark = apache_server.mark()
    with fs.open(path, "wb", block_size=1 << 16) as handle:
        for start in range(0, len(data), 10_000):
            handle.write(data[start : start + 10_000])
        assert not disk(apache_server, path).exists()  # committed on close, not before
    assert disk(apache_server, path).read_bytes() == data
    assert fs.ls(_parent(path), detail=False) == [path]  # no temporary file left
    writes = [
        (r.method, r.status, r.content_length)
        for r in apache_server.requests_since(mark, at_least=2)
        if r.method in ("PUT", "MOVE")
    ]
    # one chunked PUT to a temporary name, moved in place on close
    assert writes == [("PUT", 201, None), ("MOVE", 201, 0)]


def test_a_small_write_is_one_put_with_content_length(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    path = unique_dir(wsgidav_server, "basic") + "/small.txt"
    mark = wsgidav_server.mark()
    with fs.open(path, "w") as handle:
        handle.write("hello")
    puts = [r for r in wsgidav_server.requests_since(mark) if r.method == "PUT"]
    assert [(r.status, r.content_length) for r in puts][-1] == (201, 5)
    assert fs.cat_file(path) == b"hello"


@pytest.mark.parametrize("streamed", [False, True])
def test_an_exception_in_the_with_block_writes_nothing(wsgidav_server: Any, streamed: bool) -> None:
    fs = make_fs(wsgidav_server)
    path = unique_dir(wsgidav_server, "basic") + "/partial.bin"
    with pytest.raises(RuntimeError), fs.open(path, "wb", block_size=1 << 16) as handle:
        handle.write(b"x" * (300_000 if streamed else 10))
        raise RuntimeError("the producer failed")
    assert not fs.exists(path)
    folder = disk(wsgidav_server, _parent(path))
    assert not folder.exists() or list(folder.iterdir()) == []  # no temporary file either


@pytest.mark.parametrize("server_name", ["wsgidav_server", "apache_server"])
def test_an_aborted_stream_keeps_the_previous_version(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    if server_name == "apache_server":
        request.applymarker(pytest.mark.needs_apache)
    server = request.getfixturevalue(server_name)
    fs = make_fs(server)
    base = unique_dir(server, "basic")
    fs.pipe_file(base + "/f.bin", b"old version")
    with pytest.raises(RuntimeError), fs.open(base + "/f.bin", "wb", block_size=1 << 16) as f:
        f.write(b"x" * 300_000)
        raise RuntimeError("the producer failed")
    assert fs.cat_file(base + "/f.bin") == b"old version"
    assert [p.name for p in disk(server, base).iterdir()] == ["f.bin"]


@pytest.mark.needs_apache
@pytest.mark.parametrize("size", [10, 300_000])
def test_an_upload_refused_by_the_server_raises_from_close(apache_server: Any, size: int) -> None:
    fs = make_fs(apache_server)
    path = unique_dir(apache_server, "basic") + ".bin"
    fs.pipe_file(path, b"theirs")
    other = DAVSession(apache_server.url("basic"), auth=(BOB, BOB_PASSWORD))
    lock = other.lock(path.split("/basic/", 1)[1], timeout=60)
    try:
        handle = fs.open(path, "wb", block_size=1 << 16)
        handle.write(b"x" * size)
        with pytest.raises(PermissionError, match="locked"):
            handle.close()
        assert handle.closed
        assert disk(apache_server, path).read_bytes() == b"theirs"
    finally:
        other.unlock(lock)


@pytest.mark.needs_apache
def test_writes_carry_the_lock_token_of_the_filesystem(apache_server: Any) -> None:
    fs = make_fs(apache_server)
    path = unique_dir(apache_server, "basic") + ".txt"
    fs.pipe_file(path, b"v1")
    lock = fs.lock(path, timeout=60)
    try:
        stranger = make_fs(apache_server, auth=(BOB, BOB_PASSWORD))
        with pytest.raises(PermissionError):
            stranger.pipe_file(path, b"intruder")
        fs.pipe_file(path, b"v2")
        with fs.open(path, "wb", block_size=1 << 16) as handle:
            handle.write(b"v3" * 100_000)
    finally:
        fs.session.unlock(lock)
    assert disk(apache_server, path).read_bytes() == b"v3" * 100_000


def test_exclusive_create_is_conditional(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    path = unique_dir(wsgidav_server, "basic") + "/x.txt"
    handle = fs.open(path, "xb")
    handle.write(b"mine")
    fs.pipe_file(path, b"raced in first")  # created after the open
    with pytest.raises(FileExistsError):
        handle.close()
    assert fs.cat_file(path) == b"raced in first"
    with pytest.raises(FileExistsError):
        fs.pipe_file(path, b"again", mode="create")


def test_put_file_reports_progress_and_makes_parents(wsgidav_server: Any, tmp_path: Path) -> None:
    fs = make_fs(wsgidav_server)
    local = tmp_path / "data.bin"
    local.write_bytes(b"q" * 200_000)
    path = unique_dir(wsgidav_server, "basic") + "/a/b/data.bin"
    progress = Callback()
    fs.put_file(str(local), path, callback=progress)
    assert progress.size == 200_000 and progress.value == 200_000
    assert disk(wsgidav_server, path).read_bytes() == local.read_bytes()


def test_a_transaction_commits_on_exit(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    base = unique_dir(wsgidav_server, "basic")
    with fs.transaction:
        with fs.open(base + "/t.txt", "wb") as handle:
            handle.write(b"later")
        assert not fs.exists(base + "/t.txt")
    assert fs.cat_file(base + "/t.txt") == b"later"
    assert fs.ls(base, detail=False) == [base + "/t.txt"]


# -- directories, copies, moves ----------------------------------------------------------------


@pytest.mark.needs_apache
def test_copy_and_move_happen_on_the_server(apache_server: Any) -> None:
    fs = make_fs(apache_server)
    base = unique_dir(apache_server, "basic")
    fs.pipe_file(base + "/src/f.bin", b"payload")
    mark = apache_server.mark()
    fs.cp_file(base + "/src/f.bin", base + "/dst/deep/f.bin")
    fs.mv(base + "/src", base + "/moved")
    methods = [r.method for r in apache_server.requests_since(mark, at_least=3)]
    assert "GET" not in methods and "PUT" not in methods
    assert methods.count("COPY") == 2 and methods.count("MOVE") == 1  # COPY retried after 409
    assert fs.cat_file(base + "/dst/deep/f.bin") == b"payload"
    assert fs.cat_file(base + "/moved/f.bin") == b"payload"
    assert not fs.exists(base + "/src")


@pytest.mark.parametrize("server_name", ["wsgidav_server", "apache_server"])
def test_a_collection_read_as_a_file_is_told_by_its_redirect(
    server_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if server_name == "apache_server":
        request.applymarker(pytest.mark.needs_apache)
    server = request.getfixturevalue(server_name)
    fs = make_fs(server)
    base = unique_dir(server, "basic")
    fs.makedirs(base + "/d")
    with pytest.raises(IsADirectoryError):
        make_fs(server).cat_file(base + "/d")  # a fresh filesystem: nothing cached
    make_fs(server).get_file(base + "/d", str(tmp_path / "d"))
    assert (tmp_path / "d").is_dir()


def test_mkdir_makedirs_rmdir_rm(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    base = unique_dir(wsgidav_server, "basic")
    with pytest.raises(FileNotFoundError):
        fs.mkdir(base + "/a/b", create_parents=False)
    fs.makedirs(base + "/a/b")
    with pytest.raises(FileExistsError):
        fs.makedirs(base + "/a/b")
    fs.makedirs(base + "/a/b", exist_ok=True)
    fs.pipe_file(base + "/a/b/f", b"1")
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir(base + "/a/b")
    with pytest.raises(OSError, match="not empty"):
        fs.rm(base + "/a")
    fs.rm_file(base + "/a/b/f")
    fs.rmdir(base + "/a/b")
    fs.pipe_file(base + "/a/c/g", b"2")
    mark = wsgidav_server.mark()
    fs.rm(base, recursive=True)
    assert [r.method for r in wsgidav_server.requests_since(mark)].count("DELETE") == 1
    assert not disk(wsgidav_server, base).exists()
    with pytest.raises(FileNotFoundError):
        fs.rm_file(base + "/nothing")


# -- pickling ----------------------------------------------------------------------------------


def test_a_pickled_filesystem_reconnects_in_another_process(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server, auth=(BOB, BOB_PASSWORD))
    path = unique_dir(wsgidav_server, "basic") + ".txt"
    fs.pipe_file(path, b"from the parent")
    code = textwrap.dedent(
        f"""
        import pickle, sys
        fs = pickle.load(sys.stdin.buffer)
        sys.stdout.write(fs.cat_file({path!r}).decode())
        fs.pipe_file({path!r} + ".child", b"from the child")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(fs),
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == b"from the parent"
    assert fs.cat_file(path + ".child") == b"from the child"


def test_reading_a_file_object_is_io_compatible(wsgidav_server: Any) -> None:
    fs = make_fs(wsgidav_server)
    path = unique_dir(wsgidav_server, "basic") + ".txt"
    fs.pipe_file(path, b"line 1\nline 2\n")
    with fs.open(path, "rb") as handle:
        assert io.BufferedReader(handle).readlines() == [b"line 1\n", b"line 2\n"]
