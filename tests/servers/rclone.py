"""rclone serve webdav: one open process and one Basic process (htpasswd with both users).

Each process serves its own directory under `--baseurl /<share>`, so `url(share, path)`
has the same shape as on the other servers even though the shares are on two ports.
rclone writes no access log, so there are no request records.
"""

from __future__ import annotations

import os
from pathlib import Path

from .common import (
    HOST,
    USERS,
    Process,
    RequestRecord,
    ServerBase,
    Share,
    free_port,
    quote_path,
    require_binary,
    write_htpasswd,
)

BASIC_REALM = "requests-dav rclone basic"

SHARES: dict[str, tuple[str | None, str | None]] = {
    "open": (None, None),
    "basic": ("basic", BASIC_REALM),
}


class RcloneServer(ServerBase):
    """Two rclone processes; `ports[share]` is the port of each share."""

    name = "rclone"

    def __init__(self, directory: Path, ports: dict[str, int], shares: list[Share]) -> None:
        super().__init__(ports["open"], shares)
        self.directory = directory
        self.ports = dict(ports)

    def base_url_of(self, share: str) -> str:
        self._share(share)
        return f"http://{self.host}:{self.ports[share]}"

    def url(self, share: str, path: str = "") -> str:
        return f"{self.base_url_of(share)}/{share}/{quote_path(path)}"

    def requests(self) -> list[RequestRecord]:
        raise NotImplementedError(
            "rclone serve webdav writes no access log; count requests on another server"
        )

    def log_text(self, share: str) -> str:
        return (self.directory / f"{share}.log").read_text(encoding="utf-8", errors="replace")


def start(directory: Path) -> RcloneServer:
    rclone = require_binary("rclone", "rclone")
    directory.mkdir(parents=True, exist_ok=True)
    empty_config = directory / "rclone.conf"
    empty_config.write_text("", encoding="utf-8")
    htpasswd = write_htpasswd(directory / "htpasswd", USERS)

    shares = []
    ports: dict[str, int] = {}
    for name, (auth, realm) in SHARES.items():
        root = directory / "data" / name
        root.mkdir(parents=True, exist_ok=True)
        shares.append(Share(name, root, auth, realm))
        port = free_port()
        while port in ports.values():
            port = free_port()
        ports[name] = port

    server = RcloneServer(directory, ports, shares)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory),  # rclone must not find the user's own config or cache
        "XDG_CONFIG_HOME": str(directory),
        "XDG_CACHE_HOME": str(directory / "cache"),
        "LANG": "C",
    }
    try:
        for share in shares:
            args: list[str] = [
                rclone, "serve", "webdav", str(share.root),
                "--addr", f"{HOST}:{ports[share.name]}",
                "--baseurl", f"/{share.name}",
                "--config", str(empty_config),
                "--cache-dir", str(directory / "cache" / share.name),
                "--dir-cache-time", "0s",  # files written straight to disk show up at once
                "--log-file", str(directory / f"{share.name}.log"),
                "--log-level", "INFO",
            ]  # fmt: skip
            if share.auth == "basic":
                assert share.realm is not None
                args += ["--htpasswd", str(htpasswd), "--realm", share.realm]
            process = Process(
                f"rclone-{share.name}",
                args,
                directory,
                logs=[directory / f"{share.name}.log"],
                env=env,
            )
            server.processes.append(process)
        for share, process in zip(shares, server.processes):
            process.wait_for_port(ports[share.name])
    except BaseException:
        server.stop()
        raise
    return server
