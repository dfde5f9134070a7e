"""The subcommands of ``requests-dav``: thin wrappers over :class:`DAVSession` methods."""

from __future__ import annotations

import json
import posixpath
import sys
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

import click

from ..dav.errors import (
    ConflictError,
    DAVError,
    InvalidSyncTokenError,
    MethodNotAllowedError,
    NotFoundError,
    PreconditionFailedError,
    PropPatchError,
)
from ..dav.hrefs import href_to_path, same_path
from ..dav.locks import parent_url
from ..dav.requestbodies import clark
from . import (
    install_hint,
    transfer_commands,  # noqa: F401 - registers get, put and cat
)
from .app import State, clean_url, cli, global_options, some_global_options
from .common import COLLECTION, LISTING_PROPS, URL, lock_token_option, quoted_etag
from .common import name_of as _name
from .common import state as _state
from .common import submit_lock_tokens as _submit
from .common import target as _target
from .errors import EXIT_CONFLICT, EXIT_HTTP, EXIT_NOT_FOUND, EXIT_USAGE, CLIError
from .output import format_date, format_size, jsonable, table

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
        "type": COLLECTION if collection else "file",
        "size": item.content_length,
        "modified": item.last_modified,
        "etag": quoted_etag(item.etag),
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
                "d" if e["type"] == COLLECTION else "-",
                format_size(e["size"], human) if e["type"] == "file" else "-",
                format_date(e["modified"]),
                str(e["name"] or posixpath.basename(root.rstrip("/"))),
            )
            for e in entries
        ]
        for line in table(rows, "<><<"):
            state.output.line(line)

    state.output.emit({"url": target, "entries": entries}, human_output)


# -- namespace operations -------------------------------------------------------------------


@cli.command("mkdir")
@URL
@click.option("-p", "--parents", is_flag=True, help="Create missing parents; fine if it exists.")
@global_options
def mkdir_command(url: str, parents: bool) -> None:
    """Create the collection URL (MKCOL)."""
    state = _state()
    session, target = _target(state, url)
    try:
        if parents:
            session.makedirs(target)
        else:
            session.mkcol(target)
    except ConflictError as exc:
        if parents:
            raise
        raise CLIError(
            f"the parent of {target} does not exist (409): use mkdir -p to create it too",
            EXIT_CONFLICT,
            409,
        ) from exc
    except MethodNotAllowedError as exc:
        raise CLIError(f"{target} already exists (405)", EXIT_HTTP, 405) from exc
    state.output.emit({"url": target, "created": True}, lambda: None)


@cli.command(
    "rm",
    epilog="rm -r of the root of a WebDAV share (a collection whose parent is not a WebDAV "
    "collection) asks first on a terminal, and needs --force otherwise.",
)
@URL
@click.option("-r", "--recursive", is_flag=True, help="Delete a collection and everything in it.")
@click.option("-f", "--force", is_flag=True, help="Delete a share's root without asking.")
@lock_token_option
@global_options
def rm_command(url: str, recursive: bool, force: bool, lock_tokens: Tuple[str, ...]) -> None:
    """Delete URL (a collection only with -r)."""
    state = _state()
    session, target = _target(state, url)
    _submit(session, lock_tokens, target)
    try:
        item = session.info(target, ["resourcetype"])
    except NotFoundError as exc:
        raise CLIError(f"not found: {target}", EXIT_NOT_FOUND, 404) from exc
    if item.is_collection:
        if not recursive:
            raise CLIError(f"{target} is a collection: use rm -r", EXIT_USAGE)
        if not force and _is_share_root(session, target):
            _confirm_root(target)
    try:
        session.delete(target)
    except NotFoundError as exc:
        raise CLIError(f"not found: {target}", EXIT_NOT_FOUND, 404) from exc
    state.output.emit({"url": target, "deleted": True}, lambda: None)


def _is_share_root(session: Any, target: str) -> bool:
    """Whether ``target`` is the root of its WebDAV share: the server root, or a collection
    whose parent answers no PROPFIND as a collection."""
    parent = parent_url(target.rstrip("/") + "/")
    if same_path(href_to_path(parent, parent), href_to_path(target, target)):
        return True
    try:
        return not session.info(parent, ["resourcetype"]).is_collection
    except DAVError:
        return True


def _confirm_root(target: str) -> None:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise CLIError(
            f"{target} is the root of the WebDAV share: give --force to delete everything in it",
            EXIT_USAGE,
        )
    if not click.confirm(
        f"{target} is the root of the WebDAV share. Delete it and everything in it?",
        default=False,
        err=True,
    ):
        raise CLIError("nothing deleted", EXIT_USAGE)


