"""The writing half of the fsspec filesystem: PUT (RFC 9110 section 9.3.4), MKCOL, DELETE,
and server-side COPY and MOVE (RFC 4918 sections 9.3, 9.6, 9.8, 9.9).
"""

from __future__ import annotations

import errno
import os
import uuid
from typing import Any, Dict, List, Optional

from fsspec.callbacks import DEFAULT_CALLBACK, Callback

from ..dav import errors
from ..dav.progress import Progress
from . import _paths
from ._core import ListingFileSystem, translate


class WritingFileSystem(ListingFileSystem):
    """Writes on top of the listings (:class:`requests_dav.fs.DAVFileSystem` is this plus
    reads)."""

    def _put_body(
        self,
        path: str,
        body: Any,
        create_only: bool,
        *,
        retry: bool,
        progress: Optional[Progress] = None,
    ) -> None:
        """PUT ``body`` (``If-None-Match: *`` with ``create_only``); with ``retry``, a 409 or
        404 (missing parent) makes the parents and sends again (``body`` is then bytes or a
        seekable file)."""
        rel = self._rel(path)
        condition = "*" if create_only else None
        try:
            try:
                self.session.upload(body, rel, progress, if_none_match=condition)
            except (errors.ConflictError, errors.NotFoundError):
                # 409 (RFC 4918 section 9.7.1); SabreDAV and rclone answer 404
                if not retry:
                    raise
                self.makedirs(_paths.parent(path), exist_ok=True)
                if hasattr(body, "seek"):
                    body.seek(0)
                self.session.upload(body, rel, progress, if_none_match=condition)
        except errors.DAVError as exc:
            raise translate(exc, path) from exc
        finally:
            self.invalidate_cache(path)

    def _commit(self, temporary: str, path: str, *, overwrite: bool) -> None:
        """MOVE a finished upload onto its name (``Overwrite: F`` for an exclusive
        create: 412 if the name was taken meanwhile, RFC 4918 section 10.6)."""
        try:
            self.session.move(self._rel(temporary), self._rel(path), overwrite=overwrite)
        except errors.DAVError as exc:
            self._remove_temporary(temporary)
            raise translate(exc, path) from exc
        finally:
            self.invalidate_cache(path)
            self.invalidate_cache(temporary)

    def _remove_temporary(self, temporary: str) -> None:
        """Delete an aborted upload's temporary file (the session tries again while the server
        is still storing the broken body)."""
        self.session.discard_upload(self._rel(temporary))
        self.invalidate_cache(temporary)

    def _temporary_name(self, path: str) -> str:
        parent, _slash, name = path.rpartition("/")
        return f"{parent}/.{name}.{uuid.uuid4().hex[:12]}.part"

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        self._put_body(path, bytes(value), mode == "create", retry=True)

    def put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        rpath = self._strip_protocol(rpath)
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        callback.set_size(os.path.getsize(lpath))
        with open(lpath, "rb") as handle:
            self._put_body(
                rpath,
                handle,
                mode == "create",
                retry=True,
                progress=lambda done, _total: callback.absolute_update(done),
            )

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if create_parents:
            self.makedirs(path, exist_ok=True)
            return
        try:
            self.session.mkcol(self._rel(path) + "/")
            self._remember_dir(path)
        except errors.MethodNotAllowedError as exc:
            raise FileExistsError(errno.EEXIST, "exists", path) from exc
        except errors.ConflictError as exc:
            raise FileNotFoundError(errno.ENOENT, "parent does not exist", path) from exc
        except errors.DAVError as exc:
            raise translate(exc, path) from exc
        finally:
            self.invalidate_cache(path)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        rel = self._rel(path)
        if not rel:
            if not exist_ok:
                raise FileExistsError(errno.EEXIST, "exists", path)
            return
        try:
            self.mkdir(path, create_parents=False)
            return
        except FileExistsError:
            if self.isdir(path) and exist_ok:
                return
            raise
        except FileNotFoundError:
            pass
        self.makedirs(_paths.parent(path), exist_ok=True)
        self.mkdir(path, create_parents=False)

    def rmdir(self, path: str) -> None:
        path = self._strip_protocol(path)
        if not self.isdir(path):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        if self.ls(path, detail=False, refresh=True):
            raise OSError(errno.ENOTEMPTY, "directory not empty", path)
        self._delete(path)

    def rm_file(self, path: str) -> None:
        self._delete(self._strip_protocol(path))

    def _rm(self, path: str) -> None:
        self._delete(self._strip_protocol(path))

    def _delete(self, path: str) -> None:
        try:
            self._slashed(path, self.session.delete)
        finally:
            self._forget_dir(path)
            self.invalidate_cache(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: Optional[int] = None) -> None:
        """Delete files, or whole collections with ``recursive`` (one DELETE each: DELETE
        is Depth infinity, RFC 4918 section 9.6.1)."""
        if maxdepth is not None:
            super().rm(path, recursive=recursive, maxdepth=maxdepth)
            return
        paths = self.expand_path(path, recursive=False)
        done: List[str] = []
        for name in sorted(paths):
            if any(name.startswith(d + "/") for d in done):
                continue
            if not recursive and self.isdir(name) and self.ls(name, detail=False):
                raise OSError(errno.ENOTEMPTY, "directory not empty (recursive=False)", name)
            self._delete(name)
            done.append(name)

    def _transfer(self, method: str, path1: str, path2: str) -> None:
        src, dst = self._rel(path1), self._rel(path2)
        is_dir = self.isdir(path1)
        suffix = "/" if is_dir else ""
        call = self.session.copy if method == "COPY" else self.session.move
        depth: Dict[str, Any] = {"depth": "infinity" if is_dir else 0} if method == "COPY" else {}
        try:
            try:
                call(src + suffix, dst + suffix, **depth)
            except errors.ConflictError:
                self.makedirs(_paths.parent(path2), exist_ok=True)
                call(src + suffix, dst + suffix, **depth)
        except errors.DAVError as exc:
            raise translate(exc, path1) from exc
        finally:
            self.invalidate_cache(path2)
            if method == "MOVE":
                self._forget_dir(path1)
                self.invalidate_cache(path1)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """A server-side COPY (RFC 4918 section 9.8); a directory is created, not copied
        with its members (fsspec's ``copy`` copies those one by one)."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        if self.isdir(path1):
            self.makedirs(path2, exist_ok=True)
            return
        self._transfer("COPY", path1, path2)

    def mv(
        self,
        path1: Any,
        path2: Any,
        recursive: bool = False,
        maxdepth: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        """A server-side MOVE (RFC 4918 section 9.9) of a file or a whole collection; lists
        and globs go through fsspec's copy and delete."""
        plain = isinstance(path1, str) and isinstance(path2, str) and maxdepth is None
        if not plain or any(c in path1 for c in "*?["):
            super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)
            return
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        if path1 == path2:
            return
        if self.isdir(path2):
            path2 = _paths.join(path2, path1.rsplit("/", 1)[-1])
        self._transfer("MOVE", path1, path2)
