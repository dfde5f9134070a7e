"""The ``requests-dav`` command line against the embedded DemoServer (WsgiDAV, Digest).

Every subcommand, ``--json`` parsing, the exit codes (not found, authentication,
conflict, network, usage), and that no password or traceback leaks into the output.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence

import pytest
import responses
from click.testing import CliRunner, Result

from requests_dav.cli import (
    EXIT_AUTH,
    EXIT_CONFLICT,
    EXIT_HTTP,
    EXIT_NETWORK,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
)
from requests_dav.cli.commands import cli
from requests_dav.cli.errors import Scrubber, classify
from requests_dav.cli.output import Output, format_size, jsonable
from requests_dav.demo.server import DemoServer

PASSWORD = "Pa55-w0rd-never-printed"
USER = "demo"


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


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()


def run(
    args: Sequence[str],
    *,
    password: Optional[str] = PASSWORD,
    user: Optional[str] = USER,
    input: Optional[str | bytes] = None,
    env: Optional[Dict[str, str]] = None,
) -> Result:
    environment = {
        "NETRC": "/nonexistent/netrc",
        "NO_PROXY": "127.0.0.1,localhost",
        "REQUESTS_DAV_PASSWORD": password,
        "REQUESTS_DAV_USER": None,
        "HTTP_PROXY": None,
        "HTTPS_PROXY": None,
        "http_proxy": None,
        "https_proxy": None,
    }
    environment.update(env or {})
    head = ["--user", user] if user is not None else []
    result = _runner().invoke(cli, [*head, *args], input=input, env=environment)
    assert "Traceback" not in result.stderr or "--debug" in args, result.stderr
    return result


def out_json(result: Result) -> Any:
    return json.loads(result.stdout)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- listing and transfers ------------------------------------------------------------------


def test_ls_human_and_json(area: tuple[str, Path]) -> None:
    url, directory = area
    (directory / "a.txt").write_bytes(b"12345")
    (directory / "sub").mkdir()
    (directory / "sub" / "deep.txt").write_bytes(b"x")

    result = run(["ls", url])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("-") and lines[0].endswith("a.txt") and " 5 " in lines[0]
    assert lines[1].startswith("d") and lines[1].endswith("sub/")

    document = out_json(run(["ls", url, "--json"]))
    assert document["url"] == url
    entries = {e["name"]: e for e in document["entries"]}
    assert set(entries) == {"a.txt", "sub/"}
    assert entries["a.txt"]["type"] == "file" and entries["a.txt"]["size"] == 5
    assert entries["sub/"]["type"] == "collection"
    assert set(entries["a.txt"]) == {
        "name",
        "path",
        "url",
        "type",
        "size",
        "modified",
        "etag",
        "content_type",
    }
    assert entries["a.txt"]["modified"][:2] == "20"  # ISO 8601

    recursive = out_json(run(["--json", "ls", "-R", url]))
    assert {e["name"] for e in recursive["entries"]} == {"a.txt", "sub/", "sub/deep.txt"}

    single = out_json(run(["--json", "ls", url + "a.txt"]))
    assert [e["name"] for e in single["entries"]] == ["a.txt"]


def test_put_get_cat_roundtrip(area: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = area
    source = tmp_path / "report.bin"
    payload = bytes(range(256)) * 300
    source.write_bytes(payload)

    result = run(["put", str(source), url])  # trailing slash: keep the file name
    assert result.exit_code == 0, result.stderr
    assert (directory / "report.bin").read_bytes() == payload
    assert "created" in result.stderr

    document = out_json(run(["--json", "put", str(source), url + "report.bin"]))
    assert document["created"] is False and document["bytes"] == len(payload)

    target = tmp_path / "back.bin"
    document = out_json(run(["get", url + "report.bin", str(target), "--json"]))
    assert target.read_bytes() == payload and document["bytes"] == len(payload)

    result = _runner().invoke(
        cli,
        ["--user", USER, "cat", url + "report.bin"],
        env={"REQUESTS_DAV_PASSWORD": PASSWORD, "NETRC": "/nonexistent"},
    )
    assert result.exit_code == 0
    assert result.stdout_bytes == payload

    text = out_json(run(["--json", "cat", url + "report.bin"]))
    assert text["encoding"] == "base64" and text["size"] == len(payload)


def test_small_put_is_replayed_after_401(
    server: DemoServer, area: tuple[str, Path], tmp_path: Path
) -> None:
    url, directory = area
    source = tmp_path / "small.txt"
    source.write_text("small\n" * 100)
    before = len(server.records)
    assert run(["put", str(source), url]).exit_code == 0
    records = server.records[before:]
    assert [(r.method, r.status) for r in records] == [("PUT", 401), ("PUT", 201)]
    assert (directory / "small.txt").read_text() == source.read_text()


def test_put_from_stdin_authenticates_first(server: DemoServer, area: tuple[str, Path]) -> None:
    url, directory = area
    before = len(server.records)
    data = "line of text\n" * 200_000  # 2.6 MB: more than the replay buffer
    result = run(["put", "-", url + "stdin.txt"], input=data)
    assert result.exit_code == 0, result.stderr
    assert (directory / "stdin.txt").read_text() == data
    records = server.records[before:]
    assert [(r.method, r.status) for r in records] == [
        ("PROPFIND", 401),
        ("PROPFIND", 404),
        ("PUT", 201),
    ]
    assert records[2].auth_scheme == "digest"

    before = len(server.records)
    refused = run(["put", "-", url + "refused.txt"], input=data, password="wrong-pw-789")
    assert refused.exit_code == EXIT_AUTH
    assert all(r.method == "PROPFIND" for r in server.records[before:])  # no body was sent
    assert not (directory / "refused.txt").exists()


def test_get_default_file_name(area: tuple[str, Path], tmp_path: Path, monkeypatch: Any) -> None:
    url, directory = area
    (directory / "name.txt").write_text("hi")
    monkeypatch.chdir(tmp_path)
    assert run(["get", url + "name.txt"]).exit_code == 0
    assert (tmp_path / "name.txt").read_text() == "hi"


def test_no_progress_bar_without_terminal(area: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = area
    (directory / "big.bin").write_bytes(b"\0" * 200_000)
    result = run(["get", url + "big.bin", str(tmp_path / "big.bin")])
    assert result.exit_code == 0
    assert "%|" not in result.stderr and "B/s" not in result.stderr


def test_progress_only_on_a_terminal() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

    assert Output(stderr=Tty()).progress_enabled()  # type: ignore[arg-type]
    assert not Output(stderr=Tty(), json_mode=True).progress_enabled()  # type: ignore[arg-type]


# -- namespace operations -------------------------------------------------------------------


def test_mkdir_conflict_and_parents(area: tuple[str, Path]) -> None:
    url, directory = area
    result = run(["mkdir", url + "missing/child"])
    assert result.exit_code == EXIT_CONFLICT, result.stderr
    assert "409" in result.stderr and len(result.stderr.strip().splitlines()) == 1

    assert run(["mkdir", "-p", url + "missing/child"]).exit_code == 0
    assert (directory / "missing" / "child").is_dir()
    assert run(["mkdir", "-p", url + "missing/child"]).exit_code == 0  # exists: fine

    document = out_json(run(["--json", "mkdir", url + "plain"]))
    assert document == {"created": True, "url": url + "plain"}


def test_rm(area: tuple[str, Path]) -> None:
    url, directory = area
    (directory / "f.txt").write_text("x")
    (directory / "d").mkdir()
    (directory / "d" / "inner.txt").write_text("y")

    assert run(["rm", url + "f.txt"]).exit_code == 0
    assert not (directory / "f.txt").exists()
    refused = run(["rm", url + "d/"])
    assert refused.exit_code == EXIT_USAGE and "rm -r" in refused.stderr
    assert (directory / "d").exists()
    assert run(["rm", "-r", url + "d/"]).exit_code == 0
    assert not (directory / "d").exists()
    assert run(["rm", url + "f.txt"]).exit_code == EXIT_NOT_FOUND


def test_mv_cp_and_no_overwrite(area: tuple[str, Path]) -> None:
    url, directory = area
    (directory / "one.txt").write_text("1")
    (directory / "dir").mkdir()

    document = out_json(run(["--json", "cp", url + "one.txt", url + "two.txt"]))
    assert document["created"] is True and document["status"] == 201
    assert (directory / "two.txt").read_text() == "1"

    refused = run(["cp", "-n", url + "one.txt", url + "two.txt"])
    assert refused.exit_code == EXIT_CONFLICT and "412" in refused.stderr

    replaced = out_json(run(["--json", "cp", url + "one.txt", url + "two.txt"]))
    assert replaced["created"] is False

    assert run(["mv", url + "one.txt", url + "dir/"]).exit_code == 0
    assert (directory / "dir" / "one.txt").exists() and not (directory / "one.txt").exists()

    other = run(["mv", url + "two.txt", "http://127.0.0.2:1/x"])
    assert other.exit_code == EXIT_USAGE and "same server" in other.stderr


# -- properties, locks, options, sync -------------------------------------------------------


def test_props_show_set_remove(area: tuple[str, Path]) -> None:
    url, directory = area
    (directory / "p.txt").write_text("props")
    target = url + "p.txt"

    shown = out_json(run(["--json", "props", target]))
    assert shown["properties"]["{DAV:}getcontentlength"] == 5
    assert shown["properties"]["{DAV:}displayname"] == "p.txt"

    changed = out_json(
        run(["--json", "props", target, "--set", "{urn:t}color=blue", "--set", "{urn:t}size=L"])
    )
    assert changed["applied"] is True
    assert changed["statuses"] == {"{urn:t}color": 200, "{urn:t}size": 200}

    picked = out_json(run(["--json", "props", target, "-p", "{urn:t}color", "-p", "{urn:t}nope"]))
    assert picked["properties"] == {"{urn:t}color": "blue"}
    assert picked["failed"] == {"{urn:t}nope": 404}

    human = run(["props", target, "--remove", "{urn:t}size"])
    assert human.exit_code == 0 and "{urn:t}size" in human.stdout

    failed = run(["--json", "props", target, "--set", "{urn:t}a=1", "--set", "getetag=forged"])
    assert failed.exit_code == EXIT_HTTP
    document = out_json(failed)
    assert document["applied"] is False
    assert document["statuses"]["{urn:t}a"] == 424
    assert document["statuses"]["{DAV:}getetag"] in (403, 409)
    assert "PROPPATCH" in failed.stderr

    bad = run(["props", target, "--set", "no-equals-sign"])
    assert bad.exit_code == EXIT_USAGE


def test_lock_then_locked_then_unlock(area: tuple[str, Path]) -> None:
    url, directory = area
    (directory / "l.txt").write_text("locked")
    target = url + "l.txt"

    document = out_json(run(["--json", "lock", target, "--lock-timeout", "120"]))
    token = document["token"]
    assert token and document["scope"] == "exclusive"

    locked = run(["put", "-", target], input="other writer")
    assert locked.exit_code == EXIT_CONFLICT and "423" in locked.stderr

    result = run(["unlock", target, token])
    assert result.exit_code == 0, result.stderr
    assert run(["put", "-", target], input="now free").exit_code == 0
    assert (directory / "l.txt").read_text() == "now free"

    again = run(["unlock", target, token])
    assert again.exit_code in (EXIT_CONFLICT, EXIT_HTTP)


def test_options(server: DemoServer) -> None:
    document = out_json(run(["--json", "options", server.url]))
    assert "1" in document["dav"] and "2" in document["dav"]
    assert "PROPFIND" in document["allow"]
    human = run(["options", server.url])
    assert human.stdout.startswith("DAV:")


def test_sync_unsupported_on_wsgidav(server: DemoServer) -> None:
    result = run(["sync", server.url])
    assert result.exit_code == EXIT_HTTP
    assert "sync-collection" in result.stderr


SYNC_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:">
  <d:response><d:href>/col/new.txt</d:href>
    <d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop>
      <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/col/gone.txt</d:href><d:status>HTTP/1.1 404 Not Found</d:status>
  </d:response>
  <d:sync-token>http://example.test/sync/2</d:sync-token>
</d:multistatus>"""


