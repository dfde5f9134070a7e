"""Tree transfers of :class:`~requests_dav.dav.session.DAVSession`: a local directory up, a
collection down, ``workers`` files at a time over the session's connection pool.

Upload (:meth:`TreeMethods.upload_tree`): the destination is listed once (PROPFIND, RFC 4918
section 9.1), missing collections are created parents first, one level at a time (MKCOL,
section 9.3: a member needs its parent), then the files are PUT in parallel. Download
(:meth:`TreeMethods.download_tree`): the collection is listed once, local directories are
made, then the files are fetched in parallel, each one atomically (see
:mod:`~requests_dav.dav.transfers`). Every name goes through :mod:`~requests_dav.dav.hrefs`,
so spaces, ``%``, ``#``, ``?``, non-ASCII and emoji round-trip; a server's href that would
leave the destination directory (``..``, an absolute path, a NUL) is refused.

Skip rules (``skip_unchanged``):

``"size-mtime"`` (or ``True``)
    Upload: skip a file when the server has one of the same size whose ``getlastmodified``
    is not older than the local file's modification time (whole seconds: HTTP dates have
    no finer resolution, RFC 9110 section 5.6.7). Download: skip when the local file has the
    server's size and its modification time equals the server's ``getlastmodified``
    (downloads set it so).
``"etag"``
    Needs ``manifest``, a JSON file that records, for every file transferred, the server's
    ETag and the local size and modification time. A file is skipped when neither side
    changed since: the server's ETag is the recorded one and the local file has the
    recorded size and time. The manifest is written when the transfer ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Optional,
    Set,
    Tuple,
    Union,
)

from . import errors, hrefs
from .client import Target
from .multistatus import DAVResponse
from .transfers import PARTIAL_SUFFIX, VALIDATOR_SUFFIX, TransferMethods

#: properties a tree listing asks for
TREE_PROPS = ["resourcetype", "getcontentlength", "getlastmodified", "getetag"]
SkipRule = Union[bool, str, None]
PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class TreeProgress:
    """Where a tree transfer stands; passed to the ``progress`` callback after each chunk
    and each finished file (from worker threads, one call at a time)."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    skipped: int
    failed: int
    current: Optional[str] = None


TreeCallback = Callable[[TreeProgress], None]


@dataclass(frozen=True)
class TreeFailure:
    """One file or collection that could not be transferred."""

    path: str
    message: str
    error: Optional[BaseException] = field(default=None, repr=False, compare=False)


@dataclass
class TreeResult:
    """The outcome of a tree transfer: files and bytes moved, files skipped as unchanged,
    collections (or directories) created, and the failures (the other files went on)."""

    files: int = 0
    bytes: int = 0
    skipped: int = 0
    collections: int = 0
    failed: List[TreeFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise the first failure's error (a :class:`DAVError` or ``OSError``), if any."""
        for failure in self.failed:
            if failure.error is not None:
                raise failure.error
            raise errors.DAVError(f"{failure.path}: {failure.message}")


class TransferCancelled(errors.DAVError):
    """A file transfer stopped because the tree transfer was interrupted."""


@dataclass(frozen=True)
class _Task:
    relative: str
    url: str
    local: str
    size: int
    remote: Optional[DAVResponse] = None


class _Tracker:
    """Thread-safe totals of a tree transfer, reported to the caller's callback."""

    def __init__(self, callback: Optional[TreeCallback], files: int, total: int) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self._done: Dict[str, int] = {}
        self.stop = threading.Event()
        self.files_total, self.bytes_total = files, total
        self.files_done = self.bytes_done = self.skipped = 0
        self.failed: List[TreeFailure] = []

    def file_progress(self, name: str) -> Callable[[int, Optional[int]], None]:
        def progress(done: int, _total: Optional[int]) -> None:
            if self.stop.is_set():
                raise TransferCancelled(f"{name}: interrupted")
            with self._lock:
                self.bytes_done += done - self._done.get(name, 0)  # a replay restarts at 0
                self._done[name] = done
                self._report(name)

        return progress

    def finished(self, name: str, size: int) -> None:
        with self._lock:
            self.bytes_done += size - self._done.pop(name, 0)
            if self.bytes_done > self.bytes_total:  # a length the listing did not tell
                self.bytes_total = self.bytes_done
            self.files_done += 1
            self._report(name)

    def skip(self, name: str, size: int) -> None:
        with self._lock:
            self.skipped += 1
            self.files_total -= 1
            self.bytes_total -= size
            self._report(name)

    def fail(self, name: str, exc: BaseException, size: int = 0) -> None:
        with self._lock:
            self.bytes_done -= self._done.pop(name, 0)
            self.bytes_total -= size
            self.files_total -= 1
            self.failed.append(TreeFailure(name, str(exc) or type(exc).__name__, exc))
            self._report(name)

    def _report(self, name: Optional[str]) -> None:
        if self._callback is not None:
            self._callback(
                TreeProgress(
                    self.files_done,
                    self.files_total,
                    self.bytes_done,
                    self.bytes_total,
                    self.skipped,
                    len(self.failed),
                    name,
                )
            )


class _Manifest:
    """The ETag skip rule's record: ``{relative path: {etag, size, mtime}}``."""

    def __init__(self, path: Optional[PathLike]) -> None:
        self.path = None if path is None else os.fspath(path)
        self._lock = threading.Lock()
        self.entries: Dict[str, Dict[str, Any]] = {}
        if self.path is not None and os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as handle:
                loaded = json.load(handle)
            if isinstance(loaded, dict):
                self.entries = {k: v for k, v in loaded.items() if isinstance(v, dict)}

    def unchanged(self, name: str, etag: Optional[str], local: str) -> bool:
        entry = self.entries.get(name)
        if entry is None or etag is None or entry.get("etag") != etag:
            return False
        try:
            stat = os.stat(local)
        except OSError:
            return False
        return bool(entry.get("size") == stat.st_size and entry.get("mtime") == int(stat.st_mtime))

    def record(self, name: str, etag: Optional[str], local: str) -> None:
        stat = os.stat(local)
        with self._lock:
            self.entries[name] = {"etag": etag, "size": stat.st_size, "mtime": int(stat.st_mtime)}

    def save(self) -> None:
        if self.path is None:
            return
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.entries, handle, indent=1, sort_keys=True, ensure_ascii=False)
        os.replace(temporary, self.path)


