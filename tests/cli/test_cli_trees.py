"""``put -r``/``get -r``, resumed and atomic transfers, ``--lock-token``, and the command
line's edges (broken pipe, prompts without a terminal, hints, the share root, the demo).

Against the embedded DemoServer (WsgiDAV, Digest), in process with click's runner or as
``python -m requests_dav`` where a real process matters (pipes, signals, terminals).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, Optional

import click
import pytest
import requests

from requests_dav.cli import EXIT_AUTH, EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_USAGE
from requests_dav.cli import app as cli_app
from requests_dav.cli.errors import classify
from requests_dav.demo.server import DemoServer

from .test_cli import PASSWORD, USER, out_json, run


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(username=USER, password=PASSWORD) as demo:
        yield demo


@pytest.fixture
def area(server: DemoServer) -> tuple[str, Path]:
    """A fresh collection for one test: its URL (with trailing slash) and directory."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    directory = server.root / name
    directory.mkdir()
    return f"{server.url}{name}/", directory


TREE: Dict[str, bytes] = {
    "sp ace.txt": b"space",
    "per%cent.txt": b"percent",
    "hash#tag.txt": b"hash",
    "q?mark.txt": b"question",
    "ünï €/日本語 😀.txt": "日本語".encode(),
    "deep/er/file #1.bin": bytes(range(256)) * 300,
}


def _make(base: Path) -> None:
    for name, data in TREE.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(data)


def _files(base: Path) -> Dict[str, bytes]:
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _env(password: Optional[str] = PASSWORD) -> Dict[str, str]:
    env = dict(os.environ, NETRC="/nonexistent/netrc", NO_PROXY="127.0.0.1,localhost")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "REQUESTS_DAV_USER"):
        env.pop(name, None)
    env.pop("REQUESTS_DAV_PASSWORD", None)
    if password is not None:
        env["REQUESTS_DAV_PASSWORD"] = password
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "requests_dav", *args]


# -- trees ----------------------------------------------------------------------------------


def test_put_r_and_get_r_round_trip_with_a_json_summary(
    area: tuple[str, Path], tmp_path: Path
) -> None:
    url, directory = area
    local = tmp_path / "up"
    _make(local)
    up = out_json(run(["--json", "put", "-r", "-j", "3", str(local), url + "tree/"]))
    assert (up["files"], up["skipped"], up["failed"]) == (len(TREE), 0, [])
    assert up["bytes"] == sum(len(v) for v in TREE.values())
    assert _files(directory / "tree") == TREE

    back = tmp_path / "down"
    down = out_json(run(["--json", "get", "-r", "-j", "2", url + "tree/", str(back)]))
    assert (down["files"], down["skipped"], down["failed"]) == (len(TREE), 0, [])
    assert _files(back) == TREE

    again = out_json(run(["--json", "put", "-r", "--skip-unchanged", str(local), url + "tree/"]))
    assert (again["files"], again["skipped"]) == (0, len(TREE))
    again = out_json(run(["--json", "get", "-r", "--skip-unchanged", url + "tree/", str(back)]))
    assert (again["files"], again["skipped"]) == (0, len(TREE))