@responses.activate
def test_sync_changes_and_invalid_token() -> None:
    responses.add(
        "REPORT",
        "http://example.test/col/",
        body=SYNC_BODY,
        status=207,
        content_type="application/xml",
    )
    result = run(
        ["--json", "sync", "http://example.test/col/", "--token", "t1"], user=None, password=None
    )
    assert result.exit_code == 0, result.stderr
    document = out_json(result)
    assert document["token"] == "http://example.test/sync/2"
    assert [e["path"] for e in document["changed"]] == ["/col/new.txt"]
    assert document["removed"] == ["/col/gone.txt"]
    assert b"<d:sync-token>t1</d:sync-token>" in (responses.calls[0].request.body or b"").replace(
        b"D:", b"d:"
    ) or b"t1" in (responses.calls[0].request.body or b"")

    responses.replace(
        "REPORT",
        "http://example.test/col/",
        status=403,
        content_type="application/xml",
        body=b'<?xml version="1.0"?><d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>',
    )
    stale = run(["sync", "http://example.test/col/", "--token", "t1"], user=None, password=None)
    assert stale.exit_code == EXIT_CONFLICT and "without --token" in stale.stderr


# -- credentials and errors -----------------------------------------------------------------


def test_not_found(server: DemoServer) -> None:
    result = run(["--json", "cat", server.url + "no-such-file.txt"])
    assert result.exit_code == EXIT_NOT_FOUND
    assert out_json(result)["error"]["kind"] == "not-found"
    assert out_json(result)["error"]["status"] == 404
    assert run(["ls", server.url + "no-such-dir/"]).exit_code == EXIT_NOT_FOUND


