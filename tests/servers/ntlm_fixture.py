"""The ``ntlm_server`` fixture: ``ntlm_server.py`` in a child process, one per session.

Import it into a test module with ``from servers.ntlm_fixture import ntlm_server_fixture``
(the fixture is *named* ``ntlm_server``, so a test's parameter does not shadow the import).
Tests using it are skipped when pyspnego is not installed. The server knows the bed's users
(``alice`` / ``bob``, see ``servers.common``) both without a domain and in the domain
:data:`DOMAIN`. ``records_since`` gives :class:`NTLMRecord` objects (connection id, body
length and hash, NTLM leg); ``requests_since`` the same as plain request records.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from .common import (
    HOST,
    USERS,
    Process,
    RequestRecord,
    ServerBase,
    Share,
    Testbed,
    free_port,
    read_settled,
)

DOMAIN = "TESTDOM"
SCRIPT = Path(__file__).with_name("ntlm_server.py")


@dataclasses.dataclass
class NTLMRecord(RequestRecord):
    """One request as the NTLM server saw it (see ``ntlm_server.py`` for the fields).

    ``auth_scheme`` is the scheme of the Authorization sent (``scheme`` in the log),
    ``user`` who the connection is authenticated as after the request.
    """

    conn: int = 0
    body_length: int = 0
    body_sha256: str = ""
    leg: int | None = None

    @classmethod
    def from_json(cls, line: str) -> NTLMRecord:
        data = json.loads(line)
        return cls(
            method=data["method"],
            path=data["path"],
            status=data["status"],
            auth_scheme=data["scheme"],
            authorization=None,
            user=data["user"],
            conn=data["conn"],
            body_length=data["body_length"],
            body_sha256=data["body_sha256"],
            leg=data["leg"],
        )


class NTLMServer(ServerBase):
    name = "ntlm"

    def __init__(self, port: int, directory: Path) -> None:
        super().__init__(
            port,
            [
                Share(name, directory, name, None)
                for name in ("ntlm", "negotiate", "any", "ntlmclose")
            ],
        )
        self.directory = directory
        self.log_path = directory / "requests.jsonl"
        self.user_file = directory / "ntlm_users.txt"

    def records(self) -> list[NTLMRecord]:
        """Every request so far (the server logs each one before its response goes out)."""
        text = read_settled(self.log_path, settle=0.0) if self.log_path.exists() else ""
        return [NTLMRecord.from_json(line) for line in text.splitlines() if line.strip()]

    def requests(self) -> list[RequestRecord]:
        return list(self.records())

    def records_since(
        self, mark: int, at_least: int | None = None, timeout: float = 5.0
    ) -> list[NTLMRecord]:
        """``requests_since`` with the NTLM fields (connection id, body hash, leg)."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.records()[mark:]
            if at_least is None or len(records) >= at_least or time.monotonic() > deadline:
                return records
            time.sleep(0.02)


def write_user_file(path: Path, users: dict[str, str] = USERS) -> Path:
    """pyspnego's ``NTLM_USER_FILE``: ``DOMAIN:USER:PASSWORD`` lines (Heimdal format)."""
    lines = []
    for user, password in users.items():
        lines.append(f":{user}:{password}\n")
        lines.append(f"{DOMAIN}:{user}:{password}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def start(directory: Path) -> NTLMServer:
    port = free_port()
    server = NTLMServer(port, directory)
    write_user_file(server.user_file)
    env = dict(os.environ, NTLM_USER_FILE=str(server.user_file), PYTHONDONTWRITEBYTECODE="1")
    process = Process(
        "ntlm",
        [sys.executable, str(SCRIPT), "--port", str(port), "--log", str(server.log_path)],
        directory,
        env=env,
    )
    server.processes.append(process)
    process.wait_for_port(port)
    return server


@pytest.fixture(scope="session", name="ntlm_server")
def ntlm_server_fixture(testbed: Testbed) -> Iterator[NTLMServer]:
    """The NTLM / Negotiate acceptor on 127.0.0.1 (skipped without pyspnego)."""
    pytest.importorskip("spnego", reason="pyspnego is not installed (requests-dav[spnego])")
    server = start(testbed.server_dir("ntlm"))
    testbed.add(server)
    yield server
    server.terminate()


__all__ = ["DOMAIN", "HOST", "NTLMRecord", "NTLMServer", "ntlm_server_fixture", "start"]
