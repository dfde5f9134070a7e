"""The guided demo behind ``requests-dav demo``: what the library does, shown on the wire.

It starts a :class:`~requests_dav.demo.server.DemoServer` (WsgiDAV, Digest
authentication) and walks through six steps with a :class:`DAVSession`, printing
what the server received (its :class:`WireRecord` list) as evidence. Each step
checks what it claims and raises :class:`DemoCheckFailed` if it does not hold,
so the demo is also an end-to-end check: it exits 0 only when every step held.
"""

from __future__ import annotations

import contextlib
import hashlib
import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from ..cli.errors import EXIT_FAILURE, CLIError
from ..cli.output import Output, format_date, format_size, table
from .server import REALM, DemoServer, WireRecord

__all__ = ["GENERATED_SIZE", "DemoCheckFailed", "Walkthrough", "generated_chunks", "run"]

#: bytes uploaded from a generator in step 1 (below the default ``max_replay_bytes``, 1 MiB)
GENERATED_SIZE = 512 * 1024
_CHUNK = 64 * 1024
DEMO_NS = "urn:requests-dav:demo"


class DemoCheckFailed(CLIError):
    """A step of the demo did not hold what it claims (exit code 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"demo check failed: {message}", EXIT_FAILURE)


def generated_chunks(size: int = GENERATED_SIZE) -> Iterator[bytes]:
    """Deterministic bytes, produced on the fly: a body that can be read only once."""
    counter = 0
    produced = 0
    while produced < size:
        block = hashlib.sha256(counter.to_bytes(8, "big")).digest() * (_CHUNK // 32)
        block = block[: size - produced]
        counter += 1
        produced += len(block)
        yield block


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _wire(record: WireRecord) -> str:
    auth = record.auth_scheme.capitalize() if record.auth_scheme else "no credentials"
    return f"{record.method} {record.path} -> {record.status} ({auth})"


@dataclass
class Step:
    number: int
    title: str
    evidence: List[str] = field(default_factory=list)
    wire: List[Dict[str, Any]] = field(default_factory=list)


class Walkthrough:
    """The six steps against a running :class:`DemoServer`, printed to ``output``."""

    def __init__(self, server: DemoServer, output: Output) -> None:
        from ..dav.session import DAVSession

        self.server = server
        self.output = output
        self.session = DAVSession(server.url, auth=(server.username, server.password))
        self.steps: List[Step] = []
        self.operations = 0
        self._seen = 0
        self._step: Optional[Step] = None

    # -- printing ---------------------------------------------------------------------------

    def _say(self, text: str = "") -> None:
        if not self.output.json_mode:
            self.output.line(text)

    def _begin(self, title: str, explanation: Sequence[str]) -> Step:
        step = Step(len(self.steps) + 1, title)
        self.steps.append(step)
        self._step = step
        self._say()
        self._say(f"[{step.number}/6] {title}")
        for line in explanation:
            self._say(f"      {line}")
        return step

    def _evidence(self, text: str) -> None:
        assert self._step is not None
        self._step.evidence.append(text)
        self._say(f"      {text}")

    def _new_records(self) -> List[WireRecord]:
        """What reached the server since the last call, each printed as a ``wire:`` line."""
        records = self.server.records
        new = records[self._seen :]
        self._seen = len(records)
        for record in new:
            if self._step is not None:
                self._step.wire.append(
                    {
                        "method": record.method,
                        "path": record.path,
                        "status": record.status,
                        "auth": record.auth_scheme,
                    }
                )
            self._say(f"      wire: {_wire(record)}")
        return new

    def _op(self, function: Callable[[], Any]) -> Any:
        """One library call (one logical request); counted for the summary."""
        self.operations += 1
        return function()

    @staticmethod
    def _check(condition: bool, message: str) -> None:
        if not condition:
            raise DemoCheckFailed(message)

    # -- the steps --------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.replayed_upload()
            self.preemptive_request()
            self.listing()
            self.lock_with_if_header()
            self.move()
            self.proppatch()
            self.summary()
        finally:
            self.session.close()

    def replayed_upload(self) -> None:
        self._begin(
            "A generator upload, answered by 401 and replayed byte-identical",
            [
                "A generator can be read only once: plain requests would send the retry",
                "empty. requests-dav tees the body into a buffer (up to max_replay_bytes)",
                "while sending it, and sends the same bytes again with Digest credentials.",
            ],
        )
        digest = hashlib.sha256()
        produced = 0

        def body() -> Iterator[bytes]:
            nonlocal produced
            for chunk in generated_chunks():
                digest.update(chunk)
                produced += len(chunk)
                yield chunk

        result = self._op(lambda: self.session.upload(body(), "generated.bin"))
        records = self._new_records()
        puts = [r for r in records if r.method == "PUT"]
        self._check(
            [r.status for r in puts][:1] == [401] and puts[0].auth_scheme is None,
            f"expected the first PUT to be answered 401, got {[_wire(r) for r in puts]}",
        )
        self._check(
            len(puts) == 2 and puts[1].auth_scheme == "digest" and puts[1].status in (200, 201),
            f"expected one replayed PUT with Digest credentials, got {[_wire(r) for r in puts]}",
        )
        self._check(result.status in (200, 201), f"upload answered {result.status}")
        stored = (self.server.root / "generated.bin").read_bytes()
        on_disk = hashlib.sha256(stored).hexdigest()
        self._evidence(f"generated {produced:,} bytes  sha256 {digest.hexdigest()[:16]}...")
        self._evidence(f"on disk   {len(stored):,} bytes  sha256 {on_disk[:16]}...")
        self._check(
            len(stored) == produced and on_disk == digest.hexdigest(),
            "the bytes on the server's disk differ from the generated bytes",
        )
        self._evidence("[ok] the 401 was answered and the replay is byte-identical")

    def preemptive_request(self) -> None:
        self._begin(
            "The next request is authorized preemptively",
            [
                "The flow learned the protection space (URL prefix -> realm, nonce), so the",
                "next request carries Digest credentials at once: no second 401.",
            ],
        )
        before = len(self.server.records)
        self._op(lambda: self.session.upload(b"Meeting notes\n", "notes.txt"))
        records = self._new_records()
        after = before + len(records)
        self._evidence(f"requests on the wire: {before} -> {after} (+{after - before})")
        self._check(
            len(records) == 1 and records[0].auth_scheme == "digest" and records[0].status < 300,
            f"expected exactly one authorized request, got {[_wire(r) for r in records]}",
        )
        self._evidence("[ok] exactly one request: credentials sent preemptively")

    def listing(self) -> None:
        self._begin(
            "A listing parsed into objects",
            [
                "MKCOL makes a collection; PROPFIND Depth 1 answers 207 Multi-Status, parsed",
                "(streaming, defused XML) into DAVResponse objects with typed properties.",
            ],
        )
        self._op(lambda: self.session.mkcol("archive/"))
        items = self._op(lambda: self.session.ls(""))
        self._new_records()
        rows = [("name", "size", "type", "modified")]
        for item in sorted(items, key=lambda i: str(i.path)):
            name = _basename(str(item.path)) + ("/" if item.is_collection else "")
            rows.append(
                (
                    name,
                    format_size(item.content_length) if not item.is_collection else "-",
                    "collection" if item.is_collection else "file",
                    format_date(item.last_modified),
                )
            )
        for line in table(rows, "<><<"):
            self._evidence(line)
        by_name = {_basename(str(item.path)): item for item in items}
        self._check(
            set(by_name) == {"generated.bin", "notes.txt", "archive"},
            f"unexpected listing: {sorted(by_name)}",
        )
        self._check(
            by_name["generated.bin"].content_length == GENERATED_SIZE
            and by_name["archive"].is_collection
            and not by_name["notes.txt"].is_collection,
            "the parsed sizes or types do not match what was created",
        )
        self._evidence("[ok] names, sizes, types and dates read from the 207 body")

    def lock_with_if_header(self) -> None:
        self._begin(
            "A lock, and the If header added automatically",
            [
                "LOCK returns a token that the session's lock store keeps; every write to",
                "the locked resource then carries the tagged-list If header (RFC 4918 10.4).",
            ],
        )
        lock = self._op(lambda: self.session.lock("notes.txt", timeout=300))
        records = self._new_records()
        self._evidence(f"lock token: {lock.token}")
        self._op(lambda: self.session.upload(b"Meeting notes, edited under lock\n", "notes.txt"))
        self._op(lambda: self.session.unlock(lock))
        records += self._new_records()
        put = next((r for r in records if r.method == "PUT"), None)
        self._check(put is not None and put.status < 300, "the PUT under the lock failed")
        assert put is not None
        header = put.headers.get("If", "")
        self._evidence(f"If header received by the server: {header}")
        self._check(lock.token in header, "the PUT did not carry the lock token in If")
        unlock = next((r for r in records if r.method == "UNLOCK"), None)
        self._check(unlock is not None and unlock.status == 204, "UNLOCK did not answer 204")
        self._check(len(self.session.lock_store) == 0, "the lock store still holds the lock")
        self._evidence("[ok] the token went out in If without the caller adding it")

    def move(self) -> None:
        self._begin(
            "A MOVE",
            ["MOVE carries an absolute, encoded Destination; 201 means created, 204 replaced."],
        )
        result = self._op(lambda: self.session.move("notes.txt", "archive/notes.txt"))
        records = self._new_records()
        move = next((r for r in records if r.method == "MOVE"), None)
        if move is not None:
            self._evidence(f"Destination: {move.headers.get('Destination', '')}")
        self._check(result.created, f"MOVE answered {result.status}, expected 201 Created")
        moved = self.server.root / "archive" / "notes.txt"
        self._check(
            moved.is_file() and not (self.server.root / "notes.txt").exists(),
            "the file did not move on the server's disk",
        )
        self._evidence("[ok] archive/notes.txt exists on disk, notes.txt is gone")

    def proppatch(self) -> None:
        from ..dav.errors import PropPatchError

        self._begin(
            "PROPPATCH with per-property results",
            [
                "PROPPATCH is all or nothing (RFC 4918 9.2): a protected property fails",
                "(403/409), so the others are not applied (424). Every status is kept.",
            ],
        )
        reviewed = f"{{{DEMO_NS}}}reviewed"
        protected = "{DAV:}getetag"
        try:
            self._op(
                lambda: self.session.proppatch(
                    "archive/notes.txt", set={reviewed: "yes", protected: '"forged"'}
                )
            )
        except PropPatchError as exc:
            statuses = dict(exc.statuses)
        else:
            raise DemoCheckFailed("setting DAV:getetag was accepted; it is protected")
        self._new_records()
        for name, status in statuses.items():
            why = "not applied: another property failed" if status == 424 else "refused"
            self._evidence(f"{name:36} {status}  ({why})")
        self._check(
            statuses.get(protected) in (403, 409) and statuses.get(reviewed) == 424,
            f"expected getetag 403/409 and the other 424, got {statuses}",
        )
        result = self._op(
            lambda: self.session.proppatch("archive/notes.txt", set={reviewed: "yes"})
        )
        self._new_records()
        self._evidence(f"{reviewed:36} {result[reviewed]}  (set alone: applied)")
        self._check(result[reviewed] == 200, "the dead property alone was not set")
        self._evidence("[ok] every property's status reported; the failure raised")

    def summary(self) -> None:
        records = self.server.records
        minimum = self.operations + 1
        challenged = sum(1 for r in records if r.status in (401, 407))
        self._say()
        self._say("Summary")
        self._say(f"      library calls: {self.operations}")
        self._say(f"      requests on the wire: {len(records)} ({challenged} answered 401)")
        self._say(f"      minimum: {minimum} (one per call, plus the 401 that names the realm)")
        self._check(
            len(records) == minimum,
            f"{len(records)} requests went over the wire; the minimum is {minimum}",
        )
        self._say("      [ok] no extra round trip; every step held")


def _serve_lines(server: DemoServer, walkthrough: bool) -> List[str]:
    url = server.url
    user = server.username
    # generated.bin exists only after the walkthrough; README.md after the put just above
    shown = "generated.bin" if walkthrough else "README.md"
    return [
        f"Serving {url}  (WebDAV, Digest auth, realm {REALM!r})",
        f"  user:     {user}",
        f"  password: {server.password}",
        f"  files in: {server.root}",
        "Try, in another terminal:",
        f"  export REQUESTS_DAV_PASSWORD={server.password}",
        f"  requests-dav --user {user} ls -R {url}",
        f"  requests-dav --user {user} put README.md {url}",
        f"  requests-dav --user {user} props {url}{shown}",
        "Press Ctrl-C to stop.",
    ]


@contextlib.contextmanager
def _stop_on_sigterm(event: threading.Event) -> Iterator[None]:
    """SIGTERM sets ``event`` while serving (main thread only), so the server stops and its
    temporary directory is removed as after Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(stop: threading.Event) -> None:
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        return


