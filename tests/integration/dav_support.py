"""Shared setup for the DAVSession integration tests: a fresh collection per test."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, Iterator

from requests_dav.dav.session import DAVSession


@contextlib.contextmanager
def fresh_collection(server: Any, share: str = "open") -> Iterator[DAVSession]:
    """A DAVSession rooted at a new, uniquely named collection of ``server``'s ``share``."""
    name = f"t-{uuid.uuid4().hex[:12]}/"
    with DAVSession(server.url(share)) as root:
        root.mkcol(name)
    with DAVSession(server.url(share, name)) as session:
        yield session


def other_session(dav: DAVSession) -> DAVSession:
    """A second client on the same collection, without our lock store."""
    return DAVSession(dav.base_url)
