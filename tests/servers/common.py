"""Shared pieces of the real-server test bed: users, request records, process control.

Nothing here talks to a system service: every server is a child process (or, for WsgiDAV,
a thread) started by a session fixture, bound to 127.0.0.1 on a free port, configured from
files generated for this session (see Testbed for where they live).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import dataclasses
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pytest

HOST = "127.0.0.1"

#: Users known to every protected share of every server (passwords stored as UTF-8).
ALICE = "alice"
ALICE_PASSWORD = "s3cret"
BOB = "bob"
BOB_PASSWORD = "pässwörd€"
USERS = {ALICE: ALICE_PASSWORD, BOB: BOB_PASSWORD}

#: How long a server may take to start listening before the fixture fails.
START_TIMEOUT = 20.0
#: How long a stopped server gets before it is killed.
STOP_TIMEOUT = 5.0
#: Log-file servers write their access log just *after* the response went out; readers wait
#: until the file has been quiet this long (see LogServer.requests).
LOG_SETTLE = 0.05


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_binary(path_or_name: str, what: str) -> str:
    """Return the absolute path of a binary, or skip the test (fail it when CI=true).

    `path_or_name` is an absolute path (an executable, or a `.so` module / `.types` file
    that must exist) or a command name (looked up on PATH, plus /usr/sbin and /sbin, where
    Debian puts the daemons).
    """
    found: str | None
    if os.sep in path_or_name:
        found = path_or_name if os.access(path_or_name, os.X_OK) else None
        if path_or_name.endswith((".so", ".types")) and os.path.isfile(path_or_name):
            found = path_or_name  # modules and data files need not be executable
    else:
        search = os.pathsep.join(
            [os.environ.get("PATH", os.defpath), "/usr/local/sbin", "/usr/sbin", "/sbin"]
        )
        found = shutil.which(path_or_name, path=search)
    if found is None:
        msg = f"{what} is not installed ({path_or_name} not found)"
        if in_ci():
            pytest.fail(f"{msg}; a missing server binary is a failure when CI=true", False)
        pytest.skip(msg)
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def digest_ha1(user: str, realm: str, password: str) -> str:
    """HA1 of RFC 7616 MD5 Digest, computed over the UTF-8 bytes."""
    data = user.encode("utf-8") + b":" + realm.encode("utf-8") + b":" + password.encode("utf-8")
    return hashlib.md5(data).hexdigest()


def digest_lines(realm: str, users: dict[str, str] = USERS) -> str:
    """htdigest-style lines `user:realm:ha1` (Apache AuthUserFile, squid digest_file_auth -c)."""
    return "".join(f"{user}:{realm}:{digest_ha1(user, realm, pw)}\n" for user, pw in users.items())


def write_htpasswd(path: Path, users: dict[str, str] = USERS) -> Path:
    """Write an htpasswd file with `htpasswd -b -m` (apr1 MD5) over the UTF-8 password bytes."""
    htpasswd = require_binary("htpasswd", "htpasswd (Debian apache2-utils)")
    if path.exists():
        path.unlink()
    for user, password in users.items():
        args = [htpasswd.encode(), b"-b", b"-m"]
        if not path.exists():
            args.append(b"-c")
        args += [os.fsencode(path), user.encode("utf-8"), password.encode("utf-8")]
        proc = subprocess.run(args, capture_output=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"htpasswd failed: {proc.stderr.decode(errors='replace')}")
    return path


def quote_path(path: str) -> str:
    """Percent-quote a path inside a share (UTF-8), keeping `/` as the separator."""
    return urllib.parse.quote(path.lstrip("/"), safe="/")


def auth_scheme_of(value: str | None) -> str | None:
    """`Digest` for `Digest username=...`; None when the header is absent or empty."""
    if not value or value == "-":
        return None
    return value.split(None, 1)[0]


@dataclasses.dataclass
class RequestRecord:
    """One request as the server saw it.

    `path` is the request target as sent on the wire (percent-encoded, query included); for
    a proxy it is the absolute URL, or `host:port` for CONNECT. `authorization` is the raw
    Authorization header (Proxy-Authorization for squid) or None; `auth_scheme` its first
    token. `content_length` is the request's Content-Length header, when it had one.
    """

    method: str
    path: str
    status: int
    auth_scheme: str | None
    authorization: str | None
    content_length: int | None = None
    user: str | None = None
    port: int | None = None

    @property
    def url(self) -> str:
        return self.path


class Share:
    """One share (location) of a server: URL prefix, directory on disk, auth and realm."""

    def __init__(self, name: str, root: Path, auth: str | None, realm: str | None) -> None:
        self.name = name
        self.root = root
        self.auth = auth  # None, "basic" or "digest"
        self.realm = realm

    def __repr__(self) -> str:
        return f"Share({self.name!r}, auth={self.auth!r}, realm={self.realm!r})"


class ServerBase:
    """What every bed server offers; see tests/servers/README.md."""

    name = "server"
    scheme = "http"

    def __init__(self, port: int, shares: Iterable[Share]) -> None:
        self.host = HOST
        self.port = port
        self.shares = {share.name: share for share in shares}
        self.users = dict(USERS)
        self.processes: list[Process] = []

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def _share(self, share: str) -> Share:
        try:
            return self.shares[share]
        except KeyError:
            raise KeyError(f"{self.name} has no share {share!r}; has {list(self.shares)}") from None

    def url(self, share: str, path: str = "") -> str:
        """Absolute URL of `path` (unquoted, joined and percent-quoted) inside `share`."""
        self._share(share)
        return f"{self.base_url}/{share}/{quote_path(path)}"

    #: the TLS listener's port, for servers that have one (Apache, the NTLM server)
    https_port: int | None = None

    @property
    def https_base_url(self) -> str:
        if self.https_port is None:
            raise AttributeError(f"{self.name} has no TLS listener")
        return f"https://{self.host}:{self.https_port}"

    def https_url(self, share: str, path: str = "") -> str:
        """Same as url() on the TLS listener (verify with the server's `ca_cert`)."""
        self._share(share)
        return f"{self.https_base_url}/{share}/{quote_path(path)}"

    def root(self, share: str) -> Path:
        """Directory on disk behind `share` (compare stored bytes here)."""
        return self._share(share).root

    def realm(self, share: str) -> str | None:
        return self._share(share).realm

    def auth(self, share: str) -> str | None:
        return self._share(share).auth

    # -- request records ----------------------------------------------------------------
    def requests(self) -> list[RequestRecord]:
        raise NotImplementedError

    def mark(self) -> int:
        """A position in the request log; pass it to requests_since()."""
        return len(self.requests())

    def requests_since(
        self, mark: int, at_least: int | None = None, timeout: float = 5.0
    ) -> list[RequestRecord]:
        """Records after `mark`; with `at_least`, wait up to `timeout` s for that many."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.requests()[mark:]
            if at_least is None or len(records) >= at_least or time.monotonic() > deadline:
                return records
            time.sleep(0.02)

    # -- lifecycle ----------------------------------------------------------------------
    def terminate(self) -> None:
        """Ask the server to stop without waiting (the session stops all servers at once)."""
        for process in self.processes:
            process.terminate()

    def stop(self) -> None:
        """Stop the server's processes (SIGTERM, SIGKILL after a timeout) and wait."""
        for process in self.processes:
            process.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"


def parse_int(value: str | None) -> int | None:
    if value is None or value in ("", "-"):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def read_settled(path: Path, settle: float = LOG_SETTLE) -> str:
    """Read a log file once it has stopped growing for `settle` seconds (max 2 s)."""
    deadline = time.monotonic() + 2.0
    previous: int | None = None
    while True:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = -1
        if size == previous or time.monotonic() > deadline:
            break
        previous = size
        time.sleep(settle)
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def tail(path: Path, limit: int = 6000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<{path}: {exc}>"
    return text[-limit:]


_LIVE: set[Process] = set()

try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when pytest dies, even by SIGKILL (Linux).

    The kernel clears this when a process changes its user id, so it covers the Apache,
    nginx and rclone masters, not squid (which switches to `proxy` itself).
    """
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _sigterm_to_interrupt(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
    raise KeyboardInterrupt(f"signal {signum}")


def stop_servers_on_sigterm() -> None:
    """Turn SIGTERM (e.g. from `timeout`) into KeyboardInterrupt, so fixtures tear down.

    Installed only from the main thread and only over the default handler.
    """
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)


@atexit.register
def _stop_leftovers() -> None:
    """Safety net: stop any server process a fixture teardown did not get to."""
    for process in list(_LIVE):
        process.stop(timeout=2.0)


class Process:
    """A child server process started by a fixture; only this Popen is ever signalled."""

    def __init__(
        self,
        name: str,
        args: Sequence[str | os.PathLike[str] | bytes],
        logdir: Path,
        logs: Sequence[Path] = (),
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.output_path = logdir / f"{name}.out"
        self.logs = list(logs)
        self._output = open(self.output_path, "wb")  # noqa: SIM115 (closed in stop())
        self.popen = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # Ctrl-C in the terminal goes to pytest, not the servers
            preexec_fn=_die_with_parent,
        )
        _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def diagnostics(self) -> str:
        parts = [f"command: {' '.join(map(str, self.args))}", f"exit code: {self.popen.poll()}"]
        for path in [self.output_path, *self.logs]:
            parts.append(f"--- {path} ---\n{tail(path)}")
        return "\n".join(parts)

    def wait_for_port(
        self, port: int, timeout: float = START_TIMEOUT, extra: Callable[[], str] | None = None
    ) -> None:
        """Connect to 127.0.0.1:port in a loop until it accepts, the process dies, or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                break
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.5):
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        info = self.diagnostics()
        if extra is not None:
            info += "\n" + extra()
        self.stop()
        raise RuntimeError(f"{self.name} did not start listening on {HOST}:{port}\n{info}")

    def terminate(self) -> None:
        """Send SIGTERM without waiting (stop() waits); lets several servers stop at once."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.terminate()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, then SIGKILL after `timeout`; reaps the child."""
        if self.popen.poll() is None:
            self.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait(timeout)
        # The child was started in a new session, so its process group (same id as its pid)
        # holds only what it forked: workers and auth helpers. Kill stragglers, if any; a
        # group id is not reused while any member is alive, so this reaches only ours.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._output.close()
        _LIVE.discard(self)


def wait_for_port_closed(port: int, timeout: float = STOP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), 0.2).close()
        except OSError:
            return
        time.sleep(0.02)


