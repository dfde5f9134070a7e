"""The subcommands of ``requests-dav``: thin wrappers over :class:`DAVSession` methods."""

from __future__ import annotations

import base64
import io
import json
import os
import posixpath
import sys
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote, unquote, urlsplit

import click

from ..auth.body import DEFAULT_MAX_REPLAY_BYTES
from ..dav.errors import DAVError, InvalidSyncTokenError, PropPatchError
from ..dav.hrefs import href_to_path, same_path
from ..dav.requestbodies import clark
from .app import State, clean_url, cli, global_options, origin_of, prepare
from .errors import EXIT_CONFLICT, EXIT_HTTP, EXIT_USAGE, CLIError
from .output import format_date, format_size, jsonable, table

URL = click.argument("url", metavar="URL")
#: what ``ls`` asks for (not allprop: cheaper, and every server answers it)
#: uploads larger than this (and stdin) authenticate first: see ``_preflight``
PREFLIGHT_BYTES = DEFAULT_MAX_REPLAY_BYTES
LISTING_PROPS = ["resourcetype", "getcontentlength", "getlastmodified", "getetag", "getcontenttype"]


def _state() -> State:
    return prepare(click.get_current_context())


def _path(url: str) -> str:
    """The decoded path of ``url`` (for names and listings)."""
    path = unquote(urlsplit(url).path, errors="surrogateescape")
    return path or "/"


def _target(state: State, url: str, *more: str) -> Tuple[Any, str]:
    """A session for ``url`` (and ``more`` URLs on the same server) and ``url`` cleaned.

    A :class:`DAVSession` uses absolute URL strings verbatim, so every command passes the
    URL itself (without userinfo: that is taken as the user name by :meth:`State.session`).
    """
    origin = origin_of(url)
    for other in more:
        if origin_of(other) != origin:
            raise CLIError(
                f"source and destination must be on the same server: {origin} vs "
                f"{origin_of(other)}",
                EXIT_USAGE,
            )
    return state.session(url, *more), clean_url(url)


def _name(url: str) -> str:
    return posixpath.basename(_path(url).rstrip("/"))


# -- listing ------------------------------------------------------------------------------


def _entry(item: Any, root: str) -> Dict[str, Any]:
    """A listing entry; ``name`` is relative to the decoded path ``root`` of the listing."""
    url = str(item.url)
    path = href_to_path(url, url)
    collection = bool(item.is_collection)
    base = root if root.endswith("/") else root + "/"
    name = path[len(base) :] if path.startswith(base) else posixpath.basename(path.rstrip("/"))
    if collection and name and not name.endswith("/"):
        name += "/"
    return {
        "name": name,
        "path": path,
        "url": url,
        "type": "directory" if collection else "file",
        "size": item.content_length,
        "modified": item.last_modified,
        "etag": item.etag,
        "content_type": item.content_type,
    }


@cli.command("ls", epilog="Example: requests-dav ls -R https://dav.example.org/files/")
@URL
@click.option("-R", "--recursive", is_flag=True, help="List subcollections too.")
@click.option("-H", "--human-readable", "human", is_flag=True, help="Sizes in K, M, G.")
@global_options
def ls_command(url: str, recursive: bool, human: bool) -> None:
    """List a collection: type, size, date, name.

    A file URL shows the file itself.
    """
    state = _state()
    session, target = _target(state, url)
    root = href_to_path(target, target)
    if recursive:
        items = session.ls(target, recursive=True, props=LISTING_PROPS)
        if not items:  # a file, or an empty collection
            items = [i for i in [session.info(target, LISTING_PROPS)] if not i.is_collection]
    else:
        items = []
        with session.iter_propfind(target, LISTING_PROPS, depth=1) as stream:
            for item in stream:
                if same_path(href_to_path(str(item.url), target), root):
                    if not item.is_collection:
                        items.append(item)  # ls of a file shows the file
                else:
                    items.append(item)
    entries = sorted((_entry(item, root) for item in items), key=lambda e: str(e["name"]))

    def human_output() -> None:
        rows = [
            (
                "d" if e["type"] == "directory" else "-",
                format_size(e["size"], human) if e["type"] == "file" else "-",
                format_date(e["modified"]),
                str(e["name"] or posixpath.basename(root.rstrip("/"))),
            )
            for e in entries
        ]
        for line in table(rows, "<><<"):
            state.output.line(line)

    state.output.emit({"url": target, "entries": entries}, human_output)