def run(
    output: Output,
    *,
    walkthrough: bool = True,
    serve: bool = False,
    port: int = 0,
    stop: Optional[threading.Event] = None,
    username: str = "demo",
) -> None:
    """Start the server, run the walkthrough, and with ``serve`` keep serving until Ctrl-C
    (or until ``stop`` is set).

    In ``--json`` mode the output is one JSON document (the steps' evidence, and the
    server's URL and credentials with ``serve``). Raises :class:`DemoCheckFailed` when a
    step does not hold. A busy ``port`` is a one-line error; SIGTERM stops a serving demo
    as Ctrl-C does, so its temporary directory is removed either way.
    """
    server = DemoServer(port=port, username=username)
    try:
        server.start()
    except OSError as exc:
        server.stop()
        reason = exc.strerror or "cannot listen there"
        if "in use" in str(exc):
            reason = "address already in use"
        raise CLIError(
            f"the demo server cannot listen on 127.0.0.1:{port}: {reason}; choose another "
            "--port, or 0 for a free one",
            EXIT_FAILURE,
        ) from None
    event = stop if stop is not None else threading.Event()
    try:
        document: Dict[str, Any] = {"url": server.url, "ok": True}
        if not output.json_mode:
            output.line(f"requests-dav demo: WsgiDAV with Digest auth on {server.url}")
            if walkthrough:
                output.line("Each step prints the requests the server received ('wire:').")
        if walkthrough:
            tour = Walkthrough(server, output)
            tour.run()
            document["steps"] = [
                {"number": s.number, "title": s.title, "evidence": s.evidence, "wire": s.wire}
                for s in tour.steps
            ]
            document["operations"] = tour.operations
            document["requests"] = len(server.records)
        if serve:
            # the demo server's own random password is meant to be shown (not the scrubber's)
            document["serve"] = {
                "url": server.url,
                "username": server.username,
                "password": server.password,
                "root": str(server.root),
            }
        with _stop_on_sigterm(event) if serve else contextlib.nullcontext():
            if output.json_mode:
                output.emit(document, lambda: None)
                output.stdout.flush()
            elif serve:
                output.stdout.write("\n" + "\n".join(_serve_lines(server, walkthrough)) + "\n")
                output.stdout.flush()
            if serve:
                _wait(event)
                output.info("Stopped.")
    finally:
        server.stop()
