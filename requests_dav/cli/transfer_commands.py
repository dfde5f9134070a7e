"""``get``, ``put`` and ``cat``: one file, or a whole tree with ``-r`` and ``-j N`` workers.

Downloads into a file are atomic (a temporary ``.NAME.rdpart`` beside the target, renamed
when complete) and ``--continue`` resumes one (Range + If-Range, RFC 9110 sections 14.2 and
13.1.5). ``put --atomic`` uploads under a temporary name and moves it into place (RFC 4918
section 9.9). ``-r`` copies the *contents* of the source directory or collection into the
destination, as ``rclone copy`` does.
"""

from __future__ import annotations

import base64
import io
import os
import sys
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote

import click

from ..auth.body import DEFAULT_MAX_REPLAY_BYTES
from ..dav.errors import DAVError, PreconditionFailedError
from ..dav.transfers import partial_path
from .app import State, cli, global_options
from .common import (
    URL,
    BarProgress,
    lock_token_option,
    name_of,
    quoted_etag,
    state,
    submit_lock_tokens,
    target,
)
from .errors import EXIT_CONFLICT, EXIT_USAGE, CLIError, classify

#: uploads larger than this (and stdin) authenticate first: see ``_preflight``
PREFLIGHT_BYTES = DEFAULT_MAX_REPLAY_BYTES
DEFAULT_JOBS = 4


def _jobs_option(function: Any) -> Any:
    function = click.option(
        "--manifest",
        type=click.Path(dir_okay=False),
        help="With -r: skip files whose ETag and local size and time are as recorded in this "
        "JSON file (written at the end).",
    )(function)
    function = click.option(
        "--skip-unchanged",
        is_flag=True,
        help="With -r: skip files of the same size and modification time on both sides.",
    )(function)
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(1, 64),
        default=DEFAULT_JOBS,
        show_default=True,
        help="With -r: files transferred at once.",
    )(function)


class TreeBar:
    """One progress bar (bytes, with files done in the postfix) for a tree transfer."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, status: Any) -> None:
        bar = self.bar
        if getattr(bar, "total", None) != status.bytes_total:
            bar.total = status.bytes_total
        bar.update(status.bytes_done - bar.n)
        postfix = getattr(bar, "set_postfix_str", None)
        if callable(postfix):
            postfix(f"{status.files_done}/{status.files_total} files", refresh=False)


def _skip_rule(skip_unchanged: bool, manifest: Optional[str]) -> Any:
    if manifest is not None:
        return "etag"
    return "size-mtime" if skip_unchanged else False


def _tree_report(current: State, document: Dict[str, Any], result: Any, verb: str) -> None:
    failures = [{"path": f.path, "message": f.message} for f in result.failed]
    document.update(
        files=result.files,
        bytes=result.bytes,
        skipped=result.skipped,
        collections=result.collections,
        failed=failures,
    )

    def human() -> None:
        for failure in failures:
            current.output.info(f"failed: {failure['path']}: {failure['message']}")
        current.output.info(
            f"{verb} {result.files} files ({result.bytes} bytes), {result.skipped} skipped "
            f"as unchanged, {len(failures)} failed"
        )

    current.output.emit(document, human)
    if result.failed:
        first = result.failed[0]
        code = classify(first.error).code if first.error is not None else 1
        raise CLIError(
            f"{len(failures)} of {len(failures) + result.files} files failed; first: "
            f"{first.path}: {first.message}",
            code,
        )


# -- get ------------------------------------------------------------------------------------


@cli.command(
    "get",
    epilog="FILE '-' writes to stdout. A download is written to .NAME.rdpart beside FILE and "
    "renamed when complete. Examples: requests-dav get URL report.pdf; "
    "requests-dav get -r -j 8 URL/ photos/",
)
@URL
@click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("-r", "--recursive", is_flag=True, help="Download a collection's contents.")
@click.option(
    "-c",
    "--continue",
    "resume",
    is_flag=True,
    help="Resume an interrupted download (Range + If-Range); starts over if the file changed.",
)
@_jobs_option
@global_options
def get_command(
    url: str,
    file: Optional[str],
    recursive: bool,
    resume: bool,
    jobs: int,
    skip_unchanged: bool,
    manifest: Optional[str],
) -> None:
    """Download URL to FILE (with -r: the collection URL into the directory FILE).

    FILE defaults to the last segment of the URL, in the current directory.
    """
    current = state()
    session, where = target(current, url, connections=jobs if recursive else 1)
    if recursive:
        directory = file or name_of(where)
        if not directory or directory == "-":
            raise CLIError(f"get -r needs a directory to write {where} into", EXIT_USAGE)
        with current.output.progress(None, name_of(where) or "tree") as bar:
            result = session.download_tree(
                where,
                directory,
                workers=jobs,
                skip_unchanged=_skip_rule(skip_unchanged, manifest),
                manifest=manifest,
                progress=TreeBar(bar),
                resume=resume,
            )
        _tree_report(current, {"url": where, "directory": directory}, result, "downloaded")
        return
    _refuse_collection(session, where)
    if file is None:
        file = name_of(where)
        if not file:
            raise CLIError(f"no file name in {where}: give FILE", EXIT_USAGE)
    elif file != "-" and os.path.isdir(file):
        file = os.path.join(file, name_of(where))
    with current.output.progress(None, name_of(where)) as bar:
        if file == "-":
            written = session.download(where, sys.stdout.buffer, progress=BarProgress(bar))
        else:
            try:
                written = session.download(where, file, progress=BarProgress(bar), resume=resume)
            except BaseException:
                if os.path.exists(partial_path(file)):
                    current.output.info(
                        f"partial download kept as {partial_path(file)}; "
                        f"'requests-dav get --continue' resumes it"
                    )
                raise
    current.output.emit(
        {"url": where, "file": file, "bytes": written},
        lambda: (
            current.output.info(f"{where} -> {file} ({written} bytes)") if file != "-" else None
        ),
    )


def _refuse_collection(session: Any, where: str) -> None:
    """A GET of a collection gives the server's HTML index: refuse it, point at -r."""
    try:
        item = session.info(where, ["resourcetype"])
    except DAVError as exc:
        if exc.status in (401, 407):
            raise
        return  # not WebDAV here, or missing: the GET tells
    if item.is_collection:
        raise CLIError(f"{where} is a collection: use get -r URL DIRECTORY", EXIT_USAGE)


