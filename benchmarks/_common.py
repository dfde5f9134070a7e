"""Helpers shared by the benchmarks: tables, machine description, local servers, RSS.

Everything here binds or connects to 127.0.0.1 only, and every loop is bounded
in count and in time (sockets carry timeouts; servers stop on a flag).

* :func:`print_table` prints a titled table, plain text by default or a
  reStructuredText grid when ``BENCH_TABLE_FORMAT=rst`` (for ``docs/``).
* :func:`machine` describes the machine (CPU model, cores, memory, Python, OS).
* :class:`CountingRelay` is a TCP relay in front of a server that counts the
  connections it accepts and the bytes the client sent through them (what the
  server received on the wire, framing included).
* :class:`OpenServer` runs a minimal keep-alive HTTP/1.1 server in a child
  process (so its CPU time is not the client's), answering every request with a
  small 200 as fast as Python can; without authentication, or asking for Basic
  or Digest as Apache httpd does (``scheme=``).
* :func:`rss_now`, :func:`reset_peak_rss` and :func:`peak_rss` read the
  current resident set, reset its high-water mark and read it.
* :func:`operations` gives the requests the overhead benchmarks send: a GET and PUTs of
  1 KiB from bytes, a generator and a file.
* :func:`callgrind_instructions` counts the instructions a command runs under
  ``valgrind --tool=callgrind``, in a fixed environment.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import resource
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

LOOPBACK = "127.0.0.1"
MiB = 1 << 20

# -- tables -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: not measured
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if value is None:
        return "-"
    return str(value)


def format_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], style: Optional[str] = None
) -> str:
    """``rows`` under ``headers`` as text; ``style`` ``"rst"`` gives a reST grid table."""
    style = style or os.environ.get("BENCH_TABLE_FORMAT", "text")
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            text.ljust(widths[i]) if i == 0 else text.rjust(widths[i])
            for i, text in enumerate(values)
        )

    if style == "rst":
        rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        head_rule = rule.replace("-", "=")
        out = [title, "~" * len(title), "", rule, f"| {line(headers)} |", head_rule]
        for row in cells:
            out.extend([f"| {line(row)} |", rule])
        return "\n".join(out)
    rule = "-+-".join("-" * w for w in widths)
    out = [f"== {title} ==", line(headers), rule]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def print_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    notes: Sequence[str] = (),
) -> None:
    """Print a table (see :func:`format_table`) followed by its notes, then a blank line."""
    print(format_table(title, headers, rows))
    for note in notes:
        print(f"  {note}")
    print(flush=True)


def ratio(value: float, baseline: float) -> float:
    """``value / baseline``, NaN when the baseline is zero or missing."""
    return value / baseline if baseline else float("nan")


#: the body of the PUTs of :func:`operations`
PAYLOAD = b"p" * 1024


def _payload_chunks() -> Iterator[bytes]:
    yield PAYLOAD[:512]
    yield PAYLOAD[512:]


def operations(timeout: Optional[float]) -> Dict[str, Callable[[Any, str], Any]]:
    """The requests of the overhead benchmarks by name, each ``(session, url) -> response``
    with ``timeout``: a GET, and a PUT of :data:`PAYLOAD` as bytes (``Content-Length``), from
    a generator of two chunks (chunked) and from a file object."""

    def put_file(session: Any, url: str) -> Any:
        with tempfile.TemporaryFile() as body:
            body.write(PAYLOAD)
            body.seek(0)
            return session.put(url, data=body, timeout=timeout)

    return {
        "GET": lambda s, url: s.get(url, timeout=timeout),
        "PUT 1 KiB": lambda s, url: s.put(url, data=PAYLOAD, timeout=timeout),
        "PUT generator": lambda s, url: s.put(url, data=_payload_chunks(), timeout=timeout),
        "PUT file": put_file,
    }


#: the only variables a counted process sees (besides ``PYTHONHASHSEED=0``)
COUNTED_ENVIRONMENT = ("PATH", "HOME", "PYTHONPATH")


def callgrind_instructions(command: Sequence[str], label: str) -> int:
    """The instructions ``command`` runs under callgrind.

    The count is the same for the same code and inputs whatever the load of the machine,
    and from one run to the next (within a few dozen instructions) when the process gets
    the same environment: requests reads every environment variable for every request of
    a session with ``trust_env`` (the proxy settings), about 27,000 instructions a variable
    (five more variables: 138,000 more a request), so the process runs with
    :data:`COUNTED_ENVIRONMENT` alone and ``PYTHONHASHSEED=0``.
    Raises ``SystemExit`` naming ``label`` when the run fails.
    """
    env = {name: os.environ[name] for name in COUNTED_ENVIRONMENT if name in os.environ}
    env["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{label}: callgrind failed\n{done.stdout}{done.stderr}")
    return int(found.group(1))


# -- the machine ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for text in info:
                if text.lower().startswith("model name"):
                    return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for text in info:
                if text.startswith("MemTotal:"):
                    return int(text.split()[1]) / (1 << 20)
    except OSError:
        pass
    return float("nan")


def _os_name() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            for text in release:
                if text.startswith("PRETTY_NAME="):
                    return text.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def machine() -> Dict[str, str]:
    """CPU model, cores, memory, Python, OS, kernel and the library versions measured."""
    import requests
    import urllib3

    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.1f} GiB",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{_os_name()} (Linux {platform.release()})"
        if sys.platform.startswith("linux")
        else platform.platform(),
        "requests": requests.__version__,
        "urllib3": urllib3.__version__,
    }


def print_machine() -> None:
    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    print()


# -- memory -----------------------------------------------------------------------------------


def rss_now() -> int:
    """Current resident set size of this process in bytes (``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _status_kib(field: str) -> Optional[int]:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for text in status:
                if text.startswith(field + ":"):
                    return int(text.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux >= 4.0: ``clear_refs`` 5).

    Needed because ``ru_maxrss`` of a process started by ``subprocess`` also
    counts the parent's RSS at the time of the exec (the kernel carries the
    old address space's high-water mark over) and the import-time peaks.
    Returns whether it worked.
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def peak_rss() -> int:
    """Peak RSS of this process in bytes: ``VmHWM`` (resettable), else ``ru_maxrss``."""
    hwm = _status_kib("VmHWM")
    if hwm is not None:
        return hwm * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def ru_maxrss() -> int:
    """``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in bytes (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- a counting TCP relay ---------------------------------------------------------------------


class CountingRelay:
    """``127.0.0.1:<port>`` forwarding to ``target``; counts connections and upstream bytes.

    Use as a context manager. ``connections`` and ``bytes_up`` (client to
    server) are read with :meth:`snapshot`. Every connection ends when either
    side closes or after ``idle_timeout`` seconds without traffic.
    """

    def __init__(self, target_port: int, *, idle_timeout: float = 30.0) -> None:
        self.target = (LOOPBACK, target_port)
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._connections = 0
        self._bytes_up = 0
        self._bytes_down = 0
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self._threads: List[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="relay-accept", daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str = "/") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def snapshot(self) -> tuple[int, int]:
        """``(connections accepted, bytes sent by clients)`` so far."""
        with self._lock:
            return self._connections, self._bytes_up

    @property
    def bytes_down(self) -> int:
        """Bytes sent by the server to clients so far."""
        with self._lock:
            return self._bytes_down

    def __enter__(self) -> CountingRelay:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
            thread = threading.Thread(target=self._pump, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _pump(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peers = {client: upstream, upstream: client}
        reading = [client, upstream]
        deadline = time.monotonic() + self.idle_timeout
        try:
            while reading and not self._stop.is_set() and time.monotonic() < deadline:
                ready, _, _ = select.select(reading, [], [], 0.2)
                for sock in ready:
                    data = sock.recv(262144)
                    if not data:
                        # half-close, as TCP does: the other direction keeps flowing
                        reading.remove(sock)
                        peers[sock].shutdown(socket.SHUT_WR)
                        continue
                    peers[sock].sendall(data)
                    with self._lock:
                        if sock is client:
                            self._bytes_up += len(data)
                        else:
                            self._bytes_down += len(data)
                    deadline = time.monotonic() + self.idle_timeout
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


# -- a minimal open HTTP/1.1 server in a child process ----------------------------------------

_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
_CREATED = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"

#: the credentials and the Digest nonce of :class:`OpenServer` with ``scheme=``
USER, PASSWORD, REALM, NONCE = "user", "secret", "bench", "b3nchn0nce"
_CHALLENGES = {
    "basic": f'Basic realm="{REALM}"',
    "digest": f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5',
}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _answer(scheme: str, method: str, authorization: Optional[str]) -> bytes:
    """What Apache httpd answers a request carrying ``authorization`` in a ``scheme`` space.

    No header: a ``401`` with the challenge. Otherwise the success (the credentials are not
    checked: the client's own work is what is measured), for Digest with the
    ``Authentication-Info`` Apache sends, with a correct ``rspauth`` (RFC 7616 section 3.5).
    """
    if scheme == "none":
        return _CREATED if method == "PUT" else _RESPONSE
    if not authorization:
        return (
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            f"WWW-Authenticate: {_CHALLENGES[scheme]}\r\n\r\nno"
        ).encode()
    if scheme == "basic":
        return _RESPONSE
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', authorization[len("Digest ") :]))
    ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
    ha2 = _md5(":" + params["uri"])
    proof = _md5(f"{ha1}:{NONCE}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
    if os.environ.get("BENCH_WRONG_RSPAUTH"):  # the smoke test's forged proof
        proof = _md5(proof)
    info = f'rspauth="{proof}", cnonce="{params["cnonce"]}", nc={params["nc"]}, qop=auth'
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
        f"Authentication-Info: {info}\r\n\r\nok"
    ).encode()


def _read_body(conn: socket.socket, buffer: bytes, headers: Dict[str, str]) -> Optional[bytes]:
    """Consume the request body after the head; returns what follows it, None on EOF."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        for _ in range(1_000_000):
            while b"\r\n" not in buffer:
                more = conn.recv(65536)
                if not more:
                    return None
                buffer += more
            size_line, buffer = buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            need = size + 2
            while len(buffer) < need:
                more = conn.recv(max(65536, need - len(buffer)))
                if not more:
                    return None
                buffer += more
            buffer = buffer[need:]
            if size == 0:
                return buffer
        return None
    length = int(headers.get("content-length", "0") or 0)
    while len(buffer) < length:
        more = conn.recv(max(65536, length - len(buffer)))
        if not more:
            return None
        buffer += more
    return buffer[length:]


def _serve_connection(conn: socket.socket, scheme: str) -> None:
    conn.settimeout(60)
    buffer = b""
    try:
        for _ in range(10_000_000):
            while b"\r\n\r\n" not in buffer:
                more = conn.recv(65536)
                if not more:
                    return
                buffer += more
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            headers = {}
            for text in lines[1:]:
                name, _, value = text.partition(":")
                headers[name.strip().lower()] = value.strip()
            rest = _read_body(conn, buffer, headers)
            if rest is None:
                return
            buffer = rest
            conn.sendall(_answer(scheme, method, headers.get("authorization")))
    except OSError:
        return
    finally:
        conn.close()


def serve_open_forever(max_seconds: float, scheme: str = "none") -> None:
    """Child process: listen on a free loopback port, print it, serve until stdin closes.

    ``scheme``: ``none`` (no authentication), ``basic`` or ``digest`` (:func:`_answer`)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((LOOPBACK, 0))
    listener.listen(128)
    listener.settimeout(0.2)
    print(listener.getsockname()[1], flush=True)
    stop = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()  # returns when the parent closes the pipe (or dies)
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    deadline = time.monotonic() + max_seconds
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_serve_connection, args=(conn, scheme), daemon=True).start()
    listener.close()


class OpenServer:
    """The minimal server of :func:`serve_open_forever` in a child process (context manager).

    ``scheme``: ``none``, or ``basic``/``digest`` to ask for credentials as Apache does."""

    def __init__(self, max_seconds: float = 600.0, scheme: str = "none") -> None:
        if scheme not in ("none", *_CHALLENGES):
            raise ValueError(f"unknown scheme {scheme!r}")
        self.max_seconds = max_seconds
        self.scheme = scheme
        self._process: Optional[subprocess.Popen[str]] = None
        self.port = 0

    def url(self, path: str = "/") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def __enter__(self) -> OpenServer:
        self._process = subprocess.Popen(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--serve-open",
                str(self.max_seconds),
                self.scheme,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], 30)
        if not ready:
            self._process.kill()
            raise RuntimeError("the open server did not start within 30 s")
        self.port = int(self._process.stdout.readline())
        return self

    def __exit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
        self._process = None


def start_digest_server(**kwargs: Any) -> Any:
    """A started :class:`requests_dav.demo.server.DemoServer` (Digest, WsgiDAV, 127.0.0.1)."""
    from requests_dav.demo.server import DemoServer

    return DemoServer(**kwargs).start()


class _DrainFirst:
    """WSGI middleware: a request without ``Authorization`` has its body read to the end first.

    That is what a server does when it reads (and discards) the body of a
    request it is about to refuse, as Apache httpd does, instead of answering
    401 early as cheroot does: the client then sends the whole body before it
    sees the challenge.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Dict[str, Any], start_response: Any) -> Any:
        if "HTTP_AUTHORIZATION" not in environ and environ.get("REQUEST_METHOD") == "PUT":
            stream = environ["wsgi.input"]
            for _ in range(1 << 20):
                if not stream.read(1 << 20):
                    break
        return self.app(environ, start_response)


class DrainFirstDigestServer:
    """A :class:`~requests_dav.demo.server.DemoServer` that reads a body before refusing it.

    Same WsgiDAV share, realm and credentials, with :class:`_DrainFirst` in
    front; ``url``, ``root``, ``username``, ``password`` as on the demo server.
    """

    def __init__(self) -> None:
        self._demo = start_digest_server()
        recorder = getattr(self._demo, "_recorder", None)  # the demo server's WSGI entry point
        if recorder is None or not hasattr(recorder, "app"):
            self._demo.stop()
            raise RuntimeError("DemoServer no longer exposes its WSGI app: update _common.py")
        recorder.app = _DrainFirst(recorder.app)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._demo, name)

    def stop(self) -> None:
        self._demo.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-open":
        serve_open_forever(float(sys.argv[2]), sys.argv[3])
    else:
        sys.exit("usage: _common.py --serve-open MAX_SECONDS none|basic|digest")