def test_wrong_password(server: DemoServer) -> None:
    result = run(["ls", server.url], password="wrong-password-123")
    assert result.exit_code == EXIT_AUTH
    assert "401" in result.stderr and "refused" in result.stderr
    assert "wrong-password-123" not in result.stdout + result.stderr


def test_no_credentials(server: DemoServer) -> None:
    result = run(["ls", server.url], user=None, password=None)
    assert result.exit_code == EXIT_AUTH
    assert "--user" in result.stderr


def test_password_without_user_is_a_usage_error(server: DemoServer) -> None:
    result = run(["ls", server.url], user=None)
    assert result.exit_code == EXIT_USAGE and "--user" in result.stderr


def test_prompted_password_is_not_echoed(
    server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from requests_dav.cli import app

    monkeypatch.setattr(app, "_stdin_is_terminal", lambda: True)  # the runner's input is one
    result = run(["--json", "ls", server.url], password=None, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    assert "Password for demo" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    json.loads(result.stdout)  # the prompt went to stderr: stdout is one JSON document


def test_user_from_url_userinfo(server: DemoServer) -> None:
    url = server.url.replace("http://", f"http://{USER}@")
    result = run(["ls", url], user=None)
    assert result.exit_code == 0, result.stderr


def test_netrc(server: DemoServer, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    result = run(["ls", server.url], user=None, password=None, env={"NETRC": str(netrc)})
    assert result.exit_code == 0, result.stderr


def test_password_never_printed_even_with_debug(server: DemoServer) -> None:
    for args in (
        ["--debug", "ls", server.url],
        ["--debug", "cat", server.url + "nothing-here"],
        ["--debug", "--json", "options", server.url],
    ):
        result = run(args)
        combined = result.stdout + result.stderr
        assert PASSWORD not in combined
        assert "Digest username" not in combined and "response=" not in combined
    wrong = run(["--debug", "ls", server.url], password="another-secret-456")
    assert wrong.exit_code == EXIT_AUTH
    assert "another-secret-456" not in wrong.stdout + wrong.stderr
    assert "Traceback" in wrong.stderr  # --debug shows it
    assert "debug: " in wrong.stderr  # and the library's log


def test_no_traceback_without_debug(server: DemoServer) -> None:
    result = run(["cat", server.url + "missing"])
    assert result.exit_code == EXIT_NOT_FOUND
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("requests-dav: error:")


def test_network_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}/dav/"
    result = run(["ls", url])
    assert result.exit_code == EXIT_NETWORK
    assert "network error" in result.stderr and "refused" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    document = out_json(run(["--json", "ls", url]))
    assert document["error"]["kind"] == "network" and document["error"]["exit_code"] == 6


def test_usage_errors() -> None:
    assert run(["ls", "ftp://example.org/"]).exit_code == EXIT_USAGE
    assert run(["ls", "not a url"]).exit_code == EXIT_USAGE
    assert run(["ls"]).exit_code == EXIT_USAGE
    assert run(["frobnicate"]).exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    "command",
    [
        "ls",
        "get",
        "put",
        "cat",
        "mkdir",
        "rm",
        "mv",
        "cp",
        "props",
        "lock",
        "unlock",
        "options",
        "sync",
        "demo",
    ],
)
def test_help(command: str) -> None:
    result = _runner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.stdout and command in result.stdout


def test_main_help_lists_exit_codes() -> None:
    result = _runner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for code in ("3  not found", "4  authentication", "5  conflict", "6  network"):
        assert code in result.stdout


# -- units ----------------------------------------------------------------------------------


def test_scrubber_masks_userinfo_passwords_and_authorization() -> None:
    scrub = Scrubber(["hunter2"])
    text = scrub("proxy http://bob:hunter2@proxy:3128 Authorization: Digest username=x")
    assert "hunter2" not in text and "bob:" not in text and "username=x" not in text


def test_classify_plain_exceptions() -> None:
    assert classify(OSError(2, "No such file", "x.txt")).message == "x.txt: No such file"
    assert classify(RuntimeError("boom")).code == 1


def test_jsonable_and_sizes() -> None:
    import datetime as dt

    moment = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert jsonable({"a": (moment, b"x")}) == {"a": ["2024-01-02T03:04:05+00:00", "x"]}
    assert format_size(2048, human=True) == "2.0K" and format_size(None) == "-"


# -- the test bed: Basic auth, proxies from the environment, TLS ----------------------------


def test_basic_share_of_the_testbed_wsgidav(wsgidav_server: Any) -> None:
    from servers.common import BOB, BOB_PASSWORD

    name = f"cli-{uuid.uuid4().hex[:8]}.txt"
    (wsgidav_server.root("basic") / name).write_text("basic")
    url = wsgidav_server.url("basic", name)
    result = run(["cat", url], user=BOB, password=BOB_PASSWORD)  # UTF-8 Basic (RFC 7617)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "basic"
    assert run(["cat", url], user=BOB, password="nope").exit_code == EXIT_AUTH


@pytest.mark.needs_squid
def test_proxy_and_its_credentials_from_the_environment(
    squid_digest: Any, wsgidav_server: Any
) -> None:
    from servers.common import ALICE, ALICE_PASSWORD

    url = wsgidav_server.url("open")
    mark = squid_digest.mark()
    proxy = squid_digest.proxy_url_with(ALICE, ALICE_PASSWORD)
    env = {"HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
    result = run(["--debug", "ls", url], user=None, password=None, env=env)
    assert result.exit_code == 0, result.stderr
    assert ALICE_PASSWORD not in result.stdout + result.stderr
    records = squid_digest.requests_since(mark, at_least=2)
    assert [r.status for r in records][:2] == [407, 207]
    assert records[1].auth_scheme == "Digest"  # the proxy's own challenge chose the scheme

    bad_proxy = squid_digest.proxy_url_with(ALICE, "wrong-proxy-pw")
    env = {"HTTP_PROXY": bad_proxy, "http_proxy": bad_proxy, "NO_PROXY": "", "no_proxy": ""}
    refused = run(["ls", url], user=None, password=None, env=env)
    assert refused.exit_code == EXIT_AUTH and "407" in refused.stderr
    assert "wrong-proxy-pw" not in refused.stdout + refused.stderr


@pytest.mark.needs_apache
def test_tls_ca_bundle_and_insecure(apache_server: Any) -> None:
    url = apache_server.https_url("open")
    unverified = run(["ls", url], user=None, password=None)
    assert unverified.exit_code == EXIT_NETWORK and "TLS" in unverified.stderr
    trusted = run(["--ca-bundle", apache_server.ca_cert, "ls", url], user=None, password=None)
    assert trusted.exit_code == 0, trusted.stderr
    insecure = run(["ls", url, "--insecure"], user=None, password=None)
    assert insecure.exit_code == 0, insecure.stderr
    assert "verification is off" in insecure.stderr


def test_awkward_names_round_trip(area: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = area
    name = "ü b#1;+%.txt"
    source = tmp_path / name
    source.write_text("awkward")
    assert run(["put", str(source), url]).exit_code == 0  # quoted from the file name
    assert (directory / name).read_text() == "awkward"
    listing = out_json(run(["--json", "ls", url]))
    assert [e["name"] for e in listing["entries"]] == [name]
    back = run(["cat", listing["entries"][0]["url"]])
    assert back.exit_code == 0 and back.stdout == "awkward"


def test_timeout_is_a_network_error() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        result = run(["--timeout", "0.3", "ls", url])
    assert result.exit_code == EXIT_NETWORK and "timed out" in result.stderr


def test_missing_cli_extra_is_explained(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    import sys

    from requests_dav import cli as package

    monkeypatch.setitem(sys.modules, "click", None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "requests_dav.cli.commands")
    monkeypatch.delitem(sys.modules, "requests_dav.cli.app")
    monkeypatch.delitem(sys.modules, "requests_dav.cli.output")
    with pytest.raises(SystemExit) as exit_info:
        package.main(["--help"])
    assert exit_info.value.code == 1
    assert 'pip install "requests-dav[cli]"' in capsys.readouterr().err