def test_get_of_a_collection_without_r_is_refused(area: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = area
    (directory / "sub").mkdir()
    result = run(["get", url + "sub/", str(tmp_path / "index.html")])
    assert result.exit_code == EXIT_USAGE
    assert "get -r" in result.stderr
    assert not (tmp_path / "index.html").exists()


def test_get_continue_appends_to_the_partial_file(area: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = area
    data = os.urandom(300_000)
    (directory / "big.bin").write_bytes(data)
    auth = requests.auth.HTTPDigestAuth(USER, PASSWORD)
    with requests.get(url + "big.bin", auth=auth, timeout=30, stream=True) as response:
        validator = response.headers["ETag"]
    target = tmp_path / "big.bin"
    # a partial file whose bytes differ from the server's: a resumed download keeps them
    (tmp_path / ".big.bin.rdpart").write_bytes(b"K" * 1000)
    (tmp_path / ".big.bin.rdpart.rdpart-validator").write_text(validator)
    result = run(["get", "--continue", url + "big.bin", str(target)])
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == b"K" * 1000 + data[1000:]
    assert not (tmp_path / ".big.bin.rdpart").exists()


# -- put from stdin, interrupted --------------------------------------------------------------


def _interrupted_put(server: DemoServer, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        _cli("--user", USER, "put", *extra, "-", url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=False,
    )
    assert process.stdin is not None
    process.stdin.write(b"partial body " * 20000)
    process.stdin.flush()
    deadline = time.monotonic() + 20
    while not any(r.method == "PUT" for r in server.records[-3:]) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, out.decode(), err.decode())


def test_interrupted_put_from_stdin_says_what_the_server_holds(
    server: DemoServer, area: tuple[str, Path]
) -> None:
    url, directory = area
    done = _interrupted_put(server, url + "stream.txt")
    assert done.returncode == 130, done.stderr
    assert "upload interrupted after" in done.stderr
    assert "not the complete upload" in done.stderr
    held = directory / "stream.txt"
    expected = f"holds {held.stat().st_size} bytes" if held.exists() else "holds nothing"
    assert expected in done.stderr


def test_interrupted_atomic_put_leaves_the_target_alone(
    server: DemoServer, area: tuple[str, Path]
) -> None:
    url, directory = area
    (directory / "keep.txt").write_bytes(b"the old content")
    done = _interrupted_put(server, url + "keep.txt", "--atomic")
    assert done.returncode == 130, done.stderr
    assert "unchanged" in done.stderr
    assert (directory / "keep.txt").read_bytes() == b"the old content"


# -- locks across invocations ---------------------------------------------------------------


def test_lock_token_lets_a_later_command_write(area: tuple[str, Path]) -> None:
    url, directory = area
    (directory / "doc.txt").write_bytes(b"v1")
    locked = run(["lock", url + "doc.txt"])
    assert locked.exit_code == 0, locked.stderr
    token = locked.stdout.strip()
    refused = run(["put", "-", url + "doc.txt"], input=b"v2")
    assert refused.exit_code == EXIT_CONFLICT and "423" in refused.stderr
    accepted = run(["put", "--lock-token", token, "-", url + "doc.txt"], input=b"v2")
    assert accepted.exit_code == 0, accepted.stderr
    assert (directory / "doc.txt").read_bytes() == b"v2"
    props = run(["props", url + "doc.txt", "--set", "{urn:x}k=v", "--lock-token", token])
    assert props.exit_code == 0, props.stderr
    removed = run(["rm", "--lock-token", token, url + "doc.txt"])
    assert removed.exit_code == 0, removed.stderr


# -- edges ----------------------------------------------------------------------------------


def test_broken_pipe_exits_quietly(server: DemoServer, area: tuple[str, Path]) -> None:
    url, directory = area
    for index in range(1200):  # a listing well beyond a pipe's 64 KiB buffer
        (directory / f"{'long file name ' * 5}{index:04}.txt").write_bytes(b"x")
    reader = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    lister = subprocess.run(
        _cli("--user", USER, "ls", url), stdout=reader.stdin, stderr=subprocess.PIPE, env=_env()
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(timeout=10)
    assert lister.returncode == 141
    assert lister.stderr == b""


def test_password_prompt_without_a_terminal_is_one_line_and_exit_4(server: DemoServer) -> None:
    done = subprocess.run(
        _cli("--user", USER, "ls", server.url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(password=None),
    )
    assert done.returncode == EXIT_AUTH
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "REQUESTS_DAV_PASSWORD" in lines[0]
    assert "Warning" not in done.stderr and "Aborted" not in done.stderr


def test_ctrl_c_at_the_password_prompt_exits_130(
    server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> str:
        raise click.exceptions.Abort

    monkeypatch.setattr(cli_app, "_stdin_is_terminal", lambda: True)
    monkeypatch.setattr(cli_app.click, "prompt", interrupted)
    result = run(["ls", server.url], password=None)
    assert result.exit_code == 130


def test_hints_say_what_happened(area: tuple[str, Path]) -> None:
    url, directory = area
    nested = run(["mkdir", url + "a/b/c/"])
    assert nested.exit_code == EXIT_CONFLICT and "mkdir -p" in nested.stderr
    assert run(["mkdir", url + "there/"]).exit_code == 0
    again = run(["mkdir", url + "there/"])
    assert "already exists" in again.stderr
    (directory / "f.txt").write_bytes(b"1")
    create = run(["put", "--create-only", "-", url + "f.txt"], input=b"2")
    assert create.exit_code == EXIT_CONFLICT and "exists" in create.stderr
    missing = run(["rm", url + "nope.txt"])
    assert missing.exit_code == EXIT_NOT_FOUND
    assert "PROPFIND" not in missing.stderr and "nope.txt" in missing.stderr
    bare = run(["props", url + "f.txt", "--set", "getetag=x"])
    assert bare.exit_code != 0
    assert "{DAV:}" in bare.stderr and "namespace" in bare.stderr


def test_rm_r_of_the_share_root_needs_force(server: DemoServer, area: tuple[str, Path]) -> None:
    url, directory = area
    refused = run(["rm", "-r", server.url])
    assert refused.exit_code == EXIT_USAGE and "--force" in refused.stderr
    assert directory.exists()
    (directory / "sub").mkdir()
    assert run(["rm", "-r", url + "sub/"]).exit_code == 0  # not a root: no question
    assert not (directory / "sub").exists()


def test_etags_and_collections_have_one_spelling(area: tuple[str, Path]) -> None:
    url, directory = area
    put = out_json(run(["--json", "put", "-", url + "e.txt"], input=b"etag"))
    (directory / "c").mkdir()
    listing = out_json(run(["--json", "ls", url]))
    entries = {e["name"]: e for e in listing["entries"]}
    assert entries["e.txt"]["etag"] == put["etag"]
    assert put["etag"].startswith('"') and put["etag"].endswith('"')
    assert entries["c/"]["type"] == "collection"
    props = out_json(run(["--json", "props", url + "e.txt"]))
    assert props["properties"]["{DAV:}getetag"] == put["etag"]


def test_messages_never_name_an_exception_class() -> None:
    assert classify(RuntimeError("the demo server needs it")).message == "the demo server needs it"
    failure = classify(requests.exceptions.ChunkedEncodingError("body cut short"))
    assert "Error" not in failure.message and "body cut short" in failure.message


# -- the demo -------------------------------------------------------------------------------


def test_demo_options_and_usage() -> None:
    help_text = run(["demo", "--help"], user=None).stdout
    for meaningless in ("--insecure", "--ca-bundle", "--timeout"):
        assert meaningless not in help_text
    assert "--user" in help_text
    alone = run(["demo", "--no-walkthrough"], user=None)
    assert alone.exit_code == EXIT_USAGE and "--serve" in alone.stderr


def test_demo_busy_port_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run(["demo", "--port", str(port)], user=None)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--port" in lines[0] and "in use" in lines[0]


def test_demo_serve_takes_user_suggests_real_files_and_cleans_up_on_sigterm() -> None:
    process = subprocess.Popen(
        _cli("--user", "alice", "demo", "--serve", "--no-walkthrough"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(password=None),
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    text = "".join(lines)
    assert "user:     alice" in text and "--user alice" in text
    assert "generated.bin" not in text and "props" in text
    root = Path(next(x for x in lines if "files in:" in x).split("files in:")[1].strip())
    assert root.is_dir()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert not root.exists()


def test_json_error_document_for_a_tree_failure(area: tuple[str, Path], tmp_path: Path) -> None:
    url, _directory = area
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_bytes(b"a")
    result = run(["--json", "put", "-r", str(tmp_path / "x"), url + "missing/parent/dest/"])
    assert result.exit_code == 0, result.stderr  # parents are created, in order
    document = json.loads(result.stdout)
    assert document["files"] == 1


@pytest.mark.parametrize(("connections", "kept"), [(1, 10), (10, 10), (16, 16), (64, 64)])
def test_the_session_keeps_a_connection_for_every_job(connections: int, kept: int) -> None:
    from requests_dav.cli.app import State

    current = State()
    session = current.session("http://127.0.0.1:9/dav/", connections=connections)
    try:
        adapter = session.get_adapter("http://127.0.0.1:9/dav/")
        assert adapter._pool_maxsize == kept
        assert adapter.poolmanager.connection_pool_kw["maxsize"] == kept
    finally:
        session.close()