# -- transfers ----------------------------------------------------------------------------


class _Progress:
    """``progress(done, total)`` for DAVSession, drawn with a tqdm bar (or not at all)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, done: int, total: Optional[int]) -> None:
        bar = self.bar
        if total is not None and getattr(bar, "total", None) != total:
            bar.total = total
        if done < bar.n:  # the body is sent again after a 401: start over
            bar.reset(total)
        bar.update(done - bar.n)


@cli.command("get", epilog="FILE '-' writes to stdout. Example: requests-dav get URL report.pdf")
@URL
@click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=True))
@global_options
def get_command(url: str, file: Optional[str]) -> None:
    """Download URL to FILE.

    FILE defaults to the last segment of the URL, in the current directory.
    """
    state = _state()
    session, target = _target(state, url)
    if file is None:
        file = _name(target)
        if not file:
            raise CLIError(f"no file name in {target}: give FILE", EXIT_USAGE)
    elif file != "-" and os.path.isdir(file):
        file = os.path.join(file, _name(target))
    with state.output.progress(None, _name(target)) as bar:
        if file == "-":
            written = session.download(target, sys.stdout.buffer, progress=_Progress(bar))
        else:
            written = session.download(target, file, progress=_Progress(bar))
    state.output.emit(
        {"url": target, "file": file, "bytes": written},
        lambda: state.output.info(f"{target} -> {file} ({written} bytes)") if file != "-" else None,
    )


@cli.command(
    "put",
    epilog="FILE '-' reads stdin (sent chunked). A URL ending in '/' receives the file under "
    "its own name. Small files are replayed byte-identical after a 401; stdin and files over "
    "1 MiB are preceded by a PROPFIND that authenticates, so the body goes out once.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@URL
@click.option(
    "--create-only", is_flag=True, help="Fail (exit 5) if URL exists (If-None-Match: *, no race)."
)
@click.option("--content-type", metavar="TYPE", help="Content-Type of the upload.")
@global_options
def put_command(file: str, url: str, create_only: bool, content_type: Optional[str]) -> None:
    """Upload FILE to URL (created or replaced)."""
    state = _state()
    if url.endswith("/") and file != "-":
        url = url + quote(os.path.basename(file))
    session, target = _target(state, url)
    size = None if file == "-" else os.path.getsize(file)
    source: Any = sys.stdin.buffer if file == "-" else file
    if size is None or size > PREFLIGHT_BYTES:
        _preflight(session, target)
    with state.output.progress(size, _name(target)) as bar:
        result = session.upload(
            source,
            target,
            progress=_Progress(bar),
            if_none_match="*" if create_only else None,
            content_type=content_type,
        )
    sent = size
    if sent is None and result.response is not None:
        sent = _request_length(result.response)
    state.output.emit(
        {
            "url": target,
            "file": file,
            "bytes": sent,
            "status": result.status,
            "created": result.created,
            "etag": result.etag,
        },
        lambda: state.output.info(
            f"{file} -> {target} ({'created' if result.created else 'replaced'}"
            + (f", {sent} bytes)" if sent is not None else ")")
        ),
    )


def _preflight(session: Any, target: str) -> None:
    """Authenticate with a Depth 0 PROPFIND before a large or streamed upload.

    The PUT then carries credentials at once, so a big body is not sent twice (many
    servers read the whole body before answering 401) and a stream larger than the
    replay buffer is never refused after the fact; wrong credentials fail before any
    byte of the upload is sent. Any answer but 401/407 (404 for a new file) is fine.
    Not HEAD: WsgiDAV sends a body with its 401 to HEAD, which breaks the connection.
    """
    try:
        session.exists(target)
    except DAVError as exc:
        if exc.status in (401, 407):
            raise


def _request_length(response: Any) -> Optional[int]:
    body = getattr(response.request, "body", None)
    length = response.request.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length)
    tell = getattr(body, "tell", None)
    return int(tell()) if callable(tell) else None


@cli.command("cat")
@URL
@global_options
def cat_command(url: str) -> None:
    """Write the content of URL to stdout."""
    state = _state()
    session, target = _target(state, url)
    if state.output.json_mode:
        buffer = io.BytesIO()
        session.download(target, buffer)
        content = buffer.getvalue()
        try:
            document = {
                "url": target,
                "size": len(content),
                "encoding": "utf-8",
                "content": content.decode("utf-8"),
            }
        except UnicodeDecodeError:
            document = {
                "url": target,
                "size": len(content),
                "encoding": "base64",
                "content": base64.b64encode(content).decode("ascii"),
            }
        state.output.emit(document, lambda: None)
        return
    out = sys.stdout.buffer
    session.download(target, out)
    out.flush()


# -- namespace operations -------------------------------------------------------------------


@cli.command("mkdir")
@URL
@click.option("-p", "--parents", is_flag=True, help="Create missing parents; fine if it exists.")
@global_options
def mkdir_command(url: str, parents: bool) -> None:
    """Create the collection URL (MKCOL)."""
    state = _state()
    session, target = _target(state, url)
    if parents:
        session.makedirs(target)
    else:
        session.mkcol(target)
    state.output.emit({"url": target, "created": True}, lambda: None)


@cli.command("rm")
@URL
@click.option("-r", "--recursive", is_flag=True, help="Delete a collection and everything in it.")
@global_options
def rm_command(url: str, recursive: bool) -> None:
    """Delete URL (a collection only with -r)."""
    state = _state()
    session, target = _target(state, url)
    if recursive:
        session.rmtree(target)
    else:
        if session.info(target, ["resourcetype"]).is_collection:
            raise CLIError(f"{target} is a collection: use rm -r", EXIT_USAGE)
        session.delete(target)
    state.output.emit({"url": target, "deleted": True}, lambda: None)


def _transfer(method: str, source: str, destination: str, overwrite: bool) -> None:
    state = _state()
    if destination.endswith("/") and not source.endswith("/"):
        destination = destination + quote(_name(source))
    session, target = _target(state, source, destination)
    destination = clean_url(destination)
    result = getattr(session, method)(target, destination, overwrite=overwrite)
    state.output.emit(
        {
            "source": target,
            "destination": destination,
            "status": result.status,
            "created": result.created,
        },
        lambda: state.output.info(
            f"{target} -> {destination} ({'created' if result.created else 'replaced'})"
        ),
    )


_NO_OVERWRITE = click.option(
    "-n", "--no-overwrite", is_flag=True, help="Fail (exit 5) if DST exists (Overwrite: F)."
)


@cli.command("mv", epilog="A DST ending in '/' receives SRC under its own name.")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@_NO_OVERWRITE
@global_options
def mv_command(src: str, dst: str, no_overwrite: bool) -> None:
    """Move SRC to DST on the same server (MOVE)."""
    _transfer("move", src, dst, not no_overwrite)


@cli.command("cp", epilog="A DST ending in '/' receives SRC under its own name.")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@_NO_OVERWRITE
@global_options
def cp_command(src: str, dst: str, no_overwrite: bool) -> None:
    """Copy SRC to DST on the same server (COPY).

    A collection is copied with all its members.
    """
    _transfer("copy", src, dst, not no_overwrite)


# -- properties ---------------------------------------------------------------------------


def _assignment(text: str) -> Tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise CLIError(f"--set wants NAME=VALUE, got {text!r}", EXIT_USAGE)
    return _clark(name), value


def _clark(name: str) -> str:
    try:
        return clark(name.strip())
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from exc


def _short(name: str) -> str:
    return name[6:] if name.startswith("{DAV:}") else name


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    shown = jsonable(value)
    if isinstance(shown, str):
        return shown
    return json.dumps(shown, sort_keys=True, ensure_ascii=False)


@cli.command(
    "props",
    epilog="Names are Clark notation ({namespace}name) or bare names meaning DAV:. "
    "Example: requests-dav props URL --set '{urn:example}color=blue' --remove displayname",
)
@URL
@click.option(
    "-p",
    "--prop",
    "names",
    multiple=True,
    metavar="NAME",
    help="Show only this property (repeatable).",
)
@click.option(
    "--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Set a property (repeatable)."
)
@click.option(
    "--remove", "removals", multiple=True, metavar="NAME", help="Remove a property (repeatable)."
)
@global_options
def props_command(
    url: str, names: Tuple[str, ...], assignments: Tuple[str, ...], removals: Tuple[str, ...]
) -> None:
    """Show or change the properties of URL.

    Without --set/--remove, every property is shown (PROPFIND allprop). With them,
    one PROPPATCH applies all changes or none, and each property's status is shown.
    """
    state = _state()
    session, target = _target(state, url)
    if assignments or removals:
        to_set = dict(_assignment(a) for a in assignments)
        to_remove = [_clark(n) for n in removals]
        _proppatch(state, session, target, to_set, to_remove)
        return
    wanted = [_clark(n) for n in names] or None
    response = session.info(target, wanted)
    properties = dict(response.props)
    failed = dict(response.failed)

    def human_output() -> None:
        rows = [(_short(k), _value_text(v)) for k, v in sorted(properties.items())]
        rows += [(_short(k), f"<{status}>") for k, status in sorted(failed.items())]
        for line in table(rows, "<<"):
            state.output.line(line)

    state.output.emit({"url": target, "properties": properties, "failed": failed}, human_output)


def _proppatch(
    state: State, session: Any, target: str, to_set: Dict[str, str], to_remove: List[str]
) -> None:
    error: Optional[PropPatchError] = None
    try:
        statuses = dict(session.proppatch(target, set=to_set, remove=to_remove).statuses)
    except PropPatchError as exc:
        error = exc
        statuses = dict(exc.statuses)

    def human_output() -> None:
        rows = [(_short(k), str(v), _verdict(v)) for k, v in statuses.items()]
        for line in table(rows, "<><"):
            state.output.line(line)

    state.output.emit({"url": target, "applied": error is None, "statuses": statuses}, human_output)
    if error is not None:
        raise error


def _verdict(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status == 424:
        return "not applied (another property failed)"
    return "failed"


# -- locks ----------------------------------------------------------------------------------


@cli.command("lock", epilog="The lock outlives the command: keep the token for unlock.")
@URL
@click.option("--shared", is_flag=True, help="A shared lock (default: exclusive).")
@click.option(
    "--depth",
    type=click.Choice(["0", "infinity"]),
    default="infinity",
    show_default=True,
    help="Lock a collection's members too (infinity) or not.",
)
@click.option(
    "--lock-timeout",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Ask for this lifetime (default: infinite; the server decides).",
)
@click.option("--owner", metavar="TEXT", help="Who holds the lock (shown in lock discovery).")
@global_options
def lock_command(
    url: str, shared: bool, depth: str, lock_timeout: Optional[int], owner: Optional[str]
) -> None:
    """Take a write lock on URL and print its token."""
    state = _state()
    session, target = _target(state, url)
    lock = session.lock(
        target,
        scope="shared" if shared else "exclusive",
        depth=depth,
        timeout=lock_timeout,
        owner=owner,
    )
    document = {
        "url": target,
        "token": lock.token,
        "root": lock.root,
        "scope": lock.scope,
        "depth": lock.depth,
        "timeout": lock.timeout,
    }
    state.output.emit(document, lambda: state.output.line(lock.token))


@cli.command("unlock")
@URL
@click.argument("token")
@global_options
def unlock_command(url: str, token: str) -> None:
    """Release the lock TOKEN on URL (UNLOCK)."""
    state = _state()
    session, target = _target(state, url)
    token = token.strip().strip("<>")
    session.unlock(token, target)
    state.output.emit({"url": target, "token": token, "unlocked": True}, lambda: None)


# -- server ---------------------------------------------------------------------------------


@cli.command("options")
@URL
@global_options
def options_command(url: str) -> None:
    """Show DAV classes, methods and extensions (OPTIONS)."""
    state = _state()
    session, target = _target(state, url)
    capabilities = session.options(target)
    document = {
        "url": target,
        "dav": list(capabilities.dav),
        "allow": list(capabilities.allow),
        "extensions": dict(capabilities.extensions),
    }

    def human_output() -> None:
        state.output.line(f"DAV:    {', '.join(capabilities.dav) or '(none: not a WebDAV server)'}")
        state.output.line(f"Allow:  {', '.join(capabilities.allow) or '(not sent)'}")
        for name, value in sorted(capabilities.extensions.items()):
            state.output.line(f"{name}: {value}")

    state.output.emit(document, human_output)


@cli.command(
    "sync",
    epilog="Without --token, lists every member and prints the token to start from. "
    "Exit 5 when the server no longer accepts the token: sync again without it.",
)
@URL
@click.option("--token", metavar="TOKEN", help="The sync token of the previous run.")
@global_options
def sync_command(url: str, token: Optional[str]) -> None:
    """Print the changes since a sync token (RFC 6578).

    Sends a sync-collection REPORT for the collection URL.
    """
    state = _state()
    session, target = _target(state, url)
    try:
        result = session.sync_collection(target, sync_token=token)
    except InvalidSyncTokenError as exc:
        raise CLIError(
            f"the server no longer accepts this sync token: run sync without --token ({exc})",
            EXIT_CONFLICT,
            exc.status,
        ) from exc
    except DAVError as exc:
        if exc.status in (405, 501) or (exc.status == 403 and not exc.conditions):
            raise CLIError(
                f"{target} does not offer sync-collection (RFC 6578): {exc}",
                EXIT_HTTP,
                exc.status,
            ) from exc
        raise
    root = href_to_path(target, target)
    changed = [_entry(item, root) for item in result.changed]
    removed = [href_to_path(str(item.url), target) for item in result.removed]
    new_token = result.sync_token

    def human_output() -> None:
        for entry in changed:
            state.output.line(f"changed  {entry['path']}")
        for item in removed:
            state.output.line(f"removed  {item}")
        state.output.line(f"token    {new_token}")
        if result.truncated:
            state.output.info("the server sent part of the changes: sync again with this token")

    state.output.emit(
        {
            "url": target,
            "changed": changed,
            "removed": removed,
            "token": new_token,
            "truncated": result.truncated,
        },
        human_output,
    )


# -- demo -----------------------------------------------------------------------------------


@cli.command(
    "demo",
    epilog='Needs the demo extra: pip install "requests-dav[demo]"',
)
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the server running afterwards (until Ctrl-C) to try other commands.",
)
@click.option(
    "--no-walkthrough",
    is_flag=True,
    help="With --serve: start the server only, skip the walkthrough.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port for the server (default: a free one).",
)
@global_options
def demo_command(serve: bool, no_walkthrough: bool, port: int) -> None:
    """Run the guided demo on an embedded WebDAV server.

    Starts WsgiDAV with Digest authentication on a free port of 127.0.0.1 and walks
    through what the library does, printing the requests the server received. Each
    step checks its claim: the exit code is 0 only when all of them hold.
    """
    from ..demo import walkthrough

    state = _state()
    walkthrough.run(
        state.output,
        walkthrough=not no_walkthrough,
        serve=serve,
        port=port,
    )


__all__ = ["cli"]
