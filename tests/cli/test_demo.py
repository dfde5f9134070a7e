"""``requests-dav demo``: the walkthrough holds, in-process and as ``python -m requests_dav``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from typing import Any, Iterator, List

import pytest
from click.testing import CliRunner

from requests_dav.cli import EXIT_FAILURE
from requests_dav.cli.commands import cli
from requests_dav.dav.session import DAVSession
from requests_dav.transport.expect import URLLIB3_FUTURE

#: what the output must show for each step (the evidence, not just the titles)
EVIDENCE = [
    "PUT /dav/generated.bin -> 401 (no credentials)",  # 1: the challenge ...
    "PUT /dav/generated.bin -> 201 (Digest)",  # ... and the replay
    "the 401 was answered and the replay is byte-identical",
    "requests on the wire: 2 -> 3 (+1)",  # 2: preemptive
    "exactly one request",
    "PROPFIND /dav/ -> 207",  # 3: listing
    "generated.bin  524288  file",
    "archive/",
    "If header received by the server: <http://127.0.0.1:",  # 4: lock
    "MOVE /dav/notes.txt -> 201",  # 5
    "Destination: http://127.0.0.1:",
    "{DAV:}getetag",  # 6
    "424  (not applied",
    "no extra round trip; every step held",
]

#: the walkthrough's challenged generator upload to WsgiDAV on cheroot
UPLOAD_ON_CHEROOT = pytest.mark.skipif(
    URLLIB3_FUTURE,
    reason="urllib3-future may reuse a connection cheroot has not finished reading "
    "(docs/adapter.rst)",
)


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.pop("REQUESTS_DAV_PASSWORD", None)
    return env


@UPLOAD_ON_CHEROOT
def test_demo_in_process() -> None:
    result = _runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    for evidence in EVIDENCE:
        assert evidence in result.stdout, evidence
    assert re.search(r"\{DAV:\}getetag\s+(403|409)", result.stdout)
    for number in range(1, 7):
        assert f"[{number}/6]" in result.stdout
    assert "Traceback" not in result.stderr


@UPLOAD_ON_CHEROOT
def test_demo_as_module_subprocess() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "requests_dav", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert process.returncode == 0, process.stdout + process.stderr
    for evidence in EVIDENCE:
        assert evidence in process.stdout, evidence


@UPLOAD_ON_CHEROOT
def test_demo_json() -> None:
    result = _runner().invoke(cli, ["--json", "demo"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert [s["number"] for s in document["steps"]] == [1, 2, 3, 4, 5, 6]
    assert document["requests"] == document["operations"] + 1
    first = document["steps"][0]["wire"]
    assert [w["status"] for w in first] == [401, 201] and first[1]["auth"] == "digest"


@UPLOAD_ON_CHEROOT
def test_demo_fails_when_a_check_does_not_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay that lost its last chunk must make the demo exit non-zero."""
    original = DAVSession.upload

    def truncating(self: DAVSession, data: Any, path: Any, **kwargs: Any) -> Any:
        if hasattr(data, "__next__"):
            chunks: List[bytes] = list(data)

            def shorter() -> Iterator[bytes]:
                yield from chunks[:-1]

            return original(self, shorter(), path, **kwargs)
        return original(self, data, path, **kwargs)

    monkeypatch.setattr(DAVSession, "upload", truncating)
    result = _runner().invoke(cli, ["demo"])
    assert result.exit_code == EXIT_FAILURE
    assert "demo check failed" in result.stderr and "differ" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_serve_prints_credentials_and_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "requests_dav", "demo", "--serve", "--no-walkthrough"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        lines: List[str] = []
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(lines)
        url = re.search(r"Serving (\S+)", text)
        password = re.search(r"password: (\S+)", text)
        assert url and password, text
        result = _runner().invoke(
            cli,
            ["--json", "--user", "demo", "ls", url.group(1)],
            env={
                "REQUESTS_DAV_PASSWORD": password.group(1),
                "NETRC": "/nonexistent",
                "NO_PROXY": "127.0.0.1",
            },
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["entries"] == []
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
