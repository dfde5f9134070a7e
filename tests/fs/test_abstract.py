"""fsspec's own test suite for implementations (``fsspec.tests.abstract``) on WsgiDAV and
Apache mod_dav."""

from __future__ import annotations

import posixpath
from typing import Any, Callable, Iterator

import pytest

pytest.importorskip("fsspec")

import fsspec.tests.abstract as abstract
from fsspec.tests.abstract import AbstractFixtures

from requests_dav.fs import DAVFileSystem

from .support import make_fs, unique_dir


class _DAVFixtures(AbstractFixtures):  # type: ignore[misc]
    share = "basic"

    @pytest.fixture
    def server(self) -> Any:
        raise NotImplementedError

    @pytest.fixture
    def fs(self, server: Any) -> DAVFileSystem:
        return make_fs(server)

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def fs_path(self, server: Any, fs: DAVFileSystem) -> Iterator[str]:
        path = unique_dir(server, self.share, "abstract")
        yield path
        if fs.exists(path):
            fs.rm(path, recursive=True)

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return True


#: Added to fsspec's suite after the oldest fsspec the ``fsspec`` extra allows.
_LATER = [
    getattr(abstract, n) for n in ("AbstractOpenTests", "AbstractPipeTests") if hasattr(abstract, n)
]


class _Suite(
    _DAVFixtures,
    abstract.AbstractCopyTests,
    abstract.AbstractGetTests,
    abstract.AbstractPutTests,
    *_LATER,
):
    pass


class TestWsgiDAV(_Suite):
    @pytest.fixture
    def server(self, wsgidav_server: Any) -> Any:
        return wsgidav_server


@pytest.mark.needs_apache
class TestApache(_Suite):
    @pytest.fixture
    def server(self, apache_server: Any) -> Any:
        return apache_server