def _transfer(
    method: str, source: str, destination: str, overwrite: bool, tokens: Tuple[str, ...]
) -> None:
    state = _state()
    if destination.endswith("/") and not source.endswith("/"):
        destination = destination + quote(_name(source))
    session, target = _target(state, source, destination)
    destination = clean_url(destination)
    _submit(session, tokens, target, destination)
    try:
        result = getattr(session, method)(target, destination, overwrite=overwrite)
    except PreconditionFailedError as exc:
        if overwrite:
            raise
        raise CLIError(
            f"{destination} exists (412, --no-overwrite): nothing was changed", EXIT_CONFLICT, 412
        ) from exc
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
@lock_token_option
@global_options
def mv_command(src: str, dst: str, no_overwrite: bool, lock_tokens: Tuple[str, ...]) -> None:
    """Move SRC to DST on the same server (MOVE)."""
    _transfer("move", src, dst, not no_overwrite, lock_tokens)


@cli.command("cp", epilog="A DST ending in '/' receives SRC under its own name.")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@_NO_OVERWRITE
@lock_token_option
@global_options
def cp_command(src: str, dst: str, no_overwrite: bool, lock_tokens: Tuple[str, ...]) -> None:
    """Copy SRC to DST on the same server (COPY).

    A collection is copied with all its members.
    """
    _transfer("copy", src, dst, not no_overwrite, lock_tokens)


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
@lock_token_option
@global_options
def props_command(
    url: str,
    names: Tuple[str, ...],
    assignments: Tuple[str, ...],
    removals: Tuple[str, ...],
    lock_tokens: Tuple[str, ...],
) -> None:
    """Show or change the properties of URL.

    Without --set/--remove, every property is shown (PROPFIND allprop). With them,
    one PROPPATCH applies all changes or none, and each property's status is shown.
    """
    state = _state()
    session, target = _target(state, url)
    if assignments or removals:
        _submit(session, lock_tokens, target)
        to_set = dict(_assignment(a) for a in assignments)
        to_remove = [_clark(n) for n in removals]
        bare = [n.partition("=")[0].strip() for n in (*assignments, *removals)]
        bare = [n for n in bare if not n.startswith("{")]
        _proppatch(state, session, target, to_set, to_remove, bare)
        return
    wanted = [_clark(n) for n in names] or None
    response = session.info(target, wanted)
    properties = dict(response.props)
    if isinstance(properties.get(_GETETAG), str):
        properties[_GETETAG] = quoted_etag(properties[_GETETAG])
    failed = dict(response.failed)

    def human_output() -> None:
        rows = [(_short(k), _value_text(v)) for k, v in sorted(properties.items())]
        rows += [(_short(k), f"<{status}>") for k, status in sorted(failed.items())]
        for line in table(rows, "<<"):
            state.output.line(line)

    state.output.emit({"url": target, "properties": properties, "failed": failed}, human_output)


_GETETAG = "{DAV:}getetag"


def _proppatch(
    state: State,
    session: Any,
    target: str,
    to_set: Dict[str, str],
    to_remove: List[str],
    bare: List[str],
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

    document: Dict[str, Any] = {"url": target, "applied": error is None, "statuses": statuses}
    hint = None
    if error is not None and bare:
        hint = (
            f"{', '.join(sorted(set(bare)))}: a name without a namespace means {{DAV:}}name, "
            "which servers protect; give your own namespace, e.g. {urn:example}name"
        )
        document["hint"] = hint
    state.output.emit(document, human_output)
    if error is not None:
        if hint is not None:
            state.output.info(f"hint: {hint}")
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
    epilog="Needs the demo extra: " + install_hint("demo"),
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
@some_global_options("user", "json", "debug")
def demo_command(serve: bool, no_walkthrough: bool, port: int) -> None:
    """Run the guided demo on an embedded WebDAV server.

    Starts WsgiDAV with Digest authentication on a free port of 127.0.0.1 and walks
    through what the library does, printing the requests the server received. Each
    step checks its claim: the exit code is 0 only when all of them hold. --user
    names the demo's user (default: demo).
    """
    from ..demo import walkthrough

    state = _state()
    if no_walkthrough and not serve:
        raise CLIError("--no-walkthrough only makes sense with --serve", EXIT_USAGE)
    walkthrough.run(
        state.output,
        walkthrough=not no_walkthrough,
        serve=serve,
        port=port,
        username=state.settings.user or "demo",
    )


__all__ = ["cli"]