# -- put ------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """stdin, counting the bytes read (to say how much an interrupted upload sent)."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        data: bytes = self.raw.read(-1 if size is None else size)
        self.count += len(data)
        return data


@cli.command(
    "put",
    epilog="FILE '-' reads stdin (sent chunked). A URL ending in '/' receives the file under "
    "its own name. With -r, FILE is a directory whose contents go into the collection URL. "
    "--atomic uploads under a temporary name and moves it over URL when complete, so an "
    "interrupted upload never replaces URL. Small files are replayed byte-identical after a "
    "401; stdin and files over 1 MiB are preceded by a PROPFIND that authenticates.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=True, allow_dash=True))
@URL
@click.option("-r", "--recursive", is_flag=True, help="Upload a directory's contents.")
@click.option(
    "--create-only", is_flag=True, help="Fail (exit 5) if URL exists (If-None-Match: *, no race)."
)
@click.option("--atomic", is_flag=True, help="Upload to a temporary name, then MOVE into place.")
@click.option("--content-type", metavar="TYPE", help="Content-Type of the upload.")
@_jobs_option
@lock_token_option
@global_options
def put_command(
    file: str,
    url: str,
    recursive: bool,
    create_only: bool,
    atomic: bool,
    content_type: Optional[str],
    jobs: int,
    skip_unchanged: bool,
    manifest: Optional[str],
    lock_tokens: Tuple[str, ...],
) -> None:
    """Upload FILE to URL (created or replaced); with -r a directory tree."""
    current = state()
    if recursive:
        _put_tree(
            current,
            file,
            url,
            jobs,
            _skip_rule(skip_unchanged, manifest),
            manifest,
            atomic,
            lock_tokens,
        )
        return
    if file != "-" and os.path.isdir(file):
        raise CLIError(f"{file} is a directory: use put -r DIRECTORY URL/", EXIT_USAGE)
    if url.endswith("/") and file != "-":
        url = url + quote(os.path.basename(file))
    session, where = target(current, url)
    submit_lock_tokens(session, lock_tokens, where)
    size = None if file == "-" else os.path.getsize(file)
    source: Any = _CountingReader(sys.stdin.buffer) if file == "-" else file
    if size is None or size > PREFLIGHT_BYTES:
        _preflight(session, where)
    try:
        with current.output.progress(size, name_of(where)) as bar:
            result = session.upload(
                source,
                where,
                progress=BarProgress(bar),
                if_none_match="*" if create_only else None,
                content_type=content_type,
                atomic=atomic,
            )
    except PreconditionFailedError as exc:
        if create_only:
            raise CLIError(
                f"{where} exists (412, --create-only): nothing was replaced", EXIT_CONFLICT, 412
            ) from exc
        raise
    except BaseException:
        if isinstance(source, _CountingReader):
            _say_what_the_server_holds(current, session, where, source.count, atomic)
        raise
    sent = size
    if sent is None and result.response is not None:
        sent = _request_length(result.response)
    if sent is None and isinstance(source, _CountingReader):
        sent = source.count
    current.output.emit(
        {
            "url": where,
            "file": file,
            "bytes": sent,
            "status": result.status,
            "created": result.created,
            "etag": quoted_etag(result.etag),
        },
        lambda: current.output.info(
            f"{file} -> {where} ({'created' if result.created else 'replaced'}"
            + (f", {sent} bytes)" if sent is not None else ")")
        ),
    )


def _put_tree(
    current: State,
    directory: str,
    url: str,
    jobs: int,
    rule: Any,
    manifest: Optional[str],
    atomic: bool,
    lock_tokens: Tuple[str, ...],
) -> None:
    if directory == "-" or not os.path.isdir(directory):
        raise CLIError(f"put -r needs a directory, not {directory}", EXIT_USAGE)
    if not url.endswith("/"):
        url += "/"
    session, where = target(current, url, connections=jobs)
    submit_lock_tokens(session, lock_tokens, where)
    _preflight(session, where)
    with current.output.progress(None, os.path.basename(os.path.abspath(directory))) as bar:
        result = session.upload_tree(
            directory,
            where,
            workers=jobs,
            skip_unchanged=rule,
            manifest=manifest,
            progress=TreeBar(bar),
            atomic=atomic,
        )
    _tree_report(current, {"url": where, "directory": directory}, result, "uploaded")


def _say_what_the_server_holds(
    current: State, session: Any, where: str, read: int, atomic: bool
) -> None:
    """After an interrupted upload from stdin: what is at URL now (the server may have kept
    a truncated body, or nothing)."""
    if atomic:
        current.output.info(f"upload interrupted after {read} bytes from stdin; {where} unchanged")
        return
    try:
        item = session.info(where, ["getcontentlength"])
        held = (
            f"holds {item.content_length} bytes"
            if item.content_length is not None
            else ("holds a file of unknown size")
        )
    except DAVError as exc:
        held = "holds nothing" if exc.status == 404 else "could not be asked what it holds"
    except Exception:
        held = "could not be asked what it holds"
    current.output.info(
        f"upload interrupted after {read} bytes from stdin: the server {held} at {where}, "
        "which is not the complete upload (put --atomic never leaves one)"
    )


def _preflight(session: Any, where: str) -> None:
    """Authenticate with a Depth 0 PROPFIND before a large or streamed upload.

    The PUT then carries credentials at once, so a big body is not sent twice (many
    servers read the whole body before answering 401) and a stream larger than the
    replay buffer is never refused after the fact; wrong credentials fail before any
    byte of the upload is sent. Any answer but 401/407 (404 for a new file) is fine.
    Not HEAD: WsgiDAV sends a body with its 401 to HEAD, which breaks the connection.
    """
    try:
        session.exists(where)
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


# -- cat ------------------------------------------------------------------------------------


@cli.command("cat")
@URL
@global_options
def cat_command(url: str) -> None:
    """Write the content of URL to stdout."""
    current = state()
    session, where = target(current, url)
    if current.output.json_mode:
        buffer = io.BytesIO()
        session.download(where, buffer)
        content = buffer.getvalue()
        try:
            document = {
                "url": where,
                "size": len(content),
                "encoding": "utf-8",
                "content": content.decode("utf-8"),
            }
        except UnicodeDecodeError:
            document = {
                "url": where,
                "size": len(content),
                "encoding": "base64",
                "content": base64.b64encode(content).decode("ascii"),
            }
        current.output.emit(document, lambda: None)
        return
    out = sys.stdout.buffer
    session.download(where, out)
    out.flush()


__all__ = ["cat_command", "get_command", "put_command"]