def _rule(skip_unchanged: SkipRule, manifest: Optional[PathLike]) -> Optional[str]:
    if skip_unchanged in (None, False):
        return None
    if skip_unchanged in (True, "size-mtime"):
        return "size-mtime"
    if skip_unchanged == "etag":
        if manifest is None:
            raise ValueError('skip_unchanged="etag" needs a manifest file')
        return "etag"
    raise ValueError('skip_unchanged is False, True, "size-mtime" or "etag"')


def safe_relative(name: str) -> Tuple[str, ...]:
    """The segments of a server-given relative path, refused (``ValueError``) when it could
    leave the destination directory or is not a usable file name."""
    parts = tuple(name.strip("/").split("/"))
    for part in parts:
        if part in ("", ".", "..") or "\x00" in part or (os.sep != "/" and os.sep in part):
            raise ValueError(f"unsafe name from the server: {name!r}")
        if os.altsep and os.altsep in part:
            raise ValueError(f"unsafe name from the server: {name!r}")
    return parts


def _timestamp(item: Optional[DAVResponse]) -> Optional[int]:
    moment = item.last_modified if item is not None else None
    return int(moment.timestamp()) if moment is not None else None


class TreeMethods(TransferMethods):
    """``upload_tree`` and ``download_tree``; see the module docstring."""

    def _collection_url(self, path: Target) -> str:
        url = self.url(path)
        return url if url.endswith("/") else url + "/"

    def _listing(
        self, root: str, refused: Optional[List[str]] = None
    ) -> Optional[Dict[str, DAVResponse]]:
        """Everything below ``root`` by relative path, or None when ``root`` is not mapped;
        hrefs that resolve outside ``root`` are left out (and added to ``refused``)."""
        try:
            items = self.ls(root, recursive=True, props=TREE_PROPS)  # type: ignore[attr-defined]
        except errors.NotFoundError:
            return None
        listing: Dict[str, DAVResponse] = {}
        for item in items:
            try:
                name = hrefs.relative_path(str(item.url), root).rstrip("/")
            except ValueError:
                if refused is not None:
                    refused.append(item.href)
                continue
            if name:
                listing[name] = item
        return listing

    def _run(
        self,
        tasks: List[_Task],
        tracker: _Tracker,
        workers: int,
        work: Callable[[_Task], int],
    ) -> None:
        """Run ``work`` for every task on ``workers`` threads; a failure is recorded and the
        others go on; Ctrl-C (or any exception here) stops the running transfers."""
        if workers < 1:
            raise ValueError("workers must be at least 1")

        def one(task: _Task) -> None:
            try:
                moved = work(task)
            except Exception as exc:
                tracker.fail(task.relative, exc, task.size)
            else:
                tracker.finished(task.relative, moved)

        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="requests-dav")
        pending: Set[Future[None]] = set()
        try:
            for task in tasks:
                pending.add(executor.submit(one, task))
            while pending:
                _done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        except BaseException:
            tracker.stop.set()
            for future in pending:
                future.cancel()
            raise
        finally:
            executor.shutdown(wait=True)

    # -- upload -----------------------------------------------------------------------------

    def upload_tree(
        self,
        local_dir: PathLike,
        path: Target = "",
        *,
        workers: int = 4,
        skip_unchanged: SkipRule = False,
        manifest: Optional[PathLike] = None,
        progress: Optional[TreeCallback] = None,
        atomic: bool = False,
    ) -> TreeResult:
        """Upload the directory ``local_dir`` into the collection ``path`` (created with its
        parents when missing), ``workers`` files at a time.

        Returns a :class:`TreeResult`; a file that fails does not stop the others (see
        :meth:`TreeResult.raise_for_failures`). ``atomic`` uploads each file under a
        temporary name and moves it into place (see :meth:`upload`). Symbolic links to
        directories are not followed.
        """
        rule = _rule(skip_unchanged, manifest)
        base = os.fspath(local_dir)
        if not os.path.isdir(base):
            raise NotADirectoryError(f"not a directory: {base}")
        root = self._collection_url(path)
        directories, files = _scan(base)
        listing = self._listing(root)
        result = TreeResult()
        if listing is None:
            self._make_root(root)
            result.collections += 1
            listing = {}
        result.collections += self._make_collections(root, directories, listing, result)
        record = _Manifest(manifest if rule == "etag" else None)
        tasks: List[_Task] = []
        total = sum(size for _name, size, _mtime in files)
        tracker = _Tracker(progress, len(files), total)
        for name, size, mtime in files:
            local = os.path.join(base, *name.split("/"))
            remote = listing.get(name)
            task = _Task(name, hrefs.join(root, name), local, size, remote)
            if remote is not None and not remote.is_collection and rule is not None:
                if rule == "size-mtime":
                    stamp = _timestamp(remote)
                    same = remote.content_length == size and stamp is not None
                    if same and stamp is not None and stamp >= int(mtime):
                        tracker.skip(name, size)
                        continue
                elif record.unchanged(name, remote.etag, local):
                    tracker.skip(name, size)
                    continue
            tasks.append(task)

        def upload(task: _Task) -> int:
            done = self.upload(
                task.local, task.url, progress=tracker.file_progress(task.relative), atomic=atomic
            )
            if rule == "etag":
                etag = done.etag
                if etag is None:
                    etag = self.info(task.url, ["getetag"]).etag  # type: ignore[attr-defined]
                record.record(task.relative, etag, task.local)
            return task.size

        try:
            self._run(tasks, tracker, workers, upload)
        finally:
            record.save()
        return _finish(result, tracker)

    def _make_root(self, root: str) -> None:
        """MKCOL the destination; with its missing parents when it lies below the base URL."""
        try:
            self.mkcol(root)  # type: ignore[attr-defined]
        except errors.MethodNotAllowedError:
            return  # created meanwhile
        except errors.DAVError:
            self.makedirs(root)  # type: ignore[attr-defined]

    def _make_collections(
        self,
        root: str,
        directories: List[str],
        listing: Dict[str, DAVResponse],
        result: TreeResult,
    ) -> int:
        """MKCOL every missing collection, parents first (one level at a time)."""
        missing = [d for d in directories if d not in listing]
        created = 0
        by_depth: Dict[int, List[str]] = {}
        for name in missing:
            by_depth.setdefault(name.count("/"), []).append(name)
        for depth in sorted(by_depth):
            for name in by_depth[depth]:
                try:
                    self.mkcol(hrefs.join(root, name + "/"))  # type: ignore[attr-defined]
                    created += 1
                except errors.DAVError as exc:
                    result.failed.append(TreeFailure(name + "/", str(exc), exc))
        return created

    # -- download ---------------------------------------------------------------------------

    def download_tree(
        self,
        path: Target,
        local_dir: PathLike,
        *,
        workers: int = 4,
        skip_unchanged: SkipRule = False,
        manifest: Optional[PathLike] = None,
        progress: Optional[TreeCallback] = None,
        resume: bool = False,
    ) -> TreeResult:
        """Download the collection ``path`` into the directory ``local_dir`` (created when
        missing), ``workers`` files at a time.

        Every file is written atomically; with ``resume`` a partial file an interrupted run
        left is continued (see :meth:`download`). A file modification time is set from the
        server's ``getlastmodified``. Returns a :class:`TreeResult`.
        """
        rule = _rule(skip_unchanged, manifest)
        top = self.info(path, ["resourcetype"])  # type: ignore[attr-defined]
        if not top.is_collection:
            raise errors.DAVError(f"{self.url(path)} is not a collection")
        root = self._collection_url(path)
        refused: List[str] = []
        listing = self._listing(root, refused) or {}
        base = os.fspath(local_dir)
        result = TreeResult()
        for href in refused:
            message = f"unsafe name from the server: {href!r} is outside {root}"
            result.failed.append(TreeFailure(href, message, errors.DAVError(message)))
        if not os.path.isdir(base):
            os.makedirs(base)
            result.collections += 1
        record = _Manifest(manifest if rule == "etag" else None)
        files: List[_Task] = []
        for name in sorted(listing, key=lambda n: (n.count("/"), n)):
            item = listing[name]
            try:
                parts = safe_relative(name)
            except ValueError as exc:
                result.failed.append(TreeFailure(name, str(exc), exc))
                continue
            local = os.path.join(base, *parts)
            if item.is_collection:
                if not os.path.isdir(local):
                    try:
                        os.makedirs(local)
                        result.collections += 1
                    except OSError as exc:
                        result.failed.append(TreeFailure(name + "/", str(exc), exc))
                continue
            files.append(_Task(name, str(item.url), local, item.content_length or 0, item))
        tracker = _Tracker(progress, len(files), sum(t.size for t in files))
        tasks = []
        etags: Dict[str, Optional[str]] = {}
        for task in files:
            etag = etags[task.relative] = self._etag(task) if rule == "etag" else None
            if (rule == "size-mtime" and _same_file(task.local, task.remote)) or (
                rule == "etag" and record.unchanged(task.relative, etag, task.local)
            ):
                tracker.skip(task.relative, task.size)
            else:
                tasks.append(task)

        def download(task: _Task) -> int:
            os.makedirs(os.path.dirname(task.local), exist_ok=True)
            written = self.download(
                task.url, task.local, progress=tracker.file_progress(task.relative), resume=resume
            )
            stamp = _timestamp(task.remote)
            if stamp is not None:
                os.utime(task.local, (stamp, stamp))
            if rule == "etag":
                record.record(task.relative, etags.get(task.relative), task.local)
            return written

        try:
            self._run(tasks, tracker, workers, download)
        finally:
            record.save()
        return _finish(result, tracker)

    def _etag(self, task: _Task) -> Optional[str]:
        """The ETag from the listing, else from a HEAD (nginx's PROPFIND reports none)."""
        if task.remote is not None and task.remote.etag:
            return task.remote.etag
        try:
            response = self.request("HEAD", task.url, allow_redirects=False)
        except Exception:
            return None
        return response.headers.get("ETag") if response.status_code == 200 else None