def service_user_ids(name: str) -> tuple[int, int] | None:
    """(uid, gid) of a system user when running as root (servers drop to it), else None."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def chown_tree(path: Path, ids: tuple[int, int] | None) -> None:
    """Give a tree to the user a root-started server drops to."""
    if ids is None:
        return
    uid, gid = ids
    os.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


class Testbed:
    """The session's servers and their directories; closed once, after the last test.

    Servers that drop root privileges (Apache and nginx workers as www-data, squid and its
    helpers as proxy) cannot reach pytest's temp dirs: `pytest-of-root` is mode 0700, and
    every pytest session that starts on the machine resets it to 0700, so loosening it
    does not last. Those servers therefore run from a private directory in the system temp
    dir (mode 0711, reached through a `server` symlink in their pytest temp dir), which is
    moved into the pytest temp dir when the session ends. Everything else lives in the
    pytest temp dir directly.
    """

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.servers: list[ServerBase] = []
        stop_servers_on_sigterm()
        self._moves: list[tuple[Path, Path]] = []

    def server_dir(self, name: str, service_user: str | None = None) -> Path:
        """A fresh directory for one server; `service_user` is the user it drops to."""
        record = self.factory.mktemp(name)
        if service_user is None or service_user_ids(service_user) is None:
            return record
        outside = Path(tempfile.mkdtemp(prefix=f"requests-dav-{name}-"))
        os.chmod(outside, 0o711)  # noqa: S103 (search only, for the service user)
        link = record / "server"
        link.symlink_to(outside, target_is_directory=True)
        self._moves.append((outside, link))
        return outside

    def add(self, server: ServerBase) -> None:
        self.servers.append(server)

    def close(self) -> None:
        """Stop every server (all at once: SIGTERM to all, then wait), then tidy up."""
        try:
            for server in reversed(self.servers):
                server.terminate()
            for server in reversed(self.servers):
                server.stop()
        finally:
            for outside, link in self._moves:
                with contextlib.suppress(OSError):
                    link.unlink()
                    shutil.move(str(outside), str(link))
            self._moves.clear()


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "v": "\v", "b": "\b"}


def unescape_log_item(value: str) -> str:
    r"""Undo the escaping Apache and nginx apply to logged values (`\"`, `\\`, `\xHH`)."""
    if "\\" not in value:
        return value
    out = bytearray()
    i = 0
    raw = value.encode("utf-8", "surrogateescape")
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C and i + 1 < len(raw):  # backslash
            nxt = chr(raw[i + 1])
            if nxt == "x" and i + 3 < len(raw):
                try:
                    out.append(int(raw[i + 2 : i + 4], 16))
                    i += 4
                    continue
                except ValueError:
                    pass
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt].encode()
                i += 2
                continue
        out.append(ch)
        i += 1
    return out.decode("utf-8", "replace")


def escaped_log_record(
    method: str, target: str, status: str, authorization: str, length: str, user: str, port: str
) -> RequestRecord:
    """A record from access-log fields escaped as Apache and nginx escape them (``-``: none).

    ``method`` and ``target`` are already decoded; the other fields are as logged.
    """
    auth = None if authorization == "-" else unescape_log_item(authorization)
    return RequestRecord(
        method=method,
        path=target,
        status=int(status),
        auth_scheme=auth_scheme_of(auth),
        authorization=auth,
        content_length=parse_int(length),
        user=None if user == "-" else unescape_log_item(user),
        port=parse_int(port),
    )


class LogServer(ServerBase):
    """A server whose request records come from an access log file parsed at call time."""

    access_log: Path

    def parse_line(self, line: str) -> RequestRecord | None:
        raise NotImplementedError

    def requests(self) -> list[RequestRecord]:
        records = []
        for line in read_settled(self.access_log).splitlines():
            if line.strip():
                record = self.parse_line(line)
                if record is not None:
                    records.append(record)
        return records


class QuietHTTPServer(ThreadingHTTPServer):
    """A threaded stand-in server that says nothing when a client hangs up.

    Handler threads are daemons that outlive ``server_close()``; socketserver's
    default ``handle_error`` would print a client's disconnect to whatever
    ``sys.stderr`` is at that moment, which can be another test's captured
    output (click's CliRunner). Other errors are reported as usual.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def require_module(name: str, what: str) -> None:
    """Skip the test when a Python module cannot be imported (fail it when CI=true)."""
    import importlib

    try:
        importlib.import_module(name)
    except ImportError:
        msg = f"{what} is not installed (cannot import {name})"
        if in_ci():
            pytest.fail(f"{msg}; a missing server is a failure when CI=true", False)
        pytest.skip(msg)
