"""Xandikos (PyPI ``xandikos``): a git-backed CalDAV/CardDAV server, no authentication.

``xandikos serve --defaults`` creates the principal ``/user/`` with the calendar
``/user/calendars/calendar/`` and the address book ``/user/contacts/addressbook/``; more
calendars are made with MKCALENDAR below ``/user/calendars/``. The share ``user`` is that
principal (its files are git repositories, not plain files). No request records.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .common import (
    HOST,
    Process,
    RequestRecord,
    ServerBase,
    Share,
    free_port,
    require_module,
)


class XandikosServer(ServerBase):
    """Xandikos; share ``user`` is the principal collection ``/user/``."""

    name = "xandikos"

    def __init__(self, directory: Path, port: int, shares: list[Share]) -> None:
        super().__init__(port, shares)
        self.directory = directory

    def requests(self) -> list[RequestRecord]:
        raise NotImplementedError("Xandikos writes no access log worth parsing")


def start(directory: Path) -> XandikosServer:
    require_module("xandikos", "Xandikos (PyPI xandikos, in the test extra)")
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = XandikosServer(directory, port, [Share("user", data / "user", None, None)])
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory),
        "LANG": "C.UTF-8",
    }
    process = Process(
        "xandikos",
        [sys.executable, "-m", "xandikos", "serve", "-d", str(data), "--defaults",
         "-l", HOST, "-p", str(port), "--no-detect-systemd"],
        directory,
        env=env,
        cwd=directory,
    )  # fmt: skip
    server.processes.append(process)
    process.wait_for_port(port)
    return server