def _same_file(local: str, remote: Optional[DAVResponse]) -> bool:
    try:
        stat = os.stat(local)
    except OSError:
        return False
    stamp = _timestamp(remote)
    return (
        remote is not None
        and remote.content_length == stat.st_size
        and stamp is not None
        and stamp == int(stat.st_mtime)
    )


def _scan(base: str) -> Tuple[List[str], List[Tuple[str, int, float]]]:
    """Relative directories (parents first) and files ``(name, size, mtime)`` below ``base``,
    with ``/`` as separator."""
    directories: List[str] = []
    files: List[Tuple[str, int, float]] = []
    for current, subdirs, names in os.walk(base):
        subdirs[:] = sorted(d for d in subdirs if not os.path.islink(os.path.join(current, d)))
        relative = os.path.relpath(current, base)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        directories.extend(prefix + d for d in subdirs)
        for name in sorted(names):
            if name.endswith((PARTIAL_SUFFIX, VALIDATOR_SUFFIX)):
                continue  # an interrupted download's leftovers, not the user's files
            full = os.path.join(current, name)
            with contextlib.suppress(OSError):
                stat = os.stat(full)
                if os.path.isfile(full):
                    files.append((prefix + name, stat.st_size, stat.st_mtime))
    directories.sort(key=lambda d: (d.count("/"), d))
    return directories, files


def _finish(result: TreeResult, tracker: _Tracker) -> TreeResult:
    result.files = tracker.files_done
    result.bytes = tracker.bytes_done
    result.skipped = tracker.skipped
    result.failed.extend(tracker.failed)
    return result


__all__ = [
    "TREE_PROPS",
    "TransferCancelled",
    "TreeFailure",
    "TreeMethods",
    "TreeProgress",
    "TreeResult",
    "safe_relative",
]
