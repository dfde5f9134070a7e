"""Filesystems on the test bed's servers for the fsspec tests."""

from __future__ import annotations

import uuid
from typing import Any

from servers.common import ALICE, ALICE_PASSWORD, ServerBase

from requests_dav.fs import DAVFileSystem


def host_of(server: ServerBase) -> str:
    return f"{server.host}:{server.port}"


def make_fs(server: ServerBase, **options: Any) -> DAVFileSystem:
    """A fresh (uncached) filesystem on ``server`` as alice."""
    options.setdefault("auth", (ALICE, ALICE_PASSWORD))
    return DAVFileSystem(host=host_of(server), skip_instance_cache=True, **options)


def unique_dir(server: ServerBase, share: str, prefix: str = "fs") -> str:
    """An fsspec path below ``share`` that no other test uses."""
    return f"{host_of(server)}/{share}/{prefix}-{uuid.uuid4().hex[:10]}"
